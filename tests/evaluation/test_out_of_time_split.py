"""OutOfTimeSplit (#24): scikit-learn's cross-validation, out of time with the label-horizon gap, for the rule
scorers and the model alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score

from predictive_leads.evaluation.out_of_time_split import OutOfTimeSplit
from predictive_leads.models.learned_scorecard import LearnedScorecard
from predictive_leads.models.rules import RuleScorer


@pytest.fixture(scope="module")
def data(trained_world):
    frame = trained_world.frame
    return frame[[*trained_world.features, "as_of"]], frame["converted"]


def test_each_fold_trains_only_on_rows_whose_horizon_ended_before_its_test_window(data):
    X, _y = data
    cv = OutOfTimeSplit(time_column="as_of", n_splits=3, horizon_days=90)
    folds = list(cv.split(X))
    assert len(folds) == cv.get_n_splits() == 3
    starts = []
    for train, test in folds:
        train_times, test_times = X["as_of"].iloc[train], X["as_of"].iloc[test]
        assert (train_times + pd.Timedelta(days=90) < test_times.min()).all()
        starts.append(test_times.min())
    assert starts == sorted(starts) and len(set(starts)) == 3
    assert sum(len(test) for _, test in folds) < len(X), "the first window only trains"


def test_cross_val_score_with_roc_auc_is_finite_for_the_rule_scorers(data):
    X, y = data
    cv = OutOfTimeSplit(time_column="as_of", n_splits=3, horizon_days=90)
    rules = cross_val_score(RuleScorer(table="fit_and_engagement"), X, y, scoring="roc_auc", cv=cv)
    card = cross_val_score(LearnedScorecard(max_attributes=8), X.drop(columns="as_of"), y, scoring="roc_auc",
                           cv=list(cv.split(X)))  # fmt: skip
    assert np.isfinite(rules).all() and np.isfinite(card).all() and (rules > 0.55).all()


def test_grid_search_picks_a_rule_table_out_of_time(data):
    X, y = data
    search = GridSearchCV(RuleScorer(), {"table": ["engagement", "fit_and_engagement"]}, scoring="roc_auc",
                          cv=OutOfTimeSplit(time_column="as_of", n_splits=2, horizon_days=90))  # fmt: skip
    search.fit(X, y)
    assert search.best_params_["table"] in ("engagement", "fit_and_engagement") and np.isfinite(search.best_score_)


def test_the_rule_scorers_speak_scikit_learn(data):
    X, _y = data
    for method in ("predict_score", "predict_proba", "decision_function", "predict", "fired_rules"):
        with pytest.raises(NotFittedError):
            getattr(RuleScorer(), method)(X)
    with pytest.raises(NotFittedError):
        LearnedScorecard().predict_proba(X)
    rules = RuleScorer(table="fit_and_engagement").fit(X)
    assert rules.n_features_in_ == X.shape[1] and list(rules.feature_names_in_) == list(X.columns)
    proba = rules.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1) and ((proba >= 0) & (proba <= 1)).all()
    assert (np.argsort(rules.decision_function(X), kind="stable") == np.argsort(proba[:, 1], kind="stable")).all()
    assert set(np.unique(rules.predict(X))) <= {0, 1} and not hasattr(rules, "score")


def test_too_few_dates_or_no_time_column_is_one_line(data):
    X, _y = data
    with pytest.raises(ValueError, match="too few for 3 out-of-time folds"):
        list(OutOfTimeSplit(n_splits=3).split(X[X["as_of"] == X["as_of"].max()]))
    with pytest.raises(ValueError, match="needs a DataFrame with the time column 'created'"):
        list(OutOfTimeSplit(time_column="created").split(X))
