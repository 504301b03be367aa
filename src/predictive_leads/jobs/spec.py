"""Draft a dataset spec for a folder of CRM tables: read every table as it is, guess, write the YAML."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from predictive_leads.data.files import SUFFIXES, read_raw, write_text
from predictive_leads.data.spec import slug
from predictive_leads.data.spec_draft import SpecDraft, draft_spec


@dataclass
class DraftedSpec:
    """A drafted spec written to ``path``: the draft (spec, guesses, what to check) and the tables it read."""

    draft: SpecDraft
    path: Path
    tables: dict[str, int]  # table name → rows


def read_tables(data: str | Path) -> dict[str, object]:
    """Every ``.parquet`` / ``.csv`` of ``data`` by file stem (Parquet wins when both exist), read as it is."""
    folder = Path(data)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    files = {}
    for suffix in reversed(SUFFIXES):  # .csv first, so a .parquet of the same name replaces it
        files |= {p.stem: p for p in sorted(folder.glob(f"*{suffix}")) if not p.name.startswith(".")}
    if not files:
        raise FileNotFoundError(f"{folder}: no .csv or .parquet tables")
    return {name: read_raw(path) for name, path in sorted(files.items())}


def init_spec(data: str | Path, out: str | Path) -> DraftedSpec:
    """Draft a spec for the tables in ``data`` and write it (with what to check as comments) to ``out``."""
    tables = read_tables(data)
    draft = draft_spec(tables, name=slug(Path(data).resolve().name) or "dataset")
    path = write_text(draft.to_yaml(source=str(data)), out)
    return DraftedSpec(draft, path, {name: len(frame) for name, frame in tables.items()})
