"""Point-in-time training sets and scoring frames: spine → attributes + behaviour → (labels).

The same code builds the training set a data scientist fits on and the scoring frame a batch job scores,
so training and serving cannot drift apart. Every frame carries its provenance in ``frame.attrs``
(``predictive_leads``): as_of dates, horizon, engine, the counts of skipped rows and events, and the
point-in-time mark that :func:`predictive_leads.features.guard.assert_point_in_time` checks before training.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from predictive_leads.data.contracts import CONVERSIONS, LEADS, closed_values, validate
from predictive_leads.features import engine as engines
from predictive_leads.features.accounts import ACCOUNT_WINDOW_DAYS, account_features, account_keys, account_query
from predictive_leads.features.attributes import lead_attributes, normalise_values
from predictive_leads.features.behaviour import (
    canonical_event_types,
    count_if,
    day_activity,
    epoch_days,
    event_aggregates,
    finish_event_features,
    period_activity,
    period_aggregates,
    period_type_counts,
    type_counts,
    window_edges,
    with_bursts,
)
from predictive_leads.features.config import OTHER_EVENTS, QUALIFICATION, FeatureConfig
from predictive_leads.features.guard import ATTRS_KEY
from predictive_leads.features.history import LeadTimeline, PeriodGroups, fits_periods, periods_pay
from predictive_leads.features.partitions import budget_note, engine_memory_limit, lead_partitions, partitions_for
from predictive_leads.features.spine import build_spine, label_spine, skipped_leads, to_utc

if TYPE_CHECKING:
    import ibis

CONTEXT_COLUMNS = ("lead_id", "as_of", "converted", "last_event_at", "email_domain", "account_id")


@dataclass
class DatasetSummary:
    """What went into a dataset and what was left out, and why."""

    kind: str
    rows: int
    as_of: list[str]
    engine: str
    horizon_days: int | None = None
    observed_until: str | None = None
    positives: int | None = None
    censored: int = 0
    leads_not_yet_created: int = 0
    leads_already_converted: int = 0
    rows_without_events: int = 0
    events_used: int = 0
    events_skipped: dict[str, int] = field(default_factory=dict)
    unknown_event_types: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)  # the vocabulary the features were built with
    pooled_event_types: list[str] = field(default_factory=list)  # rare types counted as OTHER_EVENTS
    rules_skipped: list[str] = field(default_factory=list)  # config rules naming types the data lacks
    engagement_features: list[str] = field(default_factory=list)  # built from events; the rest: who the lead is
    columns: list[dict] = field(default_factory=list)  # every raw column: table, column, use, detail
    value_maps: dict[str, dict[str, int]] = field(default_factory=dict)  # column → "raw → mapped" → rows
    lead_partitions: int = 1  # the behaviour built a share of the leads at a time (a memory budget)
    memory_budget: str = ""  # what the budget did (partitions; a warning when the leads alone exceed it)

    def lines(self) -> list[str]:
        """Human-readable summary lines (no lead data)."""
        out = [f"{self.kind}: {self.rows:,} rows at {len(self.as_of)} as_of date(s) ({self.engine})"]
        if self.positives is not None:
            rate = self.positives / self.rows if self.rows else float("nan")
            out.append(f"positives: {self.positives:,} ({rate:.2%}) within {self.horizon_days} days")
            out.append(f"censored (horizon past {self.observed_until[:10]}): {self.censored:,} rows excluded")
        out.append(
            f"skipped leads: {self.leads_not_yet_created:,} not yet created, "
            f"{self.leads_already_converted:,} already converted (summed over as_of dates)"
        )
        out.append(f"rows without any event before as_of: {self.rows_without_events:,}")
        skipped = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in self.events_skipped.items()) or "none"
        out.append(f"events used: {self.events_used:,}; skipped: {skipped}")
        if self.unknown_event_types:
            out.append(f"unknown event types (skipped): {', '.join(self.unknown_event_types)}")
        if self.event_types:
            out.append(f"event types ({len(self.event_types)}): {', '.join(self.event_types)}")
        if self.pooled_event_types:
            out.append(f"rare event types pooled into {OTHER_EVENTS}: {', '.join(self.pooled_event_types)}")
        if self.rules_skipped:
            out.append(f"feature rules skipped (types not in the data): {'; '.join(self.rules_skipped)}")
        if self.memory_budget:
            out.append(self.memory_budget)
        return out + self.column_lines()

    def column_lines(self) -> list[str]:
        """Every raw column: how many are used, and each one not used with why; the value maps applied."""
        if not self.columns:
            return []
        uses = pd.Series([c["use"] for c in self.columns]).value_counts(sort=False)
        out = [f"columns read: {len(self.columns)} ({', '.join(f'{n} {use}' for use, n in uses.items())})"]
        out += [f"  {c['use']}: {c['table']}.{c['column']} ({c['detail']})" for c in self.columns
                if c["use"] in ("ignored", "pii")]  # fmt: skip
        for column, counts in self.value_maps.items():
            out.append(f"value map {column}: {sum(counts.values()):,} rows mapped ({', '.join(counts)})")
        return out


def _dates(as_of) -> list[pd.Timestamp]:
    many = isinstance(as_of, Iterable) and not isinstance(as_of, str | pd.Timestamp)
    dates = sorted({to_utc(d) for d in (as_of if many else [as_of])})
    if not dates:
        raise ValueError("as_of is empty: give at least one date")
    odd = [d for d in dates if d != d.normalize()]
    if odd:
        raise ValueError(f"as_of must be a date (UTC midnight); got {odd[0].isoformat()}")
    return dates


EVENT_PROBLEMS = ("unknown_lead", "future_timestamp", "missing_timestamp", "implausible_timestamp", "non_finite_value")
"""Why an event is skipped (counted per kind in the dataset summary, never dropped silently)."""


def _quality(con, events, lead_ids: pd.Series, now: pd.Timestamp, value_columns: tuple[str, ...]):
    """The events as an Ibis table, filtered to the usable ones, and one row per (source, raw type spelling)
    counting its events and those skipped (the validity contract of the event tables): an unknown lead, a future,
    missing or implausible timestamp (before ``EARLIEST``), a value that is not finite. One pass over the events;
    spellings are normalised later, once per distinct value."""
    import ibis

    from predictive_leads.data.contracts import EARLIEST

    events = engines.events_table(con, events, value_columns)
    known_leads = engines.upload(con, pd.DataFrame({"lead_id": lead_ids.astype(str)}))
    flagged = events.mutate(known_lead=events.lead_id.isin(known_leads.lead_id).fill_null(False))
    past = events.ts <= now
    plausible = events.ts >= ibis.literal(EARLIEST.to_pydatetime())
    finite = ibis.literal(True)
    for v in value_columns:
        finite &= ~events[v].isinf().fill_null(False)  # NaN is a missing value, not a bad one
    by_spelling = flagged.group_by(["source", "event_type"]).aggregate(
        total=flagged.count(),
        unknown_lead=count_if(~flagged.known_lead),
        future_timestamp=count_if(flagged.known_lead & ~past),
        missing_timestamp=count_if(flagged.known_lead & flagged.ts.isnull()),
        implausible_timestamp=count_if(flagged.known_lead & past & ~plausible),
        non_finite_value=count_if(flagged.known_lead & past & plausible & ~finite),
    )
    counts = engines.to_pandas(con, by_spelling).sort_values(["source", "event_type"], na_position="last")
    return events.filter(past & events.ts.notnull() & plausible & finite), counts.reset_index(drop=True)


@dataclass(frozen=True)
class Vocabulary:
    """How the raw type spellings of the events map onto the feature vocabulary, and what was left out."""

    config: FeatureConfig  # resolved (event_types, event_sources) and reduced to the applicable rules
    spelling: dict[str, str]  # raw spelling → type in the vocabulary
    used: int
    skipped: dict[str, int]
    unknown: list[str]
    pooled: list[str]
    rules_skipped: list[str]


def resolve_vocabulary(counts: pd.DataFrame, config: FeatureConfig) -> Vocabulary:
    """The event vocabulary: ``config.event_types`` when declared, else every type with ``min_type_count``
    usable events, rarer ones pooled (``other_events``; with several sources, one pool per source such as
    ``other_web_events``); types seen later join their source's pool, or are skipped when it has none."""
    canonical = canonical_event_types(counts["event_type"])
    problems = counts[list(EVENT_PROBLEMS)].sum(axis=1)
    usable = (counts["total"] - problems).groupby(canonical).sum()
    sources = counts.assign(type=canonical).dropna(subset=["type"]).groupby("type")["source"].unique()
    shared = {t: list(s) for t, s in sources.items() if len(s) > 1}
    if shared:
        t, s = next(iter(shared.items()))
        raise ValueError(f"event type {t!r} comes from several sources ({', '.join(s)}): give them a prefix")
    source_of = {t: s[0] for t, s in sources.items()}
    names = list(config.event_sources) or sorted(counts["source"].unique()) or ["events"]
    pool = {s: OTHER_EVENTS if len(names) == 1 else f"other_{s}_events" for s in names}
    pooled: list[str] = []
    if config.event_types is None:
        types = sorted(usable.index[usable >= config.min_type_count])
        pooled = sorted(usable.index[usable < config.min_type_count])
        types += sorted({pool[source_of[t]] for t in pooled})
        by_source = {s: tuple(t for t in types if source_of.get(t) == s or t == pool[s]) for s in names}
        by_source = {s: members for s, members in by_source.items() if members}
    else:
        types = list(config.event_types)
        by_source = config.event_sources or {
            s: tuple(t for t in types if source_of.get(t, names[0]) == s) for s in names}  # fmt: skip
        by_source = {s: members for s, members in by_source.items() if members}
    target = {t: t for t in types}
    for t in usable.index.difference(types):  # unknown to the vocabulary: its source's pool, if there is one
        if pool.get(source_of.get(t)) in target:
            target[t] = pool[source_of[t]]
    mapped = canonical.map(target)
    known = mapped.notna().to_numpy(bool)
    spelling = dict(zip(counts["event_type"][known], mapped[known], strict=True))
    skipped = {
        "unknown_event_type": int(counts["total"][~known].sum()),
        **{k: int(counts[k][known].sum()) for k in EVENT_PROBLEMS},
    }
    skipped = {k: v for k, v in skipped.items() if v}
    resolved = replace(config, event_types=tuple(types), event_sources=dict(by_source))
    return Vocabulary(
        config=resolved.applicable(),
        spelling=spelling,
        used=int(counts["total"].sum()) - sum(skipped.values()),
        skipped=skipped,
        unknown=sorted(canonical[~known].fillna("<missing>").astype(str).unique()),
        pooled=pooled,
        rules_skipped=resolved.rules_needing_absent_types(),
    )


