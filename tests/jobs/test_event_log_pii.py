"""Done-when of the event-log door (#21): personal values planted in the leads table (names, emails, phones, the
form's free text) reach no file a run writes and no line it prints — through build-dataset, train with MLflow
(registered model, input examples), batch scores and rejects.

The world is a generated one whose personal columns are overwritten with values that occur nowhere in the package's
code (which travels with the logged model), so a hit can only be a leak. Email domains are not searched: the domain
is the one part of an address the model uses.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from predictive_leads.cli.app import app

FIRST = ("Zebulon", "Quirina", "Ottokar", "Brunhilde", "Leopoldina", "Thaddeus", "Eulalia", "Casimir", "Philippa",
         "Evander", "Rosalind", "Barnabas", "Wilhelmina", "Ignatius", "Henrietta", "Cornelius", "Octavia",
         "Lysander", "Griselda", "Peregrine")  # fmt: skip
LAST = ("Quackenbush", "Featherstonehaugh", "Wolfeschlegel", "Oyelaran", "Szczepanski", "Vanderhoeven")


def _plant(leads: pd.DataFrame, seed: int = 5) -> tuple[pd.DataFrame, set[str]]:
    rng = np.random.default_rng(seed)
    n = len(leads)
    first, last, person = rng.choice(FIRST, n), rng.choice(LAST, n), rng.integers(0, 500, n)
    domain = leads["email"].astype("string").str.split("@").str[-1].fillna("example.com")
    local = [f"{f.lower()}.{s.lower()}{p}" for f, s, p in zip(first, last, person, strict=True)]
    out = leads.assign(
        first_name=first,
        last_name=last,
        email=[f"{lo}@{d}" for lo, d in zip(local, domain, strict=True)],
        phone=[f"+44 7{p:03d} {p * 7919 % 900000 + 100000}" for p in person],
        form_message=np.where(rng.random(n) < 0.3, [f"Hi, {f} {s} here, call me on extension {p}"
                                                    for f, s, p in zip(first, last, person, strict=True)], None),
    )  # fmt: skip
    values = {*FIRST, *LAST, *local, *out["email"], *out["phone"], *out["form_message"].dropna()}
    return out, {v for v in values if len(v) >= 4}


def _leaks(root: Path, skip: Path, values: set[str]) -> list[str]:
    needles = {v: {v.encode(), json.dumps(v)[1:-1].encode()} for v in values}
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and skip not in p.parents):
        data = path.read_bytes()
        hits += [f"{v!r} in {path.relative_to(root)}" for v, forms in needles.items() if any(f in data for f in forms)]
    return hits


@pytest.mark.slow
def test_no_planted_personal_value_reaches_any_file_or_line_of_an_event_log_run(registry_store):
    from predictive_leads.synth import generate_world, write_world

    root = registry_store
    world = write_world(generate_world(n_leads=3000, seed=8), root / "input" / "world")
    leads, planted = _plant(pd.read_parquet(world / "leads.parquet"))
    leads.to_parquet(world / "leads.parquet")
    runner, printed = CliRunner(), []

    def run(*args: str) -> None:
        result = runner.invoke(app, list(args), terminal_width=200)
        printed.append(result.output)
        assert result.exit_code in (0, 4), result.output

    train_set, scores = root / "train.parquet", root / "scores" / "scores.parquet"
    run("validate", "--data", str(world))
    run("build-dataset", "--data", str(world), "--every", "month", "--from", "2025-03-01", "--to", "2026-06-01",
        "--out", str(train_set))  # fmt: skip
    run("train", "--data", str(train_set), "--out", str(root / "model"), "--n-boot", "20", "--force",
        "--register", "leads")  # fmt: skip
    run("score", "--model", "models:/leads@challenger", "--data", str(world), "--as-of", "2026-06-01",
        "--output", str(scores), "--scored-at", "2026-06-01")  # fmt: skip
    frame = pd.read_parquet(scores.with_name("scores.scoring_frame.parquet"))
    frame.loc[frame.index[:3], "employees"] = -1.0  # rejected rows: their file holds ids and reasons only
    frame.to_parquet(root / "bad_frame.parquet")
    run("score", "--model", str(root / "model"), "--input", str(root / "bad_frame.parquet"),
        "--output", str(root / "scores" / "rescored.csv"))  # fmt: skip
    assert (root / "scores" / "rescored.rejects.csv").exists() and (root / "mlflow.db").exists()
    assert any("input_example" in p.name for p in root.rglob("*"))
    assert not _leaks(root, world, planted)[:10]
    assert not [v for v in planted if any(v in out for out in printed)][:10]
