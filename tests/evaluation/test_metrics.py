"""Measuring scorers: metrics against hand-computed values, tie handling, bootstrap, tables, the metrics dict."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from predictive_leads.evaluation.metrics import (
    band_table,
    bootstrap_ci,
    classification_metrics,
    compare,
    evaluation,
    group_table,
    ranking_metrics,
    reliability,
    segment_table,
    to_jsonable,
    wilson_interval,
)

Y4 = np.array([0, 0, 1, 1])
P4 = np.array([0.1, 0.4, 0.35, 0.8])


def _data(n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(1.5 * z - 2.5)))
    y = (rng.random(n) < p).astype(int)
    return y, p, z, rng


# ------------------------------------------------------------------------------------------ metrics


def test_auc_ks_and_ece_by_hand():
    m = classification_metrics(Y4, P4, n_bins=2)
    assert m["roc_auc"] == pytest.approx(0.75)  # 3 of the 4 (converted, not converted) pairs ordered right
    assert m["ks"] == pytest.approx(0.5)  # at p >= 0.8: TPR 0.5, FPR 0
    # equal-mass bins {0.1, 0.35} and {0.4, 0.8}: 0.5·|0.225 − 0.5| + 0.5·|0.6 − 0.5|
    assert m["ece"] == pytest.approx(0.1875)
    assert m["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert (m["n"], m["positives"], m["base_rate"]) == (4, 2, 0.5)


def test_ties_count_half_in_auc():
    # converted at 1 ties a non-converted at 1 (½), beats the 0 (1); converted at 2 beats both: 3.5 / 4
    assert ranking_metrics([0, 1, 0, 1], [1, 1, 0, 2])["roc_auc"] == pytest.approx(0.875)


def test_ece_keeps_tied_probabilities_in_one_bin_whatever_the_order():
    y, p = np.array([0, 1, 0, 1]), np.array([0.2, 0.2, 0.2, 0.8])
    # the three 0.2s share bin 0 (|0.2 − 1/3| · 3/4), 0.8 is bin 1 (|0.8 − 1| · 1/4)
    assert classification_metrics(y, p, n_bins=2)["ece"] == pytest.approx(0.15)
    order = [3, 1, 0, 2]
    assert classification_metrics(y[order], p[order], n_bins=2)["ece"] == pytest.approx(0.15)
    assert reliability(y, p, n_bins=2)["n"].tolist() == [3, 1]


def test_classification_metrics_agree_with_sklearn():
    y, p, _, _ = _data()
    m = classification_metrics(y, p)
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert m["pr_auc"] == pytest.approx(average_precision_score(y, p))
    assert m["log_loss"] == pytest.approx(log_loss(y, p))
    assert m["brier"] == pytest.approx(brier_score_loss(y, p))
    assert 0 <= m["ece"] <= 1


@pytest.mark.parametrize("y", [[0, 0, 0], [1, 1, 1], [True, True]])
def test_single_class_is_a_clear_error(y):
    with pytest.raises(ValueError, match="needs both converted and not-converted"):
        classification_metrics(y, [0.2] * len(y))


@pytest.mark.parametrize(
    ("y", "p", "message"),
    [([0, 1, 2], [0.1, 0.2, 0.3], "0/1 outcomes"), ([0, 1], [0.1, 1.2], r"in \[0, 1\]"), ([0, 1], [0.1], "has 1"),
     ([0, 1], [0.1, np.nan], "missing"), ([], [], "empty")],
)  # fmt: skip
def test_bad_inputs_are_named(y, p, message):
    with pytest.raises(ValueError, match=message):
        classification_metrics(y, p)


def test_lift_and_capture_by_hand():
    y = [1, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    score = list(range(10, 0, -1))
    r = ranking_metrics(y, score)
    assert r["capture_at_10"] == pytest.approx(1 / 3)  # the top row converts: 1 of 3 conversions
    assert r["lift_at_10"] == pytest.approx(1 / 0.3)
    assert r["capture_at_20"] == pytest.approx(2 / 3)
    assert r["lift_at_20"] == pytest.approx((2 / 2) / 0.3)


def test_ties_at_the_cut_share_the_group_rate_independent_of_row_order():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    score = np.array([5, 5, 5, 5, 1, 1, 1, 1, 1, 1])  # four tied at the top, half of them convert
    r = ranking_metrics(y, score)
    assert r["capture_at_10"] == pytest.approx(0.5 / 3)  # one slot filled at the tied group's rate ½
    assert r["lift_at_10"] == pytest.approx(0.5 / 0.3)
    assert r["capture_at_20"] == pytest.approx(1 / 3)
    rng = np.random.default_rng(3)
    for _ in range(5):
        order = rng.permutation(10)
        again = ranking_metrics(y[order], score[order])
        assert {k: again[k] for k in r if k != "thresholds"} == pytest.approx({k: r[k] for k in r if k != "thresholds"})


def test_a_constant_score_has_no_lift():
    y, _, _, _ = _data(300)
    r = ranking_metrics(y, np.full(y.size, 7))
    assert r["roc_auc"] == pytest.approx(0.5)
    assert r["ks"] == 0
    assert r["lift_at_10"] == pytest.approx(1)
    assert r["capture_at_20"] == pytest.approx(0.2)


def test_precision_and_recall_at_thresholds():
    y = [1, 0, 1, 0, 0]
    score = [90, 85, 60, 55, 10]
    rows = ranking_metrics(y, score, thresholds={"SQL": 80, "MQL": 50, "none": 95})["thresholds"]
    sql, mql, none = rows
    assert (sql["label"], sql["flagged"], sql["precision"], sql["recall"]) == ("SQL", 2, 0.5, 0.5)
    assert (mql["flagged"], mql["precision"], mql["recall"]) == (4, 0.5, 1.0)
    assert mql["lift"] == pytest.approx(0.5 / 0.4)
    assert none["flagged"] == 0 and none["precision"] is None and none["recall"] == 0
    assert ranking_metrics(y, score, thresholds=[50])["thresholds"][0]["label"] == ">= 50"


def test_wilson_interval_by_hand():
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


# ------------------------------------------------------------------------------------------ bootstrap


def test_bootstrap_is_deterministic_and_contains_the_estimate():
    y, p, _, _ = _data()
    first = bootstrap_ci(roc_auc_score, y, p, n_boot=100, seed=7)
    assert first == bootstrap_ci(roc_auc_score, y, p, n_boot=100, seed=7)
    assert first != bootstrap_ci(roc_auc_score, y, p, n_boot=100, seed=8)
    estimate, low, high = first
    assert estimate == pytest.approx(roc_auc_score(y, p))
    assert low < estimate < high


def test_plain_bootstrap_skips_single_class_resamples():
    y = np.zeros(12, dtype=int)
    y[0] = 1  # most plain resamples of 12 rows miss the single conversion
    p = np.linspace(0.9, 0.1, 12)
    estimate, low, high = bootstrap_ci(roc_auc_score, y, p, n_boot=50, seed=0, stratify=False)
    assert estimate == 1.0 and low == high == 1.0


def test_compare_matches_bootstrap_ci_and_pairs_the_difference():
    y, p, z, rng = _data()
    rule = np.round(z * 2 + rng.normal(size=y.size) * 3)  # a worse, heavily tied points score
    table = compare(y, {"model": p, "rule": rule, "same": p}, n_boot=60, seed=4)
    assert table["scorer"].tolist() == ["model", "rule", "same"]
    model, rule_row, same = (table.iloc[i] for i in range(3))
    _, low, high = bootstrap_ci(roc_auc_score, y, p, n_boot=60, seed=4)
    assert (model["roc_auc_low"], model["roc_auc_high"]) == pytest.approx((low, high))
    assert rule_row["auc_diff"] == pytest.approx(model["roc_auc"] - rule_row["roc_auc"])
    assert rule_row["auc_diff_low"] > 0 and rule_row["share_first_better"] == 1.0
    assert (same["auc_diff"], same["auc_diff_low"], same["auc_diff_high"], same["share_first_better"]) == (0, 0, 0, 0)
    assert model["share_first_better"] is None or math.isnan(model["share_first_better"])
    for m in ("roc_auc", "pr_auc", "ks", "lift_at_10", "capture_at_10", "capture_at_20"):
        assert (table[f"{m}_low"] <= table[m] + 1e-12).all() and (table[m] <= table[f"{m}_high"] + 1e-12).all()
    assert table.equals(compare(y, {"model": p, "rule": rule, "same": p}, n_boot=60, seed=4))


# ------------------------------------------------------------------------------------------ tables


def test_band_table_counts():
    y = [0, 1, 0, 1, 1, 0]
    score = [1, 20, 21, 55, 100, 81]
    p = [0.1, 0.2, 0.3, 0.5, 0.9, 0.8]
    t = band_table(y, p, score)
    assert t["band"].tolist() == ["1–20", "21–40", "41–60", "61–80", "81–100"]
    assert t["n"].tolist() == [2, 1, 1, 0, 2]
    assert t["conversions"].tolist() == [1, 0, 1, 0, 1]
    assert t["conversion_rate"].iloc[0] == 0.5 and math.isnan(t["conversion_rate"].iloc[3])
    assert t["mean_p"].iloc[4] == pytest.approx(0.85)
    assert (t["ci_low"].iloc[0], t["ci_high"].iloc[0]) == pytest.approx(wilson_interval(1, 2))
    with pytest.raises(ValueError, match="fall in no band"):
        band_table(y, p, [0, 20, 21, 55, 100, 81])


def test_group_table_orders_grades_and_keeps_missing():
    y = [1, 0, 0, 1, 0]
    p = [0.6, 0.3, 0.1, 0.5, 0.2]
    t = group_table(y, p, ["A", "B", "D", "A", None])
    assert t["group"].tolist() == ["A", "B", "D", "(missing)"]
    assert t["n"].tolist() == [2, 1, 1, 1] and t["conversions"].tolist() == [2, 0, 0, 0]
    ordered = group_table(y, p, pd.Categorical(["A", "B", "D", "A", "B"], categories=["D", "B", "A"]))
    assert ordered["group"].tolist() == ["D", "B", "A"]


def test_segment_table_pools_small_values_and_handles_one_class():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 1, 0, 0])
    p = np.linspace(0.9, 0.05, 10)
    seg = pd.DataFrame({"region": ["emea"] * 4 + ["na"] * 4 + ["apac", None], "flag": [True] * 5 + [False] * 5})
    t = segment_table(y, p, seg, min_n=3)
    region = t[t["segment"] == "region"]
    assert region["value"].tolist() == ["emea", "na", "(other)"]
    assert region["n"].sum() == 10 and t[t["segment"] == "flag"]["n"].sum() == 10
    other = region[region["value"] == "(other)"].iloc[0]
    assert other["n"] == 2 and math.isnan(other["roc_auc"])  # neither pooled lead converts
    emea = region[region["value"] == "emea"].iloc[0]
    assert emea["roc_auc"] == pytest.approx(roc_auc_score(y[:4], p[:4]))


def test_reliability_bins_cover_every_row():
    y, p, _, _ = _data()
    r = reliability(y, p, n_bins=10)
    assert len(r) == 10 and r["n"].sum() == y.size and set(r["n"]) == {60}
    assert r["mean_predicted"].is_monotonic_increasing
    assert ((r["ci_low"] <= r["observed_rate"]) & (r["observed_rate"] <= r["ci_high"])).all()


# ------------------------------------------------------------------------------------------ everything


@pytest.fixture(scope="module")
def full():
    y, p, z, rng = _data(800, seed=5)
    score = np.clip(np.ceil(p * 100), 1, 100)
    grade = np.select([score > 60, score > 30, score > 10], ["A", "B", "C"], "D")
    rules = {
        "behavioural": rng.integers(0, 5, y.size) * 20,
        "learned_scorecard": np.round(z * 10 + 50 + rng.normal(size=y.size) * 8),
    }
    segments = pd.DataFrame({"region": rng.choice(["emea", "na", None], y.size), "tiny": ["x"] * (y.size - 1) + ["y"]})
    kwargs = dict(score=score, grade=grade, rule_scores=rules, segments=segments, n_boot=40, seed=1,
                  thresholds={"model": {"p >= 0.3": 0.3}, "behavioural": {"MQL": 50, "SQL": 80}})  # fmt: skip
    return y, p, kwargs


def test_evaluation_is_plain_json_without_nan(full):
    y, p, kwargs = full
    ev = evaluation(y, p, **kwargs)
    text = json.dumps(ev, allow_nan=False)
    assert json.loads(text) == ev
    assert {"classification", "ranking", "comparison", "headline", "reliability", "bands", "grades", "segments"} <= set(
        ev
    )
    assert [r["scorer"] for r in ev["comparison"]] == ["model", "behavioural", "learned_scorecard"]
    assert set(ev["ranking"]) == {"model", "model_score", "behavioural", "learned_scorecard"}
    assert [t["label"] for t in ev["ranking"]["behavioural"]["thresholds"]] == ["MQL", "SQL"]
    assert ev["headline"]["best_rule"]["name"] == "learned_scorecard"
    assert ev["headline"]["auc_diff"]["estimate"] == pytest.approx(
        ev["comparison"][0]["roc_auc"] - ev["comparison"][2]["roc_auc"]
    )
    assert ev["comparison"][0]["share_first_better"] is None
    assert sum(b["n"] for b in ev["bands"]) == len(y)
    assert ev == evaluation(y, p, **kwargs)


def test_evaluation_with_the_model_alone(full):
    y, p, _ = full
    ev = evaluation(y, p, n_boot=10)
    json.dumps(ev, allow_nan=False)
    assert ev["headline"]["best_rule"] is None and "bands" not in ev and len(ev["comparison"]) == 1


def test_evaluation_refuses_ambiguous_names(full):
    y, p, _ = full
    with pytest.raises(ValueError, match="reserved"):
        evaluation(y, p, rule_scores={"model": p}, n_boot=5)
    with pytest.raises(ValueError, match="unknown scorers"):
        evaluation(y, p, thresholds={"behavioral": [50]}, n_boot=5)


def test_to_jsonable_cleans_numpy_and_nan():
    out = to_jsonable({"a": np.float32(0.5), "b": np.nan, 1: (np.int64(3), np.bool_(True)), "c": pd.NA})
    assert out == {"a": 0.5, "b": None, "1": [3, True], "c": None}
    json.dumps(out, allow_nan=False)


def test_the_wilson_interval_always_contains_the_observed_rate():
    from predictive_leads.evaluation.metrics import wilson_interval

    for n in range(1, 200):
        for k in (0, 1, n // 2, n - 1, n):
            low, high = wilson_interval(k, n)
            assert 0.0 <= low <= k / n <= high <= 1.0, (k, n, low, high)  # n=3, k=0 gave low = 5.5e-17 > 0


def test_fit_engagement_matrix_counts_leads_and_conversion_per_grade_pair():
    from predictive_leads.evaluation.metrics import fit_engagement_matrix

    fit = pd.array(["A", "A", "A", "D", pd.NA], dtype="string")
    got = fit_engagement_matrix([1, 0, 1, 0, 0], fit, ["B", "B", "C", "C", "B"])
    assert got.columns.tolist() == ["fit grade", "engagement B", "engagement C"]
    rows = got.set_index("fit grade")
    assert rows.loc["A", "engagement B"] == "2 · 50.0%" and rows.loc["A", "engagement C"] == "1 · 100.0%"
    assert rows.loc["D", "engagement B"] == "" and rows.loc["—", "engagement B"] == "1 · 0.0%"
