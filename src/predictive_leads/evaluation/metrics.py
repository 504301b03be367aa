"""How well a scorer works, measured the way sales teams and data scientists read it.

Pure functions: arrays and frames in, dicts and frames out; no I/O, no printing. Every figure here is meant
to be computed on an out-of-time test period (the caller chooses the rows); nothing here fits anything.

Definitions (the same everywhere in this module):

- ``y`` is the outcome, 1 = converted within the horizon, 0 = not (booleans are accepted).
- ``p`` is a probability in [0, 1]; a *score* is anything where higher means more likely to convert: a
  probability, a 1–100 score or rule points (ties allowed).
- **ROC AUC** counts tied scores as half a correct ordering (as scikit-learn does). **PR AUC** is average
  precision, computed step-wise at the distinct score values (as scikit-learn's ``average_precision_score``).
- **KS** is one-sided, in the direction of the score: the largest ``TPR − FPR`` over all thresholds
  ``score >= t`` (the largest gap between the score distributions of non-converters and converters). A score
  no better than its reverse has KS 0.
- **Top-k lift and capture** take the ``m = round(k·n)`` (at least 1) highest-scored rows. When the cut falls
  inside a group of tied scores, that group is shared out proportionally: the rows above the cut count in
  full and the remaining slots get the tied group's conversion rate. That is the expected value under a
  random order within ties, so the result does not depend on row order (a constant score has lift 1 and
  captures exactly k of the conversions). ``capture@k`` = expected conversions in the top m / all
  conversions; ``lift@k`` = conversion rate in the top m / overall conversion rate.
- **ECE** (expected calibration error) uses equal-mass bins: rows sorted by ``p`` are cut into ``n_bins``
  groups of (nearly) equal size, row ``i`` of the sorted order going to bin ``floor(i·n_bins / n)``; rows with
  the same ``p`` always share the bin of the first of them, so the binning does not depend on row order
  (with many ties a bin may be larger and another empty; empty bins are dropped).
  ``ECE = Σ_b (n_b / n) · |mean p_b − conversion rate_b|``. :func:`reliability` shows the same bins.
- **Wilson interval**: the 95 % score interval for a conversion rate ``k / n`` (good for small ``n`` and rates
  near 0, unlike the normal approximation).
- **Bootstrap**: rows are resampled with replacement, within each outcome class by default (stratified, so
  every resample keeps the observed number of conversions); intervals are percentile intervals. A resample
  with a single class (possible only without stratification) is skipped. The same seed gives the same
  resamples everywhere, so :func:`compare` and :func:`bootstrap_ci` agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

DEFAULT_BANDS = ((1, 20), (21, 40), (41, 60), (61, 80), (81, 100))
DEFAULT_TOP = (0.1, 0.2)
WILSON_Z = 1.959963984540054  # two-sided 95 %
LOG_LOSS_EPS = 1e-15
MISSING = "(missing)"
OTHER = "(other)"
MODEL = "model"
MODEL_SCORE = "model_score"

__all__ = [
    "DEFAULT_BANDS",
    "band_table",
    "bootstrap_ci",
    "classification_metrics",
    "compare",
    "evaluation",
    "group_table",
    "ranking_metrics",
    "reliability",
    "segment_table",
    "to_jsonable",
    "wilson_interval",
]


# ------------------------------------------------------------------------------------------ input checks


def _outcome(y, *, name: str = "y") -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: there is nothing to evaluate")
    if arr.dtype == bool:
        return arr.astype(np.int8)
    try:
        num = arr.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold 0/1 outcomes, got values of type {arr.dtype}") from None
    bad = ~np.isin(num, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"{name} must hold 0/1 outcomes; found {arr[bad][0]!r} ({int(bad.sum())} such values)")
    return num.astype(np.int8)


def _scores(s, n: int, *, name: str) -> np.ndarray:
    try:
        arr = np.asarray(s, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric") from None
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(f"{name} has {arr.size} values but y has {n}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} has {int((~np.isfinite(arr)).sum())} missing or infinite values")
    return arr


def _probabilities(p, n: int, *, name: str = "p") -> np.ndarray:
    arr = _scores(p, n, name=name)
    if (arr < 0).any() or (arr > 1).any():
        raise ValueError(f"{name} must be probabilities in [0, 1]; found values from {arr.min():g} to {arr.max():g}")
    return arr


def _both_classes(y: np.ndarray, what: str) -> None:
    positives = int(y.sum())
    if positives == 0 or positives == y.size:
        only = "converted" if positives else "not-converted"
        raise ValueError(
            f"{what} needs both converted and not-converted leads; all {y.size} rows are {only} "
            "(choose a longer test period or check the labels)"
        )


def _top_key(k: float) -> str:
    return f"{round(k * 100):d}"


def _top_size(k: float, n: float) -> int:
    if not 0 < k <= 1:
        raise ValueError(f"top share must be in (0, 1], got {k}")
    return max(1, math.floor(k * n + 0.5))


# ------------------------------------------------------------------------------------------ core ranking


class _Ranking:
    """A score sorted once: each row's tie group, groups ordered from the highest score down.

    ``summary`` takes optional row weights (bootstrap counts), so resamples reuse the sort.
    """

    def __init__(self, score: np.ndarray):
        order = np.argsort(-score, kind="mergesort")
        ranked = score[order]
        starts = np.r_[True, ranked[1:] != ranked[:-1]]
        group_sorted = np.cumsum(starts) - 1
        self.group = np.empty(score.size, dtype=np.intp)
        self.group[order] = group_sorted
        self.values = ranked[starts]
        self.n_groups = int(group_sorted[-1]) + 1

    def counts(self, y: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        w = np.ones(y.size) if weights is None else weights
        total = np.bincount(self.group, weights=w, minlength=self.n_groups)
        pos = np.bincount(self.group, weights=w * y, minlength=self.n_groups)
        return total, pos

    def summary(self, y: np.ndarray, weights: np.ndarray | None = None, top=DEFAULT_TOP) -> dict | None:
        total, pos = self.counts(y, weights)
        neg = total - pos
        n, n_pos = total.sum(), pos.sum()
        n_neg = n - n_pos
        if n_pos <= 0 or n_neg <= 0:
            return None
        tp, fp = np.cumsum(pos), np.cumsum(neg)
        tpr, fpr = tp / n_pos, fp / n_neg
        tpr0, fpr0 = np.r_[0.0, tpr], np.r_[0.0, fpr]
        auc = float(np.sum(np.diff(fpr0) * (tpr0[1:] + tpr0[:-1]) / 2))
        flagged = tp + fp
        precision = np.divide(tp, flagged, out=np.zeros_like(tp), where=flagged > 0)
        ap = float(np.sum(np.diff(tpr0) * precision))
        ks = float(max(0.0, np.max(tpr - fpr)))
        out = {"roc_auc": auc, "pr_auc": ap, "ks": ks}
        cum = np.cumsum(total)
        base = n_pos / n
        for k in top:
            m = _top_size(k, n)
            g = int(np.searchsorted(cum, m - 1e-9, side="left"))
            before = cum[g] - total[g]
            expected = (tp[g] - pos[g]) + (m - before) * pos[g] / total[g]
            out[f"lift_at_{_top_key(k)}"] = float(expected / m / base)
            out[f"capture_at_{_top_key(k)}"] = float(expected / n_pos)
        return out


def _threshold_rows(y: np.ndarray, score: np.ndarray, thresholds) -> list[dict]:
    if thresholds is None:
        return []
    items = thresholds.items() if isinstance(thresholds, Mapping) else ((None, t) for t in thresholds)
    n, n_pos = y.size, int(y.sum())
    rows = []
    for label, t in items:
        t = float(t)
        flag = score >= t
        k, hits = int(flag.sum()), int(y[flag].sum())
        precision = hits / k if k else None
        rows.append(
            {
                "label": f">= {t:g}" if label is None else str(label),
                "threshold": t,
                "flagged": k,
                "share_flagged": k / n,
                "conversions": hits,
                "precision": precision,
                "recall": hits / n_pos if n_pos else None,
                "lift": precision / (n_pos / n) if precision is not None and n_pos else None,
            }
        )
    return rows


# ------------------------------------------------------------------------------------------ metrics


def wilson_interval(k: float, n: float, z: float = WILSON_Z) -> tuple[float, float]:
    """Wilson score interval for ``k`` conversions out of ``n`` (NaNs when ``n`` is 0)."""
    if n <= 0:
        return (math.nan, math.nan)
    rate = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (rate + z2 / (2 * n)) / denom
    half = z * math.sqrt(rate * (1 - rate) / n + z2 / (4 * n * n)) / denom
    return (min(rate, max(0.0, centre - half)), max(rate, min(1.0, centre + half)))  # rounding never excludes k/n


def _equal_mass_bins(p: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index of every row (see the module docstring: ties share the bin of the first of them)."""
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    order = np.argsort(p, kind="mergesort")
    ranked = p[order]
    pos = np.arange(p.size)
    starts = np.r_[True, ranked[1:] != ranked[:-1]]
    first = np.maximum.accumulate(np.where(starts, pos, 0))
    bins = np.empty(p.size, dtype=np.intp)
    bins[order] = (first * n_bins) // p.size
    return bins


