"""A saved model folder that is damaged is refused in one line naming the file, before LightGBM parses anything:
a truncated or edited ``model.txt`` (checked against the size and SHA-256 in ``scorer.json``; models saved before
the checksum must be complete), garbage or incomplete JSON, and a ``train`` folder handed to ``serve``."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from predictive_leads.models.lead_scorer import LeadScorer, ModelError

REDO = "re-save or retrain the model"
# Loads a model folder in a fresh interpreter: LightGBM's parser may abort the process it runs in.
LOADER = """
import sys
from predictive_leads.models.lead_scorer import LeadScorer, ModelError
try:
    LeadScorer.load(sys.argv[1])
except ModelError as exc:
    print(exc, file=sys.stderr)
    sys.exit(3)
print("loaded")
"""


@pytest.fixture
def folder(trained_world, tmp_path) -> Path:
    """A copy of the trained model's folder (model.txt, scorer.json, profile.json) to damage."""
    return Path(shutil.copytree(trained_world.model_dir, tmp_path / "model"))


def _edit_meta(folder: Path, edit) -> None:
    meta = json.loads((folder / "scorer.json").read_text())
    edit(meta)
    (folder / "scorer.json").write_text(json.dumps(meta, indent=2))


def _as_old_format(folder: Path) -> Path:
    """The folder as saved before scorer.json recorded model.txt's size and SHA-256."""
    _edit_meta(folder, lambda meta: [meta.pop("model_bytes", None), meta.pop("model_sha256", None)])
    return folder


def _load_in_subprocess(folder: Path) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "-c", LOADER, str(folder)], capture_output=True, encoding="utf-8",
                          errors="replace", timeout=300)  # fmt: skip
    return done.returncode, [line for line in done.stderr.splitlines() if line.strip()]


# ------------------------------------------------------------------------------------------ model.txt


def test_scorer_json_records_the_size_and_sha256_of_model_txt(folder):
    meta = json.loads((folder / "scorer.json").read_text())
    data = (folder / "model.txt").read_bytes()
    assert meta["format_version"] == 1
    assert (meta["model_bytes"], meta["model_sha256"]) == (len(data), hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize("old_format", [False, True], ids=["checksum", "saved-before-the-checksum"])
@pytest.mark.parametrize("cut", ["in-the-trees", "in-the-parameters", "in-the-last-line"])
def test_a_truncated_model_txt_is_one_line_not_an_abort(folder, old_format, cut):
    text = (folder / "model.txt").read_text()
    at = {"in-the-trees": len(text) // 2, "in-the-parameters": text.index("\nparameters:\n") + 200,
          "in-the-last-line": len(text) - 10}[cut]  # fmt: skip
    (folder / "model.txt").write_text(text[:at])  # (LightGBM: SIGABRT, SIGSEGV, a JSON traceback)
    if old_format:
        _as_old_format(folder)
    returncode, stderr = _load_in_subprocess(folder)
    assert returncode == 3, f"return code {returncode} (-6 is SIGABRT, -11 SIGSEGV): {stderr[-3:]}"
    problem = "not a complete LightGBM model (truncated or not a model file)" if old_format else (
        "does not match scorer.json (size/sha256 differ: truncated or edited)")  # fmt: skip
    assert stderr == [f"{folder}/model.txt: {problem}; {REDO}"]


@pytest.mark.parametrize("old_format", [False, True], ids=["checksum", "saved-before-the-checksum"])
@pytest.mark.parametrize("kind", ["bytes", "text"])
def test_random_content_in_model_txt_is_one_line(folder, old_format, kind):
    rng = random.Random(7)
    if kind == "bytes":
        (folder / "model.txt").write_bytes(rng.randbytes(20_000))
    else:  # plausible text: LightGBM's own header, then noise
        noise = "".join(rng.choice("abc=0123456789 .\n") for _ in range(20_000))
        (folder / "model.txt").write_text("tree\nversion=v4\nnum_class=1\n" + noise)
    if old_format:
        _as_old_format(folder)
    returncode, stderr = _load_in_subprocess(folder)
    assert returncode == 3, f"return code {returncode}: {stderr[-3:]}"
    assert len(stderr) == 1 and stderr[0].startswith(f"{folder}/model.txt: ") and stderr[0].endswith(REDO)
    assert ("does not match scorer.json" if not old_format else "not a complete LightGBM model") in stderr[0]


def test_an_edited_model_txt_with_a_matching_checksum_is_reworded_when_lightgbm_refuses_it(folder):
    text = (folder / "model.txt").read_text().replace("num_class=1\n", "num_klass=1\n", 1)
    (folder / "model.txt").write_text(text)
    data = text.encode()
    _edit_meta(folder, lambda meta: meta.update(model_bytes=len(data), model_sha256=hashlib.sha256(data).hexdigest()))
    with pytest.raises(ModelError) as caught:
        LeadScorer.load(folder)
    assert str(caught.value) == (
        f"{folder}/model.txt: LightGBM cannot read it (Model file doesn't specify the number of classes); {REDO}"
    )


def test_a_model_saved_before_the_checksum_still_loads_and_scores_the_same(trained_world, folder):
    _as_old_format(folder)
    loaded = LeadScorer.load(folder)
    rows = trained_world.frame[trained_world.features].iloc[:500]
    pd.testing.assert_frame_equal(loaded.score_frame(rows), trained_world.scorer.score_frame(rows))
    assert loaded.to_artifacts() == trained_world.scorer.to_artifacts()  # saving it again records the checksum


# ------------------------------------------------------------------------------------------ JSON files


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"format_version": 1,,\n}', "not valid JSON (Expecting property name enclosed in double quotes at line 1 "
                                      "column 22)"),
        (b"", "not valid JSON (Expecting value at line 1 column 1)"),
        (b"[1, 2]", "holds a list, not an object"),
        (b"\xff\xfe{}", "not UTF-8 text (byte 0)"),
    ],
    ids=["garbage", "empty", "a-list", "not-utf8"],
)  # fmt: skip
def test_garbage_in_scorer_json_names_the_file(folder, content, problem):
    (folder / "scorer.json").write_bytes(content)
    with pytest.raises(ModelError) as caught:
        LeadScorer.load(folder)
    assert str(caught.value) == f"{folder}/scorer.json: {problem}; {REDO}"


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda meta: meta.pop("calibrator"), "scorer.json: missing key 'calibrator'"),
        (lambda meta: meta.pop("features"), "scorer.json: missing key 'features'"),
        (lambda meta: meta["calibrator"].pop("method"), "scorer.json (calibrator): missing key 'method'"),
        (lambda meta: meta.update(features="employees"), "scorer.json: 'features' is a string, not a list"),
        (lambda meta: meta.update(score_map={"1": 0.1}), "scorer.json: 'score_map' is an object, not a list"),
        (lambda meta: meta["score_map"].append("high"), "scorer.json: 'score_map' holds a string, not only numbers"),
        (lambda meta: meta["features"].pop(), "model.txt: has {n} features but scorer.json lists {m} (files of two "
                                              "different models?)"),
        (lambda meta: meta["params"].update(learning_rat=0.1),
         "scorer.json: unusable content (LeadScorer.__init__() got an unexpected keyword argument 'learning_rat')"),
    ],
    ids=["no-calibrator", "no-features", "no-calibrator-method", "features-text", "score-map-object",
         "score-map-text", "fewer-features", "unknown-param"],
)  # fmt: skip
def test_missing_keys_and_wrong_types_in_scorer_json_are_one_line(trained_world, folder, edit, problem):
    _edit_meta(folder, edit)
    n = len(trained_world.features)
    with pytest.raises(ModelError) as caught:
        LeadScorer.load(folder)
    assert str(caught.value) == f"{folder}/{problem.format(n=n, m=n - 1)}; {REDO}"


