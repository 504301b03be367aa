"""Hand scored leads to sales reps: round robin, team rules, or balanced so that no rep gets worse leads.

Three modes (``route(..., mode=...)``):

* ``round_robin`` — every rep is one pool; leads, best score first (ties by id), are dealt in rotation.
* ``rules`` — ordered rules send a lead to a team (first match wins; unmatched leads go to ``default_team``,
  or to all reps when it is not set), then round robin within the team.
* ``balanced`` — teams as in ``rules``, then within each team every rep gets as nearly as possible the same
  number of top-tier leads *and* the same expected conversions (sum of probabilities).

A rep takes at most ``capacity`` leads per run (across all pools) and only leads that pass its filters
(``territories`` → ``region``, ``countries`` → ``country``, ``industries`` → ``industry``, ``company_sizes`` →
``company_size_band``, ``stages`` → ``stage``; a lead with a missing value fails a filter). No lead is dropped: a
lead no rep can take keeps ``rep`` None and says why in ``unassigned_reason``. Disqualified leads are never
routed. The reps file (``load_reps``)::

    reps:
      - {name: Ana, team: enterprise, capacity: 20, territories: [Europe]}
      - {name: Ben, team: enterprise, capacity: 20}
      - {name: Cleo, team: smb}
    rules:                        # optional, first match wins; within a rule every column must match
      - when: {company_size_band: [1000-9999, 10000+]}
        team: enterprise
    default_team: smb             # optional; without it unmatched leads go to all reps
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
import yaml

from predictive_leads.ops.disqualify import DISQUALIFIED

Mode = Literal["round_robin", "rules", "balanced"]
MODES: tuple[str, ...] = ("round_robin", "rules", "balanced")
NO_ELIGIBLE_REP = "no eligible rep"
CAPACITY_FULL = "capacity full"
REP_FILTERS: Mapping[str, str] = MappingProxyType(
    {"territories": "region", "countries": "country", "industries": "industry",
     "company_sizes": "company_size_band", "stages": "stage"}
)  # fmt: skip
REQUIRED_COLUMNS = ("probability", "score", "stage")
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Rep:
    """A sales rep. ``capacity``: most leads per run (None: unlimited). Empty filters accept every lead."""

    name: str
    team: str | None = None
    capacity: int | None = None
    territories: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    company_sizes: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"rep name must be a non-empty string, got {self.name!r}")
        if self.team is not None and (not isinstance(self.team, str) or not self.team.strip()):
            raise ValueError(f"rep '{self.name}': team must be a non-empty string, got {self.team!r}")
        cap = self.capacity
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 0):
            raise ValueError(f"rep '{self.name}': capacity must be a whole number >= 0 (omit it for unlimited), "
                             f"got {cap!r}")  # fmt: skip

    def filters(self) -> dict[str, tuple[str, ...]]:
        """Lead column → accepted values, for the filters this rep sets."""
        return {column: getattr(self, key) for key, column in REP_FILTERS.items() if getattr(self, key)}


@dataclass(frozen=True)
class Rule:
    """Leads whose every ``when`` column holds one of its listed values go to ``team``."""

    team: str
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutingConfig:
    """Reps, ordered routing rules (first match wins) and the team for unmatched leads (None: all reps)."""

    reps: tuple[Rep, ...]
    rules: tuple[Rule, ...] = ()
    default_team: str | None = None

    def __post_init__(self) -> None:
        if not self.reps:
            raise ValueError("reps: needs at least one rep")
        seen: set[str] = set()
        for rep in self.reps:
            if rep.name in seen:
                raise ValueError(f"reps: duplicate rep name '{rep.name}'")
            seen.add(rep.name)
        known = ", ".join(self.teams) or "none"
        for number, rule in enumerate(self.rules, 1):
            if rule.team not in self.teams:
                raise ValueError(f"rules #{number}: team '{rule.team}' has no reps (teams: {known})")
            if not rule.when:
                raise ValueError(f"rules #{number}: 'when' needs at least one column (use default_team for the rest)")
        if self.default_team is not None and self.default_team not in self.teams:
            raise ValueError(f"default_team: team '{self.default_team}' has no reps (teams: {known})")

    @property
    def teams(self) -> tuple[str, ...]:
        """Team names in order of first appearance."""
        return tuple(dict.fromkeys(rep.team for rep in self.reps if rep.team is not None))

    def members(self, team: str | None) -> tuple[Rep, ...]:
        """The reps of ``team`` (None: all reps), in file order."""
        return self.reps if team is None else tuple(rep for rep in self.reps if rep.team == team)

    @classmethod
    def from_dict(cls, data: object) -> RoutingConfig:
        """Build from the YAML shape in the module docstring; one-line ValueError naming the offending key/rep."""
        if not isinstance(data, Mapping):
            raise ValueError("expected a mapping with 'reps' and optional 'rules', 'default_team'")
        _no_unknown(data, {"reps", "rules", "default_team"}, "top level")
        raw_reps = data.get("reps")
        if not isinstance(raw_reps, list) or not raw_reps:
            raise ValueError("reps: expected a non-empty list of reps")
        raw_rules = data.get("rules") or []
        if not isinstance(raw_rules, list):
            raise ValueError("rules: expected a list of {when: {...}, team: NAME}")
        default = data.get("default_team")
        if default is not None and not isinstance(default, str):
            raise ValueError(f"default_team: expected a team name, got {default!r}")
        reps = tuple(_rep_from(spec, number) for number, spec in enumerate(raw_reps, 1))
        rules = tuple(_rule_from(spec, number) for number, spec in enumerate(raw_rules, 1))
        return cls(reps=reps, rules=rules, default_team=default)


def _no_unknown(spec: Mapping, known: set[str], where: str) -> None:
    extra = sorted(str(key) for key in set(spec) - known)
    if extra:
        raise ValueError(f"{where}: unknown key(s) {', '.join(extra)}; expected {', '.join(sorted(known))}")


def _values(value: object, where: str, *, allow_empty: bool) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, bool):
            raise ValueError(f"{where}: {item!r} was read as a yes/no value; quote it")
        if not isinstance(item, str | int | float):
            raise ValueError(f"{where}: expected a value or a list of values, got {item!r}")
    if not items and not allow_empty:
        raise ValueError(f"{where}: needs at least one value")
    return tuple(str(item) for item in items)


def _rep_from(spec: object, number: int) -> Rep:
    if not isinstance(spec, Mapping):
        raise ValueError(f"reps #{number}: expected a mapping with at least a name, got {spec!r}")
    name = spec.get("name")
    where = f"rep '{name}'" if isinstance(name, str) else f"reps #{number}"
    _no_unknown(spec, {"name", "team", "capacity", *REP_FILTERS}, where)
    if name is None:
        raise ValueError(f"{where}: needs a name")
    filters = {key: _values(spec[key], f"{where}: {key}", allow_empty=True) for key in REP_FILTERS if key in spec}
    return Rep(name=name, team=spec.get("team"), capacity=spec.get("capacity"), **filters)


def _rule_from(spec: object, number: int) -> Rule:
    where = f"rules #{number}"
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: expected a mapping {{when: {{column: [values]}}, team: NAME}}, got {spec!r}")
    _no_unknown(spec, {"when", "team"}, where)
    team, when = spec.get("team"), spec.get("when")
    if not isinstance(team, str):
        raise ValueError(f"{where}: team must be a team name, got {team!r}")
    if not isinstance(when, Mapping) or not when:
        raise ValueError(f"{where}: 'when' must map lead columns to accepted values, got {when!r}")
    return Rule(
        team=team, when={str(col): _values(v, f"{where}: when.{col}", allow_empty=False) for col, v in when.items()}
    )


def load_reps(path: str | Path) -> RoutingConfig:
    """Read and validate a reps YAML file; errors are one-line ValueErrors starting with the file name."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"{path.name}: not valid YAML ({str(exc).splitlines()[0]})") from None
    try:
        return RoutingConfig.from_dict(data)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from None


