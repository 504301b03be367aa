"""The serve command: `mlflow models serve` on 127.0.0.1, with an example request to try."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from predictive_leads.cli.console import one_line_errors, say


def serve(
    model: Annotated[str, typer.Option(help="models:/NAME@alias or runs:/RUN_ID/model (not a train folder).")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 5001,
    workers: Annotated[int, typer.Option(help="Server worker processes.")] = 1,
) -> None:
    """Serve the model over REST with `mlflow models serve` on 127.0.0.1 (POST /invocations).

    Writes a synthetic example request to models/mlflow/example_request.json and prints a curl line for it."""
    from predictive_leads.jobs.serve import prepare_serving

    with one_line_errors():
        command = prepare_serving(model, port=port, workers=workers)
    say(f"try: curl -s 127.0.0.1:{port}/invocations -H 'Content-Type: application/json' -d @{command.example}")
    os.execvpe("mlflow", command.argv, command.env)