def reliability(y, p, n_bins: int = 10) -> pd.DataFrame:
    """Equal-mass calibration bins: n, mean predicted probability, observed rate (Wilson 95 %) per bin."""
    y = _outcome(y)
    p = _probabilities(p, y.size)
    bins = _equal_mass_bins(p, n_bins)
    rows = []
    for b in np.unique(bins):
        mask = bins == b
        k, m = int(y[mask].sum()), int(mask.sum())
        low, high = wilson_interval(k, m)
        rows.append(
            {
                "bin": int(b),
                "n": m,
                "p_min": float(p[mask].min()),
                "p_max": float(p[mask].max()),
                "mean_predicted": float(p[mask].mean()),
                "observed_rate": k / m,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return pd.DataFrame(rows)


def _ece(y: np.ndarray, p: np.ndarray, n_bins: int) -> float:
    bins = _equal_mass_bins(p, n_bins)
    n = np.bincount(bins, minlength=n_bins)
    sum_p = np.bincount(bins, weights=p, minlength=n_bins)
    sum_y = np.bincount(bins, weights=y, minlength=n_bins)
    used = n > 0
    return float(np.sum(np.abs(sum_p[used] - sum_y[used])) / y.size)


def classification_metrics(y, p, *, n_bins: int = 10) -> dict:
    """Discrimination and calibration of probabilities ``p`` for outcomes ``y``.

    Returns roc_auc, pr_auc, log_loss (``p`` clipped to [1e-15, 1 − 1e-15]), brier, ece (equal-mass bins,
    ``n_bins``), ks, base_rate, mean_predicted, n, positives. Raises ``ValueError`` when ``y`` has one class.
    """
    y = _outcome(y)
    p = _probabilities(p, y.size)
    _both_classes(y, "classification_metrics")
    ranked = _Ranking(p).summary(y, top=())
    clipped = np.clip(p, LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    log_loss = float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)))
    return {
        "roc_auc": ranked["roc_auc"],
        "pr_auc": ranked["pr_auc"],
        "log_loss": log_loss,
        "brier": float(np.mean((p - y) ** 2)),
        "ece": _ece(y, p, n_bins),
        "ece_bins": int(n_bins),
        "ks": ranked["ks"],
        "base_rate": float(y.mean()),
        "mean_predicted": float(p.mean()),
        "n": int(y.size),
        "positives": int(y.sum()),
    }


