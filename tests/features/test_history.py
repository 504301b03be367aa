"""Periods placed on each lead's spine rows: spread to the rows whose windows hold them, carried when older."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from predictive_leads.features.history import (
    MAX_DATES,
    Carried,
    LeadTimeline,
    PeriodGroups,
    fits_periods,
    period_ends,
)

# lead A has rows on days 10, 40, 70; B on 40 and 100 (none on 10 or 70); C on 10 only
SPINE = pd.DataFrame({"lead_id": ["B", "A", "C", "A", "B", "A"], "day": [100, 40, 10, 10, 40, 70]})
A10, A40, A70, B40, B100, C10 = 3, 1, 5, 4, 0, 2  # their spine rows


LEADS = pd.Series(["C", "B", "A", "D"])  # D has no spine rows


def _positions(lead_ids) -> np.ndarray:
    return pd.Index(LEADS).get_indexer(lead_ids)


def _timeline() -> LeadTimeline:
    return LeadTimeline.of(LEADS, _positions(SPINE["lead_id"]), SPINE["day"].to_numpy())


def _lead(timeline: LeadTimeline, ids: list[str]) -> np.ndarray:
    return timeline.numbers(pa.array(ids))


def test_periods_are_cut_at_each_date_and_each_windows_first_day():
    assert period_ends([40, 100], [7, 30]) == [10, 33, 40, 70, 93, 100]


def test_dates_are_indexed_by_the_first_date_on_or_after_a_day():
    assert _timeline().date_index([5, 10, 11, 40, 100, 101]).tolist() == [0, 0, 1, 1, 3, 4]


def test_groups_land_on_the_leads_first_row_on_or_after_a_date():
    timeline = _timeline()
    lead = _lead(timeline, ["A", "A", "B", "B", "C", "Z"])  # Z: not a spine lead
    rows = timeline.landing(lead, timeline.date_index([10, 40, 10, 70, 40, 10]))
    assert rows.tolist() == [A10, A40, B40, B100, -1, -1]  # B has no row on 10 or 70, C none after 10


def test_a_period_spreads_to_the_leads_rows_on_the_dates_in_range():
    timeline = _timeline()
    lead = _lead(timeline, ["A", "B", "C", "Z", "A"])
    first, stop = timeline.date_index([40, 10, 10, 10, 70]), timeline.date_index([101, 101, 101, 101, 70])
    item, rows = timeline.spread(lead, first, stop)
    assert item.tolist() == [0, 0, 1, 1, 2]  # A's two rows from 40, B's both, C's one; none for Z or an empty range
    assert rows.tolist() == [A40, A70, B40, B100, C10]


def _carried(groups: pa.Table, since: list[int], ref: list[int] | None = None) -> Carried:
    timeline = _timeline()
    rows = timeline.landing(_lead(timeline, groups.column("lead_id").to_pylist()), timeline.date_index(since))
    return Carried(groups, timeline, rows, ref=np.asarray(ref if ref else since))


def test_sums_and_maxima_carry_to_the_leads_later_rows_only():
    groups = pa.table(
        {"lead_id": ["A", "A", "B", "B", "C", "Z"], "n": [2, 3, 5, 1, 4, 9], "last": [5, 30, 7, 60, 35, 99]}
    )
    carried = _carried(groups, since=[10, 40, 10, 70, 40, 10])
    assert carried.sum("n")[:, 0].tolist() == [5 + 1, 2 + 3, 0, 2, 5, 2 + 3]
    assert carried.max("last", -1)[:, 0].tolist() == [60, 30, -1, 5, 7, 30]


def test_slots_keep_groups_apart_and_minus_one_leaves_a_group_out():
    groups = pa.table({"lead_id": ["A", "A", "A"], "n": [1, 2, 4]})
    sums = _carried(groups, since=[10, 10, 40]).sum("n", slot=np.array([0, 1, -1]), n_slots=2)
    assert sums[[A10, A40, A70]].tolist() == [[1, 2], [1, 2], [1, 2]]


def test_decayed_sums_decay_on_from_their_reference_day_to_each_rows_as_of():
    groups = pa.table({"lead_id": ["A", "A"], "d": [1.0, 2.0], "kind": [0, 1]})
    rate = -np.log(2) / 30
    decayed = _carried(groups, since=[10, 40], ref=[10, 10]).sum("d", slot="kind", n_slots=2, rate=rate)
    assert decayed[A10].tolist() == [1.0, 0.0]
    assert decayed[A40] == pytest.approx([0.5, 1.0], rel=1e-12)  # both 30 days past their reference day
    assert decayed[A70] == pytest.approx([0.25, 0.5], rel=1e-12)
    assert decayed[[B100, C10, B40]].sum() == 0


def test_periods_are_for_several_dates_each_lead_once_a_day():
    lead = _positions(SPINE["lead_id"])
    assert fits_periods(lead, SPINE["day"].to_numpy())
    assert not fits_periods(lead, np.full(len(lead), 10))  # one date: nothing to carry
    assert not fits_periods(lead, np.array([100, 40, 10, 40, 40, 70]))  # A twice on day 40
    many = np.arange(MAX_DATES + 1)
    assert not fits_periods(many, many)  # periods too short to pay


def test_a_period_pairs_with_each_row_whose_windows_hold_it_in_the_first_that_does():
    timeline, edges = _timeline(), [7, 30]
    cuts = period_ends(timeline.dates.tolist(), edges)
    lead_ids = [lead for lead in ["A", "B", "C", "Z"] for _ in cuts]
    groups = pa.table({"lead_id": lead_ids, "period": list(range(len(cuts))) * 4})
    periods = PeriodGroups.of(groups, timeline, timeline.dates.tolist(), edges)
    group, rows, bucket = periods.in_windows(edges)
    expected = set()  # by brute force: the period [start, end) inside the row's window [as_of - w, as_of)
    for g, (lead, p) in enumerate(zip(lead_ids, groups.column("period").to_pylist(), strict=True)):
        start, end = (cuts[p - 1] if p else -(10**9)), cuts[p]
        for row in np.flatnonzero(SPINE["lead_id"] == lead):
            as_of = SPINE["day"][row]
            inside = [w for w in edges if start >= as_of - w and end <= as_of]
            if inside:
                expected.add((g, row, edges.index(inside[0])))
    assert set(zip(group.tolist(), rows.tolist(), bucket.tolist(), strict=True)) == expected
    assert len(expected) == len(group) > 0


def test_every_period_is_carried_from_the_first_row_after_it():
    timeline = _timeline()
    cuts = period_ends(timeline.dates.tolist(), [7])
    groups = pa.table({"lead_id": ["A"] * len(cuts), "period": list(range(len(cuts))), "n": [1] * len(cuts)})
    carried = PeriodGroups.of(groups, timeline, timeline.dates.tolist(), [7]).carried()
    totals = carried.sum("n")[:, 0]
    assert [totals[row] for row in (A10, A40, A70)] == [sum(c <= day for c in cuts) for day in (10, 40, 70)]
