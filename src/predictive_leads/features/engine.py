"""Query engines for the behavioural features: embedded DuckDB (default) or PySpark.

Both are reached through Ibis, so the feature definitions in :mod:`.behaviour` are written once. Spark
sessions created here stay on loopback (driver host and bind address 127.0.0.1, no UI) and use UTC.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import is_string_dtype

from predictive_leads.data.spec import EventSource
from predictive_leads.data.spec_tables import DeclaredEvents

ENGINES = ("duckdb", "pyspark")
EVENT_COLUMNS = ("lead_id", "ts", "event_type", "url")


def connect(engine: str = "duckdb", *, spark_session=None, threads: int | None = None, memory_limit: str | None = None):
    """An Ibis backend: ``duckdb`` (in memory) or ``pyspark``.

    ``memory_limit`` caps DuckDB's buffers (default: DuckDB's own, 80 % of RAM); past it, what can spill goes to
    a temporary directory (never the working directory). Not every operator spills, so a cap that is too small
    fails: at 100k leads × 10M events 256 MB saved ~100 MB of peak RSS, 128 MB could not build a 12-date
    training set (``benchmarks/README.md``).
    """
    if engine == "duckdb":
        con = ibis.duckdb.connect(threads=threads or len(os.sched_getaffinity(0)) or 1)
        con.raw_sql("SET TimeZone = 'UTC'")
        if memory_limit:
            con.raw_sql(f"SET memory_limit = '{memory_limit}'")
        spill = Path(tempfile.gettempdir()) / f"predictive-leads-duckdb-{uuid.uuid4().hex}"  # made if it spills
        con.raw_sql(f"SET temp_directory = '{spill.as_posix()}'")
        return con
    if engine == "pyspark":
        return ibis.pyspark.connect(spark_session or local_spark())
    raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")


def local_spark(app_name: str = "predictive-leads", cores: int = 2, *, driver_memory: str | None = None):
    """A local Spark session bound to loopback, UI off, UTC session time zone, workers on this interpreter;
    ``driver_memory`` (e.g. ``"8g"``) sizes the JVM when this call starts it."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Python UDF workers run in this environment
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if driver_memory:
        builder = builder.config("spark.driver.memory", driver_memory)
    return (
        builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="predictive-leads-spark-"))
        .getOrCreate()
    )


def events_table(con, events, value_columns: tuple[str, ...] = ()) -> ibis.Table:
    """Events as one Ibis table on ``con`` (source, lead_id, ts, event_type, url and the value columns) from a
    pandas frame, a Parquet path, an existing Ibis table or declared sources (:class:`DeclaredEvents`, unioned).

    ``event_type`` keeps its raw spelling: it is normalised once per distinct value (see
    ``pipeline.resolve_vocabulary``), not once per event.
    """
    if isinstance(events, DeclaredEvents):
        parts = [_declared_source(con, s, events.tables[s.name], value_columns) for s in events.sources]
        return parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    if isinstance(events, pd.DataFrame):
        events = events[[c for c in (*EVENT_COLUMNS, *value_columns) if c in events.columns]]
    table = _read(con, events, "events")
    if "url" not in table.columns:
        table = table.mutate(url=ibis.null(str))
    values = {v: (table[v] if v in table.columns else ibis.null()).cast("float64") for v in value_columns}
    table = table.select(*EVENT_COLUMNS, **values).mutate(source=ibis.literal("events"))
    return _typed(table)


def _read(con, events, name: str) -> ibis.Table:
    if isinstance(events, ibis.Table):
        return events
    if isinstance(events, str | os.PathLike):
        path = Path(events)
        if not path.exists() and not any(c in str(path) for c in "*?["):  # globs are DuckDB's to expand
            raise FileNotFoundError(f"{name}: no such file: {path}")
        return con.read_parquet(path)
    return upload(con, events)


