"""Guarded retraining: after drift the challenger beats the stale champion and is promoted; decisions recorded."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from predictive_leads.cli.app import app
from predictive_leads.features.spine import mature_snapshot_dates
from predictive_leads.training.promotion import Gate, judge

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
    from predictive_leads.synth import write_world

    folder = write_world(trained_world.world, tmp_path / "world")
    out = tmp_path / "challenger"
    result = runner.invoke(app, ["retrain", "--data", str(folder), "--as-of", "2026-09-01", "--model",
                                 str(trained_world.model_dir), "--out", str(out), "--months", "10",
                                 "--n-boot", "20", "--force"])  # fmt: skip
    decision = json.loads((out / "promotion.json").read_text())
    assert result.exit_code == (0 if decision["promoted"] else 3), result.output
    assert decision["champion"]["roc_auc"] > 0 and decision["challenger"]["roc_auc"] > 0 and decision["reason"]
    assert (out / "model.txt").exists() and (out / "report.html").exists()


def _registered_champion(drift: bool, folder):
    """An 8000-lead world written to ``folder`` and a champion trained on 2025-01..08, registered as @champion."""
    from predictive_leads.features import build_training_set, feature_columns
    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.serving import registry
    from predictive_leads.synth import generate_world, write_world

    world = generate_world(n_leads=8000, seed=3, drift=drift)  # the drifted market changes on 2025-12-19
    write_world(world, folder)
    frame = build_training_set(world.leads, world.events, world.conversions,
                               as_of=pd.date_range("2025-01-01", "2025-09-01", freq="MS", tz="UTC"),
                               observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    old = frame[frame["as_of"] < "2025-09-01"]
    champion = LeadScorer(time_column="as_of", min_positives=20).fit(old[[*feature_columns(old), "as_of"]],
                                                                     old["converted"])  # fmt: skip
    mlflow = registry._mlflow()
    with mlflow.start_run(experiment_id=registry._experiment_id(mlflow, "tests")) as run:
        registry.log_pyfunc(champion)
    registry.register(run.info.run_id, "leads")
    assert registry.promote("leads", frame).promoted  # the first model becomes the champion


@pytest.mark.slow
@pytest.mark.parametrize("drift", [True, False], ids=["drifted", "stable"])
def test_retrain_is_promoted_after_drift_and_refused_when_not_better_both_recorded(drift, registry_store):
    import mlflow

    _registered_champion(drift, registry_store / "world")
    result = runner.invoke(app, ["retrain", "--name", "leads", "--data", str(registry_store / "world"),
                                 "--as-of", "2026-09-01", "--months", "8", "--n-boot", "20"])  # fmt: skip
    client = mlflow.MlflowClient()
    challenger = client.get_model_version("leads", "2")
    comparison = json.loads(challenger.tags["promotion.comparison"])
    gain = comparison["challenger"]["roc_auc"] - comparison["champion"]["roc_auc"]
    champion_now = str(client.get_model_version_by_alias("leads", "champion").version)
    if drift:
        assert result.exit_code == 0, result.output
        assert challenger.tags["promotion.result"] == "promoted" and champion_now == "2"
        assert gain > 0.01 and comparison["challenger"]["share_better"] >= 0.95
    else:
        assert result.exit_code == 3, result.output
        assert challenger.tags["promotion.result"] == "refused" and champion_now == "1"
        assert "not better" in challenger.tags["promotion.reason"]
    assert int(challenger.tags["promotion.rows"]) > 1000
    inputs = client.get_run(challenger.run_id).inputs.dataset_inputs
    assert sorted(i.tags[0].value for i in inputs) == ["evaluation", "training"]  # the snapshots it learned from


def test_a_challenger_that_is_only_as_good_is_refused_by_the_retrain_gate(trained_world):
    later = trained_world.frame[trained_world.frame["as_of"] >= trained_world.train_before]
    same = judge(trained_world.scorer, trained_world.scorer, later, gate=Gate(must_beat=True, n_boot=50))
    assert not same.promoted and "not better" in same.reason and same.challenger["share_better"] == 0.0
    assert judge(trained_world.scorer, trained_world.scorer, later).promoted  # non-inferior is enough to register


def test_the_challenger_takes_its_horizon_from_the_new_data_not_the_champion(monkeypatch):
    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.training import retrain as retraining
    from predictive_leads.training import workflow

    seen = {}

    def fake_train_model(frame, *, scorer_params, **_):
        seen.update(scorer_params)
        raise RuntimeError("stop here")

    monkeypatch.setattr(workflow, "train_model", fake_train_model)
    champion = LeadScorer(time_column="as_of", horizon_days=90, learning_rate=0.1)  # e.g. loaded from scorer.json
    with pytest.raises(RuntimeError, match="stop here"):
        retraining.retrain(champion, pd.DataFrame())
    assert seen["learning_rate"] == 0.1 and "horizon_days" not in seen and "time_column" not in seen
