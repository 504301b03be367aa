"""The nightly scoring job on Spark: raw data folder in, scores out, the same code on ``local[2]`` and a cluster.

``predictive-leads score-spark`` runs it on a loopback ``local[2]`` session; ``spark-submit`` (or a Databricks
Python-script task) runs the same job on the cluster's session through :mod:`predictive_leads.cli.spark_submit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from predictive_leads.explain.reasons import DEFAULT_TOP_K


@dataclass(frozen=True)
class SparkScoreRun:
    """What a Spark scoring run read and wrote."""

    rows: int
    output: str
    master: str


def score_open_leads_on_spark(spark, data: str | Path, *, as_of, model_uri: str, top_k: int = DEFAULT_TOP_K):
    """The open leads of the raw data folder ``data`` at ``as_of`` (read through the model's dataset spec; the
    events as files Spark reads itself), their behaviour built by Spark and their rows scored by the registered
    model through ``spark_udf``: a Spark DataFrame of id + scores and reasons."""
    from predictive_leads.features.spine import to_utc
    from predictive_leads.jobs.data import read_for_model
    from predictive_leads.serving.pyfunc import to_model_input
    from predictive_leads.serving.registry import load_scorers
    from predictive_leads.serving.spark import score_spark_frame, scoring_frame_on_spark

    when = to_utc(as_of)
    read = read_for_model(data, model_uri)
    leads, events, conversions = read.frames()
    frame = scoring_frame_on_spark(spark, leads, events, as_of=when, conversions=conversions, config=read.config,
                                   now=when)  # fmt: skip
    scorer, _ = load_scorers(model_uri)
    inputs = to_model_input(frame, scorer).assign(lead_id=frame["lead_id"].astype(str))
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")  # pandas → Spark in Arrow batches
    return score_spark_frame(spark, spark.createDataFrame(inputs), model_uri, top_k=top_k)


def score_spark(data: str | Path, output: str, *, as_of, model: str, top_k: int = DEFAULT_TOP_K,
                submitted: bool = False) -> SparkScoreRun:  # fmt: skip
    """Run :func:`score_open_leads_on_spark` and write the scores as Parquet to ``output`` (a path Spark writes:
    local, HDFS, S3, DBFS), replacing what was there. ``submitted``: use the session ``spark-submit`` or the
    cluster made (its master and settings); else a loopback ``local[2]`` session."""
    from predictive_leads.features.engine import local_spark
    from predictive_leads.serving.registry import is_model_uri

    if not is_model_uri(model):
        raise ValueError(f"{model}: score-spark scores with a registered model (models:/NAME@alias)")
    if not as_of:
        raise ValueError("--as-of is required: the date to score the open leads at")
    spark = _submitted_session() if submitted else local_spark()
    scores = score_open_leads_on_spark(spark, data, as_of=as_of, model_uri=model, top_k=top_k)
    scores.write.mode("overwrite").parquet(output)
    rows = spark.read.parquet(output).count()
    return SparkScoreRun(rows, output, spark.sparkContext.master)


def _submitted_session():
    """The session spark-submit or the cluster configured; its SQL time zone set to UTC, as the features count days
    in UTC (``engine.local_spark`` does the same)."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark
