"""Benchmark batch scoring (``predictive_leads.ops.batch.score_files``) at 1M and 5M rows, with a raw LightGBM
reference.

Builds a default ``LeadScorer`` on a generated world (monthly snapshots) and saves it. The scoring rows are
the feature rows of the world's last as_of snapshot (``lead_id``, the model's features and ``email_domain``,
as ``pa.Table.from_pandas`` writes them, so categories are dictionary columns like a scoring frame written by
the product). They are written over and over, with fresh unique ids, through one ``ParquetWriter`` (zstd,
100k-row row groups) until the file has N rows: the input is never held in memory. One always-present numeric
feature (``lead_age_days``) gets ``+ row number x 1e-9``, so that no two rows are identical: the model explains
identical feature rows once, and a file of repeated rows would make the reasons look faster than on real data.

Then, for each size, each in a FRESH subprocess so that its peak RSS (``VmHWM``, read by the child at the end)
belongs to that run only:

* score only       ``score_files(scorer, input, out.parquet, top_k=0)`` with the default ``chunk_rows`` (the
                   fit and engagement sub-scores need each row's contributions);
* no sub-scores    the same with ``subscores=False`` (``score --reasons 0 --no-subscores``);
* with reasons     the same with ``top_k=3`` (reason_1..3, codes, reasons_json);
* raw predict      the REFERENCE: the same file read in the same chunks by ``batch.read_chunks``, then encoded
                   to the float matrix LightGBM reads (``scorer._codes(chunk)``; ``scorer.encode`` in
                   versions without it) and ``booster.predict(matrix, raw_score=True)``, nothing else.

It prints rows/s and peak RSS for each size x mode, where the time of ``score_files`` goes (exclusive seconds
per phase, from timers wrapped around the batch module's functions; nothing else changes), the ratio
score-only / raw predict and the peak-RSS ratio largest / smallest size per mode, and whether the issue's goals
are met: score-only >= 50 % of raw predict throughput; peak RSS flat (within +-20 %) between the sizes.
The CPU time other processes took during the run is printed too: on a shared machine it makes every timing
pessimistic (peak RSS does not depend on load). This is a benchmark, not a test: it asserts nothing.

    .venv/bin/python benchmarks/bench_batch.py --sizes 200000 1000000       # quick: ~5 min
    .venv/bin/python benchmarks/bench_batch.py                              # 1M and 5M rows: ~20 min on 2 cores
    .venv/bin/python benchmarks/bench_batch.py --skip-reasons-above 1000000 --json bench-batch.json
    .venv/bin/python benchmarks/bench_batch.py --sizes 200000 --profile     # + cProfile of each mode
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
import time
from pathlib import Path

from _common import MIB, OtherLoad, Timer, fmt_int, goal_word, peak_rss_mib, warm_page_cache

GOAL_SCORE_OVER_RAW = 0.5
GOAL_RSS_FLAT = 0.2
ROW_GROUP = 100_000
TRAINING_AS_OF = ("2025-06-01", "2026-03-01")

# Functions wrapped with timers in the score_files children: (module, owner or None, attribute, label).
# Nested wrapped calls are subtracted from their caller, so the phases add up to the total. A name the
# code no longer has is skipped (its time shows up under "other").
PHASES = (
    ("predictive_leads.ops.batch", None, "prepare_chunk", "check + parse rows (prepare_chunk)"),
    ("predictive_leads.ops.batch", "_SeenIds", "repeats", "duplicate-id check (_SeenIds.repeats)"),
    ("predictive_leads.ops.batch", None, "_count_unseen", "count unseen categories"),
    ("predictive_leads.ops.batch", None, "output_rows", "assemble output frame (batch.output_rows)"),
    ("predictive_leads.models.lead_scorer", "LeadScorer", "encode", "encode features (LeadScorer.encode)"),
    ("predictive_leads.models.lead_scorer", "LeadScorer", "_codes", "encode features (LeadScorer._codes)"),
    ("predictive_leads.models.lead_scorer", "LeadScorer", "score_frame", "score_frame (wrapper)"),
    ("predictive_leads.models.lead_scorer", "LeadScorer", "_scores", "calibrate, score, grade, tier (_scores)"),
    ("lightgbm", "Booster", "predict", "LightGBM predict (margins; pred_contrib fallback)"),
    ("predictive_leads.models.lead_scorer", "LeadScorer", "_contributions", "reasons: TreeSHAP contributions"),
    ("predictive_leads.explain.reasons", None, "top_reasons", "reasons: groups, top-k, sentences (top_reasons)"),
    ("predictive_leads.explain.reasons", None, "reason_columns", "reasons: text, codes, JSON (reason_columns)"),
    ("predictive_leads.ops.batch", "_Writer", "write", "write output (Arrow + Parquet)"),
)


# ------------------------------------------------------------------------------------------ helpers


def size_label(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 and n % 100_000 == 0 else f"{n / 1e3:g}k" if n % 1000 == 0 else str(n)


class Phases:
    """Exclusive wall seconds per phase of ``score_files``, by wrapping the functions in PHASES."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stack: list[list[float]] = []

    def install(self) -> None:
        import importlib

        for mod_name, owner_name, attr, label in PHASES:
            try:
                module = importlib.import_module(mod_name)
            except ImportError:
                continue
            owner = getattr(module, owner_name, None) if owner_name else module
            fn = getattr(owner, attr, None) if owner is not None else None
            if callable(fn):
                setattr(owner, attr, self._wrap(fn, label))
        from predictive_leads.ops import batch

        read_chunks = batch.read_chunks

        def timed_chunks(*args, **kwargs):  # a generator: time each step of the reader
            it = iter(read_chunks(*args, **kwargs))
            while True:
                start = time.perf_counter()
                try:
                    chunk = next(it)
                except StopIteration:
                    self._add("read input chunks (Parquet -> pandas)", time.perf_counter() - start)
                    return
                self._add("read input chunks (Parquet -> pandas)", time.perf_counter() - start)
                yield chunk

        batch.read_chunks = timed_chunks

    def _add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def _wrap(self, fn, label: str):
        def wrapper(*args, **kwargs):
            entry = [time.perf_counter(), 0.0]  # start, seconds of nested wrapped calls
            self._stack.append(entry)
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                elapsed = time.perf_counter() - entry[0]
                self._add(label, elapsed - entry[1])
                if self._stack:
                    self._stack[-1][1] += elapsed

        return wrapper

    def report(self, total_s: float) -> dict[str, float]:
        out = dict(self.seconds)
        out["other (masks, concat, bookkeeping)"] = total_s - sum(self.seconds.values())
        return out


