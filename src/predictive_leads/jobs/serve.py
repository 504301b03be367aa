"""The serving job: what ``mlflow models serve`` needs to serve a registered model on 127.0.0.1, and a
synthetic example request to try it with."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ServeCommand:
    """The ``mlflow models serve`` command line, its environment and the example request written for it."""

    argv: list[str]
    env: dict[str, str]
    example: Path
    port: int


def prepare_serving(model: str, *, port: int = 5001, workers: int = 1) -> ServeCommand:
    """Write a synthetic example request for ``model`` (``models:/NAME@alias`` or a logged model URI) to
    ``models/mlflow/example_request.json`` and return the command that serves it (run it with ``os.execvpe``)."""
    from predictive_leads.data.files import atomic_path
    from predictive_leads.serving.pyfunc import example_request
    from predictive_leads.serving.registry import DEFAULT_STORE, load_scorer, offline_env, serve_command, tracking_uri

    example = DEFAULT_STORE / "example_request.json"
    with atomic_path(example) as tmp:
        tmp.write_text(example_request(load_scorer(model)))
    env = os.environ | offline_env() | {"MLFLOW_TRACKING_URI": tracking_uri(), "MLFLOW_REGISTRY_URI": tracking_uri(),
                                        "PATH": _with_venv_bin(os.environ.get("PATH", ""))}  # fmt: skip
    return ServeCommand(serve_command(model, port, workers=workers), env, example, port)


def _with_venv_bin(path: str) -> str:
    """`mlflow models serve` starts uvicorn by name: put this interpreter's bin/ first on PATH."""
    return os.pathsep.join([str(Path(sys.executable).parent), path])
