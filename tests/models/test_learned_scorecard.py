"""The learned scorecard: a points table from data that the rule engine runs, better than the hand presets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from predictive_leads.features import build_training_set, feature_columns
from predictive_leads.models.learned_scorecard import LearnedScorecard
from predictive_leads.models.rules import PointsTable, RuleScorer, preset_names
from predictive_leads.synth import generate_world


def _training_set(n_leads: int, seed: int) -> pd.DataFrame:
    world = generate_world(n_leads=n_leads, seed=seed)
    dates = pd.date_range("2025-03-01", "2026-06-01", freq="MS", tz="UTC")
    return build_training_set(world.leads, world.events, world.conversions, as_of=dates,
                              observed_until=world.observed_until, now=world.observed_until)  # fmt: skip


@pytest.fixture(scope="module")
def small():
    data = _training_set(4000, 2)
    return data[feature_columns(data)], data["converted"].to_numpy()


def test_exported_yaml_reloads_to_identical_scores(small, tmp_path):
    X, y = small
    card = LearnedScorecard(max_attributes=8).fit(X, y)
    path = tmp_path / "learned.yaml"
    path.write_text(card.table_.to_yaml(), encoding="utf-8")
    reloaded = RuleScorer(table=str(path)).fit(X)
    assert (reloaded.predict_score(X) == card.predict_score(X)).all()
    assert PointsTable.from_yaml(path) == card.table_
    assert 1 <= len({r.group for r in card.table_.rules}) <= 8
    # every lead falls in exactly one bin of each attribute
    fired, _ = card.table_.points(X)
    groups = np.array([r.group for r in card.table_.rules])
    for g in set(groups):
        assert (fired[:, groups == g].sum(axis=1) == 1).all(), g


def test_unseen_category_earns_no_points_for_that_attribute(small):
    X, y = small
    card = LearnedScorecard(max_attributes=12).fit(X, y)
    cats = [r.group for r in card.table_.rules if r.when[0].op == "in"]
    if not cats:
        pytest.skip("no categorical attribute selected on this data")
    col = cats[0]
    row = X.iloc[[0]].copy()
    if isinstance(row[col].dtype, pd.CategoricalDtype):
        row[col] = row[col].cat.add_categories(["never seen"])
    row.loc[row.index[0], col] = "never seen"
    fired, _ = card.table_.points(row)
    groups = np.array([r.group for r in card.table_.rules])
    assert fired[0, groups == col].sum() == 0


def test_single_class_target_is_a_clear_error(small):
    X, _ = small
    with pytest.raises(ValueError, match="needs both converted and not-converted leads"):
        LearnedScorecard().fit(X, np.zeros(len(X)))


@pytest.mark.slow
def test_learned_scorecard_beats_every_preset_out_of_time():
    data = _training_set(20_000, 1)
    X = feature_columns(data)
    train = data[data["as_of"] < "2025-12-01"]
    test = data[data["as_of"] >= "2026-03-01"]  # gap longer than the horizon: no label overlap
    auc = {}
    for name in preset_names():
        scores = RuleScorer(table=name).fit(train[X]).predict_score(test[X])
        auc[name] = roc_auc_score(test["converted"], scores)
    card = LearnedScorecard().fit(train[X], train["converted"])
    learned = roc_auc_score(test["converted"], card.predict_score(test[X]))
    assert all(v > 0.55 for v in auc.values()), auc
    assert learned > max(auc.values()), (learned, auc)