def ranking_metrics(y, score, *, top: Sequence[float] = DEFAULT_TOP, thresholds=None) -> dict:
    """How well any score orders leads (ties allowed): AUC, PR AUC, KS, lift and capture at each top share.

    ``thresholds`` (a list of values or ``{label: value}``) adds precision and recall of ``score >= value``.
    Keys: roc_auc, pr_auc, ks, lift_at_10, capture_at_10, lift_at_20, capture_at_20 (for the default ``top``),
    base_rate, n, positives, thresholds (a list of rows).
    """
    y = _outcome(y)
    s = _scores(score, y.size, name="score")
    _both_classes(y, "ranking_metrics")
    out = _Ranking(s).summary(y, top=top)
    out.update(base_rate=float(y.mean()), n=int(y.size), positives=int(y.sum()))
    out["thresholds"] = _threshold_rows(y, s, thresholds)
    return out


# ------------------------------------------------------------------------------------------ bootstrap


def _resamples(y: np.ndarray, n_boot: int, seed: int, stratify: bool) -> Iterator[np.ndarray]:
    """Row indices of each bootstrap resample (stratified by outcome unless told otherwise)."""
    rng = np.random.default_rng(seed)
    if stratify:
        classes = [np.flatnonzero(y == c) for c in np.unique(y)]
        for _ in range(n_boot):
            yield np.concatenate([idx[rng.integers(0, idx.size, idx.size)] for idx in classes])
    else:
        for _ in range(n_boot):
            yield rng.integers(0, y.size, y.size)