def _declared_source(con, source: EventSource, table, value_columns: tuple[str, ...]) -> ibis.Table:
    """One declared source in the common shape: its type columns joined with a space, its prefix in front."""
    t = _read(con, table if not isinstance(table, pd.DataFrame) else table[list(dict.fromkeys(source.columns))],
              source.table)  # fmt: skip
    missing = [c for c in source.columns if c not in t.columns]
    if missing:
        raise ValueError(f"{source.table}: missing column(s) {', '.join(missing)} declared for events {source.name!r}")
    if not source.type:  # one kind of event: named after its source
        kind = ibis.literal(source.name)
    elif len(source.type) == 1:
        kind = t[source.type[0]].cast(str)
    else:
        kind = ibis.literal(" ").join([t[c].cast(str).fill_null("") for c in source.type]).strip()
    if source.prefix:
        kind = ibis.literal(f"{source.prefix} ") + kind
    values = {v: (t[source.values[v]] if v in source.values else ibis.null()).cast("float64") for v in value_columns}
    out = t.select(
        lead_id=t[source.key].cast(str),
        ts=t[source.timestamp],
        event_type=kind,
        url=t[source.url].cast(str) if source.url else ibis.null(str),
        **values,
    ).mutate(source=ibis.literal(source.name))
    return _typed(out)


def _typed(table: ibis.Table) -> ibis.Table:
    """Timestamps in UTC microseconds (the features count microseconds), ids and types as text."""
    ts = table.ts.type()
    if not ts.is_timestamp():
        raise ValueError(f"events: the timestamp column is {ts}, not a timestamp")
    if ts.scale not in (None, 6):  # e.g. nanoseconds from pandas
        table = table.mutate(ts=table.ts.cast(dt.Timestamp(timezone=ts.timezone, scale=6)))
    as_text = {c: table[c].cast(str) for c in ("lead_id", "event_type") if not table[c].type().is_string()}
    return table.mutate(**as_text) if as_text else table


def spine_table(con, spine: pd.DataFrame) -> ibis.Table:
    """The spine with its row position (``row``, the key the aggregates come back on)."""
    frame = spine[["lead_id", "as_of"]].astype({"lead_id": str}).reset_index(drop=True)
    return upload(con, frame.assign(row=np.arange(len(frame))))


def upload(con, frame: pd.DataFrame) -> ibis.Table:
    """An in-memory table (a temporary view on Spark: nothing is written to a warehouse).

    DuckDB scans the Arrow table in place (categoricals stay dictionary-encoded); Spark gets plain columns, with
    missing text as None (pandas' NaN would arrive as the string 'nan').
    """
    if con.name == "duckdb":
        return ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))
    text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype) or is_string_dtype(frame[c])]
    plain = frame.assign(**{c: frame[c].astype(object).where(frame[c].notna(), None) for c in text})
    return ibis.memtable(plain)


def to_arrow(con, expr: ibis.Expr) -> pa.Table:
    """Execute ``expr`` on ``con`` and return Arrow."""
    return con.to_pyarrow(expr)


def to_pandas(con, expr: ibis.Expr) -> pd.DataFrame:
    """Execute ``expr`` on ``con`` and return pandas (through Arrow: much faster than Ibis' own conversion)."""
    return to_arrow(con, expr).to_pandas()


def split_events(con, events: ibis.Table, parts: pd.DataFrame, folder: Path) -> dict[int, ibis.Table]:
    """The ``events`` of each lead partition (``parts``: lead_id, part). DuckDB writes them to Parquet under
    ``folder`` once, a file set per partition (one pass over the events), so each partition reads its own share;
    other engines filter the events by the partition's leads. Sets the connection's
    ``partitioned_write_flush_threshold`` (it only affects partitioned writes)."""
    parts_t = upload(con, parts)
    numbers = sorted(int(p) for p in parts["part"].unique())
    if con.name != "duckdb":
        return {p: events.filter(events.lead_id.isin(parts_t.filter(parts_t.part == p).lead_id)) for p in numbers}
    con.raw_sql("SET partitioned_write_flush_threshold = 16384")  # rows buffered per partition: 524288 took ~0.5 GB
    con.to_parquet(events.join(parts_t, "lead_id"), folder, partition_by="part")
    written = {p: folder / f"part={p}" for p in numbers}
    return {p: con.read_parquet(f"{path.as_posix()}/*.parquet", hive_partitioning=False) if path.exists()
            else events.limit(0) for p, path in written.items()}  # fmt: skip
