"""A dataset spec applied to raw tables: checked, typed frames for the pipeline and a report of every column.

:func:`spec_contracts` turns the spec into one :class:`~predictive_leads.data.contracts.TableContract` per
table (the same checks as our own tables: one-line errors naming file, column and ids). :func:`apply_spec`
returns :class:`SpecTables`: the leads (``lead_id``, ``created_at``, the parsers' inputs under their role, the
declared attributes under their feature names), the event sources as they are (the feature stage reads them
through their declaration), the conversions of the target outcome, and ``columns``: every column of every
table read, with what it is used for or why it is not. Nothing is renamed in the user's values; value maps
the user wrote are applied and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from predictive_leads.data.contracts import (
    LEADS,
    MAX_AMOUNT,
    Column,
    ContractError,
    TableContract,
    _fmt_ids,
    check_not_before_creation,
    validate,
)
from predictive_leads.data.spec import PII_PARSERS, DatasetSpec, EventSource, Outcome

_NUMERIC_PARSERS = ("employees", "annual_revenue")


@dataclass(frozen=True)
class DeclaredEvents:
    """Event sources as they are: each declaration with its table (a checked frame, or a Parquet path the query
    engine reads directly). The feature stage unions them into one event stream."""

    sources: tuple[EventSource, ...]
    tables: dict[str, pd.DataFrame | str]  # source name → table

    @property
    def value_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for s in self.sources for v in s.values))


@dataclass
class SpecTables:
    """The frames a spec yields (see the module docstring)."""

    leads: pd.DataFrame
    events: DeclaredEvents
    conversions: pd.DataFrame
    columns: pd.DataFrame  # table, column, use, detail
    mapped: dict[str, dict[str, int]] = field(default_factory=dict)  # column → "raw → mapped" → rows


def _kind_dtype(kind: str) -> str:
    return {"numeric": "float", "boolean": "bool"}.get(kind, "string")


def spec_contracts(spec: DatasetSpec) -> dict[str, TableContract]:
    """One contract per table the spec reads: keys, timestamps, typed attributes, event and outcome columns."""
    cols: dict[str, dict[str, Column]] = {t: {} for t in spec.tables}

    def add(table: str, name: str, dtype: str, what: str, *, required: bool = True, nullable: bool = True,
            unique: bool = False, min_value: float | None = None, max_value: float | None = None
            ) -> None:  # fmt: skip
        cols[table].setdefault(
            name, Column(name, dtype, what, required, nullable, unique, None, min_value, max_value=max_value)
        )

    e = spec.entity
    add(e.table, e.key, "string", "The entity's key.", nullable=False, unique=True)
    add(e.table, e.created_at, "timestamp", "When the lead was created.", nullable=False)
    if e.account_key:
        add(e.table, e.account_key, "string", "The account the lead belongs to.")
    if spec.account:
        add(spec.account.table, spec.account.key, "string", "The account's key.", nullable=False, unique=True)
    for role, column in spec.parsers.items():
        if role in _NUMERIC_PARSERS:  # the same range as our own leads table
            bounds = LEADS.column(role)
            add(e.table, column, "float", f"Read by the {role} parser.", min_value=bounds.min_value,
                max_value=bounds.max_value)  # fmt: skip
        else:
            add(e.table, column, "string", f"Read by the {role} parser.")
    for a in spec.attributes:
        add(a.table or e.table, a.column, _kind_dtype(a.kind), f"A {a.kind} attribute.")
        if a.known_from:
            add(e.table, a.known_from, "timestamp", f"When {a.column} became known.")
    for s in spec.events:
        add(s.table, s.key, "string", f"The lead of a {s.name} event.")
        add(s.table, s.timestamp, "timestamp", f"When the {s.name} event happened.")
        for c in (*s.type, *([s.url] if s.url else [])):
            add(s.table, c, "string", f"The {s.name} event's type or URL.")
        for name, c in s.values.items():
            add(s.table, c, "float", f"Summed as {name} in windows.")
    for o in spec.outcomes.values():
        add(o.table, o.time, "timestamp", "When the outcome happened.")
        add(o.table, o.lead_key or o.key, "string", "The outcome's lead (or the key the entity links to).")
        for c in o.where:
            add(o.table, c, "string", "Filters the outcome rows.")
        if o.value:
            add(o.table, o.value, "float", "The outcome's value.", min_value=0, max_value=MAX_AMOUNT)
        if o.link:
            add(e.table, o.link, "string", "Links the lead to its outcome row.")
    keys = {e.table: e.key} | ({spec.account.table: spec.account.key} if spec.account else {})
    return {t: TableContract(t, keys.get(t, next(iter(c))), tuple(c.values()), f"{t} as declared in {spec.source}")
            for t, c in cols.items()}  # fmt: skip


def apply_spec(raw: dict[str, pd.DataFrame | str], spec: DatasetSpec, *, source_names: dict[str, str] | None = None
               ) -> SpecTables:  # fmt: skip
    """Check ``raw`` (table name → frame, or a Parquet path for an event table) against ``spec`` and build
    :class:`SpecTables`. ``source_names`` gives each table's file name for messages (default: the table name)."""
    names = source_names or {}
    contracts = spec_contracts(spec)
    missing = [t for t in spec.tables if t not in raw]
    if missing:
        raise ContractError(f"{spec.source}: table(s) {', '.join(missing)} not found")
    event_tables = {s.table for s in spec.events}
    checked = {}
    for table, contract in contracts.items():
        data = raw[table]
        if isinstance(data, pd.DataFrame):
            checked[table] = validate(data, contract, names.get(table, table))
        elif table in event_tables and table not in (spec.entity.table, *(o.table for o in spec.outcomes.values())):
            checked[table] = data  # a Parquet path: the engine reads it and counts bad events
        else:
            raise ContractError(f"{names.get(table, table)}: expected a table")
    leads, mapped = _leads(checked, spec, names)
    return SpecTables(
        leads=leads,
        events=DeclaredEvents(spec.events, {s.name: checked[s.table] for s in spec.events}),
        conversions=_conversions(checked, spec.outcome, spec, names),
        columns=column_report(raw, spec),
        mapped=mapped,
    )


