"""Nurture and recycle: each move of the rule, with its reason (the batch job: tests/cli/test_cli_funnel.py)."""

from __future__ import annotations

import pandas as pd

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