# ------------------------------------------------------------------------------------------ children
# Each child runs in its own interpreter, prints one JSON line on stdout and exits.


def child(args) -> dict:
    import lightgbm  # noqa: F401  (everything the scoring code imports counts in the baseline)
    import pyarrow.parquet as pq

    from predictive_leads.explain import reasons  # noqa: F401  (score_files imports it on first use)
    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.ops import batch

    scorer = LeadScorer.load(args.model)
    rows = pq.ParquetFile(args.input).metadata.num_rows
    out: dict = {
        "kind": args.child,
        "rows": rows,
        "top_k": args.top_k,
        "chunk_rows": args.chunk_rows,
        "rss_baseline_mib": peak_rss_mib(),
    }
    output = Path(args.out) / f"scored-{args.child}-{rows}-{args.top_k}.parquet"

    if args.child == "raw":
        booster = scorer.booster_
        encode = getattr(scorer, "_codes", None) or scorer.encode
        out["raw_encoder"] = encode.__name__
        encode_s = predict_s = 0.0
        n = 0
        with Timer() as t:
            for chunk in batch.read_chunks(Path(args.input), args.chunk_rows):
                start = time.perf_counter()
                encoded = encode(chunk)
                mid = time.perf_counter()
                p = booster.predict(encoded, raw_score=True)
                predict_s += time.perf_counter() - mid
                encode_s += mid - start
                n += len(p)
        out.update(
            seconds=t.wall,
            cpu_s=t.cpu,
            scored=n,
            encode_s=encode_s,
            predict_s=predict_s,
            read_s=t.wall - encode_s - predict_s,
        )
    elif args.child == "profile":
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        with Timer() as t:
            profiler.enable()
            summary = batch.score_files(scorer, args.input, output, top_k=args.top_k, chunk_rows=args.chunk_rows)
            profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs()
        stats.sort_stats("tottime").print_stats(args.profile_lines)
        stats.sort_stats("cumulative").print_stats(args.profile_lines)
        out.update(
            seconds=t.wall, cpu_s=t.cpu, scored=summary.scored, rejected=summary.rejected, profile=text.getvalue()
        )
    else:
        phases = Phases()
        phases.install()
        with Timer() as t:
            summary = batch.score_files(scorer, args.input, output, top_k=args.top_k, chunk_rows=args.chunk_rows,
                                        subscores=args.child != "lean")  # fmt: skip
        out.update(
            seconds=t.wall,
            cpu_s=t.cpu,
            scored=summary.scored,
            rejected=summary.rejected,
            output_bytes=output.stat().st_size,
            phases=phases.report(t.wall),
        )
    output.unlink(missing_ok=True)
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def run_child(
    kind: str, *, model: Path, input_path: Path, out: Path, top_k: int, chunk_rows: int, profile_lines: int = 25
) -> dict:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        "--model",
        str(model),
        "--input",
        str(input_path),
        "--out",
        str(out),
        "--top-k",
        str(top_k),
        "--chunk-rows",
        str(chunk_rows),
        "--profile-lines",
        str(profile_lines),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"bench_batch: child {kind!r} (top_k={top_k}) failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------ inputs


