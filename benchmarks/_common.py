"""Helpers shared by the benchmark scripts: peak RSS and a wall/CPU timer."""

from __future__ import annotations

import gc
import resource
import sys
import time

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
