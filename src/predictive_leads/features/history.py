"""Each lead's event history in periods, placed on its spine rows (training sets with several as_of dates).

The days are cut at every as_of date and at every window's first day before one (:func:`period_ends`), and the
engine aggregates the events once per lead, type and period (:func:`~predictive_leads.features.behaviour.
period_aggregates`), with no spine at all. A period then lies wholly inside or wholly outside each window of
each row, so here (:class:`PeriodGroups`):

- a period inside a row's longest window is *spread* to that row (:meth:`LeadTimeline.spread`): one pair per
  (period, row), a handful per period, each in the age bucket the whole period falls into;
- every period *lands* on its lead's first row after it and is *carried* to the lead's later rows
  (:class:`Carried`): running totals, maxima and decayed sums, one vectorised step per row rank within a lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MAX_DATES = 64  # more distinct as_of dates than this: periods get short, and one join per row is simpler
NO_DAY = np.iinfo(np.int64).min // 4  # the first day of the oldest period: before any row's windows


def fits_periods(lead: np.ndarray, as_of_days: np.ndarray) -> bool:
    """Whether a spine is worth periods: 2 to :data:`MAX_DATES` distinct as_of dates, each lead at most once per
    date (``lead``, ``as_of_days``: each row's lead number and its as_of in epoch days)."""
    if not periods_pay(as_of_days):
        return False
    pairs = pd.DataFrame({"lead": np.asarray(lead), "day": np.asarray(as_of_days)})
    return not pairs.duplicated().any()


def periods_pay(as_of_days) -> bool:
    """Whether several as_of dates (epoch days, repeats allowed) are worth periods: 2 to :data:`MAX_DATES`."""
    return 2 <= len(np.unique(as_of_days)) <= MAX_DATES


def period_ends(as_of_days: Sequence[int], edges: Sequence[int]) -> list[int]:
    """The days that cut the event log into periods: every as_of date and the first day of each window before
    it (``edges``: window lengths in days). A period ends (exclusive) at one cut and starts at the one before."""
    return sorted({day - edge for day in as_of_days for edge in (0, *edges)})


@dataclass(frozen=True)
class LeadTimeline:
    """Each spine row's place among its lead's rows in as_of order."""

    leads: pa.Array  # the distinct lead ids; a lead's number is its position here
    day: np.ndarray  # (row,) the as_of date in epoch days
    dates: np.ndarray  # the distinct as_of dates, sorted
    date: np.ndarray  # (row,) the index of its as_of in ``dates``
    order: np.ndarray  # spine rows in timeline order
    position: np.ndarray  # (lead, date + 1) timeline position of the lead's first row on or after the date
    steps: tuple[tuple[np.ndarray, np.ndarray], ...]  # per rank 1, 2, …: (rows, the lead's previous rows)

    @classmethod
    def of(cls, leads: pd.Series, lead: np.ndarray, day: np.ndarray) -> LeadTimeline:
        """The timeline of spine rows of lead ``leads[lead]`` and as_of ``day`` (epoch days); ``leads``: distinct."""
        lead, day = np.asarray(lead, dtype=np.int64), np.asarray(day, dtype=np.int64)
        dates = np.unique(day)
        date = np.searchsorted(dates, day)
        keys = lead * len(dates) + date
        order = np.argsort(keys, kind="stable")
        rows_on = np.bincount(keys, minlength=len(leads) * len(dates)).reshape(len(leads), len(dates))
        position = np.zeros((len(leads), len(dates) + 1), dtype=np.int32)  # rows of a spine: fewer than 2**31
        position[:, 1:] = np.cumsum(rows_on.reshape(-1)).reshape(len(leads), len(dates))
        position[:, 0] = position[:, -1] - rows_on.sum(axis=1)
        starts = np.r_[True, np.diff(lead[order]) != 0]
        rank = np.arange(len(order)) - np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
        by_rank = np.argsort(rank, kind="stable")
        bounds = np.searchsorted(rank[by_rank], np.arange(1, int(rank.max(initial=0)) + 2))
        steps = tuple((order[at], order[at - 1]) for at in np.split(by_rank, bounds)[1:-1])
        return cls(pa.array(leads.astype(str), type=pa.string()), day, dates, date, order, position, steps)

    def numbers(self, lead_ids: pa.Array) -> np.ndarray:
        """Each lead id's number (its position in :attr:`leads`); -1 for an id that is not there."""
        return pc.index_in(lead_ids, value_set=self.leads).fill_null(-1).to_numpy().astype(np.int64)

    def date_index(self, days) -> np.ndarray:
        """The index in :attr:`dates` of the first as_of date on or after each day (``len(dates)``: none)."""
        return np.searchsorted(self.dates, days)

    def landing(self, lead: np.ndarray, date: np.ndarray) -> np.ndarray:
        """For each lead number, its first spine row on or after date index ``date``; -1 when the lead has none."""
        at = self._position(lead, date)
        found = np.full(len(at), -1, dtype=np.int64)
        hit = (lead >= 0) & (at < self._position(lead, len(self.dates)))
        found[hit] = self.order[at[hit]]
        return found

    def spread(self, lead: np.ndarray, first: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(item, row) pairs: each item's lead number with each of the lead's rows on the dates of index ``first``
        up to ``stop`` (exclusive); items in order."""
        start = self._position(lead, first)
        count = np.where(lead >= 0, np.maximum(self._position(lead, stop) - start, 0), 0)
        item = np.repeat(np.arange(len(lead)), count)
        at = np.arange(len(item)) - np.repeat(np.cumsum(count) - count - start, count)
        return item, self.order[at]

    def _position(self, lead: np.ndarray, date) -> np.ndarray:
        """:attr:`position` of each (lead, date index) through a flat index (a lead of -1: any position)."""
        return self.position.reshape(-1)[lead * self.position.shape[1] + date]


@dataclass(frozen=True)
class PeriodGroups:
    """Engine groups keyed by ``lead_id`` and ``period`` (an index into the cuts of :func:`period_ends`) on a
    :class:`LeadTimeline`. A period is inside a row's window of ``w`` days from the as_of date it ends on up to the
    date its start is ``w`` days old, and before the row's as_of from the date it ends on."""

    groups: pa.Table
    timeline: LeadTimeline
    lead: np.ndarray  # (group,) lead number, -1: not a spine lead
    period: np.ndarray  # (group,) period index
    ends: np.ndarray  # (period,) first day after it
    starts: np.ndarray  # (period,) its first day (:data:`NO_DAY` for the oldest)
    first: np.ndarray  # (group,) index of the first as_of date on or after its period's end

    @classmethod
    def of(cls, groups: pa.Table, timeline: LeadTimeline, as_of_days: Sequence[int], edges: Sequence[int]):
        ends = np.asarray(period_ends(as_of_days, edges), dtype=np.int64)
        lead, period = timeline.numbers(groups.column("lead_id")), _column(groups, "period")
        first = timeline.date_index(ends)[period]
        return cls(groups, timeline, lead, period, ends, np.r_[NO_DAY, ends[:-1]], first)

    def in_windows(self, edges: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(group, row, bucket) for each period and row whose longest window (``edges[-1]`` days) holds it;
        ``bucket``: the first window (index into the sorted ``edges``) that holds it."""
        stop = self.timeline.date_index(self.starts + edges[-1] + 1)[self.period]
        group, rows = self.timeline.spread(self.lead, self.first, stop)
        bucket = np.searchsorted(edges, self.timeline.dates[None, :] - self.starts[:, None])  # (period, date)
        return group, rows, bucket.reshape(-1)[self.period[group] * bucket.shape[1] + self.timeline.date[rows]]

    def carried(self) -> Carried:
        """Each group carried from the first row it is before, decayed sums decayed from the period's end."""
        rows = self.timeline.landing(self.lead, self.first)
        return Carried(self.groups, self.timeline, rows, ref=self.ends[self.period])


@dataclass(frozen=True)
class Carried:
    """Groups of an engine result landed on a :class:`LeadTimeline`: each value on one spine row of its lead
    (``rows``), then carried to the lead's later rows."""

    groups: pa.Table
    timeline: LeadTimeline
    rows: np.ndarray  # the landing row of each group (:meth:`LeadTimeline.landing`); -1: its lead has none
    ref: np.ndarray  # (group,) decayed sums are decayed to the day before this one

    def sum(self, column: str | np.ndarray, *, slot=None, n_slots: int = 1, rate: float = 0.0) -> np.ndarray:
        """(row, slot) running sums of ``column`` (or of one value per group; missing counts 0); ``slot``: a column
        or one slot per group (-1: left out). With a ``rate``, the column holds sums decayed to the day before
        ``ref``; they decay on by ``exp(rate * days)``."""
        values = _column(self.groups, column) if isinstance(column, str) else column
        values = np.nan_to_num(values.astype(np.float64))
        day = self.timeline.day
        if rate:
            values = values * np.exp((day[self.rows] - self.ref) * rate)
        out = self._landed(values, slot, n_slots, 0.0, np.add)
        for later, previous in self.timeline.steps:
            out[later] += out[previous] * (np.exp((day[later] - day[previous]) * rate)[:, None] if rate else 1.0)
        return out

    def max(self, column: str, fill, *, slot=None, n_slots: int = 1) -> np.ndarray:
        """(row, slot) running maxima of ``column`` (``fill`` where none; missing values are skipped)."""
        out = self._landed(_column(self.groups, column), slot, n_slots, fill, np.fmax)
        for later, previous in self.timeline.steps:
            out[later] = np.fmax(out[later], out[previous])
        return out

    def _landed(self, values: np.ndarray, slot, n_slots: int, fill, ufunc) -> np.ndarray:
        shape = (len(self.timeline.day), n_slots)  # rows first: each row's slots are carried whole
        slots = np.zeros(len(self.rows), dtype=np.int64) if slot is None else slot
        slots = _column(self.groups, slots) if isinstance(slots, str) else slots
        keep = (self.rows >= 0) & (slots >= 0)
        if ufunc is np.add:  # bincount adds ~5x faster than np.add.at (and starts from 0, the sums' fill)
            flat = self.rows[keep] * n_slots + slots[keep]
            return np.bincount(flat, weights=values[keep], minlength=shape[0] * n_slots).reshape(shape)
        out = np.full(shape, fill, dtype=values.dtype)
        scatter(ufunc, out, (self.rows[keep], slots[keep]), values[keep])
        return out


def scatter(ufunc: np.ufunc, out: np.ndarray, index: tuple[np.ndarray, ...], values: np.ndarray) -> None:
    """``ufunc.at(out, index, values)`` through a flat index: NumPy's fast path, ~9x faster than a tuple."""
    ufunc.at(out.reshape(-1), np.ravel_multi_index(index, out.shape), values)


def _column(table: pa.Table, name: str) -> np.ndarray:
    """One column of an engine result as NumPy (missing → NaN for floats)."""
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False))
