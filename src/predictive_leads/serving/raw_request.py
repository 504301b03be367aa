"""A raw lead as a CRM webhook sends it — its record as the CRM holds it, optionally its recent events and an
``as_of`` — read into the tables the dataset spec declares, with the first problem of each row named by field
and row, never by value.

A request row holds the entity table's columns (all optional but the key; ``created_at`` defaults to ``as_of``),
``events`` (a list of objects: ``ts``, ``type``, optionally ``source`` naming one of the spec's event sources — the
first by default — and any of that source's own columns) and ``as_of`` (a date; a time of day counts as the end of
that day; default: the end of today, UTC, so every event sent counts). The tables then go through
:func:`~predictive_leads.data.spec_tables.apply_spec` and the feature pipeline, as a batch run's do.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Number

import numpy as np
import pandas as pd

from predictive_leads.data.contracts import Column, TableContract, ValueRule, check_values, is_missing
from predictive_leads.data.spec import DatasetSpec
from predictive_leads.data.spec_tables import spec_contracts

EVENTS, AS_OF = "events", "as_of"
MAX_EVENTS = 10_000  # per lead and request
MAX_TEXT = 10_000  # characters in one text field


@dataclass
class RawRequest:
    """The request's rows as the spec's tables (rows without a problem only), the spine (``lead_id``, ``as_of``) of
    those rows in request order, and the first problem of every request row (``""``: none)."""

    tables: dict[str, pd.DataFrame]
    spine: pd.DataFrame
    problems: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return self.problems == ""


def request_fields(spec: DatasetSpec) -> list[str]:
    """The fields a raw request may hold: the entity table's columns as declared, then ``events`` and ``as_of``."""
    return [*_entity(spec).names, EVENTS, AS_OF]


def read_request(frame: pd.DataFrame, spec: DatasetSpec, *, now: pd.Timestamp) -> RawRequest:
    """Read a raw request (see the module docstring) into :class:`RawRequest`."""
    frame = frame.reset_index(drop=True)
    contracts = spec_contracts(spec)
    problems = _Problems(len(frame))
    key = spec.entity.key
    ids = _ids(_column(frame, key), problems, key)
    as_of = _as_of(_column(frame, AS_OF), problems, now)
    leads = {key: ids}
    for col in contracts[spec.entity.table].columns:
        if col.name != key:
            leads[col.name] = _field(_column(frame, col.name), col, problems)
    leads = pd.DataFrame(leads)
    created = spec.entity.created_at
    leads[created] = leads[created].fillna(as_of)
    problems.add((leads[created] > as_of).to_numpy(), f"{created}: after as_of")
    events = _events(_column(frame, EVENTS), ids, spec, contracts, problems)
    ok = problems.ok
    tables = {spec.entity.table: leads[ok].reset_index(drop=True)}
    for source in spec.events:
        part = events.get(source.name, pd.DataFrame(columns=list(dict.fromkeys(source.columns))))
        tables[source.table] = part[part[source.key].isin(set(ids[ok]))].reset_index(drop=True)
    for table in spec.tables:  # outcome and account tables: none for an open lead
        tables.setdefault(table, pd.DataFrame(columns=list(contracts[table].names)))
    spine = pd.DataFrame({"lead_id": ids[ok].astype(str), "as_of": as_of[ok]}).reset_index(drop=True)
    return RawRequest(tables, spine, problems.text)