class _EngineThread:
    """The query engine on a thread of its own: DuckDB and Spark release the GIL while a query runs, so pandas
    works on the calling thread meanwhile. Queries run one after another, in the order they were submitted."""

    def __init__(self, engine, spark_session, memory_budget=None):
        limit = engine_memory_limit(memory_budget) if engine == "duckdb" else None  # not a connection passed in
        self.con = (engines.connect(engine, spark_session=spark_session, memory_limit=limit)
                    if isinstance(engine, str) else engine)  # fmt: skip
        self.name = getattr(self.con, "name", str(engine))
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predictive-leads-engine")
        self._scratch: tempfile.TemporaryDirectory | None = None

    def submit(self, fn, *args) -> Future:
        """Run ``fn(con, *args)`` on the engine thread."""
        return self._thread.submit(fn, self.con, *args)

    def scan(self, events, leads: pd.DataFrame, now: pd.Timestamp, config: FeatureConfig) -> Future:
        """Start the quality scan of the events (:func:`_quality`) before the leads are validated."""
        return self.submit(_quality, events, leads.get("lead_id", pd.Series(dtype=str)), now, config.value_columns)

    def scratch(self) -> Path:
        """A temporary folder for the engine's files (the events of each lead partition), removed once the engine
        has stopped, after an error too."""
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="predictive-leads-partitions-")
        return Path(self._scratch.name)

    def __enter__(self) -> _EngineThread:
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is not None and self.name == "duckdb":  # an error here (or Ctrl-C): stop the running query too
            self.con.con.interrupt()
        self._thread.shutdown(wait=True, cancel_futures=True)
        if self._scratch is not None:
            self._scratch.cleanup()


