"""Sales feedback over time: shares of the model's MQLs by month and score band, against a hand count."""

from __future__ import annotations

import pandas as pd
import pytest

from predictive_leads.data.feedback import sales_feedback
from predictive_leads.monitoring.feedback import ANY, feedback_shares

T0 = pd.Timestamp("2026-01-01", tz="UTC")


def test_feedback_shares_by_month_and_band_match_a_hand_count():
    rows = pd.DataFrame({
        "lead_id": ["A", "B", "C", "D", "A", "E"],
        "as_of": [T0, T0, T0, T0, T0 + pd.DateOffset(months=1), T0 + pd.DateOffset(months=1)],
        "score": [95, 85, 92, 30, 97, 88],
        "stage": ["SQL", "MQL", "SQL", "nurture", "SQL", "MQL"],
    })  # fmt: skip
    feedback = sales_feedback(pd.DataFrame({
        "lead_id": ["A", "A", "B", "D", "E"],
        "disposition": ["rejected", "rejected", "rejected", "rejected", "accepted"],
        "reason": ["student", "no budget", "student", "student", ""],
        "date": [T0 + pd.Timedelta(days=5), T0 + pd.Timedelta(days=40), T0 + pd.Timedelta(days=200),
                 T0 + pd.Timedelta(days=5), T0 + pd.Timedelta(days=50)],
    }))  # fmt: skip
    as_of = T0 + pd.Timedelta(days=100)
    table = feedback_shares(rows, feedback, as_of=as_of, horizon_days=90).set_index(["month", "band", "feedback"])
    jan = table.loc[("2026-01", "all")]
    # January: MQLs A, B, C (D is nurture). A heard "student" (day 5) and "no budget" (day 40); B's is too late.
    assert jan.loc[ANY, "mqls"] == 3 and jan.loc[ANY, "with_feedback"] == 1
    assert jan.loc["rejected: student", "share"] == pytest.approx(1 / 3)
    assert jan.loc["rejected: no budget", "with_feedback"] == 1 and not jan.loc[ANY, "window_open"]
    feb = table.loc[("2026-02", "all")]
    # February: A (no budget on day 40 is after its as_of, day 31) and E (accepted, day 50); the window is open.
    assert feb.loc[ANY, "with_feedback"] == 2 and feb.loc["accepted: (no reason)", "with_feedback"] == 1
    assert feb.loc[ANY, "window_open"]
    assert table.loc[("all", "91–100", ANY), "mqls"] == 2  # A and C, each once (A's February row is not counted)
    assert table.loc[("all", "81–90", ANY), ["mqls", "with_feedback"]].tolist() == [2, 1]  # B (too late) and E
    low, high = table.loc[("2026-01", "all", ANY), ["share_low", "share_high"]]
    assert low < 1 / 3 < high
