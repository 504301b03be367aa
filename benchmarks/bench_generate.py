"""Benchmark the synthetic world generator: generation and Parquet writing, with an in-run reference.

Measures two phases separately:

* generate  ``generate_world(SynthConfig(n_leads=..., seed=...))``
* write     ``write_world(world, out_dir)`` (four Parquet tables, SHA-256 of each, manifest)

and then, in the same process on the same machine, a REFERENCE for the same amount of work:

* numpy core  draw one Poisson number per latent-intent segment (what ``_emit`` draws), two uniforms per
              event (event type and timestamp), and a stable argsort of an int64 (lead, ts) key per event,
              grouped by lead like the generator's -- the irreducible core of the generator;
* pyarrow     ``pa.Table.from_pandas`` of the generated events frame and ``pq.write_table`` of it with
              the settings :func:`predictive_leads.data.files.write_table` uses (zstd, 1M-row groups).

The generator's time is printed as a ratio to that reference, so the figure stays meaningful on another
machine. This is a benchmark, not a test: it asserts nothing.

    .venv/bin/python benchmarks/bench_generate.py --n-leads 100000       # quick, a few seconds
    .venv/bin/python benchmarks/bench_generate.py                        # 1M leads: minutes, several GB
    .venv/bin/python benchmarks/bench_generate.py --json bench.json      # also write the figures as JSON
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from _common import MIB, Timer, peak_rss_mib

from predictive_leads.synth import SynthConfig, generate_world, write_world


def parquet_bytes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(folder.glob("*.parquet"))}


def numpy_reference(n_segments: int, events_per_lead: np.ndarray, seed: int) -> dict[str, float]:
    """Time the random draws and the sort the generator cannot avoid, at the generator's sizes.

    The sort key has the shape of the generator's (lead, ts) key: grouped by lead (events are emitted
    segment by segment, so they arrive nearly grouped) with random timestamps within each lead.
    A fully random int64 key would sort about 5x slower and overstate the irreducible work.
    """
    rng = np.random.default_rng(np.random.PCG64(seed + 1))
    n_events = int(events_per_lead.sum())
    out = {}
    with Timer() as t:
        counts = rng.poisson(3.0, n_segments)
    out["poisson_s"] = t.wall
    del counts
    with Timer() as t:
        u = rng.random(2 * n_events)
    out["uniform_s"] = t.wall
    del u
    lead = np.repeat(np.arange(len(events_per_lead), dtype=np.int64), events_per_lead)
    key = lead << 37 | rng.integers(0, 1 << 37, n_events, dtype=np.int64)
    del lead
    with Timer() as t:
        order = np.argsort(key, kind="stable")
    out["argsort_s"] = t.wall
    del key, order
    out["total_s"] = out["poisson_s"] + out["uniform_s"] + out["argsort_s"]
    return out


def pyarrow_reference(events: pd.DataFrame, folder: Path) -> dict[str, float]:
    """Time converting the events frame to Arrow and writing it to Parquet as io.write_table does."""
    out = {}
    with Timer() as t:
        table = pa.Table.from_pandas(events, preserve_index=False)
    out["from_pandas_s"] = t.wall
    path = folder / "reference-events.parquet"
    with Timer() as t:
        pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)
    out["write_s"] = t.wall
    out["bytes"] = path.stat().st_size
    path.unlink()
    del table
    out["total_s"] = out["from_pandas_s"] + out["write_s"]
    return out


def fmt_int(x: int) -> str:
    return f"{x:,}".replace(",", "_")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-leads", type=int, default=1_000_000, help="leads to generate (default 1_000_000)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--out", type=Path, default=None, help="write the world here and keep it (default: temp dir)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    rss_start = peak_rss_mib()
    tmp = None
    out_dir = args.out
    if out_dir is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-generate-"))
        out_dir = tmp / "world"
    try:
        print(
            f"bench_generate: n_leads={fmt_int(args.n_leads)} seed={args.seed} | "
            f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
            f"pyarrow {pa.__version__}, {os.cpu_count()} CPUs",
            flush=True,
        )

        with Timer() as gen:
            world = generate_world(SynthConfig(n_leads=args.n_leads, seed=args.seed))
        rss_generate = peak_rss_mib()
        n_leads, n_events = len(world.leads), len(world.events)
        n_segments = int(world.truth["intent_start"].map(len).sum())
        events_mem = int(world.events.memory_usage(deep=True).sum())
        leads_mem = int(world.leads.memory_usage(deep=True).sum())
        print(f"generate: {gen.wall:8.2f} s wall ({gen.cpu:.2f} s CPU)   peak RSS {rss_generate:,.0f} MiB", flush=True)

        with Timer() as wr:
            write_world(world, out_dir)
        rss_write = peak_rss_mib()
        sizes = parquet_bytes(Path(out_dir))
        print(f"write:    {wr.wall:8.2f} s wall ({wr.cpu:.2f} s CPU)   peak RSS {rss_write:,.0f} MiB", flush=True)

        # reference, after the measured phases so it cannot raise their peak RSS
        per_lead = np.bincount(world.events["lead_id"].cat.codes.to_numpy(), minlength=n_leads)
        ref_np = numpy_reference(n_segments, per_lead, args.seed)
        ref_pa = pyarrow_reference(world.events, Path(tmp or out_dir))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    total = gen.wall + wr.wall
    ref_total = ref_np["total_s"] + ref_pa["total_s"]
    figures = {
        "date": dt.date.today().isoformat(),
        "n_leads": n_leads,
        "seed": args.seed,
        "events": n_events,
        "events_per_lead": n_events / n_leads,
        "intent_segments": n_segments,
        "conversions": len(world.conversions),
        "generate_s": gen.wall,
        "generate_cpu_s": gen.cpu,
        "write_s": wr.wall,
        "write_cpu_s": wr.cpu,
        "total_s": total,
        "leads_per_s": n_leads / total,
        "events_per_s": n_events / total,
        "parquet_bytes": sum(sizes.values()),
        "parquet_bytes_by_file": sizes,
        "events_frame_bytes": events_mem,
        "leads_frame_bytes": leads_mem,
        "rss_start_mib": rss_start,
        "peak_rss_after_generate_mib": rss_generate,
        "peak_rss_mib": rss_write,
        "reference_numpy": ref_np,
        "reference_pyarrow": ref_pa,
        "reference_total_s": ref_total,
        "ratio_generate_to_numpy": gen.wall / ref_np["total_s"],
        "ratio_write_to_pyarrow": wr.wall / ref_pa["total_s"],
        "ratio_total_to_reference": total / ref_total,
        "platform": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
        },
    }

    f = figures
    print()
    print(f"leads                 {fmt_int(n_leads):>16}")
    print(f"events                {fmt_int(n_events):>16}")
    print(f"events per lead       {f['events_per_lead']:16.2f}")
    print(f"intent segments       {fmt_int(n_segments):>16}")
    print(f"generate              {gen.wall:14.2f} s   ({gen.cpu:.2f} s CPU)")
    print(f"write                 {wr.wall:14.2f} s   ({wr.cpu:.2f} s CPU)")
    print(f"leads/s  (overall)    {f['leads_per_s']:16,.0f}")
    print(f"events/s (overall)    {f['events_per_s']:16,.0f}")
    print(f"Parquet on disk       {f['parquet_bytes'] / MIB:12.1f} MiB   ({fmt_int(f['parquet_bytes'])} bytes)")
    for name, size in sizes.items():
        print(f"  {name:<20}{size / MIB:12.1f} MiB")
    print(f"events frame (deep)   {events_mem / MIB:12.1f} MiB   ({events_mem / max(n_events, 1):.1f} B/event)")
    print(f"leads frame (deep)    {leads_mem / MIB:12.1f} MiB")
    print(f"peak RSS              {rss_write:12.1f} MiB   (after imports {rss_start:.0f} MiB)")
    print()
    print("REFERENCE (same run, same machine, same sizes)")
    rows = [
        (f"numpy Poisson x {fmt_int(n_segments)}", ref_np["poisson_s"], "s", "one per intent segment"),
        (f"numpy uniform x {fmt_int(2 * n_events)}", ref_np["uniform_s"], "s", "two per event"),
        (f"numpy argsort int64 x {fmt_int(n_events)}", ref_np["argsort_s"], "s", "stable, lead-grouped keys"),
        ("numpy core total", ref_np["total_s"], "s", ""),
        ("pyarrow from_pandas(events)", ref_pa["from_pandas_s"], "s", ""),
        ("pyarrow write events.parquet", ref_pa["write_s"], "s", f"zstd, {ref_pa['bytes'] / MIB:.1f} MiB"),
        ("reference total", ref_total, "s", ""),
        ("generate / numpy core", f["ratio_generate_to_numpy"], "x", ""),
        ("write / pyarrow events", f["ratio_write_to_pyarrow"], "x", ""),
        ("total / reference", f["ratio_total_to_reference"], "x", ""),
    ]
    for label, value, unit, note in rows:
        print(f"  {label:<34}{value:8.2f} {unit}" + (f"   ({note})" if note else ""))

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")

    print()
    print(
        f"SUMMARY n_leads={n_leads} events={n_events} generate={gen.wall:.1f}s write={wr.wall:.1f}s "
        f"events/s={f['events_per_s']:,.0f} parquet={f['parquet_bytes'] / MIB:.0f}MiB "
        f"peak_rss={rss_write:.0f}MiB ratio_to_reference={f['ratio_total_to_reference']:.1f}x"
    )
    return figures


if __name__ == "__main__":
    main()