@dataclass(frozen=True)
class _EventQueries:
    """The scanned events, their vocabulary and, for several as_of dates, the period queries already running."""

    events: ibis.Table
    vocabulary: Vocabulary
    as_of_days: list[int]  # the distinct as_of dates the period queries cut at, in epoch days
    periods: tuple[Future, Future] | None  # the periods and period_days results, when started early
    memory_budget: str | int | None = None


def _start_queries(engine: _EngineThread, scan: Future, config: FeatureConfig, dates, *,
                   memory_budget=None) -> _EventQueries:  # fmt: skip
    """Resolve the event vocabulary from the scan and, when several as_of ``dates`` are worth periods, start the
    period queries: they need only the dates, so the engine runs them while this thread builds and labels the
    spine. Not under a ``memory_budget``: its lead partitions are known only once the spine is."""
    events_t, counts = scan.result()
    vocabulary = resolve_vocabulary(counts, config)
    as_of_days = sorted(set(epoch_days(pd.Series(list(dates))).tolist()))
    early = memory_budget is None and periods_pay(as_of_days)
    periods = _period_queries(engine, events_t, vocabulary, as_of_days) if early else None
    return _EventQueries(events_t, vocabulary, as_of_days, periods, memory_budget)


def _period_queries(engine: _EngineThread, events, vocabulary: Vocabulary, as_of_days) -> tuple[Future, Future]:
    """Start the two period aggregates of ``events`` (cut at every date of ``as_of_days`` and its windows)."""
    aggregates = period_aggregates(events, vocabulary.config, as_of_days, spelling=vocabulary.spelling,
                                   engine=engine.name)  # fmt: skip
    query = partial(engine.submit, engines.to_arrow)
    return query(aggregates.periods), query(aggregates.period_days)