def percentile_interval(values: Sequence[float], alpha: float = 0.05) -> tuple[float, float]:
    """The ``1 − alpha`` percentile interval of bootstrap ``values`` ((NaN, NaN) without any)."""
    vals = np.asarray(values, dtype=float)
    if vals.size == 0:
        return (math.nan, math.nan)
    low, high = np.quantile(vals, [alpha / 2, 1 - alpha / 2])
    return (float(low), float(high))


def bootstrap_ci(
    fn: Callable[..., float],
    *arrays,
    n_boot: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
    stratify: bool = True,
) -> tuple[float, float, float]:
    """``(fn(*arrays), low, high)``: the estimate and its ``1 − alpha`` percentile bootstrap interval.

    The first array is the outcome ``y``: resampling is stratified by it (unless ``stratify=False``) and
    resamples where it has a single class, or where ``fn`` gives a non-finite value, are skipped. All arrays
    are resampled with the same row indices. Deterministic for a given ``seed``.
    """
    if not arrays:
        raise ValueError("bootstrap_ci needs at least the outcome array")
    cols = [np.asarray(a) for a in arrays]
    y = cols[0]
    if any(c.shape[0] != y.shape[0] for c in cols):
        raise ValueError("bootstrap_ci: all arrays must have the same number of rows")
    estimate = float(fn(*cols))
    stats = []
    for idx in _resamples(y, n_boot, seed, stratify):
        yb = y[idx]
        if np.unique(yb).size < 2:
            continue
        value = float(fn(*(c[idx] for c in cols)))
        if math.isfinite(value):
            stats.append(value)
    low, high = percentile_interval(stats, alpha)
    return (estimate, low, high)


