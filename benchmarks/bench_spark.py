"""Benchmark Spark at scale (issue #25 item 4): a big world's scoring frame through the PySpark feature path and
``spark_udf`` scoring on ``local[2]``, each checked against the DuckDB / pandas path on the same data.

The job is the one a nightly run executes: ``predictive-leads score-spark`` (``jobs/score_spark.py``), which a
cluster runs unchanged through ``spark-submit`` (README, "On Spark"), with a model registered in an embedded MLflow
store. Each step runs in a FRESH process:

* duckdb     ``build_scoring_frame(leads, events.parquet, engine="duckdb")``: the reference frame;
* spark      the same frame from ``scoring_frame_on_spark`` on a ``local[2]`` session (loopback, UI off);
* compare    the two frames, column for column, exactly (rows sorted by lead id);
* job        ``score-spark`` end to end (the CLI's entry point in the child): features by Spark, the model's
             inputs to Spark, ``spark_udf`` scoring, Spark writing the Parquet output;
* pandas     the DuckDB frame scored in process by ``scored_with_reasons`` (what the batch job and REST return),
             compared with the job's output: probability to 1e-12, score, grade, stage and reasons as text.

Peak memory is the whole process tree's (the Python driver and its JVM, ``psutil`` RSS sampled every 0.2 s);
seconds are the step's own, after the imports. The model is trained on a 20k-lead world of the same generator
(monthly snapshots) before the steps. It asserts nothing; it prints the figures and whether the results agree.

    .venv/bin/python benchmarks/bench_spark.py --n-leads 100000                    # ~6M events: a few minutes
    .venv/bin/python benchmarks/bench_spark.py --n-leads 1000000 --data /tmp/spark-1m  # ~64M events
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_world_apart

AS_OF = "2026-06-01"
NAME = "bench-spark"
OFFLINE = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}


class TreePeak:
    """Peak RSS of this process and all its descendants (the JVM Spark starts), sampled on a thread."""

    def __init__(self, every: float = 0.2) -> None:
        import psutil

        self._me, self._every, self.peak = psutil.Process(), every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for p in [self._me, *self._me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a process that has just ended
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self._every)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def session(driver_memory: str):
    """The pipeline's own ``local[2]`` session (``engine.local_spark``) with the driver's heap sized for the data
    (a cluster sets this in its job definition) and Arrow transfers on."""
    from predictive_leads.features.engine import local_spark

    spark = local_spark("bench-spark", driver_memory=driver_memory)
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    return spark


def child(step: str, data: Path, work: Path, driver_memory: str) -> dict:
    import pandas as pd

    now = pd.Timestamp(AS_OF, tz="UTC")
    out: dict = {"step": step}
    leads = pd.read_parquet(data / "leads.parquet") if step in ("duckdb", "spark") else None
    conversions = pd.read_parquet(data / "conversions.parquet") if step in ("duckdb", "spark") else None
    events = str(data / "events.parquet")
    with TreePeak() as peak:
        start = time.perf_counter()
        if step == "duckdb":
            from predictive_leads.features import build_scoring_frame

            frame = build_scoring_frame(leads, events, as_of=now, conversions=conversions, now=now)
            frame.to_parquet(work / "frame_duckdb.parquet")
            out["rows"] = len(frame)
        elif step == "spark":
            from predictive_leads.serving.spark import scoring_frame_on_spark

            spark = session(driver_memory)
            out["session_s"] = time.perf_counter() - start
            frame = scoring_frame_on_spark(spark, leads, events, as_of=now, conversions=conversions, now=now)
            frame.to_parquet(work / "frame_spark.parquet")
            out["rows"] = len(frame)
            spark.stop()
        elif step == "compare":
            a = pd.read_parquet(work / "frame_duckdb.parquet").sort_values("lead_id", ignore_index=True)
            b = pd.read_parquet(work / "frame_spark.parquet").sort_values("lead_id", ignore_index=True)
            try:
                pd.testing.assert_frame_equal(a, b, check_exact=True)
                out["equal"] = True
            except AssertionError as diff:
                out["equal"], out["difference"] = False, str(diff)[:500]
            out["rows"], out["columns"] = len(a), a.shape[1]
        elif step == "job":
            from predictive_leads.cli.app import app

            session(
                driver_memory
            )  # the CLI's local[2] session is this one (as --driver-memory sets it for spark-submit)
            args = ["score-spark", "--model", f"models:/{NAME}@champion", "--data", str(data), "--as-of", AS_OF,
                    "--output", str(work / "scores_spark")]  # fmt: skip
            try:
                app(args, standalone_mode=False)
            except SystemExit as stop:
                if stop.code:
                    raise
            import pyarrow.parquet as pq

            out["rows"] = pq.ParquetDataset(work / "scores_spark").read(columns=["id"]).num_rows
        elif step == "pandas":
            import numpy as np

            from predictive_leads.explain import scored_with_reasons
            from predictive_leads.serving import registry

            scorer = registry.load_scorer(f"models:/{NAME}@champion", store=work / "store")
            frame = pd.read_parquet(work / "frame_duckdb.parquet")
            expected = scored_with_reasons(scorer, frame).reset_index(drop=True)
            out["seconds_scoring"] = time.perf_counter() - start
            got = pd.read_parquet(work / "scores_spark").set_index("id").loc[frame["lead_id"]].reset_index()
            differ = {"probability": int((~np.isclose(got["probability"], expected["probability"], rtol=0,
                                                      atol=1e-12)).sum())}  # fmt: skip
            for c in ("score", "grade", "stage", "reason_1", "reason_code_1", "reasons_json"):
                differ[c] = int((got[c].astype(str).to_numpy() != expected[c].astype(str).to_numpy()).sum())
            out["equal"] = not any(differ.values())
            out["rows_differing"] = {c: n for c, n in differ.items() if n}
            if not out["equal"]:
                c = next(c for c, n in differ.items() if n)
                at = np.flatnonzero(got[c].astype(str).to_numpy() != expected[c].astype(str).to_numpy())[:3]
                out["examples"] = [(str(got[c].iloc[i])[:120], str(expected[c].iloc[i])[:120]) for i in at]
            out["rows"] = len(frame)
        out["seconds"] = time.perf_counter() - start
    out["peak_mib"] = peak.peak / 2**20
    return out


def prepare_model(store: Path, seed: int) -> None:
    """A model on a 20k world of the same generator, registered as ``NAME@champion`` in ``store``."""
    from _common import synthetic_training_set

    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.serving import registry

    data, features = synthetic_training_set(20_000, seed)
    scorer = LeadScorer(time_column="as_of").fit(data[[*features, "as_of"]], data["converted"])
    mlflow = registry._mlflow(store)
    with mlflow.start_run(experiment_id=registry._experiment_id(mlflow, "bench-spark")) as run:
        registry.log_pyfunc(scorer, dataset={"feature_config": data.attrs["predictive_leads"]["feature_config"]})
    version = registry.register(run.info.run_id, NAME, store=store)
    mlflow.MlflowClient().set_registered_model_alias(NAME, registry.CHAMPION, version)


def run(step: str, args, work: Path, env: dict) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", step, "--data", str(args.data), "--work",
           str(work), "--driver-memory", args.driver_memory]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-6000:])
        raise SystemExit(f"bench_spark: step {step} failed (exit {proc.returncode})")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"{step:>8}: {result['seconds']:8.1f} s  peak {result['peak_mib']:8,.0f} MiB  "
        + "  ".join(f"{k} {v}" for k, v in result.items() if k not in ("step", "seconds", "peak_mib")),
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="World folder (made if it holds no events.parquet)")
    parser.add_argument("--n-leads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--driver-memory", default="8g", help="spark.driver.memory of the local session")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.data, args.work, args.driver_memory)))
        return

    args.data = args.data or Path(tempfile.mkdtemp(prefix="bench-spark-world-"))
    if not (args.data / "events.parquet").exists():
        write_world_apart(args.data, n_leads=args.n_leads, seed=args.seed)
    import pyarrow.parquet as pq

    n_events = pq.read_metadata(args.data / "events.parquet").num_rows
    n_leads = pq.read_metadata(args.data / "leads.parquet").num_rows
    print(f"world: {n_leads:,} leads, {n_events:,} events; as_of {AS_OF}; local[2], driver {args.driver_memory}")
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        work, store = Path(tmp), Path(tmp) / "store"
        from predictive_leads.serving import registry

        env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
        env |= OFFLINE | {"MLFLOW_TRACKING_URI": registry.tracking_uri(store)}
        results = {step: run(step, args, work, env) for step in ("duckdb", "spark", "compare")}
        os.environ.update(env)
        prepare_model(store, args.seed)
        results |= {step: run(step, args, work, env) for step in ("job", "pandas")}
    duck, spark = results["duckdb"], results["spark"]
    print(f"\nfeatures: Spark {n_events / spark['seconds'] / 1e6:.2f}M events/s ({spark['seconds']:.0f} s, peak "
          f"{spark['peak_mib']:,.0f} MiB with the JVM) against DuckDB {n_events / duck['seconds'] / 1e6:.2f}M "
          f"({duck['seconds']:.0f} s, {duck['peak_mib']:,.0f} MiB): {duck['seconds'] / spark['seconds']:.2f}x; "
          f"equal: {results['compare']['equal']}")  # fmt: skip
    job, local = results["job"], results["pandas"]
    print(f"job: score-spark {job['rows']:,} leads in {job['seconds']:.0f} s (features and spark_udf, peak "
          f"{job['peak_mib']:,.0f} MiB with the JVM); in process, scored_with_reasons of the DuckDB frame "
          f"{local['rows'] / local['seconds_scoring']:,.0f} rows/s; equal: {local['equal']}")  # fmt: skip
    print("SUMMARY " + json.dumps({"leads": n_leads, "events": n_events, **results}))


if __name__ == "__main__":
    main()
