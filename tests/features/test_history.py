"""Older history landed on each lead's first spine row on or after its period and carried to later rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from predictive_leads.features.history import MAX_DATES, Carried, LeadTimeline, timeline_for

# lead A has rows on days 10, 40, 70; B on 40 and 100 (none on 10 or 70); C on 10 only
SPINE = pd.DataFrame({"lead_id": ["B", "A", "C", "A", "B", "A"], "day": [100, 40, 10, 10, 40, 70]})


def _timeline() -> LeadTimeline:
    return LeadTimeline.of(SPINE["lead_id"], SPINE["day"].to_numpy())


def _groups(rows: list[tuple]) -> pa.Table:
    lead_id, since, n, last = zip(*rows, strict=True)
    return pa.table({"lead_id": list(lead_id), "since": list(since), "n": list(n), "last_us": list(last)})


GROUPS = _groups([
    ("A", 10, 2, 5), ("A", 40, 3, 30),  # on A's first two rows
    ("B", 10, 5, 7),  # B has no row on day 10: lands on its day-40 row
    ("B", 70, 1, 60),  # … and this on its day-100 row
    ("C", 40, 4, 35),  # C has no row that late: nowhere
    ("Z", 10, 9, 99),  # not a spine lead: nowhere
])  # fmt: skip


def test_groups_land_on_the_leads_first_row_on_or_after_their_period():
    rows = _timeline().landing(GROUPS.column("lead_id"), GROUPS.column("since").to_numpy())
    assert rows.tolist() == [3, 1, 4, 0, -1, -1]


def test_sums_and_maxima_carry_to_the_leads_later_rows_only():
    carried = Carried.land(GROUPS, _timeline())
    assert carried.sum("n")[:, 0].tolist() == [5 + 1, 2 + 3, 0, 2, 5, 2 + 3]
    latest = carried.max("last_us", -1)[:, 0].tolist()
    assert latest == [60, 30, -1, 5, 7, 30]


def test_decayed_sums_decay_on_to_each_rows_as_of():
    groups = pa.table({"lead_id": ["A", "A"], "since": [10, 40], "d": [1.0, 2.0], "kind": [0, 1]})
    rate = -np.log(2) / 30
    decayed = Carried.land(groups, _timeline()).sum("d", slot="kind", n_slots=2, rate=rate)
    a10, a40, a70 = 3, 1, 5  # A's rows
    assert decayed[a10].tolist() == [1.0, 0.0]
    assert decayed[a40] == pytest.approx([0.5, 2.0], rel=1e-12)  # 30 days later: half
    assert decayed[a70] == pytest.approx([0.25, 1.0], rel=1e-12)
    assert decayed[[0, 2, 4]].sum() == 0


def test_carrying_is_for_several_dates_each_lead_once_a_day():
    spine = SPINE.drop(columns="day")
    assert timeline_for(spine, SPINE["day"].to_numpy()) is not None
    assert timeline_for(spine, np.full(len(spine), 10)) is None  # one date: nothing to carry
    assert timeline_for(spine, np.array([100, 40, 10, 40, 40, 70])) is None  # A twice on day 40
    many = pd.DataFrame({"lead_id": [f"L{i}" for i in range(MAX_DATES + 1)]})
    assert timeline_for(many, np.arange(MAX_DATES + 1)) is None  # a CASE per date would not pay
