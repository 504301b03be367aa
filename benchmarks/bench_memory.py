"""Benchmark the memory budget (issue #25 item 3): ``predictive-leads build-dataset --scoring`` (or, with
``--training``, a 12-date training set) with and without
``--memory-budget``, end to end through the CLI, on a world's Parquet files; peak RSS against the events frame a
user would load instead.

Each measurement runs in a FRESH process (its peak RSS, ``VmHWM``, belongs to that run only):

* imports      the process once pandas, pyarrow, Ibis with DuckDB, pandera and the feature pipeline are imported:
               the baseline every "net" figure subtracts;
* events       the REFERENCE: ``pd.read_parquet(events.parquet)``, what a user would hold to do anything with the
               log in pandas; its ``memory_usage(deep=True)`` is "the events frame" of the goal;
* build        ``build-dataset --data DIR --as-of DATE --scoring --out F.parquet`` (the CLI's entry point called in
               the child, as the console script calls it), then the same with ``--memory-budget B`` for each budget.

It prints seconds, events/s, peak RSS, peak RSS net of the imports and that as a multiple of the events frame, the
lead partitions the budget asked for, and whether every budgeted output holds the same data as the unbudgeted one
(Parquet tables compared without their metadata, whose summary names the partitions). Goals of issue #25: net peak
<= 3x the events frame at ~10M events, and within the budget at 60M+ events. It asserts nothing.

    .venv/bin/python benchmarks/bench_memory.py --data DIR --budget 1GB              # a world already written
    .venv/bin/python benchmarks/bench_memory.py --n-leads 100000 --budget 768MB 1GB  # generate it first (~10M events)
    .venv/bin/python benchmarks/bench_memory.py --n-leads 640000 --budget 2GB        # ~62M events, ~4 GB to generate
    .venv/bin/python benchmarks/bench_memory.py --data DIR --training --budget 2GB   # a 12-date training set
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OtherLoad, peak_rss_mib, warm_page_cache, write_world_apart

MIB = 2**20
AS_OF = "2026-06-01"
TRAINING = ("2025-06-01", "2026-05-01")  # --training: 12 monthly as_of dates


def child(kind: str, data: Path, out: Path | None, budget: str | None, cores: int, training: bool) -> dict:
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) > cores:
        os.sched_setaffinity(0, allowed[:cores])
    import ibis
    import pandas as pd
    import pandera  # noqa: F401  (the contracts import it on first use)
    import pyarrow  # noqa: F401

    import predictive_leads.features  # noqa: F401

    ibis.duckdb  # noqa: B018  (the DuckDB backend, so the baseline includes it)
    out_ = {"kind": kind, "imports_mib": peak_rss_mib()}
    start = time.perf_counter()
    if kind == "events":
        events = pd.read_parquet(data / "events.parquet")
        out_.update(rows=len(events), frame_bytes=int(events.memory_usage(deep=True).sum()))
    elif kind == "build":
        from predictive_leads.cli.app import app

        what = (
            ["--every", "month", "--from", TRAINING[0], "--to", TRAINING[1]]
            if training
            else ["--as-of", AS_OF, "--scoring"]
        )
        args = ["build-dataset", "--data", str(data), *what, "--out", str(out)]
        try:
            app([*args, *(["--memory-budget", budget] if budget else [])], standalone_mode=False)
        except SystemExit as stop:  # a command that fails prints its one-line error and exits
            if stop.code:
                raise
    out_.update(seconds=time.perf_counter() - start, peak_mib=peak_rss_mib())
    return out_


def run_child(kind: str, data: Path, *, out: Path | None = None, budget: str | None = None, cores: int,
              training: bool = False) -> dict:  # fmt: skip
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--data", str(data), "--cores", str(cores)]
    cmd += ["--training"] if training else []
    cmd += [*(["--out", str(out)] if out else []), *(["--budget", budget] if budget else [])]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"bench_memory: child {kind} {budget or ''} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def same_data(a: Path, b: Path) -> bool:
    import pyarrow.parquet as pq

    return pq.read_table(a).replace_schema_metadata(None).equals(pq.read_table(b).replace_schema_metadata(None))


def partitions_of(path: Path) -> int:
    import pyarrow.parquet as pq

    attrs = json.loads(pq.read_schema(path).metadata[b"PANDAS_ATTRS"])
    return attrs["predictive_leads"]["summary"].get("lead_partitions", 1)


def prepare(args) -> Path:
    if args.data and (args.data / "events.parquet").exists():
        return args.data
    folder = args.data or Path(tempfile.mkdtemp(prefix="bench-memory-"))
    return write_world_apart(folder, n_leads=args.n_leads, seed=args.seed, activity=1.6)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="World folder (events.parquet, leads.parquet, ...); made if absent")
    parser.add_argument("--n-leads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", nargs="*", help="Memory budgets to measure (default: 1GB; e.g. 768MB 2GB)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--training", action="store_true", help="a 12-date training set instead of a scoring frame")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        budget = args.budget[0] if args.budget else None
        print(json.dumps(child(args.child, args.data, args.out, budget, args.cores, args.training)))
        return

    data = prepare(args)
    warm_page_cache(data / "events.parquet")
    load = OtherLoad()
    imports = run_child("imports", data, cores=args.cores)
    events = run_child("events", data, cores=args.cores)
    base = imports["peak_mib"]
    frame_mib = events["frame_bytes"] / MIB
    print(f"world: {data}  {events['rows']:,} events; events frame {frame_mib:,.1f} MiB "
          f"(pd.read_parquet: {events['seconds']:.2f} s, peak {events['peak_mib']:,.0f} MiB); "
          f"imports {base:,.0f} MiB; {args.cores} cores; "
          f"{'a 12-date training set' if args.training else 'a scoring frame'}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-memory-out-") as tmp:
        runs = []
        for budget in [None, *(args.budget or ["1GB"])]:
            out = Path(tmp) / f"frame-{budget or 'none'}.parquet"
            r = run_child("build", data, out=out, budget=budget, cores=args.cores, training=args.training)
            r.update(budget=budget, out=out, partitions=partitions_of(out))
            runs.append(r)
        same = {r["budget"]: same_data(runs[0]["out"], r["out"]) for r in runs[1:]}
    busy, wall = load.stop()
    print(f"\n{'budget':>8} {'seconds':>8} {'events/s':>10} {'peak MiB':>9} {'net MiB':>8} {'net / events':>13} "
          f"{'partitions':>10} {'same data':>9}  within budget")  # fmt: skip
    for r in runs:
        net = r["peak_mib"] - base
        within = "" if r["budget"] is None else ("yes" if r["peak_mib"] * MIB <= _bytes(r["budget"]) else "NO")
        print(f"{r['budget'] or 'none':>8} {r['seconds']:8.2f} {events['rows'] / r['seconds'] / 1e6:9.2f}M "
              f"{r['peak_mib']:9,.0f} {net:8,.0f} {net / frame_mib:12.2f}x {r['partitions']:10d} "
              f"{'' if r['budget'] is None else str(same[r['budget']]):>9}  {within}")  # fmt: skip
    print(f"\nother processes used {busy or 0:.0f} CPU-s of {wall * os.cpu_count():.0f} while this ran")
    print("SUMMARY " + json.dumps({"events": events["rows"], "events_frame_mib": round(frame_mib, 1),
                                   "imports_mib": round(base), "runs": [
                                       {k: (str(v) if k == "out" else v) for k, v in r.items() if k != "out"}
                                       for r in runs]}))  # fmt: skip


def _bytes(budget: str) -> int:
    from predictive_leads.features.partitions import parse_size

    return parse_size(budget)


if __name__ == "__main__":
    main()
