"""Spark: a registered model scores a Spark DataFrame (local[2], loopback) exactly as pandas does."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from predictive_leads.explain import scored_with_reasons
from predictive_leads.serving import registry
from predictive_leads.serving.pyfunc import to_model_input

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="PySpark needs a Java runtime"),
]


@pytest.fixture(scope="module")
def store(trained_world, offline_mlflow, tmp_path_factory):
    """An MLflow store holding the trained world's model as ``spark-leads@champion``."""
    store = tmp_path_factory.mktemp("mlflow")
    mlflow = registry._mlflow(store)
    with mlflow.start_run(experiment_id=registry._experiment_id(mlflow, "spark")) as run:
        registry.log_pyfunc(trained_world.scorer)
    registry.register(run.info.run_id, "spark-leads", alias="champion", store=store)
    return store


@pytest.fixture(scope="module")
def model_uri(store):
    return "models:/spark-leads@champion"


def test_spark_scores_equal_pandas_scores(spark, trained_world, model_uri):
    from predictive_leads.serving.spark import score_spark_frame

    rows = trained_world.frame.sample(300, random_state=5).reset_index(drop=True)
    inputs = to_model_input(rows, trained_world.scorer).assign(row_id=[f"r{i}" for i in range(len(rows))])
    scored = score_spark_frame(spark, spark.createDataFrame(inputs), model_uri, id_col="row_id").toPandas()
    expected = scored_with_reasons(trained_world.scorer, rows).reset_index(drop=True)
    scored = scored.set_index("id").loc[inputs["row_id"]].reset_index()
    np.testing.assert_allclose(scored["probability"], expected["probability"], rtol=0, atol=1e-12)
    for col in ("score", "grade", "stage", "reason_1", "reason_code_2", "reasons_json"):
        assert scored[col].astype(str).tolist() == expected[col].astype(str).tolist(), col


def test_features_on_spark_equal_duckdb_for_a_scoring_frame(spark, trained_world):
    from predictive_leads.features import build_scoring_frame, feature_columns
    from predictive_leads.serving.spark import scoring_frame_on_spark

    world = trained_world.world
    when = pd.Timestamp("2026-02-01", tz="UTC")
    on_spark = scoring_frame_on_spark(spark, world.leads, world.events, as_of=when, conversions=world.conversions,
                                      now=when)  # fmt: skip
    local = build_scoring_frame(world.leads, world.events, as_of=when, conversions=world.conversions, now=when)
    columns = feature_columns(local)
    pd.testing.assert_frame_equal(on_spark[["lead_id", *columns]].reset_index(drop=True),
                                  local[["lead_id", *columns]].reset_index(drop=True))  # fmt: skip


@pytest.fixture(scope="module")
def spark_job(spark, trained_world, store, model_uri, tmp_path_factory):
    """``score-spark`` on the trained world's raw folder, and what DuckDB and the in-process scorer give."""
    from typer.testing import CliRunner

    from predictive_leads.cli.app import app
    from predictive_leads.jobs.score import scoring_frame
    from predictive_leads.synth import write_world

    folder = tmp_path_factory.mktemp("spark-job")
    world = write_world(trained_world.world, folder / "world")
    tracking = registry.tracking_uri(store)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MLFLOW_TRACKING_URI", tracking)
        result = CliRunner().invoke(app, ["score-spark", "--model", model_uri, "--data", str(world), "--as-of",
                                          "2026-02-01", "--output", str(folder / "scores")])  # fmt: skip
        frame = scoring_frame(world, "2026-02-01", model=model_uri).frame  # DuckDB, as the batch job builds it
    assert result.exit_code == 0, result.output
    expected = scored_with_reasons(trained_world.scorer, frame).set_index(frame["lead_id"].astype(str))
    return folder, world, tracking, result.output, expected


def _same_scores(scores: pd.DataFrame, expected: pd.DataFrame) -> None:
    scores = scores.set_index("id").loc[expected.index]
    np.testing.assert_allclose(scores["probability"], expected["probability"], rtol=0, atol=1e-12)
    for col in ("score", "grade", "stage", "reason_1", "reason_code_2", "reasons_json"):
        assert scores[col].astype(str).tolist() == expected[col].astype(str).tolist(), col


def test_score_spark_scores_the_open_leads_as_duckdb_and_the_scorer_do(spark_job):
    folder, _, _, printed, expected = spark_job
    scores = pd.read_parquet(folder / "scores")
    assert len(scores) == len(expected) > 1000 and f"scored {len(expected):,} open leads on Spark (local[2])" in printed
    _same_scores(scores, expected)


def test_spark_submit_runs_the_same_job_without_code_changes(spark_job, model_uri):
    """The file a cluster runs, submitted to a local[2] master the way it is submitted to YARN or Kubernetes."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from predictive_leads.cli import spark_submit

    folder, world, tracking, _, expected = spark_job
    submit = Path(sys.executable).parent / "spark-submit"
    loopback = ["--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.ui.enabled=false"]  # fmt: skip
    args = ["--model", model_uri, "--data", str(world), "--as-of", "2026-02-01", "--output", str(folder / "submitted")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")} | registry.offline_env()
    env |= {
        "MLFLOW_TRACKING_URI": tracking,
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PATH": os.pathsep.join([str(submit.parent), env.get("PATH", "")]),
    }  # its scripts find this Python
    done = subprocess.run([str(submit), "--master", "local[2]", *loopback, spark_submit.__file__, *args], env=env,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "on Spark (local[2])" in done.stdout
    _same_scores(pd.read_parquet(folder / "submitted"), expected)
