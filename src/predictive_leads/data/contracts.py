"""Data contracts: one declaration per table that drives validation, docs and (later) model signatures.

Every table that crosses a boundary (files read by the CLI, frames handed to the pipeline) is checked
against its :class:`TableContract`. A violation raises :class:`ContractError` with one line that names
the file, the column and the first offending ids::

    leads.parquet: column 'created_at': 2 rows have unparsable timestamps; first ids: L0000007, L0000009

The same declarations render the README's contract tables (:func:`contracts_markdown`), so the docs
and the checks cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_IDS_IN_MESSAGE = 5

EVENT_TYPES: tuple[str, ...] = (
    "page_view",
    "pricing_page_view",
    "product_page_view",
    "case_study_download",
    "ebook_download",
    "webinar_registered",
    "webinar_attended",
    "newsletter_subscribe",
    "email_open",
    "email_click",
    "email_reply",
    "form_submit",
    "demo_request",
    "free_trial_start",
    "meeting_scheduled",
    "meeting_cancelled",
    "unsubscribe",
    "email_bounce",
    "chat_started",
)

SENIORITIES: tuple[str, ...] = (
    "c_level",
    "vp",
    "director",
    "manager",
    "individual_contributor",
    "student_other",
)
DEPARTMENTS: tuple[str, ...] = (
    "executive",
    "sales",
    "marketing",
    "it",
    "finance",
    "operations",
    "hr",
    "other",
)
EMAIL_KINDS: tuple[str, ...] = ("corporate", "free", "edu", "competitor", "internal", "disposable")
LEAD_SOURCES: tuple[str, ...] = (
    "organic",
    "paid_search",
    "social",
    "referral",
    "event",
    "partner",
    "outbound",
    "content_syndication",
)

DTYPES = ("string", "timestamp", "int", "float", "bool", "list")

# The validity contract every door shares (validate, build-dataset, train, score, serve): numbers are finite,
# counts and amounts lie in a sane range, flags come from a closed set, timestamps are plausible, ids not blank.
MAX_COUNT = 10**9
"""Largest event count or other whole-number quantity accepted (far above any real lead; below int64 overflow)."""
MAX_EMPLOYEES = 10_000_000
"""Largest company head count accepted (the largest employer has about 2.3 million)."""
MAX_AMOUNT = 1e16
"""Largest amount accepted (annual revenue, deal value), in any currency: above the largest company's revenue counted
in Indonesian rupiah or Vietnamese dong (about 1e15), far below what an overflow or a unit mix-up produces."""
EARLIEST = pd.Timestamp("1970-01-01", tz="UTC")
LATEST = pd.Timestamp("2100-01-01", tz="UTC")
"""Timestamps outside [EARLIEST, LATEST) are refused as implausible (typos such as 0202 or 20250)."""
TRUE_TEXT = frozenset({"true", "1", "yes", "y", "t"})
FALSE_TEXT = frozenset({"false", "0", "no", "n", "f"})
"""The closed set of spellings a flag may take (compared lower-case, stripped); numbers must be 0 or 1."""


class ContractError(ValueError):
    """A table broke its contract. The message is one line: file, column, problem, first ids."""


@dataclass(frozen=True)
class Column:
    """One column of a table contract."""

    name: str
    dtype: str
    description: str
    required: bool = True
    nullable: bool = False
    unique: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    pii: bool = False
    max_value: float | None = None
    finite: bool = True  # False: ±inf is a meaning (e.g. a latent log-odds of a lead that can never convert)

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"column {self.name!r}: unknown dtype {self.dtype!r}; expected one of {DTYPES}")


@dataclass(frozen=True)
class TableContract:
    """Names, dtypes, allowed values and keys of one table."""

    name: str
    id_column: str
    columns: tuple[Column, ...]
    description: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def pii_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.pii)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


LEADS = TableContract(
    name="leads",
    id_column="lead_id",
    description="One row per lead (contact) as the CRM holds it: who the lead is.",
    columns=(
        Column("lead_id", "string", "Unique lead identifier.", unique=True),
        Column("created_at", "timestamp", "When the lead entered the CRM (UTC)."),
        Column("email", "string", "Contact email; only its domain is used.", False, True, pii=True),
        Column("first_name", "string", "Contact first name (never a feature).", False, True, pii=True),
        Column("last_name", "string", "Contact last name (never a feature).", False, True, pii=True),
        Column("phone", "string", "Contact phone (never a feature).", False, True, pii=True),
        Column("job_title", "string", "Free-text job title as typed.", False, True),
        Column("company_name", "string", "Company name as typed.", False, True),
        Column("industry", "string", "Industry as typed (inconsistent casing allowed).", False, True),
        Column("employees", "float", "Company head count.", False, True, min_value=0, max_value=MAX_EMPLOYEES),
        Column(
            "annual_revenue", "float", "Company annual revenue in USD.", False, True, min_value=0, max_value=MAX_AMOUNT
        ),
        Column("country", "string", "Country as typed.", False, True),
        Column("lead_source", "string", "Acquisition channel as typed.", False, True),
        Column("form_message", "string", "Free text from the first form (may be spam).", False, True, pii=True),
        Column("qualified_at", "timestamp", "When a rep recorded the qualification scores (UTC).", False, True),
        *(
            Column(
                f"qual_{f}",
                "int",
                f"Rep's 1–5 {f} score (BANT / MINDA), known from qualified_at.",
                False,
                True,
                min_value=1,
                max_value=5,
            )
            for f in ("money", "interest", "need", "timing", "authority")
        ),
    ),
)

EVENTS = TableContract(
    name="events",
    id_column="lead_id",
    description="One row per behavioural event: what the lead did and when.",
    columns=(
        Column("lead_id", "string", "Lead that did it (must exist in leads)."),
        Column("ts", "timestamp", "When it happened (UTC)."),
        Column("event_type", "string", "What happened; one of the event catalog.", allowed=EVENT_TYPES),
        Column("url", "string", "Page path for page views and forms.", False, True),
        Column("campaign", "string", "Email, webinar or ad campaign.", False, True),
        Column("asset", "string", "Downloaded asset (e-book, case study).", False, True),
    ),
)

CONVERSIONS = TableContract(
    name="conversions",
    id_column="lead_id",
    description="One row per converted lead: the outcome to predict.",
    columns=(
        Column("lead_id", "string", "Converted lead (must exist in leads).", unique=True),
        Column("converted_at", "timestamp", "When the deal was won (UTC)."),
        Column("deal_value", "float", "Deal value in USD.", False, True, min_value=0, max_value=MAX_AMOUNT),
    ),
)

TRUTH = TableContract(
    name="truth",
    id_column="lead_id",
    description="Synthetic worlds only: the generator's latent state. Ground truth for checks, never a feature.",
    columns=(
        Column("lead_id", "string", "Lead identifier.", unique=True),
        Column(
            "fit", "float", "Latent fit in log-odds (firmographics, role, source); -inf: never converts.", finite=False
        ),
        Column("fit_noise", "float", "Part of fit no attribute explains."),
        Column("seniority", "string", "True seniority behind the job title.", allowed=SENIORITIES),
        Column("department", "string", "True department behind the job title.", allowed=DEPARTMENTS),
        Column("email_kind", "string", "True kind of the email domain.", allowed=EMAIL_KINDS),
        Column("industry", "string", "True industry (before typos and placeholders)."),
        Column("region", "string", "True region of the company."),
        Column("lead_source", "string", "True acquisition channel.", allowed=LEAD_SOURCES),
        Column("is_bot", "bool", "Planted bot lead (never converts)."),
        Column("is_spam", "bool", "Planted spam form fill (never converts)."),
        Column("is_duplicate", "bool", "Later copy of another contact (never converts)."),
        Column("duplicate_of", "string", "lead_id of the original contact.", False, True),
        Column("is_internal", "bool", "Our own staff (never converts)."),
        Column("is_competitor", "bool", "A competitor's employee (never converts)."),
        Column("has_invalid_email", "bool", "Email address bounces."),
        Column("intent_start", "list", "Start days (since world start) of each latent intent segment."),
        Column("intent_state", "list", "Latent intent state of each segment (0 dormant … 3 buying)."),
    ),
)

CONTRACTS: dict[str, TableContract] = {c.name: c for c in (LEADS, EVENTS, CONVERSIONS, TRUTH)}


# ---------------------------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class ValueRule:
    """What a number or flag must be (the validity contract of one column or model input)."""

    kind: str = "number"  # "number" or "flag"
    whole: bool = False
    required: bool = False  # a missing value is a problem (counts and flags the model needs)
    low: float | None = None
    high: float | None = None
    finite: bool = True

    @classmethod
    def of(cls, col: Column) -> ValueRule:
        return cls("flag" if col.dtype == "bool" else "number", whole=col.dtype == "int", low=col.min_value,
                   high=col.max_value, finite=col.finite)  # fmt: skip


COUNT = ValueRule(whole=True, required=True, low=0, high=MAX_COUNT)
"""The rule of an event count or other whole quantity the model reads."""
FLAG = ValueRule("flag", required=True)
"""The rule of a true/false input the model reads."""


class Problems:
    """The first problem of each row, as a small code per row (0: none) and the texts of the codes, so a clean
    column costs a few boolean operations and no string work."""

    def __init__(self, n: int) -> None:
        self.code = np.zeros(n, dtype=np.int8)
        self.texts = [""]

    def add(self, mask: np.ndarray, problem: str) -> None:
        new = mask & (self.code == 0)
        if new.any():
            self.texts.append(problem)
            self.code[new] = len(self.texts) - 1

    @property
    def mask(self) -> np.ndarray:
        return self.code != 0

    def text(self, prefix: str = "") -> np.ndarray:
        """The problem of each row (``""`` for none), each behind ``prefix``."""
        return np.array(["", *(prefix + t for t in self.texts[1:])], dtype=object)[self.code]


def check_values(values: pd.Series, rule: ValueRule) -> tuple[pd.Series, Problems]:
    """Typed values (float64 numbers with NaN for missing or refused; nullable booleans for flags) and the first
    problem of each row under ``rule``. The one definition of a valid number or flag: ``validate`` raises on the
    first problem, batch scoring rejects the row, serving refuses the request. Problems never quote the value."""
    problems = Problems(len(values))
    present = values.notna().to_numpy(dtype=bool, copy=True)
    text = None
    if not (pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)):
        text = values.astype("string").str.strip()
        present &= (text != "").fillna(False).to_numpy(dtype=bool)
    if rule.required:
        problems.add(~present, "missing")
    if rule.kind == "flag":
        return _flags(values, text, present, problems)
    if text is None:
        numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    else:
        numbers = text_numbers(text.where(present))
    problems.add(present & np.isnan(numbers), "not a number")
    infinite = np.isinf(numbers)
    if rule.finite:
        problems.add(infinite, "not a finite number")
    low = -np.inf if rule.low is None else rule.low
    high = np.inf if rule.high is None else rule.high
    if rule.low is not None or rule.high is not None:
        with np.errstate(invalid="ignore"):
            problems.add((numbers < low) | (numbers > high), f"outside the range {low:g} to {high:g}")
    if rule.whole:
        problems.add(~infinite & (np.abs(numbers) > 2**53), "too large for a whole number")
        problems.add(~infinite & (numbers != np.floor(numbers)) & ~np.isnan(numbers), "not a whole number")
    parsed = np.where(problems.mask, np.nan, numbers)
    return pd.Series(parsed, index=values.index), problems


def text_numbers(text: pd.Series) -> np.ndarray:
    """Numbers written as text (stripped; missing allowed) as float64, NaN where a value is missing or not a number:
    the numbers ``pd.to_numeric(text, errors="coerce")`` finds, correctly rounded (pandas 3.0's parser can be one unit
    in the last place off; a zero may keep its sign, which pandas keeps or not depending on the column). Arrow's
    parser reads a column of plain numbers ~10x faster than pandas' (the CSV path of a batch job); a column with any
    other text is read by pandas, so that text is judged exactly as before."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        parsed = pc.cast(pa.array(text, type=pa.string(), from_pandas=True), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return pd.to_numeric(text, errors="coerce").astype("float64").to_numpy()
    return parsed.to_numpy(zero_copy_only=False)


