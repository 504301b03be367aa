"""Behavioural features as Ibis expressions: written once, run on DuckDB (default) or PySpark.

:func:`event_aggregates` joins each spine row to its lead's events with ``events.ts < spine.as_of``: an
event at or after as_of can never reach a feature, by construction. An event's *age* is the number of whole
UTC days between its day and the as_of date (0 = the day before as_of), in integer epoch days, so the
arithmetic is identical on every engine. The engine returns three narrow tables instead of one wide row per
lead: a handful of cheap aggregates over millions of events, where a hundred conditional sums per event
would cost ~5x the CPU and memory (see ``benchmarks/README.md``):

- ``by_type``: per (spine row, event type, age bucket) the count, the latest event and the high-intent
  form count. Bucket ``i`` holds the events younger than ``edges[i]`` days but not ``edges[i-1]``, so every
  window count is a cumulative sum over buckets.
- ``day_masks``: per (spine row, block of 63 days of age) a bit mask of the days with any activity, combined
  with ``BIT_OR`` (DuckDB and Spark SQL both have it), and the latest event; distinct active days in a window
  are popcounts.
- ``bursts``: the largest number of page views in one fixed, epoch-aligned bucket (only buckets of 2+ views,
  so few rows). Buckets never straddle midnight, so ``bucket start < as_of`` is exact.

A training set with several as_of dates joins no event to a spine row (:func:`period_aggregates`). The days
are cut at every as_of date and at every window's first day before one; the events are aggregated once per
lead, type and period, and NumPy pairs each period with the rows whose windows hold it and carries all of
them along each lead's rows (:mod:`~predictive_leads.features.history`, :func:`period_type_counts`,
:func:`period_activity`), instead of joining every event to every later as_of. The query needs only the
dates, not the spine, so it can start while the spine is being built.

:func:`type_counts`, :func:`day_activity`, :func:`finish_event_features` and :func:`with_bursts` turn them
into the published wide columns with NumPy, so that arithmetic cannot differ between engines either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd
import pyarrow as pa
from ibis import _

from predictive_leads.features.config import FeatureConfig
from predictive_leads.features.history import PeriodGroups, period_ends, scatter

DAY = pd.Timedelta(days=1)
LN2 = float(np.log(2))
MICROS_PER_DAY = 86_400_000_000
TREND_RECENT, TREND_BEFORE = 7, 30
BLOCK_DAYS = 63  # days per activity bit mask: bits 0..62 stay positive in a signed 64-bit integer
NAT_US = np.iinfo(np.int64).min  # the int64 of NaT: "no event" in epoch microseconds


@ibis.udf.agg.builtin
def bit_or(value: int) -> int:  # pragma: no cover - compiled to the engine's BIT_OR, never called
    """Bitwise OR of the values in a group."""


@dataclass(frozen=True)
class EventAggregates:
    """The narrow per-spine-row aggregates (Ibis tables): unpacked by :func:`type_counts` and
    :func:`day_activity`, assembled by :func:`finish_event_features`."""

    by_type: ibis.Table  # per (row, kind, age bucket)
    day_masks: ibis.Table  # per (row, 63-day block of age)
    bursts: ibis.Table  # per row with a burst of 2+ views


@dataclass(frozen=True)
class PeriodAggregates:
    """The per-lead-and-period aggregates of several as_of dates (Ibis tables): unpacked by
    :func:`period_type_counts` and :func:`period_activity`."""

    periods: ibis.Table  # per (lead, kind, period)
    period_days: ibis.Table  # per (lead, period, 63-day block of epoch days)


def window_edges(config: FeatureConfig) -> list[int]:
    """Window lengths in days: the configured ones plus the two the activity trend compares."""
    return sorted(set(config.windows_days) | {TREND_RECENT, TREND_RECENT + TREND_BEFORE})


@ibis.udf.scalar.builtin(name="epoch_us")
def _duckdb_epoch_us(ts: dt.Timestamp(timezone="UTC")) -> dt.int64:  # pragma: no cover - compiled, never called
    """Microseconds since 1970-01-01 UTC (DuckDB)."""


@ibis.udf.scalar.builtin(name="unix_micros")
def _spark_epoch_us(ts: dt.Timestamp(timezone="UTC")) -> dt.int64:  # pragma: no cover - compiled, never called
    """Microseconds since 1970-01-01 UTC (Spark SQL)."""


def _epoch_us(ts: ibis.Value, engine: str) -> ibis.Value:
    """Microseconds since 1970 as an integer: the one primitive each engine spells its own way. Ibis' own
    ``epoch_seconds`` first casts to a naive timestamp, which costs DuckDB a time-zone conversion per event
    (5x the time of the whole day arithmetic here)."""
    return (_spark_epoch_us if engine == "pyspark" else _duckdb_epoch_us)(ts)


def count_if(condition: ibis.Value) -> ibis.Value:
    """How many rows of the group meet ``condition`` (``ifelse`` + ``sum``: ~2.5x faster on DuckDB than
    ``FILTER (WHERE …)``)."""
    return ibis.ifelse(condition, 1, 0).sum()


def canonical_event_types(spellings: pd.Series) -> pd.Series:
    """Event types as feature names spell them: lower case, runs of blanks and punctuation → ``_`` ("Email
    Opened" → ``email_opened``); missing or blank → missing."""
    text = spellings.astype("string").str.strip().str.lower().str.replace(r"[^0-9a-z]+", "_", regex=True)
    text = text.str.strip("_")
    return text.where(text.str.len() > 0)


def event_aggregates(
    events: ibis.Table,
    spine: ibis.Table,
    config: FeatureConfig,
    *,
    spelling: Mapping[str, str] | None = None,
    engine: str = "duckdb",
) -> EventAggregates:
    """Point-in-time aggregates of the events before each spine row's as_of (spine: row, lead_id, as_of).

    ``spelling`` maps each raw ``event_type`` value of ``events`` to its name in the vocabulary
    ``config.types`` (default: the names themselves). A join with that table gives each event its type's
    position in the vocabulary (``kind``), so several spellings of one type merge, events of other types drop
    out, and groups are keyed by integers.
    """
    ev, values = _typed_events(events, config, spelling, engine)
    sp = spine.mutate(as_of_us=_epoch_us(spine.as_of, engine))
    sp = sp.mutate(as_of_day=sp.as_of_us // MICROS_PER_DAY)
    edges = window_edges(config)
    joined = sp.join(ev, [sp.lead_id == ev.lead_id, ev.ts < sp.as_of])
    age = joined.as_of_day - 1 - joined.day
    older_than = [ibis.ifelse(age >= edge, 1, 0) for edge in edges]
    bucket = sum(older_than[1:], older_than[0])
    rows = joined.select("row", "kind", "us", "high_intent", *values, age=age, bucket=bucket)
    by_type = rows.group_by(["row", "kind", "bucket"]).aggregate(**_type_aggregates(rows, rows.age, config, values))
    day_masks = rows.group_by(["row", (rows.age // BLOCK_DAYS).name("block")]).aggregate(
        mask=_day_bits(rows.age), last_us=rows.us.max()
    )
    views = ev.filter(ev.kind.isin([config.types.index(t) for t in config.burst_event_types]))
    return EventAggregates(by_type, day_masks, _bursts(views, sp, config))


def period_aggregates(
    events: ibis.Table,
    config: FeatureConfig,
    as_of_days: Sequence[int],
    *,
    spelling: Mapping[str, str] | None = None,
    engine: str = "duckdb",
) -> PeriodAggregates:
    """The events before the last of ``as_of_days`` (epoch days, :func:`epoch_days`) aggregated per (lead, kind,
    period) and their active days as bit masks per (lead, period, 63-day block of epoch days), with no spine at
    all: periods are cut at :func:`~predictive_leads.features.history.period_ends`, and ``period`` ``p`` ends
    (exclusive) at the ``p``-th cut; decay is taken to the day before it. One lead's groups partition its days,
    so day counts add up. ``spelling`` as for :func:`event_aggregates`."""
    ev, values = _typed_events(events, config, spelling, engine)
    cuts = period_ends(sorted(as_of_days), window_edges(config))
    old = ev.filter(ev.day < cuts[-1])  # keyed by lead_id: faster here than a join to lead numbers
    keyed = old.mutate(period=_first_after(old.day, cuts, range(len(cuts))))
    end = _first_after(keyed.day, cuts, cuts)
    periods = keyed.group_by(["lead_id", "kind", "period"]).aggregate(
        **_type_aggregates(keyed, end - 1 - keyed.day, config, values)
    )
    days = keyed.group_by(["lead_id", "period", (keyed.day // BLOCK_DAYS).name("block")]).aggregate(
        mask=_day_bits(keyed.day), last_us=keyed.us.max()
    )  # ~2x faster than counting distinct days
    return PeriodAggregates(periods, days)


def _typed_events(events: ibis.Table, config: FeatureConfig, spelling: Mapping[str, str] | None, engine: str):
    """The events of the vocabulary's types with their ``kind``, epoch ``us`` and ``day``, the ``high_intent``
    flag and the value columns as ``v_0``, ``v_1``, …; and those value names."""
    types = config.types
    if spelling is None:
        spelling = {t: t for t in types}
    kinds = ibis.memtable(
        {"event_type": list(spelling), "kind": [types.index(t) for t in spelling.values()]},
        schema={"event_type": "string", "kind": "int64"},
    )
    ev = events.join(kinds, "event_type").mutate(us=_epoch_us(events.ts, engine))
    ev = ev.mutate(day=ev.us // MICROS_PER_DAY)
    if config.high_intent_form_urls:
        form = types.index(config.high_intent_form_type)
        urls = list(config.high_intent_form_urls)  # a condition, not `&`: DuckDB then tests only the forms' urls
        ev = ev.mutate(high_intent=ibis.ifelse(ev.kind == form, ev.url.isin(urls), False))
    else:
        ev = ev.mutate(high_intent=ibis.literal(False))
    values = [f"v_{i}" for i in range(len(config.value_columns))]
    return ev.mutate(**{v: ev[c].cast("float64") for v, c in zip(values, config.value_columns, strict=True)}), values


def _type_aggregates(rows: ibis.Table, age: ibis.Value, config: FeatureConfig, values: list[str]) -> dict:
    """The aggregates per event type of a group of events ``age`` days old (0: the day before as_of)."""
    age = age.cast("float64")
    return {
        "n": rows.count(),
        "last_us": rows.us.max(),
        "high_intent": count_if(rows.high_intent),
        **{f"decay_{i}": (age * (-LN2 / h)).exp().sum() for i, h in enumerate(config.half_lives_days)},
        **{f"sum_{k}": rows[k].sum() for k in values},
        **{f"max_{k}": rows[k].max() for k in values},
    }


def _first_after(day: ibis.Value, cuts: Sequence[int], values: Sequence[int]) -> ibis.Value:
    """``values[i]`` for the first of the sorted ``cuts`` after ``day`` (``day`` is before the last): a binary
    search of nested conditions, a handful of comparisons per event however many cuts."""
    if len(cuts) == 1:
        return ibis.literal(values[0], type="int64")
    middle = len(cuts) // 2
    return ibis.ifelse(day < cuts[middle - 1], _first_after(day, cuts[:middle], values[:middle]),
                       _first_after(day, cuts[middle:], values[middle:]))  # fmt: skip


def _day_bits(day: ibis.Value) -> ibis.Value:
    """An activity bit mask of ``day``'s block of :data:`BLOCK_DAYS` days (OR-ed by ``bit_or`` per block)."""
    return bit_or(ibis.literal(1).cast("int64") << (day % BLOCK_DAYS))


def epoch_days(as_of: pd.Series) -> np.ndarray:
    """Each as_of (UTC) as whole days since 1970-01-01: the engines' day of a timestamp (its epoch microseconds
    floor-divided by a day's)."""
    return pd.to_datetime(as_of, utc=True).dt.as_unit("us").astype("int64").to_numpy() // MICROS_PER_DAY


def _bursts(views: ibis.Table, sp: ibis.Table, config: FeatureConfig) -> ibis.Table:
    """Largest number of page views in one fixed bucket before as_of (buckets of 2+ views only: few rows)."""
    width = config.burst_window_minutes * 60_000_000
    buckets = views.group_by(["lead_id", (views.us // width).name("bucket")]).aggregate(n=_.count()).filter(_.n > 1)
    joined = sp.join(buckets, [sp.lead_id == buckets.lead_id, buckets.bucket * width < sp.as_of_us])
    return joined.group_by("row").aggregate(burst=joined.n.max())


@dataclass(frozen=True)
class TypeCounts:
    """Per spine row and event type: counts by window (cumulative over age buckets), recencies, forms, decayed
    counts and the sums and maxima of value columns."""

    within: np.ndarray  # (type, bucket, row) int32: events younger than edges[bucket] days; the last bucket: all
    last_us: dict[str, np.ndarray]  # recency type → (row,) latest event in epoch µs, the int64 of NaT when none
    high_intent: np.ndarray  # (row,) high-intent form submissions
    decayed: np.ndarray  # (half-life, type, row) float64: sum of 2^(-age / half-life) over the type's events
    value_sums: np.ndarray  # (value column, bucket, row) float64, cumulative like ``within``
    value_max: np.ndarray  # (value column, row) float64, NaN when the lead has no value


def type_counts(by_type: pa.Table, n: int, config: FeatureConfig) -> TypeCounts:
    """:class:`TypeCounts` for ``n`` spine rows from the ``by_type`` aggregate (rows last: each column of the
    frame is one contiguous slice)."""
    types, n_buckets = config.types, len(window_edges(config)) + 1
    rows, kind, bucket = _int64(by_type, "row"), _int64(by_type, "kind"), _int64(by_type, "bucket")
    within = np.zeros((len(types), n_buckets, n), dtype=np.int32)
    within.reshape(-1)[(kind * n_buckets + bucket) * n + rows] = _int64(by_type, "n")
    recency = _recency_slots(config)
    latest = np.full((len(config.recency_event_types), n), NAT_US, dtype=np.int64)
    keep = recency[kind] >= 0
    scatter(np.maximum, latest, (recency[kind][keep], rows[keep]), _int64(by_type, "last_us")[keep])
    decayed = np.zeros((len(config.half_lives_days), len(types), n))
    for i in range(len(config.half_lives_days)):
        scatter(np.add, decayed[i], (kind, rows), _float64(by_type, f"decay_{i}"))
    value_sums = np.zeros((len(config.value_columns), n_buckets, n))
    value_max = np.full((len(config.value_columns), n), np.nan)
    for i in range(len(config.value_columns)):
        scatter(np.add, value_sums[i], (bucket, rows), np.nan_to_num(_float64(by_type, f"sum_v_{i}")))
        np.fmax.at(value_max[i], rows, _float64(by_type, f"max_v_{i}"))
    high_intent = _sum_by_row(rows, _int64(by_type, "high_intent"), n)
    _cumulate(within, value_sums, n_buckets)
    last_us = dict(zip(config.recency_event_types, latest, strict=True))
    return TypeCounts(within, last_us, high_intent, np.round(decayed, 9), _significant(value_sums), value_max)


def _recency_slots(config: FeatureConfig) -> np.ndarray:
    """Each event type's place among the recency types, -1 for the others."""
    slots = np.full(len(config.types), -1)
    slots[[config.types.index(t) for t in config.recency_event_types]] = range(len(config.recency_event_types))
    return slots


def _cumulate(within: np.ndarray, value_sums: np.ndarray, buckets: int) -> None:
    """Counts and value sums per age bucket made cumulative over the first ``buckets``, in place (contiguous
    slices: ~10x faster than ``np.cumsum`` along the middle axis)."""
    for b in range(1, buckets):
        within[:, b] += within[:, b - 1]
        value_sums[:, b] += value_sums[:, b - 1]


def _significant(values: np.ndarray, digits: int = 12) -> np.ndarray:
    """Sums of float values rounded to ``digits`` significant digits, so that the order an engine happens to
    add in (it differs between DuckDB and Spark, and between split and whole aggregates) cannot show."""
    with np.errstate(divide="ignore", over="ignore"):
        scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(values))))
    scale[~np.isfinite(scale)] = 1.0
    return np.round(values * scale) / scale


@dataclass(frozen=True)
class DayActivity:
    """Per spine row: distinct active days in all and per window, and the latest event of any type."""

    active_days: dict[str, np.ndarray]  # active_days_total, active_days_{w}d for every window edge
    last_us: np.ndarray  # (row,) latest event in epoch µs, the int64 of NaT when none


def day_activity(day_masks: pa.Table, n: int, config: FeatureConfig) -> DayActivity:
    """:class:`DayActivity` for ``n`` spine rows from the ``day_masks`` aggregate (popcounts of the masks)."""
    rows = _int64(day_masks, "row")
    block = _int64(day_masks, "block")
    mask = _masks(day_masks)
    days = {"active_days_total": _sum_by_row(rows, np.bitwise_count(mask), n)}
    for w in window_edges(config):
        keep = np.clip(w - block * BLOCK_DAYS, 0, BLOCK_DAYS).astype(np.uint64)  # days of the block inside
        days[f"active_days_{w}d"] = _sum_by_row(rows, np.bitwise_count(mask & ((np.uint64(1) << keep) - 1)), n)
    return DayActivity(days, _max_by_row(rows, _int64(day_masks, "last_us"), n))


def period_type_counts(periods: PeriodGroups, config: FeatureConfig) -> TypeCounts:
    """:class:`TypeCounts` from the ``periods`` aggregate of several dates placed on the spine's timeline: window
    counts from the (period, row) pairs the windows hold, the rest carried along each lead's rows."""
    types, edges, n = config.types, window_edges(config), len(periods.timeline.day)
    group, rows, bucket = periods.in_windows(edges)
    carried = periods.carried()
    within = np.zeros((len(types), len(edges) + 1, n), dtype=np.int32)
    kind = _int64(periods.groups, "kind")
    scatter(np.add, within, (kind[group], bucket, rows), _int64(periods.groups, "n").astype(np.int32)[group])
    within[:, -1] = carried.sum("n", slot=kind, n_slots=len(types)).T
    recency = _recency_slots(config)
    latest = carried.max("last_us", NAT_US, slot=recency[kind], n_slots=len(config.recency_event_types))
    last_us = {t: latest[:, recency[types.index(t)]] for t in config.recency_event_types}
    decayed = np.zeros((len(config.half_lives_days), len(types), n))
    for i, h in enumerate(config.half_lives_days):
        decayed[i] = carried.sum(f"decay_{i}", slot=kind, n_slots=len(types), rate=-LN2 / h).T
    value_sums = np.zeros((len(config.value_columns), len(edges) + 1, n))
    value_max = np.full((len(config.value_columns), n), np.nan)
    for i in range(len(config.value_columns)):
        scatter(np.add, value_sums[i], (bucket, rows), np.nan_to_num(_float64(periods.groups, f"sum_v_{i}"))[group])
        value_sums[i, -1] = carried.sum(f"sum_v_{i}")[:, 0]
        value_max[i] = carried.max(f"max_v_{i}", np.nan)[:, 0]
    _cumulate(within, value_sums, len(edges))  # the last bucket already holds all before as_of
    high_intent = carried.sum("high_intent")[:, 0]
    return TypeCounts(within, last_us, high_intent, np.round(decayed, 9), _significant(value_sums), value_max)


def period_activity(days: PeriodGroups, config: FeatureConfig) -> DayActivity:
    """:class:`DayActivity` from the ``period_days`` aggregate of several dates placed on the spine's timeline: a
    period lies wholly inside or outside each window, and one lead's periods partition its days, so active days
    are sums of the periods' popcounts."""
    edges, n = window_edges(config), len(days.timeline.day)
    group, rows, bucket = days.in_windows(edges)
    active = np.bitwise_count(_masks(days.groups))
    within = np.bincount(bucket * n + rows, weights=active[group], minlength=len(edges) * n).reshape(len(edges), n)
    np.cumsum(within, axis=0, out=within)
    counts = {f"active_days_{w}d": within[i] for i, w in enumerate(edges)}
    carried = days.carried()
    total = carried.sum(active)[:, 0]
    return DayActivity({"active_days_total": total, **counts}, carried.max("last_us", NAT_US)[:, 0])


def _masks(table: pa.Table) -> np.ndarray:
    """The ``mask`` column of a day-mask aggregate as unsigned bits (for popcounts)."""
    return _int64(table, "mask").view(np.uint64)


def _float64(table: pa.Table, column: str) -> np.ndarray:
    """One float column of an aggregate's Arrow result as NumPy (missing → NaN)."""
    return np.asarray(table.column(column).to_numpy(zero_copy_only=False), dtype=np.float64)


def _int64(table: pa.Table, column: str) -> np.ndarray:
    """One integer column of an aggregate's Arrow result as NumPy (no pandas copy of the whole table)."""
    return np.asarray(table.column(column).to_numpy(), dtype=np.int64)


def _max_by_row(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, NAT_US, dtype=np.int64)
    np.maximum.at(out, rows, values)
    return out


def finish_event_features(types: TypeCounts, days: DayActivity, spine: pd.DataFrame, config: FeatureConfig):
    """The published behavioural columns for each spine row (in order; 0 for rows without events), from
    :func:`type_counts` and :func:`day_activity`. Bursts of 2+ views come last, from :func:`with_bursts`: until
    then a lead's largest burst is its single view (or nothing)."""
    n, edges = len(spine), window_edges(config)
    cols: dict[str, np.ndarray] = {}
    for j, event_type in enumerate(config.types):
        cols[f"{event_type}_total"] = types.within[j, -1]
        for w in config.windows_days:
            cols[f"{event_type}_{w}d"] = types.within[j, edges.index(w)]
    every_type = types.within.sum(axis=0)
    cols |= {f"events_{w}d": every_type[i] for i, w in enumerate(edges)}
    cols["events_total"] = every_type[-1]
    if len(config.event_sources) > 1:  # per-source totals
        for source, members in config.event_sources.items():
            of_source = types.within[[config.types.index(t) for t in members]].sum(axis=0)
            cols[f"{source}_events_total"] = of_source[-1]
            cols |= {f"{source}_events_{w}d": of_source[edges.index(w)] for w in config.windows_days}
    if config.high_intent_form_urls:
        cols["high_intent_form_total"] = types.high_intent
    cols |= days.active_days
    recent = cols[f"events_{TREND_RECENT}d"]
    trend = recent / TREND_RECENT - (cols[f"events_{TREND_RECENT + TREND_BEFORE}d"] - recent) / TREND_BEFORE
    trend_span = TREND_RECENT + TREND_BEFORE  # a window of its own only for the trend: not published
    helpers = {f"{kind}_{trend_span}d" for kind in ("events", "active_days") if trend_span not in config.windows_days}
    counts = {name: values for name, values in cols.items() if name not in helpers}

    as_of = spine["as_of"].reset_index(drop=True)
    last_event_at = _utc(days.last_us)
    ids = pd.DataFrame({"lead_id": spine["lead_id"].to_numpy(), "as_of": as_of, "last_event_at": last_event_at})
    # one 2-D int64 block (columns stacked once) instead of ~90 single columns pandas would consolidate
    block = np.empty((len(counts), n), dtype=np.int64)
    for i, values in enumerate(counts.values()):
        block[i] = values
    counts = pd.DataFrame(block.T, columns=list(counts), copy=False)
    last_at = {t: _utc(stamps) for t, stamps in types.last_us.items()}
    derived = _derived(last_event_at, counts, last_at, as_of, trend, config)
    parts = [ids, counts, _decayed_and_values(types, config)]
    if config.burst_event_types:
        views = sum(cols[f"{t}_total"] for t in config.burst_event_types)
        parts.append(pd.DataFrame({"max_events_in_burst_window": (views > 0).astype(np.int64)}))  # its own block
        derived["bot_like_burst"] = np.zeros(n, dtype=bool)  # a single view is no burst: with_bursts sets it
    return pd.concat([*parts, pd.DataFrame(derived)], axis=1)


def _decayed_and_values(types: TypeCounts, config: FeatureConfig) -> pd.DataFrame:
    """Decayed counts per type and in all (``<type>_decayed_<h>d``), value sums per window and maxima."""
    cols: dict[str, np.ndarray] = {}
    for i, h in enumerate(config.half_lives_days):
        label = f"{h:g}d"
        cols |= {f"{t}_decayed_{label}": types.decayed[i, j] for j, t in enumerate(config.types)}
        cols[f"events_decayed_{label}"] = np.round(types.decayed[i].sum(axis=0), 9)
    edges = window_edges(config)
    for i, name in enumerate(config.value_columns):
        cols[f"{name}_total"] = types.value_sums[i, -1]
        cols |= {f"{name}_{w}d": types.value_sums[i, edges.index(w)] for w in config.windows_days}
        cols[f"{name}_max"] = types.value_max[i]
    return pd.DataFrame(cols, index=range(types.within.shape[2]))


def with_bursts(frame: pd.DataFrame, bursts: pa.Table, config: FeatureConfig) -> pd.DataFrame:
    """``frame`` from :func:`finish_event_features` with each row's largest burst of 2+ views from the
    ``bursts`` aggregate, and the bot flag that follows from it."""
    if "max_events_in_burst_window" not in frame:
        return frame
    largest = frame["max_events_in_burst_window"].to_numpy(copy=True)
    largest[_int64(bursts, "row")] = _int64(bursts, "burst")
    return frame.assign(max_events_in_burst_window=largest, bot_like_burst=largest >= config.burst_min_events)


def _sum_by_row(rows, values, n: int) -> np.ndarray:
    """Sum of ``values`` per spine row (``bincount`` adds in float64: exact for sums below 2**53)."""
    return np.bincount(np.asarray(rows, dtype=np.int64), weights=np.asarray(values, dtype=np.float64), minlength=n)


def _derived(last_event_at: pd.Series, out: pd.DataFrame, last_at: dict[str, pd.Series], as_of: pd.Series, trend,
             config: FeatureConfig) -> dict:  # fmt: skip
    """Recencies, ratios, trend and negative-signal flags from the counts (pandas: identical on every engine);
    the bot flag is added by the caller."""
    features = {"days_since_last_event": (as_of - last_event_at) / DAY}
    for event_type in config.recency_event_types:
        features[f"days_since_last_{event_type}"] = (as_of - last_at[event_type]) / DAY
    w = max(config.windows_days)
    for name, (numerator, denominator) in config.ratios.items():
        base = out[f"{denominator}_{w}d"]
        features[f"{name}_{w}d"] = out[f"{numerator}_{w}d"] / base.where(base > 0)
    features[f"activity_trend_{TREND_RECENT}d_vs_prev_{TREND_BEFORE}d"] = trend
    features |= {name: out[f"{event_type}_total"] > 0 for name, event_type in config.ever_flags.items()}
    return features


def _utc(values) -> pd.Series:
    """UTC timestamps from timestamps of any zone, or from epoch microseconds (the int64 of NaT: missing)."""
    if isinstance(values, np.ndarray) and values.dtype == np.int64:
        values = values.view("datetime64[us]")
    values = pd.to_datetime(pd.Series(values))
    if getattr(values.dt, "tz", None) is None:
        return values.dt.tz_localize("UTC")
    return values.dt.tz_convert("UTC")
