"""Campaigns: each lead's first or last touch before scoring, and spend per segment against a hand count."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from predictive_leads.ops.campaigns import campaign_touch, spend
from predictive_leads.ops.segments import ALL_LEADS, segment_report, segments_csv_frame
from predictive_leads.reports.pages import segments_page

T0 = pd.Timestamp("2025-01-01", tz="UTC")


def _at(days: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=days)


def _touch_events() -> pd.DataFrame:
    rows = [
        ("lead-1", -5, "spring-webinar"), ("lead-1", -2, "summer-mail"), ("lead-1", 1, "after-scoring"),
        ("lead-2", -3, ""), ("lead-2", -3, None),
        ("lead-3", -1, "zeta"), ("lead-3", -1, "alpha"),
        ("lead-4", 0, "at-scoring"),
        ("lead-9", -9, "not-scored"),
    ]  # fmt: skip
    return pd.DataFrame({"lead_id": [r[0] for r in rows], "ts": [_at(r[1]) for r in rows],
                         "campaign": [r[2] for r in rows]})  # fmt: skip


@pytest.mark.parametrize(
    ("touch", "expected"),
    [("first", ["spring-webinar", None, "alpha", None]), ("last", ["summer-mail", None, "zeta", None])],
)
def test_a_lead_gets_the_campaign_of_its_first_or_last_event_before_scoring(touch, expected):
    scored_at = pd.Series([T0] * 4, index=["lead-1", "lead-2", "lead-3", "lead-4"])
    got = campaign_touch(_touch_events(), scored_at, touch=touch)
    assert list(got.index) == list(scored_at.index)
    assert [None if pd.isna(v) else v for v in got] == expected  # blanks passed over; at scoring time: too late


def test_campaign_touch_refuses_what_it_cannot_use():
    scored_at = pd.Series([T0], index=["lead-1"])
    with pytest.raises(ValueError, match="touch must be one of first, last"):
        campaign_touch(_touch_events(), scored_at, touch="any")
    with pytest.raises(ValueError, match=r"need column\(s\) utm_campaign"):
        campaign_touch(_touch_events(), scored_at, column="utm_campaign")
    bad = _touch_events().astype({"ts": object})
    bad.loc[0, "ts"] = "yesterday"
    with pytest.raises(ValueError, match=r"1 campaign events have no valid ts, e\.g\. of leads lead-1"):
        campaign_touch(bad, scored_at)


def _world():
    """6 leads scored at T0. Campaign A: leads 1-3 (SQL, MQL, nurture), lead 1 converts (5,000); campaign B:
    leads 4-5 (MQL, nurture), lead 4 converts (1,000); lead 6 has no campaign. Lead 2 converts after the horizon.
    Costs: A 1,500, B 3,000, C 700 (no leads)."""
    scored = pd.DataFrame({
        "lead_id": [f"lead-{i}" for i in range(1, 7)],
        "score": [90, 70, 20, 65, 10, 5],
        "stage": ["SQL", "MQL", "nurture", "MQL", "nurture", "nurture"],
        "rule_score": [3, 2, 1, 3, 2, 1],
        "scored_at": [T0] * 6,
        "campaign": ["A", "A", "A", "B", "B", None],
        "lead_source": ["web", "event", "web", "web", "event", "web"],
    })  # fmt: skip
    outcomes = pd.DataFrame({"lead_id": ["lead-1", "lead-4", "lead-2"], "converted_at": [_at(10), _at(20), _at(200)],
                             "deal_value": [5000.0, 1000.0, 800.0]})  # fmt: skip
    costs = pd.DataFrame({"campaign": ["A", "B", "C"], "cost": ["1500", "3000", "700"]})  # as a CSV reads: text
    return scored, outcomes, costs


def _row(table, dimension, segment):
    hit = table[(table["dimension"] == dimension) & (table["segment"] == segment)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_spend_per_campaign_matches_a_hand_count():
    scored, outcomes, costs = _world()
    table = segment_report(scored, outcomes, by=["campaign", "lead_source"], costs=costs, n_boot=200, min_leads=1)
    hand = {  # segment: (cost, leads, MQLs, conversions, revenue)
        "A": (1500, 3, 2, 1, 5000),
        "B": (3000, 2, 1, 1, 1000),
        ALL_LEADS: (5200, 6, 3, 2, 6000),  # the whole table's cost, C's 700 included
    }
    for segment, (cost, leads, mqls, wins, revenue) in hand.items():
        row = _row(table, "campaign", segment)
        assert row["cost"] == cost and row["leads"] == leads
        assert row["cost_per_lead"] == pytest.approx(cost / leads)
        assert row["cost_per_mql"] == pytest.approx(cost / mqls)
        assert row["cost_per_conversion"] == pytest.approx(cost / wins)
        assert row["roi"] == pytest.approx((revenue - cost) / cost)
        assert row["roi_low"] <= row["roi"] <= row["roi_high"]
        assert row["cost_per_mql_low"] <= row["cost_per_mql"] <= row["cost_per_mql_high"]
    assert _row(table, "campaign", "A")["cost_per_conversion_high"] == math.inf  # a resample of A can have none
    assert np.isnan(_row(table, "campaign", "(missing)")["cost"])  # no row in the cost table: no spend
    assert table.loc[table["dimension"] == "lead_source", "cost"].isna().all()  # only the cost table's dimension
    notes = " ".join(table.attrs["notes"])
    assert "1 campaign in the cost table without a scored lead (C): their cost (700) counts only in" in notes
    assert "1 campaign with leads but no row in the cost table ((missing))" in notes
    assert table.attrs["settings"]["costs_by"] == "campaign"
    again = segment_report(scored, outcomes, by=["campaign", "lead_source"], costs=costs, n_boot=200, min_leads=1)
    pd.testing.assert_frame_equal(segments_csv_frame(table), segments_csv_frame(again))  # seeded: the same
    page = segments_page(table)
    assert "Spend by campaign" in page and "∞" in page


def test_spend_intervals_collapse_when_every_resample_is_the_same():
    got = spend(900.0, np.ones(3), np.full(3, 600.0), np.ones(3, dtype=bool), has_deal=True, n_boot=50, seed=1)
    assert got["roi"] == pytest.approx((1800 - 900) / 900) == got["roi_low"] == got["roi_high"]
    assert got["cost_per_conversion"] == got["cost_per_conversion_low"] == got["cost_per_conversion_high"] == 300
    none = spend(900.0, np.zeros(2), np.full(2, np.nan), np.zeros(2, dtype=bool), has_deal=False, n_boot=50, seed=1)
    assert none["cost_per_conversion"] == math.inf and np.isnan(none["roi"])  # no deal values: no ROI
    free = spend(0.0, np.zeros(2), np.full(2, np.nan), np.zeros(2, dtype=bool), has_deal=True, n_boot=50, seed=1)
    assert np.isnan(free["cost_per_conversion"]) and np.isnan(free["roi"])  # nothing spent, nothing won


@pytest.mark.parametrize(
    ("costs", "message"),
    [
        (pd.DataFrame({"campaign": ["A", "A"], "cost": [1, 2]}), "names campaign A more than once"),
        (pd.DataFrame({"campaign": ["A", "B"], "cost": [1, -2]}), "0 or more; not for campaign B"),
        (pd.DataFrame({"campaign": ["A"], "cost": ["lots"]}), "0 or more; not for campaign A"),
        (pd.DataFrame({"region": ["A"], "cost": [1]}), "keyed by .one of campaign, lead_source.; found region, cost"),
        (pd.DataFrame({"campaign": ["A"], "spend": [1]}), "found campaign, spend"),
    ],
)
def test_a_cost_table_it_cannot_read_is_refused_in_one_line(costs, message):
    scored, outcomes, _ = _world()
    with pytest.raises(ValueError, match=message):
        segment_report(scored, outcomes, by=["campaign", "lead_source"], costs=costs, n_boot=10)
