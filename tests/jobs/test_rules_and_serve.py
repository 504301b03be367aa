"""The rules and serving jobs without the CLI: presets, a table checked against the features, the serve command."""

from __future__ import annotations

import json
import shutil

import pytest

from predictive_leads.data.files import json_text
from predictive_leads.features.pipeline import ATTRS_KEY
from predictive_leads.jobs.rules import presets, rule_table
from predictive_leads.jobs.serve import prepare_serving
from predictive_leads.models.lead_scorer import ModelError
from predictive_leads.models.rules import RuleError, preset_names


def test_presets_and_one_table_checked_against_the_features(tmp_path):
    tables = presets()
    assert list(tables) == list(preset_names()) and all(t.rules for t in tables.values())
    assert rule_table("engagement").to_yaml() == tables["engagement"].to_yaml()
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nrules:\n - {id: a, points: 5, when: {column: pricing_views, op: '>=', value: 1}}\n")
    with pytest.raises(RuleError, match="rule 'a': unknown column 'pricing_views'"):
        rule_table(path)


def test_serving_writes_an_example_request_and_the_mlflow_command(trained_world, registry_store, monkeypatch):
    monkeypatch.chdir(registry_store)
    with pytest.raises(ModelError, match="a model folder written by train, not an MLflow model; serve a logged model"):
        prepare_serving(str(trained_world.model_dir))
    folder = registry_store / "mlflow_model"  # a local MLflow model folder: MLmodel beside the pyfunc's data
    shutil.copytree(trained_world.model_dir, folder / "data" / "scorer")
    (folder / "MLmodel").write_text("flavors: {}\n")
    dataset = {"feature_config": trained_world.frame.attrs[ATTRS_KEY]["feature_config"]}  # a model that reads raw leads
    (folder / "data" / "scorer" / "dataset.json").write_text(json_text(dataset))
    command = prepare_serving(str(folder), port=5123, workers=2)
    example = json.loads((registry_store / command.example).read_text())
    assert set(example["dataframe_split"]["columns"]) >= set(trained_world.features)
    raw = json.loads((registry_store / command.raw_example).read_text())["dataframe_records"]
    assert [r["lead_id"] for r in raw] == ["L-example-1"] and len(raw[0]["events"]) == 2
    assert command.env["PREDICTIVE_LEADS_MODEL_NAME"] == "mlflow_model"
    assert command.env["PREDICTIVE_LEADS_MODEL_VERSION"].startswith("sha256:")
    assert command.argv[:5] == ["mlflow", "models", "serve", "-m", str(folder)]
    assert command.argv[-6:] == ["-h", "127.0.0.1", "-p", "5123", "-w", "2"]
    uri = f"sqlite:///{registry_store / 'mlflow.db'}"  # the store the registry uses, passed on to the server
    assert command.env["MLFLOW_TRACKING_URI"] == command.env["MLFLOW_REGISTRY_URI"] == uri
    assert command.env["MLFLOW_DISABLE_TELEMETRY"] == "true"
