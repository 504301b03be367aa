"""Reasons: exact TreeSHAP (sums to the margin, equals shap), grouping keeps the sum, points, wide CRM columns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from predictive_leads.explain import (
    compare_with_rules,
    feature_groups,
    group_contributions,
    points_per_log_odds,
    reason_columns,
    scored_with_reasons,
    top_reasons,
)
from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.models.rules import RuleScorer
from predictive_leads.models.score_map import SCORE_COLUMNS


@pytest.fixture(scope="module")
def sample(trained_world):
    frame = trained_world.frame
    return frame.sample(600, random_state=0)[trained_world.features]


def test_contributions_plus_base_equal_the_raw_margin(trained_world, sample):
    phi, base = trained_world.scorer.contributions(sample)
    margin = trained_world.scorer.decision_function(sample)
    assert list(phi.columns) == trained_world.features and phi.index.equals(sample.index)
    np.testing.assert_allclose(phi.sum(axis=1).to_numpy() + base, margin, atol=1e-6)


def test_contributions_equal_shap_tree_explainer_on_a_model_with_categoricals(trained_world, sample):
    import shap

    scorer = trained_world.scorer
    assert scorer.categories_, "the model must have categorical features for this check"
    phi, base = scorer.contributions(sample)
    explainer = shap.TreeExplainer(_with_objective(scorer.booster_))
    values = np.asarray(explainer.shap_values(scorer.encode(sample)))
    values = values[1] if values.ndim == 3 else values
    np.testing.assert_allclose(phi.to_numpy(), values, rtol=0, atol=1e-9)
    assert base == pytest.approx(float(np.ravel(explainer.expected_value)[-1]), abs=1e-9)


def _with_objective(booster):
    """A copy shap can read: LightGBM < 4.7 does not restore ``params`` from model text, and shap looks up the
    objective there."""
    import lightgbm

    copy = lightgbm.Booster(model_str=booster.model_to_string())
    copy.params.setdefault("objective", "binary")
    return copy


def test_duplicate_rows_are_explained_once_with_the_same_values(trained_world, sample):
    doubled = pd.concat([sample.iloc[:50], sample.iloc[:50]])
    phi, _ = trained_world.scorer.contributions(doubled)
    single, _ = trained_world.scorer.contributions(sample.iloc[:50])
    np.testing.assert_array_equal(phi.to_numpy()[:50], single.to_numpy())
    np.testing.assert_array_equal(phi.to_numpy()[50:], single.to_numpy())


def test_grouping_preserves_the_sum_and_covers_every_feature(trained_world, sample):
    phi, _ = trained_world.scorer.contributions(sample)
    grouped = group_contributions(phi)
    np.testing.assert_allclose(grouped.sum(axis=1), phi.sum(axis=1), atol=1e-9)
    groups = feature_groups(phi.columns)
    assert sorted(f for members in groups.values() for f in members) == sorted(phi.columns)
    pricing = set(groups["PRICING_PAGE_VIEW"])
    assert {"pricing_page_view_30d", "pricing_page_view_total", "days_since_last_pricing_page_view"} <= pricing
    assert {"employees", "company_size_band"} <= set(groups["COMPANY_SIZE"])


def test_reasons_are_the_strongest_groups_in_each_direction(trained_world, sample):
    scorer = trained_world.scorer
    reasons = top_reasons(scorer, sample, top_k=3)
    grouped = group_contributions(scorer.contributions(sample)[0]).to_numpy()
    assert set(reasons["direction"]) == {"positive", "negative"}
    for (row, direction), part in reasons.groupby(["row", "direction"]):
        sign = 1 if direction == "positive" else -1
        expected = np.sort(sign * grouped[row])[::-1][: len(part)]
        np.testing.assert_allclose(np.sort(sign * part["log_odds"].to_numpy())[::-1], expected, atol=1e-12)
        assert (sign * part["log_odds"] > 0).all() and list(part["rank"]) == list(range(1, len(part) + 1))
        assert part["code"].str.endswith("_UP" if sign > 0 else "_DOWN").all()
    assert reasons["text"].str.len().min() > 5 and not reasons["text"].str.contains("_").any()


def test_points_keep_the_sign_and_add_up_to_the_distance_from_the_base_score(trained_world, sample):
    scorer = trained_world.scorer
    phi, base = scorer.contributions(sample)
    margin = scorer.decision_function(sample)
    scale = points_per_log_odds(scorer, margin, base)
    assert (scale >= 0).all()
    points = group_contributions(phi).to_numpy() * scale[:, None]
    continuous = scorer.score_map_.continuous
    to_p = scorer.calibrator_.transform
    far = np.abs(margin - base) > 0.05
    np.testing.assert_allclose(points.sum(axis=1)[far], (continuous(to_p(margin)) - continuous(to_p(base)))[far],
                               atol=1e-6)  # fmt: skip
    reasons = top_reasons(scorer, sample, top_k=2)
    assert (np.sign(reasons["points"]) == np.sign(reasons["log_odds"]))[reasons["points"] != 0].all()


def test_continuous_score_matches_the_integer_score_at_the_cuts(trained_world):
    score_map = trained_world.scorer.score_map_
    cuts = np.asarray(score_map.cuts)
    np.testing.assert_allclose(score_map.continuous(cuts), score_map.score(cuts))
    grid = np.linspace(0, 1, 2001)
    assert (np.diff(score_map.continuous(grid)) >= 0).all()
    assert (np.abs(score_map.continuous(grid) - score_map.score(grid)) <= 1 + 1e-9).all()


def test_a_lead_is_explained_the_same_alone_or_in_a_batch(trained_world, sample):
    scorer = trained_world.scorer
    batch = top_reasons(scorer, sample, top_k=3)
    one = top_reasons(scorer, sample.iloc[[7]], top_k=3)
    expected = batch[batch["row"] == 7].drop(columns="row").reset_index(drop=True)
    pd.testing.assert_frame_equal(one.drop(columns="row"), expected)


def test_wide_reason_columns_for_crm(trained_world, sample):
    scored = scored_with_reasons(trained_world.scorer, sample, top_k=3)
    assert list(scored.columns[:10]) == list(SCORE_COLUMNS)
    assert {"reason_1", "reason_2", "reason_3", "reason_code_1", "reasons_json"} <= set(scored.columns)
    assert scored.index.equals(sample.index)
    first = json.loads(scored["reasons_json"].iloc[0])
    assert len(first) <= 6 and {"code", "text", "points", "log_odds"} == set(first[0])
    strengths = [abs(r["log_odds"]) for r in first]
    assert strengths == sorted(strengths, reverse=True)
    assert scored["reason_1"].iloc[0].endswith(first[0]["text"])
    assert scored["reason_code_1"].iloc[0] == first[0]["code"]


def test_no_reasons_for_no_rows_and_top_k_must_be_positive(trained_world, sample):
    empty = top_reasons(trained_world.scorer, sample.iloc[:0])
    assert empty.empty and "text" in empty.columns
    assert reason_columns(empty, sample.index[:0]).empty
    with pytest.raises(ValueError, match="top_k"):
        top_reasons(trained_world.scorer, sample, top_k=0)


def test_model_reasons_next_to_the_rule_baseline(trained_world, sample):
    rules = RuleScorer(table="fit_and_engagement").fit(sample)
    both = compare_with_rules(trained_world.scorer, rules, sample.iloc[:20])
    assert {"score", "reason_1", "rule_score", "rules_fired"} <= set(both.columns) and len(both) == 20


def test_raising_pricing_visits_keeps_pricing_a_positive_reason_and_never_lowers_the_score(trained_world):
    frame = trained_world.frame
    features = trained_world.features
    pricing = ["pricing_page_view_7d", "pricing_page_view_30d", "pricing_page_view_90d", "pricing_page_view_total"]
    scorer = LeadScorer(time_column="as_of", min_positives=20, monotone_increasing=tuple(pricing))
    scorer.fit(frame[[*features, "as_of"]], frame["converted"])
    leads = frame.sample(300, random_state=1)[features]
    before = scorer.score_frame(leads)
    was_positive = _positive_groups(scorer, leads)
    for extra in (1, 3, 10):
        more = leads.copy()
        more[pricing] = more[pricing] + extra
        after = scorer.score_frame(more)
        assert (after["probability"].to_numpy() >= before["probability"].to_numpy() - 1e-12).all()
        assert (after["score"].to_numpy() >= before["score"].to_numpy()).all()
        now_positive = _positive_groups(scorer, more)
        lost = [i for i in range(len(leads)) if "PRICING_PAGE_VIEW" in was_positive[i]
                and "PRICING_PAGE_VIEW" not in now_positive[i]]  # fmt: skip
        assert not lost, f"pricing dropped from the positive reasons of {len(lost)} leads after +{extra} visits"


def _positive_groups(scorer, X) -> list[set[str]]:
    reasons = top_reasons(scorer, X, top_k=3)
    positive = reasons[reasons["direction"] == "positive"]
    out = [set() for _ in range(len(X))]
    for row, code in zip(positive["row"], positive["code"], strict=True):
        out[row].add(code.removesuffix("_UP"))
    return out


def test_reason_columns_by_hand():
    """Each lead's reasons in its own row, strongest first (ties by code), the text behind its points, every reason
    in the JSON; a lead without reasons gets empty columns and ``[]``; -0.0 and 0.0 points stay as they are."""
    reasons = pd.DataFrame({
        "row": [2, 0, 0, 2, 0],
        "code": ["B_UP", "A_UP", "C_DOWN", "A_DOWN", "B_UP"],
        "text": ['Said "hi"', "Visited pricing", "Unsubscribed", "Small company", "Visited pricing"],
        "points": [-0.0, 12.26, -7.5, 0.0, 3.04],
        "log_odds": [0.2, 0.9, -0.9, -0.2, 0.1],
    })  # fmt: skip
    wide = reason_columns(reasons, pd.Index(["a", "b", "c"]), top_k=2)
    assert wide.loc["a", ["reason_1", "reason_2"]].tolist() == ["+12 pts: Visited pricing", "-8 pts: Unsubscribed"]
    assert wide.loc["a", ["reason_code_1", "reason_code_2"]].tolist() == ["A_UP", "C_DOWN"]
    assert wide.loc["b"].tolist() == ["", "", "", "", "[]"]
    assert wide.loc["c", ["reason_1", "reason_2"]].tolist() == ["+0 pts: Small company", '-0 pts: Said "hi"']
    assert wide.loc["c", "reasons_json"] == (
        '[{"code":"A_DOWN","text":"Small company","points":0.0,"log_odds":-0.2},'
        '{"code":"B_UP","text":"Said \\"hi\\"","points":-0.0,"log_odds":0.2}]'
    )
    assert [r["code"] for r in json.loads(wide.loc["a", "reasons_json"])] == ["A_UP", "C_DOWN", "B_UP"]
    assert (wide.dtypes == "string").all()


def test_forty_leads_read_the_same_alone_or_in_a_batch(trained_world, sample):
    """The batch formats each distinct value once: what every lead reads is what it reads when scored alone."""
    scorer, leads = trained_world.scorer, sample.iloc[:40]
    batch = scored_with_reasons(scorer, leads, top_k=3)
    alone = pd.concat([scored_with_reasons(scorer, leads.iloc[[i]], top_k=3) for i in range(len(leads))])
    pd.testing.assert_frame_equal(batch, alone)
