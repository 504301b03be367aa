"""Command-line start-up: how long `predictive-leads --help` and `--version` take, next to what any Python CLI pays.

Each command runs ``--runs`` times in a fresh process (the installed console script, as a user types it); the
median and the slowest are printed in seconds, and as a ratio to two references measured in the same run: a bare
``python -c pass`` (the interpreter's own start-up) and ``python -c "import typer"`` (a minimal Typer CLI before it
does anything). Goal (#24): both under 0.5 s on 2 cores.

    .venv/bin/python benchmarks/bench_cli.py            # ~10 s
    .venv/bin/python benchmarks/bench_cli.py --runs 30
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_SECONDS = 0.5


def timed(cmd: list[str], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh processes per command (default 10)")
    args = parser.parse_args()
    cli = str(Path(sys.executable).parent / "predictive-leads")
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "predictive-leads --help": [cli, "--help"],
        "predictive-leads --version": [cli, "--version"],
    }
    timed(cases["predictive-leads --help"], 1)  # warm the page cache
    results = {name: timed(cmd, args.runs) for name, cmd in cases.items()}
    base, typer_only = (statistics.median(results[k]) for k in ("python -c pass", "python -c 'import typer'"))
    print(f"{'command':<30} {'median s':>9} {'max s':>7} {'/ python':>9} {'/ typer':>8}")
    for name, seconds in results.items():
        median = statistics.median(seconds)
        print(f"{name:<30} {median:9.3f} {max(seconds):7.3f} {median / base:8.1f}x {median / typer_only:7.1f}x")
    worst = max(statistics.median(results[k]) for k in ("predictive-leads --help", "predictive-leads --version"))
    verdict = "met" if worst < GOAL_SECONDS else "NOT met"
    print(
        f"SUMMARY cli start-up: slowest median {worst:.3f} s, goal < {GOAL_SECONDS} s {verdict}; "
        f"{worst / typer_only:.1f}x a bare Typer import, {args.runs} runs each"
    )


if __name__ == "__main__":
    main()
