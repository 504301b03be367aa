"""The app's own options (#24): --version, --verbose/--quiet through the standard logging module (MLflow's INFO
lines and its "Successfully registered" print only from -v on), and --n-jobs reaching LightGBM."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from predictive_leads import __version__
from predictive_leads.cli.app import app

CLI = [sys.executable, "-m", "predictive_leads.cli.app"]


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_package_version_without_importing_the_heavy_modules(flag):
    code = ("import sys; from predictive_leads.cli.app import app\n"
            f"try:\n    app([{flag!r}])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('lightgbm', 'sklearn', 'mlflow', 'pandas') if m in sys.modules))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [f"predictive-leads {__version__}", "[]"]


@pytest.fixture(scope="module")
def training_file(trained_world, tmp_path_factory):
    path = tmp_path_factory.mktemp("options") / "train.parquet"
    trained_world.frame.to_parquet(path)
    return path


def _train(training_file, folder, *flags: str) -> subprocess.CompletedProcess:
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}", "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_LOGGING_LEVEL", None)
    args = [*CLI, *flags, "train", "--data", str(training_file), "--out", str(folder / "model"), "--n-boot", "10",
            "--force", "--register", "leads", "--n-jobs", "1"]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=folder, timeout=600)


@pytest.mark.slow
def test_mlflow_messages_are_shown_from_verbose_on_only(training_file, tmp_path):
    (tmp_path / "default").mkdir()
    (tmp_path / "verbose").mkdir()
    default = _train(training_file, tmp_path / "default")
    assert default.returncode == 0, default.stderr[-2000:]
    assert "INFO mlflow" not in default.stderr and "Successfully registered" not in default.stderr, default.stderr
    assert "registered leads version 1" in default.stdout
    scorer = json.loads((tmp_path / "default" / "model" / "scorer.json").read_text())
    assert "n_jobs" not in scorer["params"], "threads are a setting of the machine, not of the model"
    verbose = _train(training_file, tmp_path / "verbose", "-v")
    assert verbose.returncode == 0, verbose.stderr[-2000:]
    assert "INFO mlflow" in verbose.stderr and "Successfully registered model 'leads'" in verbose.stderr
    assert "INFO predictive_leads.training.workflow: audit dropped" in verbose.stderr


def test_quiet_shows_no_progress_but_the_results(trained_world, tmp_path):
    frame = trained_world.frame
    leads = frame[frame["as_of"] == frame["as_of"].max()].head(50)
    leads.to_parquet(tmp_path / "in.parquet")
    args = ["score", "--model", str(trained_world.model_dir), "--input", str(tmp_path / "in.parquet"),
            "--output", str(tmp_path / "out.parquet"), "--n-jobs", "1"]  # fmt: skip
    loud = CliRunner().invoke(app, args)
    quiet = CliRunner().invoke(app, ["-q", *args])
    assert loud.exit_code == quiet.exit_code == 0, loud.output + quiet.output
    assert "read 50 rows" in loud.output and "read " not in quiet.output
    assert "rows in 50 = scored 50 + rejected 0" in quiet.output


def test_the_spinner_shows_each_step_the_package_logs_and_stderr_only_what_the_verbosity_allows(capsys):
    import logging

    from predictive_leads.cli.console import configure_logging, spinner

    configure_logging(0)
    step = logging.getLogger("predictive_leads.training.workflow")
    with spinner("training") as status:
        step.info("fitting the learned scorecard")
        shown = str(status.status)
    assert shown == "training: fitting the learned scorecard"
    assert "fitting" not in capsys.readouterr().err, "INFO is not printed by default"
    step.info("after the spinner")  # the spinner's handler is gone
    assert not any(type(h).__name__ == "_StepsTo" for h in logging.getLogger("predictive_leads").handlers)
    configure_logging(-1)
    with spinner("training") as status:
        step.info("a step")
        assert not hasattr(status, "status"), "no spinner under --quiet"
    configure_logging(0)
