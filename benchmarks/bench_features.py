"""Benchmark the point-in-time feature pipeline on DuckDB, with an in-run reference.

Generates a synthetic world (or reuses one with ``--data DIR``), writes it to Parquet, frees it, and then
measures, each in a FRESH subprocess so that its peak RSS belongs to that measurement only (``VmHWM`` on
Linux, see :func:`peak_rss_mib`; ``ru_maxrss`` elsewhere):

* scoring (path)    ``build_scoring_frame(leads, "events.parquet", as_of=..., conversions=conv, now=...)``:
                    leads and conversions read with pandas, the events passed as a Parquet path that
                    DuckDB scans directly -- the realistic batch-scoring path (as the CLI does it);
* scoring (pandas)  the same, with the events first read into a pandas frame (``pd.read_parquet``); this
                    frame's ``memory_usage(deep=True)`` is "the events' in-memory size";
* training (path)   ``build_training_set(...)`` with twelve monthly as_of dates, 90-day horizon, events
                    passed as a Parquet path;
* scoring (3 sources) the scoring frame from the same events split into three Parquet files in a CRM's own
                    layout (marketing touches, web activity, sales activities: own column names), declared as
                    three event sources of a dataset spec (:class:`DeclaredEvents`): the any-CRM path;

and, in the same run on the same machine, a REFERENCE (also one fresh subprocess each):

* parquet read      ``pq.read_table("events.parquet")`` into Arrow (all columns) -- the floor for any
                    pipeline that starts from the file; also gives the Arrow size ``pa.Table.nbytes``;
* pandas groupby    ``pd.read_parquet`` of the events, then counts per (lead_id, event_type) of the events
                    in the 30 days before as_of -- the "plain pandas" way of computing a feature.

Events/s is always the number of events in the file divided by the seconds of the measured call. Inside
each pipeline child the pipeline's own functions are wrapped with timers (nothing else changes), so the
output also says where the time and the memory go: DuckDB queries, pandas post-processing, lead
attributes, validation. The CPU time other processes took during the run is printed, because on a shared
machine it makes every timing pessimistic (``--repeat N`` keeps the fastest of N runs). The script prints
pipeline / reference ratios, peak RSS / events in-memory size, and whether the two goals of the feature
pipeline (>= 4M events/s on 2 cores; peak RSS <= 1.5x the events' in-memory size) are met. Each child
runs on ``--cores`` CPUs (affinity-pinned when the machine has more). This is a benchmark, not a test:
it asserts nothing.

    .venv/bin/python benchmarks/bench_features.py --n-leads 20000       # quick: ~2M events, well under a minute
    .venv/bin/python benchmarks/bench_features.py                       # 100k leads, ~10M events: ~2 min
    .venv/bin/python benchmarks/bench_features.py --data data/raw/bench-features --json bench-features.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import MIB, OtherLoad, Timer, fmt_int, goal_word, peak_rss_mib, warm_page_cache

GOAL_EVENTS_PER_S = 4_000_000
GOAL_RSS_RATIO = 1.5
GOAL_TRAINING_RATIO = 0.5  # issue #25: a 12-date training set at >= half the scoring frame's events/s
ISSUE_PARQUET_EVENTS_PER_S = "9-12M"
ISSUE_PANDAS_EVENTS_PER_S = "~2.5M"

SCORING_AS_OF = "2026-06-01"
TRAINING_FIRST, TRAINING_LAST = "2025-06-01", "2026-05-01"
HORIZON_DAYS = 90
WINDOW_DAYS = 30

QUALITY_QUERY = "quality scan (DuckDB -> Arrow -> pandas)"
FEATURE_QUERY = "feature queries (DuckDB -> Arrow)"
ENGINE_THREAD = "  [engine thread]"

# Functions of the pipeline wrapped with timers in the measurement children (see Phases). Each entry:
# (module, attribute, label). The wrappers only time the calls; they change nothing else. A name the
# module no longer has is skipped, and its time shows up under "other".
PHASES = (
    ("pipeline", "_prepare", "validate leads + conversions (contracts)"),
    ("pipeline", "build_spine", "build spine"),
    ("pipeline", "label_spine", "label spine"),
    ("pipeline", "_skipped_leads", "count skipped leads"),
    ("engine", "connect", "connect DuckDB"),
    ("engine", "events_table", "events -> Ibis table"),
    ("engine", "spine_table", "spine / lead ids -> Arrow memtable"),
    ("pipeline", "_quality", "quality scan: build expressions, read events"),
    ("engine", "to_pandas", "query"),  # both labelled by their caller: the quality scan or the feature queries
    ("engine", "to_arrow", "query"),
    ("pipeline", "event_aggregates", "feature queries: build expressions"),
    ("pipeline", "period_aggregates", "period queries: build expressions"),
    ("pipeline", "finish_event_features", "assemble behaviour columns (pandas)"),
    ("pipeline", "with_bursts", "bursts into the frame"),
    ("pipeline", "_order", "order columns + reset index"),
    ("pipeline", "_lead_columns", "lead columns: attributes, qualification, age"),
    ("pipeline", "lead_attributes", "lead attributes (pandas)"),
    ("pipeline", "_qualification_as_of", "qualification scores as of (pandas)"),
    ("pipeline", "type_counts", "unpack by-type aggregate (NumPy)"),
    ("pipeline", "day_activity", "unpack day masks (NumPy)"),
    ("pipeline", "period_type_counts", "spread + carry the periods by type (NumPy)"),
    ("pipeline", "period_activity", "spread + carry the periods' active days (NumPy)"),
)


# ------------------------------------------------------------------------------------------ helpers


class Phases:
    """Exclusive wall time and peak-RSS rise per pipeline phase, by wrapping the functions in PHASES.

    Each thread keeps its own stack. Nested wrapped calls are subtracted from their caller, so the figures of
    the calling thread add up to the total (its waits for query results are in "other"); the pipeline runs its
    queries on an engine thread at the same time, so those phases are reported apart. A query
    (``engine.to_pandas`` / ``to_arrow``) is labelled by its caller: inside ``_quality`` it is the quality scan.
    Peak-RSS rises are attributed to whichever phase was running when the peak moved, so with two threads they
    are approximate.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rss_rise: dict[str, float] = {}
        self.on_engine_thread: set[str] = set()
        self._local = threading.local()

    def install(self) -> None:
        from predictive_leads.features import engine, pipeline

        modules = {"pipeline": pipeline, "engine": engine}
        for mod_name, attr, label in PHASES:
            module = modules[mod_name]
            if callable(getattr(module, attr, None)):
                setattr(module, attr, self._wrap(getattr(module, attr), attr, label))

    def _wrap(self, fn, attr: str, label: str):
        def wrapper(*args, **kwargs):
            stack = self._local.__dict__.setdefault("stack", [])
            if attr in ("to_pandas", "to_arrow"):
                inside_quality = any(frame[0] == "_quality" for frame in stack)
                name = QUALITY_QUERY if inside_quality else FEATURE_QUERY
            else:
                name = label
            if threading.current_thread().name.startswith("predictive-leads-engine"):
                self.on_engine_thread.add(name)
            entry = [attr, time.perf_counter(), peak_rss_mib(), 0.0, 0.0]  # attr, t0, rss0, child s, child rss
            stack.append(entry)
            try:
                return fn(*args, **kwargs)
            finally:
                stack.pop()
                elapsed = time.perf_counter() - entry[1]
                rise = peak_rss_mib() - entry[2]
                self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - entry[3]
                self.rss_rise[name] = self.rss_rise.get(name, 0.0) + rise - entry[4]
                if stack:
                    stack[-1][3] += elapsed
                    stack[-1][4] += rise

        return wrapper

    def report(self, total_s: float, total_rise: float) -> dict:
        out = {}
        for name, seconds in self.seconds.items():
            label = name + (ENGINE_THREAD if name in self.on_engine_thread else "")
            out[label] = {"s": seconds, "rss_rise_mib": self.rss_rise.get(name, 0.0)}
        calling = [k for k in self.seconds if k not in self.on_engine_thread]
        out["other (waits for the engine, merges, labels, summary)"] = {
            "s": total_s - sum(self.seconds[k] for k in calling),
            "rss_rise_mib": total_rise - sum(self.rss_rise.values()),
        }
        return out


