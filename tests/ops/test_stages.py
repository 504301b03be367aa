"""Funnel stages: boundaries, disqualified leads, configuration errors, and transitions between runs."""

from __future__ import annotations

import pandas as pd
import pytest

from predictive_leads.ops.stages import Stages, heat_of, stage_of, transitions


def test_stage_boundaries_follow_score_at_or_above_the_cut():
    scores = [1, 19, 20, 49, 50, 79, 80, 100]
    assert stage_of(scores).tolist() == ["lead", "lead", "IQL", "IQL", "MQL", "MQL", "SQL", "SQL"]
    assert heat_of(scores).tolist() == ["cold", "cold", "cold", "cold", "warm", "warm", "hot", "hot"]
    assert stage_of([90, 10], disqualified=[True, False]).tolist() == ["disqualified", "lead"]


def test_names_and_cut_offs_are_configurable_and_checked():
    custom = Stages(cuts=(("sales ready", 60), ("nurture", 1)), below="-")
    assert stage_of([59, 60, 1], custom).tolist() == ["nurture", "sales ready", "nurture"]
    with pytest.raises(ValueError, match="strictly decreasing"):
        Stages(cuts=(("MQL", 50), ("SQL", 80)))
    with pytest.raises(ValueError, match="between 1 and 100"):
        Stages(heat_cuts=(("hot", 120), ("warm", 50)))


def test_transitions_count_moves_conversions_and_new_leads():
    history = pd.DataFrame({
        "lead_id": ["a", "b", "c", "a", "b", "d"],
        "as_of": ["2026-01-01"] * 3 + ["2026-02-01"] * 3,
        "score": [55, 85, 30, 82, 85, 10],
        "tier": ["MQL", "SQL", "nurture", "SQL", "disqualified", "nurture"],
    })  # fmt: skip
    conversions = pd.DataFrame({"lead_id": ["c"], "converted_at": pd.to_datetime(["2026-01-15"], utc=True)})
    got = transitions(history, conversions=conversions)
    moves = {(r.from_stage, r.to_stage): r.leads for r in got.itertuples()}
    assert moves == {("MQL", "SQL"): 1, ("SQL", "disqualified"): 1, ("IQL", "converted"): 1, ("new", "lead"): 1}
    assert (got["as_of"] == pd.Timestamp("2026-02-01", tz="UTC")).all()
    assert transitions(history.iloc[:3]).empty