def _leads(tables: dict, spec: DatasetSpec, names: dict) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    e = spec.entity
    entity = tables[e.table]
    out = pd.DataFrame({"lead_id": entity[e.key].array, "created_at": entity[e.created_at].array})
    mapped: dict[str, dict[str, int]] = {}

    def values(table: pd.DataFrame, column: str) -> pd.Series:
        col = table[column]
        if column not in spec.value_maps:
            return col
        mapping = spec.value_maps[column]
        hits = col[col.isin(list(mapping))]
        mapped[column] = {f"{k} → {mapping[k]}": int(n) for k, n in hits.value_counts(sort=False).sort_index().items()}
        return col.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v).astype(col.dtype)

    for role, column in spec.parsers.items():
        out[role] = values(entity, column).to_numpy()
    account_rows = None
    if spec.account:
        account = tables[spec.account.table].set_index(spec.account.key)
        out["account_id"] = entity[e.account_key].to_numpy()
        account_rows = account.reindex(entity[e.account_key].astype("string"))
    for a in spec.attributes:
        source = entity if a.table is None else account_rows
        column = values(source, a.column)
        out[a.feature(spec)] = _typed(column, a, names.get(a.table or e.table, a.table or e.table)).array
        if a.known_from:
            out[a.known_from] = entity[a.known_from].to_numpy()
    return out, mapped


def _typed(values: pd.Series, attribute, source: str) -> pd.Series:
    if attribute.kind != "band":
        return values
    order = list(attribute.order)
    outside = values.notna() & ~values.isin(order)
    if outside.any():
        bad = _fmt_ids(sorted(values[outside].astype(str).unique()))
        raise ContractError(f"{source}: column '{attribute.column}': values outside the declared band order ({bad}); "
                            f"order: {', '.join(order)}")  # fmt: skip
    return pd.Series(pd.Categorical(values.astype(object), categories=order, ordered=True), index=values.index)


