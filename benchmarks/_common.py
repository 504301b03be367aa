"""Helpers shared by the benchmark scripts: peak RSS and a wall/CPU timer."""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
from pathlib import Path

MIB = 1024 * 1024


def peak_rss_mib() -> float:
    """Peak resident set size of this process image so far.

    On Linux this is ``VmHWM`` from /proc/self/status: the high-water mark of the current address space,
    which starts afresh at exec. ``ru_maxrss`` does not: a child inherits the RSS its parent had when it
    forked (Linux carries ``maxrss`` across fork and exec), so after the parent generated the world every
    child would report at least the parent's size. Elsewhere ``ru_maxrss`` (KiB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MIB if sys.platform == "darwin" else peak / 1024


class Timer:
    """Wall-clock and CPU seconds of a block (CPU > wall means several threads were busy)."""

    def __enter__(self) -> Timer:
        gc.collect()
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def synthetic_training_set(n_leads: int, seed: int):
    """A generated world's point-in-time training set (monthly snapshots 2025-06 … 2026-03) and its features."""
    import pandas as pd

    from predictive_leads.features import build_training_set, feature_columns
    from predictive_leads.synth import generate_world

    world = generate_world(n_leads=n_leads, seed=seed)
    data = build_training_set(world.leads, world.events, world.conversions,
                              as_of=pd.date_range("2025-06-01", "2026-03-01", freq="MS", tz="UTC"),
                              observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    return data, feature_columns(data)


def write_world_apart(folder: Path, *, n_leads: int, seed: int, activity: float = 1.0) -> Path:
    """Generate a world and write its Parquet files into ``folder`` in a process of its own (a big world takes
    gigabytes; the calling process stays small, so its children's peak RSS is theirs)."""
    import subprocess

    code = ("from predictive_leads.synth import SynthConfig, generate_world, write_world; "
            f"write_world(generate_world(SynthConfig(n_leads={n_leads}, seed={seed}, activity={activity})), "
            f"{str(folder)!r})")  # fmt: skip
    print(f"generating {n_leads:,} leads into {folder} ...", flush=True)
    subprocess.run([sys.executable, "-c", code], check=True)
    return folder


def fmt_int(x: int) -> str:
    return f"{x:,}".replace(",", "_")


def goal_word(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def warm_page_cache(path: Path) -> None:
    """Read a file once, so every measurement sees the same (warm) page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


class OtherLoad:
    """CPU seconds spent by other processes on this machine while the measurements ran (Linux only).

    System-wide busy time from /proc/stat, minus the CPU time of this process and its children. Other
    work competing for the cores makes every timing pessimistic.
    """

    def __init__(self) -> None:
        self._busy, self._ours, self._wall = self._system_busy(), self._our_cpu(), time.perf_counter()

    @staticmethod
    def _system_busy() -> float | None:
        try:
            with open("/proc/stat") as f:
                fields = [int(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _our_cpu() -> float:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def stop(self) -> tuple[float | None, float]:
        wall = time.perf_counter() - self._wall
        busy = self._system_busy()
        if busy is None or self._busy is None:
            return None, wall
        return max(0.0, (busy - self._busy) - (self._our_cpu() - self._ours)), wall
