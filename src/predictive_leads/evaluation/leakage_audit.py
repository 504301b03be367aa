"""The leakage audit: find, from the data alone, the columns a model must not train on.

A column that leaks the outcome (a status the sales team sets after contact, a rep's rating, a field filled
only for customers) looks like a brilliant feature offline and is useless when a lead must be scored. The
audit never matches column names: it measures each column against the label and the row order, so it works
on exports nobody has seen. One row per flagged column, most severe first::

    audit = leakage_audit(X, y)
    X_kept, dropped = apply_audit(X, audit, keep=["Lead Source"])

Checks (``check`` column):

- ``single_column_auc``: the column alone ranks converters above the others too well. Continuous numbers
  are scored by their rank AUC (missing values placed at whichever end separates better); categories, text,
  flags and numbers with at most :data:`MAX_CODE_LEVELS` distinct values (often codes, e.g. a status 1/2/3)
  by the AUC of an OUT-OF-FOLD target encoding (missing is its own level; a level unseen in the other folds
  gets the prior), so a high-cardinality column cannot score by memorising rows. AUCs are symmetric,
  ``max(auc, 1 - auc)``. Flagged when the AUC reaches :data:`AUC_THRESHOLD`, or reaches
  :data:`RELATIVE_FLOOR` in a top group standing :data:`RELATIVE_GAP` above every weaker column.
- ``missingness_predicts_label``: whether the column is filled tells the outcome (2–98 % missing).
- ``timestamp``: a datetime column, or text most of whose distinct values parse as dates.
- ``identifier``: (nearly) unique per row, or a whole-number sequence rising with row order or ``time``.
- ``constant``: at most one distinct value (nothing to learn, often an export artefact).

How the thresholds were chosen (symmetric single-column AUCs, measured with this module):

- honest columns, synthetic world (``generate_world`` + ``build_training_set``, monthly as_of dates over a
  year, 2k–50k leads, 2–10 % conversion): at the default 90-day horizon the strongest are recent activity
  (``events_7d``, ``active_days_30d``, ``events_30d``) at 0.69–0.73, then ``seniority`` 0.62; a short horizon
  makes recent activity nearly the outcome itself: 0.81–0.84 at 30 days, 0.87–0.89 at 7–14 days. They come
  as a continuum: below any column at 0.70 or more, the next is at most 0.041 lower. Honest is-missing AUCs
  reach 0.60 (0.66 at 14 days).
- X Education (real export): the sales-entered ``Tags`` reach 0.92 and ``Lead Quality`` 0.80, 0.07 above
  the next column. Columns a lead fills in or causes reach 0.70 (``What is your current occupation``), 0.65
  (``Total Time Spent on Website``, rank) and is-missing AUCs of 0.65; the documented suspects
  ``Last Activity`` (0.72), ``Last Notable Activity`` (0.70), ``Lead Profile`` (0.67) and the Asymmetrique
  indices and scores (≤ 0.65) sit among them, so the data cannot tell them apart and they are not flagged.

Hence an absolute rule above every honest column measured (0.90), and a relative rule for the leak that is
not extreme but stands alone (floor 0.75; gap 0.05, above the largest honest gap, or two standard errors).
The limits: a data set whose few strong honest columns stand far above many weak ones will see them
flagged (keep them), and a leak no stronger than honest columns cannot be found from the data.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

AUC_THRESHOLD = 0.90
"""Single-column AUC at which a column is always flagged. Honest synthetic columns reach at most 0.887 (14-day
horizon; 0.70–0.73 at the default 90 days); ``Tags`` on X Education reaches 0.92."""

RELATIVE_FLOOR = 0.75
RELATIVE_GAP = 0.05
"""A column at or above the floor is also flagged when it belongs to a top group that stands at least the gap
(or twice the AUC's standard error, if larger) above every weaker column. Below honest synthetic columns at
0.70 or more the next column is at most 0.041 lower (0.035 or less with 190 positives or more); on X
Education ``Lead Quality`` (0.80) stands 0.07 above ``Last Activity`` (0.72)."""

MIN_RELATIVE_COLUMNS = 5
"""The relative rule needs at least this many scored columns: with fewer, "the others" are no reference."""

MISSING_AUC_THRESHOLD = 0.70
"""Is-missing AUC at which a column is flagged: honest columns reach 0.56–0.60 on the synthetic world at 90
days (0.66 at a 14-day horizon) and 0.65 on X Education (form fields such as ``What matters most to you in
choosing a course``); ``Lead Quality`` reaches 0.69; a field filled only for converters reaches 1.0."""

MISSING_SHARE_RANGE = (0.02, 0.98)
"""The missingness check runs only when this share of rows is missing (otherwise the indicator is too rare)."""

IDENTIFIER_UNIQUE_SHARE = 0.95
"""A discrete column with at least this share of distinct values among its filled rows is an identifier."""

SEQUENCE_MIN_UNIQUE_SHARE = 0.5
SEQUENCE_MIN_SPEARMAN = 0.95
"""A whole-number column with many distinct values that rises (or falls) with row order or time this closely
(|Spearman|) is a sequence number, such as a lead number."""

DATE_PARSE_SHARE = 0.8
"""Text is a timestamp when at least this share of its distinct values look like dates and parse as dates."""

DATE_LIKE = (
    r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"  # 2024-01-05, 5/1/24, 05.01.2024
    r"|[A-Za-z]{3,}\.?\s+\d{1,2},?\s+(?:19|20)\d\d"  # Jan 5, 2024
    r"|\d{1,2}\s+[A-Za-z]{3,}\.?\s+(?:19|20)\d\d"  # 5 January 2024
)
"""Day, month and year with two separators (2024-01-05, 5/1/24, 05.01.2024) or with a month name (Jan 5, 2024;
5 January 2024): size bands (11-50), ratings (3/5) and codes (02.Medium) are not dates."""

MAX_CODE_LEVELS = 20
"""Numbers with at most this many distinct values are scored like categories (they are often codes)."""

MIN_CLASS_ROWS = 10
"""AUC checks need at least this many rows of each class; with fewer, an AUC says nothing and they are skipped."""

N_FOLDS = 5
MIN_ROWS = 20

CHECKS = ("missingness_predicts_label", "single_column_auc", "timestamp", "identifier", "constant")
"""When several checks fire on one column, the first here names it (the most specific diagnosis: a column filled
only for converters also scores a high AUC, but its missingness is the reason)."""

SEVERITY = {"missingness_predicts_label": 0, "single_column_auc": 0, "timestamp": 1, "identifier": 2, "constant": 3}
"""Row order of the audit: leaks first (strongest metric first), then timestamps, identifiers, constants."""

AUDIT_COLUMNS = ["column", "reason", "check", "metric", "action"]


@dataclass(frozen=True)
class Finding:
    """One check that fired on one column."""

    column: Hashable
    check: str
    metric: float
    reason: str


# ---------------------------------------------------------------------------------------------- public


def leakage_audit(
    X: pd.DataFrame,
    y,
    *,
    time: pd.Series | Sequence | None = None,
    auc_threshold: float = AUC_THRESHOLD,
    missing_auc_threshold: float = MISSING_AUC_THRESHOLD,
    relative_floor: float = RELATIVE_FLOOR,
    relative_gap: float | None = RELATIVE_GAP,
    random_state: int = 0,
) -> pd.DataFrame:
    """One row per flagged column (``column, reason, check, metric, action``), most severe first; the table's
    ``attrs["notes"]`` say which thresholds were used and which checks could not run.

    ``y`` holds 0/1 labels aligned with ``X``; ``time`` (optional, datetimes or numbers aligned with ``X``) is
    the order the sequence check compares against instead of the row order. A column's single-column AUC is
    flagged at ``auc_threshold`` or more, or at ``relative_floor`` or more when it stands at least
    ``relative_gap`` above every weaker column (``relative_gap=None`` turns that rule off). A column that fails
    several checks gets one row, for the check that explains it best (:data:`CHECKS`), and the others are named
    in its reason.
    """
    if X.columns.duplicated().any():
        raise ValueError(f"X has duplicated column names: {', '.join(map(str, X.columns[X.columns.duplicated()]))}")
    labels = _labels(y, len(X))
    order = _order(time, len(X))
    folds = _folds(labels, random_state)
    columns = {name: X[name].reset_index(drop=True) for name in X.columns}
    scores = {name: _column_auc(col, labels, folds) for name, col in columns.items()} if folds else {}
    auc_findings = _auc_findings(scores, labels, auc_threshold, relative_floor, relative_gap)
    findings: list[Finding] = []
    for name, col in columns.items():
        found = [
            f
            for f in (
                auc_findings.get(name),
                _missingness(name, col, labels, missing_auc_threshold),
                _identifier(name, col, order, time is not None),
                _timestamp(name, col),
                _constant(name, col),
            )
            if f is not None
        ]
        if found:
            findings.append(_combine(found))
    table = _table(findings)
    table.attrs["notes"] = _notes(
        labels, bool(folds), auc_threshold, missing_auc_threshold, relative_floor, relative_gap
    )
    return table


def _notes(y: np.ndarray, scored: bool, threshold: float, missing: float, floor: float, gap: float | None) -> list[str]:
    rule = f"; or ≥ {floor:.2f} and ≥ {gap:.2f} above every weaker column" if gap is not None else ""
    notes = [f"single-column AUC flagged at ≥ {threshold:.2f}{rule}; is-missing AUC at ≥ {missing:.2f}"]
    if not scored:
        notes.append(
            f"AUC and missingness checks skipped: {int(y.sum())} positive and {int(len(y) - y.sum())} negative "
            f"rows, fewer than {max(MIN_CLASS_ROWS, N_FOLDS)} of a class"
        )
    return notes


def apply_audit(X: pd.DataFrame, audit: pd.DataFrame, keep: Iterable[str] = ()) -> tuple[pd.DataFrame, list[str]]:
    """Drop the columns the audit says to drop, except those in ``keep``; returns the kept frame and the
    dropped names (in the audit's order). A ``keep`` name that is not a column of ``X`` is an error."""
    keep = list(keep)
    unknown = [k for k in keep if k not in X.columns]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), [str(c) for c in X.columns], n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"keep: no column {unknown[0]!r} in the data{hint}")
    flagged = audit.loc[audit["action"] == "drop", "column"] if len(audit) else pd.Series(dtype=object)
    dropped = [c for c in flagged if c in X.columns and c not in keep]
    return X.drop(columns=dropped), dropped