def build_model(args, folder: Path):
    """Fit a default LeadScorer on a generated world, save it; return (scoring rows as Arrow, facts)."""
    import pandas as pd
    import pyarrow as pa

    from predictive_leads.features import build_training_set, feature_columns
    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.synth import generate_world

    with Timer() as t_data:
        world = generate_world(n_leads=args.n_leads, seed=args.seed)
        data = build_training_set(
            world.leads,
            world.events,
            world.conversions,
            as_of=pd.date_range(*TRAINING_AS_OF, freq="MS", tz="UTC"),
            observed_until=world.observed_until,
            now=world.observed_until,
        )
        features = feature_columns(data)
    del world
    with Timer() as t_fit:
        scorer = LeadScorer(time_column="as_of").fit(data[[*features, "as_of"]], data["converted"])
    scorer.save(folder)
    last = data[data["as_of"] == data["as_of"].max()]
    columns = ["lead_id", *scorer.feature_names_in_, *(["email_domain"] if "email_domain" in data else [])]
    base = pa.Table.from_pandas(last[columns].reset_index(drop=True), preserve_index=False)
    facts = {
        "n_leads": args.n_leads,
        "training_rows": len(data),
        "training_s": t_data.wall,
        "fit_s": t_fit.wall,
        "trees": scorer.booster_.num_trees(),
        "features": len(scorer.feature_names_in_),
        "categorical": len(scorer.categories_),
        "base_rows": base.num_rows,
        "as_of": str(data["as_of"].max()),
        "jitter_column": jitter_column(base, scorer.input_types_),
    }
    del data, last
    gc.collect()
    return base, facts


def jitter_column(base, input_types: dict[str, str]) -> str | None:
    """A numeric feature without missing values (``lead_age_days`` if it qualifies) to make rows distinct."""
    doubles = [c for c, kind in input_types.items() if kind == "double" and c in base.column_names]
    for col in sorted(doubles, key=lambda c: c != "lead_age_days"):
        if base[col].null_count == 0:
            return col
    return None