def _features(engine: _EngineThread, started: _EventQueries, leads, spine):
    """Behaviour and lead columns for each spine row, the resolved config and the event counts for the summary.

    The engine thread runs the scan and then the aggregate queries back to back; this thread builds the lead
    columns meanwhile and unpacks each aggregate as it arrives. Several as_of dates take the period path (its
    queries usually started before the spine was built); a spine it does not fit (one date left after censoring,
    or a lead twice on one date) takes the joined path instead. Under a memory budget the leads may be split into
    partitions (:mod:`.partitions`): every partition takes the path the whole spine takes, so the frame is the same.
    """
    spine = spine[["lead_id", "as_of"]].reset_index(drop=True)
    vocabulary = started.vocabulary
    config = vocabulary.config
    events_t = started.events.filter(started.events.ts < spine["as_of"].max())  # no spine row can use a later event
    at, days = lead_positions(leads, spine), epoch_days(spine["as_of"])
    periods = periods_pay(started.as_of_days) and fits_periods(at, days)
    rollups = _has_accounts(leads)
    partitions = partitions_for(started.memory_budget, events=vocabulary.used, leads=len(leads), rows=len(spine))
    partitions = partitions if len(spine) else 1
    if partitions == 1:
        timeline = LeadTimeline.of(leads["lead_id"], at, days) if periods else None
        pending = _submit_behaviour(engine, started, events_t, leads, spine, timeline=timeline, rollups=rollups)
        who = _lead_columns(leads, spine, config, at)
        behaviour, accounts = _collect_behaviour(pending, started)
        order = list(behaviour.columns), [c for frame in accounts for c in frame.columns]
    else:
        lead_part = lead_partitions(leads, partitions)
        split = _submit_split(engine, events_t, leads, lead_part)
        who = _lead_columns(leads, spine, config, at)  # while the engine writes the events out by partition
        behaviour, accounts, order = _partitioned_behaviour(engine, started, split.result(), leads, spine, at,
                                                            lead_part, periods=periods, rollups=rollups)  # fmt: skip
    frame = pd.concat([behaviour, who, *accounts], axis=1)
    for name, (event_type, days_) in config.silence_flags.items():
        frame[name] = (frame[f"{event_type}_{days_}d"] == 0) & (frame["lead_age_days"] >= days_)
    behaviour_order, account_order = order  # the frames' own may be by type (partitions)
    columns = [*behaviour_order, *who.columns, *account_order, *config.silence_flags]
    quality = {
        "events_used": vocabulary.used,
        "events_skipped": vocabulary.skipped,
        "unknown_event_types": vocabulary.unknown,
        "rows_without_events": int((frame["events_total"] == 0).sum()),
        "event_types": list(config.types),
        "pooled_event_types": vocabulary.pooled,
        "rules_skipped": vocabulary.rules_skipped,
        "engagement_features": [c for c in frame.columns if c not in who.columns and c not in CONTEXT_COLUMNS],
        "lead_partitions": partitions,
        "memory_budget": budget_note(started.memory_budget, leads=len(leads), rows=len(spine), partitions=partitions),
    }
    return _order(frame, columns), quality, config


@dataclass
class _Behaviour:
    """The behaviour queries of one spine (or one partition of it), running on the engine thread."""

    spine: pd.DataFrame
    timeline: LeadTimeline | None  # the period path; None: the joined path
    by_type: Future | None
    day_masks: Future | None
    bursts: Future
    accounts: tuple | None

    def result(self, name: str):
        """The Arrow result of the query ``name``, let go of here (the largest of a build: freed once unpacked)."""
        future = getattr(self, name)
        setattr(self, name, None)
        return future.result()