SMALL_ROWS = 64
"""At most this many rows (a served lead or a few) take the plain-Python paths: per-column pandas costs more there."""


def is_missing(value) -> bool:
    """A scalar that stands for no value: None, NaN, ``pd.NA`` or ``pd.NaT`` (the small-request paths' test)."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def check_number_columns(frame: pd.DataFrame, rules: Sequence[ValueRule]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """:func:`check_values` over many numeric (or boolean) columns at once, one rule per column: the parsed values
    (float; NaN for missing or refused; flags as 1/0) and, per cell, the index of its first problem in the
    returned texts (0: none). The same problems, in the same order, as column by column — without the per-column
    cost that dominates a request of one lead."""
    x = frame.to_numpy(dtype="float64", na_value=np.nan)
    code = np.zeros(x.shape, dtype=np.int16)
    texts = [""]
    if not len(rules):
        return x, code, texts

    def add(mask: np.ndarray, text: str) -> None:
        new = mask & (code == 0)
        if new.any():
            texts.append(text)
            code[new] = len(texts) - 1

    def of(attr: str, default=None) -> np.ndarray:
        return np.array([getattr(r, attr) if getattr(r, attr) is not None else default for r in rules])

    present, infinite = ~np.isnan(x), np.isinf(x)
    flag = of("kind") == "flag"
    add(~present & of("required"), "missing")
    add(present & flag & (x != 0) & (x != 1), "not true/false")
    add(infinite & of("finite") & ~flag, "not a finite number")
    low, high = of("low", -np.inf).astype(float), of("high", np.inf).astype(float)
    with np.errstate(invalid="ignore"):
        outside = ((x < low) | (x > high)) & ~flag
    for j in np.flatnonzero(outside.any(axis=0)):
        mask = np.zeros(x.shape, dtype=bool)
        mask[:, j] = outside[:, j]
        add(mask, f"outside the range {low[j]:g} to {high[j]:g}")
    whole = of("whole") & ~flag
    add(~infinite & (np.abs(x) > 2**53) & whole, "too large for a whole number")
    with np.errstate(invalid="ignore"):
        add(~infinite & (x != np.floor(x)) & present & whole, "not a whole number")
    return np.where(code != 0, np.nan, x), code, texts


def _flags(values: pd.Series, text: pd.Series | None, present: np.ndarray, problems: Problems):
    if text is None:
        numeric = values.astype("Float64") if not pd.api.types.is_bool_dtype(values.dtype) else values.astype("boolean")
        yes = numeric.eq(1).fillna(False).to_numpy(dtype=bool)
        no = numeric.eq(0).fillna(False).to_numpy(dtype=bool)
    else:
        lower = text.str.lower()
        yes = lower.isin(TRUE_TEXT).fillna(False).to_numpy(dtype=bool)
        no = lower.isin(FALSE_TEXT).fillna(False).to_numpy(dtype=bool)
    problems.add(present & ~(yes | no), "not true/false")
    flags = pd.array(np.where(yes, True, False), dtype="boolean")
    flags[~(yes | no)] = pd.NA
    return pd.Series(flags, index=values.index), problems


def _fmt_ids(ids: Iterable[object]) -> str:
    ids = list(ids)
    shown = ", ".join(str(i) for i in ids[:MAX_IDS_IN_MESSAGE])
    more = f" (+{len(ids) - MAX_IDS_IN_MESSAGE} more)" if len(ids) > MAX_IDS_IN_MESSAGE else ""
    return shown + more


def _row_error(source: str, column: str, mask: pd.Series, problem: str, ids: pd.Series) -> ContractError:
    n = int(mask.sum())
    noun = "row" if n == 1 else "rows"
    verb = "has" if n == 1 else "have"
    return ContractError(f"{source}: column '{column}': {n} {noun} {verb} {problem}; first ids: {_fmt_ids(ids[mask])}")


def _row_ids(df: pd.DataFrame, contract: TableContract) -> pd.Series:
    if contract.id_column in df.columns:
        return df[contract.id_column].astype("string").fillna("<missing id>").reset_index(drop=True)
    return row_labels(len(df))


def row_labels(n: int, name: str | None = None) -> pd.Series:
    """``row 1`` … ``row n``: how messages name rows that have no id (data rows counted from 1, no header)."""
    return pd.Series([f"row {i + 1}" for i in range(n)], dtype="string", name=name)


# A zone suffix after a time of day: Z, UTC/GMT or an offset (+02:00, +0200, -05). Anchoring it to the
# time keeps day-first dates such as 31-12-2024 from reading as "-2024".
_ZONE_SUFFIX = r":\d\d(?:\.\d+)?\s*(?:[zZ]|UTC|GMT|[+-]\d\d(?::?\d\d)?)\s*$"


def _check_one_zone_style(text: pd.Series, present: np.ndarray, source: str, column: str, ids: pd.Series) -> None:
    """Raise when some values carry a time zone and others do not, naming the smaller group."""
    zoned = text.str.contains(_ZONE_SUFFIX, regex=True).fillna(False).to_numpy(dtype=bool) & present
    naive = present & ~zoned
    if not zoned.any() or not naive.any():
        return
    if zoned.sum() <= naive.sum():
        raise _row_error(source, column, pd.Series(zoned), "a time zone while the others are naive (mixed)", ids)
    raise _row_error(source, column, pd.Series(naive), "no time zone while the others have one (mixed)", ids)


TIMESTAMP_UNIT = "us"


def _parse_timestamps(values: pd.Series, source: str, column: str, ids: pd.Series) -> pd.Series:
    """Parse to UTC microseconds. Naive timestamps are read as UTC; mixing naive and zoned values is an error."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _check_plausible(values.dt.tz_convert("UTC").dt.as_unit(TIMESTAMP_UNIT), source, column, ids)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _check_plausible(values.dt.tz_localize("UTC").dt.as_unit(TIMESTAMP_UNIT), source, column, ids)
    present = values.notna().to_numpy()
    text = values.astype("string")
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    bad = pd.Series(present & parsed.isna().to_numpy())
    if bad.any():
        raise _row_error(source, column, bad, "unparsable timestamps", ids)
    _check_one_zone_style(text, present, source, column, ids)
    return _check_plausible(parsed.dt.as_unit(TIMESTAMP_UNIT), source, column, ids)


