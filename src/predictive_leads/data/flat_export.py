"""Training data from a flat CRM export: one row per lead, attributes and activity counts already aggregated.

A HubSpot or Salesforce report, or a file such as the X Education lead export, has no event history, so the
point-in-time pipeline cannot build it; it is read as it is and typed here::

    data = read_flat_export("Leads.csv", target="Converted", id_col="Prospect ID")
    data.X, data.y, data.ids, data.notes

Placeholders ("Select", "N/A", "unknown", "") are read as missing, numeric-looking text becomes numbers,
low-cardinality text becomes ``category`` and the target is parsed from the usual spellings. A target that is
missing or unrecognised is an error naming the file, the column and the first offending ids: such rows are
never dropped silently. An id is on one row only: exact copies of a row are collapsed, an id on rows that differ
is an error unless ``duplicate_ids`` says which row to keep, so no lead can be on both sides of a split. Columns
holding personal data (:mod:`predictive_leads.data.personal_data`, found from the values) are left out of ``X``
unless declared safe; the notes name them, never their values. Because nothing proves a flat export is point in
time, run :func:`predictive_leads.evaluation.leakage_audit.leakage_audit` on it before training.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from predictive_leads.data.contracts import MAX_IDS_IN_MESSAGE, SMALL_ROWS, is_missing, row_labels
from predictive_leads.data.files import read_raw, sniff_delimiter
from predictive_leads.data.personal_data import personal_columns, personal_kind

DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    "",
    "select",
    "n/a",
    "na",
    "nan",
    "null",
    "none",
    "unknown",
    "-",
    "?",
    "#n/a",
)
"""Values read as missing, compared case-insensitively after stripping whitespace."""

POSITIVE = frozenset({"1", "1.0", "yes", "y", "true", "converted"})
NEGATIVE = frozenset({"0", "0.0", "no", "n", "false", "not converted"})
TARGET_SPELLINGS = "yes/no, true/false, 1/0, y/n or converted/not converted"

DUPLICATE_RULES = ("error", "first", "last")
"""What to do with an id on several rows that differ: a one-line error, or keep its first or last row."""

MAX_CATEGORIES = 200
"""Text columns with at most this many distinct values (and at most half as many as values) become category."""

_LEADING_ZERO = re.compile(r"^[+-]?0\d")


@dataclass
class FlatData:
    """A typed flat export: features, 0/1 labels, row ids, optional UTC times, what was done to the file and the
    columns found to hold personal data (``{column: kind}``, those declared safe included)."""

    X: pd.DataFrame
    y: np.ndarray
    ids: pd.Series
    time: pd.Series | None
    source: str
    notes: list[str] = field(default_factory=list)
    personal: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- reading


def read_flat_export(
    path: str | os.PathLike,
    *,
    target: str,
    positive_label: str | None = None,
    id_col: str | None = None,
    time_col: str | None = None,
    drop: Sequence[str] = (),
    placeholders: Iterable[str] = DEFAULT_PLACEHOLDERS,
    duplicate_ids: str = "error",
    safe_columns: Sequence[str] = (),
) -> FlatData:
    """Read a one-row-per-lead ``.csv`` (delimiter sniffed, BOM and CRLF tolerated) or ``.parquet`` export and
    type it with :func:`prepare_flat_frame`. Errors are one line naming the file."""
    path = Path(path)
    df, how = _read_file(path)
    data = prepare_flat_frame(
        df,
        target=target,
        positive_label=positive_label,
        id_col=id_col,
        time_col=time_col,
        drop=drop,
        placeholders=placeholders,
        duplicate_ids=duplicate_ids,
        safe_columns=safe_columns,
        source=path.name,
    )
    data.notes.insert(0, f"read {len(df):,} rows x {df.shape[1]} columns from {path.name} ({how})")
    return data


def _read_file(path: Path) -> tuple[pd.DataFrame, str]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix.lower() == ".parquet":
        return read_raw(path), "parquet"
    sep = sniff_delimiter(path)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            df = pd.read_csv(path, sep=sep, dtype="string", keep_default_na=False, na_values=[""], encoding=encoding)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ValueError(f"{path.name}: not a readable CSV file ({str(exc).splitlines()[0]})") from None
        return df, f"delimiter {sep!r}, {encoding}"
    raise ValueError(f"{path.name}: not a readable CSV file (neither UTF-8 nor Windows-1252 text)")


# ---------------------------------------------------------------------------------------------- typing


def prepare_flat_frame(
    df: pd.DataFrame,
    *,
    target: str,
    positive_label: str | None = None,
    id_col: str | None = None,
    time_col: str | None = None,
    drop: Sequence[str] = (),
    placeholders: Iterable[str] = DEFAULT_PLACEHOLDERS,
    duplicate_ids: str = "error",
    safe_columns: Sequence[str] = (),
    source: str = "frame",
) -> FlatData:
    """Type an in-memory flat export: placeholders → missing, one row per id, personal data out, numbers,
    categories, UTC time, 0/1 target.

    ``target``, ``id_col``, ``time_col`` and ``drop`` are taken out of ``X``. Rows repeating another row exactly
    (same id, same values) are collapsed; an id on rows that differ raises :class:`DuplicateIdError` unless
    ``duplicate_ids`` is ``"first"`` or ``"last"`` (the row kept). Columns holding personal data are left out of
    ``X`` unless named in ``safe_columns``. The caller's frame is not modified.
    """
    if duplicate_ids not in DUPLICATE_RULES:
        raise ValueError(f"duplicate_ids must be one of {', '.join(DUPLICATE_RULES)}, not {duplicate_ids!r}")
    roles = {"target": [target], "id_col": [id_col], "time_col": [time_col], "drop": list(drop),
             "safe_columns": list(safe_columns)}  # fmt: skip
    _check_columns(df, source, {role: [n for n in names if n is not None] for role, names in roles.items()})
    if df.empty:
        raise ValueError(f"{source}: no rows (only a header): nothing to train on")
    frame = df.reset_index(drop=True)
    special = {target, id_col, time_col, *drop} - {None}
    frame, replaced = blank_placeholders(frame, placeholders, skip={id_col} - {None})
    ids = _ids(frame, id_col)
    notes, labels = _id_notes(ids) if id_col else ([], ids)
    if id_col:
        frame, ids, labels, repeated = _one_row_per_id(frame, ids, labels, duplicate_ids, source)
        notes += repeated
    if replaced:
        shown = ", ".join(f"{c} ({n:,})" for c, n in sorted(replaced.items(), key=lambda kv: -kv[1]))
        notes.append(f"placeholders read as missing: {shown}")
    y = parse_target(frame[target], positive_label=positive_label, source=source, column=target, ids=labels)
    notes.append(f"target {target!r}: {int(y.sum()):,} positives of {len(y):,} ({y.mean():.1%})")
    time = _parse_time(frame[time_col], source, time_col, labels) if time_col else None
    if drop:
        notes.append(f"dropped on request: {', '.join(drop)}")
    personal = personal_columns(frame[[c for c in frame.columns if c not in special]])
    X = frame[[c for c in frame.columns if c not in special and (c not in personal or c in safe_columns)]]
    X = pd.DataFrame({c: type_column(X[c]) for c in X.columns}, index=X.index)
    personal |= {c: IDENTIFYING_TEXT for c in X.columns if _identifying_text(X[c])}
    notes += _personal_notes(personal, safe_columns)
    X = X[[c for c in X.columns if c not in personal or c in safe_columns]]
    _check_finite(X, source, labels)
    notes.append(_type_summary(X))
    return FlatData(X=X, y=y, ids=ids, time=time, source=source, notes=notes, personal=personal)


def _check_finite(X: pd.DataFrame, source: str, labels: pd.Series) -> None:
    """The validity contract's first rule at this door too: a number that is not finite (inf) is a one-line error."""
    for col in X.columns:
        if pd.api.types.is_float_dtype(X[col].dtype):
            infinite = np.isinf(X[col].to_numpy(dtype="float64", na_value=np.nan))
            if infinite.any():
                n = int(infinite.sum())
                raise ValueError(f"{source}: column {col!r}: {n:,} {'row has' if n == 1 else 'rows have'} a value "
                                 f"that is not a finite number; first ids: {_first(labels[infinite])}")  # fmt: skip


