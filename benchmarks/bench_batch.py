"""Benchmark batch scoring end to end: ``predictive-leads score`` against the ten-line pandas + LightGBM script a
user would write instead, and raw LightGBM, at 1M and 5M rows, Parquet and CSV (issue #25).

The model is either

* (default) a ``LeadScorer`` fitted on a generated world (monthly snapshots, saved with ``LeadScorer.save``); the
  scoring rows are the feature rows of the world's last as_of snapshot (``lead_id``, the model's features and
  ``email_domain``; categories as dictionary columns, like a scoring frame the product writes), or
* (``--flat-export Leads.csv``) a model trained by ``predictive-leads train --flat-export`` itself (no MLflow); the
  scoring rows are the export's own rows without the target, as pandas reads the CSV: many text columns with the
  export's placeholders ("Select"), numbers typed.

The rows are written over and over, with fresh unique ids, until the file has N rows (Parquet: zstd, 100k-row row
groups; CSV: as pandas writes it), one 100k-row block at a time: the input is never held in memory. One numeric
feature without missing values gets ``+ row number x 1e-9`` so that no two rows are identical (the model explains
identical feature rows once: repeated rows would make the reasons look faster than on real data).

Then, for each format and size, each in a FRESH process (its peak RSS, ``VmHWM``, belongs to that run only):

* score        ``predictive-leads score --model M --input F --output out.parquet --reasons 0`` (the CLI's entry
               point called in the child, as the console script calls it; with the model's learned scorecard, if
               it has one, scored beside it as the CLI does by default);
* reasons      the same with ``--reasons 3``;
* lean         the same with ``--reasons 0 --no-subscores``;
* ten-line     the REFERENCE: what a user would write instead: read the file with pandas, code the categories with
               the training categories (a flat export's placeholders read as missing), ``Booster.predict``, write
               id + probability to Parquet. The child checks that its margins equal the model's own on the first
               2,000 rows (printed as "same margins");
* raw          the floor: ``Booster.predict`` on the float matrix of the same file (read by ``batch.read_chunks``,
               encoded by ``scorer._codes``), nothing written; rows/s of the loop alone.

Rows/s of the first four are end to end: from the process start (interpreter, imports, model load) to its exit.
It prints them with peak RSS, the ratios, where the time of ``score`` goes (exclusive seconds per phase, from
timers wrapped around the batch module's functions) and the goals of issue #25: score >= 50 % of the ten-line
script's rows/s; with 3 reasons >= 33 % of it and <= 1.5x the time of score; peak RSS at the largest size
<= 1.2x that at the smallest, per format. The CPU time other processes took during the run is printed too: on a
shared machine it makes every timing pessimistic. This is a benchmark, not a test: it asserts nothing.

    .venv/bin/python benchmarks/bench_batch.py --sizes 200000 --formats parquet         # quick: ~3 min
    .venv/bin/python benchmarks/bench_batch.py --sizes 1000000 5000000                  # both formats: ~1 h
    .venv/bin/python benchmarks/bench_batch.py --flat-export ../shared/datasets/x_education/Leads.csv
    .venv/bin/python benchmarks/bench_batch.py --skip-reasons-above 1000000 --json bench-batch.json
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
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

GOAL_SCORE_OVER_SCRIPT = 0.5
GOAL_REASONS_OVER_SCRIPT = 1 / 3
GOAL_REASONS_OVER_SCORE_TIME = 1.5
GOAL_RSS_GROWTH = 1.2
ROW_GROUP = 100_000
TRAINING_AS_OF = ("2025-06-01", "2026-03-01")
SCORED_AT = "2026-01-01T00:00:00Z"
FORMATS = ("parquet", "csv")
MODES = (("score", "score"), ("reasons", "score --reasons 3"), ("lean", "score --no-subscores"),
         ("tenline", "ten-line script"), ("raw", "raw Booster.predict"))  # fmt: skip

# Functions wrapped with timers in the score children: (module, owner or None, attribute, label).
# Nested wrapped calls are subtracted from their caller, so the phases add up to the total. A name the
# code no longer has is skipped (its time shows up under "other").
PHASES = (
    ("predictive_leads.ops.batch", None, "prepare_chunk", "check + parse rows (prepare_chunk)"),
    ("predictive_leads.ops.batch", "_SeenIds", "repeats", "duplicate-id check (_SeenIds.repeats)"),
    ("predictive_leads.ops.batch", None, "_count_unseen", "count unseen categories"),
    ("predictive_leads.ops.batch", None, "output_rows", "assemble output frame (batch.output_rows)"),
    ("predictive_leads.ops.batch", None, "blank_placeholders", "blank placeholders (flat export)"),
    ("predictive_leads.ops.batch", None, "disqualify", "disqualification checks (disqualify)"),
    ("predictive_leads.models.lead_scorer", "LeadScorer", "_codes", "encode features (LeadScorer._codes)"),
    ("predictive_leads.models.lead_scorer", "LeadScorer", "_scores", "calibrate, score, grade, tier (_scores)"),
    ("predictive_leads.models.rules", "RuleScorer", "predict_score", "rule score (RuleScorer.predict_score)"),
    ("lightgbm", "Booster", "predict", "LightGBM predict"),
    ("predictive_leads.models.lead_scorer", "LeadScorer", "_contributions", "contributions (TreeSHAP table)"),
    ("predictive_leads.explain.reasons", None, "top_reasons", "reasons: groups, top-k, sentences (top_reasons)"),
    ("predictive_leads.explain.reasons", None, "reason_columns", "reasons: text, codes, JSON (reason_columns)"),
    ("predictive_leads.ops.batch", "_Writer", "write", "write output (Arrow + Parquet)"),
)


# ------------------------------------------------------------------------------------------ helpers


def size_label(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 and n % 100_000 == 0 else f"{n / 1e3:g}k" if n % 1000 == 0 else str(n)


class Phases:
    """Exclusive wall seconds per phase of ``score_files``, by wrapping the functions in PHASES. A phase that runs
    on another thread (LightGBM's predict beside the contributions) is marked so: it overlaps the main thread's
    phases, and only those add up to the total."""

    BESIDE = " [another thread, overlapping]"

    def __init__(self) -> None:
        import threading

        self.seconds: dict[str, float] = {}
        self._local = threading.local()

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
        import threading

        def wrapper(*args, **kwargs):
            stack = self._local.__dict__.setdefault("stack", [])  # one per thread
            entry = [time.perf_counter(), 0.0]  # start, seconds of nested wrapped calls
            stack.append(entry)
            try:
                return fn(*args, **kwargs)
            finally:
                stack.pop()
                elapsed = time.perf_counter() - entry[0]
                beside = threading.current_thread() is not threading.main_thread()
                self._add(label + (self.BESIDE if beside else ""), elapsed - entry[1])
                if stack:
                    stack[-1][1] += elapsed

        return wrapper

    def report(self, total_s: float) -> dict[str, float]:
        out = dict(self.seconds)
        main = sum(s for name, s in self.seconds.items() if not name.endswith(self.BESIDE))
        out["other (masks, concat, bookkeeping)"] = total_s - main
        return out


# ------------------------------------------------------------------------------------------ children
# Each child runs in its own interpreter, prints one JSON line last on stdout and exits.


def child(args) -> dict:
    out: dict = {"kind": args.child, "top_k": args.top_k}
    output = Path(args.out) / f"scored-{args.child}-{args.top_k}.parquet"
    with Timer() as t:
        {"score": _score_child, "lean": _score_child, "tenline": _tenline_child, "raw": _raw_child}[args.child](
            args, output, out
        )
    output.unlink(missing_ok=True)
    out.setdefault("seconds", t.wall)
    out.update(cpu_s=t.cpu, peak_rss_mib=peak_rss_mib())
    return out


def _score_child(args, output: Path, out: dict) -> None:
    """``predictive-leads score`` through the CLI's own entry point, with the phase timers installed."""
    from predictive_leads.cli.app import app

    phases = Phases()
    phases.install()
    argv = ["score", "--model", args.model, "--input", args.input, "--output", str(output), "--id-col", args.id_col,
            "--reasons", str(args.top_k), "--chunk-rows", str(args.chunk_rows), "--scored-at", SCORED_AT,
            "--allow-rejects", "--summary-json", str(output.with_suffix(".json")),
            *(["--no-subscores"] if args.child == "lean" else [])]  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()) as said, Timer() as t:
        code = app(args=argv, prog_name="predictive-leads", standalone_mode=False)
    if code not in (None, 0):
        raise SystemExit(f"score exited with {code}: {said.getvalue()[-2000:]}")
    summary = json.loads(output.with_suffix(".json").read_text())
    out.update(output_bytes=output.stat().st_size, phases=phases.report(t.wall), command_s=t.wall,
               scored=summary["scored"], rejected=summary["rejected"])  # fmt: skip


