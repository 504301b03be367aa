"""Between runs: score change and momentum per lead, stage moves of one run, transitions over a history."""

import pandas as pd
import pytest

from predictive_leads.ops.trend import score_trend, stage_moves, transitions


def _previous():
    return pd.DataFrame({"score": [40, 90, 60], "stage": ["nurture", "SQL", "MQL"]}, index=["a", "b", "c"])


def test_score_trend_marks_heating_cooling_steady_and_new_leads():
    scores = pd.Series([52, 75, 65, 30], index=[10, 11, 12, 13])
    got = score_trend(scores, _previous(), ["a", "b", "c", "z"])
    assert got.index.tolist() == [10, 11, 12, 13]
    assert got["momentum"].tolist() == ["heating", "cooling", "steady", "new"]
    assert got["score_change"].tolist()[:3] == [12, -15, 5] and got["score_change"].isna().tolist()[3]
    assert got["previous_stage"].tolist() == ["nurture", "SQL", "MQL", "new"]
    assert score_trend(scores, _previous(), ["a", "b", "c", "z"], step=20)["momentum"].tolist()[:3] == ["steady"] * 3
    with pytest.raises(ValueError, match="at least 1"):
        score_trend(scores, _previous(), ["a", "b", "c", "z"], step=0)


def test_stage_moves_count_new_and_left_leads():
    current = pd.DataFrame({"stage": ["SQL", "disqualified", "MQL"]}, index=["a", "b", "d"])
    got = stage_moves(current, _previous())
    moves = {(r.from_stage, r.to_stage): r.leads for r in got.itertuples()}
    assert moves == {("nurture", "SQL"): 1, ("SQL", "disqualified"): 1, ("new", "MQL"): 1, ("MQL", "left"): 1}
    assert got["leads"].sum() == len(current) + 1  # every lead of either run counted once


def test_transitions_count_moves_conversions_and_new_leads():
    history = pd.DataFrame({
        "lead_id": ["a", "b", "c", "a", "b", "d"],
        "as_of": ["2026-01-01"] * 3 + ["2026-02-01"] * 3,
        "stage": ["MQL", "SQL", "nurture", "SQL", "disqualified", "nurture"],
    })  # fmt: skip
    conversions = pd.DataFrame({"lead_id": ["c"], "converted_at": pd.to_datetime(["2026-01-15"], utc=True)})
    got = transitions(history, conversions=conversions)
    moves = {(r.from_stage, r.to_stage): r.leads for r in got.itertuples()}
    assert moves == {("MQL", "SQL"): 1, ("SQL", "disqualified"): 1, ("nurture", "converted"): 1, ("new", "nurture"): 1}
    assert (got["as_of"] == pd.Timestamp("2026-02-01", tz="UTC")).all()
    assert transitions(history.iloc[:3]).empty
    without = transitions(history)
    assert ("nurture", "left") in {(r.from_stage, r.to_stage) for r in without.itertuples()}