def _check_columns(df: pd.DataFrame, source: str, roles: dict[str, list[str]]) -> None:
    """One-line error for the first unknown column, with close matches."""
    columns = [str(c) for c in df.columns]
    lowered = {c.lower(): c for c in columns}
    for role, names in roles.items():
        for name in names:
            if name in df.columns:
                continue
            close = difflib.get_close_matches(str(name).lower(), list(lowered), n=3, cutoff=0.6)
            if close:
                hint = f"did you mean {', '.join(repr(lowered[c]) for c in close)}?"
            else:
                hint = f"no close match among {len(columns)} columns: {_first(pd.Series(columns))}"
            raise UnknownColumnError(f"{source}: no column {name!r} ({role}); {hint}")


class UnknownColumnError(ValueError):
    """A column named by the caller is not in the data (a ValueError, so its message prints as one line)."""


def _ids(frame: pd.DataFrame, id_col: str | None) -> pd.Series:
    if id_col is None:
        return row_labels(len(frame), "row")
    return frame[id_col].astype("string").str.strip().rename(id_col)


def _id_notes(ids: pd.Series) -> tuple[list[str], pd.Series]:
    """Rows without an id, and the labels messages name rows by: the ids, or row numbers when the ids are
    themselves personal data (emails, phone numbers, names), since notes are printed and stored."""
    notes, labels = [], ids
    kind = personal_kind(ids)
    if kind:
        labels = row_labels(len(ids), "row")
        notes.append(f"id column {ids.name!r} holds {kind}: messages name rows, not ids")
    if ids.isna().any():
        n = int(ids.isna().sum())
        notes.append(f"id column {ids.name!r}: {n:,} {'row' if n == 1 else 'rows'} without an id")
    return notes, labels


