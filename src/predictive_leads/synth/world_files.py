"""A generated world on disk: its four tables, CSV copies on request, and a manifest with hashes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from predictive_leads.data.contracts import ContractError
from predictive_leads.data.files import (
    MANIFEST,
    find_table,
    read_lead_data,
    read_manifest,
    read_raw,
    sha256_of,
    write_json,
    write_table,
)
from predictive_leads.synth.world import World

TABLES = ("leads", "events", "conversions", "truth")


def write_world(
    world, out_dir: str | os.PathLike, *, csv: bool = False, on_file: Callable[[str], None] | None = None
) -> Path:
    """Write a generated world's four tables (+ CSV copies on request) and a manifest with hashes."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in TABLES:
        frame = getattr(world, name)
        for suffix in (".parquet", ".csv") if csv else (".parquet",):
            if on_file:
                on_file(f"{name}{suffix}")
            path = write_table(frame, out / f"{name}{suffix}")
            files[path.name] = {"rows": len(frame), "sha256": sha256_of(path)}
    write_json({"kind": "synthetic", "files": files, **world.meta}, out / MANIFEST)
    return out


def read_world(folder: str | os.PathLike):
    """Load a generated world (tables checked by their contracts, truth and generator parameters)."""
    meta = read_manifest(folder)
    if meta.get("kind") != "synthetic":
        raise ContractError(f"{folder}: not a generated world (no synthetic {MANIFEST})")
    tables = read_lead_data(folder)
    truth = read_raw(find_table(folder, "truth"))
    return World(truth=truth, meta={k: v for k, v in meta.items() if k not in ("kind", "files")}, **tables)
