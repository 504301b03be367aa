"""From calibrated probability to what sales sees: a 1–100 score, a grade and a tier.

All maps are fitted once on a reference population, stored as JSON with the model, and applied row by row,
so a lead's score never depends on the batch it is scored in.

* **Score** = percentile of the lead's calibrated probability in the reference population (the most recent
  held-out leads at training time), 1–100: a score of 87 means the lead ranks above 86 % of those leads.
  Monotone in probability; equal probabilities get equal scores. The probability is always shown next to it.
* **Grade** A–D from score bands (default A ≥ 90, B ≥ 70, C ≥ 40, D below).
* **Tier** from probability thresholds chosen from the data by a stated rule: ``capacity`` (the team can work
  N leads per scoring run), ``precision`` (the SQL tier converts at least at a target rate) or ``f1``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

DEFAULT_GRADES = (("A", 90), ("B", 70), ("C", 40), ("D", 1))
TIER_RULES = ("capacity", "precision", "f1")


@dataclass(frozen=True)
class ScoreMap:
    """Percentile map: ``cuts`` are the 1st … 99th percentiles of the reference probabilities."""

    cuts: tuple[float, ...]

    @classmethod
    def fit(cls, p_reference: np.ndarray) -> ScoreMap:
        p = np.asarray(p_reference, dtype=float)
        if len(p) == 0:
            raise ValueError("the score map needs a non-empty reference population")
        return cls(tuple(float(x) for x in np.quantile(p, np.arange(1, 100) / 100, method="lower")))

    def score(self, p: np.ndarray) -> np.ndarray:
        return (1 + np.searchsorted(np.asarray(self.cuts), np.asarray(p, dtype=float), side="right")).astype(int)

    def continuous(self, p: np.ndarray) -> np.ndarray:
        """The score without rounding down: equals ``score`` at each cut and is linear in between (1…100)."""
        cuts = np.asarray(self.cuts)
        unique, last = np.unique(cuts[::-1], return_index=True)
        position = len(cuts) - 1 - last  # the last of equal cuts: 1 + number of cuts <= p
        xp = np.concatenate([[0.0], unique, [1.0]])
        fp = np.concatenate([[1.0], position + 2.0, [100.0]])
        return np.interp(np.asarray(p, dtype=float), xp, fp)


def grade_of(score: np.ndarray, bands=DEFAULT_GRADES) -> np.ndarray:
    """Letter grade of each score: the first band whose minimum the score reaches (bands high to low)."""
    score = np.asarray(score)
    out = np.full(score.shape, bands[-1][0], dtype=object)
    for name, minimum in sorted(bands, key=lambda b: b[1]):
        out[score >= minimum] = name
    return out


@dataclass(frozen=True)
class Thresholds:
    """Probability cut-offs per tier (highest first), how they were chosen, and what they promise."""

    rule: str
    cutoffs: tuple[tuple[str, float], ...]
    below: str = "nurture"
    expected: dict = field(default_factory=dict)

    def tier(self, p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        out = np.full(p.shape, self.below, dtype=object)
        for name, cut in sorted(self.cutoffs, key=lambda c: c[1]):
            out[p >= cut] = name
        return out

    def to_dict(self) -> dict:
        return asdict(self) | {"cutoffs": [list(c) for c in self.cutoffs]}

    @classmethod
    def from_dict(cls, d: dict) -> Thresholds:
        return cls(d["rule"], tuple((str(n), float(c)) for n, c in d["cutoffs"]), d.get("below", "nurture"),
                   d.get("expected", {}))  # fmt: skip


def _cut_for_top(p: np.ndarray, k: int) -> float:
    """Probability of the k-th best lead (k ≥ 1): leads at or above it form the top k (ties included)."""
    k = int(np.clip(k, 1, len(p)))
    return float(np.sort(p)[::-1][k - 1])


def _cut_for_precision(y: np.ndarray, p: np.ndarray, target: float) -> float:
    """Lowest cut-off whose leads above it convert at ≥ target (the cut maximising coverage at that precision)."""
    order = np.argsort(-p, kind="stable")
    hits = np.cumsum(y[order])
    precision = hits / np.arange(1, len(p) + 1)
    ok = np.flatnonzero(precision >= target)
    return float(p[order][ok.max()]) if len(ok) else float(p.max())


def _cut_for_f(y: np.ndarray, p: np.ndarray, beta: float) -> float:
    order = np.argsort(-p, kind="stable")
    tp = np.cumsum(y[order])
    k = np.arange(1, len(p) + 1)
    precision, recall = tp / k, tp / max(y.sum(), 1)
    f = (1 + beta**2) * precision * recall / np.maximum(beta**2 * precision + recall, 1e-12)
    return float(p[order][int(np.argmax(f))])


def choose_thresholds(
    y: np.ndarray,
    p: np.ndarray,
    *,
    rule: str = "capacity",
    runs: int = 1,
    sql_capacity: int = 200,
    mql_capacity: int = 1000,
    sql_precision: float = 0.25,
    mql_precision: float = 0.10,
) -> Thresholds:
    """SQL and MQL probability cut-offs from held-out data by ``rule``.

    ``capacity``: per scoring run (``runs`` snapshots in ``y``/``p``) sales can call ``sql_capacity`` leads and
    marketing can nurture ``mql_capacity`` more. ``precision``: SQL converts at ≥ ``sql_precision``, MQL at ≥
    ``mql_precision``. ``f1``: SQL maximises F1, MQL maximises F2 (recall-weighted).
    """
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    if rule not in TIER_RULES:
        raise ValueError(f"unknown tier rule {rule!r}; choose from {', '.join(TIER_RULES)}")
    if rule == "capacity":
        per_run = len(p) / max(runs, 1)
        sql = _cut_for_top(p, round(sql_capacity * len(p) / per_run))
        mql = _cut_for_top(p, round((sql_capacity + mql_capacity) * len(p) / per_run))
    elif rule == "precision":
        sql, mql = _cut_for_precision(y, p, sql_precision), _cut_for_precision(y, p, mql_precision)
    else:
        sql, mql = _cut_for_f(y, p, 1.0), _cut_for_f(y, p, 2.0)
    mql = min(mql, sql)
    expected = {}
    for name, cut in (("SQL", sql), ("MQL", mql)):
        above = p >= cut
        expected[name] = {
            "probability_cutoff": cut,
            "leads_per_run": float(above.sum() / max(runs, 1)),
            "expected_conversions_per_run": float(p[above].sum() / max(runs, 1)),
            "observed_precision": float(y[above].mean()) if above.any() else None,
            "observed_recall": float(y[above].sum() / max(y.sum(), 1)),
        }
    return Thresholds(rule, (("SQL", sql), ("MQL", mql)), expected=expected)
