"""The init-spec command: draft a dataset spec from a folder of CRM tables and print what was guessed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from predictive_leads.cli.console import one_line_errors, say, spinner


def init_spec(
    data: Annotated[Path, typer.Option(help="Folder with the CRM's tables (.csv or .parquet, one file per table).")],
    out: Annotated[Path, typer.Option(help="Spec file to write (YAML).")] = Path("spec.yaml"),
) -> None:
    """Draft a dataset spec from the tables as they are: entity, event sources, outcome, attributes, PII; print
    each guess with its evidence and what to check before using it."""
    from predictive_leads.jobs.spec import init_spec as draft

    with one_line_errors(), spinner("reading tables"):
        drafted = draft(data, out)
    say(escape(f"read {len(drafted.tables)} tables: " + ", ".join(f"{t} ({n:,})" for t, n in drafted.tables.items())))
    say("[bold]guessed[/]")
    for line in drafted.draft.guessed:
        say(f"  {escape(line)}")
    if drafted.draft.unsure:
        say(f"[bold yellow]check ({len(drafted.draft.unsure)})[/]")
        for line in drafted.draft.unsure:
            say(f"  {escape(line)}")
    say(escape(f"wrote {drafted.path}"), wrap=False)