def auc_score(score: np.ndarray, y: np.ndarray) -> float:
    """ROC AUC of ``score`` against 0/1 ``y`` (ties count half), from average ranks."""
    ranks = pd.Series(score).rank(method="average").to_numpy()
    pos = y == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def symmetric_auc(score: np.ndarray, y: np.ndarray) -> float:
    """``max(auc, 1 - auc)``: how well the score separates the classes, whichever way round."""
    auc = auc_score(score, y)
    return max(auc, 1.0 - auc)


def rank_auc(values: np.ndarray, y: np.ndarray) -> float:
    """Symmetric rank AUC of a number column; missing values go to whichever end separates better."""
    x = np.asarray(values, dtype="float64")
    missing = np.isnan(x)
    if not missing.any():
        return symmetric_auc(x, y)
    return max(symmetric_auc(np.where(missing, s, x), y) for s in (-np.inf, np.inf))


def out_of_fold_encoding_auc(codes: np.ndarray, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """Symmetric AUC of an out-of-fold target encoding of integer level ``codes`` (0..k-1).

    Each held-out row gets its level's conversion rate in the other folds (a level not seen there gets the
    overall rate, one constant for all), so a level that occurs once (an id, free text) cannot score.
    """
    n_levels = int(codes.max()) + 1
    encoded = np.empty(len(y), dtype="float64")
    prior = y.mean()  # one constant for every unseen level: ties, no information
    for train, test in folds:
        hits = np.bincount(codes[train], weights=y[train], minlength=n_levels)
        seen = np.bincount(codes[train], minlength=n_levels)
        rate = np.divide(hits, seen, out=np.full(n_levels, prior), where=seen > 0)
        encoded[test] = rate[codes[test]]
    return symmetric_auc(encoded, y)


# ---------------------------------------------------------------------------------------------- inputs


def _labels(y, n: int) -> np.ndarray:
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(f"y has {len(labels)} labels for {n} rows of X")
    if pd.isna(labels).any() or not np.isin(labels, (0, 1)).all():
        raise ValueError("y must hold 0/1 labels without missing values")
    return labels.astype("int64")


def _order(time, n: int) -> np.ndarray:
    """Ranks of ``time`` (or the row positions) for the sequence check."""
    if time is None:
        return np.arange(n, dtype="float64")
    t = time.reset_index(drop=True) if isinstance(time, pd.Series) else pd.Series(list(time))
    if len(t) != n:
        raise ValueError(f"time has {len(t)} values for {n} rows of X")
    if pd.api.types.is_datetime64_any_dtype(t.dtype):
        return pd.Series(_as_float(t)).rank(method="average").to_numpy()
    return pd.to_numeric(t, errors="coerce").rank(method="average").to_numpy()


def _folds(y: np.ndarray, random_state: int) -> list[tuple[np.ndarray, np.ndarray]]:
    if min(int(y.sum()), int((1 - y).sum())) < max(MIN_CLASS_ROWS, N_FOLDS):
        return []
    splitter = StratifiedKFold(N_FOLDS, shuffle=True, random_state=random_state)
    return list(splitter.split(np.zeros(len(y)), y))


def _is_number(col: pd.Series) -> bool:
    return (
        pd.api.types.is_numeric_dtype(col.dtype)
        and not pd.api.types.is_bool_dtype(col.dtype)
        and not isinstance(col.dtype, pd.CategoricalDtype)
    )


def _is_ordered(col: pd.Series) -> bool:
    """Numbers, datetimes and durations: values with an order, scored by rank."""
    return (
        _is_number(col)
        or pd.api.types.is_datetime64_any_dtype(col.dtype)
        or pd.api.types.is_timedelta64_dtype(col.dtype)
    )


def _as_float(col: pd.Series) -> np.ndarray:
    """Numbers as floats (missing → NaN); datetimes as nanoseconds since the epoch, durations in seconds."""
    if pd.api.types.is_timedelta64_dtype(col.dtype):
        return col.dt.total_seconds().to_numpy(dtype="float64", na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        stamps = col.to_numpy(dtype="datetime64[ns]")
        return np.where(np.isnat(stamps), np.nan, stamps.astype("int64").astype("float64"))
    return col.to_numpy(dtype="float64", na_value=np.nan)


def _level_codes(col: pd.Series) -> np.ndarray:
    """Integer levels 0..k-1 of any column, with missing as a level of its own."""
    codes = pd.factorize(col.astype(object) if isinstance(col.dtype, pd.CategoricalDtype) else col)[0]
    return np.where(codes < 0, codes.max() + 1, codes)


# ---------------------------------------------------------------------------------------------- checks


def _column_auc(col: pd.Series, y: np.ndarray, folds) -> tuple[float, str]:
    """The column's symmetric single-column AUC and how it was measured (0.5 for an empty column)."""
    if col.notna().sum() == 0:
        return 0.5, "single-column AUC"
    ordered = _is_ordered(col)
    aucs = {}
    if ordered:
        aucs["single-column AUC"] = rank_auc(_as_float(col), y)
    if not ordered or col.nunique() <= MAX_CODE_LEVELS:
        aucs["out-of-fold single-column AUC"] = out_of_fold_encoding_auc(_level_codes(col), y, folds)
    how, auc = max(aucs.items(), key=lambda kv: kv[1])
    return auc, how


def _auc_findings(
    scores: dict[str, tuple[float, str]], y: np.ndarray, threshold: float, floor: float, gap: float | None
) -> dict[str, Finding]:
    """Columns whose AUC reaches ``threshold``, plus the top group that stands far above the rest.

    Sorted by AUC, the cut is the last column at or above ``floor`` followed by a drop of at least ``gap``
    (or twice the AUC's standard error, if larger: small samples make gaps noisy); every column down to the
    cut is flagged, and the strongest column below it is named as the reference. The relative rule needs
    :data:`MIN_RELATIVE_COLUMNS` scored columns to compare against.
    """
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], str(kv[0])))
    aucs = [auc for _, (auc, _) in ranked]
    cut = -1
    if gap is not None and len(ranked) >= MIN_RELATIVE_COLUMNS:
        n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
        cut = max(
            (
                i
                for i in range(len(ranked) - 1)
                if aucs[i] >= floor and aucs[i] - aucs[i + 1] >= max(gap, 2 * auc_standard_error(aucs[i], n_pos, n_neg))
            ),
            default=-1,
        )
    found = {}
    for i, (name, (auc, how)) in enumerate(ranked):
        if auc >= threshold:
            why = f"{how} {auc:.2f}: too good to be known before the outcome"
        elif i <= cut:
            why = (
                f"{how} {auc:.2f}, far above every other column (next: {ranked[cut + 1][0]} {aucs[cut + 1]:.2f}): "
                "too good to be known before the outcome"
            )
        else:
            break
        found[name] = Finding(name, "single_column_auc", auc, why)
    return found


