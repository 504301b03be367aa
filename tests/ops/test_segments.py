"""Results by segment: hand-computed counts, rates, windows, Wilson intervals, AUC gains, notes and the page."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from predictive_leads.ops.segments import (
    ALL_LEADS,
    SEGMENT_COLUMNS,
    segment_report,
    segments_csv_frame,
)
from predictive_leads.reports.pages import segments_page

T0 = pd.Timestamp("2025-01-01", tz="UTC")
Z = 1.959963984540054


def _days(d: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=d)


def _wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval, written out from the formula."""
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


def _tiny():
    """8 leads in 2 sources. web: 5 leads, 2 converted in window (10 and 30 days, 1000 + 3000), one converts after
    the horizon (120 days); event: 3 leads, 1 converted exactly at the horizon end (90 days, no deal value)."""
    scored = pd.DataFrame({
        "lead_id": [f"lead-{i:04d}" for i in range(1, 9)],
        "score": [90, 85, 60, 40, 20, 95, 55, 10],
        "stage": ["SQL", "SQL", "MQL", "nurture", "nurture", "SQL", "MQL", "nurture"],
        "probability": [0.9, 0.8, 0.5, 0.3, 0.1, 0.95, 0.4, 0.05],
        "rule_score": [10, 5, 8, 2, 1, 3, 7, 9],
        "lead_source": ["web"] * 5 + ["event"] * 3,
        "seniority": ["vp", "vp", "manager", "manager", "vp", "manager", "vp", "manager"],
    })  # fmt: skip
    outcomes = pd.DataFrame({
        "lead_id": ["lead-0001", "lead-0002", "lead-0003", "lead-0006", "lead-9999"],
        "converted_at": [_days(10), _days(30), _days(120), _days(90), _days(5)],
        "deal_value": [1000.0, 3000.0, 500.0, np.nan, 7.0],
    })  # fmt: skip
    return scored, outcomes


def _row(table: pd.DataFrame, dimension: str, segment: str) -> pd.Series:
    hit = table[(table["dimension"] == dimension) & (table["segment"] == segment)]
    assert len(hit) == 1, (dimension, segment)
    return hit.iloc[0]


@pytest.fixture(scope="module")
def tiny_table():
    scored, outcomes = _tiny()
    return segment_report(scored, outcomes, by=["lead_source"], scored_at=T0, min_leads=3, n_boot=50)


# ------------------------------------------------------------------------------------------ counts and rates


def test_hand_computed_counts_rates_days_and_deals(tiny_table):
    t = tiny_table
    assert list(t.columns) == list(SEGMENT_COLUMNS)
    assert list(t["segment"]) == [ALL_LEADS, "web", "event"]  # all leads first, then by leads
    web, event, everyone = _row(t, "lead_source", "web"), _row(t, "lead_source", "event"), t.iloc[0]

    assert (web["leads"], event["leads"], everyone["leads"]) == (5, 3, 8)
    assert web["mql_rate"] == pytest.approx(3 / 5) and web["sql_rate"] == pytest.approx(2 / 5)
    assert event["mql_rate"] == pytest.approx(2 / 3) and event["sql_rate"] == pytest.approx(1 / 3)
    assert everyone["mql_rate"] == pytest.approx(5 / 8) and everyone["sql_rate"] == pytest.approx(3 / 8)

    # 120 days is outside the 90-day window; exactly 90 days is inside
    assert (web["conversions"], event["conversions"], everyone["conversions"]) == (2, 1, 3)
    assert web["conversion_rate"] == pytest.approx(0.4)
    assert event["conversion_rate"] == pytest.approx(1 / 3)

    assert web["median_days_to_convert"] == pytest.approx(20.0)
    assert event["median_days_to_convert"] == pytest.approx(90.0)
    assert everyone["median_days_to_convert"] == pytest.approx(30.0)

    assert web["deal_value_total"] == pytest.approx(4000.0) and web["deal_value_mean"] == pytest.approx(2000.0)
    assert math.isnan(event["deal_value_total"]) and math.isnan(event["deal_value_mean"])  # its one deal has no value
    assert everyone["deal_value_total"] == pytest.approx(4000.0)


