"""Sales feedback in training: excluded and relabelled rows exactly as declared, counted, the caller's frame kept."""

from __future__ import annotations

import pandas as pd
import pytest

from predictive_leads.data.feedback import sales_feedback
from predictive_leads.training.feedback import apply_feedback

T0 = pd.Timestamp("2025-01-01", tz="UTC")


def _month(k: int) -> pd.Timestamp:
    return T0 + pd.DateOffset(months=k)


def _frame() -> pd.DataFrame:
    """Three monthly snapshots of leads A, B, C, D; B converted in every one, D in the last."""
    rows = [(lead, _month(k)) for lead in "ABCD" for k in range(3)]
    frame = pd.DataFrame(rows, columns=["lead_id", "as_of"])
    frame["converted"] = [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1]
    frame["x"] = range(len(frame))
    return frame


def _feedback() -> pd.DataFrame:
    return sales_feedback(pd.DataFrame({
        "lead_id": ["A", "B", "C", "D", "Z"],
        "disposition": ["rejected", "rejected", "rejected", "rejected", "rejected"],
        "reason": ["student", "no budget", "no budget", "student", "wrong person"],
        "date": [_month(1), _month(1) + pd.Timedelta(days=3), _month(0), _month(2), _month(0)],
    }))  # fmt: skip


def test_excluded_leads_leave_every_row_and_disowned_conversions_only_before_the_feedback():
    frame = _frame()
    before = frame.copy()
    out, effect = apply_feedback(frame, _feedback(), id_col="lead_id", target="converted", time_col="as_of",
                                 exclude=["student", "wrong person"], negative=["no budget", "pricing"])  # fmt: skip
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is not changed
    assert set(out["lead_id"]) == {"B", "C"}  # A and D said "student": all their rows are gone
    b = out[out["lead_id"] == "B"].set_index("as_of")["converted"]
    assert b.to_dict() == {_month(0): 0, _month(1): 0, _month(2): 1}  # feedback on day 3 of month 1: later rows keep
    assert effect.excluded_leads == 2 and effect.excluded_rows == 6
    assert effect.relabelled_leads == 1 and effect.relabelled_rows == 2  # C had nothing to disown
    assert effect.leads_not_in_data == 1 and effect.unused_words == ("pricing",)
    notes = " ".join(effect.notes())
    assert "6 rows of 2 leads excluded; 2 converted rows of 1 leads relabelled" in notes
    assert "no feedback says pricing" in notes


def test_a_frame_without_dates_relabels_all_of_a_leads_rows_and_words_are_declared_once():
    flat = _frame().drop(columns="as_of")
    out, effect = apply_feedback(flat, _feedback(), id_col="lead_id", target="converted", negative=["no budget"])
    assert out.loc[out["lead_id"] == "B", "converted"].eq(0).all() and effect.relabelled_rows == 3
    assert len(out) == len(flat)  # nothing declared excluded: nothing left out
    with pytest.raises(ValueError, match="student both excluded and relabelled"):
        apply_feedback(flat, _feedback(), id_col="lead_id", target="converted", exclude=["student"],
                       negative=["student"])  # fmt: skip
