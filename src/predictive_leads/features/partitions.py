"""Lead partitions: a memory budget is kept by building the behaviour features a share of the leads at a time.

The events dominate a feature build's memory: the engine's hash tables and the aggregates it returns grow with
them. Under a budget (:func:`partitions_for`) the leads are split into hash partitions (:func:`lead_partitions`;
the leads of one account stay together, as the account roll-ups need them), each partition's events are
aggregated and unpacked alone, and the rows are put back in spine order: the output is the same frame. What is
per lead and not per event (validation, attributes, the spine, the output itself) is built once.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

UNITS = {"": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40}

EVENT_BYTES = 50
"""Memory per event of a partition at its peak: the engine's hash tables, the Arrow results and their unpacking
(~25-30 bytes measured through ``build-dataset``, ``benchmarks/bench_memory.py``; the margin keeps small worlds,
where fixed costs weigh more, within their budget too)."""

ROW_WORK_BYTES = 800
"""Memory per spine row of a partition while its aggregates are unpacked (freed before the next partition)."""

LEAD_BYTES = 900
"""Memory per lead held for the whole build: the leads frame and its validation."""

ROW_BYTES = 1500
"""Memory per spine row held for the whole build: the lead columns and the output frame (~130 columns)."""

BASE_BYTES = 350 * 2**20
"""The process before any data: Python, pandas, pyarrow, Ibis, DuckDB, pandera imported (~240 MiB measured)."""

MAX_PARTITIONS = 256


def parse_size(size: str | int) -> int:
    """Bytes in ``size``: a positive int, or text such as ``2GB``, ``512 MB``, ``1.5GiB`` (binary units)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?)(I?B)?\s*", str(size).upper())
    number = float(match.group(1)) * UNITS[match.group(2) + "B" if match.group(2) else ""] if match else 0
    if number < 1:
        raise ValueError(f"memory budget {size!r} is not a size: write it as e.g. 2GB or 512MB")
    return int(number)


def held_bytes(leads: int, rows: int) -> int:
    """The estimated memory a build holds throughout, whatever the partitions: the process, the leads, the frame."""
    return BASE_BYTES + leads * LEAD_BYTES + rows * ROW_BYTES


def partitions_for(budget: str | int | None, *, events: int, leads: int, rows: int) -> int:
    """How many lead partitions keep a build of ``events``, ``leads`` and spine ``rows`` within ``budget`` bytes
    of peak memory (1 without a budget). The per-lead part (:func:`held_bytes`) is held throughout; what is left
    holds two partitions at a time (one unpacked while the engine aggregates the next), at least an eighth of the
    budget each time. Conservative, and sizes only: the same data gives the same partitions on every run."""
    if budget is None:
        return 1
    total = parse_size(budget)
    share = events * EVENT_BYTES + rows * ROW_WORK_BYTES
    available = max(total - held_bytes(leads, rows), total / 8)
    return int(min(MAX_PARTITIONS, max(1, math.ceil(2 * share / available))))


def budget_note(budget: str | int | None, *, leads: int, rows: int, partitions: int) -> str:
    """One line on the budget for the dataset summary ("" without one): the partitions, and a warning when the
    per-lead part alone is estimated above the budget (partitions shrink the events' share, not that)."""
    if budget is None:
        return ""
    note = f"memory budget {budget}: events aggregated in {partitions} lead partition{'s' * (partitions > 1)}"
    held = held_bytes(leads, rows)
    if held > parse_size(budget):
        note += (f"; the leads and the frame alone are estimated at {held / 2**30:.1f} GiB, more than the budget: "
                 "the peak will pass it")  # fmt: skip
    return note


def engine_memory_limit(budget: str | int | None) -> str | None:
    """DuckDB's own memory cap under ``budget``: half of it (DuckDB spills past it where it can); None: its
    default."""
    if budget is None:
        return None
    return f"{max(64, parse_size(budget) >> 21)}MB"


def lead_partitions(leads: pd.DataFrame, partitions: int) -> np.ndarray:
    """Each lead's partition (0 to ``partitions`` - 1): a stable hash of its account (leads of one account
    together) or, without one, of its id. The same leads give the same partitions on every run and machine."""
    key = leads["lead_id"].astype(str)
    if "account_id" in leads:
        account = leads["account_id"].astype("string")
        key = ("a:" + account).where(account.notna(), "l:" + key)
    hashes = pd.util.hash_array(key.to_numpy(dtype=object))
    return (hashes % np.uint64(partitions)).astype(np.int64)
