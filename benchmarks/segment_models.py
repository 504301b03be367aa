"""Segment models (#26): do they win where the product lines convert differently, stay out where they do not, and
what do they cost against the single pooled model a user trains otherwise?

Through the CLI, as a user runs it, on two 20k-lead product-line worlds (seed 42): one where the second line's
profile is reversed (``generate --product-lines 2``) and one with a single profile (``--same-profiles``). Each world:
``build-dataset`` (13 monthly snapshots, 2025-03 … 2026-03), then ``train`` and ``train --segment-by
product_line``, then ``score`` of the open leads at 2026-03-01 with each model. Prints each set's comparison
(the paired AUC gain per segment and which model scores it), and the wall time and peak RSS of every command with
the segmented one as a ratio to the pooled one, measured in the same run. With the X Education export present
(``../shared/datasets/x_education/Leads.csv``), the flat export segmented by ``Lead Origin`` too.

    .venv/bin/python benchmarks/segment_models.py                 # ~3 min on 2 cores
    .venv/bin/python benchmarks/segment_models.py --keep /tmp/seg  # keep the worlds and models there
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

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
X_EDUCATION = ROOT.parent / "shared" / "datasets" / "x_education" / "Leads.csv"
CLI = str(Path(sys.executable).parent / "predictive-leads")


def run(*args: str) -> tuple[float, float]:
    """``predictive-leads ARGS`` in a fresh process: (wall seconds, peak RSS in MiB of that process)."""
    started = time.perf_counter()
    proc = subprocess.Popen([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read().decode(errors="replace")
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"predictive-leads {' '.join(args)} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def comparison(model: Path) -> pd.DataFrame:
    table = pd.DataFrame(json.loads((model / "segments.json").read_text())["comparison"])
    return table[["segment", "test_rows", "test_positives", "auc_segment", "auc_pooled", "auc_gain", "gain_low",
                  "gain_high", "uses"]]  # fmt: skip


def measure(label: str, pooled: list[str], segmented: list[str]) -> None:
    (t0, m0), (t1, m1) = run(*pooled), run(*segmented)
    print(f"  {label:<32} pooled {t0:6.1f} s {m0:6.0f} MiB | segmented {t1:6.1f} s {m1:6.0f} MiB | "
          f"time {t1 / t0:4.2f}x, peak RSS {m1 / m0:4.2f}x")  # fmt: skip


def synthetic(folder: Path, same_profiles: bool) -> None:
    raw = folder / "raw"
    generate = ["generate", "--out", str(raw), "--n-leads", "20000", "--seed", "42", "--product-lines", "2"]
    run(*generate, *(["--same-profiles"] if same_profiles else []))
    run("build-dataset", "--data", str(raw), "--spec", str(raw / "spec.yaml"), "--out", str(folder / "train.parquet"),
        "--every", "month", "--from", "2025-03-01", "--to", "2026-03-01")  # fmt: skip
    train = ["train", "--data", str(folder / "train.parquet")]
    measure("train", [*train, "--out", str(folder / "pooled")],
            [*train, "--out", str(folder / "set"), "--segment-by", "product_line"])  # fmt: skip
    score = ["score", "--data", str(raw), "--as-of", "2026-03-01"]
    measure("score (open leads at 2026-03-01)", [*score, "--model", str(folder / "pooled"), "--output",
                                                 str(folder / "pooled.parquet")],
            [*score, "--model", str(folder / "set"), "--output", str(folder / "set.parquet")])  # fmt: skip
    print(comparison(folder / "set").to_string(index=False, float_format=lambda x: f"{x:+.3f}"))
    print("  " + json.loads((folder / "set" / "segments.json").read_text())["recommendation"])


def x_education(folder: Path) -> None:
    train = ["train", "--data", str(X_EDUCATION), "--target", "Converted", "--id-col", "Prospect ID", "--flat-export"]
    measure("train (flat export)", [*train, "--out", str(folder / "pooled")],
            [*train, "--out", str(folder / "set"), "--segment-by", "Lead Origin"])  # fmt: skip
    table = comparison(folder / "set")
    print(table.to_string(index=False, float_format=lambda x: f"{x:+.3f}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="folder to keep the worlds and models in (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        for name, same in (("two profiles", False), ("one profile (--same-profiles)", True)):
            print(f"\n20k-lead product-line world, {name}:")
            synthetic(base / name.split(" (")[0].replace(" ", "-"), same)
        if X_EDUCATION.exists():
            print(
                f"\nX Education ({X_EDUCATION.name}, 9,240 leads, random stratified split), --segment-by 'Lead Origin':"
            )
            x_education(base / "x-education")
        else:
            print("\nX Education export not found: skipped")


if __name__ == "__main__":
    main()