def test_wilson_interval_matches_the_formula(tiny_table):
    for segment, k, n in ((ALL_LEADS, 3, 8), ("web", 2, 5), ("event", 1, 3)):
        row = _row(tiny_table, "lead_source", segment)
        low, high = _wilson(k, n)
        assert row["conversion_rate_low"] == pytest.approx(low, abs=1e-12)
        assert row["conversion_rate_high"] == pytest.approx(high, abs=1e-12)
    web = _row(tiny_table, "lead_source", "web")
    assert web["conversion_rate_low"] == pytest.approx(0.117621, abs=1e-6)
    assert web["conversion_rate_high"] == pytest.approx(0.769276, abs=1e-6)


def test_hand_computed_aucs_and_lift(tiny_table):
    web = _row(tiny_table, "lead_source", "web")
    # converters have probabilities 0.9, 0.8 above all others: AUC 1; rule points 10, 5 against 8, 2, 1: 5 of 6 pairs
    assert web["model_auc"] == pytest.approx(1.0)
    assert web["rule_auc"] == pytest.approx(5 / 6)
    assert web["auc_gain"] == pytest.approx(1 / 6)
    assert web["auc_gain_low"] <= web["auc_gain"] <= web["auc_gain_high"]
    # top 10 % of 5 leads is 1 lead (a converter) for both: rate 1 over 0.4
    assert web["model_lift_at_10"] == pytest.approx(2.5) and web["rule_lift_at_10"] == pytest.approx(2.5)
    event = _row(tiny_table, "lead_source", "event")
    assert (event["model_auc"], event["rule_auc"], event["auc_gain"]) == pytest.approx((1.0, 0.0, 1.0))
    assert (tiny_table["note"] == "").all()


def test_notes_count_what_was_not_counted(tiny_table):
    counts = tiny_table.attrs["counts"]
    assert counts["conversions_of_unscored_leads"] == 1
    assert counts["conversions_after_horizon"] == 1
    assert counts["conversions_without_deal_value"] == 1
    notes = " ".join(tiny_table.attrs["notes"])
    assert "1 conversion (1 lead) of leads not in the scores" in notes
    assert "more than 90 days after scoring" in notes
    assert "lead-9999" not in notes  # notes reach the HTML: no ids
    settings = tiny_table.attrs["settings"]
    assert settings["by"] == ["lead_source"] and settings["model_ranked_by"] == "probability"


def test_conversion_before_scored_at_is_an_error():
    scored, outcomes = _tiny()
    early = pd.DataFrame({"lead_id": ["lead-0004"], "converted_at": [_days(-1)], "deal_value": [1.0]})
    with pytest.raises(ValueError, match=r"before their lead was scored.*lead-0004"):
        segment_report(scored, pd.concat([outcomes, early]), by=["lead_source"], scored_at=T0, n_boot=0)


def test_conversion_exactly_at_scored_at_is_not_counted_but_noted():
    scored, outcomes = _tiny()
    same = pd.DataFrame({"lead_id": ["lead-0004"], "converted_at": [T0], "deal_value": [1.0]})
    t = segment_report(scored, pd.concat([outcomes, same]), by=["lead_source"], scored_at=T0, n_boot=0)
    assert _row(t, "lead_source", "web")["conversions"] == 2
    assert t.attrs["counts"]["conversions_at_scored_at"] == 1


def test_scored_at_column_per_lead_wins_and_horizon_moves_the_window():
    scored, outcomes = _tiny()
    # lead-0003 scored 40 days later: its conversion at day 120 is 80 days after scoring, inside the window
    scored["scored_at"] = [T0, T0, _days(40), T0, T0, T0, T0, T0]
    t = segment_report(scored, outcomes, by=["lead_source"], n_boot=0)
    assert _row(t, "lead_source", "web")["conversions"] == 3
    assert _row(t, "lead_source", "web")["median_days_to_convert"] == pytest.approx(30.0)  # 10, 30, 80
    short = segment_report(scored, outcomes, by=["lead_source"], horizon_days=20, n_boot=0)
    assert _row(short, "lead_source", "web")["conversions"] == 1


def test_several_dimensions_in_order_each_with_all_leads():
    scored, outcomes = _tiny()
    t = segment_report(scored, outcomes, by=["seniority", "lead_source"], scored_at=T0, n_boot=0)
    assert list(dict.fromkeys(t["dimension"])) == ["seniority", "lead_source"]
    for _, sub in t.groupby("dimension", sort=False):
        assert sub.iloc[0]["segment"] == ALL_LEADS
        assert sub.iloc[1:]["leads"].sum() == sub.iloc[0]["leads"] == 8
    # manager and vp both have 4 leads: ties are broken by name
    assert list(t.loc[t["dimension"] == "seniority", "segment"]) == [ALL_LEADS, "manager", "vp"]