def _conversions(tables: dict, outcome: Outcome, spec: DatasetSpec, names: dict) -> pd.DataFrame:
    """The first outcome row of each lead passing ``where``: lead_id, converted_at, deal_value."""
    rows, entity = tables[outcome.table], tables[spec.entity.table]
    keep = np.ones(len(rows), dtype=bool)
    for column, accepted in outcome.where.items():
        wanted = {a.strip().lower() for a in accepted}
        keep &= rows[column].astype("string").str.strip().str.lower().isin(wanted).fillna(False).to_numpy(bool)
    rows = rows.loc[keep]
    if outcome.lead_key:
        lead = rows[outcome.lead_key]
    else:
        linked = entity[[spec.entity.key, outcome.link]].dropna(subset=[outcome.link])
        lead = rows[outcome.key].map(linked.set_index(outcome.link)[spec.entity.key].groupby(level=0).first())
    frame = pd.DataFrame({
        "lead_id": lead.to_numpy(),
        "converted_at": rows[outcome.time].array,
        "deal_value": rows[outcome.value].to_numpy() if outcome.value else np.nan,
    }).dropna(subset=["lead_id", "converted_at"])  # fmt: skip
    source = names.get(outcome.table, outcome.table)
    unknown = ~frame["lead_id"].isin(entity[spec.entity.key])
    if unknown.any():
        raise ContractError(f"{source}: {int(unknown.sum())} outcome row(s) refer to leads missing from "
                            f"{spec.entity.table}; first ids: "
                            f"{_fmt_ids(frame.loc[unknown, 'lead_id'].astype(str).unique())}")  # fmt: skip
    created = pd.DataFrame({"lead_id": entity[spec.entity.key].array,
                            "created_at": entity[spec.entity.created_at].array})  # fmt: skip
    check_not_before_creation(frame.rename(columns={"converted_at": outcome.time}), created, source=source,
                              column=outcome.time)  # fmt: skip
    first = frame.sort_values(["lead_id", "converted_at"], kind="stable").drop_duplicates("lead_id")
    return first.reset_index(drop=True)


# ------------------------------------------------------------------------------------------ the column report


def _uses(spec: DatasetSpec) -> dict[tuple[str, str], tuple[str, str]]:
    """(table, column) → (use, detail) for every column the spec names."""
    e, uses = spec.entity, {}

    def use(table, column, kind, detail):
        uses.setdefault((table, column), (kind, detail))

    pii = set(spec.pii)
    for role, column in spec.parsers.items():
        kind = "pii (parser input)" if role in PII_PARSERS or column in pii else "parser"
        use(e.table, column, kind, f"read by the {role} parser")
    for column in spec.pii:
        use(e.table, column, "pii", "declared PII: never a feature, never logged")
    use(e.table, e.key, "key", "the lead's id")
    use(e.table, e.created_at, "time", "when the lead was created (the spine)")
    if e.account_key:
        use(e.table, e.account_key, "key", f"the lead's account in {spec.account.table if spec.account else '?'}")
    if spec.account:
        use(spec.account.table, spec.account.key, "key", "the account's id")
    for a in spec.attributes:
        known = f", known from {a.known_from}" if a.known_from else ""
        known += f", normalised as a {a.normalise.replace('_', ' ')}" if a.normalise else ""
        use(a.table or e.table, a.column, "feature", f"{a.kind} attribute → {a.feature(spec)}{known}")
        if a.known_from:
            use(e.table, a.known_from, "time", f"when {a.column} became known")
    for s in spec.events:
        use(s.table, s.key, "key", f"the lead of each {s.name} event")
        use(s.table, s.timestamp, "time", f"when each {s.name} event happened")
        for c in s.type:
            use(s.table, c, "event type", f"names the {s.name} event types")
        if s.url:
            use(s.table, s.url, "event url", "the page of form and page events")
        for name, c in s.values.items():
            use(s.table, c, "event value", f"summed and maxed in windows as {name}")
    for name, o in spec.outcomes.items():
        role = "target" if name == spec.target else "other outcome"
        use(o.table, o.time, "outcome", f"{role} {name}: when it happened")
        use(o.table, o.lead_key or o.key, "key", f"{role} {name}: its lead")
        for c in o.where:
            use(o.table, c, "outcome", f"{role} {name}: filter")
        if o.value:
            use(o.table, o.value, "outcome", f"{role} {name}: its value")
        if o.link:
            use(e.table, o.link, "key", f"links the lead to its {name} row in {o.table}")
    return uses


def column_report(raw: dict[str, pd.DataFrame | str], spec: DatasetSpec) -> pd.DataFrame:
    """Every column of every table the spec reads: used (and how), ignored (and why) or refused as PII."""
    uses = _uses(spec)
    rows = []
    for table in spec.tables:
        data = raw.get(table)
        columns = list(data.columns) if isinstance(data, pd.DataFrame) else _parquet_columns(data)
        for column in columns:
            use, detail = uses.get((table, column), (None, None))
            if use is None:
                if column in spec.pii:
                    use, detail = "pii", "declared PII: never a feature, never logged"
                elif column in spec.ignore:
                    use, detail = "ignored", spec.ignore[column]
                else:
                    use, detail = "ignored", "not declared in the spec"
            rows.append((table, str(column), use, detail))
    return pd.DataFrame(rows, columns=["table", "column", "use", "detail"])


def _parquet_columns(path) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names) if path is not None else []