def auc_standard_error(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982) standard error of an AUC from ``n_pos`` positives and ``n_neg`` negatives."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg)
    return float(np.sqrt(max(var, 0.0)))


def _missingness(name, col, y, threshold) -> Finding | None:
    missing = col.isna().to_numpy()
    share = missing.mean() if len(missing) else 0.0
    low, high = MISSING_SHARE_RANGE
    if not low <= share <= high or min(int(y.sum()), int((1 - y).sum())) < MIN_CLASS_ROWS:
        return None
    auc = symmetric_auc(missing.astype("float64"), y)
    if auc < threshold:
        return None
    filled_pos, filled_neg = 1 - missing[y == 1].mean(), 1 - missing[y == 0].mean()
    return Finding(
        name,
        "missingness_predicts_label",
        auc,
        f"is-missing AUC {auc:.2f}: filled for {filled_pos:.0%} of converted and {filled_neg:.0%} of other "
        "rows, so whether it is filled tells the outcome",
    )


def _identifier(name, col, order, by_time) -> Finding | None:
    present = col.dropna()
    if len(present) < MIN_ROWS or not _is_discrete(present):
        return None
    n_unique = present.nunique()
    unique_share = n_unique / len(present)
    rho = _sequence_rho(col, order) if unique_share >= SEQUENCE_MIN_UNIQUE_SHARE else 0.0
    along = "time" if by_time else "row order"
    if abs(rho) >= SEQUENCE_MIN_SPEARMAN:
        unique = "unique for every row" if n_unique == len(present) else f"{unique_share:.0%} distinct"
        return Finding(
            name,
            "identifier",
            abs(rho),
            f"sequence number: {unique} and {'rising' if rho > 0 else 'falling'} with {along} "
            f"(Spearman {rho:.2f}), an identifier or a clock, not a property of the lead",
        )
    if unique_share >= IDENTIFIER_UNIQUE_SHARE:
        return Finding(
            name,
            "identifier",
            unique_share,
            f"{unique_share:.0%} of values are distinct ({n_unique:,} of {len(present):,}): an identifier or free "
            "text that cannot generalise to new leads",
        )
    return None


