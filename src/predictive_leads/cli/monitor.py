"""The monitor command: drift, matured outcomes and a verdict, with the verdict as the exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from predictive_leads.cli.console import one_line_errors, say, spinner

MONITOR_EXIT = {"ok": 0, "watch": 10, "retrain": 20}


def monitor(
    model: Annotated[str, typer.Option(help="Model directory written by train, or models:/NAME@alias.")],
    data: Annotated[
        Path,
        typer.Option(
            help="Raw data folder (leads, events, conversions) or a training-set "
            "file (.parquet) with as_of and converted."
        ),
    ],
    as_of: Annotated[str, typer.Option(help="The monitoring date (today, for a nightly job).")],
    out: Annotated[Path, typer.Option(help="Folder for monitor.json and monitor.html.")] = Path("monitoring"),
    horizon_days: Annotated[int, typer.Option(help="Label horizon the model predicts.")] = 90,
    months: Annotated[int, typer.Option(help="Monthly cohorts to judge (raw data).")] = 12,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the cohort intervals.")] = 200,
    mlflow: Annotated[
        bool | None,
        typer.Option(
            "--mlflow/--no-mlflow",
            help="Log the run to MLflow, linked to the model version (default: on for models:/ references).",
        ),
    ] = None,
    feedback: Annotated[
        Path | None,
        typer.Option(help="Sales feedback (lead_id, disposition, reason, date): its share of the MQLs over time."),
    ] = None,
) -> None:
    """Drift, matured outcomes and a verdict (exit 0 ok, 10 watch, 20 retrain) with an HTML report."""
    from predictive_leads.jobs.monitor import monitor as monitor_model

    with one_line_errors(), spinner("loading the model") as status:
        run = monitor_model(model, data, as_of, out=out, horizon_days=horizon_days, months=months, n_boot=n_boot,
                            mlflow=mlflow, feedback=feedback, on_stage=status.update)  # fmt: skip
    say(f"verdict: [bold]{run.verdict.status}[/]", wrap=False)
    for reason in run.verdict.reasons:
        say(f"  - {reason}")
    say(f"monitor.json and monitor.html in {run.out}")
    if run.run_id is not None:
        say(f"MLflow run {run.run_id}", wrap=False)
    raise typer.Exit(MONITOR_EXIT[run.verdict.status])
