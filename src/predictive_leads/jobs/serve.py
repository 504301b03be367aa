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
    raw_example: Path | None = None  # a synthetic raw lead, for a model trained on a dataset spec


def prepare_serving(model: str, *, port: int = 5001, workers: int = 1) -> ServeCommand:
    """Write a synthetic example request (and, for a model that reads raw leads, ``example_raw_request.json``) for
    ``model`` (``models:/NAME@alias``, a logged model URI such as
    ``runs:/RUN_ID/model``, or a local MLflow model folder) to ``models/mlflow/example_request.json`` and return
    the command that serves it (run it with ``os.execvpe``).

    A model folder written by ``train`` is refused (one-line :class:`~predictive_leads.models.lead_scorer.ModelError`
    saying what to pass): it is not an MLflow model, and ``mlflow models serve`` would fail on it with a traceback
    after the command had already been handed over."""
    import pandas as pd

    from predictive_leads.data.files import atomic_path
    from predictive_leads.serving.pyfunc import MODEL_NAME_VAR, MODEL_VERSION_VAR, example_raw_request, example_request
    from predictive_leads.serving.registry import (
        DEFAULT_STORE,
        describe_model,
        load_dataset,
        load_scorer,
        offline_env,
        serve_command,
        tracking_uri,
    )

    _check_servable(model)
    example = DEFAULT_STORE / "example_request.json"
    scorer = load_scorer(model)  # before the example file is touched: a damaged model leaves it as it was
    with atomic_path(example) as tmp:
        tmp.write_text(example_request(scorer))
    raw = example_raw_request(load_dataset(model), pd.Timestamp.now(tz="UTC"))
    raw_example = DEFAULT_STORE / "example_raw_request.json" if raw else None
    if raw_example is not None:
        with atomic_path(raw_example) as tmp:
            tmp.write_text(raw)
    name, version = describe_model(model)  # named in every raw lead's reply
    env = os.environ | offline_env() | {"MLFLOW_TRACKING_URI": tracking_uri(), "MLFLOW_REGISTRY_URI": tracking_uri(),
                                        "PATH": _with_venv_bin(os.environ.get("PATH", "")),
                                        MODEL_NAME_VAR: name, MODEL_VERSION_VAR: version}  # fmt: skip
    return ServeCommand(serve_command(model, port, workers=workers), env, example, port, raw_example)


def _check_servable(model: str) -> None:
    """``mlflow models serve`` serves MLflow models only: a URI (``models:/``, ``runs:/``, …) or a local folder
    holding an ``MLmodel`` file."""
    from predictive_leads.models.lead_scorer import META_FILE, ModelError
    from predictive_leads.serving.registry import is_mlflow_model_folder, is_mlflow_uri

    if is_mlflow_uri(model) or is_mlflow_model_folder(model):
        return
    path = Path(model)
    if (path / META_FILE).is_file():
        what = "a model folder written by train, not an MLflow model"
    elif path.exists():
        what = "not an MLflow model (no MLmodel file)"
    else:
        what = "no such model folder"
    raise ModelError(f"{model}: {what}; serve a logged model: --model models:/NAME@alias or runs:/RUN_ID/model "
                     "(train --register NAME logs and registers one)")  # fmt: skip


def _with_venv_bin(path: str) -> str:
    """`mlflow models serve` starts uvicorn by name: put this interpreter's bin/ first on PATH."""
    return os.pathsep.join([str(Path(sys.executable).parent), path])