def compare(
    y,
    scores: Mapping[str, object],
    *,
    n_boot: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
    top: Sequence[float] = DEFAULT_TOP,
    stratify: bool = True,
) -> pd.DataFrame:
    """One row per scorer: AUC, PR AUC, KS, lift and capture at each top share, each with its bootstrap CI.

    The first scorer is the reference: ``auc_diff`` is its AUC minus this scorer's AUC, with a paired
    bootstrap interval (every scorer is measured on the same resamples) and ``share_first_better``, the share
    of resamples in which the first scorer's AUC is strictly higher (None on the first row).
    """
    y = _outcome(y)
    if not scores:
        raise ValueError("compare needs at least one scorer")
    _both_classes(y, "compare")
    names = list(scores)
    rankings = {name: _Ranking(_scores(scores[name], y.size, name=f"score {name!r}")) for name in names}
    full = {name: r.summary(y, top=top) for name, r in rankings.items()}
    metrics = list(full[names[0]])
    boot: dict[str, list[dict]] = {name: [] for name in names}
    for idx in _resamples(y, n_boot, seed, stratify):
        w = np.bincount(idx, minlength=y.size).astype(float)
        results = {name: r.summary(y, w, top=top) for name, r in rankings.items()}
        if any(v is None for v in results.values()):
            continue
        for name in names:
            boot[name].append(results[name])
    first_auc = np.array([b["roc_auc"] for b in boot[names[0]]])
    rows = []
    for name in names:
        row: dict = {"scorer": name}
        for m in metrics:
            row[m] = full[name][m]
            row[f"{m}_low"], row[f"{m}_high"] = percentile_interval([b[m] for b in boot[name]], alpha)
        diff = first_auc - np.array([b["roc_auc"] for b in boot[name]])
        row["auc_diff"] = full[names[0]]["roc_auc"] - full[name]["roc_auc"]
        row["auc_diff_low"], row["auc_diff_high"] = percentile_interval(diff, alpha)
        row["share_first_better"] = None if name == names[0] or not diff.size else float(np.mean(diff > 0))
        row["n_boot"] = len(boot[name])
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ tables


def _rate_row(y: np.ndarray, p: np.ndarray, mask: np.ndarray, base_rate: float) -> dict:
    n, k = int(mask.sum()), int(y[mask].sum())
    low, high = wilson_interval(k, n)
    rate = k / n if n else math.nan
    return {
        "n": n,
        "share": n / y.size,
        "conversions": k,
        "conversion_rate": rate,
        "ci_low": low,
        "ci_high": high,
        "mean_p": float(p[mask].mean()) if n else math.nan,
        "lift": rate / base_rate if n and base_rate > 0 else math.nan,
    }


def band_table(y, p, score, bands: Sequence[tuple[float, float]] = DEFAULT_BANDS) -> pd.DataFrame:
    """Per score band ``low <= score <= high``: n, share, conversions, conversion rate with its Wilson 95 %
    interval, mean predicted probability and lift. Every score must fall in a band (else ``ValueError``)."""
    y = _outcome(y)
    p = _probabilities(p, y.size)
    s = _scores(score, y.size, name="score")
    base = float(y.mean())
    covered = np.zeros(y.size, dtype=bool)
    rows = []
    for lo, hi in bands:
        if lo > hi:
            raise ValueError(f"band ({lo}, {hi}) is empty: its low end is above its high end")
        mask = (s >= lo) & (s <= hi)
        if (covered & mask).any():
            raise ValueError(f"band ({lo}, {hi}) overlaps an earlier band")
        covered |= mask
        rows.append({"band": f"{lo:g}–{hi:g}", "low": lo, "high": hi, **_rate_row(y, p, mask, base)})
    if not covered.all():
        outside = s[~covered]
        raise ValueError(f"{outside.size} scores fall in no band (e.g. {outside[0]:g}); bands are {list(bands)}")
    return pd.DataFrame(rows)


def _labels(values, n: int, *, name: str) -> pd.Series:
    s = pd.Series(values).reset_index(drop=True)
    if len(s) != n:
        raise ValueError(f"{name} has {len(s)} values but y has {n}")
    return s