def _config(reps: RoutingConfig | Sequence[Rep]) -> RoutingConfig:
    return reps if isinstance(reps, RoutingConfig) else RoutingConfig(reps=tuple(reps))


def _checked(scores: pd.DataFrame, id_col: str) -> pd.DataFrame:
    missing = [c for c in (id_col, *REQUIRED_COLUMNS) if c not in scores.columns]
    if missing:
        raise ValueError(f"scores lack column(s): {', '.join(missing)}")
    leads = scores.reset_index(drop=True)
    ids = leads[id_col]
    if ids.isna().any():
        raise ValueError(f"scores: {int(ids.isna().sum())} row(s) have no {id_col}")
    if ids.duplicated().any():
        dup = ", ".join(map(str, ids[ids.duplicated()].unique()[:5]))
        raise ValueError(f"scores: duplicate {id_col}(s) {dup}; each lead must appear once")
    for column, low, high in (("probability", 0.0, 1.0), ("score", -math.inf, math.inf)):
        values = pd.to_numeric(leads[column], errors="coerce")
        bad = values.isna() | (values < low) | (values > high)
        if bad.any():
            raise ValueError(f"scores: {column} must be a number in [{low}, {high}]; {int(bad.sum())} row(s) are not")
        leads[column] = values
    return leads


def _matches(column: pd.Series, values: tuple[str, ...]) -> np.ndarray:
    return column.astype("string").isin(values).to_numpy(dtype=bool, na_value=False)


