"""Nurture and recycle: each move of the rule, with its reason (the batch job: tests/cli/test_cli_funnel.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from predictive_leads.ops.lifecycle import RECYCLED, recycle


def test_each_move_of_the_recycle_rule_with_its_reason():
    cases = [  # (previous stage, previous score, stage now, score now) → (stage, reason)
        (("MQL", 72, "nurture", 41), (RECYCLED, "went cold after MQL (score 72 → 41)")),
        (("SQL", 90, "nurture", 30), (RECYCLED, "went cold after SQL (score 90 → 30)")),
        ((RECYCLED, 35, "nurture", 33), (RECYCLED, "still cold since it was recycled")),
        ((RECYCLED, 38, "MQL", 77), ("MQL", "re-engaged after recycle (score 38 → 77)")),
        ((RECYCLED, 38, "disqualified", 1), ("disqualified", "")),
        (("MQL", 70, "disqualified", 1), ("disqualified", "")),
        (("nurture", 20, "nurture", 25), ("nurture", "")),
        (("new", None, "nurture", 25), ("nurture", "")),
        (("MQL", 70, "SQL", 95), ("SQL", "")),
    ]
    before, after = zip(*cases, strict=True)
    stage = pd.Series([c[2] for c in before], index=range(10, 19))
    got = recycle(stage, pd.Series([c[3] for c in before], index=stage.index), pd.Series([c[0] for c in before]),
                  pd.Series([c[1] for c in before]))  # fmt: skip
    assert list(got.index) == list(stage.index)
    assert list(zip(got["stage"], got["stage_reason"], strict=True)) == list(after)
    assert list(stage) == [c[2] for c in before]  # the input is not changed


def test_a_rep_turning_a_lead_back_recycles_it_for_the_declared_days_with_the_reps_words():
    from predictive_leads.data.feedback import sales_feedback
    from predictive_leads.ops.lifecycle import RecycleOn

    at = pd.Timestamp("2026-03-01", tz="UTC")
    feedback = sales_feedback(pd.DataFrame({
        "lead_id": ["A", "A", "B", "C", "D", "E"],
        "disposition": ["rejected", "rejected", "rejected", "rejected", "accepted", "rejected"],
        "reason": ["timing", "no budget", "no budget", "no budget", "", "no budget"],
        "date": ["2026-01-05", "2026-02-10", "2025-11-01", "2026-03-02", "2026-02-20", "2026-02-25"],
    }))  # fmt: skip
    rule = RecycleOn(feedback, ("no budget", "timing"), days=90)
    ids = pd.Series(["A", "B", "C", "D", "E", "F"], index=range(5, 11))
    told = rule.told(ids, at)
    assert list(told.index) == list(ids.index)
    assert told.tolist() == [
        "rep feedback on 2026-02-10: rejected: no budget",  # the latest of A's two
        "",  # B's is older than 90 days
        "",  # C's comes after the run
        "",  # D was accepted: not a declared word
        "rep feedback on 2026-02-25: rejected: no budget",
        "",
    ]
    stage = pd.Series(["MQL", "SQL", "nurture", "MQL", "disqualified", "nurture"], index=ids.index)
    got = recycle(stage, pd.Series([80, 95, 20, 75, 1, 10], index=ids.index), pd.Series(["new"] * 6),
                  pd.Series([None] * 6), told=told)  # fmt: skip
    assert got["stage"].tolist() == [RECYCLED, "SQL", "nurture", "MQL", "disqualified", "nurture"]
    assert got["stage_reason"].iloc[0] == told.iloc[0]
    with pytest.raises(ValueError, match="name the feedback words that recycle a lead"):
        RecycleOn(feedback, ())
