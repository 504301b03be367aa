"""Done-when of the flat-export door: personal values planted in an export reach no file the run writes, and the
user's declarations (a column that is safe after all, which of a lead's repeated rows to keep) are honoured.

The export is the synthetic one with four personal columns under German and Spanish names, so only their values
can give them away (a first name, an email, a phone number and a free-text message). It is trained through the real
CLI with MLflow in a store under ``tmp_path``; then every file of the model folder and of the store (the SQLite
database's bytes, the artifacts and their input examples, the package code shipped with the model) is searched for
every planted value.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from predictive_leads.cli.app import app

# Given names from several countries, none in the package's own code (which travels with the logged model): the
# detector's bundled list is lowercase, the planted values are capitalised and the search is case-sensitive.
NAMES = ("Jennifer", "Michael", "Elizabeth", "Robert", "Patricia", "Jessica", "Thomas", "Margaret", "Johannes",
         "Katharina", "Wolfgang", "Ursula", "Matthias", "Sabine", "Guillaume", "Nathalie", "Isabelle", "Sebastien",
         "Alejandro", "Beatriz", "Rodrigo", "Ximena", "Joaquim", "Giuseppe", "Francesca", "Alessandro", "Chiara",
         "Aditya", "Deepika", "Sanjay", "Lakshmi", "Arjun", "Xiaoming", "Haruto", "Takeshi", "Jiwoo", "Magnus",
         "Agnieszka", "Dmitri", "Svetlana")  # fmt: skip
SURNAMES = ("Okafor", "Lindqvist", "Bergstrom", "Castellano", "Yamamura", "Wojcik", "Haddad", "Moreau")
TOPICS = ("pricing for a team of", "a demo next week for", "the enterprise plan with", "an invoice for")
PLANTED = {"Vorname": "person names", "Correo": "emails", "Telefono": "phone numbers", "Nachricht": "free text"}


def _planted_export(path: Path, n_leads: int = 6000, seed: int = 3) -> dict[str, set[str]]:
    """The synthetic flat export with the four personal columns added; writes it to ``path`` and returns the
    planted values per column."""
    from predictive_leads.synth import generate_world
    from predictive_leads.synth.flat_export import synthetic_export

    export = synthetic_export(generate_world(n_leads=n_leads, seed=seed))
    rng = np.random.default_rng(seed)
    n = len(export)
    first = rng.choice(NAMES, n)
    last = rng.choice(SURNAMES, n)
    person = rng.integers(0, 400, n)  # 400 people: a few thousand rows, a few hundred distinct values to search
    export["Vorname"] = first
    export["Correo"] = [
        f"{f.lower()}.{s.lower()}{p}@mailbox-{p % 7}.example" for f, s, p in zip(first, last, person, strict=True)
    ]
    export["Telefono"] = [f"+49 {150 + p % 30} {1000 + p * 17 % 9000} {p * 7919 % 9000 + 1000}" for p in person]
    message = [f"Hello, this is {f} {s}: please call me about {TOPICS[p % 4]} {p + 3} people"
               for f, s, p in zip(first, last, person, strict=True)]  # fmt: skip
    export["Nachricht"] = np.where(rng.random(n) < 0.25, message, "")  # most leads leave the form's box empty
    export.to_csv(path, index=False)
    return {col: {v for v in export[col].astype(str) if len(v) >= 4} for col in PLANTED}


def _files(root: Path, skip: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p != skip}


def _found(files: dict[Path, bytes], values: set[str]) -> list[str]:
    """``value in file`` for every value (as UTF-8 and as it would be escaped in JSON), case-sensitive."""
    needles = {v: {v.encode(), json.dumps(v)[1:-1].encode()} for v in values}
    return [f"{v!r} in {p.name}" for p, data in files.items() for v, forms in needles.items()
            if any(form in data for form in forms)]  # fmt: skip


def test_no_planted_personal_value_reaches_the_model_folder_or_mlflow(registry_store):
    data = registry_store / "input" / "export.csv"
    data.parent.mkdir()
    planted = _planted_export(data)
    args = ["train", "--data", str(data), "--flat-export", "--target", "converted", "--id-col", "lead_id",
            "--out", str(registry_store / "model"), "--n-boot", "20", "--force", "--mlflow"]  # fmt: skip
    result = CliRunner().invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    files = _files(registry_store, skip=data)
    assert (registry_store / "mlflow.db") in files and any("input_example" in p.name for p in files)
    assert {"scorer.json", "model.txt", "profile.json", "learned_scorecard.yaml", "metrics.json"} <= {
        p.name for p in (registry_store / "model").iterdir()}  # fmt: skip
    for column, values in planted.items():
        assert not _found(files, values)[:5], f"values of {column} were written"
        assert not [v for v in values if v in result.output][:5], f"values of {column} were printed"
    for column, kind in PLANTED.items():
        assert f"{column} ({kind})" in result.output
    meta = json.loads((registry_store / "model" / "metrics.json").read_text())["meta"]
    assert any(all(column in note for column in PLANTED) for note in meta["notes"])


def test_the_user_declares_a_safe_column_and_which_repeated_row_to_keep(tmp_path):
    import pandas as pd

    data = tmp_path / "export.csv"
    _planted_export(data, n_leads=3000)
    export = pd.read_csv(data)
    again = export.head(3).assign(page_view_total=lambda f: f["page_view_total"] + 1)  # the same leads, updated
    pd.concat([export, again]).to_csv(data, index=False)
    args = ["train", "--data", str(data), "--flat-export", "--target", "converted", "--id-col", "lead_id",
            "--out", str(tmp_path / "model"), "--n-boot", "20", "--force"]  # fmt: skip
    refused = CliRunner().invoke(app, args, terminal_width=200)
    assert refused.exit_code == 1 and not (tmp_path / "model").exists()
    assert refused.output.strip().splitlines() == [
        f"error: export.csv: id column 'lead_id': 3 ids are on several rows that differ; first ids: "
        f"{', '.join(export['lead_id'].head(3))}; keep one row per id with --duplicate-ids first|last"
    ]
    result = CliRunner().invoke(app, [*args, "--duplicate-ids", "last", "--safe-column", "Vorname"],
                                terminal_width=200)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 ids are on several rows that differ; kept the last row of each (3 dropped)" in result.output
    assert "declared safe, used although they look personal: Vorname (person names)" in result.output
    scorer = json.loads((tmp_path / "model" / "scorer.json").read_text())
    assert "Vorname" in scorer["features"] and "Correo" not in scorer["features"]