def test_garbage_in_the_other_json_files_of_a_model_folder_names_the_file(trained_world, folder):
    from predictive_leads.serving.pyfunc import _load_pyfunc, write_pyfunc_data
    from predictive_leads.serving.registry import load_dataset, load_profile

    (folder / "profile.json").write_text('{"features": [1, 2')
    with pytest.raises(ModelError) as caught:
        load_profile(folder)
    assert str(caught.value) == (
        f"{folder}/profile.json: not valid JSON (Expecting ',' delimiter at line 1 column 19); {REDO}"
    )
    (folder / "dataset.json").write_text('"spec"')
    with pytest.raises(ModelError, match=rf"^{folder}/dataset\.json: holds a string, not an object; "):
        load_dataset(folder)

    data = write_pyfunc_data(trained_world.scorer, folder / "pyfunc")
    (data / "pyfunc.json").write_text("top_k: 3\n")
    with pytest.raises(ModelError) as caught:
        _load_pyfunc(str(data))
    assert str(caught.value) == f"{data}/pyfunc.json: not valid JSON (Expecting value at line 1 column 1); {REDO}"
    (data / "pyfunc.json").write_text('{"top_k": "3"}')
    with pytest.raises(ModelError, match=rf"^{data}/pyfunc\.json: 'top_k' is a string, not an integer; "):
        _load_pyfunc(str(data))
    (data / "pyfunc.json").write_text("{}")
    with pytest.raises(ModelError, match=rf"^{data}/pyfunc\.json: missing key 'top_k'; "):
        _load_pyfunc(str(data))


# ------------------------------------------------------------------------------------------ serve


def test_serve_refuses_a_train_folder_in_one_line(folder, tmp_path, monkeypatch):
    from predictive_leads.cli.app import app

    def no_server(*args):
        raise AssertionError(f"a server was started: {args[:2]}")

    monkeypatch.setattr("predictive_leads.cli.serve.os.execvpe", no_server)
    monkeypatch.chdir(tmp_path)  # the example request would be written under ./models/mlflow
    hint = "serve a logged model: --model models:/NAME@alias or runs:/RUN_ID/model (train --register NAME logs and "
    for model, what in [(folder, "a model folder written by train, not an MLflow model"),
                        (tmp_path / "nope", "no such model folder")]:  # fmt: skip
        result = CliRunner().invoke(app, ["serve", "--model", str(model)])
        assert result.exit_code == 1, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert lines == [f"error: {model}: {what}; {hint}registers one)"]
    assert not (tmp_path / "models" / "mlflow" / "example_request.json").exists()


def test_what_serve_accepts_as_an_mlflow_model(folder):
    from predictive_leads.serving.registry import is_mlflow_model_folder, is_mlflow_uri, model_folder

    assert all(map(is_mlflow_uri, ["models:/leads@champion", "runs:/abc123/model", "s3://bucket/model"]))
    assert not any(map(is_mlflow_uri, [str(folder), "models/demo", "C:/models/demo"]))
    assert not is_mlflow_model_folder(folder)
    (folder / "data").mkdir()
    for name in ("model.txt", "scorer.json"):  # an MLflow model's layout: MLmodel, its data below
        (folder / name).rename(folder / "data" / name)
    (folder / "MLmodel").write_text("flavors: {}\n")
    assert is_mlflow_model_folder(folder) and model_folder(folder) == folder / "data"
