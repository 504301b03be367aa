"""FeatureBuilder (#24): the point-in-time feature pipeline as a scikit-learn transformer, the same features as the
builders, no later event reaching a row, inside a Pipeline with out-of-time cross-validation.

scikit-learn's ``parametrize_with_checks`` is not run: its checks feed numeric matrices as ``X``, while this
transformer's ``X`` is rows of (lead_id, as_of) looked up in the leads and events it holds; the checks that do
not need such data (construction, parameters, cloning) run below."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from predictive_leads.evaluation.out_of_time_split import OutOfTimeSplit
from predictive_leads.features import (
    FeatureBuilder,
    FeatureConfig,
    build_scoring_frame,
    build_training_set,
    feature_columns,
)
from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.synth import generate_world

DATES = pd.date_range("2025-01-01", "2026-05-01", freq="MS", tz="UTC")
AS_OF = pd.Timestamp("2025-09-01", tz="UTC")


@pytest.fixture(scope="module")
def world():
    return generate_world(n_leads=1500, seed=7)


@pytest.fixture(scope="module")
def train(world):
    return build_training_set(world.leads, world.events, world.conversions, as_of=DATES, horizon_days=90,
                              observed_until=world.observed_until, now=world.observed_until)  # fmt: skip


def _builder(world, events=None, **kw) -> FeatureBuilder:
    events = world.events if events is None else events
    return FeatureBuilder(leads=world.leads, events=events, now=world.observed_until, **kw)


def _equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True)


def test_transform_equals_the_training_set_features_bit_for_bit(world, train):
    builder = _builder(world)
    out = builder.fit_transform(train[["lead_id", "as_of", "converted"]])
    _equal(out, train[feature_columns(train)])
    assert list(builder.get_feature_names_out()) == feature_columns(train)
    _equal(builder.transform(train[["as_of", "lead_id"]].iloc[::-1]), train[feature_columns(train)].iloc[::-1])


def test_a_fixed_as_of_over_the_leads_frame_equals_the_scoring_frame(world):
    scoring = build_scoring_frame(world.leads, world.events, as_of=AS_OF, conversions=world.conversions,
                                  now=world.observed_until)  # fmt: skip
    leads = world.leads[world.leads["lead_id"].isin(scoring["lead_id"])]  # X is the leads frame, one row per lead
    out = _builder(world, as_of=AS_OF, passthrough=("lead_id",)).fit_transform(leads)
    assert out.index.equals(leads.index)
    _equal(out, scoring[["lead_id", *feature_columns(scoring)]])


def test_no_event_at_or_after_a_rows_as_of_changes_its_features(world, train):
    rows = train[train["as_of"].isin([AS_OF, AS_OF + pd.DateOffset(months=1)])][["lead_id", "as_of"]]
    lead = rows["lead_id"].iloc[0]
    late = pd.DataFrame({"lead_id": lead, "ts": [AS_OF, AS_OF + pd.Timedelta(days=3)],
                         "event_type": ["demo_request", "pricing_page_view"], "url": None})  # fmt: skip
    planted = pd.concat([world.events, late], ignore_index=True)
    before = _builder(world).fit_transform(rows)
    after = _builder(world, events=planted).fit_transform(rows)
    same = (rows["as_of"] == AS_OF).to_numpy()
    _equal(after[same], before[same])
    changed = (rows["lead_id"] == lead).to_numpy() & ~same  # the same lead a month later does see them
    assert after.loc[changed, "demo_request_30d"].iloc[0] == before.loc[changed, "demo_request_30d"].iloc[0] + 1


def test_fit_learns_the_vocabulary_from_events_before_its_latest_as_of(world, train):
    last = world.observed_until - pd.Timedelta(days=2)
    new = pd.DataFrame({"lead_id": world.leads["lead_id"].iloc[:30].to_numpy(), "ts": last,
                        "event_type": "podcast_listened", "url": None})  # fmt: skip
    events = pd.concat([world.events, new], ignore_index=True)
    rows = train[train["as_of"] <= AS_OF][["lead_id", "as_of"]]
    builder = _builder(world, events=events, config=FeatureConfig.generic()).fit(rows)
    assert "podcast_listened" not in builder.config_.types and "page_view" in builder.config_.types
    later = train[train["as_of"] == DATES[-1]][["lead_id", "as_of"]]
    assert list(builder.transform(later).columns) == list(builder.get_feature_names_out())
    after = clone(builder).fit(rows.assign(as_of=world.observed_until))  # rows after the new events do learn it
    assert "podcast_listened" in after.config_.types


def test_a_pipeline_with_the_lead_scorer_cross_validates_out_of_time(world, train):
    scorer = LeadScorer(time_column="as_of", n_estimators=40, learning_rate=0.1, min_child_samples=20,
                        min_positives=5, calibration="platt", early_stopping_rounds=0, n_jobs=1)  # fmt: skip
    pipe = Pipeline([("features", _builder(world, passthrough=("as_of",))), ("model", scorer)])
    scores = cross_val_score(pipe, train[["lead_id", "as_of"]], train["converted"], scoring="roc_auc",
                             cv=OutOfTimeSplit(time_column="as_of", n_splits=2, horizon_days=90),
                             error_score="raise")  # fmt: skip
    assert len(scores) == 2 and np.isfinite(scores).all() and (scores > 0.5).all()


def test_clone_params_and_the_callers_frames(world, train):
    rows = train[["lead_id", "as_of"]].iloc[:200]
    copies = {"leads": world.leads.copy(), "events": world.events.copy(), "rows": rows.copy()}
    builder = _builder(world, as_of=None, passthrough=("as_of",))
    assert builder.get_params()["leads"] is world.leads and builder.get_params()["events"] is world.events
    with pytest.raises(NotFittedError):
        builder.transform(rows)
    out = builder.fit(rows).set_output(transform="pandas").transform(rows)
    assert list(out.columns) == list(builder.get_feature_names_out()) and out.index.equals(rows.index)
    twin = clone(builder)
    assert not hasattr(twin, "config_") and twin.get_params().keys() == builder.get_params().keys()
    assert twin.get_params()["now"] == builder.now and twin.get_params()["passthrough"] == ("as_of",)
    _equal(twin.fit_transform(rows), out)
    for name, frame in (("leads", world.leads), ("events", world.events), ("rows", rows)):
        pd.testing.assert_frame_equal(frame, copies[name], check_exact=True)
    for check in (check_no_attributes_set_in_init, check_parameters_default_constructible, check_get_params_invariance,
                  check_set_params):  # fmt: skip
        check("FeatureBuilder", FeatureBuilder())


def test_ambiguous_or_unknown_rows_are_one_line_errors(world, train):
    rows = train[["lead_id", "as_of"]].iloc[:5]
    with pytest.raises(ValueError, match="both a parameter and a column"):
        _builder(world, as_of=AS_OF).fit(rows)
    with pytest.raises(ValueError, match="no as_of column"):
        _builder(world).fit(rows[["lead_id"]])
    with pytest.raises(ValueError, match="not in leads"):
        _builder(world).fit(rows.assign(lead_id="nobody"))
    with pytest.raises(ValueError, match="passthrough"):
        _builder(world, passthrough=("converted",)).fit(rows)