def _submit_behaviour(engine: _EngineThread, started: _EventQueries, events, leads: pd.DataFrame, spine: pd.DataFrame,
                      *, timeline: LeadTimeline | None, rollups: bool) -> _Behaviour:  # fmt: skip
    """Start the behaviour queries of ``spine``'s rows (``events``: theirs; ``leads``: theirs and, for the account
    roll-ups when ``rollups``, their accounts' other leads): the period queries when there is a ``timeline`` (those
    started early when they are running), else the joined ones."""
    vocabulary = started.vocabulary
    query = partial(engine.submit, engines.to_arrow)
    aggregates = event_aggregates(events, engines.spine_table(engine.con, spine), vocabulary.config,
                                  spelling=vocabulary.spelling, engine=engine.name)  # fmt: skip
    if timeline is None:
        by_type, day_masks = query(aggregates.by_type), query(aggregates.day_masks)
    else:
        by_type, day_masks = started.periods or _period_queries(engine, events, vocabulary, started.as_of_days)
    bursts = query(aggregates.bursts)
    accounts = None
    if rollups:
        accounts = _submit_accounts(engine, events.filter(events.event_type.isin(list(vocabulary.spelling))),
                                    spine, leads)  # fmt: skip
    return _Behaviour(spine, timeline, by_type, day_masks, bursts, accounts)


def _collect_behaviour(pending: _Behaviour, started: _EventQueries) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The behaviour columns and account roll-ups of ``pending``'s rows, unpacked as each result arrives."""
    config, timeline = started.vocabulary.config, pending.timeline
    if timeline:
        of = partial(PeriodGroups.of, timeline=timeline, as_of_days=started.as_of_days, edges=window_edges(config))
        types = period_type_counts(of(pending.result("by_type")), config)
        days = period_activity(of(pending.result("day_masks")), config)
    else:
        n = len(pending.spine)
        types = type_counts(pending.result("by_type"), n, config)
        days = day_activity(pending.result("day_masks"), n, config)
    behaviour = finish_event_features(types, days, pending.spine, config)  # while the engine runs the bursts query
    return with_bursts(behaviour, pending.bursts.result(), config), _account_columns(pending.accounts)


def _submit_split(engine: _EngineThread, events, leads: pd.DataFrame, lead_part: np.ndarray) -> Future:
    """Start writing ``events`` out by lead partition (``lead_part``: each lead's) into the engine's scratch folder."""
    parts = pd.DataFrame({"lead_id": leads["lead_id"].astype(str), "part": lead_part})
    return engine.submit(engines.split_events, events, parts, engine.scratch())


def _partitioned_behaviour(engine: _EngineThread, started: _EventQueries, split: dict, leads: pd.DataFrame,
                           spine: pd.DataFrame, at: np.ndarray, lead_part: np.ndarray, *, periods: bool,
                           rollups: bool) -> tuple[pd.DataFrame, list[pd.DataFrame], tuple[list, list]]:  # fmt: skip
    """:func:`_collect_behaviour` of every lead partition (``split``: each one's events), placed in spine order,
    and the order of their columns (the frames' are by type): the next partition's queries run on the engine while
    this thread unpacks the one before."""
    row_part = lead_part[at]
    days = epoch_days(spine["as_of"])
    local = np.zeros(len(leads), dtype=np.int64)  # a lead's position among its partition's leads

    def submit(part: int) -> tuple[np.ndarray, _Behaviour]:
        mine = lead_part == part
        local[mine] = np.arange(int(mine.sum()))
        rows = np.flatnonzero(row_part == part)
        part_leads, part_spine = leads[mine].reset_index(drop=True), spine.iloc[rows].reset_index(drop=True)
        timeline = LeadTimeline.of(part_leads["lead_id"], local[at[rows]], days[rows]) if periods else None
        return rows, _submit_behaviour(engine, started, split[part], part_leads, part_spine, timeline=timeline,
                                       rollups=rollups)  # fmt: skip

    behaviour, accounts = _Placed(len(spine)), _Placed(len(spine))
    parts = [part for part in range(lead_part.max() + 1) if (row_part == part).any()]
    pending = submit(parts[0])
    for following in [*parts[1:], None]:
        rows, current = pending
        pending = submit(following) if following is not None else None  # the engine runs it meanwhile
        part_behaviour, part_accounts = _collect_behaviour(current, started)
        behaviour.put(part_behaviour, rows)
        for frame in part_accounts:
            accounts.put(frame, rows)
    order = behaviour.names, accounts.names
    return behaviour.frame(), [accounts.frame()] if rollups else [], order


