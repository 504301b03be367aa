"""CRM import files from batch scores: the columns Salesforce and HubSpot expect, every value fitted to its field.

A batch output (one row per lead: probability, score, points, grade, stage, heat, fit and engagement, reasons,
model, time) becomes a frame a RevOps person loads as it is — Salesforce's Data Import Wizard or Data Loader
updating Lead records, or a HubSpot CSV import updating existing records. :func:`crm_fields` is the documented
layout of each target (one :class:`CrmField` per import column, in order, with its meaning); :func:`to_crm`
builds the frame; :func:`check_crm_frame` checks any frame against the layout and reports problems by column and
row number, never by value (values can be personal data). ``reasons_json`` and the disqualification reason text
are never exported.

Text is fitted, whatever the input: a reason longer than its field is cut at a word boundary and ends with
``…``; the joined reason codes drop whole trailing codes that do not fit; control characters become spaces.
Lengths are counted in UTF-16 code units (a character outside the Basic Multilingual Plane, such as an emoji,
counts twice), the stricter of the CRMs' ways of counting. Missing values export as empty text or as empty
(``<NA>``) numbers, never as ``nan``/``None``/``<NA>`` text. The same input always gives the same output.

A team whose fields are named differently passes a ``mapping`` (our field name → theirs), read from YAML::

    target: salesforce
    fields:
      PL_Score__c: Lead_Score__c
      Id: Email              # match records on another unique field
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pandas as pd

from predictive_leads.models.funnel import HEAT
from predictive_leads.models.funnel import STAGES as FUNNEL_STAGES
from predictive_leads.ops.disqualify import DISQUALIFIED
from predictive_leads.ops.lifecycle import RECYCLED
from predictive_leads.ops.trend import MOMENTUM, NEW

CRM_TARGETS = ("salesforce", "hubspot")
KINDS = ("id", "text", "number", "percent", "picklist", "datetime", "date")
OPTIONAL_SOURCES = ("rule_score", "score_change", "previous_stage", "stage_reason", "momentum")
"""Batch output columns that may be absent; their fields are exported only when present."""

ID_SOURCE = "<id column>"  # the id column, named by the caller (``id_col``)
CODES_SOURCE = "reason_code_1..k"  # the reason codes, joined
MODEL_SOURCE = "model_name, model_version"  # "<name> v<version>"
ID_MAX = 255  # what is enforced for an id: non-empty, at most this long (a Salesforce Id has 18 characters)
CODE_SEPARATOR = "; "
ELLIPSIS = "…"

STAGES = (*FUNNEL_STAGES, RECYCLED, DISQUALIFIED)
HEATS = (*(HEAT[stage] for stage in FUNNEL_STAGES), DISQUALIFIED)
GRADES = ("A", "B", "C", "D")
PREVIOUS_STAGES = (*STAGES, NEW)  # "new": the previous run did not score the lead

TIME_FORMATS = {
    "salesforce": {"datetime": "%Y-%m-%dT%H:%M:%SZ", "date": "%Y-%m-%d"},
    "hubspot": {"datetime": "%Y-%m-%dT%H:%M:%SZ", "date": "%Y-%m-%d"},
}
"""How each target's import reads date-times (ISO 8601, UTC) and dates."""
_SHAPES = {"%Y-%m-%dT%H:%M:%SZ": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "%Y-%m-%d": r"\d{4}-\d{2}-\d{2}"}
_SHOWN = {"%Y-%m-%dT%H:%M:%SZ": "YYYY-MM-DDThh:mm:ssZ", "%Y-%m-%d": "YYYY-MM-DD"}
_MISSING_TEXT = frozenset({"nan", "NaN", "None", "<NA>", "NaT", "null"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class CrmField:
    """One import column: its ``name`` in the CRM, the batch output column(s) it comes from (``source``), its
    ``kind`` (one of :data:`KINDS`), the most characters it holds (``length``), the allowed ``values`` of a
    picklist (or of a text field with a fixed set), and what it means. ``minimum``/``maximum`` bound a number."""

    name: str
    source: str
    kind: str
    length: int | None = None
    values: tuple[str, ...] = ()
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"CrmField {self.name}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")


# ------------------------------------------------------------------------------------------ the layouts
# One row per import column, in import order. "{i}" rows repeat for reasons 1..k; rows whose source is in
# OPTIONAL_SOURCES appear only when the batch output has that column.

SALESFORCE: tuple[CrmField, ...] = (
    CrmField("Id", ID_SOURCE, "id", 18, description="The Lead record to update: its 18-character Salesforce Id, "
             "from the scoring output's id column (passed through as it is; rename it to match on another field)."),
    CrmField("PL_Probability__c", "probability", "percent", minimum=0, maximum=100,
             description="Chance the lead converts, in percent (probability × 100, 2 decimals)."),
    CrmField("PL_Score__c", "score", "number", minimum=1, maximum=100,
             description="Lead score 1–100: the percentile of the lead's chance among the model's reference leads."),
    CrmField("PL_Points__c", "points", "number",
             description="The score in points on the model's absolute odds scale: comparable between runs and "
             "models, may be negative or above 100."),
    CrmField("PL_Grade__c", "grade", "text", 1, GRADES, description="Letter grade of the score, A (best) to D."),
    CrmField("PL_Stage__c", "stage", "picklist", values=STAGES,
             description="Funnel stage by the model's funnel policy: SQL, MQL, nurture, or disqualified; recycled "
             "(went cold after MQL or SQL) when scored with the previous run."),
    CrmField("PL_Heat__c", "heat", "picklist", values=HEATS,
             description="Heat of the stage: hot (SQL), warm (MQL), cold (nurture, recycled), or disqualified."),
    CrmField("PL_Fit_Score__c", "fit_score", "number", minimum=1, maximum=100,
             description="Fit sub-score, 1–100: how well the lead fits (who they are); empty when the model has none."),
    CrmField("PL_Fit_Grade__c", "fit_grade", "text", 1, GRADES,
             description="Letter grade of the fit sub-score, A to D."),
    CrmField("PL_Engagement_Score__c", "engagement_score", "number", minimum=1, maximum=100,
             description="Engagement sub-score, 1–100: what the lead did; empty when the model has none."),
    CrmField("PL_Engagement_Grade__c", "engagement_grade", "text", 1, GRADES,
             description="Letter grade of the engagement sub-score, A to D."),
    CrmField("PL_Rule_Score__c", "rule_score", "number",
             description="Score of the rule-based points table, on its own scale (when the output has it)."),
    CrmField("PL_Disqualification__c", "disqualification_code", "text", 255,
             description="Why the lead was disqualified, as a code (e.g. DQ_BOT); empty when it was not."),
    CrmField("PL_Reason_{i}__c", "reason_{i}", "text", 255,
             description="Reason {i} behind the score (strongest first) with its points, e.g. '+12 pts: Visited "
             "the pricing page'; cut at a word boundary with '…' to fit; empty when there are fewer reasons."),
    CrmField("PL_Reason_Codes__c", CODES_SOURCE, "text", 255,
             description="The reasons' codes in the same order, joined with '; '; codes that do not fit are "
             "left off whole."),
    CrmField("PL_Score_Change__c", "score_change", "number", minimum=-99, maximum=99,
             description="Score change since the previous scoring run (when the output has it); empty when new."),
    CrmField("PL_Previous_Stage__c", "previous_stage", "picklist", values=PREVIOUS_STAGES,
             description="Funnel stage at the previous scoring run, or new (when the output has it)."),
    CrmField("PL_Stage_Reason__c", "stage_reason", "text", 255,
             description="Why the stage moved between runs: went cold after MQL or SQL (recycled), still cold, or "
             "re-engaged after recycle (when the output has it); empty otherwise."),
    CrmField("PL_Momentum__c", "momentum", "picklist", values=MOMENTUM,
             description="Score trend since the previous run: heating, cooling, steady or new (when the output "
             "has it)."),
    CrmField("PL_Model__c", MODEL_SOURCE, "text", 255,
             description="The model that scored the lead: '<name> v<version>' (just the name when unversioned)."),
    CrmField("PL_Scored_At__c", "scored_at", "datetime", description="When the lead was scored (UTC)."),
)  # fmt: skip
"""Salesforce Lead fields (custom fields end in ``__c``; Text holds 255 characters, Percent takes 0–100)."""


def _hubspot(field: CrmField) -> CrmField:
    """The HubSpot property of a Salesforce field: the internal name in lower case (``PL_Fit_Score__c`` →
    ``pl_fit_score``), the record matched on ``Record ID``, the probability as a number 0–1 (no percent type)."""
    if field.kind == "id":
        return replace(field, name="Record ID", length=None, description="The record to update: its HubSpot Record "
                       "ID, from the scoring output's id column (passed through as it is; rename it to match on "
                       "another property).")  # fmt: skip
    name = field.name.removesuffix("__c").lower()
    if field.source == "probability":
        return replace(field, name=name, kind="number", maximum=1,
                       description="Chance the lead converts, 0–1 (4 decimals; HubSpot imports have no percent "
                       "type).")  # fmt: skip
    return replace(field, name=name)


HUBSPOT: tuple[CrmField, ...] = tuple(_hubspot(field) for field in SALESFORCE)
"""HubSpot properties (internal names; single-line text held to 255 characters; dropdowns take internal values)."""

LAYOUTS = {"salesforce": SALESFORCE, "hubspot": HUBSPOT}


def _target(target: str) -> tuple[CrmField, ...]:
    if target not in LAYOUTS:
        raise ValueError(f"unknown CRM target {target!r}; expected one of {', '.join(CRM_TARGETS)}")
    return LAYOUTS[target]


def crm_fields(target: str, *, top_k: int, id_field: str | None = None,
               optional: Iterable[str] = ()) -> tuple[CrmField, ...]:  # fmt: skip
    """The documented import columns of ``target``, in order, for ``top_k`` reasons per lead. ``id_field``
    renames the id column; ``optional`` names the optional batch columns present (:data:`OPTIONAL_SOURCES`)."""
    layout = _target(target)
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 0:
        raise ValueError(f"top_k must be a whole number >= 0, got {top_k!r}")
    present = set(optional)
    unknown = sorted(present - set(OPTIONAL_SOURCES))
    if unknown:
        raise ValueError(f"unknown optional column(s) {', '.join(unknown)}; expected some of "
                         f"{', '.join(OPTIONAL_SOURCES)}")  # fmt: skip
    out: list[CrmField] = []
    for field in layout:
        if field.source in OPTIONAL_SOURCES and field.source not in present:
            continue
        if field.kind == "id" and id_field is not None:
            out.append(replace(field, name=id_field))
        elif "{i}" in field.source:
            out += [replace(field, name=field.name.format(i=i), source=field.source.format(i=i),
                            description=field.description.format(i=i)) for i in range(1, top_k + 1)]  # fmt: skip
        elif field.source != CODES_SOURCE or top_k:
            out.append(field)
    return tuple(out)


def renamed(fields: Iterable[CrmField], mapping: dict[str, str], target: str) -> tuple[CrmField, ...]:
    """``fields`` with their names changed by ``mapping`` (our field name → the team's); a key that is not a
    field of ``target`` or a name used twice is a ``ValueError``. Keys for fields absent here are ignored."""
    _check_mapping(mapping, target)
    out = tuple(replace(f, name=mapping.get(f.name, f.name)) for f in fields)
    names = [f.name for f in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"column mapping: {', '.join(twice)} would name more than one column")
    return out


def _known(name: str, target: str) -> bool:
    for field in _target(target):
        if "{i}" in field.name:
            head, tail = field.name.split("{i}")
            if re.fullmatch(re.escape(head) + r"[1-9]\d*" + re.escape(tail), name):
                return True
        elif field.name == name:
            return True
    return False


def _check_mapping(mapping: dict, target: str) -> None:
    if not isinstance(mapping, dict):
        raise ValueError(f"column mapping: expected our field name → your field name, got {type(mapping).__name__}")
    for ours, theirs in mapping.items():
        if not isinstance(ours, str) or not _known(ours, target):
            raise ValueError(f"column mapping: unknown field {ours!r} for {target} (see crm_fields('{target}'))")
        if not isinstance(theirs, str) or not theirs.strip():
            raise ValueError(f"column mapping: {ours} must map to a non-empty field name, got {theirs!r}")


def load_mapping(data: dict) -> dict[str, str]:
    """Validate a parsed column-mapping YAML, ``{"target": ..., "fields": {our name: your name}}``; returns the
    ``fields`` (one-line ``ValueError`` on a bad shape, unknown target or unknown field)."""
    if not isinstance(data, dict):
        raise ValueError("column mapping: expected a mapping with 'target' and 'fields'")
    extra = sorted(map(str, set(data) - {"target", "fields"}))
    if extra:
        raise ValueError(f"column mapping: unknown key(s) {', '.join(extra)}; expected target, fields")
    target = data.get("target")
    if target not in CRM_TARGETS:
        raise ValueError(f"column mapping: target must be one of {', '.join(CRM_TARGETS)}, got {target!r}")
    fields = data.get("fields")
    if not isinstance(fields, dict):
        raise ValueError("column mapping: 'fields' must be a mapping of our field name → your field name")
    _check_mapping(fields, target)
    values = list(fields.values())
    twice = sorted({v for v in values if values.count(v) > 1})
    if twice:
        raise ValueError(f"column mapping: {', '.join(twice)} is the target of more than one field")
    return dict(fields)


# ------------------------------------------------------------------------------------------ building the frame


def to_crm(scores: pd.DataFrame, target: str, *, id_col: str, mapping: dict[str, str] | None = None,
           check: bool = False) -> pd.DataFrame:  # fmt: skip
    """The import frame for ``target``: one row per row of ``scores`` (same order and index), the columns of
    :func:`crm_fields` (renamed by ``mapping``: our field name → the team's). Text fits its field; missing values
    are empty. ``ValueError`` for an unknown target, a missing input column or an unreadable number or time; with
    ``check``, also when :func:`check_crm_frame` finds a problem (the first is named)."""
    _target(target)
    top_k = _reason_count(scores)
    optional = [c for c in OPTIONAL_SOURCES if c in scores.columns]
    fields = crm_fields(target, top_k=top_k, optional=optional)
    names = renamed(fields, mapping or {}, target)
    frame = _build(scores, target, id_col, top_k, fields, names)
    problems = check_crm_frame(frame, target, fields=names) if check else []
    if problems:
        raise ValueError(f"the {target} layout check failed: {problems[0]}")
    return frame


def _build(scores, target: str, id_col: str, top_k: int, fields, names) -> pd.DataFrame:
    needed = [c for f in fields for c in _inputs(f, id_col, top_k)]
    missing = [c for c in dict.fromkeys(needed) if c not in scores.columns]
    if missing:
        raise ValueError(f"scores lack column(s): {', '.join(missing)}")
    columns = {out.name: _export(scores, f, id_col, top_k, target) for f, out in zip(fields, names, strict=True)}
    return pd.DataFrame(columns, index=scores.index)


def _reason_count(scores: pd.DataFrame) -> int:
    numbers = [int(m.group(1)) for c in scores.columns if (m := re.fullmatch(r"reason_([1-9]\d*)", str(c)))]
    top_k = max(numbers, default=0)
    missing = [c for i in range(1, top_k + 1) for c in (f"reason_{i}", f"reason_code_{i}") if c not in scores]
    if missing:
        raise ValueError(f"scores have reason_{top_k} but lack column(s): {', '.join(missing)}")
    return top_k


def _inputs(field: CrmField, id_col: str, top_k: int) -> list[str]:
    if field.source == ID_SOURCE:
        return [id_col]
    if field.source == CODES_SOURCE:
        return [f"reason_code_{i}" for i in range(1, top_k + 1)]
    if field.source == MODEL_SOURCE:
        return ["model_name", "model_version"]
    return [field.source]


def _model_text(name: str, version: str, segment: str = "") -> str:
    """``lead-scoring v3`` for a registry version, ``demo sha256:ab12…`` for a folder's content hash; with the
    segment whose own model scored the lead, ``lead-scoring v3, Platform model``."""
    text = name if not version else f"{name} v{version}" if version[:1].isdigit() else f"{name} {version}"
    return f"{text}, {segment} model" if segment else text


def _export(scores: pd.DataFrame, field: CrmField, id_col: str, top_k: int, target: str) -> pd.Series:
    index = scores.index
    if field.source == ID_SOURCE:
        return pd.Series(_ids(scores[id_col]), index=index, dtype="str")
    if field.source == CODES_SOURCE:
        codes = zip(*(_texts(scores[c]) for c in _inputs(field, id_col, top_k)), strict=True)
        return pd.Series([_join_codes(row, field.length or ID_MAX) for row in codes], index=index, dtype="str")
    if field.source == MODEL_SOURCE:
        names, versions = _texts(scores["model_name"]), _texts(scores["model_version"])
        segments = _texts(scores["model_segment"]) if "model_segment" in scores else [""] * len(scores)
        models = [_model_text(*model) for model in zip(names, versions, segments, strict=True)]
        return pd.Series([_fit_text(m, field.length or ID_MAX) for m in models], index=index, dtype="str")
    values = scores[field.source]
    if field.kind in ("number", "percent"):
        numbers = _numbers(values, field.source)
        if field.source == "probability":
            numbers = (numbers * 100).round(2) if field.kind == "percent" else numbers.round(4)
        return _whole_if_integral(numbers)
    if field.kind in ("datetime", "date"):
        return _times(values, TIME_FORMATS[target][field.kind])
    texts = _texts(values)
    if field.kind == "text":
        texts = [_fit_text(t, field.length or ID_MAX) for t in texts]
    return pd.Series(texts, index=index, dtype="str")


def _ids(values: pd.Series) -> list[str]:
    """Ids as text, stripped, missing → ""; whole-number floats (an id column read as numbers) without ".0"."""
    if pd.api.types.is_float_dtype(values.dtype):
        finite = values.dropna()
        if np.isfinite(finite.to_numpy(dtype=float)).all() and (finite % 1 == 0).all():
            values = values.astype("Int64")
    missing = values.isna().to_numpy()
    return ["" if gone else str(v).strip() for v, gone in zip(values.to_numpy(dtype=object), missing, strict=True)]


def _texts(values: pd.Series) -> list[str]:
    """Text per row: missing → "", control characters → spaces, stripped."""
    missing = values.isna().to_numpy()
    return ["" if gone else _CONTROL.sub(" ", str(v)).strip()
            for v, gone in zip(values.to_numpy(dtype=object), missing, strict=True)]  # fmt: skip


def _units(text: str) -> int:
    """Length in UTF-16 code units (what a 255-character limit counts, at the strictest)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _prefix(text: str, room: int) -> str:
    """The longest prefix of ``text`` of at most ``room`` UTF-16 code units."""
    if text.isascii():
        return text[:room]
    used = 0
    for at, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            return text[:at]
    return text


def _fit_text(text: str, limit: int) -> str:
    """``text`` if it fits ``limit``, else cut at the last word boundary that leaves room for "…" (inside a word
    only when the first word alone is too long)."""
    if _units(text) <= limit:
        return text
    head = _prefix(text, limit - 1)
    if not text[len(head)].isspace():
        space = re.search(r"\s(?=\S*$)", head)
        head = head[: space.start()] if space else head
    cut = head.rstrip() or _prefix(text, limit - 1).rstrip()
    return cut + ELLIPSIS


def _join_codes(codes: Iterable[str], limit: int) -> str:
    """The non-empty codes joined with "; ", stopping before the first code that would not fit whole."""
    out = ""
    for code in codes:
        if not code:
            continue
        longer = f"{out}{CODE_SEPARATOR}{code}" if out else code
        if _units(longer) > limit:
            break
        out = longer
    return out


def _numbers(values: pd.Series, column: str) -> pd.Series:
    """Float64 numbers (missing or blank → <NA>); a value that is not a finite number is a ``ValueError`` naming
    the rows."""
    if pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype("Int64")
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.astype("Float64")
        given = numbers.notna().to_numpy()
    else:
        text = values.astype("string").str.strip()
        given = (text != "").fillna(False).to_numpy(dtype=bool)
        numbers = pd.to_numeric(text.where(given, pd.NA), errors="coerce").astype("Float64")
    finite = np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
    bad = given & ~finite
    if bad.any():
        raise ValueError(f"{column}: {int(bad.sum())} value(s) are not finite numbers ({_rows(bad)})")
    return numbers


def _whole_if_integral(numbers: pd.Series) -> pd.Series:
    known = numbers.dropna()
    return numbers.astype("Int64") if (known % 1 == 0).all() else numbers


def _times(values: pd.Series, fmt: str) -> pd.Series:
    """Times as UTC text in ``fmt`` (naive times are taken as UTC; missing → "")."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        stamps = values.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        stamps = values.dt.tz_localize("UTC")
    else:
        text = values.astype("string").str.strip()
        given = (text != "").fillna(False).to_numpy(dtype=bool)
        stamps = pd.to_datetime(values.where(given, None), utc=True, errors="coerce", format="ISO8601")
        bad = given & stamps.isna().to_numpy()
        if bad.any():
            raise ValueError(f"{values.name}: {int(bad.sum())} value(s) are not readable times ({_rows(bad)})")
    text = stamps.dt.strftime(fmt).to_numpy(dtype=object)
    known = stamps.notna().to_numpy()
    return pd.Series(np.where(known, text, ""), index=values.index, dtype="str")


# ------------------------------------------------------------------------------------------ checking a frame


def check_crm_frame(frame: pd.DataFrame, target: str, *, fields: tuple[CrmField, ...] | None = None) -> list[str]:
    """Problems of ``frame`` as an import for ``target``, one line each naming the column and the rows (counted
    from 1, header excluded) but never a value; ``[]`` when it passes. Checks: every field present and no other
    column, text within its length, numbers numeric and in range, picklist values allowed, times in the target's
    format, ids non-empty, unique and at most 255 characters. ``fields`` defaults to the documented layout with
    the reason count, optional fields and id column read from ``frame`` (pass :func:`renamed` fields after a
    ``mapping``)."""
    _target(target)
    layout = fields if fields is not None else _fields_of(frame, target)
    names = [f.name for f in layout]
    columns = [str(c) for c in frame.columns]
    problems = [f"missing column {n}" for n in names if n not in columns]
    problems += [f"unexpected column {c} (not an import field of this layout)" for c in columns if c not in names]
    problems += [f"column {c} appears {columns.count(c)} times" for c in dict.fromkeys(columns)
                 if columns.count(c) > 1]  # fmt: skip
    for field in layout:
        if field.name in columns:
            values = frame.iloc[:, columns.index(field.name)]
            problems += [f"{field.name}: {p}" for p in _field_problems(values, field, target)]
    return problems


def _fields_of(frame: pd.DataFrame, target: str) -> tuple[CrmField, ...]:
    """The documented layout that ``frame`` claims: reasons 1..k and optional fields as present; the id field is
    the default one when present, else the first column unless that is another field."""
    layout = _target(target)
    columns = {str(c) for c in frame.columns}
    reason = next(f for f in layout if "{i}" in f.name)
    top_k = 0
    while reason.name.format(i=top_k + 1) in columns:
        top_k += 1
    optional = [f.source for f in layout if f.source in OPTIONAL_SOURCES and f.name in columns]
    default = next(f.name for f in layout if f.kind == "id")
    first = str(frame.columns[0]) if len(frame.columns) else default
    id_field = default if default in columns or _known(first, target) else first
    return crm_fields(target, top_k=top_k, id_field=id_field, optional=optional)


def _rows(mask: np.ndarray, most: int = 10) -> str:
    at = (np.flatnonzero(mask) + 1).tolist()
    shown = ", ".join(map(str, at[:most])) + (f" and {len(at) - most} more" if len(at) > most else "")
    return f"row{'s' if len(at) > 1 else ''} {shown}"


def _field_problems(values: pd.Series, field: CrmField, target: str) -> list[str]:
    missing = values.isna().to_numpy()
    raw = values.to_numpy(dtype=object)
    text = np.array(["" if gone else str(v).strip() for v, gone in zip(raw, missing, strict=True)], dtype=object)
    empty = text == ""
    out: list[str] = []

    def flag(mask: np.ndarray, what: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            out.append(f"{int(mask.sum())} {what} ({_rows(mask)})")

    if field.kind in ("number", "percent"):
        numbers = pd.to_numeric(pd.Series(text, dtype="string"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        good = np.isfinite(numbers)
        flag(~empty & ~good, "value(s) not a number")
        low, high = field.minimum, field.maximum
        if field.kind == "percent":
            low, high = 0 if low is None else low, 100 if high is None else high
        if low is not None or high is not None:
            outside = good & ((numbers < (-np.inf if low is None else low)) | (numbers > (np.inf if high is None
                                                                                        else high)))  # fmt: skip
            flag(outside, f"value(s) outside {_span(low, high)}")
        return out
    lengths = np.array([_units(t) for t in text], dtype=int)
    if field.kind == "id":
        flag(empty, "empty id(s)")
        flag(lengths > ID_MAX, f"id(s) longer than {ID_MAX} characters")
        flag(~empty & pd.Series(text).duplicated().to_numpy(), "repeated id(s) (each record once)")
        return out
    marker = np.isin(text, list(_MISSING_TEXT))
    flag(marker, "missing value(s) written as text (nan, None, <NA>…) not left empty")
    if field.kind in ("datetime", "date"):
        fmt = TIME_FORMATS[target][field.kind]
        flag(~empty & ~np.array([_is_time(t, fmt) for t in text], dtype=bool),
             f"value(s) not a {field.kind} in the format {_SHOWN.get(fmt, fmt)}")  # fmt: skip
        return out
    if field.length is not None:
        plural = "s" if field.length != 1 else ""
        flag(~marker & (lengths > field.length), f"value(s) longer than {field.length} character{plural}")
    if field.values:
        allowed = np.isin(text, list(field.values))
        flag(~empty & ~allowed & ~marker, f"value(s) not among the allowed values ({', '.join(field.values)})")
    return out


def _span(low: float | None, high: float | None) -> str:
    if low is None:
        return f"the range (at most {high:g})"
    if high is None:
        return f"the range (at least {low:g})"
    return f"the range {low:g} to {high:g}"


def _is_time(text: str, fmt: str) -> bool:
    shape = _SHAPES.get(fmt)
    if shape is not None and not re.fullmatch(shape, text):
        return False
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def layout_table(top_k: int = 3) -> str:
    """Both layouts side by side as the README's Markdown table (generated from :func:`crm_fields`)."""
    pairs = zip(*(crm_fields(t, top_k=top_k, optional=OPTIONAL_SOURCES) for t in CRM_TARGETS), strict=True)
    rows = [
        "| Salesforce (Lead) | HubSpot (contact) | from the batch output | type | max length |",
        "|---|---|---|---|---|",
    ]
    for sf, hs in pairs:
        kinds = sf.kind if sf.kind == hs.kind else f"{sf.kind} / {hs.kind}"
        rows.append(f"| `{sf.name}` | `{hs.name}` | {sf.source} | {kinds} | {sf.length or ''} |")
    return "\n".join(rows) + "\n"