def pin_cores(cores: int) -> tuple[int, bool]:
    """Run this process on ``cores`` CPUs. Returns (CPUs available, whether pinning was needed)."""
    if not hasattr(os, "sched_getaffinity"):
        return os.cpu_count() or 1, False
    allowed = sorted(os.sched_getaffinity(0))
    if cores >= len(allowed):
        return len(allowed), False
    os.sched_setaffinity(0, allowed[:cores])
    return cores, True


# ------------------------------------------------------------------------------------------ children
# Each child runs in its own interpreter, prints one JSON line on stdout and exits.


def child(kind: str, data: Path, *, cores: int, now: str, memory_limit: str | None) -> dict:
    n_cpus, pinned = pin_cores(cores)
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if pinned:
        pa.set_cpu_count(n_cpus)
    events_path = data / "events.parquet"
    out: dict = {"kind": kind, "cpus": n_cpus, "pinned": pinned}

    if kind == "parquet_read":
        out["rss_baseline_mib"] = peak_rss_mib()
        with Timer() as t:
            table = pq.read_table(events_path)
        out.update(
            seconds=t.wall,
            cpu_s=t.cpu,
            rows=table.num_rows,
            arrow_bytes=table.nbytes,
            arrow_buffer_bytes=table.get_total_buffer_size(),
        )
        out["peak_rss_mib"] = peak_rss_mib()
        return out

    if kind == "pandas_groupby":
        out["rss_baseline_mib"] = peak_rss_mib()
        as_of = pd.Timestamp(SCORING_AS_OF, tz="UTC")
        with Timer() as t_read:
            events = pd.read_parquet(events_path)
        with Timer() as t_group:
            recent = events[(events["ts"] >= as_of - pd.Timedelta(days=WINDOW_DAYS)) & (events["ts"] < as_of)]
            counts = recent.groupby(["lead_id", "event_type"], observed=True).size()
        out.update(
            read_s=t_read.wall,
            groupby_s=t_group.wall,
            seconds=t_read.wall + t_group.wall,
            cpu_s=t_read.cpu + t_group.cpu,
            rows=len(events),
            events_in_window=len(recent),
            groups=len(counts),
        )
        out["peak_rss_mib"] = peak_rss_mib()
        return out

    # pipeline children: import everything the pipeline needs before the baseline
    import ibis

    from predictive_leads.features import build_scoring_frame, build_training_set
    from predictive_leads.features import engine as engines

    ibis.duckdb  # noqa: B018  (load the DuckDB backend now, so the baseline includes it)
    import pandera  # noqa: F401  (the contracts import it lazily on first validate)

    out["rss_baseline_mib"] = peak_rss_mib()
    # The pipeline connects with its defaults inside the timed call; with --memory-limit the connection (with
    # that DuckDB memory limit) is made here instead, outside the call (~0.02 s).
    engine = engines.connect("duckdb", threads=n_cpus, memory_limit=memory_limit) if memory_limit else "duckdb"
    phases = Phases()
    phases.install()
    now_ts = pd.Timestamp(now)

    with Timer() as t_inputs:
        leads = pd.read_parquet(data / "leads.parquet")
        conversions = pd.read_parquet(data / "conversions.parquet")
    out["read_inputs_s"] = t_inputs.wall
    if kind == "scoring_pandas":
        with Timer() as t_events:
            events = pd.read_parquet(events_path)
        out["read_events_s"] = t_events.wall
        out["events_frame_bytes"] = int(events.memory_usage(deep=True).sum())
        used = [c for c in engines.EVENT_COLUMNS if c in events.columns]
        out["events_frame_pipeline_columns_bytes"] = int(events[used].memory_usage(deep=True).sum())
    elif kind == "scoring_sources":
        events = declared_sources(data)
    else:
        events = str(events_path)
    rss_before = peak_rss_mib()

    with Timer() as t:
        if kind == "training_path":
            as_of = pd.date_range(TRAINING_FIRST, TRAINING_LAST, freq="MS", tz="UTC")
            frame = build_training_set(
                leads,
                events,
                conversions,
                as_of=as_of,
                horizon_days=HORIZON_DAYS,
                observed_until=now_ts,
                engine=engine,
                now=now_ts,
            )
        else:
            frame = build_scoring_frame(
                leads,
                events,
                as_of=pd.Timestamp(SCORING_AS_OF, tz="UTC"),
                conversions=conversions,
                engine=engine,
                now=now_ts,
            )
    out.update(
        seconds=t.wall,
        cpu_s=t.cpu,
        frame_rows=len(frame),
        frame_columns=frame.shape[1],
        frame_bytes=int(frame.memory_usage(deep=True).sum()),
    )
    out["peak_rss_mib"] = peak_rss_mib()
    out["phases"] = phases.report(t.wall, out["peak_rss_mib"] - rss_before)
    return out