def _check_plausible(parsed: pd.Series, source: str, column: str, ids: pd.Series) -> pd.Series:
    outside = pd.Series(((parsed < EARLIEST) | (parsed >= LATEST)).fillna(False).to_numpy(dtype=bool))
    if outside.any():
        raise _row_error(source, column, outside, f"implausible timestamps (before {EARLIEST.year} or from "
                         f"{LATEST.year} on)", ids)  # fmt: skip
    return parsed


def _parse_numbers(values: pd.Series, source: str, col: Column, ids: pd.Series) -> pd.Series:
    """Typed values of a number or flag column; the first problem :func:`check_values` finds is a one-line error."""
    rule = ValueRule.of(col)
    parsed, problems = check_values(values, rule)
    if problems.mask.any():
        code = problems.code[problems.mask][0]  # the first problem found: all rows that have it
        rows = pd.Series(problems.code == code)
        raise _row_error(source, col.name, rows, f"a value that is {problems.texts[code]}", ids)
    if col.dtype == "int":
        return parsed.astype("Int64")
    return parsed


def _coerce(values: pd.Series, col: Column, source: str, ids: pd.Series, id_column: str | None = None) -> pd.Series:
    if col.dtype == "timestamp":
        return _parse_timestamps(values, source, col.name, ids)
    if col.dtype in ("int", "float", "bool"):
        return _parse_numbers(values, source, col, ids)
    if col.dtype == "string":
        out = values.astype("string")
        if col.name == id_column:
            blank = pd.Series((out.str.strip() == "").fillna(False).to_numpy(dtype=bool))
            if blank.any():
                raise _row_error(source, col.name, blank, "blank ids", row_labels(len(out)))
        if col.allowed is not None:
            out = out.str.strip().str.lower()
        return out
    return values


