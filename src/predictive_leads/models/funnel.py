"""The funnel: one stage per lead — SQL, MQL or nurture (and disqualified, set after scoring) — by one policy.

A team states its policy once; it becomes two probability cut-offs stored with the model, so a lead's stage
never depends on the batch it is scored in, and every output (batch, REST, Spark) uses the same rule:

* ``capacity`` — sales can work ``sql`` leads per scoring run and marketing ``mql`` more (default 200 and
  1,000), read off the held-out reference leads at training (a run: as many leads as their largest snapshot).
* ``precision`` — SQL converts at ≥ ``sql``, MQL at ≥ ``mql`` (default 25 % and 10 %), on the reference leads.
* ``f1`` — SQL maximises F1, MQL F2 (recall-weighted), on the reference leads.
* ``probability`` — fixed cut-offs on the calibrated probability (default 0.30 and 0.10).
* ``score`` — fixed cut-offs on the 1–100 percentile score: the agency practice of the field notes, MQL at 50,
  SQL at 80 (``score >= cut``). Being a percentile, 80 always means about the top fifth of the reference leads.
* ``points`` — fixed cut-offs on the absolute odds scale (:class:`~predictive_leads.models.score_map.OddsScale`,
  default 50 points at a 10 % chance, 10 points to double the odds): 80 points means the same odds in any
  population.

The policies that need outcomes (capacity, precision, f1) are decided at training; the fixed ones can also be
set when scoring. ``heat`` is a label of the stage (SQL hot, MQL warm, nurture cold), never a second rule.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

SQL, MQL, NURTURE = "SQL", "MQL", "nurture"
STAGES = (SQL, MQL, NURTURE)
"""The model's stages, highest first; a disqualified lead's stage is ``disqualified``."""
HEAT = {SQL: "hot", MQL: "warm", NURTURE: "cold"}
"""The heat label of each stage (a disqualified lead's heat is ``disqualified``)."""

POLICIES = {
    "capacity": ("leads per run", (200, 1000)),
    "precision": ("conversion rate", (0.25, 0.10)),
    "f1": ("", (None, None)),
    "probability": ("probability", (0.30, 0.10)),
    "score": ("score 1-100", (80, 50)),
    "points": ("points", (80, 50)),
}
"""Policy → (the unit of its ``sql``/``mql`` settings, their defaults)."""
FIXED_POLICIES = ("probability", "score", "points")
"""Policies that need no outcomes: they can be changed when scoring, without retraining."""


class FunnelError(ValueError):
    """A funnel policy is malformed: one line naming the setting."""


@dataclass(frozen=True)
class FunnelPolicy:
    """How leads are staged: the ``policy`` name and its SQL and MQL settings (see the module docstring)."""

    policy: str = "capacity"
    sql: float | None = None
    mql: float | None = None

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise FunnelError(f"unknown funnel policy {self.policy!r}; choose from {', '.join(POLICIES)}")
        defaults = POLICIES[self.policy][1]
        for name, default in zip(("sql", "mql"), defaults, strict=True):
            value = getattr(self, name)
            if self.policy == "f1":
                if value is not None:
                    raise FunnelError(f"the f1 policy takes no {name} setting")
                continue
            object.__setattr__(self, name, float(default if value is None else value))
        self._check_range()

    def _check_range(self) -> None:
        sql, mql = self.sql, self.mql
        bounds = {"capacity": (0, np.inf), "precision": (0, 1), "probability": (0, 1), "score": (1, 100),
                  "points": (-np.inf, np.inf)}.get(self.policy)  # fmt: skip
        if bounds is None:
            return
        low, high = bounds
        for name, value in (("sql", sql), ("mql", mql)):
            if not np.isfinite(value) or not low <= value <= high:
                raise FunnelError(f"funnel {self.policy}: {name} must be between {low:g} and {high:g}, got {value:g}")
        if self.policy == "capacity" and sql < 1:
            raise FunnelError(f"funnel capacity: sql must be at least 1 lead per run, got {sql:g}")
        if self.policy != "capacity" and mql > sql:
            raise FunnelError(f"funnel {self.policy}: the MQL cut-off ({mql:g}) is above the SQL cut-off ({sql:g})")

    @property
    def fixed(self) -> bool:
        """True when the cut-offs need no outcomes (probability, score or points)."""
        return self.policy in FIXED_POLICIES

    def describe(self) -> str:
        """The policy in words, e.g. ``capacity: 200 SQL + 1,000 MQL leads per run``."""
        if self.policy == "f1":
            return "f1: SQL maximises F1, MQL maximises F2"
        if self.policy == "capacity":
            return f"capacity: {self.sql:,.0f} SQL + {self.mql:,.0f} MQL leads per run"
        unit = POLICIES[self.policy][0]
        return f"{self.policy}: SQL at {unit} ≥ {self.sql:g}, MQL at ≥ {self.mql:g}"

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict, source: str = "funnel") -> FunnelPolicy:
        """A policy from a mapping (``policy``, ``sql``, ``mql``); one-line errors naming ``source``."""
        if not isinstance(data, dict):
            raise FunnelError(f"{source}: expected a mapping with policy, sql, mql")
        unknown = sorted(set(data) - {"policy", "sql", "mql"})
        if unknown:
            raise FunnelError(f"{source}: unknown key(s) {', '.join(map(str, unknown))} (policy, sql, mql)")
        try:
            return cls(str(data.get("policy", "capacity")), _number(data.get("sql"), "sql", source),
                       _number(data.get("mql"), "mql", source))  # fmt: skip
        except FunnelError as exc:
            raise FunnelError(f"{source}: {exc}") from None

    def with_settings(self, policy: str | None = None, sql: float | None = None, mql: float | None = None):
        """This policy with the given settings changed (a new policy name starts from its own defaults)."""
        if policy is not None and policy != self.policy:
            return FunnelPolicy(policy, sql, mql)
        return replace(self, sql=self.sql if sql is None else sql, mql=self.mql if mql is None else mql)


