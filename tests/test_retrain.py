"""Guarded retraining: after drift the challenger beats the stale champion and is promoted; decisions recorded."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from predictive_leads.cli import app
from predictive_leads.promotion import Gate, judge
from predictive_leads.retrain import retrain
from predictive_leads.spine import mature_snapshot_dates

runner = CliRunner()


def test_retraining_uses_only_snapshots_whose_labels_have_matured():
    dates = mature_snapshot_dates(pd.Timestamp("2026-08-15", tz="UTC"), 90, 6)
    assert dates[-1] == pd.Timestamp("2026-05-01", tz="UTC") and len(dates) == 6
    assert (dates + pd.Timedelta(days=90) <= pd.Timestamp("2026-08-15", tz="UTC")).all()


def test_too_few_conversions_to_judge_is_a_refusal_with_the_reason(trained_world):
    frame = trained_world.frame
    later = frame[frame["as_of"] >= trained_world.train_before].iloc[:300]
    decision = judge(trained_world.scorer, trained_world.scorer, later, gate=Gate(min_positives=10_000))
    assert not decision.promoted and "too few to judge" in decision.reason


def test_retrain_command_on_model_directories_records_its_decision(trained_world, tmp_path):
    from predictive_leads.io import write_world

    folder = write_world(trained_world.world, tmp_path / "world")
    out = tmp_path / "challenger"
    result = runner.invoke(app, ["retrain", "--data", str(folder), "--as-of", "2026-09-01", "--model",
                                 str(trained_world.model_dir), "--out", str(out), "--months", "10",
                                 "--n-boot", "20"])  # fmt: skip
    decision = json.loads((out / "promotion.json").read_text())
    assert result.exit_code == (0 if decision["promoted"] else 3), result.output
    assert decision["champion"]["roc_auc"] > 0 and decision["challenger"]["roc_auc"] > 0 and decision["reason"]
    assert (out / "model.txt").exists() and (out / "report.html").exists()


@pytest.mark.slow
def test_after_drift_the_retrained_challenger_beats_the_stale_champion_and_is_promoted():
    from predictive_leads.features import build_training_set, feature_columns
    from predictive_leads.model import LeadScorer
    from predictive_leads.synth import generate_world

    world = generate_world(n_leads=8000, seed=3, drift=True)  # the market changes on 2025-12-19
    kwargs = dict(observed_until=world.observed_until, now=world.observed_until)
    before = pd.date_range("2025-01-01", "2025-08-01", freq="MS", tz="UTC")
    old = build_training_set(world.leads, world.events, world.conversions, as_of=before, **kwargs)
    champion = LeadScorer(time_column="as_of", min_positives=20).fit(old[[*feature_columns(old), "as_of"]],
                                                                     old["converted"])  # fmt: skip
    when = pd.Timestamp("2026-09-01", tz="UTC")
    new = build_training_set(world.leads, world.events, world.conversions, as_of=mature_snapshot_dates(when, 90, 8),
                             observed_until=when, now=when)  # fmt: skip
    result, decision = retrain(champion, new, n_boot=20)
    assert decision.promoted, decision.reason
    assert decision.challenger["roc_auc"] > decision.champion["roc_auc"] + 0.01, decision
    assert decision.rows > 0 and result.meta["split"]["method"] == "out_of_time"
