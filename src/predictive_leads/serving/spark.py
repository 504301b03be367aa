"""Spark at the edge: score a Spark DataFrame with a registered model, and build features on Spark.

A Databricks-style nightly job::

    from predictive_leads.serving.spark import scoring_frame_on_spark, score_spark_frame
    frame = scoring_frame_on_spark(spark, leads, events, as_of="2026-06-01", conversions=conversions)
    scores = score_spark_frame(spark, spark.createDataFrame(frame), "models:/lead-scoring@champion")
    scores.write.mode("overwrite").saveAsTable("crm.lead_scores")

Scoring runs the registered pyfunc through ``mlflow.pyfunc.spark_udf`` (``env_manager="local"``: the
executors use the driver's environment), so Spark gets exactly the probabilities, scores and reasons the REST
server and the batch job give.
"""

from __future__ import annotations

import pandas as pd

from predictive_leads.explain.reasons import DEFAULT_TOP_K


def result_schema(top_k: int = DEFAULT_TOP_K) -> str:
    """The pyfunc's output columns as a Spark DDL struct type."""
    from predictive_leads.serving.pyfunc import served_columns

    spark_types = {"double": "double", "long": "bigint", "string": "string"}
    return ", ".join(f"{name} {spark_types[kind]}" for name, kind in served_columns(top_k).items())


def score_spark_frame(spark, frame, model_uri: str, *, id_col: str = "lead_id", top_k: int = DEFAULT_TOP_K):
    """``frame`` (a Spark DataFrame with the id and the model's input columns) → id + scores and reasons."""
    from pyspark.sql import functions as F

    from predictive_leads.serving.registry import import_mlflow

    mlflow = import_mlflow()

    model = mlflow.pyfunc.spark_udf(spark, model_uri, result_type=result_schema(top_k), env_manager="local")
    inputs = [c.name for c in mlflow.models.get_model_info(model_uri).signature.inputs.inputs]
    present = [c for c in inputs if c in frame.columns]
    scored = frame.withColumn("_scores", model(F.struct(*[F.col(c) for c in present])))
    return scored.select(F.col(id_col).alias("id"), "_scores.*")


def scoring_frame_on_spark(spark, leads: pd.DataFrame, events, *, as_of, conversions=None, config=None,
                           now=None) -> pd.DataFrame:  # fmt: skip
    """The scoring frame (open leads at ``as_of``) with the behavioural features computed by Spark (``events``: a
    path Spark reads, a Spark-backed Ibis table or a pandas frame)."""
    from predictive_leads.features import build_scoring_frame

    return build_scoring_frame(leads, events, as_of=as_of, conversions=conversions, config=config, engine="pyspark",
                               spark_session=spark, now=now)  # fmt: skip
