"""MLflow: a pickle-free pyfunc with a signature, registry aliases, a promotion gate, loading in a new process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from predictive_leads.explain import scored_with_reasons
from predictive_leads.explain.reasons import scored_columns
from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.serving import registry
from predictive_leads.serving.pyfunc import served_columns, to_model_input

NAME = "leads"


@pytest.fixture(scope="module")
def store(offline_mlflow, tmp_path_factory):
    """An embedded MLflow store for this module."""
    return tmp_path_factory.mktemp("mlflow")


def _log(scorer, store) -> str:
    mlflow = registry._mlflow(store)
    with mlflow.start_run(experiment_id=registry._experiment_id(mlflow, "tests")) as run:
        registry.log_pyfunc(scorer)
    return run.info.run_id


@pytest.fixture(scope="module")
def champion(trained_world, store):
    version = registry.register(_log(trained_world.scorer, store), NAME, store=store)
    decision = registry.promote(NAME, trained_world.frame, store=store)
    assert decision.promoted and decision.reason.startswith("first model")
    return version


def test_the_pyfunc_is_pickle_free_with_an_explicit_signature_and_a_synthetic_example(trained_world, store, champion):
    mlflow = registry._mlflow(store)
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{NAME}@champion"))
    assert not list(local.rglob("*.pkl")) and not list(local.rglob("*.pickle"))
    mlmodel = yaml.safe_load((local / "MLmodel").read_text())
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "predictive_leads.serving.pyfunc"
    inputs = json.loads(mlmodel["signature"]["inputs"])
    assert [c["name"] for c in inputs] == [*trained_world.features, "email_domain"]
    assert inputs[-1]["required"] is False
    outputs = [c["name"] for c in json.loads(mlmodel["signature"]["outputs"])]
    assert outputs == list(served_columns(3)) == [*scored_columns(3), "rejected"]
    example = json.loads((local / "input_example.json").read_text())
    scorer = trained_world.scorer
    allowed = {None, 0, 1, 2} | {c for cats in scorer.categories_.values() for c in cats}  # 1, 2: rep scores 1–5
    assert {v for row in example["data"] for v in row} <= allowed, "the input example must be synthetic"
    assert (local / "data").is_dir() and list((local / "data").rglob("model.txt"))


def test_load_by_alias_in_a_new_process_gives_identical_predictions(trained_world, store, champion, tmp_path):
    sample = trained_world.frame.sample(200, random_state=3)
    to_model_input(sample, trained_world.scorer).to_parquet(tmp_path / "in.parquet")
    code = (
        "import sys, mlflow, pandas as pd; "
        f"m = mlflow.pyfunc.load_model('models:/{NAME}@champion'); "
        "m.predict(pd.read_parquet(sys.argv[1])).to_parquet(sys.argv[2])"
    )
    env = os.environ | {"MLFLOW_TRACKING_URI": registry.tracking_uri(store)}
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet")],
                          env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    served = pd.read_parquet(tmp_path / "out.parquet")
    expected = scored_with_reasons(trained_world.scorer, sample).reset_index(drop=True)
    np.testing.assert_array_equal(served["probability"].to_numpy(), expected["probability"].to_numpy())
    for col in ("score", "grade", "stage", "reason_1", "reason_code_3", "reasons_json"):
        assert served[col].astype(str).tolist() == expected[col].astype(str).tolist(), col


def test_load_scorer_accepts_a_registry_uri_or_a_folder(trained_world, store, champion):
    by_uri = registry.load_scorer(f"models:/{NAME}@champion", store=store)
    by_dir = registry.load_scorer(trained_world.model_dir)
    rows = trained_world.frame.iloc[:100]
    np.testing.assert_array_equal(by_uri.predict_proba(rows), by_dir.predict_proba(rows))
    with pytest.raises(ValueError, match="models:/nope@champion"):
        registry.load_scorer("models:/nope@champion", store=store)


def test_a_worse_challenger_is_refused_with_the_reason_and_a_better_one_is_promoted(trained_world, store, champion):
    frame, features = trained_world.frame, trained_world.features
    train = frame[frame["as_of"] < trained_world.train_before]
    shuffled = np.random.default_rng(0).permutation(train["converted"].to_numpy())  # a model of noise
    worse = LeadScorer(time_column="as_of", min_positives=20).fit(train[[*features, "as_of"]], shuffled)
    registry.register(_log(worse, store), NAME, store=store)
    refused = registry.promote(NAME, frame, store=store)
    assert not refused.promoted and refused.reason.startswith("refused: AUC")
    client = registry._mlflow(store).MlflowClient()
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == champion
    tags = client.get_model_version_by_alias(NAME, "challenger").tags
    assert tags["promotion.result"] == "refused" and "AUC" in tags["promotion.reason"]
    assert json.loads(tags["promotion.comparison"])["champion"]["version"] == champion
    better = registry.register(_log(trained_world.scorer, store), NAME, store=store)
    promoted = registry.promote(NAME, frame, store=store)
    assert promoted.promoted and promoted.reason.startswith("passed")
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == better


def test_promotion_needs_rows_after_the_training_data(trained_world, store, champion):
    early = trained_world.frame[trained_world.frame["as_of"] < "2025-06-01"]
    with pytest.raises(ValueError, match="out of time"):
        registry.promote(NAME, early, store=store)


def test_register_and_promote_commands(trained_world, registry_store):
    from typer.testing import CliRunner

    from predictive_leads.cli.app import app

    runner = CliRunner()
    with registry._mlflow().start_run() as run:
        registry.log_pyfunc(trained_world.scorer)
    registered = runner.invoke(app, ["register", "--run-id", run.info.run_id, "--name", "cli"])
    assert registered.exit_code == 0 and "cli version 1 is @challenger" in registered.output, registered.output
    data = registry_store / "later.parquet"
    trained_world.frame.to_parquet(data)
    promoted = runner.invoke(app, ["promote", "--name", "cli", "--data", str(data)])
    assert promoted.exit_code == 0 and "promoted — first model" in promoted.output, promoted.output
    assert str(registry._mlflow().MlflowClient().get_model_version_by_alias("cli", "champion").version) == "1"