def test_missing_and_blank_values_are_their_own_segment():
    scored, outcomes = _tiny()
    scored["lead_source"] = scored["lead_source"].astype(object)
    scored.loc[6, "lead_source"] = None
    scored.loc[7, "lead_source"] = "  "
    t = segment_report(scored, outcomes, by=["lead_source"], scored_at=T0, n_boot=0)
    assert list(t["segment"]) == [ALL_LEADS, "web", "(missing)", "event"]
    missing = _row(t, "lead_source", "(missing)")
    assert (missing["leads"], missing["conversions"]) == (2, 0)


def test_small_segment_keeps_its_row_with_a_note_and_no_auc():
    scored, outcomes = _tiny()
    t = segment_report(scored, outcomes, by=["lead_source"], scored_at=T0, min_leads=4, n_boot=20)
    event = _row(t, "lead_source", "event")
    assert event["note"] == "too few leads (n < 4)"
    assert (event["leads"], event["conversions"]) == (3, 1)
    assert event[["model_auc", "rule_auc", "auc_gain", "auc_gain_low", "model_lift_at_10"]].isna().all()
    assert _row(t, "lead_source", "web")["note"] == "" and not math.isnan(_row(t, "lead_source", "web")["model_auc"])
    default = segment_report(scored, outcomes, by=["lead_source"], scored_at=T0, n_boot=0)  # min_leads 30
    assert set(default["note"]) == {"too few leads (n < 30)"} and len(default) == 3


def test_one_class_segment_has_a_note():
    scored, outcomes = _tiny()
    t = segment_report(scored, outcomes.iloc[:0], by=["lead_source"], scored_at=T0, min_leads=1, n_boot=0)
    assert set(t["note"]) == {"one class only: no AUC"}
    assert (t["conversions"] == 0).all() and t["model_auc"].isna().all()
    assert (t["deal_value_total"] == 0).all()


def test_unknown_by_column_names_it_and_lists_the_columns():
    scored, outcomes = _tiny()
    with pytest.raises(ValueError, match=r"'campaign'.*available columns: lead_id, score.*lead_source"):
        segment_report(scored, outcomes, by=["lead_source", "campaign"], scored_at=T0)


def test_input_errors():
    scored, outcomes = _tiny()
    with pytest.raises(ValueError, match="scored_at"):
        segment_report(scored, outcomes, by=["lead_source"])
    with pytest.raises(ValueError, match=r"one row per lead.*lead-0001"):
        segment_report(pd.concat([scored, scored.iloc[:1]]), outcomes, by=["lead_source"], scored_at=T0)
    with pytest.raises(ValueError, match="rule_score"):
        segment_report(scored.drop(columns="rule_score"), outcomes, by=["lead_source"], scored_at=T0)
    with pytest.raises(ValueError, match="lead_id"):
        segment_report(scored, outcomes, by=["lead_id"], scored_at=T0)


# ------------------------------------------------------------------------------------------ model against rule


def _ranked_world(seed: int = 0, n: int = 120) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Model ranks perfectly in both segments; the rule score is noise."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, n // 4, replace=False)] = 1
    p = np.clip(0.2 + 0.6 * y + rng.uniform(-0.15, 0.15, n), 0, 1)
    scored = pd.DataFrame({
        "lead_id": [f"lead-{i:05d}" for i in range(n)],
        "score": np.round(1 + 99 * p),
        "stage": np.select([p >= 0.8, p >= 0.5], ["SQL", "MQL"], "nurture"),
        "probability": p,
        "rule_score": rng.integers(0, 50, n),
        "campaign": np.where(np.arange(n) % 3 == 0, "spring <promo>", "always-on"),
    })  # fmt: skip
    won = scored.loc[y == 1, "lead_id"]
    outcomes = pd.DataFrame({"lead_id": won, "converted_at": _days(15), "deal_value": 100.0})
    return scored, outcomes