def _pandera_schema(contract: TableContract, present: Sequence[str]):
    import pandera.pandas as pa

    columns = {}
    for col in contract.columns:
        if col.name not in present or col.dtype == "list":
            continue
        checks = []
        if col.allowed is not None:
            checks.append(pa.Check.isin(list(col.allowed), error="not in the allowed values"))
        columns[col.name] = pa.Column(nullable=col.nullable, unique=col.unique, checks=checks)
    return pa.DataFrameSchema(columns, strict=False)


def _describe_failure(col: Column, check: str, values: pd.Series) -> str:
    if check == "not_nullable":
        return "missing values in a required column"
    if check == "field_uniqueness" or check.startswith("unique"):
        return "duplicate values (must be unique)"
    if "allowed" in check:
        bad = _fmt_ids(sorted({str(v) for v in values.dropna()}))
        return f"values not in the allowed set ({bad}); allowed: {', '.join(col.allowed or ())}"
    return f"failed check {check}"


def _raise_pandera_failure(exc, df: pd.DataFrame, contract: TableContract, source: str, ids: pd.Series):
    cases = exc.failure_cases
    cases = cases[cases["column"].isin(contract.names)]
    if cases.empty:
        raise ContractError(f"{source}: {str(exc).splitlines()[0]}") from None
    order = {name: i for i, name in enumerate(contract.names)}
    first = cases.assign(_o=cases["column"].map(order)).sort_values("_o", kind="stable").iloc[0]
    column, check = first["column"], str(first["check"])
    these = cases[(cases["column"] == column) & (cases["check"].astype(str) == check)]
    rows = these["index"].dropna().astype(int).unique()
    if check == "field_uniqueness" or check.startswith("unique"):
        rows = np.flatnonzero(df[column].duplicated(keep=False).to_numpy())
    mask = pd.Series(np.isin(np.arange(len(df)), rows))
    problem = _describe_failure(contract.column(column), check, these["failure_case"])
    raise _row_error(source, column, mask, problem, ids) from None


