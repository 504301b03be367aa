"""Carrying older history forward along each lead's spine rows (training sets with several as_of dates).

The engine aggregates the events older than the longest window once per (lead, type, ``since``), where
``since`` is the first as_of date the event is that old for (:func:`~predictive_leads.features.behaviour.
event_aggregates`). Here each group *lands* on its lead's first spine row on or after ``since`` and is then
carried forward to the lead's later rows: running sums, maxima and decayed sums, in a handful of vectorised
steps (one per row rank within a lead) instead of one joined row per event and later as_of.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MAX_DATES = 64  # more distinct as_of dates than this: one join per row is simpler than a CASE per date


def timeline_for(spine: pd.DataFrame, as_of_days: np.ndarray) -> LeadTimeline | None:
    """The spine's :class:`LeadTimeline` when carrying history pays: 2 to :data:`MAX_DATES` distinct as_of
    dates, each lead at most once per date (``as_of_days``: each row's as_of in epoch days); else None."""
    if not 2 <= len(np.unique(as_of_days)) <= MAX_DATES:
        return None
    timeline = LeadTimeline.of(spine["lead_id"], as_of_days)
    return None if (np.diff(timeline.keys) == 0).any() else timeline


@dataclass(frozen=True)
class LeadTimeline:
    """Each spine row's place among its lead's rows in as_of order."""

    leads: pa.Array  # the distinct lead ids; a lead's number is its position here
    day: np.ndarray  # (row,) the as_of date in epoch days
    keys: np.ndarray  # (lead number, day) as one sortable integer, in timeline order
    lead: np.ndarray  # lead numbers, in timeline order
    order: np.ndarray  # spine rows in timeline order
    steps: tuple[tuple[np.ndarray, np.ndarray], ...]  # per rank 1, 2, …: (rows, the lead's previous rows)

    @classmethod
    def of(cls, lead_ids: pd.Series, day: np.ndarray) -> LeadTimeline:
        """The timeline of spine rows with these lead ids and as_of ``day`` (epoch days)."""
        codes, leads = pd.factorize(lead_ids.astype(str))
        lead, day = codes.astype(np.int64), np.asarray(day, dtype=np.int64)
        keys = _keys(lead, day, day)
        order = np.argsort(keys, kind="stable")
        first = np.r_[True, np.diff(lead[order]) != 0]
        rank = np.arange(len(order)) - np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
        by_rank = np.argsort(rank, kind="stable")
        bounds = np.searchsorted(rank[by_rank], np.arange(1, int(rank.max(initial=0)) + 2))
        steps = tuple((order[at], order[at - 1]) for at in np.split(by_rank, bounds)[1:-1])
        return cls(pa.array(leads, type=pa.string()), day, keys[order], lead[order], order, steps)

    def landing(self, lead_ids: pa.Array, since: np.ndarray) -> np.ndarray:
        """For each group, its lead's first spine row on or after day ``since``; -1 when the lead has none."""
        lead = pc.index_in(lead_ids, value_set=self.leads).fill_null(-1).to_numpy().astype(np.int64)
        at = np.searchsorted(self.keys, _keys(lead, np.asarray(since, dtype=np.int64), self.day))
        found = np.full(len(at), -1, dtype=np.int64)
        hit = (lead >= 0) & (at < len(self.keys))
        hit[hit] = self.lead[at[hit]] == lead[hit]
        found[hit] = self.order[at[hit]]
        return found


@dataclass(frozen=True)
class Carried:
    """History groups (an engine result with ``lead_id`` and ``since`` columns) landed on a :class:`LeadTimeline`:
    each value on its lead's first spine row on or after ``since``, then carried to the lead's later rows."""

    groups: pa.Table
    timeline: LeadTimeline
    rows: np.ndarray  # the landing row of each group; -1: its lead has no row that late

    @classmethod
    def land(cls, groups: pa.Table, timeline: LeadTimeline) -> Carried:
        return cls(groups, timeline, timeline.landing(groups.column("lead_id"), _column(groups, "since")))

    def sum(self, column: str | np.ndarray, *, slot: str | None = None, n_slots: int = 1, rate: float = 0.0):
        """(row, slot) running sums of ``column`` (or of one value per group; missing counts 0). With a ``rate``,
        the column holds sums decayed to the day before ``since``; they decay on by ``exp(rate * days)``."""
        values = _column(self.groups, column) if isinstance(column, str) else column
        values = np.nan_to_num(values.astype(np.float64))
        day = self.timeline.day
        if rate:
            values = values * np.exp((day[self.rows] - _column(self.groups, "since")) * rate)
        out = self._landed(values, slot, n_slots, 0.0, np.add)
        for later, previous in self.timeline.steps:
            out[later] += out[previous] * (np.exp((day[later] - day[previous]) * rate)[:, None] if rate else 1.0)
        return out

    def max(self, column: str, fill, *, slot: str | None = None, n_slots: int = 1) -> np.ndarray:
        """(row, slot) running maxima of ``column`` (``fill`` where none; missing values are skipped)."""
        out = self._landed(_column(self.groups, column), slot, n_slots, fill, np.fmax)
        for later, previous in self.timeline.steps:
            out[later] = np.fmax(out[later], out[previous])
        return out

    def _landed(self, values: np.ndarray, slot: str | None, n_slots: int, fill, ufunc) -> np.ndarray:
        out = np.full((len(self.timeline.day), n_slots), fill, dtype=values.dtype)  # rows first: carried whole
        keep = self.rows >= 0
        slots = _column(self.groups, slot)[keep] if slot else np.zeros(int(keep.sum()), dtype=np.int64)
        ufunc.at(out, (self.rows[keep], slots), values[keep])
        return out


def _column(table: pa.Table, name: str) -> np.ndarray:
    """One column of an engine result as NumPy (missing → NaN for floats)."""
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False))


def _keys(lead: np.ndarray, day: np.ndarray, spine_days: np.ndarray) -> np.ndarray:
    """(lead number, day) as one integer that sorts like the pair; days past the spine's last share one key."""
    first, span = int(spine_days.min()), int(spine_days.max() - spine_days.min())
    return lead * (span + 2) + np.clip(day - first, 0, span + 1)