def test_model_that_ranks_perfectly_beats_a_random_rule():
    scored, outcomes = _ranked_world()
    t = segment_report(scored, outcomes, by=["campaign"], scored_at=T0, n_boot=200, seed=1)
    for _, row in t.iterrows():
        assert row["leads"] >= 30 and row["note"] == ""
        assert row["model_auc"] == pytest.approx(1.0)
        assert row["auc_gain"] > 0
        assert row["auc_gain_low"] > 0 and row["auc_gain_high"] >= row["auc_gain_low"]
        assert row["model_lift_at_10"] > row["rule_lift_at_10"]


def test_deterministic_for_a_seed():
    scored, outcomes = _ranked_world()
    a = segment_report(scored, outcomes, by=["campaign"], scored_at=T0, n_boot=50, seed=3)
    b = segment_report(scored, outcomes, by=["campaign"], scored_at=T0, n_boot=50, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs
    shuffled = segment_report(scored.sample(frac=1, random_state=0), outcomes, by=["campaign"], scored_at=T0,
                              n_boot=0, seed=3)  # fmt: skip
    cols = ["dimension", "segment", "leads", "conversions", "conversion_rate", "model_auc", "rule_auc"]
    pd.testing.assert_frame_equal(a[cols], shuffled[cols])


def test_csv_frame_has_the_stable_column_order(tiny_table):
    frame = segments_csv_frame(tiny_table[list(reversed(SEGMENT_COLUMNS))])
    assert list(frame.columns) == list(SEGMENT_COLUMNS)
    with pytest.raises(ValueError, match="not a segment table"):
        segments_csv_frame(tiny_table.drop(columns="note"))


# ------------------------------------------------------------------------------------------ the page


def test_html_one_table_per_dimension_escaped_and_no_lead_ids():
    scored, outcomes = _ranked_world(n=90)
    scored["seniority"] = np.where(np.arange(len(scored)) % 2 == 0, "vp", None)
    t = segment_report(scored, outcomes, by=["campaign", "seniority"], scored_at=T0, n_boot=20)
    html = segments_page(t, title="Segments <Q1>")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert html.count("<table") == 2
    assert html.count('<img src="data:image/png;base64,') == 2
    assert "By campaign" in html and "By seniority" in html
    assert "spring &lt;promo&gt;" in html and "<promo>" not in html
    assert "Segments &lt;Q1&gt;" in html
    assert "Wilson" in html and "(missing)" in html
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    assert not re.search(r"lead-\d", text)  # no lead ids anywhere
    assert not any(i in text for i in scored["lead_id"])
    assert "<script" not in html.lower()
    assert segments_page(t, title="Segments <Q1>") == html  # deterministic bytes


def test_sales_feedback_on_each_segments_mqls_matches_a_hand_count():
    from predictive_leads.data.feedback import sales_feedback

    scored, outcomes = _tiny()
    feedback = sales_feedback(pd.DataFrame({
        "lead_id": ["lead-0001", "lead-0001", "lead-0003", "lead-0004"],
        "disposition": ["rejected", "rejected", "rejected", "rejected"],
        "reason": ["no budget", "no budget", "student", "student"],
        "date": [_days(5), _days(6), _days(100), _days(5)],
    }))  # fmt: skip
    table = segment_report(scored, outcomes, by=["lead_source"], scored_at=T0, n_boot=0, feedback=feedback)
    # MQL or SQL: leads 1, 2, 3 (web) and 6, 7 (event). Lead 1 heard "no budget" twice (once counted); lead 3's
    # feedback came after the 90-day horizon; lead 4 is not an MQL.
    everyone, web, event = (_row(table, "lead_source", s) for s in (ALL_LEADS, "web", "event"))
    assert (everyone["mqls"], everyone["mqls_with_feedback"]) == (5, 1)
    assert everyone["feedback_rate"] == pytest.approx(0.2) and everyone["top_feedback"] == "rejected: no budget (1)"
    assert (web["mqls"], web["mqls_with_feedback"], event["mqls_with_feedback"]) == (3, 1, 0)
    assert web["feedback_rate_low"] < 1 / 3 < web["feedback_rate_high"] and event["top_feedback"] == ""
    assert table.attrs["settings"]["feedback"] and "Sales feedback by lead_source" in segments_page(table)
    without = segment_report(scored, outcomes, by=["lead_source"], scored_at=T0, n_boot=0)
    assert without["mqls"].isna().all() and "Sales feedback" not in segments_page(without)