def validate(df: pd.DataFrame, contract: TableContract, source: str | None = None) -> pd.DataFrame:
    """Check ``df`` against ``contract`` and return a coerced copy (UTC timestamps, nullable dtypes).

    Columns the contract does not name are kept as they are. The caller's frame is never modified.
    Raises :class:`ContractError` with a one-line message on the first problem found.
    """
    import pandera.errors as pe

    source = source or contract.name
    missing = [c for c in contract.required if c not in df.columns]
    if missing:
        raise ContractError(
            f"{source}: missing required column(s) {', '.join(repr(m) for m in missing)}; "
            f"found: {', '.join(map(str, df.columns)) or 'no columns'}"
        )
    out = df.reset_index(drop=True).copy()
    ids = _row_ids(out, contract)
    for col in contract.columns:
        if col.name in out.columns:
            out[col.name] = _coerce(out[col.name], col, source, ids, contract.id_column)
    schema = _pandera_schema(contract, list(out.columns))
    try:
        schema.validate(out, lazy=True)
    except pe.SchemaErrors as exc:
        _raise_pandera_failure(exc, out, contract, source, ids)
    return out


def check_references(
    child: pd.DataFrame, parent_ids: pd.Series, *, source: str, column: str = "lead_id", parent: str = "leads"
) -> None:
    """Raise when ``child[column]`` holds ids that ``parent_ids`` does not (e.g. events for unknown leads)."""
    unknown = ~child[column].isin(parent_ids)
    if unknown.any():
        ids = child[column].astype("string").reset_index(drop=True)
        mask = pd.Series(unknown.to_numpy())
        n = int(mask.sum())
        rows = "1 row refers" if n == 1 else f"{n} rows refer"
        raise ContractError(
            f"{source}: column '{column}': {rows} to ids missing from {parent}; "
            f"first ids: {_fmt_ids(ids[mask].unique())}"
        )


