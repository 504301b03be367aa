"""Sales feedback as the team writes it: checked in one line, words kept as they are, windows exact."""

from __future__ import annotations

import pandas as pd
import pytest

from predictive_leads.data.feedback import NO_REASON, feedback_within, sales_feedback

T0 = pd.Timestamp("2025-03-01", tz="UTC")


def _raw(**changes) -> pd.DataFrame:
    raw = pd.DataFrame({"lead_id": [" L1", "L2", "L3"], "disposition": ["Rejected", "accepted ", "Rejected"],
                        "reason": ["No Budget", "", None], "date": ["2025-03-05", "2025-03-10T12:00:00Z",
                                                                     "2025-04-01"]})  # fmt: skip
    return raw.assign(**changes)


def test_feedback_keeps_the_teams_words_and_reads_dates_as_utc():
    got = sales_feedback(_raw())
    assert list(got["lead_id"]) == ["L1", "L2", "L3"]
    assert list(got["disposition"]) == ["Rejected", "accepted", "Rejected"]  # stripped, never re-cased or mapped
    assert list(got["reason"]) == ["No Budget", NO_REASON, NO_REASON]
    assert got["date"].iloc[1] == pd.Timestamp("2025-03-10T12:00:00Z")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (_raw().drop(columns="reason"), r"fb\.csv: needs column\(s\) reason; found lead_id, disposition, date"),
        (_raw(lead_id=["L1", " ", "L3"]), r"fb\.csv: lead_id is blank in 1 rows"),
        (_raw(disposition=["x", None, ""]), r"fb\.csv: disposition is blank for lead\(s\) L2, L3"),
        (_raw(date=["2025-03-05", "soon", None]), r"fb\.csv: date is missing or not a date for lead\(s\) L2, L3"),
    ],
)
def test_feedback_it_cannot_read_is_refused_naming_the_file_column_and_leads(raw, message):
    with pytest.raises(ValueError, match=message):
        sales_feedback(raw, "fb.csv")


def test_feedback_within_counts_each_label_once_inside_the_window_only():
    feedback = sales_feedback(pd.DataFrame({
        "lead_id": ["L1", "L1", "L1", "L1", "L2"],
        "disposition": ["rejected"] * 5,
        "reason": ["student", "student", "late", "early", "student"],
        "date": [T0 + pd.Timedelta(days=d) for d in (3, 5, 31, 0, 10)],
    }))  # fmt: skip
    ids = pd.Series(["L1", "L2", "L3"])
    starts = pd.Series([T0] * 3)
    got = feedback_within(ids, starts, starts + pd.Timedelta(days=30), feedback)
    assert sorted(map(tuple, got.to_numpy())) == [(0, "rejected: student"), (1, "rejected: student")]


def test_words_that_read_as_personal_data_are_withheld_and_free_text_is_refused():
    from predictive_leads.data.feedback import WITHHELD

    got = sales_feedback(_raw(reason=["no budget", "call anna.smith@example.com", "+44 20 7946 0958"]))
    assert list(got["reason"]) == ["no budget", WITHHELD, WITHHELD]
    named = sales_feedback(_raw(reason=["spoke to Anna Smith", "wrong person", "John"]))
    assert list(named["reason"]) == [WITHHELD, "wrong person", WITHHELD]
    prose = [f"spoke to them on day {i} and they said the budget is frozen until later" for i in range(30)]
    raw = pd.DataFrame({"lead_id": [f"L{i}" for i in range(30)], "disposition": ["rejected"] * 30,
                        "reason": prose, "date": ["2025-03-05"] * 30})  # fmt: skip
    with pytest.raises(ValueError, match=r"fb\.csv: reason reads as free text"):
        sales_feedback(raw, "fb.csv")
