"""The funnel policy: each policy's cut-offs, one stage per lead, heat as a label of the stage, the agency's 50/80."""

import numpy as np
import pytest

from predictive_leads.models.funnel import (
    HEAT,
    FunnelError,
    FunnelPolicy,
    Thresholds,
    choose_thresholds,
    heat_of,
    load_funnel,
)
from predictive_leads.models.rules import load_table
from predictive_leads.models.score_map import OddsScale, ScoreMap


@pytest.fixture(scope="module")
def reference():
    rng = np.random.default_rng(0)
    p = rng.beta(1, 12, 4000)
    y = (rng.random(4000) < p).astype(int)
    return y, p, ScoreMap.fit(p)


def _stages(policy, reference, runs=1):
    y, p, score_map = reference
    t = choose_thresholds(policy, y, p, runs=runs, score_map=score_map, odds_scale=OddsScale())
    return t, t.stage(p)


def test_capacity_takes_the_top_leads_per_run(reference):
    t, stage = _stages(FunnelPolicy("capacity", 50, 100), reference, runs=2)
    assert (stage == "SQL").sum() == 100 and (stage == "MQL").sum() == 200  # per run ×2
    assert t.expected["SQL"]["leads_per_run"] == 50
    bigger = _stages(FunnelPolicy("capacity", 100, 100), reference, runs=2)[1]
    assert (bigger == "SQL").sum() == 200


def test_precision_and_f1_read_the_outcomes(reference):
    y = reference[0]
    _, stage = _stages(FunnelPolicy("precision", 0.3, 0.1), reference)
    assert y[stage == "SQL"].mean() >= 0.3 and y[stage != "nurture"].mean() >= 0.1
    looser = _stages(FunnelPolicy("precision", 0.2, 0.1), reference)[1]
    assert (looser == "SQL").sum() > (stage == "SQL").sum()
    assert (_stages(FunnelPolicy("f1"), reference)[1] == "SQL").sum() > 0


def test_fixed_policies_cut_where_they_say(reference):
    p = reference[1]
    _, stage = _stages(FunnelPolicy("probability", 0.2, 0.05), reference)
    assert ((stage == "SQL") == (p >= 0.2)).all() and ((stage == "nurture") == (p < 0.05)).all()
    points = OddsScale().points(p)
    _, stage = _stages(FunnelPolicy("points", 60, 40), reference)
    assert ((stage == "SQL") == (points >= 60)).all() and ((stage == "nurture") == (points < 40)).all()


def test_the_50_80_score_policy_reproduces_the_agency_points_system(reference):
    """MQL at ≥ 50, SQL at ≥ 80 on the score, as the field notes' agency does on its points."""
    _, p, score_map = reference
    agency = load_table("behavioural")  # the agency example of the field notes: MQL at 50, SQL at 80
    _, stage = _stages(FunnelPolicy("score", 80, 50), reference)
    score = score_map.score(p)
    expected = np.where(agency.tier_of(score) == "", "nurture", agency.tier_of(score))
    assert (stage == expected).all()
    assert FunnelPolicy("score") == FunnelPolicy("score", 80, 50)  # the defaults are the agency's


def test_every_lead_gets_exactly_one_stage_and_heat_is_its_label(reference):
    _, p, _ = reference
    for policy in (FunnelPolicy(), FunnelPolicy("precision"), FunnelPolicy("f1"), FunnelPolicy("score")):
        t, stage = _stages(policy, reference)
        assert set(stage) <= {"SQL", "MQL", "nurture"} and len(stage) == len(p)
        assert sum(row["leads_per_run"] for row in t.expected.values()) == len(p)
        heat = heat_of(stage)
        assert all(HEAT[s] == h for s, h in zip(stage, heat, strict=True))
    assert heat_of(["disqualified"]).tolist() == ["disqualified"]


def test_thresholds_round_trip_and_remember_their_policy(reference):
    t, _ = _stages(FunnelPolicy("precision", 0.3, 0.1), reference)
    again = Thresholds.from_dict(t.to_dict())
    assert again == t and again.funnel() == FunnelPolicy("precision", 0.3, 0.1)
    old = Thresholds.from_dict({"rule": "f1", "cutoffs": [["SQL", 0.5], ["MQL", 0.2]]})  # saved before policies
    assert old.funnel() == FunnelPolicy("f1")


def test_bad_policies_are_one_line_errors(tmp_path):
    with pytest.raises(FunnelError, match="unknown funnel policy 'top'"):
        FunnelPolicy("top")
    with pytest.raises(FunnelError, match=r"MQL cut-off .* is above the SQL"):
        FunnelPolicy("score", 50, 80)
    with pytest.raises(FunnelError, match="between 1 and 100"):
        FunnelPolicy("score", 120, 50)
    with pytest.raises(FunnelError, match="takes no sql"):
        FunnelPolicy("f1", sql=3)
    path = tmp_path / "funnel.yaml"
    path.write_text("policy: score\nsql: 85\nmql: 55\n")
    assert load_funnel(path) == FunnelPolicy("score", 85, 55)
    assert load_funnel(path).with_settings(mql=60) == FunnelPolicy("score", 85, 60)
    path.write_text("policy: score\nsq1: 85\n")
    with pytest.raises(FunnelError, match=r"^funnel.yaml: unknown key\(s\) sq1"):
        load_funnel(path)


def test_fixed_policies_need_no_reference_leads():
    score_map = ScoreMap(tuple(np.linspace(0.01, 0.99, 99)))
    t = choose_thresholds(FunnelPolicy("score", 80, 50), None, None, score_map=score_map)
    assert dict(t.cutoffs) == {"SQL": score_map.cuts[78], "MQL": score_map.cuts[48]} and t.expected == {}
    assert (score_map.score(np.array([score_map.cuts[78]])) >= 80).all()
    assert (score_map.score(np.array([np.nextafter(score_map.cuts[78], 0)])) < 80).all()
