"""TreeShap: exact TreeSHAP by table lookup equals LightGBM's pred_contrib (and shap) on every input it may see."""

from __future__ import annotations

import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from predictive_leads.models.tree_contributions import TreeShap

EXACT = 1e-9
SMALL_CATS = ["a", "b", "c"]
BIG_CATS = [f"k{i}" for i in range(25)]


def _frame(n: int, rng: np.random.Generator) -> pd.DataFrame:
    def with_nan(values, share=0.15):
        return np.where(rng.random(n) < share, None, values)

    return pd.DataFrame(
        {
            "x_nan": np.where(rng.random(n) < 0.15, np.nan, rng.normal(size=n)),
            "x_zeros": np.where(rng.random(n) < 0.6, 0.0, rng.exponential(2.0, n) - 0.5),
            "x_mono": rng.poisson(2.0, n).astype(float),
            "c_small": pd.Categorical(with_nan(rng.choice(SMALL_CATS, n)), categories=SMALL_CATS),
            "c_big": pd.Categorical(with_nan(rng.choice(BIG_CATS, n)), categories=BIG_CATS),
        }
    )


def _target(X: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    big = X["c_big"].cat.codes.to_numpy()
    margin = (
        np.where(X["x_nan"].isna(), 1.0, X["x_nan"])
        + np.where(X["x_zeros"] == 0, -0.8, 0.3 * X["x_zeros"])
        + 0.4 * X["x_mono"]
        + np.where(big < 0, 0.7, np.where(big % 3 == 0, 1.0, -0.5))
        + 0.6 * (X["c_small"] == "b")
        - 2.0
    )
    return (rng.random(len(X)) < 1 / (1 + np.exp(-margin))).astype(int)


def _train(zero_as_missing: bool = False, num_leaves: int = 4, rounds: int = 60) -> tuple[lgb.Booster, pd.DataFrame]:
    rng = np.random.default_rng(0)
    X = _frame(4000, rng)
    params = {
        "objective": "binary", "num_leaves": num_leaves, "max_depth": 2 if num_leaves == 4 else -1,
        "learning_rate": 0.2, "min_data_in_leaf": 20, "min_data_per_group": 10, "cat_smooth": 1.0,
        "max_cat_to_onehot": 4, "monotone_constraints": [0, 0, 1, 0, 0], "zero_as_missing": zero_as_missing,
        "bagging_fraction": 0.8, "bagging_freq": 1, "num_threads": 1, "deterministic": True, "verbosity": -1,
    }  # fmt: skip
    return lgb.train(params, lgb.Dataset(X, _target(X, rng)), num_boost_round=rounds), X


def _nodes(booster: lgb.Booster) -> list[dict]:
    out, stack = [], [t["tree_structure"] for t in booster.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_index" in node:
            out.append(node)
            stack += [node["left_child"], node["right_child"]]
    return out


def _scoring_frame(booster: lgb.Booster, X: pd.DataFrame) -> pd.DataFrame:
    """Fresh rows plus edge cases: values exactly at thresholds, zeros, tiny values, NaN."""
    rng = np.random.default_rng(1)
    fresh = _frame(1500, rng)
    names = list(X.columns)
    edge = pd.DataFrame({c: X[c].iloc[:0] for c in names})
    rows = []
    for node in _nodes(booster):
        if node["decision_type"] == "<=":
            for value in (node["threshold"], 0.0, 1e-40, -1e-40, np.nan):
                row = X.iloc[len(rows) % len(X)].to_dict()
                row[names[node["split_feature"]]] = value
                rows.append(row)
    edge = pd.concat([edge, pd.DataFrame(rows)], ignore_index=True)
    for c in ("c_small", "c_big"):
        edge[c] = pd.Categorical(edge[c], categories=X[c].cat.categories)
    return pd.concat([fresh, edge], ignore_index=True)


def _check(ts: TreeShap, booster: lgb.Booster, data) -> np.ndarray:
    phi = ts.contributions(data)
    expected = booster.predict(data, pred_contrib=True)
    assert phi.shape == expected.shape
    assert np.abs(phi - expected).max() <= EXACT
    assert np.abs(phi.sum(axis=1) - booster.predict(data, raw_score=True)).max() <= 1e-6
    leaves, lgb_leaves = ts.leaves(data), booster.predict(data, pred_leaf=True)
    tabulated = leaves >= 0
    assert tabulated.any()
    np.testing.assert_array_equal(leaves[tabulated], lgb_leaves[tabulated])
    return phi


@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_equals_pred_contrib_on_numeric_categorical_and_missing_values(zero_as_missing):
    booster, X = _train(zero_as_missing)
    nodes = _nodes(booster)
    numeric = [n for n in nodes if n["decision_type"] == "<="]
    # the model exercises what matters: categorical splits, missing handling in both directions
    assert any(n["decision_type"] == "==" for n in nodes)
    assert {n["missing_type"] for n in numeric} >= ({"Zero"} if zero_as_missing else {"NaN", "None"})
    assert {n["default_left"] for n in numeric if n["missing_type"] != "None"} == {True, False}
    ts = TreeShap.from_booster(booster)
    assert len(ts.fallback_runs) == 0
    frame = _scoring_frame(booster, X)
    _check(ts, booster, frame)
    # a category never seen in training reads as missing; categories in another order are remapped, as LightGBM does
    unseen = frame.iloc[:50].assign(c_big=pd.Categorical(np.where(np.arange(50) % 2, "new", "k3"), [*BIG_CATS, "new"]))
    _check(ts, booster, unseen)
    shuffled = frame.assign(c_big=frame["c_big"].cat.reorder_categories(BIG_CATS[::-1]))
    np.testing.assert_allclose(ts.contributions(shuffled), ts.contributions(frame), rtol=0, atol=0)


def test_float_array_of_codes_including_odd_codes():
    booster, X = _train()
    ts = TreeShap.from_booster(booster)
    frame = _scoring_frame(booster, X)
    codes = np.column_stack(
        [frame[c].cat.codes.replace(-1, np.nan) if c.startswith("c_") else frame[c] for c in frame]
    ).astype(float)
    odd = np.array([-2.0, -0.5, 0.7, 2.9, 24.0, 99.0, 1e6])  # int() truncates; negative go right, too large miss
    codes[: len(odd), 3] = codes[: len(odd), 4] = odd
    _check(ts, booster, codes)


def test_trees_too_big_fall_back_to_lightgbm():
    booster, X = _train()
    frame = _scoring_frame(booster, X)
    mixed = TreeShap.from_booster(booster, max_nodes=2)  # 3-node trees fall back, 1-2-node trees are tabulated
    assert 0 < mixed.fallback_runs[:, 1].sum() < booster.num_trees()
    assert len(mixed.tree_index) > 0
    _check(mixed, booster, frame)
    big, X = _train(num_leaves=31, rounds=15)
    ts = TreeShap.from_booster(big)
    assert ts.fallback_runs[:, 1].sum() > 0
    phi = ts.contributions(frame)
    assert np.abs(phi - big.predict(frame, pred_contrib=True)).max() <= EXACT
    assert np.abs(phi.sum(axis=1) - big.predict(frame, raw_score=True)).max() <= 1e-6


def test_lead_scorer_on_a_generated_world_equals_lightgbm_and_shap():
    import shap

    from predictive_leads.features import build_training_set, feature_columns
    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.synth import generate_world

    world = generate_world(n_leads=3000, seed=1)
    data = build_training_set(world.leads, world.events, world.conversions,
                              as_of=pd.date_range("2025-06-01", "2026-03-01", freq="MS", tz="UTC"),
                              observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    features = feature_columns(data)
    scorer = LeadScorer(time_column="as_of", min_positives=20).fit(data[[*features, "as_of"]], data["converted"])
    encoded = scorer.encode(data[features].iloc[::2])
    assert sum(isinstance(dtype, pd.CategoricalDtype) for dtype in encoded.dtypes) > 0
    booster = scorer.booster_
    ts = TreeShap.from_booster(booster)
    assert len(ts.fallback_runs) == 0
    phi = _check(ts, booster, encoded)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shap's note on the LightGBM binary output format
        booster.params.setdefault("objective", "binary")  # LightGBM < 4.7 does not restore it; shap reads it
        explainer = shap.TreeExplainer(booster)
        values = np.asarray(explainer.shap_values(encoded))
    assert np.abs(phi[:, :-1] - values).max() <= EXACT
    assert abs(phi[0, -1] - float(np.ravel(explainer.expected_value)[-1])) <= EXACT


def test_empty_and_chunked_inputs():
    booster, X = _train()
    ts = TreeShap.from_booster(booster)
    frame = _scoring_frame(booster, X)
    assert ts.contributions(frame.iloc[:0]).shape == (0, X.shape[1] + 1)
    np.testing.assert_allclose(ts.contributions(frame, chunk_rows=7), ts.contributions(frame), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="features"):
        ts.contributions(np.zeros((3, 4)))