class _Placed:
    """A frame of ``n`` rows filled a partition at a time: each partition's rows go straight to their place in
    spine order, into one 2-D array per NumPy type (a column of another type stays its own array), so the frame
    exists once, never as parts and their concatenation too, and is not fragmented."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.names: list[str] = []  # the partitions' column order (the frame's is by type)
        self.blocks: list[tuple[list[str], np.ndarray | pd.api.extensions.ExtensionArray]] = []

    def put(self, part: pd.DataFrame, rows: np.ndarray) -> None:
        if not self.blocks:  # the first partition: every column's type, rows overwritten by the partitions
            self.names, by_type = list(part.columns), {}
            for name in part.columns:
                if isinstance(part[name].dtype, np.dtype):
                    by_type.setdefault(part[name].dtype, []).append(name)
                else:
                    self.blocks.append(([name], part[name].array.take(np.zeros(self.n, dtype=np.int64))))
            self.blocks += [(names, np.empty((len(names), self.n), dtype=t)) for t, names in by_type.items()]
        for names, values in self.blocks:
            if isinstance(values, np.ndarray):
                values[:, rows] = part[names].to_numpy().T
            else:
                values[rows] = part[names[0]].array

    def frame(self) -> pd.DataFrame:
        """The frame, its columns by type (no copy: the caller's ``_order`` puts them in :attr:`names` order)."""
        pieces = [pd.DataFrame(values.T, columns=names, copy=False) if isinstance(values, np.ndarray)
                  else pd.DataFrame({names[0]: values}, copy=False) for names, values in self.blocks]  # fmt: skip
        self.blocks = []
        return pd.concat(pieces, axis=1)


def _has_accounts(leads: pd.DataFrame) -> bool:
    """Whether the leads carry accounts: the account roll-ups are built (for every partition alike)."""
    return "account_id" in leads and leads["account_id"].notna().any()


def _submit_accounts(engine: _EngineThread, events, spine: pd.DataFrame, leads: pd.DataFrame):
    """Start the account roll-up query of ``spine``'s rows (``leads`` includes their accounts' other leads)."""
    keys, row_keys = account_keys(spine, leads)
    lead_accounts = leads[["lead_id", "account_id"]].dropna().astype(str).rename(columns={"account_id": "account"})
    keys_t, accounts_t = engines.upload(engine.con, keys), engines.upload(engine.con, lead_accounts)
    query = account_query(events, accounts_t, keys_t, window=ACCOUNT_WINDOW_DAYS, engine=engine.name)
    future = engine.submit(engines.to_arrow, query)
    return future, keys, row_keys, spine, leads


def _account_columns(accounts) -> list[pd.DataFrame]:
    if accounts is None:
        return []
    future, keys, row_keys, spine, leads = accounts
    return [account_features(future.result(), keys, row_keys, spine, leads, window=ACCOUNT_WINDOW_DAYS)]


def _lead_columns(leads: pd.DataFrame, spine: pd.DataFrame, config: FeatureConfig, at: np.ndarray) -> pd.DataFrame:
    """Who the lead is, for each spine row (in spine order; ``at``: its lead's position in ``leads``): parsed and
    declared attributes, lead age."""
    attributes = lead_attributes(leads, config).take(at).reset_index(drop=True)
    age = (spine["as_of"].array - leads["created_at"].array.take(at)) / pd.Timedelta(days=1)
    age = pd.DataFrame({"lead_age_days": age})
    account = []
    if "account_id" in leads:  # context, not a feature: the key of the account roll-ups and the account score
        account = [pd.DataFrame({"account_id": leads["account_id"].astype("string").array.take(at)})]
    return pd.concat([attributes, declared_attributes(spine, leads, config, at=at), age, *account], axis=1)


def lead_positions(leads: pd.DataFrame, spine: pd.DataFrame) -> np.ndarray:
    """The position in ``leads`` of each spine row's lead (one hash lookup per row, shared by every column)."""
    at = pd.Index(leads["lead_id"]).get_indexer(spine["lead_id"])
    if (at < 0).any():
        raise ValueError(f"spine row(s) name leads not in leads; first: {spine['lead_id'].iloc[np.argmin(at)]!r}")
    return at


def declared_attributes(spine: pd.DataFrame, leads: pd.DataFrame, config: FeatureConfig, *,
                        at: np.ndarray | None = None) -> pd.DataFrame:  # fmt: skip
    """The declared attributes (``config.attributes``) of each spine row; one with ``known_from`` only where
    that time is before as_of (else missing), e.g. qualification scores a rep records later. ``at``: the
    rows' :func:`lead_positions`, when the caller has them."""
    present = [name for name in config.attributes if name in leads]
    if not present:
        return pd.DataFrame(index=spine.index)
    at = lead_positions(leads, spine) if at is None else at
    out = {}
    for name in present:
        column = leads[name]
        if config.attributes[name].get("normalise"):  # once per lead, not per spine row
            column = normalise_values(column, config.attributes[name]["normalise"], config)
        values = pd.Series(column.array.take(at))
        known_from = config.attributes[name].get("known_from")
        if known_from:
            if known_from not in leads:
                values = values.where(pd.Series(False, index=values.index))
            else:
                values = values.where(leads[known_from].array.take(at) < spine["as_of"].array)
        out[name] = _as_kind(values, config.attributes[name].get("kind", "categorical"))
    return pd.DataFrame(out, index=spine.index)


def _as_kind(values: pd.Series, kind: str):
    if kind == "numeric":
        return values.to_numpy() if values.dtype == "Int64" else pd.to_numeric(values).astype("float64").to_numpy()
    if kind == "boolean":
        return values.astype("boolean").astype("float64").to_numpy()
    if kind == "band":
        return values.array
    return values.astype("string").array


def _order(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """``frame`` with the context columns first, then the others in their order (or that of ``columns``)."""
    first = [c for c in CONTEXT_COLUMNS if c in frame]
    rest = [c for c in (frame.columns if columns is None else columns) if c not in first]
    return frame[first + rest].reset_index(drop=True)


def _mark(frame: pd.DataFrame, summary: DatasetSummary, config: FeatureConfig) -> pd.DataFrame:
    frame.attrs[ATTRS_KEY] = {
        "point_in_time": True,
        "summary": asdict(summary),
        "feature_config": config.to_dict(),
    }
    return frame


def _prepare(leads, conversions):
    leads = validate(leads, LEADS, "leads")
    conversions = validate(conversions, CONVERSIONS, "conversions") if conversions is not None else None
    return leads, conversions


def build_training_set(
    leads: pd.DataFrame,
    events,
    conversions: pd.DataFrame,
    *,
    as_of,
    horizon_days: int = 90,
    observed_until=None,
    config: FeatureConfig | None = None,
    engine="duckdb",
    spark_session=None,
    now=None,
    memory_budget: str | int | None = None,
) -> pd.DataFrame:
    """Features as of each ``as_of`` for every open lead, labelled ``converted`` within ``horizon_days``.

    ``events`` may be a pandas frame, a Parquet path or an Ibis table on the chosen engine. Rows whose
    horizon runs past ``observed_until`` (default: the latest timestamp in the data) are censored.
    Events at or after as_of never reach a feature; events for unknown leads, of unknown types or in the
    future (after ``now``, default: the wall clock) are skipped and counted in the summary.
    ``memory_budget`` (e.g. ``"2GB"``) builds the behaviour in lead partitions when the events would not fit
    in it, and caps DuckDB's own memory (it spills past its share): the same frame, less memory.
    """
    config = config or FeatureConfig()
    dates = _dates(as_of)
    now = to_utc(now) if now is not None else pd.Timestamp.now(tz="UTC")
    with _EngineThread(engine, spark_session, memory_budget) as engine_thread:
        scan = engine_thread.scan(events, leads, now, config)  # while pandas validates the leads
        leads, conversions = _prepare(leads, conversions)
        started = _start_queries(engine_thread, scan, config, dates, memory_budget=memory_budget)
        end = to_utc(observed_until) if observed_until is not None else _latest(leads, conversions, events)
        spine = build_spine(leads, conversions, dates)
        labelled, censored = label_spine(spine, conversions, horizon_days=horizon_days, observed_until=end)
        frame, quality, config = _features(engine_thread, started, leads, labelled)
    labels = labelled.set_index(["lead_id", "as_of"])["converted"]
    frame["converted"] = labels.reindex(pd.MultiIndex.from_frame(frame[["lead_id", "as_of"]])).to_numpy()
    frame = _order(frame)
    summary = DatasetSummary(
        kind="training set",
        rows=len(frame),
        as_of=[d.isoformat() for d in dates],
        engine=engine_thread.name,
        horizon_days=horizon_days,
        observed_until=end.isoformat(),
        positives=int(frame["converted"].sum()),
        censored=censored,
        **_skipped_leads(leads, conversions, dates),
        **quality,
    )
    return _mark(frame, summary, config)


def build_scoring_frame(
    leads: pd.DataFrame,
    events,
    *,
    as_of,
    conversions: pd.DataFrame | None = None,
    config: FeatureConfig | None = None,
    engine="duckdb",
    spark_session=None,
    now=None,
    memory_budget: str | int | None = None,
) -> pd.DataFrame:
    """Features as of ``as_of`` for every lead that exists then (and has not converted, if conversions given).
    ``memory_budget``: as for :func:`build_training_set`."""
    config = config or FeatureConfig()
    dates = _dates(as_of)
    now = to_utc(now) if now is not None else pd.Timestamp.now(tz="UTC")
    empty = pd.DataFrame({"lead_id": pd.Series(dtype=str), "converted_at": pd.Series(dtype="datetime64[ns, UTC]")})
    with _EngineThread(engine, spark_session, memory_budget) as engine_thread:
        scan = engine_thread.scan(events, leads, now, config)  # while pandas validates the leads
        leads, conversions = _prepare(leads, conversions)
        started = _start_queries(engine_thread, scan, config, dates, memory_budget=memory_budget)
        spine = build_spine(leads, conversions if conversions is not None else empty, dates)
        frame, quality, config = _features(engine_thread, started, leads, spine)
    summary = DatasetSummary(
        kind="scoring frame",
        rows=len(frame),
        as_of=[d.isoformat() for d in dates],
        engine=engine_thread.name,
        **_skipped_leads(leads, conversions if conversions is not None else empty, dates),
        **quality,
    )
    return _mark(frame, summary, config)


def features_for_spine(
    leads: pd.DataFrame,
    events,
    spine: pd.DataFrame,
    *,
    config: FeatureConfig | None = None,
    engine="duckdb",
    spark_session=None,
    now=None,
    memory_budget: str | int | None = None,
) -> tuple[pd.DataFrame, FeatureConfig]:
    """Features for exactly the rows of ``spine`` (``lead_id``, ``as_of`` at UTC midnights), no row filtered, and
    the resolved config (the event vocabulary learned from events before ``now``). The core of
    :class:`~predictive_leads.features.feature_builder.FeatureBuilder`; one output row per spine row, in its order.
    ``memory_budget``: as for :func:`build_training_set`."""
    config = config or FeatureConfig()
    _dates(spine["as_of"].unique())
    now = to_utc(now) if now is not None else pd.Timestamp.now(tz="UTC")
    with _EngineThread(engine, spark_session, memory_budget) as engine_thread:
        scan = engine_thread.scan(events, leads, now, config)  # while pandas validates the leads
        leads, _ = _prepare(leads, None)
        unknown = spine.loc[~spine["lead_id"].isin(leads["lead_id"]), "lead_id"]
        if len(unknown):
            raise ValueError(f"{len(unknown)} spine row(s) name leads not in leads; first: {unknown.iloc[0]!r}")
        started = _start_queries(engine_thread, scan, config, spine["as_of"].unique(), memory_budget=memory_budget)
        frame, _quality, config = _features(engine_thread, started, leads, spine)
    return frame, config


def _skipped_leads(leads, conversions, dates) -> dict[str, int]:
    skipped = skipped_leads(leads, conversions, dates)
    return {
        "leads_not_yet_created": skipped["not_yet_created"],
        "leads_already_converted": skipped["already_converted"],
    }


def _latest(leads, conversions, events) -> pd.Timestamp:
    """The latest timestamp seen in the data: the default end of observation."""
    stamps = [leads["created_at"].max(), conversions["converted_at"].max()]
    if isinstance(events, pd.DataFrame) and len(events):
        stamps.append(pd.to_datetime(events["ts"], utc=True).max())
    return max(to_utc(s) for s in stamps if pd.notna(s))


def with_provenance(frame: pd.DataFrame, tables, spec) -> pd.DataFrame:
    """``frame`` (built from a spec's tables) with the spec and the column report of ``tables`` in its summary."""
    meta = frame.attrs[ATTRS_KEY]
    meta["summary"] |= {"columns": tables.columns.to_dict("records"), "value_maps": tables.mapped}
    meta["spec"] = spec.to_dict()
    return frame


def summary_of(frame: pd.DataFrame) -> DatasetSummary:
    """The :class:`DatasetSummary` a builder attached to ``frame``."""
    meta = frame.attrs.get(ATTRS_KEY, {})
    if "summary" not in meta:
        raise ValueError("this frame was not built by the feature pipeline (no summary attached)")
    return DatasetSummary(**meta["summary"])


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """Model inputs: everything but identifiers, time, label and context columns."""
    return [c for c in frame.columns if c not in CONTEXT_COLUMNS]


def feature_schema(config: FeatureConfig | None = None) -> dict[str, list[str] | None]:
    """Every feature column the pipeline produces with ``config``, mapped to its closed set of values
    (categories, or True/False for flags) or None for open ones. Built by running the pipeline on one lead."""
    day = pd.Timestamp("2000-01-01", tz="UTC")
    leads = pd.DataFrame(
        {"lead_id": ["x"], "created_at": [day], "qualified_at": [day]} | {c: [3] for c in QUALIFICATION}
    )  # a declared config's own attributes and value columns are not known here: only the defaults are listed
    events = pd.DataFrame({"lead_id": ["x"], "ts": [day], "event_type": ["page_view"]})
    frame = build_scoring_frame(leads, events, as_of=day + pd.Timedelta(days=1), config=config, now=day)
    return {c: closed_values(frame[c]) for c in feature_columns(frame)}