def _entity(spec: DatasetSpec) -> TableContract:
    return spec_contracts(spec)[spec.entity.table]


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A request field as plain Python values, None for missing (JSON null, NaN, an absent field)."""
    values = frame[name].tolist() if name in frame.columns else [None] * len(frame)
    return pd.Series([None if is_missing(v) else v for v in values], dtype=object)


class _Problems:
    """The first problem of each row, as text naming the field (never the value)."""

    def __init__(self, n: int) -> None:
        self.text = np.full(n, "", dtype=object)

    def add(self, mask, problem) -> None:
        mask = np.asarray(mask, dtype=bool) & (self.text == "")
        self.text[mask] = problem if isinstance(problem, str) else np.asarray(problem, dtype=object)[mask]

    @property
    def ok(self) -> np.ndarray:
        return self.text == ""


def _ids(values: pd.Series, problems: _Problems, key: str) -> pd.Series:
    text = pd.Series([_id_text(v) for v in values], dtype=object)
    problems.add(values.isna(), f"{key}: missing")
    problems.add(text.isna() & values.notna(), f"{key}: not text")
    text = text.str.strip() if len(text) else text
    problems.add((text == "").fillna(False), f"{key}: missing")
    problems.add(text.duplicated(keep="first") & text.notna(), f"{key}: repeated in this request")
    return text.astype(object)


def _id_text(value):
    if isinstance(value, str):
        return value
    if isinstance(value, Number) and not isinstance(value, bool) and float(value).is_integer():
        return str(int(value))
    return None


def _as_of(values: pd.Series, problems: _Problems, now: pd.Timestamp) -> pd.Series:
    """Each row's as_of: the given date (a time of day → the end of that day), else the end of ``now``'s day."""
    parsed = _timestamps(values)
    problems.add(values.notna() & parsed.isna(), f"{AS_OF}: not a date")
    day = parsed.dt.normalize()
    day = day.where(day == parsed, day + pd.Timedelta(days=1))
    return day.fillna(now.normalize() + pd.Timedelta(days=1))


def _timestamps(values: pd.Series) -> pd.Series:
    scalar = pd.Series([v if isinstance(v, str) and len(v) <= 64 else None for v in values], dtype=object)
    return pd.to_datetime(scalar, utc=True, errors="coerce", format="ISO8601").astype("datetime64[us, UTC]")


def _field(values: pd.Series, col: Column, problems: _Problems) -> pd.Series:
    """One entity column, typed as its contract says; its first problem per row added to ``problems``."""
    if col.dtype == "timestamp":
        parsed = _timestamps(values)
        problems.add(values.notna() & parsed.isna(), f"{col.name}: not a timestamp")
        return parsed
    if col.dtype in ("int", "float", "bool"):
        scalar = pd.Series([v if isinstance(v, str | Number) else np.nan if v is None else "?" for v in values],
                           dtype=object)  # fmt: skip
        parsed, found = check_values(scalar, ValueRule.of(col))
        problems.add(found.mask, found.text(f"{col.name}: "))
        return parsed
    text = [str(v) if isinstance(v, Number) and not isinstance(v, bool) else v for v in values]
    wrong = np.array([v is not None and not isinstance(v, str) for v in text], dtype=bool)
    problems.add(wrong, f"{col.name}: not text")
    problems.add(
        [isinstance(v, str) and len(v) > MAX_TEXT for v in text], f"{col.name}: longer than {MAX_TEXT:,} characters"
    )
    text = pd.Series([None if bad else v for v, bad in zip(text, wrong, strict=True)], dtype=object)
    if col.allowed is not None:
        allowed = set(col.allowed)
        problems.add([isinstance(v, str) and v.strip().lower() not in allowed for v in text],
                     f"{col.name}: not one of the allowed values")  # fmt: skip
    return text


def _events(values: pd.Series, ids: pd.Series, spec: DatasetSpec, contracts: dict,
            problems: _Problems) -> dict[str, pd.DataFrame]:  # fmt: skip
    """The events of every row, one frame per declared source (its own column names, keyed by the lead id)."""
    sources = {s.name: s for s in spec.events}
    rows: dict[str, list[dict]] = {name: [] for name in sources}
    default = spec.events[0].name if spec.events else None
    for i, (lead, events) in enumerate(zip(ids, values, strict=True)):
        if events is None:
            continue
        problem = _event_problem(events, sources, default)
        if problem:
            problems.add(np.arange(len(ids)) == i, problem)
            continue
        for event in events:
            source = sources[event.get("source", default)]
            rows[source.name].append(_event_row(event, source, lead) | {_ROW: i})
    frames = {}
    for name, source in sources.items():
        frame = pd.DataFrame(rows[name], columns=[*dict.fromkeys(source.columns), _ROW])
        for col in contracts[source.table].columns:
            if col.name in frame.columns and col.name != source.key:
                frame[col.name] = _event_column(frame[col.name], col, frame[_ROW], problems)
        frames[name] = frame.drop(columns=_ROW)
    return frames


_ROW = "__request_row__"


def _event_problem(events, sources: dict, default: str | None) -> str:
    """The first problem of one row's events (``""``: none); each event is named by its position in the list."""
    if not isinstance(events, list | tuple):
        return f"{EVENTS}: not a list of events"
    if len(events) > MAX_EVENTS:
        return f"{EVENTS}: more than {MAX_EVENTS:,} events"
    for n, event in enumerate(events):
        where = f"{EVENTS}[{n}]"
        if not isinstance(event, dict):
            return f"{where}: not an object"
        source = sources.get(event.get("source", default))
        if source is None:
            return f"{where}.source: not an event source of this model ({', '.join(sources)})"
        stamp = event.get("ts", event.get(source.timestamp))
        if stamp is None:
            return f"{where}.ts: missing"
        if not isinstance(stamp, str) or pd.isna(pd.to_datetime(stamp, utc=True, errors="coerce", format="ISO8601")):
            return f"{where}.ts: not a timestamp"
        kinds = [event.get(c) for c in source.type]
        if len(source.type) == 1 and kinds[0] is None:
            kinds = [event.get("type")]
        if any(k is None for k in kinds):
            return f"{where}.type: missing"
        if not all(isinstance(k, str) for k in kinds):
            return f"{where}.type: not text"
        for feature, column in source.values.items():
            value = event.get(column, event.get(feature))
            if value is not None and (not isinstance(value, Number) or isinstance(value, bool)
                                      or not np.isfinite(float(value))):  # fmt: skip
                return f"{where}.{column}: not a finite number"
    return ""