def _ordered_values(s: pd.Series) -> list:
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna().unique())
        return [c for c in s.cat.categories if c in present]
    values = list(s.dropna().unique())
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def group_table(y, p, groups) -> pd.DataFrame:
    """Per group (e.g. grade A–D): the columns of :func:`band_table`. Categorical groups keep their order,
    others are sorted; missing values form a last ``(missing)`` group."""
    y = _outcome(y)
    p = _probabilities(p, y.size)
    g = _labels(groups, y.size, name="groups")
    base = float(y.mean())
    missing = g.isna().to_numpy()
    rows = [{"group": str(v), **_rate_row(y, p, (g == v).to_numpy(dtype=bool, na_value=False), base)}
            for v in _ordered_values(g)]  # fmt: skip
    if missing.any():
        rows.append({"group": MISSING, **_rate_row(y, p, missing, base)})
    return pd.DataFrame(rows)


def segment_table(y, p, segments: pd.DataFrame, *, min_n: int = 30, max_values: int = 20) -> pd.DataFrame:
    """Per value of every segment column: n, share, conversions, conversion rate, mean p, AUC (NaN for one class).

    Values with fewer than ``min_n`` rows, and any beyond the ``max_values`` largest, are pooled into one
    ``(other)`` row per column, so each column's rows add up to all rows. Missing values are ``(missing)``.
    Rows are ordered by column, then by size (largest first), then by value.
    """
    y = _outcome(y)
    p = _probabilities(p, y.size)
    if len(segments) != y.size:
        raise ValueError(f"segments has {len(segments)} rows but y has {y.size}")
    base = float(y.mean())
    rows = []
    for col in segments.columns:
        s = segments[col].reset_index(drop=True)
        labels = s.astype(object).where(s.notna(), MISSING).map(str)
        counts = labels.value_counts(sort=False)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        keep = [v for v, c in ranked[:max_values] if c >= min_n]
        pooled = ~labels.isin(keep).to_numpy()
        parts = [(v, (labels == v).to_numpy()) for v in keep]
        if pooled.any():
            parts.append((OTHER, pooled))
        for value, mask in parts:
            ym = y[mask]
            auc = _Ranking(p[mask]).summary(ym, top=())["roc_auc"] if 0 < ym.sum() < ym.size else math.nan
            row = _rate_row(y, p, mask, base)
            rows.append({"segment": str(col), "value": value, **row, "roc_auc": auc})
    columns = ["segment", "value", "n", "share", "conversions", "conversion_rate", "ci_low", "ci_high", "mean_p",
               "lift", "roc_auc"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


# ------------------------------------------------------------------------------------------ everything


def fit_engagement_matrix(y, fit_grade, engagement_grade) -> pd.DataFrame:
    """Fit × engagement as the vendors draw it: one row per fit grade, one column per engagement grade, each cell
    the leads and their conversion rate (``"1,234 · 5.6 %"``); grades missing (no such features) read ``—``."""

    def grades(values) -> np.ndarray:
        return pd.Series(np.asarray(values, dtype=object), dtype="string").fillna("—").to_numpy()

    frame = pd.DataFrame({"y": _outcome(y), "fit": grades(fit_grade), "engagement": grades(engagement_grade)})
    cells = frame.groupby(["fit", "engagement"])["y"].agg(["size", "mean"])
    text = {key: f"{int(n):,} · {rate:.1%}" for key, (n, rate) in cells.iterrows()}
    rows = sorted(frame["fit"].unique())
    columns = sorted(frame["engagement"].unique())
    return pd.DataFrame([{"fit grade": f, **{f"engagement {e}": text.get((f, e), "") for e in columns}} for f in rows])


def to_jsonable(obj):
    """Plain JSON values: numpy scalars to Python, NaN/inf to None, tuples to lists, frames to records."""
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray, pd.Series)):
        return [to_jsonable(v) for v in obj]
    if obj is None or obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, str):
        return obj
    return str(obj)