def run_child(kind: str, data: Path, *, cores: int, now: str, repeat: int, memory_limit: str | None) -> dict:
    """Run one measurement ``repeat`` times, each in a fresh interpreter: fastest time, highest peak RSS."""
    runs = []
    for _ in range(repeat):
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            kind,
            "--data",
            str(data),
            "--cores",
            str(cores),
            "--now",
            now,
            *(["--memory-limit", memory_limit] if memory_limit else []),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            raise SystemExit(f"bench_features: child {kind!r} failed with exit code {proc.returncode}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    best["all_seconds"] = [r["seconds"] for r in runs]
    return best


# ------------------------------------------------------------------------------------------ three sources

SOURCES = {  # source → (its event types, its own column names for lead, time and type)
    "marketing": (("email_open", "email_click", "email_reply", "email_bounce", "unsubscribe", "newsletter_subscribe",
                   "webinar_registered", "webinar_attended"), ("contact_ref", "sent_at", "touch")),
    "web": (("page_view", "pricing_page_view", "product_page_view", "case_study_download", "ebook_download",
             "form_submit", "chat_started"), ("visitor", "hit_time", "action")),
    "sales": (("demo_request", "free_trial_start", "meeting_scheduled", "meeting_cancelled"),
              ("who", "activity_date", "activity")),
}  # fmt: skip


def write_sources(folder: Path) -> None:
    """Split ``events.parquet`` into the three source files of :data:`SOURCES` (once per world folder)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = folder / "sources"
    if out.exists():
        return
    events = pq.read_table(folder / "events.parquet", columns=["lead_id", "ts", "event_type", "url"])
    kind = pc.cast(events["event_type"], "string")
    out.mkdir()
    for source, (types, (key, time_, type_)) in SOURCES.items():
        part = events.filter(pc.is_in(kind, value_set=pa.array(types)))
        pq.write_table(part.rename_columns([key, time_, type_, "page"]), out / f"{source}.parquet")


def declared_sources(folder: Path):
    """The three source files as a dataset spec's declared events (read by the engine straight from Parquet)."""
    from predictive_leads.data.spec import EventSource
    from predictive_leads.data.spec_tables import DeclaredEvents

    sources = tuple(EventSource(name=s, table=s, key=key, timestamp=time_, type=(type_,), url="page")
                    for s, (_, (key, time_, type_)) in SOURCES.items())  # fmt: skip
    return DeclaredEvents(sources, {s: str(folder / "sources" / f"{s}.parquet") for s in SOURCES})


# ------------------------------------------------------------------------------------------ main


def prepare_world(args) -> tuple[Path, Path | None, float | None]:
    """The folder with the world's Parquet files (generated unless --data already holds one)."""
    if args.data is not None and (args.data / "events.parquet").exists():
        print(f"world: reusing {args.data} (--n-leads/--activity/--seed ignored)", flush=True)
        return args.data, None, None
    from predictive_leads.synth import SynthConfig, generate_world, write_world

    tmp = None
    folder = args.data
    if folder is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-features-"))
        folder = tmp / "world"
    start = time.perf_counter()
    world = generate_world(SynthConfig(n_leads=args.n_leads, seed=args.seed, activity=args.activity))
    write_world(world, folder)
    del world  # measurements start from the files
    gc.collect()
    seconds = time.perf_counter() - start
    print(f"world: generated and written in {seconds:.1f} s", flush=True)
    return folder, tmp, seconds


def observed_until(folder: Path) -> str:
    """The world's end of observation (manifest), else the latest event timestamp in the file."""
    from predictive_leads.data.files import read_manifest

    meta = read_manifest(folder)
    if meta.get("observed_until"):
        return str(meta["observed_until"])
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    latest = pc.max(pq.read_table(folder / "events.parquet", columns=["ts"])["ts"]).as_py()
    return latest.isoformat()


def warm_folder(folder: Path) -> None:
    """Read the Parquet files once, so every measurement sees the same (warm) page cache."""
    for path in folder.glob("**/*.parquet"):
        warm_page_cache(path)


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-leads", type=int, default=100_000, help="leads to generate (default 100_000)")
    parser.add_argument("--activity", type=float, default=1.6, help="generator activity (default 1.6: ~97 events/lead)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="reuse the world in DIR if it has events.parquet, else generate it there and keep it",
    )
    parser.add_argument("--cores", type=int, default=2, help="CPUs each measurement may use (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement: fastest time, highest RSS")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument(
        "--memory-limit",
        default=None,
        metavar="SIZE",
        help="DuckDB memory limit for the pipeline runs, e.g. 128MB or 2GB (default: DuckDB's own)",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--now", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.child, args.data, cores=args.cores, now=args.now, memory_limit=args.memory_limit)))
        return None

    import duckdb
    import ibis
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    print(
        f"bench_features: n_leads={fmt_int(args.n_leads)} activity={args.activity} seed={args.seed} "
        f"cores={args.cores} | python {platform.python_version()}, pandas {pd.__version__}, "
        f"pyarrow {pa.__version__}, duckdb {duckdb.__version__}, ibis {ibis.__version__}, "
        f"{os.cpu_count()} CPUs | DuckDB memory limit {args.memory_limit or 'DuckDB default'}",
        flush=True,
    )
    folder, tmp, world_s = prepare_world(args)
    try:
        events_path = folder / "events.parquet"
        meta = pq.ParquetFile(events_path).metadata
        n_events = meta.num_rows
        n_leads = pq.ParquetFile(folder / "leads.parquet").metadata.num_rows
        parquet_bytes = events_path.stat().st_size
        now = observed_until(folder)
        print(f"events: {fmt_int(n_events)} in {parquet_bytes / MIB:.1f} MiB of Parquet; now = {now}", flush=True)
        write_sources(folder)
        warm_folder(folder)
        others = OtherLoad()

        measured = {}
        plan = [
            ("parquet_read", "reference: pq.read_table(events)"),
            ("pandas_groupby", "reference: pandas read + 30-day groupby"),
            ("scoring_path", "scoring frame, events as Parquet path"),
            ("scoring_pandas", "scoring frame, events as pandas frame"),
            ("training_path", "training set, 12 as_of, events as path"),
            ("scoring_sources", "scoring frame, 3 declared event sources"),
        ]
        for kind, label in plan:
            r = run_child(kind, folder, cores=args.cores, now=now, repeat=args.repeat, memory_limit=args.memory_limit)
            measured[kind] = r
            print(
                f"  {label:<42}{r['seconds']:8.2f} s   {n_events / r['seconds']:>12,.0f} events/s   "
                f"peak RSS {r['peak_rss_mib']:7,.0f} MiB",
                flush=True,
            )
        other_cpu_s, window_s = others.stop()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    pr, gb = measured["parquet_read"], measured["pandas_groupby"]
    sp, sd, tr = measured["scoring_path"], measured["scoring_pandas"], measured["training_path"]
    ss = measured["scoring_sources"]
    frame_bytes = sd["events_frame_bytes"]
    arrow_bytes = pr["arrow_bytes"]

    def eps(r: dict) -> float:
        return n_events / r["seconds"]

    def entry(r: dict) -> dict:
        return {
            **r,
            "events_per_s": eps(r),
            "peak_rss_over_events_frame": r["peak_rss_mib"] * MIB / frame_bytes,
            "peak_rss_over_events_arrow": r["peak_rss_mib"] * MIB / arrow_bytes,
            "net_rss_over_events_frame": (r["peak_rss_mib"] - r["rss_baseline_mib"]) * MIB / frame_bytes,
        }

    pipelines = {"scoring_path": sp, "scoring_pandas": sd, "training_path": tr, "scoring_sources": ss}
    rss_limit_mib = GOAL_RSS_RATIO * frame_bytes / MIB
    goals = {
        "events_per_s_goal": GOAL_EVENTS_PER_S,
        "rss_ratio_goal": GOAL_RSS_RATIO,
        "rss_limit_mib": rss_limit_mib,
        **{f"throughput_met_{k}": eps(r) >= GOAL_EVENTS_PER_S for k, r in pipelines.items()},
        **{f"rss_met_{k}": r["peak_rss_mib"] <= rss_limit_mib for k, r in pipelines.items()},
        "training_vs_scoring_goal": GOAL_TRAINING_RATIO,
        "training_vs_scoring": eps(pipelines["training_path"]) / eps(pipelines["scoring_path"]),
    }
    figures = {
        "date": dt.date.today().isoformat(),
        "n_leads": n_leads,
        "events": n_events,
        "events_per_lead": n_events / n_leads,
        "seed": args.seed,
        "activity": args.activity,
        "cores": args.cores,
        "repeat": args.repeat,
        "world_generate_and_write_s": world_s,
        "other_processes_cpu_s": other_cpu_s,
        "measurement_window_s": window_s,
        "scoring_as_of": SCORING_AS_OF,
        "training_as_of": [TRAINING_FIRST, TRAINING_LAST, "monthly"],
        "now": now,
        "events_parquet_bytes": parquet_bytes,
        "events_frame_bytes": frame_bytes,
        "events_frame_pipeline_columns_bytes": sd["events_frame_pipeline_columns_bytes"],
        "events_arrow_bytes": arrow_bytes,
        "reference_parquet_read": entry(pr),
        "reference_pandas_groupby": entry(gb),
        **{k: entry(r) for k, r in pipelines.items()},
        "ratio_scoring_path_to_parquet_read": eps(sp) / eps(pr),
        "ratio_scoring_path_to_pandas_groupby": eps(sp) / eps(gb),
        "ratio_scoring_pandas_to_parquet_read": eps(sd) / eps(pr),
        "ratio_training_path_to_parquet_read": eps(tr) / eps(pr),
        "goals": goals,
        "platform": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
            "duckdb": duckdb.__version__,
            "ibis": ibis.__version__,
            "cpus": os.cpu_count(),
            "cpus_used": sp["cpus"],
            "machine": platform.machine(),
        },
    }

    pipeline_rows = (
        ("scoring frame, events as path", sp),
        ("scoring frame, events as pandas", sd),
        ("training set, events as path", tr),
        ("scoring frame, 3 declared sources", ss),
    )

    def table_row(label: str, r: dict, note: str = "") -> str:
        return (
            f"  {label:<34}{r['seconds']:8.2f}{r['cpu_s']:8.2f}{eps(r):13,.0f}{r['peak_rss_mib']:9,.0f} MiB"
            f"{r['rss_baseline_mib']:7,.0f} MiB" + (f"   {note}" if note else "")
        )

    header = f"  {'':<34}{'seconds':>8}{'CPU s':>8}{'events/s':>13}{'peak RSS':>13}{'baseline':>11}"
    print()
    print(f"leads                      {fmt_int(n_leads):>16}")
    print(f"events                     {fmt_int(n_events):>16}   ({n_events / n_leads:.2f} per lead)")
    print(f"events.parquet             {parquet_bytes / MIB:12.1f} MiB")
    pipeline_cols = sd["events_frame_pipeline_columns_bytes"] / MIB
    print(
        f"events pandas frame (deep) {frame_bytes / MIB:12.1f} MiB   ({frame_bytes / n_events:.1f} B/event; "
        f"its 4 columns the pipeline uses: {pipeline_cols:.1f} MiB)"
    )
    print(f"events Arrow table nbytes  {arrow_bytes / MIB:12.1f} MiB   ({arrow_bytes / n_events:.1f} B/event)")
    print(f"CPUs per measurement       {sp['cpus']:>16}" + ("   (pinned)" if sp["pinned"] else ""))
    if other_cpu_s is not None:
        share = other_cpu_s / (window_s * (os.cpu_count() or 1))
        print(
            f"other processes' CPU time    {other_cpu_s:10.1f} s during the {window_s:.0f} s of measurements "
            f"({share:.0%} of all CPUs)" + ("   (timings pessimistic: try --repeat 3)" if share > 0.05 else "")
        )
    print()
    print(f"PIPELINE (each in a fresh process; events/s = {fmt_int(n_events)} events / seconds of the call)")
    print(header)
    for label, r in pipeline_rows:
        print(table_row(label, r, f"{fmt_int(r['frame_rows'])} rows x {r['frame_columns']}"))
    with_read = n_events / (sd["seconds"] + sd["read_events_s"])
    print(
        f"  leads + conversions read with pandas in {sp['read_inputs_s']:.2f} s (not included); scoring from "
        f"pandas read the events in {sd['read_events_s']:.2f} s first: {with_read:,.0f} events/s with it"
    )

    for label, r in pipeline_rows:
        print()
        print(f"WHERE THE TIME GOES: {label} (exclusive seconds; rise of peak RSS)")
        print("  (the calling thread's phases add up to the call; the engine thread's run at the same time)")
        for name, ph in sorted(r["phases"].items(), key=lambda kv: (ENGINE_THREAD in kv[0], -kv[1]["s"])):
            share = 100 * ph["s"] / r["seconds"]
            print(f"  {name:<76}{ph['s']:6.2f} s {share:5.1f} %  {ph['rss_rise_mib']:+6.0f} MiB")

    print()
    print("REFERENCE (same run, same machine, same file, each in a fresh process)")
    print(header)
    print(table_row("pq.read_table(events)", pr, f"(issue: {ISSUE_PARQUET_EVENTS_PER_S} events/s)"))
    print(table_row("pandas read + 30-day groupby", gb, f"(issue: {ISSUE_PANDAS_EVENTS_PER_S} events/s)"))
    print(
        f"  groupby: read {gb['read_s']:.2f} s + filter/groupby {gb['groupby_s']:.2f} s "
        f"({fmt_int(gb['events_in_window'])} events in the window, {fmt_int(gb['groups'])} groups)"
    )

    print()
    print("RATIOS")
    rows = [
        ("scoring (path) / parquet read", eps(sp) / eps(pr), "events/s; 1.0 = as fast as reading the file"),
        ("scoring (path) / pandas groupby", eps(sp) / eps(gb), "events/s"),
        ("scoring (pandas) / parquet read", eps(sd) / eps(pr), "events/s, the pandas read not included"),
        ("training (path) / parquet read", eps(tr) / eps(pr), "events/s, 12 as_of dates"),
        ("training (path) / scoring (path)", goals["training_vs_scoring"], "file events/s, 12 as_of dates vs one"),
        ("scoring (3 sources) / scoring (path)", eps(ss) / eps(sp), "events/s; the any-CRM path vs one file"),
    ]
    named = (("scoring (path)", sp), ("scoring (pandas)", sd), ("training (path)", tr))
    for name, r in (*named, ("pandas groupby", gb), ("parquet read", pr)):
        net = (r["peak_rss_mib"] - r["rss_baseline_mib"]) * MIB / frame_bytes
        note = f"above the {r['rss_baseline_mib']:.0f} MiB baseline: {net:.2f}x"
        rows.append((f"{name} peak RSS / events frame", r["peak_rss_mib"] * MIB / frame_bytes, note))
        rows.append((f"{name} peak RSS / events Arrow", r["peak_rss_mib"] * MIB / arrow_bytes, ""))
    for name, value, note in rows:
        print(f"  {name:<40}{value:8.2f} x" + (f"   ({note})" if note else ""))

    print()
    print(
        f"GOALS (issue: >= {GOAL_EVENTS_PER_S / 1e6:.0f}M events/s on 2 cores; peak RSS <= {GOAL_RSS_RATIO}x "
        f"the events' in-memory size, i.e. <= {rss_limit_mib:.0f} MiB here)"
    )
    for label, r in pipeline_rows:
        rss = r["peak_rss_mib"]
        net = rss - r["rss_baseline_mib"]
        print(
            f"  {label:<34}throughput {goal_word(eps(r) >= GOAL_EVENTS_PER_S):<8}"
            f"{eps(r) / 1e6:6.2f}M events/s = {eps(r) / GOAL_EVENTS_PER_S:.2f}x the goal"
        )
        print(
            f"  {'':<34}memory     {goal_word(rss <= rss_limit_mib):<8}{rss:6,.0f} MiB = "
            f"{rss * MIB / frame_bytes:.2f}x the events frame ({net:,.0f} MiB = {net * MIB / frame_bytes:.2f}x "
            f"above the import baseline)"
        )
    ratio = goals["training_vs_scoring"]
    print(
        f"  {'training set vs scoring frame':<34}events/s   {goal_word(ratio >= GOAL_TRAINING_RATIO):<8}{ratio:6.2f}x "
        f"the scoring frame's (#25: >= {GOAL_TRAINING_RATIO:.2f}x; 12 as_of dates vs one)"
    )
    if sp["cpus"] != 2:
        print(f"  note: measured on {sp['cpus']} CPUs, not the 2 the throughput goal names")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")

    print()
    print(
        f"SUMMARY n_leads={n_leads} events={n_events} cores={sp['cpus']} "
        f"scoring={sp['seconds']:.1f}s/{eps(sp):,.0f}ev/s/{sp['peak_rss_mib']:.0f}MiB "
        f"training={tr['seconds']:.1f}s/{eps(tr):,.0f}ev/s/{tr['peak_rss_mib']:.0f}MiB "
        f"parquet_read={eps(pr):,.0f}ev/s pandas_groupby={eps(gb):,.0f}ev/s "
        f"scoring/parquet={eps(sp) / eps(pr):.2f}x training/scoring={goals['training_vs_scoring']:.2f}x "
        f"rss/events_frame={sp['peak_rss_mib'] * MIB / frame_bytes:.2f}x "
        f"goal_throughput={goal_word(goals['throughput_met_scoring_path']).replace(' ', '_')} "
        f"goal_rss={goal_word(goals['rss_met_scoring_path']).replace(' ', '_')}"
    )
    return figures


if __name__ == "__main__":
    main()