def value_rules() -> dict[str, ValueRule]:
    """The rules of the lead attributes that reach the model under their own name (head count, revenue, the reps'
    1–5 scores): the batch and serving doors refuse the values ``validate`` refuses."""
    return {c.name: ValueRule.of(c) for c in LEADS.columns if c.dtype in ("int", "float")}


def check_not_before_creation(outcomes: pd.DataFrame, leads: pd.DataFrame, *, source: str,
                              column: str = "converted_at") -> None:  # fmt: skip
    """Raise when an outcome (``lead_id``, ``column``) is dated before its lead's ``created_at``: such a lead would
    never be open at any as_of, so its label would change silently."""
    created = leads.drop_duplicates("lead_id").set_index("lead_id")["created_at"]
    early = (outcomes[column] < created.reindex(outcomes["lead_id"]).to_numpy()).fillna(False).to_numpy(dtype=bool)
    if early.any():
        ids = outcomes["lead_id"].astype("string").reset_index(drop=True)
        raise _row_error(source, column, pd.Series(early), "dates before their lead's created_at", ids)


# ---------------------------------------------------------------------------------------------- docs


def contract_markdown(contract: TableContract) -> str:
    """A Markdown table of the contract (used in the README)."""
    lines = [
        f"**{contract.name}** — {contract.description}",
        "",
        "| column | type | required | rules | description |",
        "|---|---|---|---|---|",
    ]
    for c in contract.columns:
        rules = []
        if c.unique:
            rules.append("unique")
        if c.required and not c.nullable:
            rules.append("not null")
        if c.allowed:
            rules.append("one of: " + ", ".join(f"`{a}`" for a in c.allowed))
        if c.min_value is not None:
            rules.append(f"≥ {c.min_value:g}")
        if c.max_value is not None:
            rules.append(f"≤ {c.max_value:g}")
        if c.dtype in ("int", "float"):
            rules.append("finite" if c.finite else "±inf allowed")
        if c.pii:
            rules.append("PII: never logged")
        req = "yes" if c.required else "no"
        lines.append(f"| `{c.name}` | {c.dtype} | {req} | {'; '.join(rules)} | {c.description} |")
    return "\n".join(lines)


def contracts_markdown(names: Iterable[str] = ("leads", "events", "conversions", "truth")) -> str:
    return "\n\n".join(contract_markdown(CONTRACTS[n]) for n in names)


def closed_values(col: pd.Series) -> list[str] | None:
    """The closed set of values a column can take (categories, or True/False), None for open columns."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories]
    if pd.api.types.is_bool_dtype(col.dtype):
        return ["True", "False"]
    return None