def _number(value, name: str, source: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise FunnelError(f"{source}: {name} must be a number, got a {type(value).__name__}") from None


def load_funnel(path: str | Path) -> FunnelPolicy:
    """A funnel policy from YAML (``policy: score``, ``sql: 80``, ``mql: 50``)."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FunnelError(f"{path.name}: not a readable YAML file ({type(exc).__name__})") from None
    return FunnelPolicy.from_dict(data or {}, path.name)


def funnel_from_options(policy: str | None = None, sql: float | None = None, mql: float | None = None,
                        funnel: FunnelPolicy | str | Path | None = None) -> FunnelPolicy | None:  # fmt: skip
    """The policy that ``--policy``/``--sql``/``--mql`` and ``--funnel`` (a policy or its YAML) state, the options
    overriding the policy's settings; None when none is given."""
    if funnel is not None:
        base = funnel if isinstance(funnel, FunnelPolicy) else load_funnel(funnel)
        return base.with_settings(policy, sql, mql)
    if policy is None:
        if sql is not None or mql is not None:
            raise FunnelError("--sql and --mql need --policy (or --funnel) to say what they are")
        return None
    return FunnelPolicy(policy, sql, mql)


# ------------------------------------------------------------------------------------------ cut-offs


@dataclass(frozen=True)
class Thresholds:
    """The probability cut-offs of SQL and MQL (highest first), the policy that chose them and what each stage
    held on the reference leads (``expected``: per stage, leads and expected conversions per run, observed
    conversion rate and share of all conversions)."""

    rule: str
    cutoffs: tuple[tuple[str, float], ...]
    below: str = NURTURE
    expected: dict = field(default_factory=dict)
    policy: dict = field(default_factory=dict)

    def stage(self, p: np.ndarray) -> np.ndarray:
        """The stage of each probability (``p >= cut``)."""
        p = np.asarray(p, dtype=float)
        out = np.full(p.shape, self.below, dtype=object)
        for name, cut in sorted(self.cutoffs, key=lambda c: c[1]):
            out[p >= cut] = name
        return out

    def funnel(self) -> FunnelPolicy:
        """The policy these cut-offs were chosen by."""
        return FunnelPolicy.from_dict(self.policy or {"policy": self.rule})

    def to_dict(self) -> dict:
        return asdict(self) | {"cutoffs": [list(c) for c in self.cutoffs]}

    @classmethod
    def from_dict(cls, d: dict) -> Thresholds:
        return cls(d["rule"], tuple((str(n), float(c)) for n, c in d["cutoffs"]), d.get("below", NURTURE),
                   d.get("expected", {}), d.get("policy", {}))  # fmt: skip


def heat_of(stage) -> np.ndarray:
    """hot / warm / cold per stage (any other stage, e.g. ``disqualified``, keeps its name)."""
    stage = np.asarray(stage, dtype=object)
    return np.array([HEAT.get(s, s) for s in stage.tolist()], dtype=object)


def choose_thresholds(policy: FunnelPolicy, y: np.ndarray, p: np.ndarray, *, runs: float = 1, score_map=None,
                      odds_scale=None) -> Thresholds:  # fmt: skip
    """The SQL and MQL probability cut-offs of ``policy`` on the held-out reference leads (``y``, ``p``; ``runs``
    scoring runs of them), with what each stage held on them. ``score_map`` and ``odds_scale`` translate the
    ``score`` and ``points`` policies' cut-offs into probabilities. A fixed policy needs no leads (``y`` and ``p``
    None: no ``expected``)."""
    runs = float(runs)
    if policy.fixed and p is None:  # scoring with a fixed policy: no reference leads to describe
        return Thresholds(policy.policy, _fixed_cutoffs(policy, score_map, odds_scale), policy=policy.to_dict())
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    if policy.policy == "capacity":
        per_run = len(p) / runs
        sql = _cut_for_top(p, round(policy.sql * len(p) / per_run))
        mql = _cut_for_top(p, round((policy.sql + policy.mql) * len(p) / per_run))
    elif policy.policy == "precision":
        sql, mql = _cut_for_precision(y, p, policy.sql), _cut_for_precision(y, p, policy.mql)
    elif policy.policy == "f1":
        sql, mql = _cut_for_f(y, p, 1.0), _cut_for_f(y, p, 2.0)
    else:
        (_, sql), (_, mql) = _fixed_cutoffs(policy, score_map, odds_scale)
    thresholds = Thresholds(policy.policy, ((SQL, float(sql)), (MQL, float(min(mql, sql)))), policy=policy.to_dict())
    return replace(thresholds, expected=stage_outcomes(thresholds.stage(p), y, p, runs))


def _fixed_cutoffs(policy: FunnelPolicy, score_map, odds_scale) -> tuple[tuple[str, float], ...]:
    """The probability cut-offs of a fixed policy (probability, score or points)."""
    if policy.policy == "probability":
        at = float
    elif policy.policy == "score":
        at = score_map.probability_at
    else:
        at = odds_scale.probability_at
    return (SQL, float(at(policy.sql))), (MQL, float(at(policy.mql)))


def stage_outcomes(stage: np.ndarray, y: np.ndarray | None, p: np.ndarray, runs: float = 1) -> dict:
    """Per stage: leads and expected conversions (sum of probabilities) per run, and with outcomes ``y`` the
    observed conversion rate and the stage's share of all conversions."""
    stage = np.asarray(stage, dtype=object)
    out = {}
    for name in (*STAGES, *sorted(set(stage.tolist()) - set(STAGES))):
        mine = stage == name
        row = {"leads_per_run": float(mine.sum() / runs), "expected_conversions_per_run": float(p[mine].sum() / runs)}
        if y is not None:
            row["observed_rate"] = float(y[mine].mean()) if mine.any() else None
            row["share_of_conversions"] = float(y[mine].sum() / max(y.sum(), 1))
        out[name] = row
    return out


def _cut_for_top(p: np.ndarray, k: int) -> float:
    """Probability of the k-th best lead (k ≥ 1): leads at or above it form the top k (ties included)."""
    k = int(np.clip(k, 1, len(p)))
    return float(np.sort(p)[::-1][k - 1])


def _cut_for_precision(y: np.ndarray, p: np.ndarray, target: float) -> float:
    """Lowest cut-off whose leads above it convert at ≥ target (the cut maximising coverage at that precision)."""
    order = np.argsort(-p, kind="stable")
    precision = np.cumsum(y[order]) / np.arange(1, len(p) + 1)
    ok = np.flatnonzero(precision >= target)
    return float(p[order][ok.max()]) if len(ok) else float(p.max())


def _cut_for_f(y: np.ndarray, p: np.ndarray, beta: float) -> float:
    order = np.argsort(-p, kind="stable")
    tp = np.cumsum(y[order])
    precision, recall = tp / np.arange(1, len(p) + 1), tp / max(y.sum(), 1)
    f = (1 + beta**2) * precision * recall / np.maximum(beta**2 * precision + recall, 1e-12)
    return float(p[order][int(np.argmax(f))])
