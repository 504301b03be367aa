"""Benchmark the served model: single-lead latency and throughput of ``mlflow models serve`` on 127.0.0.1.

Trains a default ``LeadScorer`` on a generated world (monthly snapshots), logs and registers it in a temporary
embedded MLflow store (alias ``champion``), starts ``predictive_leads.serving.registry.serve_command`` for
``models:/bench-leads@champion`` in its own session, warms it up, then measures

* sequential single-lead requests (``--requests``, a fresh connection each): p50/p95/p99 latency in ms;
* ``--clients`` concurrent clients sending ``--concurrent-requests`` single-lead requests: throughput and latency;
* for reference, in process: ``scored_with_reasons`` for one lead (a row of the feature pipeline's frame, and the
  same row as a plain frame, which is what the server builds from JSON) and the loaded pyfunc's ``predict``
  (schema enforcement included) for one lead.

The server is stopped by its pid (SIGTERM to its process group, then SIGKILL). Nothing leaves 127.0.0.1: MLflow
telemetry is off and the client is ``http.client`` (no proxy). It asserts nothing; the goal is p50 <= 25 ms.

    .venv/bin/python benchmarks/bench_serving.py                  # 20k leads, 500 requests: about two minutes
    .venv/bin/python benchmarks/bench_serving.py --workers 2      # two uvicorn workers
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

OFFLINE = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
os.environ.update(OFFLINE)  # before anything imports mlflow
for _var in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
    os.environ.pop(_var, None)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import Timer, synthetic_training_set  # noqa: E402

from predictive_leads.explain import scored_with_reasons  # noqa: E402
from predictive_leads.models.lead_scorer import LeadScorer  # noqa: E402
from predictive_leads.serving import registry  # noqa: E402
from predictive_leads.serving.pyfunc import to_model_input  # noqa: E402

NAME = "bench-leads"
MAX_REQUESTS = 5_000
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port: int, body: bytes, timeout: float = 60) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/invocations", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def ping(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/ping")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def start(cmd: list[str], env: dict, port: int, logs: Path) -> subprocess.Popen:
    with open(logs / "stderr.log", "wb") as err:
        proc = subprocess.Popen(cmd, env=env, cwd=logs, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        if ping(port):
            return proc
        time.sleep(0.5)
    stop(proc)
    tail = (logs / "stderr.log").read_text(errors="replace")[-3000:]
    raise SystemExit(f"server not ready on port {port} (exit code {proc.returncode}); stderr tail:\n{tail}")


def stop(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(STOP_TIMEOUT)
            return


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {f"p{q}": float(np.percentile(ms, q)) for q in (50, 95, 99)}


def fmt(p: dict[str, float]) -> str:
    return " ".join(f"{k} {v:.1f}" for k, v in p.items()) + " ms"


def timed_request(port: int, body: bytes) -> tuple[float, bool]:
    t0 = time.perf_counter()
    try:
        ok = post(port, body)[0] == 200
    except (OSError, http.client.HTTPException):
        ok = False
    return time.perf_counter() - t0, ok


def in_process_ms(fn, repeat: int = 30) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-leads", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--requests", type=int, default=500, help=f"sequential requests (at most {MAX_REQUESTS})")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--concurrent-requests", type=int, default=400, help=f"at most {MAX_REQUESTS}")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    n_seq, n_conc = min(args.requests, MAX_REQUESTS), min(args.concurrent_requests, MAX_REQUESTS)

    with Timer() as t_data:
        data, features = synthetic_training_set(args.n_leads, args.seed)
    with Timer() as t_fit:
        scorer = LeadScorer(time_column="as_of").fit(data[[*features, "as_of"]], data["converted"])
    print(f"world: {args.n_leads} leads, {len(data)} training rows ({t_data.wall:.1f} s); model: "
          f"{scorer.booster_.num_trees()} trees, {len(features)} features, fit {t_fit.wall:.1f} s")  # fmt: skip

    leads = data.sample(args.warmup + n_seq + n_conc, replace=len(data) < args.warmup + n_seq + n_conc,
                        random_state=args.seed)  # fmt: skip
    inputs = to_model_input(leads, scorer)
    split = json.loads(inputs.to_json(orient="split", index=False))
    bodies = [json.dumps({"dataframe_split": {"columns": split["columns"], "data": [row]}}).encode()
              for row in split["data"]]  # fmt: skip
    warm, seq, conc = bodies[: args.warmup], bodies[args.warmup : args.warmup + n_seq], bodies[args.warmup + n_seq :]

    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        store = Path(tmp) / "store"
        with Timer() as t_log:
            mlflow = registry._mlflow(store)
            with mlflow.start_run(experiment_id=registry._experiment_id(mlflow, "bench", store)) as run:
                registry.log_pyfunc(scorer)
            version = registry.register(run.info.run_id, NAME, store=store)
            mlflow.MlflowClient().set_registered_model_alias(NAME, registry.CHAMPION, version)
        uri = f"models:/{NAME}@{registry.CHAMPION}"
        pyfunc = mlflow.pyfunc.load_model(uri)
        env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
        path = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
        env |= OFFLINE | {"MLFLOW_TRACKING_URI": registry.tracking_uri(store), "PATH": path}
        port = free_port()
        with Timer() as t_start:
            proc = start(registry.serve_command(uri, port, workers=args.workers), env, port, Path(tmp))
        print(f"log + register {t_log.wall:.1f} s; server (pid {proc.pid}, {args.workers} worker(s)) ready in "
              f"{t_start.wall:.1f} s on 127.0.0.1:{port}; load average {os.getloadavg()[0]:.2f} on "
              f"{os.cpu_count()} cores")  # fmt: skip
        try:
            warm_errors = sum(not timed_request(port, b)[1] for b in warm)
            sequential = [timed_request(port, b) for b in seq]
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                t0 = time.perf_counter()
                concurrent = list(pool.map(lambda b: timed_request(port, b), conc))
                conc_wall = time.perf_counter() - t0
        finally:
            stop(proc)
        gone = proc.returncode is not None

    row = leads.iloc[[0]]
    plain = pd.DataFrame(json.loads(inputs.iloc[[0]].to_json(orient="split", index=False))["data"],
                         columns=inputs.columns).astype(inputs.dtypes.to_dict())  # fmt: skip
    swr_ms = in_process_ms(lambda: scored_with_reasons(scorer, row))
    swr_plain_ms = in_process_ms(lambda: scored_with_reasons(scorer, plain))
    pyfunc_ms = in_process_ms(lambda: pyfunc.predict(plain))

    seq_p = percentiles([s for s, _ in sequential])
    conc_p = percentiles([s for s, _ in concurrent])
    errors = warm_errors + sum(not ok for _, ok in sequential) + sum(not ok for _, ok in concurrent)
    throughput = len(conc) / conc_wall
    print(f"\nsequential, 1 lead per request, {len(seq)} requests: {fmt(seq_p)} "
          f"(mean {np.mean([s for s, _ in sequential]) * 1000:.1f} ms)")  # fmt: skip
    print(f"{args.clients} concurrent clients, {len(conc)} requests: {throughput:.1f} requests/s; {fmt(conc_p)}")
    print(f"in process, 1 lead: scored_with_reasons {swr_ms:.1f} ms (pipeline frame row), {swr_plain_ms:.1f} ms "
          f"(plain frame, as served); pyfunc.predict {pyfunc_ms:.1f} ms (schema check included)")  # fmt: skip
    print(f"errors {errors}; server process gone after stop: {gone}; goal p50 <= 25 ms: "
          f"{'met' if seq_p['p50'] <= 25 else 'NOT met'}")  # fmt: skip
    print(f"SUMMARY requests={len(seq)} p50_ms={seq_p['p50']:.1f} p95_ms={seq_p['p95']:.1f} p99_ms={seq_p['p99']:.1f} "
          f"clients={args.clients} throughput_rps={throughput:.1f} conc_p50_ms={conc_p['p50']:.1f} "
          f"inproc_swr_ms={swr_ms:.1f} inproc_swr_plain_ms={swr_plain_ms:.1f} inproc_pyfunc_ms={pyfunc_ms:.1f} "
          f"workers={args.workers} errors={errors} load={os.getloadavg()[0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
