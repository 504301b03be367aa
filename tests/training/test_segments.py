"""Segment models: trained on their share of the pooled split, judged against the pooled model with paired
intervals on the same test rows, kept only where they win — and no gain claimed on a world with one profile."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from predictive_leads.evaluation.metrics import compare
from predictive_leads.features import build_training_set
from predictive_leads.models.segment_models import SEGMENTS_FILE, load_segment_models
from predictive_leads.synth import generate_world
from predictive_leads.training.segments import ALL, OWN, POOLED, train_segments
from predictive_leads.training.workflow import train_model

AS_OF = pd.date_range("2025-03-01", "2026-03-01", freq="MS", tz="UTC")


@pytest.fixture(scope="module")
def small():
    """A 4,000-lead world of two product lines, its training set and the pooled model (fast, no report)."""
    world = generate_world(n_leads=4000, seed=3, product_lines=2)
    leads = world.leads
    frame = build_training_set(leads, world.events, world.conversions, as_of=AS_OF,
                               observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    frame["product_line"] = leads.set_index("lead_id")["product_line"].reindex(frame["lead_id"]).to_numpy()
    pooled = train_model(frame, n_boot=20, report=False, learned_scorecard=False, rules=(), force=True)
    return frame, pooled


def test_a_segment_model_trains_on_its_share_of_the_pooled_split_and_is_measured_on_the_same_test_rows(small):
    frame, pooled = small
    before = frame.copy()
    result = train_segments(frame, "product_line", pooled=pooled, n_boot=30, force=True)
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is not touched
    table = result.comparison.set_index("segment")
    line = frame["product_line"].to_numpy()
    y = frame["converted"].to_numpy()
    train, test = pooled.split_rows["train"], pooled.split_rows["test"]
    for value in ("Platform", "Starter"):
        row = table.loc[value]
        assert row["train_rows"] == (line[train] == value).sum()
        assert row["test_rows"] == (line[test] == value).sum()
        assert row["test_positives"] == y[test][line[test] == value].sum()
    assert table.loc[ALL, "test_rows"] == len(test)
    # a segment model trained here is measured on exactly its segment's pooled test rows: recompute the gain
    trained = train_model(frame[line == "Platform"].reset_index(drop=True), n_boot=30, report=False, rules=(),
                          learned_scorecard=False, force=True, drop=(*pooled.dropped, "product_line"),
                          split=_platform_split(line, train, test, pooled), price_audit_drops=0)  # fmt: skip
    rows = test[line[test] == "Platform"]
    own = trained.model.predict_proba(frame.iloc[rows])[:, 1]
    base = pooled.model.predict_proba(frame.iloc[rows])[:, 1]
    gain = compare(y[rows], {OWN: own, POOLED: base}, n_boot=30).set_index("scorer").loc[POOLED]
    assert table.loc["Platform", "auc_gain"] == pytest.approx(gain["auc_diff"], abs=1e-12)
    assert table.loc["Platform", "gain_low"] == pytest.approx(gain["auc_diff_low"], abs=1e-12)
    assert "product_line" not in trained.model.feature_names_in_
    assert set(trained.model.feature_names_in_) <= set(pooled.model.feature_names_in_)
    assert set(result.models) == set(table.index[table["uses"] == OWN])


def _platform_split(line, train, test, pooled):
    positions = pd.Index(np.flatnonzero(line == "Platform"))
    own = [positions.get_indexer(part[line[part] == "Platform"]) for part in (train, test)]
    return (*own, pooled.meta["split"])


def test_a_segment_too_small_for_the_ladder_stays_with_the_pooled_model_and_says_why(small):
    frame, pooled = small
    tiny = frame.assign(product_line=np.where(np.arange(len(frame)) % 50 == 0, "Tiny", "Rest"))
    result = train_segments(tiny, "product_line", pooled=pooled, n_boot=20)
    row = result.comparison.set_index("segment").loc["Tiny"]
    assert row["uses"] == POOLED and row["level"] == "refuse"
    assert row["why"].startswith("too little data for a model of its own: only ")
    assert "Tiny" not in result.models


@pytest.mark.parametrize(("column", "message"), [
    ("nope", "no column 'nope'"),
    ("industry", "25 values; segment models take at most 20"),
    ("employees", "'employees' is not a categorical feature of the pooled model"),
    ("lead_id", "'lead_id' is not a categorical feature of the pooled model"),
    ("product_line", "segments need at least two"),
])  # fmt: skip
def test_a_column_that_cannot_segment_is_refused_in_one_line(small, column, message):
    frame, pooled = small
    if column == "product_line":
        frame = frame.assign(product_line="Platform")
    if column == "industry":
        frame = frame.assign(industry=[f"industry {i % 25}" for i in range(len(frame))])
    with pytest.raises(ValueError, match=message):
        train_segments(frame, column, pooled=pooled)


def test_a_kept_segment_model_speaks_the_pooled_models_scale(small):
    frame, pooled = small
    result = train_segments(frame, "product_line", pooled=pooled, n_boot=20, force=True)
    scorers = result.scorers()
    assert scorers.models, "the 4k world keeps a segment model when forced"
    rows = frame.iloc[pooled.split_rows["test"]]
    scored = scorers.score_frame(rows, subscores=False)
    np.testing.assert_array_equal(scored["score"], pooled.model.score_map_.score(scored["probability"].to_numpy()))
    cutoffs = pooled.model.thresholds_.cutoffs
    for model in scorers.models.values():
        assert model.thresholds_.cutoffs == cutoffs


@pytest.mark.slow
def test_on_two_product_lines_a_segment_model_wins_with_an_interval_above_zero_and_the_report_says_where_not(
    product_line_worlds,
):
    world = product_line_worlds["differ"]
    table = world.run.segments.comparison.set_index("segment")
    wins = table[table["uses"] == OWN]
    assert list(wins.index) == ["Platform"] and (wins["gain_low"] > 0).all()  # seed 42: the measured outcome
    assert set(world.run.segments.models) == set(wins.index)
    others = table.drop(index=[ALL, *wins.index])
    assert (others["uses"] == POOLED).all() and (others["gain_low"] <= 0).all()
    report = (world.model_dir / "report.html").read_text()
    assert "Segment models by product_line against the pooled model" in report
    for value, row in table.drop(index=ALL).iterrows():
        assert value in report and row["why"] in report
    manifest = json.loads((world.model_dir / SEGMENTS_FILE).read_text())
    assert manifest["column"] == "product_line" and list(manifest["models"]) == list(wins.index)
    assert manifest["recommendation"] == world.run.segments.recommendation
    assert any(line.startswith("own models for product_line = ") for line in world.run.lines)


@pytest.mark.slow
def test_on_one_profile_no_segment_model_is_kept_and_the_pooled_model_is_recommended(product_line_worlds):
    world = product_line_worlds["same"]
    table = world.run.segments.comparison.set_index("segment")
    assert table.loc[ALL, "auc_gain"] == 0  # the set as saved is the pooled model
    table = table.drop(index=ALL)
    assert (table["uses"] == POOLED).all() and (table["gain_low"] <= 0).all()
    assert world.run.segments.models == {}
    assert world.run.lines[-1] == "no segment model beats the pooled model with an interval above zero: use the " \
                                  "pooled model"  # fmt: skip
    assert load_segment_models(world.model_dir, pooled=None) is None  # scoring uses the pooled model alone
