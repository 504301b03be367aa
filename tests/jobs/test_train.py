"""Training jobs without the CLI: train (with MLflow and registration), evaluate, promote, retrain."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from predictive_leads.jobs import train as jobs
from predictive_leads.training.workflow import summary_lines


def test_train_writes_the_model_folder_and_the_honest_summary(trained_run):
    run, stages = trained_run
    assert {"model.txt", "scorer.json", "metrics.json", "report.html", "audit.csv", "profile.json"} <= {
        p.name for p in run.out.iterdir()}  # fmt: skip
    metrics = json.loads((run.out / "metrics.json").read_text())
    assert metrics["meta"]["split"]["method"] == "out_of_time"
    scorer = json.loads((run.out / "scorer.json").read_text())
    horizon = metrics["meta"]["split"]["gap_days"]  # the training set's label horizon
    assert horizon > 0 and scorer["split"]["gap_days"] == horizon  # the reference slice is out of time too
    assert {row["scorer"] for row in metrics["comparison"]} >= {"model", "learned scorecard", "rules: engagement"}
    assert run.lines == summary_lines(run.result) and run.result.meta == metrics["meta"]
    assert run.lines[0].startswith("evaluated out of time on 2026-") and any(" AUC " in line for line in run.lines)
    assert stages == ["auditing, training and evaluating"]
    assert (run.run_id, run.version, run.registered) == (None, None, None)


def test_train_refuses_a_file_it_cannot_vouch_for(trained_world, tmp_path):
    trained_world.frame.head(50).to_csv(tmp_path / "export.csv", index=False)  # a CSV loses the point-in-time record
    with pytest.raises(ValueError, match=re.escape("export.csv: not built by the feature pipeline")):
        jobs.train(tmp_path / "export.csv", tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_evaluate_measures_a_saved_model_on_later_rows(trained_world, tmp_path):
    later = trained_world.frame[trained_world.frame["as_of"] >= trained_world.train_before]
    data = tmp_path / "later.parquet"
    later.to_parquet(data)
    run = jobs.evaluate(trained_world.model_dir, data, tmp_path / "eval", n_boot=20)
    written = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert run.rows == len(later) and written["meta"]["rows"] == len(later)
    assert run.model_auc == written["headline"]["model"]["roc_auc"] and 0.5 < run.model_auc["estimate"] < 1
    assert run.best_rule["name"].startswith("rules: ") and (tmp_path / "eval" / "report.html").exists()
    with pytest.raises(ValueError, match=re.escape("later.parquet: no target column 'won'")):
        jobs.evaluate(trained_world.model_dir, data, tmp_path / "eval2", target="won")


def test_train_registers_and_promote_makes_the_first_version_champion(training_file, registry_store):
    from predictive_leads.serving import registry

    run = jobs.train(training_file, registry_store / "m", n_boot=20, force=True, register="leads")
    assert run.run_id and (run.registered, run.version, run.alias) == ("leads", "1", "challenger")
    assert run.experiment == "predictive-leads" and run.tracking_uri == registry.tracking_uri()
    decision = jobs.promote("leads", training_file)
    assert decision.promoted and "first model" in decision.reason and decision.rows > 0
    client = registry._mlflow().MlflowClient()
    assert str(client.get_model_version_by_alias("leads", "champion").version) == "1"


def test_retrain_into_a_model_folder_records_the_gate_decision(trained_world, world_dir, tmp_path):
    stages: list[str] = []
    out = tmp_path / "challenger"
    run = jobs.retrain(world_dir, "2026-09-01", model=trained_world.model_dir, out=out, months=10, n_boot=20,
                       force=True, on_stage=stages.append)  # fmt: skip
    recorded = json.loads((out / "promotion.json").read_text())
    assert recorded == json.loads(json.dumps(run.decision.to_dict())) and run.where == str(out)
    assert recorded["promoted"] == run.decision.promoted and recorded["reason"] == run.decision.reason
    assert recorded["champion"]["roc_auc"] > 0 and recorded["challenger"]["roc_auc"] > 0
    assert len(run.snapshots) == 10
    assert run.snapshots[-1] + pd.Timedelta(days=90) <= pd.Timestamp("2026-09-01", tz="UTC")
    assert stages == [f"building 10 monthly snapshots up to {run.snapshots[-1].date()}",
                      "training the challenger and judging it against the champion"]  # fmt: skip
    assert (out / "model.txt").exists() and (out / "report.html").exists() and run.version is None


def test_retrain_needs_a_registry_name_or_model_folders(world_dir, tmp_path):
    for kwargs in ({}, {"name": "x", "model": tmp_path}, {"model": tmp_path}):
        with pytest.raises(ValueError, match=re.escape("give --name (registry) or --model with --out")):
            jobs.retrain(world_dir, "2026-09-01", **kwargs)


def test_a_training_run_inside_the_users_run_is_nested_with_its_datasets_and_tables(training_file, registry_store):
    from predictive_leads.serving import registry

    mlflow = registry._mlflow()
    mine = mlflow.create_experiment("my-notebook")  # not set_experiment: that would outlive this test
    with mlflow.start_run(experiment_id=mine) as parent:  # a notebook's own run: train must not say "already active"
        run = jobs.train(training_file, registry_store / "nested", n_boot=10, force=True, mlflow=True)
    child = mlflow.MlflowClient().get_run(run.run_id)
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child.info.experiment_id == parent.info.experiment_id
    inputs = {i.tags[0].value: i.dataset for i in child.inputs.dataset_inputs}
    assert set(inputs) == {"training", "evaluation"}
    metrics = json.loads((registry_store / "nested" / "metrics.json").read_text())
    rows = metrics["meta"]["rows"]
    for context, part in (("training", "train"), ("evaluation", "test")):
        dataset = inputs[context]
        assert dataset.name == f"train:{part}" and dataset.source_type == "local" and len(dataset.digest) >= 8
        assert json.loads(dataset.profile)["num_rows"] == rows[part]
        assert "pricing_page_view_30d" in dataset.schema and "L0000" not in dataset.schema + dataset.profile
    table = json.loads(mlflow.artifacts.load_text(f"runs:/{run.run_id}/evaluation/model_vs_rules.json"))
    scorers = [row[table["columns"].index("scorer")] for row in table["data"]]
    assert "model" in scorers and any(s.startswith("rules: ") for s in scorers) and "learned scorecard" in scorers
    assert (run.experiment, run.tracking_uri) == ("my-notebook", mlflow.get_tracking_uri())
    alone = jobs.train(training_file, registry_store / "alone", n_boot=10, force=True, mlflow=True)
    assert "mlflow.parentRunId" not in mlflow.MlflowClient().get_run(alone.run_id).data.tags


def test_inside_a_run_in_the_users_own_store_training_logs_there(training_file, offline_mlflow, tmp_path,
                                                                  monkeypatch):  # fmt: skip
    from predictive_leads.serving import registry

    monkeypatch.chdir(tmp_path)  # our default store would be models/mlflow under the working folder
    mlflow = registry.import_mlflow()
    mine = f"sqlite:///{tmp_path / 'mine.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mine)  # restored after the test (set_tracking_uri writes it too)
    mlflow.set_tracking_uri(mine)
    with mlflow.start_run(experiment_id=mlflow.create_experiment("mine")) as parent:
        run = jobs.train(training_file, tmp_path / "model", n_boot=10, force=True, mlflow=True)
        mlflow.log_metric("after", 1.0)  # the user's run still works
    assert mlflow.get_tracking_uri() == mine and run.tracking_uri == mine
    child = mlflow.MlflowClient().get_run(run.run_id)
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert mlflow.MlflowClient().get_run(parent.info.run_id).data.metrics["after"] == 1.0
    assert not (tmp_path / "models").exists(), "nothing went to our default store"