def _tenline_child(args, output: Path, out: dict) -> None:
    """The ten-line script (between the markers), then a check that its margins are the model's own."""
    # --- ten-line script: what a user writes instead -------------------------------------------------------------
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    meta = json.loads(Path(args.model, "scorer.json").read_text())
    booster = lgb.Booster(model_file=str(Path(args.model, "model.txt")))
    columns, cats = [args.id_col, *meta["features"]], meta["categories"]
    df = pd.read_parquet(args.input, columns=columns) if args.input.endswith(".parquet") else pd.read_csv(
        args.input, usecols=columns, dtype={c: str for c in cats})  # fmt: skip
    codes = {c: pd.Index(cats[c]).get_indexer(df[c]).astype("float64") for c in cats}  # unseen, missing: -1
    numbers = {c: pd.to_numeric(df[c]).to_numpy("float64", na_value=np.nan) for c in meta["features"] if c not in cats}
    X = np.column_stack(
        [np.where(codes[c] < 0, np.nan, codes[c]) if c in cats else numbers[c] for c in meta["features"]]
    )
    pd.DataFrame({args.id_col: df[args.id_col], "probability": booster.predict(X)}).to_parquet(output)
    # --- end of the script --------------------------------------------------------------------------------------
    from predictive_leads.data.flat_export import blank_placeholders
    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.ops import batch

    first = next(batch.read_chunks(Path(args.input), 2000))
    dataset = Path(args.model, "dataset.json")  # a flat export's placeholders, read as missing by score
    missing = json.loads(dataset.read_text()).get("flat_export", {}).get("placeholders", []) if dataset.exists() else []
    first = blank_placeholders(first, tuple(missing), skip={args.id_col})[0] if missing else first
    scorer = LeadScorer.load(args.model)
    ours = scorer.decision_function(batch.prepare_chunk(first, scorer, id_col=args.id_col)[0])  # as score reads it
    out["max_margin_difference"] = float(np.max(np.abs(booster.predict(X[: len(first)], raw_score=True)
                                                       - ours)))  # fmt: skip