def _eligibility(leads: pd.DataFrame, config: RoutingConfig) -> np.ndarray:
    """(leads × reps) mask: the lead passes every filter the rep sets."""
    eligible = np.ones((len(leads), len(config.reps)), dtype=bool)
    for j, rep in enumerate(config.reps):
        for column, values in rep.filters().items():
            if column not in leads.columns:
                raise ValueError(f"rep '{rep.name}' filters on '{column}' but the scores have no such column")
            eligible[:, j] &= _matches(leads[column], values)
    return eligible


def _teams(leads: pd.DataFrame, config: RoutingConfig) -> np.ndarray:
    """Team per lead from the first matching rule, else ``default_team`` (None: all reps)."""
    team = np.full(len(leads), config.default_team, dtype=object)
    open_ = np.ones(len(leads), dtype=bool)
    for number, rule in enumerate(config.rules, 1):
        hit = open_.copy()
        for column, values in rule.when.items():
            if column not in leads.columns:
                raise ValueError(f"rules #{number} needs column '{column}' but the scores have no such column")
            hit &= _matches(leads[column], values)
        team[hit] = rule.team
        open_ &= ~hit
    return team


def route(scores: pd.DataFrame, reps: RoutingConfig | Sequence[Rep], *, mode: Mode, seed: int = 0,
          id_col: str = "id", top_tier: Sequence[str] = ("SQL",)) -> pd.DataFrame:  # fmt: skip
    """One row per input lead (input order): id, rep, team, unassigned_reason, top_tier, probability, score, tier.

    ``rep`` is None when the lead was not routed; ``unassigned_reason`` is then ``"disqualified"``,
    ``"no eligible rep"`` (no rep of its team passes its filters) or ``"capacity full"``. ``team`` is the pool the
    lead was routed in (None: all reps; always None in ``round_robin``). Leads are processed in a fixed order —
    ``round_robin``/``rules``: score desc; ``balanced``: top tier first, then probability desc; ties by id — so
    the result depends only on the set of rows, the config and ``seed``. Each team's reps are taken in file order
    rotated by ``seed % len(team)``: the first rep dealt to in round robin, and the last tie-break in balanced.

    Balanced: a top-tier lead goes to the eligible rep with room with the fewest top-tier leads, then the lowest
    expected conversions E (sum of p), then fewest leads; any other lead to the lowest E, then fewest leads.

    Guarantee (per team, when every rep can take every lead of the team and no rep is ever skipped for being
    full, e.g. unlimited capacity): top-tier counts differ by at most 1, and max E − min E ≤ P, the largest
    probability routed in the team. Round robin: lead counts differ by at most 1. Proof of the E bound, with
    D = max E − min E, which starts at 0 ≤ P:
    (1) Top tier, in rounds (every rep gets one before any gets two). In a round the leads come in descending
    order q1 ≥ q2 ≥ …, and the i-th gets the i-th least loaded rep (loads L1 ≤ L2 ≤ …). For two reps i, j after
    the round: if i > j, (Li + qi) − (Lj + qj) ≤ (Li − Lj) + 0 ≤ D; if i < j, it is ≤ 0 + qi ≤ P (a rep that got
    nothing has q = 0; same two cases). So D ≤ P after every round.
    (2) Other leads, each to the least loaded rep (load m): its new load m + p is the new maximum or not; if it is,
    D' ≤ m + p − m = p ≤ P (no load is below m), else D' ≤ D. So D ≤ P at the end. ∎
    When capacities bind (a full rep is skipped) or filters exclude reps, neither bound holds in general
    (e.g. capacity 2: top tier 0.5, 0.1, 0.1 then 0.5 → loads 1.0 and 0.2, spread 0.8 > 0.5); the routing is
    still the greedy best effort and ``spread_summary`` reports the achieved spread.
    """
    if mode not in MODES:
        raise ValueError(f"unknown routing mode {mode!r}; choose from {', '.join(MODES)}")
    config = _config(reps)
    leads = _checked(scores, id_col)
    n, n_reps = len(leads), len(config.reps)
    tiers = leads["stage"].astype("string")
    top = tiers.isin(tuple(top_tier)).to_numpy(dtype=bool, na_value=False)
    disqualified = tiers.str.lower().eq(DISQUALIFIED).to_numpy(dtype=bool, na_value=False)
    eligible = _eligibility(leads, config)
    team = np.full(n, None, dtype=object) if mode == "round_robin" else _teams(leads, config)

    pools = list(dict.fromkeys(team.tolist()))
    pool_of = np.array([pools.index(t) for t in team], dtype=int)
    index = {rep.name: j for j, rep in enumerate(config.reps)}
    members: list[list[int]] = []
    for name in pools:
        base = [index[rep.name] for rep in config.members(name)]
        shift = seed % len(base)
        members.append(base[shift:] + base[:shift])

    id_rank = leads[id_col].rank(method="first").to_numpy()
    if mode == "balanced":
        order = np.lexsort((id_rank, -leads["probability"].to_numpy(dtype=float), ~top))
    else:
        order = np.lexsort((id_rank, -leads["score"].to_numpy(dtype=float)))

    probability = leads["probability"].to_numpy(dtype=float)
    capacity = np.array([math.inf if rep.capacity is None else rep.capacity for rep in config.reps])
    taken = np.zeros(n_reps, dtype=int)
    load = np.zeros((len(pools), n_reps))
    count = np.zeros((len(pools), n_reps), dtype=int)
    tops = np.zeros((len(pools), n_reps), dtype=int)
    pointer = [0] * len(pools)
    chosen = np.full(n, -1, dtype=int)
    reason = np.full(n, None, dtype=object)
    for i in order:
        if disqualified[i]:
            reason[i] = DISQUALIFIED
            continue
        p, crew = pool_of[i], members[pool_of[i]]
        able = [r for r in crew if eligible[i, r]]
        free = [r for r in able if taken[r] < capacity[r]]
        if not free:
            reason[i] = CAPACITY_FULL if able else NO_ELIGIBLE_REP
            continue
        if mode == "balanced":
            ranked = [((tops[p, r] if top[i] else 0), load[p, r], count[p, r], crew.index(r), r) for r in free]
            r = min(ranked)[-1]
        else:
            step = next(s for s in range(len(crew)) if crew[(pointer[p] + s) % len(crew)] in free)
            r = crew[(pointer[p] + step) % len(crew)]
            pointer[p] = (pointer[p] + step + 1) % len(crew)
        chosen[i] = r
        taken[r] += 1
        load[p, r] += probability[i]
        count[p, r] += 1
        tops[p, r] += int(top[i])

    names = [config.reps[r].name if r >= 0 else None for r in chosen]
    return pd.DataFrame({
        id_col: leads[id_col],
        "rep": pd.Series(names, dtype=object),
        "team": pd.Series(team, dtype=object),
        "unassigned_reason": pd.Series(reason, dtype=object),
        "top_tier": top,
        "probability": leads["probability"],
        "score": leads["score"],
        "stage": leads["stage"],
    })  # fmt: skip