class DuplicateIdError(ValueError):
    """An id is on several rows that differ (a ValueError, so its message prints as one line)."""


def _one_row_per_id(
    frame: pd.DataFrame, ids: pd.Series, labels: pd.Series, rule: str, source: str
) -> tuple[pd.DataFrame, pd.Series, pd.Series, list[str]]:
    """Exact copies of a row (same id, same values) collapsed into one; an id on rows that differ is a
    :class:`DuplicateIdError`, or (``rule`` first or last) its first or last row in the file is kept. Returns the
    frame, ids and labels left and the notes; rows without an id are left as they are."""
    notes, has_id = [], ids.notna().to_numpy()
    key = frame.copy(deep=False)
    key[ids.name] = ids  # compared as read (stripped)
    copies = key.duplicated(keep="last" if rule == "last" else "first").to_numpy() & has_id
    if copies.any():
        n = int(copies.sum())
        what = "row was an exact copy" if n == 1 else "rows were exact copies"
        notes.append(f"id column {ids.name!r}: {n:,} {what} of another row (same id, same values), collapsed: "
                     f"{_first(labels[copies].drop_duplicates())}")  # fmt: skip
    kept = ~copies
    left = ids.where(kept)
    repeated = left.duplicated(keep=False).to_numpy() & has_id & kept
    if repeated.any():
        n_ids = ids[repeated].nunique()
        first = _first(labels[repeated & ~left.duplicated().to_numpy()])
        if rule == "error":
            raise DuplicateIdError(
                f"{source}: id column {ids.name!r}: {n_ids:,} {'id is' if n_ids == 1 else 'ids are'} on several "
                f"rows that differ; first ids: {first}; keep one row per id with --duplicate-ids first|last"
            )
        later = left.duplicated(keep=rule).to_numpy() & has_id & kept
        kept &= ~later
        notes.append(f"id column {ids.name!r}: {n_ids:,} {'id is' if n_ids == 1 else 'ids are'} on several rows "
                     f"that differ; kept the {rule} row of each ({int(later.sum()):,} dropped): {first}")  # fmt: skip
    if kept.all():
        return frame, ids, labels, notes
    return (frame[kept].reset_index(drop=True), ids[kept].reset_index(drop=True),
            labels[kept].reset_index(drop=True), notes)  # fmt: skip