def _raw_child(args, output: Path, out: dict) -> None:
    """The floor: read in the batch's chunks, encode to LightGBM's matrix, predict; time of that loop only."""
    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.ops import batch

    scorer = LeadScorer.load(args.model)
    encode_s = predict_s = 0.0
    with Timer() as t:
        for chunk in batch.read_chunks(Path(args.input), args.chunk_rows):
            start = time.perf_counter()
            encoded = scorer._codes(chunk)
            mid = time.perf_counter()
            scorer.booster_.predict(encoded, raw_score=True)
            predict_s += time.perf_counter() - mid
            encode_s += mid - start
    out.update(seconds=t.wall, encode_s=encode_s, predict_s=predict_s, read_s=t.wall - encode_s - predict_s)


def run_child(kind: str, *, args, model: Path, input_path: Path, out: Path, top_k: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--model", str(model), "--input",
           str(input_path), "--out", str(out), "--top-k", str(top_k), "--chunk-rows", str(args.chunk_rows),
           "--id-col", args.id_col]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-5000:])
        raise SystemExit(f"bench_batch: child {kind!r} (top_k={top_k}) failed with exit code {proc.returncode}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


# ------------------------------------------------------------------------------------------ inputs


def synthetic_model(args, folder: Path):
    """Fit a default LeadScorer on a generated world and save it; the scoring rows (Arrow) and facts."""
    import pandas as pd
    import pyarrow as pa

    from predictive_leads.features import build_training_set, feature_columns
    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.synth import generate_world

    world = generate_world(n_leads=args.n_leads, seed=args.seed)
    data = build_training_set(world.leads, world.events, world.conversions,
                              as_of=pd.date_range(*TRAINING_AS_OF, freq="MS", tz="UTC"),
                              observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    features = feature_columns(data)
    scorer = LeadScorer(time_column="as_of").fit(data[[*features, "as_of"]], data["converted"])
    scorer.save(folder)
    last = data[data["as_of"] == data["as_of"].max()]
    columns = ["lead_id", *scorer.feature_names_in_, *(["email_domain"] if "email_domain" in data else [])]
    return pa.Table.from_pandas(last[columns].reset_index(drop=True), preserve_index=False), "a generated world"


def flat_model(args, folder: Path):
    """Train with ``predictive-leads train --flat-export`` (no MLflow); the export's rows without the target."""
    import pandas as pd
    import pyarrow as pa

    from predictive_leads.cli.app import app

    argv = ["train", "--data", args.flat_export, "--out", str(folder), "--target", args.target, "--id-col",
            args.id_col, "--flat-export", "--no-mlflow", "--n-boot", "20"]  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        app(args=argv, prog_name="predictive-leads", standalone_mode=False)
    rows = pd.read_csv(args.flat_export).drop(columns=[args.target])
    return pa.Table.from_pandas(rows, preserve_index=False), Path(args.flat_export).name


def jitter_column(base, scorer) -> str | None:
    """A real-valued feature (``double``: a count would reject x.5) to make the rows distinct: ``lead_age_days`` if
    the model has it, else the one with the fewest missing values (they stay missing)."""
    doubles = [c for c, kind in scorer.input_types_.items() if kind == "double" and c in base.column_names]
    return min(doubles, key=lambda c: (c != "lead_age_days", base[c].null_count), default=None)


def write_input(base, rows: int, path: Path, id_col: str, jitter: str | None) -> float:
    """Write ``rows`` rows of ``base`` repeated with fresh unique ids (and ``jitter`` + row x 1e-9), one 100k-row
    block at a time: Parquet (zstd, 100k-row groups) or CSV (as pandas writes it), by the suffix of ``path``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = time.perf_counter()
    block = pa.concat_tables([base] * -(-ROW_GROUP // base.num_rows)).slice(0, ROW_GROUP).combine_chunks()
    if jitter is not None:
        block = block.set_column(block.schema.get_field_index(jitter), jitter, block[jitter].cast(pa.float64()))
        jitter_values = block[jitter].to_numpy()
    writer = pq.ParquetWriter(path, block.schema, compression="zstd") if path.suffix == ".parquet" else None
    with writer or open(path, "w", newline="") as sink:
        done = 0
        while done < rows:
            n = min(ROW_GROUP, rows - done)
            part = block.slice(0, n)
            ids = pa.array([f"B{i:010d}" for i in range(done, done + n)], type=part.schema.field(id_col).type)
            part = part.set_column(part.schema.get_field_index(id_col), id_col, ids)
            if jitter is not None:
                values = pa.array(jitter_values[:n] + np.arange(done, done + n) * 1e-9)
                part = part.set_column(part.schema.get_field_index(jitter), jitter, values)
            if writer is not None:
                writer.write_table(part, row_group_size=ROW_GROUP)
            else:
                part.to_pandas().to_csv(sink, header=done == 0, index=False)
            done += n
    return time.perf_counter() - start


# ------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000], help="rows per input file")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS), help="input file formats")
    parser.add_argument("--skip-reasons-above", type=int, default=None, metavar="N",
                        help="run 'with reasons' only for sizes <= N (default: every size)")  # fmt: skip
    parser.add_argument("--chunk-rows", type=int, default=100_000, help="score --chunk-rows (default 100_000)")
    parser.add_argument("--n-leads", type=int, default=20_000, help="leads in the generated world (default 20_000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--flat-export", help="a model trained on this flat export (e.g. X Education's Leads.csv) "
                        "and its rows, instead of the generated world")  # fmt: skip
    parser.add_argument("--target", default="Converted", help="the flat export's target column")
    parser.add_argument("--id-col", default=None, help="id column (default: lead_id; Prospect ID with --flat-export)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--model", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--input", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--top-k", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.id_col = args.id_col or ("Prospect ID" if args.flat_export else "lead_id")

    if args.child:
        print(json.dumps(child(args)))
        return None

    import lightgbm as lgb
    import pandas as pd
    import pyarrow as pa

    from predictive_leads.models.lead_scorer import LeadScorer

    sizes = sorted(set(args.sizes))
    print(f"bench_batch: sizes {', '.join(fmt_int(n) for n in sizes)}, formats {', '.join(args.formats)}, chunk_rows "
          f"{fmt_int(args.chunk_rows)} | python {platform.python_version()}, pandas {pd.__version__}, pyarrow "
          f"{pa.__version__}, lightgbm {lgb.__version__}, {os.cpu_count()} CPUs", flush=True)  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    measured: dict[tuple[str, str, int], dict] = {}
    try:
        model_dir = tmp / "model"
        with Timer() as t_model:
            base, source = (flat_model if args.flat_export else synthetic_model)(args, model_dir)
        scorer = LeadScorer.load(model_dir)
        jitter = jitter_column(base, scorer)
        facts = {"source": source, "trees": scorer.booster_.num_trees(), "features": len(scorer.feature_names_in_),
                 "categorical": len(scorer.categories_), "base_rows": base.num_rows, "jitter_column": jitter,
                 "model_s": t_model.wall}  # fmt: skip
        print(f"model on {source}: {facts['trees']} trees, {facts['features']} features ({facts['categorical']} "
              f"categorical), built in {t_model.wall:.0f} s; scoring rows: its {fmt_int(base.num_rows)} rows repeated "
              f"with fresh ids, {jitter} + row x 1e-9", flush=True)  # fmt: skip
        others = OtherLoad()
        for fmt in args.formats:
            for n in sizes:
                path = tmp / f"input-{n}.{fmt}"
                seconds = write_input(base, n, path, args.id_col, jitter)
                print(f"\n{fmt} {size_label(n)}: {path.stat().st_size / MIB:,.0f} MiB, written in {seconds:.0f} s; "
                      f"load average {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
                warm_page_cache(path)
                for mode, label in MODES:
                    if mode == "reasons" and args.skip_reasons_above is not None and n > args.skip_reasons_above:
                        continue
                    top_k = 3 if mode == "reasons" else 0
                    r = run_child("score" if mode == "reasons" else mode, args=args, model=model_dir,
                                  input_path=path, out=tmp, top_k=top_k)  # fmt: skip
                    r["rows_per_s"] = n / (r["seconds"] if mode == "raw" else r["process_s"])
                    measured[fmt, mode, n] = r
                    extra = (f"   same margins: max difference {r['max_margin_difference']:.1e}"
                             if mode == "tenline" else f"   scored {r['scored']:,}, rejected {r['rejected']:,}"
                             if "scored" in r else "")  # fmt: skip
                    print(f"  {label:<22}{r['process_s']:8.1f} s {r['cpu_s']:8.1f} CPU-s {r['rows_per_s']:>10,.0f} "
                          f"rows/s   peak RSS {r['peak_rss_mib']:7,.0f} MiB{extra}", flush=True)  # fmt: skip
                path.unlink()
        other_cpu_s, window_s = others.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report(args, sizes, measured, facts, other_cpu_s, window_s)


# ------------------------------------------------------------------------------------------ report


def report(args, sizes: list[int], measured: dict, facts: dict, other_cpu_s: float | None, window_s: float) -> dict:
    """Print the tables, where the time goes and the goals; return the figures (also written with ``--json``)."""
    import numpy as np
    import pandas as pd

    lo, hi = sizes[0], sizes[-1]
    if other_cpu_s is not None:
        share = other_cpu_s / (window_s * (os.cpu_count() or 1))
        print(f"\nother processes' CPU time: {other_cpu_s:.0f} s during the {window_s:.0f} s of runs ({share:.0%} of "
              "all CPUs)" + ("; timings pessimistic" if share > 0.05 else ""))  # fmt: skip
    goals: dict[str, bool] = {}
    for fmt in args.formats:
        print(f"\n{fmt.upper()} ({facts['source']}): rows/s end to end (raw: its loop alone), peak RSS")
        print(f"{'':24}" + "".join(f"{size_label(n) + ' rows/s':>14}{size_label(n) + ' RSS':>12}" for n in sizes)
              + f"{'RSS ' + size_label(hi) + '/' + size_label(lo):>14}")  # fmt: skip
        for mode, label in MODES:
            runs = [measured.get((fmt, mode, n)) for n in sizes]
            cells = "".join(f"{r['rows_per_s']:>14,.0f}{r['peak_rss_mib']:>8,.0f} MiB" if r else f"{'skipped':>26}"
                            for r in runs)  # fmt: skip
            growth = runs[-1]["peak_rss_mib"] / runs[0]["peak_rss_mib"] if runs[0] and runs[-1] and lo != hi else None
            print(f"{label:<24}{cells}" + (f"{growth:>14.2f}" if growth else ""))
            if growth and mode in ("score", "reasons"):
                goals[f"rss_{fmt}_{mode}"] = growth <= GOAL_RSS_GROWTH
        for n in sizes:
            run = {mode: measured.get((fmt, mode, n)) for mode, _ in MODES}
            script = run["tenline"]["rows_per_s"]
            score = run["score"]["rows_per_s"] / script
            line = f"  {size_label(n)}: score / ten-line {score:.2f}"
            goals[f"score_{fmt}_{size_label(n)}"] = score >= GOAL_SCORE_OVER_SCRIPT
            if run["reasons"]:
                reasons, slower = run["reasons"]["rows_per_s"] / script, run["reasons"]["process_s"] / run["score"][
                    "process_s"]  # fmt: skip
                line += f", reasons / ten-line {reasons:.2f}, reasons time / score time {slower:.2f}"
                goals[f"reasons_{fmt}_{size_label(n)}"] = (reasons >= GOAL_REASONS_OVER_SCRIPT
                                                           and slower <= GOAL_REASONS_OVER_SCORE_TIME)  # fmt: skip
            line += f", lean / ten-line {run['lean']['rows_per_s'] / script:.2f}"
            line += f", score / raw loop {run['score']['rows_per_s'] / run['raw']['rows_per_s']:.2f}"
            print(line)
        for mode in ("score", "reasons"):
            r = measured.get((fmt, mode, hi))
            if not r:
                continue
            print(f"\nWHERE THE TIME GOES: {fmt} {mode}, {size_label(hi)} rows ({r['process_s']:.1f} s in all, "
                  f"{r['command_s']:.1f} s in the command; exclusive seconds)")  # fmt: skip
            phases = r["phases"] | {"start-up (interpreter, imports)": r["process_s"] - r["command_s"]}
            for name, s in sorted(phases.items(), key=lambda kv: -kv[1]):
                print(f"  {name:<52}{s:8.1f} s {100 * s / r['process_s']:5.1f} %")
    print("\nGOALS (issue #25)")
    print(f"  score >= {GOAL_SCORE_OVER_SCRIPT:.0%} of the ten-line script; reasons >= {GOAL_REASONS_OVER_SCRIPT:.0%} "
          f"of it and <= {GOAL_REASONS_OVER_SCORE_TIME}x score's time; peak RSS {size_label(hi)} <= "
          f"{GOAL_RSS_GROWTH}x {size_label(lo)}")  # fmt: skip
    for name, ok in goals.items():
        print(f"  {name:<28} {goal_word(ok)}")
    figures = {
        "date": dt.date.today().isoformat(),
        **facts,
        "sizes": sizes,
        "formats": args.formats,
        "chunk_rows": args.chunk_rows,
        "runs": {f"{fmt}/{mode}/{n}": r for (fmt, mode, n), r in measured.items()},
        "goals": goals,
        "other_processes_cpu_s": other_cpu_s,
        "measurement_window_s": window_s,
        "platform": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
        },
    }
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True, default=str) + "\n")
        print(f"\nfigures written to {args.json}")
    return figures


if __name__ == "__main__":
    main()