def write_input(base, rows: int, path: Path, jitter: str | None) -> float:
    """Write ``rows`` rows: ``base`` repeated, fresh unique ids, ``jitter`` + row x 1e-9, 100k-row groups.

    Never the whole file in memory: one 100k-row block is kept and its id (and jitter) column replaced.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = time.perf_counter()
    reps = -(-ROW_GROUP // base.num_rows)
    block = pa.concat_tables([base] * reps).slice(0, ROW_GROUP).combine_chunks()
    id_index = block.schema.get_field_index("lead_id")
    id_type = block.schema.field("lead_id").type
    if jitter is not None:
        jitter_index = block.schema.get_field_index(jitter)
        jitter_type = block.schema.field(jitter).type
        jitter_values = block[jitter].to_numpy().astype("float64")
    with pq.ParquetWriter(path, block.schema, compression="zstd") as writer:
        done = 0
        while done < rows:
            n = min(ROW_GROUP, rows - done)
            ids = pa.array([f"B{i:010d}" for i in range(done, done + n)], type=id_type)
            part = block.slice(0, n).set_column(id_index, "lead_id", ids)
            if jitter is not None:
                values = jitter_values[:n] + np.arange(done, done + n) * 1e-9
                part = part.set_column(jitter_index, jitter, pa.array(values).cast(jitter_type))
            writer.write_table(part, row_group_size=ROW_GROUP)
            done += n
    return time.perf_counter() - start


# ------------------------------------------------------------------------------------------ main


MODES = (("score", 0, "score only"), ("reasons", 3, "with reasons (top 3)"), ("raw", 0, "raw LightGBM predict"),
         ("lean", 0, "score, no sub-scores"))  # fmt: skip


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000], help="rows per input file")
    parser.add_argument(
        "--skip-reasons-above",
        type=int,
        default=None,
        metavar="N",
        help="run 'with reasons' only for sizes <= N (default: every size)",
    )
    parser.add_argument("--chunk-rows", type=int, default=100_000, help="score_files chunk_rows (default 100_000)")
    parser.add_argument("--n-leads", type=int, default=20_000, help="leads in the generated world (default 20_000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run score_files under cProfile (smallest size, each mode) and print the top lines",
    )
    parser.add_argument("--profile-lines", type=int, default=25, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--model", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--input", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--top-k", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args)))
        return None

    import lightgbm as lgb
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    sizes = sorted(set(args.sizes))
    print(
        f"bench_batch: sizes {', '.join(fmt_int(n) for n in sizes)}, chunk_rows {fmt_int(args.chunk_rows)}, "
        f"world {fmt_int(args.n_leads)} leads (seed {args.seed}) | python {platform.python_version()}, "
        f"pandas {pd.__version__}, pyarrow {pa.__version__}, lightgbm {lgb.__version__}, "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    measured: dict[str, dict[int, dict]] = {mode: {} for mode, _, _ in MODES}
    profiles: dict[str, dict] = {}
    try:
        model_dir = tmp / "model"
        base, facts = build_model(args, model_dir)
        print(
            f"model: {facts['trees']} trees, {facts['features']} features ({facts['categorical']} categorical), "
            f"trained on {fmt_int(facts['training_rows'])} rows (world + features {facts['training_s']:.0f} s, "
            f"fit {facts['fit_s']:.0f} s); scoring rows: {fmt_int(facts['base_rows'])} of as_of "
            f"{facts['as_of'][:10]}, repeated with fresh ids; distinct rows: {facts['jitter_column']} + row x 1e-9",
            flush=True,
        )
        inputs = {}
        for n in sizes:
            path = tmp / f"input-{n}.parquet"
            seconds = write_input(base, n, path, facts["jitter_column"])
            inputs[n] = path
            print(
                f"input {size_label(n):>5}: {fmt_int(n)} rows, {path.stat().st_size / MIB:,.0f} MiB Parquet "
                f"(written in {seconds:.1f} s)",
                flush=True,
            )
        del base
        gc.collect()
        others = OtherLoad()
        print(f"\nruns (each a fresh process; load average {os.getloadavg()[0]:.2f}):", flush=True)
        for n in sizes:
            warm_page_cache(inputs[n])
            for mode, top_k, label in MODES:
                if mode == "reasons" and args.skip_reasons_above is not None and n > args.skip_reasons_above:
                    print(
                        f"  {size_label(n):>5} {label:<22} skipped (--skip-reasons-above "
                        f"{fmt_int(args.skip_reasons_above)})",
                        flush=True,
                    )
                    continue
                r = run_child(
                    mode if mode in ("raw", "lean") else "score",
                    model=model_dir,
                    input_path=inputs[n],
                    out=tmp,
                    top_k=top_k,
                    chunk_rows=args.chunk_rows,
                )
                r["rows_per_s"] = n / r["seconds"]
                measured[mode][n] = r
                print(
                    f"  {size_label(n):>5} {label:<22}{r['seconds']:9.1f} s {r['cpu_s']:8.1f} CPU-s "
                    f"{r['rows_per_s']:>10,.0f} rows/s   peak RSS {r['peak_rss_mib']:7,.0f} MiB "
                    f"(after imports + model {r['rss_baseline_mib']:,.0f} MiB)",
                    flush=True,
                )
        if args.profile:
            n = sizes[0]
            for mode, top_k, _label in MODES[:2]:
                if mode == "reasons" and args.skip_reasons_above is not None and n > args.skip_reasons_above:
                    continue
                r = run_child(
                    "profile",
                    model=model_dir,
                    input_path=inputs[n],
                    out=tmp,
                    top_k=top_k,
                    chunk_rows=args.chunk_rows,
                    profile_lines=args.profile_lines,
                )
                profiles[mode] = r
        other_cpu_s, window_s = others.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # ---------------------------------------------------------------------------------- report
    lo, hi = sizes[0], sizes[-1]
    ratios = {n: measured["score"][n]["rows_per_s"] / measured["raw"][n]["rows_per_s"] for n in sizes}
    # the same ratio from CPU seconds: less sensitive to other processes taking one of the two cores
    cpu_ratios = {n: measured["raw"][n]["cpu_s"] / measured["score"][n]["cpu_s"] for n in sizes}
    rss_ratio = {
        mode: measured[mode][hi]["peak_rss_mib"] / measured[mode][lo]["peak_rss_mib"]
        for mode, _, _ in MODES
        if lo in measured[mode] and hi in measured[mode]
    }
    throughput_met = all(r >= GOAL_SCORE_OVER_RAW for r in ratios.values())
    rss_met = {mode: abs(r - 1) <= GOAL_RSS_FLAT for mode, r in rss_ratio.items() if mode != "raw"}

    print()
    if other_cpu_s is not None:
        share = other_cpu_s / (window_s * (os.cpu_count() or 1))
        print(
            f"other processes' CPU time: {other_cpu_s:.0f} s during the {window_s:.0f} s of runs ({share:.0%} of "
            f"all CPUs)" + ("; timings pessimistic" if share > 0.05 else "")
        )
    print()
    head = "".join(f"{size_label(n) + ' rows/s':>14}{size_label(n) + ' RSS':>12}" for n in sizes)
    print(f"{'mode':<24}{head}{'RSS ' + size_label(hi) + '/' + size_label(lo):>14}")
    for mode, _, label in MODES:
        cells = ""
        for n in sizes:
            r = measured[mode].get(n)
            cells += f"{r['rows_per_s']:>14,.0f}{r['peak_rss_mib']:>8,.0f} MiB" if r else f"{'skipped':>14}{'':>12}"
        ratio = f"{rss_ratio[mode]:>14.2f}" if mode in rss_ratio and lo != hi else f"{'':>14}"
        print(f"{label:<24}{cells}{ratio}")
    print(f"{'score only / raw':<24}" + "".join(f"{ratios[n]:>14.2f}{'':>12}" for n in sizes))
    print(f"{'  the same by CPU s':<24}" + "".join(f"{cpu_ratios[n]:>14.2f}{'':>12}" for n in sizes))
    lean = {n: measured["lean"][n]["rows_per_s"] / measured["raw"][n]["rows_per_s"] for n in sizes}
    print(f"{'no sub-scores / raw':<24}" + "".join(f"{lean[n]:>14.2f}{'':>12}" for n in sizes))
    for n in sizes:
        raw = measured["raw"][n]
        print(
            f"raw {size_label(n)}: read {raw['read_s']:.1f} s, encode ({raw['raw_encoder']}) {raw['encode_s']:.1f} s, "
            f"booster.predict {raw['predict_s']:.1f} s ({n / raw['predict_s']:,.0f} rows/s predict alone)"
        )

    for mode, _, label in MODES[:2]:
        for n in sizes:
            r = measured[mode].get(n)
            if not r or n != hi:
                continue
            print(f"\nWHERE THE TIME GOES: {label}, {size_label(n)} rows ({r['seconds']:.1f} s; exclusive seconds)")
            for name, s in sorted(r["phases"].items(), key=lambda kv: -kv[1]):
                print(f"  {name:<48}{s:8.1f} s {100 * s / r['seconds']:5.1f} %")

    for mode, r in profiles.items():
        print(
            f"\nPROFILE: {dict((m, lab) for m, _, lab in MODES)[mode]}, {size_label(lo)} rows "
            f"({r['seconds']:.1f} s under cProfile)"
        )
        print(r["profile"].rstrip())

    print("\nGOALS")
    print(
        f"  score only >= {GOAL_SCORE_OVER_RAW:.0%} of raw LightGBM predict throughput: "
        + ", ".join(f"{size_label(n)} {ratios[n]:.0%} (by CPU s {cpu_ratios[n]:.0%})" for n in sizes)
        + f" -> {goal_word(throughput_met)}"
    )
    if lo != hi:
        for mode, ok in rss_met.items():
            print(
                f"  peak RSS flat (+-{GOAL_RSS_FLAT:.0%}) {size_label(lo)} -> {size_label(hi)}, {mode}: "
                f"x{rss_ratio[mode]:.2f} -> {goal_word(ok)}"
            )
        for mode, _, _label in MODES[:2]:
            if mode not in rss_ratio:
                print(f"  peak RSS flat, {mode}: not measured at {size_label(hi)} (skipped)")

    figures = {
        "date": dt.date.today().isoformat(),
        **facts,
        "sizes": sizes,
        "chunk_rows": args.chunk_rows,
        "seed": args.seed,
        "runs": {mode: {str(n): r for n, r in by_size.items()} for mode, by_size in measured.items()},
        "score_over_raw": {str(n): r for n, r in ratios.items()},
        "score_over_raw_cpu": {str(n): r for n, r in cpu_ratios.items()},
        "rss_ratio_largest_over_smallest": rss_ratio,
        "goals": {
            "score_over_raw": GOAL_SCORE_OVER_RAW,
            "rss_flat": GOAL_RSS_FLAT,
            "throughput_met": throughput_met,
            **{f"rss_met_{m}": ok for m, ok in rss_met.items()},
        },
        "other_processes_cpu_s": other_cpu_s,
        "measurement_window_s": window_s,
        "platform": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
            "lightgbm": lgb.__version__,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
        },
    }
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True, default=str) + "\n")
        print(f"\nfigures written to {args.json}")

    parts = []
    for n in sizes:
        for mode, _, _ in MODES:
            r = measured[mode].get(n)
            parts.append(
                f"{mode}_rows_s_{size_label(n)}={r['rows_per_s']:.0f}" if r else f"{mode}_{size_label(n)}=skipped"
            )
            if r and mode != "raw":
                parts.append(f"{mode}_rss_mib_{size_label(n)}={r['peak_rss_mib']:.0f}")
        parts.append(f"score_over_raw_{size_label(n)}={ratios[n]:.2f}")
        parts.append(f"score_over_raw_cpu_{size_label(n)}={cpu_ratios[n]:.2f}")
    parts += [f"rss_ratio_{m}={r:.2f}" for m, r in rss_ratio.items()]
    parts.append(f"goal_throughput={goal_word(throughput_met).replace(' ', '_')}")
    parts += [f"goal_rss_{m}={goal_word(ok).replace(' ', '_')}" for m, ok in rss_met.items()]
    print("SUMMARY " + " ".join(parts))
    return figures


if __name__ == "__main__":
    main()
