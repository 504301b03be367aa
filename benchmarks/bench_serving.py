"""Benchmark the served model: latency and throughput of ``mlflow models serve`` on 127.0.0.1, for both inputs.

Trains a default ``LeadScorer`` on a generated world (monthly snapshots), logs it with its feature config (so it
scores raw leads too) and registers it in a temporary embedded MLflow store (alias ``champion``), starts
``predictive_leads.serving.registry.serve_command`` for ``models:/bench-leads@champion`` in its own session with
``--workers`` uvicorn workers, warms it up, then, for each input,

* **derived**: one row of the feature pipeline's frame (the 122 features), and
* **raw**: one lead's record as the CRM holds it with 50 events (its own before as_of, the latest 50, padded with
  page views when it had fewer) and an as_of — features built inside the server by the batch pipeline's code,
* or, with ``--flat-export Leads.csv``, a model trained as ``train --flat-export`` trains it and the export's own
  rows as raw requests (text as exported: placeholders, numbers as text),

sends single-lead requests from 1, 8 and 50 concurrent clients (``--requests`` each level; a fresh connection per
request) and prints p50/p99 latency, requests/s and errors. For reference, in the same run: the loaded pyfunc's
``predict`` for one lead in process (what a caller embedding the model pays). The server is stopped by its pid
(SIGTERM to its process group, then SIGKILL). Nothing leaves 127.0.0.1. It asserts nothing; the goals (issue #20):
raw lead with 50 events p50 <= 25 ms and p99 <= 60 ms with one client; 50 clients on 2 workers: 0 errors, p99 <= 1 s.

    .venv/bin/python benchmarks/bench_serving.py                  # 20k leads, 200 requests a level: ~5 minutes
    .venv/bin/python benchmarks/bench_serving.py --workers 2      # two uvicorn workers
    .venv/bin/python benchmarks/bench_serving.py --workers 2 --flat-export ../shared/datasets/x_education/Leads.csv
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
from _common import Timer, goal_word  # noqa: E402

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


EVENTS_PER_LEAD = 50
AS_OF = "2026-06-01"


def raw_bodies(world, n: int, seed: int) -> list[bytes]:
    """``n`` raw single-lead requests: leads open at AS_OF, each with exactly EVENTS_PER_LEAD events."""
    from predictive_leads.data.spec import synthetic_spec
    from predictive_leads.serving.raw_request import request_records

    open_ids = set(world.leads.loc[world.leads["created_at"] < AS_OF, "lead_id"]) - set(
        world.conversions.loc[world.conversions["converted_at"] < AS_OF, "lead_id"])  # fmt: skip
    ids = pd.Series(sorted(open_ids)).sample(n, replace=len(open_ids) < n, random_state=seed)
    leads = world.leads.set_index("lead_id").loc[ids].reset_index()
    events = world.events[world.events["lead_id"].isin(set(ids))]
    records = {r["lead_id"]: r for r in request_records({"leads": leads, "events": events}, synthetic_spec(),
                                                        as_of=AS_OF)}  # fmt: skip
    bodies = []
    for lead_id in ids:
        record = records[lead_id]
        own = record["events"][-EVENTS_PER_LEAD:]
        pad = [{"ts": (pd.Timestamp("2026-05-01", tz="UTC") + pd.Timedelta(minutes=i)).isoformat(), "type": "page_view"}
               for i in range(EVENTS_PER_LEAD - len(own))]  # fmt: skip
        bodies.append(json.dumps({"dataframe_records": [record | {"events": own + pad}]}).encode())
    return bodies


def derived_bodies(data: pd.DataFrame, scorer, n: int, seed: int) -> list[bytes]:
    leads = data.sample(n, replace=len(data) < n, random_state=seed)
    split = json.loads(to_model_input(leads, scorer).to_json(orient="split", index=False))
    return [json.dumps({"dataframe_split": {"columns": split["columns"], "data": [row]}}).encode()
            for row in split["data"]]  # fmt: skip


def load_level(port: int, bodies: list[bytes], clients: int) -> dict:
    """Send ``bodies`` from ``clients`` threads; latency percentiles, requests/s and errors."""
    with ThreadPoolExecutor(max_workers=clients) as pool:
        t0 = time.perf_counter()
        results = list(pool.map(lambda b: timed_request(port, b), bodies))
        wall = time.perf_counter() - t0
    p = percentiles([s for s, _ in results])
    return {"clients": clients, "requests": len(bodies), "rps": len(bodies) / wall,
            "errors": sum(not ok for _, ok in results), **p}  # fmt: skip


def synthetic_model(args, total: int):
    """A default model on a generated world, and single-lead request bodies: derived features and raw leads."""
    from predictive_leads.features import build_training_set, feature_columns
    from predictive_leads.features.pipeline import ATTRS_KEY
    from predictive_leads.synth import generate_world

    with Timer() as t_data:
        world = generate_world(n_leads=args.n_leads, seed=args.seed)
        data = build_training_set(world.leads, world.events, world.conversions,
                                  as_of=pd.date_range("2025-06-01", "2026-03-01", freq="MS", tz="UTC"),
                                  observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
        features = feature_columns(data)
    with Timer() as t_fit:
        scorer = LeadScorer(time_column="as_of").fit(data[[*features, "as_of"]], data["converted"])
    print(f"world: {args.n_leads} leads, {len(data)} training rows ({t_data.wall:.1f} s); model: "
          f"{scorer.booster_.num_trees()} trees, {len(features)} features, fit {t_fit.wall:.1f} s")  # fmt: skip
    inputs = {"derived": derived_bodies(data, scorer, total, args.seed), "raw": raw_bodies(world, total, args.seed)}
    return scorer, {"feature_config": data.attrs[ATTRS_KEY]["feature_config"]}, inputs


def flat_model(args, total: int):
    """A model trained as ``train --flat-export`` trains it (audit, drops, calibration), and request bodies of the
    export's own rows as the CRM holds them (text as exported, the target left out)."""
    from predictive_leads.training.workflow import load_training_frame, train_model

    with Timer() as t_fit:
        frame, roles = load_training_frame(args.flat_export, target=args.target, flat_export=True, id_col=args.id_col)
        result = train_model(frame, n_boot=20, report=False, learned_scorecard=False, **roles)
    print(f"{Path(args.flat_export).name}: {len(frame)} rows; model: {result.model.booster_.num_trees()} trees, "
          f"{len(result.model.feature_names_in_)} features, trained in {t_fit.wall:.1f} s")  # fmt: skip
    rows = pd.read_csv(args.flat_export, dtype=str, keep_default_na=False).drop(columns=[args.target])
    rows = rows.sample(total, replace=len(rows) < total, random_state=args.seed)
    bodies = [json.dumps({"dataframe_records": [{k: (v if v != "" else None) for k, v in r.items()}]}).encode()
              for r in rows.to_dict("records")]  # fmt: skip
    return result.model, result.dataset, {"flat row": bodies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-leads", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--requests", type=int, default=200, help=f"requests per level (at most {MAX_REQUESTS})")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 50])
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--flat-export", help="serve a model trained on this flat export (e.g. X Education's "
                        "Leads.csv) and send its raw rows, instead of the synthetic world")  # fmt: skip
    parser.add_argument("--target", default="Converted")
    parser.add_argument("--id-col", default="Prospect ID")
    args = parser.parse_args()
    n = min(args.requests, MAX_REQUESTS)
    total = args.warmup + n * len(args.clients)
    scorer, dataset, inputs = flat_model(args, total) if args.flat_export else synthetic_model(args, total)

    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        store = Path(tmp) / "store"
        mlflow = registry._mlflow(store)
        with mlflow.start_run(experiment_id=registry._experiment_id(mlflow, "bench")) as run:
            registry.log_pyfunc(scorer, dataset=dataset)
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
        print(f"server (pid {proc.pid}, {args.workers} worker(s)) ready in {t_start.wall:.1f} s on 127.0.0.1:{port}; "
              f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")  # fmt: skip
        try:
            for kind, bodies in inputs.items():
                warm_errors = sum(not timed_request(port, b)[1] for b in bodies[: args.warmup])
                rest = bodies[args.warmup :]
                results[kind] = [load_level(port, rest[i * n : (i + 1) * n], c) for i, c in enumerate(args.clients)]
                results[kind][0]["errors"] += warm_errors
        finally:
            stop(proc)
        gone = proc.returncode is not None

    local_ms = {kind: in_process_ms(lambda b=bodies[0]: pyfunc.predict(_frame(b))) for kind, bodies in inputs.items()}
    print(f"\n{'input':9} {'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6}   in process (pyfunc.predict, 1 lead)")  # fmt: skip
    for kind, levels in results.items():
        for r in levels:
            print(f"{kind:9} {r['clients']:>7} {r['requests']:>8} {r['rps']:>7.1f} {r['p50']:>8.1f} {r['p95']:>8.1f} "
                  f"{r['p99']:>8.1f} {r['errors']:>6}   {local_ms[kind]:.1f} ms")  # fmt: skip
    kind = "raw" if "raw" in results else next(iter(results))
    one, many = results[kind][0], results[kind][-1]
    print(f"\n{kind}, 1 client: p50 {one['p50']:.1f} ms (goal <= 25: {goal_word(one['p50'] <= 25)}), p99 "
          f"{one['p99']:.1f} ms (goal <= 60: {goal_word(one['p99'] <= 60)}); {many['clients']} clients on "
          f"{args.workers} worker(s): {many['errors']} errors, p99 {many['p99']:.0f} ms (goal 0 errors, <= 1000 ms: "
          f"{goal_word(many['errors'] == 0 and many['p99'] <= 1000)}); server process gone after stop: {gone}; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip


def _frame(body: bytes) -> pd.DataFrame:
    """A request body as the scoring server hands it to the model."""
    payload = json.loads(body)
    if "dataframe_split" in payload:
        return pd.DataFrame(**payload["dataframe_split"])
    return pd.DataFrame(payload["dataframe_records"])


if __name__ == "__main__":
    main()
