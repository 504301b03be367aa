"""The summary command: what a run achieved, read back from its files, and the next commands to try."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from predictive_leads.cli.console import one_line_errors, say


def summary(
    model: Annotated[Path, typer.Option(help="Model directory written by train (its metrics.json).")],
    scores: Annotated[Path | None, typer.Option(help="Batch output of score (and its .rejects.csv).")] = None,
    name: Annotated[str | None, typer.Option(help="Registered model name (for the next commands).")] = None,
    data: Annotated[Path | None, typer.Option(help="Raw data folder (for the monitor command).")] = None,
    as_of: Annotated[str | None, typer.Option(help="Date the scores were made (for the monitor command).")] = None,
) -> None:
    """What a run achieved, read back from its files: AUC model vs rule presets with intervals, lift, where the
    report, model and scores are, and the next commands to try."""
    from predictive_leads.jobs.summary import run_summary

    with one_line_errors():
        found = run_summary(model, scores=scores, name=name, data=data, as_of=as_of)
    for line in found.lines(heading=lambda title: f"[bold]{title}[/]"):
        say(line)