def _is_discrete(present: pd.Series) -> bool:
    """Text, categories and whole numbers can be identifiers; measured quantities (fractions) cannot."""
    if pd.api.types.is_bool_dtype(present.dtype) or (_is_ordered(present) and not _is_number(present)):
        return False  # flags, datetimes (the timestamp check's business) and durations
    if _is_number(present):
        values = present.to_numpy(dtype="float64")
        return bool(np.all(values == np.round(values)))
    return True


def _sequence_rho(col: pd.Series, order: np.ndarray) -> float:
    if not _is_number(col):
        return 0.0
    values = pd.Series(col.to_numpy(dtype="float64", na_value=np.nan))
    keep = values.notna().to_numpy() & ~np.isnan(order)
    if keep.sum() < MIN_ROWS:
        return 0.0
    rho = pd.Series(values[keep].rank().to_numpy()).corr(pd.Series(pd.Series(order[keep]).rank().to_numpy()))
    return 0.0 if pd.isna(rho) else float(rho)


def _timestamp(name, col) -> Finding | None:
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return Finding(name, "timestamp", 1.0, "a timestamp: when something happened is not a property of the lead")
    if _is_number(col) or pd.api.types.is_bool_dtype(col.dtype):
        return None
    share = _date_share(col)
    if share < DATE_PARSE_SHARE:
        return None
    return Finding(
        name,
        "timestamp",
        share,
        f"{share:.0%} of its values parse as dates: when something happened is not a property of the lead",
    )


