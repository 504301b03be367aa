"""The serve command: `mlflow models serve` on 127.0.0.1, with an example request to try."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from predictive_leads.cli.console import one_line_errors, say


def serve(
    model: Annotated[str, typer.Option(help="models:/NAME@alias or runs:/RUN_ID/model (not a train folder).")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 5001,
    workers: Annotated[int, typer.Option(help="Worker processes: one per core (each scores on one thread).")] = 1,
) -> None:
    """Serve the model over REST with `mlflow models serve` on 127.0.0.1 (POST /invocations).

    Writes synthetic example requests to models/mlflow/ (derived features, and a raw lead with events when the
    model reads raw leads) and prints a curl line for each."""
    from predictive_leads.jobs.serve import prepare_serving

    with one_line_errors():
        command = prepare_serving(model, port=port, workers=workers)
    for example in filter(None, (command.example, command.raw_example)):
        say(f"try: curl -s 127.0.0.1:{port}/invocations -H 'Content-Type: application/json' -d @{example}")
    os.execvpe("mlflow", command.argv, command.env)