IDENTIFYING_TEXT = "text with too many distinct values for a category: may identify a person"
"""Text left after typing (neither a number nor a category: surnames, addresses, notes) is left out like personal
data: as a category every distinct value would be stored in the model, and it cannot generalise anyway."""


def _identifying_text(values: pd.Series) -> bool:
    """Text that typing left as text (too many distinct values for a category), with at least 20 of them."""
    plain = _is_text(values) and not isinstance(values.dtype, pd.CategoricalDtype)
    return plain and values.nunique() >= 20


def _personal_notes(personal: dict[str, str], safe: Sequence[str]) -> list[str]:
    """The columns holding personal data (name and kind, never a value): left out, or used as declared safe."""
    left_out = [f"{c} ({k})" for c, k in personal.items() if c not in safe]
    used = [f"{c} ({k})" for c, k in personal.items() if c in safe]
    notes = []
    if left_out:
        notes.append(f"personal data left out (never a feature, never stored): {', '.join(left_out)}; if one is "
                     "not personal, use it with --safe-column COL")  # fmt: skip
    if used:
        notes.append(f"declared safe, used although they look personal: {', '.join(used)}")
    return notes


def blank_placeholders(
    frame: pd.DataFrame, placeholders: Iterable[str], skip: set[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Text values that are placeholders become missing; returns the new frame and counts per column."""
    tokens = {str(p).strip().lower() for p in placeholders}
    out, replaced = {}, {}
    for col in frame.columns:
        s = frame[col]
        if col in skip or not _is_text(s):
            out[col] = s
            continue
        if len(s) <= SMALL_ROWS:  # a served row or a few: plain Python, the same reading
            out[col], n = _blank_few(s, tokens)
            if n:
                replaced[str(col)] = n
            continue
        text = s.astype("string").str.strip()
        hit = text.str.lower().isin(tokens).fillna(False) & s.notna()
        n = int(hit.sum()) - int((text[hit] == "").sum())  # blank cells are missing anyway; count real tokens
        if n:
            replaced[str(col)] = n
        out[col] = text.mask(hit)
    return pd.DataFrame(out, index=frame.index), replaced


def _blank_few(s: pd.Series, tokens: set[str]) -> tuple[pd.Series, int]:
    """:func:`blank_placeholders` for one short column: stripped text, placeholders missing, and how many there were."""
    text = [None if is_missing(v) else str(v).strip() for v in s.tolist()]
    hits = [v is not None and v.lower() in tokens for v in text]
    n = sum(hit and v != "" for v, hit in zip(text, hits, strict=True))
    kept = [None if hit else v for v, hit in zip(text, hits, strict=True)]
    return pd.Series(pd.array(kept, dtype="string"), index=s.index), n


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s.dtype) or s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype)


def parse_target(
    values: pd.Series,
    *,
    positive_label: str | None = None,
    source: str = "frame",
    column: str = "target",
    ids: pd.Series | None = None,
) -> np.ndarray:
    """0/1 labels from yes/no, true/false, 1/0, y/n, converted/not converted (any case) or ``positive_label``.

    Raises a one-line ValueError naming ``source``, ``column`` and the first ids of rows whose target is missing
    or unrecognised (they are never dropped silently), or when only one class is present.
    """
    ids = ids if ids is not None else row_labels(len(values))
    text = _target_text(values)
    if positive_label is not None:
        wanted = str(positive_label).strip().lower()
        labels = pd.Series(np.where(text == wanted, 1.0, 0.0), index=text.index).where(text.notna())
        expected = f"positive_label {positive_label!r} or any other value"
    else:
        labels = text.map(lambda v: 1.0 if v in POSITIVE else 0.0 if v in NEGATIVE else np.nan)
        expected = TARGET_SPELLINGS
    bad = labels.isna().to_numpy()
    if bad.any():
        raw = values.astype("string").str.strip().reset_index(drop=True)
        raise ValueError(_target_problem(source, column, raw, bad, ids, expected))
    y = labels.to_numpy(dtype=np.int64)
    if y.min() == y.max():
        only = "positive" if y[0] == 1 else "negative"
        hint = f" (no value equals positive_label {positive_label!r})" if positive_label is not None else ""
        raise ValueError(f"{source}: column {column!r}: every row is {only}{hint}; a model needs both classes")
    return y


def _target_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map({True: "1", False: "0"}).astype("string").reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.map(lambda v: f"{float(v):.1f}" if pd.notna(v) else pd.NA).astype("string").reset_index(drop=True)
    return values.astype("string").str.strip().str.lower().reset_index(drop=True)


def _target_problem(source: str, column: str, text: pd.Series, bad: np.ndarray, ids: pd.Series, expected: str) -> str:
    n = int(bad.sum())
    missing = int(text[bad].isna().sum())
    odd = sorted({str(v) for v in text[bad].dropna()})
    parts = []
    if missing:
        parts.append(f"{missing:,} missing")
    if odd:
        more = f" (+{len(odd) - MAX_IDS_IN_MESSAGE} more)" if len(odd) > MAX_IDS_IN_MESSAGE else ""
        parts.append(f"{n - missing:,} unrecognised ({', '.join(repr(v) for v in odd[:MAX_IDS_IN_MESSAGE])}{more})")
    noun = "row has" if n == 1 else "rows have"
    return (
        f"{source}: column {column!r}: {n:,} {noun} no usable target ({'; '.join(parts)}); "
        f"expected {expected}; first ids: {_first(ids[bad])}"
    )


def _first(ids: pd.Series) -> str:
    shown = list(ids.astype("string").fillna("<missing id>"))
    more = f" (+{len(shown) - MAX_IDS_IN_MESSAGE} more)" if len(shown) > MAX_IDS_IN_MESSAGE else ""
    return ", ".join(shown[:MAX_IDS_IN_MESSAGE]) + more


def _parse_time(values: pd.Series, source: str, column: str, ids: pd.Series) -> pd.Series:
    """UTC timestamps (naive values read as UTC); unparsable values are a one-line error."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").reset_index(drop=True)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.dt.tz_localize("UTC").reset_index(drop=True)
    text = values.astype("string").reset_index(drop=True)
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    bad = (text.notna() & parsed.isna()).to_numpy()
    if bad.any():
        n = int(bad.sum())
        noun = "row has" if n == 1 else "rows have"
        raise ValueError(
            f"{source}: column {column!r}: {n:,} {noun} unparsable timestamps; first ids: {_first(ids[bad])}"
        )
    return parsed.rename(column)


def type_column(s: pd.Series) -> pd.Series:
    """Numeric-looking text → numbers (int64 when whole and complete, else float64); text with few distinct
    values → category; other text stays ``string``. Non-text columns are returned as they are."""
    if not _is_text(s) or isinstance(s.dtype, pd.CategoricalDtype):
        return s
    text = s.astype("string").str.strip()
    present = text.dropna()
    numbers = _as_numbers(text, present)
    if numbers is not None:
        return numbers
    n_unique = present.nunique()
    if n_unique <= MAX_CATEGORIES and n_unique <= max(2, len(present) // 2):
        return text.astype("category")
    return text


def _as_numbers(text: pd.Series, present: pd.Series) -> pd.Series | None:
    if present.empty or present.str.match(_LEADING_ZERO).any():  # codes such as "02134" are not quantities
        return None
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().sum() != len(present):
        return None
    numbers = numbers.astype("float64")
    whole = bool((numbers.dropna() % 1 == 0).all())
    if whole and numbers.notna().all() and numbers.abs().max() < 2**53:
        return numbers.astype("int64")
    return numbers


def _type_summary(X: pd.DataFrame) -> str:
    kinds = {"numeric": 0, "category": 0, "text": 0, "other": 0}
    for col in X.columns:
        dtype = X[col].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            kinds["category"] += 1
        elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            kinds["numeric"] += 1
        elif pd.api.types.is_string_dtype(dtype):
            kinds["text"] += 1
        else:
            kinds["other"] += 1
    return "features: " + ", ".join(f"{n} {k}" for k, n in kinds.items() if n)