def rep_report(assignments: pd.DataFrame, reps: RoutingConfig | Sequence[Rep]) -> pd.DataFrame:
    """Per rep (file order): team, leads, top_tier, expected_conversions, mean_score, capacity, capacity_used."""
    config = _config(reps)
    assigned = assignments[assignments["rep"].notna()]
    unknown = sorted(set(assigned["rep"]) - {rep.name for rep in config.reps})
    if unknown:
        raise ValueError(f"assignments name rep(s) not in the config: {', '.join(map(str, unknown))}")
    rows = []
    for rep in config.reps:
        mine = assigned[assigned["rep"] == rep.name]
        leads = len(mine)
        rows.append({
            "rep": rep.name,
            "team": rep.team,
            "leads": leads,
            "top_tier": int(mine["top_tier"].sum()),
            "expected_conversions": float(mine["probability"].sum()),
            "mean_score": float(mine["score"].mean()) if leads else math.nan,
            "capacity": rep.capacity,
            "capacity_used": leads / rep.capacity if rep.capacity else math.nan,
        })  # fmt: skip
    report = pd.DataFrame(rows)
    report["team"] = report["team"].astype(object)
    report["capacity"] = report["capacity"].astype("Int64")
    return report


def spread_summary(assignments: pd.DataFrame, reps: RoutingConfig | Sequence[Rep]) -> pd.DataFrame:
    """Per routing pool: reps, leads, spread (max − min expected conversions over the pool's reps, from the
    pool's leads), largest_lead (largest routed probability), top_tier_spread, within_bound (spread ≤ largest_lead).
    """
    config = _config(reps)
    assigned = assignments[assignments["rep"].notna()]
    rows = []
    for team in (None, *config.teams):
        pool = assigned[assigned["team"].isna() if team is None else assigned["team"] == team]
        if pool.empty:
            continue
        names = [rep.name for rep in config.members(team)]
        sums = pool.groupby("rep")["probability"].sum().reindex(names, fill_value=0.0)
        tops = pool.groupby("rep")["top_tier"].sum().reindex(names, fill_value=0)
        spread = float(sums.max() - sums.min())
        largest = float(pool["probability"].max())
        rows.append({
            "team": team,
            "reps": len(names),
            "leads": len(pool),
            "spread": spread,
            "largest_lead": largest,
            "top_tier_spread": int(tops.max() - tops.min()),
            "within_bound": spread <= largest + TOLERANCE,
        })  # fmt: skip
    columns = ["team", "reps", "leads", "spread", "largest_lead", "top_tier_spread", "within_bound"]
    summary = pd.DataFrame(rows, columns=columns)
    summary["team"] = summary["team"].astype(object)
    return summary