def _event_row(event: dict, source, lead: str) -> dict:
    row = {source.key: lead, source.timestamp: event.get("ts", event.get(source.timestamp))}
    if len(source.type) == 1:
        row[source.type[0]] = event.get(source.type[0], event.get("type"))
    else:
        row |= {c: event.get(c) for c in source.type}
    if source.url:
        url = event.get(source.url, event.get("url"))
        row[source.url] = url if isinstance(url, str) else None
    for feature, column in source.values.items():
        row[column] = event.get(column, event.get(feature))
    return row


def _event_column(values: pd.Series, col: Column, rows: pd.Series, problems: _Problems) -> pd.Series:
    """One event column typed as its contract says; a number breaking its rule is the problem of the event's row."""
    if col.dtype == "timestamp":
        return pd.to_datetime(values, utc=True, format="ISO8601").astype("datetime64[us, UTC]")
    if col.dtype in ("int", "float", "bool"):
        parsed, found = check_values(values.astype(object), ValueRule.of(col))
        bad = np.zeros(len(problems.text), dtype=bool)
        bad[rows[found.mask].to_numpy(dtype=int)] = True
        problems.add(bad, f"{EVENTS}.{col.name}: {found.texts[-1]}" if found.mask.any() else "")
        return parsed
    return values.astype(object)


def request_records(tables: dict[str, pd.DataFrame], spec: DatasetSpec, *, as_of=None) -> list[dict]:
    """Raw lead requests (JSON-ready records, one per entity row) from a CRM's tables as they are — the entity
    table and any of its event tables — with each lead's events before ``as_of`` (all when None): what a caller
    replaying a day's leads against the endpoint sends, and what the tests and the benchmark send."""
    cutoff = pd.Timestamp(as_of, tz="UTC") if as_of is not None else None
    leads = tables[spec.entity.table]
    columns = [c for c in _entity(spec).names if c in leads.columns]
    records = [{c: _json_value(v) for c, v in zip(columns, row, strict=True)}
               for row in leads[columns].itertuples(index=False, name=None)]  # fmt: skip
    by_lead: dict[str, list[dict]] = {}
    for n, source in enumerate(spec.events):
        if source.table not in tables:
            continue
        events = tables[source.table]
        stamps = pd.to_datetime(events[source.timestamp], utc=True)
        if cutoff is not None:
            events, stamps = events[stamps < cutoff], stamps[stamps < cutoff]
        own = [c for c in dict.fromkeys(source.columns) if c not in (source.key, source.timestamp)]
        for key, stamp, *values in zip(events[source.key], stamps, *(events[c] for c in own), strict=True):
            event = {"ts": stamp.isoformat(), **{c: _json_value(v) for c, v in zip(own, values, strict=True)}}
            by_lead.setdefault(str(key), []).append(event | ({"source": source.name} if n else {}))
    for record in records:
        record[EVENTS] = by_lead.get(str(record[spec.entity.key]), [])
        if as_of is not None:
            record[AS_OF] = str(pd.Timestamp(as_of).date())
    return records


def _json_value(value):
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value.item() if isinstance(value, np.generic) else value
