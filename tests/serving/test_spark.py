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
def model_uri(trained_world, offline_mlflow, tmp_path_factory):
    store = tmp_path_factory.mktemp("mlflow")
    mlflow = registry._mlflow(store)
    with mlflow.start_run(experiment_id=registry._experiment_id(mlflow, "spark")) as run:
        registry.log_pyfunc(trained_world.scorer)
    registry.register(run.info.run_id, "spark-leads", alias="champion", store=store)
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