def evaluation(
    y,
    p,
    *,
    score=None,
    grade=None,
    rule_scores: Mapping[str, object] | None = None,
    segments: pd.DataFrame | None = None,
    thresholds: Mapping[str, object] | None = None,
    n_boot: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
    n_bins: int = 10,
    bands: Sequence[tuple[float, float]] = DEFAULT_BANDS,
    min_segment_n: int = 30,
) -> dict:
    """Everything above in one JSON-serialisable dict (the shape of ``metrics.json``).

    ``p`` is the model's probability, ``score`` its 1–100 score, ``grade`` its grade, ``rule_scores`` the
    points of each rule preset / learned scorecard (``{name: array}``), ``segments`` a frame of columns to
    break results down by, ``thresholds`` ``{scorer: [values] or {label: value}}`` where the scorer is
    ``"model"`` (probability), ``"model_score"`` (1–100 score) or a rule name.

    Keys: ``n``, ``positives``, ``base_rate``, ``classification``, ``ranking`` (per scorer),
    ``comparison`` (rows of :func:`compare`, model first), ``headline``, ``reliability``, and when given
    ``bands``, ``grades``, ``segments``; ``settings`` records the choices. Missing values are ``None``.
    """
    y = _outcome(y)
    p = _probabilities(p, y.size)
    rule_scores = dict(rule_scores or {})
    clash = {MODEL, MODEL_SCORE} & set(rule_scores)
    if clash:
        raise ValueError(f"rule score names {sorted(clash)} are reserved for the model; rename them")
    thresholds = dict(thresholds or {})
    scorers: dict[str, np.ndarray] = {MODEL: p}
    if score is not None:
        scorers[MODEL_SCORE] = _scores(score, y.size, name="score")
    for name, s in rule_scores.items():
        scorers[name] = _scores(s, y.size, name=f"rule score {name!r}")
    unknown = set(thresholds) - set(scorers)
    if unknown:
        raise ValueError(f"thresholds for unknown scorers {sorted(unknown)}; known: {list(scorers)}")

    classification = classification_metrics(y, p, n_bins=n_bins)
    ranking = {name: ranking_metrics(y, s, thresholds=thresholds.get(name)) for name, s in scorers.items()}
    table = compare(y, {MODEL: p, **{k: scorers[k] for k in rule_scores}}, n_boot=n_boot, seed=seed, alpha=alpha)
    comparison = to_jsonable(table)

    model_row = comparison[0]
    headline: dict = {
        "model": _headline_entry(model_row),
        "best_rule": None,
        "auc_diff": None,
    }
    if rule_scores:
        best = max(comparison[1:], key=lambda r: (r["roc_auc"], -comparison.index(r)))
        headline["best_rule"] = _headline_entry(best)
        headline["auc_diff"] = {
            "estimate": best["auc_diff"],
            "low": best["auc_diff_low"],
            "high": best["auc_diff_high"],
            "share_model_better": best["share_first_better"],
        }

    out = {
        "n": int(y.size),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()),
        "classification": classification,
        "ranking": ranking,
        "comparison": comparison,
        "headline": headline,
        "reliability": reliability(y, p, n_bins=n_bins),
        "settings": {
            "n_boot": n_boot,
            "seed": seed,
            "alpha": alpha,
            "ece_bins": n_bins,
            "bootstrap": "stratified by outcome, percentile intervals; AUC difference paired",
            "bands": [list(b) for b in bands],
            "min_segment_n": min_segment_n,
        },
    }
    if score is not None:
        out["bands"] = band_table(y, p, scorers[MODEL_SCORE], bands=bands)
    if grade is not None:
        out["grades"] = group_table(y, p, grade)
    if segments is not None:
        out["segments"] = segment_table(y, p, segments, min_n=min_segment_n)
    return to_jsonable(out)


def _headline_entry(row: Mapping) -> dict:
    keys = ("roc_auc", "pr_auc", "lift_at_10", "capture_at_10")
    entry = {"name": row["scorer"]}
    for k in keys:
        if k in row:
            entry[k] = {"estimate": row[k], "low": row[f"{k}_low"], "high": row[f"{k}_high"]}
    return entry