def _date_share(col: pd.Series, sample: int = 500) -> float:
    """Share of distinct values that look like dates (day, month and year, or a year in words) and parse."""
    values = pd.Series(col.dropna().astype(str).unique()[:sample], dtype="string").str.strip()
    if values.empty:
        return 0.0
    candidates = values[values.str.contains(DATE_LIKE).fillna(False)]
    if len(candidates) < DATE_PARSE_SHARE * len(values):
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(candidates, errors="coerce", format="mixed", utc=True)
    return float(parsed.notna().sum() / len(values))


def _constant(name, col) -> Finding | None:
    n_unique = col.nunique(dropna=True)
    if n_unique > 1:
        return None
    if n_unique == 0:
        return Finding(name, "constant", 1.0, "every value is missing: nothing to learn")
    value = col.dropna().iloc[0]
    filled = col.notna().mean()
    tail = "" if filled == 1 else f" ({filled:.0%} filled, the rest missing)"
    return Finding(name, "constant", 1.0, f"one value only ({value!r}){tail}: nothing to learn")


# ---------------------------------------------------------------------------------------------- output


def _combine(found: list[Finding]) -> Finding:
    """The finding that names the column (see :data:`CHECKS`), with the other checks that fired in its reason."""
    found = sorted(found, key=lambda f: CHECKS.index(f.check))
    first, others = found[0], found[1:]
    if not others:
        return first
    also = "".join(f"; also {f.check}: {f.reason.split(':')[0]}" for f in others)
    return Finding(first.column, first.check, first.metric, first.reason + also)


def _table(findings: list[Finding]) -> pd.DataFrame:
    rows = sorted(findings, key=lambda f: (SEVERITY[f.check], -f.metric, str(f.column)))
    return pd.DataFrame(
        {
            "column": [f.column for f in rows],
            "reason": [f.reason for f in rows],
            "check": [f.check for f in rows],
            "metric": np.array([round(f.metric, 4) for f in rows], dtype="float64"),
            "action": ["drop"] * len(rows),
        },
        columns=AUDIT_COLUMNS,
    )
