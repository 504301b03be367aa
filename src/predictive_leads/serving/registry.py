"""MLflow at the edge: tracked training runs, the pickle-free pyfunc model, registry aliases and a promotion gate.

Tracking URI: ``MLFLOW_TRACKING_URI`` when set (a team's server, Databricks), else an embedded SQLite store in
``models/mlflow/`` (artifacts next to it). Registry aliases only (``challenger``, ``champion``); the deprecated
stages are never used. Nothing that identifies a person is logged: params are hyper-parameters and data facts,
and the input example is synthetic derived features (a raw lead's name, email or phone, when a caller sends one,
is read by the feature parsers inside ``predict`` and never reaches a reply or a log).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from predictive_leads.explain.reasons import DEFAULT_TOP_K
from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.models.saved_files import ModelError, read_json
from predictive_leads.models.segment_models import SegmentModels, load_segment_models
from predictive_leads.monitoring.profile import PROFILE_FILE
from predictive_leads.training.promotion import Gate, Promotion, judge

logger = logging.getLogger(__name__)

DEFAULT_STORE = Path("models") / "mlflow"
DEFAULT_EXPERIMENT = "predictive-leads"
MONITOR_EXPERIMENT = "predictive-leads-monitoring"
MODEL_ARTIFACT = "model"
MODEL_URI_TAG = "predictive_leads.model_uri"
CHALLENGER, CHAMPION = "challenger", "champion"


def tracking_uri(store: str | Path = DEFAULT_STORE) -> str:
    """``MLFLOW_TRACKING_URI`` if set, else ``sqlite:///`` in ``store`` (created on first use)."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    Path(store).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(store).resolve() / 'mlflow.db'}"


def offline_env() -> dict[str, str]:
    """Environment that keeps MLflow from phoning home (usage telemetry); applied before mlflow is imported."""
    return {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}


def import_mlflow():
    """``mlflow``, imported with usage telemetry off (it must never send traffic anywhere)."""
    for key, value in offline_env().items():
        os.environ.setdefault(key, value)
    import mlflow

    return mlflow


def _mlflow(store: str | Path = DEFAULT_STORE):
    """MLflow pointed at ``store`` (see :func:`tracking_uri`) — unless the caller has a run active (a notebook's
    ``mlflow.start_run()``): then its tracking store is kept, so our run nests inside it."""
    mlflow = import_mlflow()
    if mlflow.active_run() is not None:
        return mlflow
    uri = tracking_uri(store)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow


def _where(mlflow, experiment: str) -> dict:
    """``start_run`` arguments: nested in the caller's active run (in its experiment), else in ``experiment``."""
    parent = mlflow.active_run()
    if parent is not None:
        return {"nested": True, "experiment_id": parent.info.experiment_id}
    return {"experiment_id": _experiment_id(mlflow, experiment)}


def _experiment_id(mlflow, name: str) -> str:
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    uri, location = mlflow.get_tracking_uri(), None
    if uri.startswith("sqlite:///"):  # a database file: keep the artifacts beside it, not in ./mlruns
        location = (Path(uri.removeprefix("sqlite:///")).resolve().parent / "artifacts").as_uri()
    return mlflow.create_experiment(name, artifact_location=location)


# ------------------------------------------------------------------------------------------ logging


def log_pyfunc(scorer: LeadScorer, *, profile: dict | None = None, top_k: int = DEFAULT_TOP_K,
               rules: str | None = None, dataset: dict | None = None, segments=None):  # fmt: skip
    """Log ``scorer`` as a pyfunc model into the active run (pickle-free; package code shipped with it), with the
    rule table's YAML ``rules`` scored beside it in every reply, the training set's ``dataset`` (spec and
    feature config) so that it scores raw leads too, and its ``segments`` (a
    :class:`~predictive_leads.models.segment_models.SegmentModels` around ``scorer``) in the same model: the set
    is one version, and each lead is scored by its segment's model."""
    from predictive_leads.serving import pyfunc as serving

    mlflow = import_mlflow()

    package = Path(__file__).resolve().parents[1]  # the whole predictive_leads package travels with the model
    with tempfile.TemporaryDirectory() as tmp:
        data = serving.write_pyfunc_data(scorer, Path(tmp) / "scorer", top_k, profile=profile, rules=rules,
                                         dataset=dataset, segments=segments)  # fmt: skip
        info = mlflow.pyfunc.log_model(
            name=MODEL_ARTIFACT,
            loader_module="predictive_leads.serving.pyfunc",
            data_path=str(data),
            code_paths=[str(package)],
            signature=serving.signature_of(scorer, top_k, rules=rules is not None, dataset=dataset),
            input_example=serving.input_example_of(scorer),
            pip_requirements=_requirements(),
        )
    mlflow.set_tag(MODEL_URI_TAG, info.model_uri)
    return info


def _requirements() -> list[str]:
    from importlib.metadata import version

    names = ("lightgbm", "numpy", "pandas", "scikit-learn", "pyyaml", "pyarrow", "mlflow")
    return [f"{n}=={version(n)}" for n in names]


def log_training_run(result, *, experiment: str = DEFAULT_EXPERIMENT, data_file: str | Path | None = None,
                     frame: pd.DataFrame | None = None, top_k: int = DEFAULT_TOP_K,
                     store: str | Path = DEFAULT_STORE, segments=None) -> str:  # fmt: skip
    """One MLflow run for a :class:`~predictive_leads.training.workflow.TrainResult`: params, out-of-time metrics
    (model and rule baseline side by side, also as the table ``evaluation/model_vs_rules.json``), report, audit,
    feature spec, rules, data facts, git commit, and the pyfunc model. With the training ``frame`` the run's inputs
    are its training and evaluation parts as MLflow datasets (schema, digest, row count and ``data_file`` as the
    source; no values). Inside a run the caller started (a notebook's ``mlflow.start_run()``) it is a nested run
    of it, in its experiment. With ``segments`` (a :class:`~predictive_leads.training.segments.SegmentedResult`
    around ``result``) the comparison is logged too and the pyfunc model carries the segment models. Returns the
    run id."""
    mlflow = _mlflow(store)
    with mlflow.start_run(**_where(mlflow, experiment)) as run:
        mlflow.log_params(_params(result, data_file))
        mlflow.log_metrics(_metrics(result.evaluation))
        mlflow.set_tags(_tags(result))
        if frame is not None:
            _log_datasets(mlflow, result, frame, data_file)
        mlflow.log_table(_ranking_table(result.evaluation), artifact_file="evaluation/model_vs_rules.json")
        if segments is not None:
            mlflow.set_tags({"segments.column": segments.column, "segments.own_models": len(segments.models)})
        with tempfile.TemporaryDirectory() as tmp:
            (segments or result).save(tmp)
            spec = {"features": result.model.input_types_, "categories": result.model.categories_,
                    "dropped_by_audit": result.dropped}  # fmt: skip
            Path(tmp, "feature_spec.json").write_text(json.dumps(spec, indent=2, sort_keys=True))
            for name in (
                "report.html",
                "metrics.json",
                "audit.csv",
                "learned_scorecard.yaml",
                "feature_spec.json",
                "segments.json",
            ):
                if Path(tmp, name).exists():
                    mlflow.log_artifact(str(Path(tmp, name)), artifact_path="evaluation")
            for table in result.meta.get("rules", []):
                _log_rule_table(mlflow, table, tmp)
        card = result.scorecard.table_.to_yaml() if result.scorecard is not None else None
        log_pyfunc(result.model, profile=result.profile, top_k=top_k, rules=card, dataset=result.dataset,
                   segments=segments.scorers() if segments is not None else None)  # fmt: skip
        return run.info.run_id


def log_monitor_run(result, out: str | Path, model_ref: str | Path, *, experiment: str = MONITOR_EXPERIMENT,
                    store: str | Path = DEFAULT_STORE) -> str:  # fmt: skip
    """One MLflow run for a monitoring result (verdict, drift and cohort metrics, ``monitor.json``/``.html`` from
    ``out``), tagged with the model it judged; a registered version also gets a tag pointing at the run. Inside the
    caller's active run it is a nested run, as :func:`log_training_run` is."""
    mlflow = _mlflow(store)
    name, version = describe_model(model_ref, store=store)
    with mlflow.start_run(**_where(mlflow, experiment)) as run:
        mlflow.set_tags({"model.name": name, "model.version": version, "monitor.as_of": result.as_of,
                         "monitor.verdict": result.verdict.status})  # fmt: skip
        mlflow.log_params({"horizon_days": result.horizon_days, "drift_population": result.facts["drift_population"]})
        mlflow.log_metrics(_monitor_metrics(result))
        for file in ("monitor.json", "monitor.html"):
            mlflow.log_artifact(str(Path(out) / file))
    if is_model_uri(model_ref):
        last = f"{result.as_of[:10]} {result.verdict.status} run {run.info.run_id}"
        mlflow.MlflowClient().set_model_version_tag(name, version, "monitor.last", last)
    return run.info.run_id


def _monitor_metrics(result) -> dict[str, float]:
    drift = result.drift.set_index("feature")
    features = drift.drop(index="score")
    out = {
        "score_psi": drift.loc["score", "psi"],
        "max_psi": features["psi"].max(),
        "max_driver_psi": features.loc[features["driver"], "psi"].max(),
        "features_act": int((features["status"] == "act").sum()),
        "mature_rows": result.facts["mature_rows"],
    }
    judged = result.cohorts.dropna(subset=["auc"]) if "auc" in result.cohorts else result.cohorts
    if len(judged):
        out |= {"latest_cohort_auc": judged["auc"].iloc[-1], "latest_cohort_ece": judged["ece"].iloc[-1]}
    gap = result.estimates[result.estimates["status"] == "estimated"] if len(result.estimates) else result.estimates
    if len(gap):  # the label gap: what the calibrated probabilities imply for the newest cohort
        latest = gap.iloc[-1]
        out |= {"estimated_auc": latest["auc_est"],
                "estimated_conversion_rate": latest["conversions_est"] / latest["n"]}  # fmt: skip
    return {k: float(v) for k, v in out.items() if v == v}


def run_location(run_id: str, *, store: str | Path = DEFAULT_STORE) -> tuple[str, str]:
    """(experiment name, tracking URI) of a run just logged (in the caller's store when it nested in their run)."""
    mlflow = _mlflow(store)
    experiment_id = mlflow.MlflowClient().get_run(run_id).info.experiment_id
    return mlflow.MlflowClient().get_experiment(experiment_id).name, mlflow.get_tracking_uri()


def _log_datasets(mlflow, result, frame: pd.DataFrame, data_file) -> None:
    """The training and evaluation parts of ``frame`` as MLflow dataset inputs (MLflow keeps their schema, digest
    and size, not their values)."""
    import warnings

    name = Path(str(data_file)).stem if data_file else "training_set"
    source = str(Path(data_file).resolve()) if data_file else None
    for part, context in (("train", "training"), ("test", "evaluation")):
        rows = frame.iloc[result.split_rows[part]]
        plain = rows.astype({c: "string" for c in rows.columns if isinstance(rows[c].dtype, pd.CategoricalDtype)})
        with warnings.catch_warnings():  # "the source can be interpreted in multiple ways": it is a local file
            warnings.simplefilter("ignore", UserWarning)
            dataset = mlflow.data.from_pandas(plain, source=source, name=f"{name}:{part}")
        mlflow.log_input(dataset, context=context)


def _ranking_table(evaluation: dict) -> pd.DataFrame:
    """The model and every rule score on the same out-of-time rows: one row each, the headline ranking metrics."""
    columns = ["roc_auc", "pr_auc", "lift_at_10", "capture_at_10", "ks", "n", "positives"]
    rows = [{"scorer": name, **{c: metrics.get(c) for c in columns}} for name, metrics in evaluation["ranking"].items()]
    return pd.DataFrame(rows)


def _log_rule_table(mlflow, name: str, tmp: str) -> None:
    from predictive_leads.models.rules import load_table

    path = Path(tmp, f"rules_{Path(str(name)).stem}.yaml")
    path.write_text(load_table(name).to_yaml(), encoding="utf-8")
    mlflow.log_artifact(str(path), artifact_path="rules")


def _params(result, data_file) -> dict:
    model, meta = result.model, result.meta
    params = {f"model.{k}": v for k, v in model.get_params().items() if not isinstance(v, tuple | list) or len(v) < 8}
    params |= {
        "model.trees": model.booster_.num_trees(),
        "model.features": len(model.feature_names_in_),
        "model.calibration_method": model.calibrator_.method,
        "model.funnel": model.thresholds_.funnel().describe(),
        "data.rows_train": meta.get("rows", {}).get("train"),
        "data.rows_test": meta.get("rows", {}).get("test"),
        "data.positives_train": meta.get("positives", {}).get("train"),
        "data.positives_test": meta.get("positives", {}).get("test"),
        "data.split": (meta.get("split") or {}).get("method"),
        "data.train_span": (meta.get("split") or {}).get("train"),
        "data.test_span": (meta.get("split") or {}).get("test"),
        "data.horizon_days": meta.get("horizon_days"),
        "data.dropped_by_audit": ", ".join(result.dropped) or "none",
    }
    if data_file is not None and Path(data_file).is_file():  # a folder (retrain's lead data) has its datasets' digests
        from predictive_leads.data.files import sha256_of

        params["data.file_sha256"] = sha256_of(data_file)
    return {k: str(v)[:500] for k, v in params.items() if v is not None}


def _metrics(evaluation: dict) -> dict[str, float]:
    out = {f"model_{k}": float(v) for k, v in evaluation["classification"].items()
           if isinstance(v, int | float) and k not in ("n", "positives", "ece_bins")}  # fmt: skip
    for row in evaluation["comparison"]:
        key = "model" if row["scorer"] == "model" else "baseline_" + _slug(row["scorer"])
        for metric in ("roc_auc", "pr_auc", "lift_at_10", "capture_at_10"):
            if row.get(metric) is not None:
                out[f"{key}_{metric}" if key != "model" else f"model_{metric}"] = float(row[metric])
    return out


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.removeprefix("rules: ")).strip("_")


def _tags(result) -> dict[str, str]:
    from predictive_leads import __version__

    tags = {"predictive_leads.version": __version__, "split": str((result.meta.get("split") or {}).get("method"))}
    commit = _git_commit()
    if commit:
        tags["mlflow.source.git.commit"] = commit
    return tags


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


# ------------------------------------------------------------------------------------------ registry


def register(run_id: str, name: str, *, alias: str = CHALLENGER, store: str | Path = DEFAULT_STORE) -> str:
    """Register the run's pyfunc model as a new version of ``name`` and point ``alias`` at it; returns the
    version."""
    mlflow = _mlflow(store)
    client = mlflow.MlflowClient()
    try:
        uri = client.get_run(run_id).data.tags.get(MODEL_URI_TAG, f"runs:/{run_id}/{MODEL_ARTIFACT}")
    except mlflow.exceptions.MlflowException:
        raise ModelError(f"no MLflow run {run_id!r} in {mlflow.get_tracking_uri()}") from None
    with _quiet_mlflow():
        version = mlflow.register_model(uri, name).version
    client.set_registered_model_alias(name, alias, version)
    logger.info("registered %s as version %s of %s (alias %s)", uri, version, name, alias)
    return str(version)


@contextlib.contextmanager
def _quiet_mlflow():
    """MLflow prints "Successfully registered model …" to stderr whatever the log level; keep it for ``-v``."""
    from mlflow.utils.logging_utils import MLFLOW_LOGGING_STREAM

    if logging.getLogger("mlflow").isEnabledFor(logging.INFO):
        yield
        return
    before = MLFLOW_LOGGING_STREAM.enabled  # process-wide: a concurrent thread's MLflow lines are muted meanwhile
    MLFLOW_LOGGING_STREAM.enabled = False
    try:
        yield
    finally:
        MLFLOW_LOGGING_STREAM.enabled = before


def is_model_uri(ref: str | Path) -> bool:
    return str(ref).startswith("models:/")


def is_mlflow_uri(ref: str | Path) -> bool:
    """A URI MLflow resolves (``models:/…``, ``runs:/…``, ``s3://…``, ``dbfs:/…``), not a local path (a scheme
    of two letters or more, so ``C:/`` stays a path)."""
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]+:/", str(ref)) is not None


def is_mlflow_model_folder(path: str | Path) -> bool:
    """A local folder ``mlflow models serve`` can serve: an MLflow model (it has an ``MLmodel`` file)."""
    return not is_mlflow_uri(path) and (Path(path) / "MLmodel").is_file()


def load_scorer(ref: str | Path, *, store: str | Path = DEFAULT_STORE) -> LeadScorer:
    """A ``LeadScorer`` from a model directory or a registry URI such as ``models:/lead-scoring@champion``
    (a damaged file is a one-line :class:`ModelError` naming it)."""
    return LeadScorer.load(model_folder(ref, store=store))


def load_profile(ref: str | Path, *, store: str | Path = DEFAULT_STORE) -> dict | None:
    """The model's monitoring reference profile (``profile.json`` beside it), None when it was saved without."""
    path = model_folder(ref, store=store) / PROFILE_FILE
    return read_json(path, keys={}) if path.exists() else None


def load_account_scorer(ref: str | Path, *, store: str | Path = DEFAULT_STORE) -> LeadScorer | None:
    """The model's account score (its ``account/`` folder), None when it has none."""
    from predictive_leads.training.workflow import ACCOUNT_FOLDER

    folder = model_folder(ref, store=store) / ACCOUNT_FOLDER
    return LeadScorer.load(folder) if (folder / "scorer.json").exists() else None


def load_scorers(ref: str | Path, *, store: str | Path = DEFAULT_STORE) -> tuple[LeadScorer, SegmentModels | None]:
    """The model (its pooled one, when it has segment models) and its segment models
    (:class:`~predictive_leads.models.segment_models.SegmentModels`, None when it has none), from one download."""

    folder = model_folder(ref, store=store)
    scorer = LeadScorer.load(folder)
    return scorer, load_segment_models(folder, scorer)


def load_model(ref: str | Path, *, store: str | Path = DEFAULT_STORE) -> LeadScorer | SegmentModels:
    """The model as scoring uses it, for evaluation, promotion and monitoring: its segment models around the pooled
    one when it has any, else the ``LeadScorer``."""
    scorer, segments = load_scorers(ref, store=store)
    return segments or scorer


def load_dataset(ref: str | Path, *, store: str | Path = DEFAULT_STORE) -> dict:
    """The dataset the model was trained on (``dataset.json`` beside it): its spec and resolved feature config;
    empty for models saved without (trained on our synthetic world's tables, or on a flat export)."""
    from predictive_leads.training.workflow import DATASET_FILE

    path = model_folder(ref, store=store) / DATASET_FILE
    return read_json(path, keys={}) if path.exists() else {}


def model_folder(ref: str | Path, *, store: str | Path = DEFAULT_STORE) -> Path:
    """The local folder holding a model's files: the directory itself, the data folder of a local MLflow model,
    or the downloaded data of a registry or run model (``models:/…``, ``runs:/…``)."""
    if not is_mlflow_uri(ref):
        return _data_folder(Path(ref), ref) if is_mlflow_model_folder(ref) else Path(ref)
    mlflow = _mlflow(store)
    try:
        local = Path(mlflow.artifacts.download_artifacts(str(ref)))
    except mlflow.exceptions.MlflowException as exc:
        raise ModelError(f"{ref}: {str(exc).splitlines()[0]}") from None
    return _data_folder(local, ref)


def _data_folder(local: Path, ref: str | Path) -> Path:
    found = min(local.rglob("scorer.json"), key=lambda p: len(p.parts), default=None)  # not account/scorer.json
    if found is None:
        raise ModelError(f"{ref}: not a predictive_leads model (no scorer.json in its artifacts)")
    return found.parent


def promote(name: str, frame: pd.DataFrame, *, target: str = "converted", gate: Gate | None = None,
            store: str | Path = DEFAULT_STORE) -> Promotion:  # fmt: skip
    """Compare ``name@challenger`` with ``name@champion`` on ``frame`` (labelled rows later than both models'
    training data) and move ``champion`` to the challenger only if the gate passes. The first model always
    passes. Both outcomes are recorded as tags on the challenger version."""
    mlflow = _mlflow(store)
    client = mlflow.MlflowClient()
    challenger_version = _alias_version(client, name, CHALLENGER)
    if challenger_version is None:
        raise ModelError(f"{name}: no version has the alias {CHALLENGER!r}; register one first")
    champion_version = _alias_version(client, name, CHAMPION)
    challenger = load_model(f"models:/{name}@{CHALLENGER}", store=store)
    champion = load_model(f"models:/{name}@{CHAMPION}", store=store) if champion_version else None
    decision = judge(challenger, champion, frame, target=target, gate=gate,
                     versions=(challenger_version, champion_version))  # fmt: skip
    comparison = {"challenger": decision.challenger, "champion": decision.champion}
    tags = {"promotion.result": "promoted" if decision.promoted else "refused", "promotion.reason": decision.reason,
            "promotion.rows": str(decision.rows),
            "promotion.comparison": json.dumps(comparison, sort_keys=True)}  # fmt: skip
    for key, value in tags.items():
        client.set_model_version_tag(name, challenger_version, key, value)
    if decision.promoted:
        client.set_registered_model_alias(name, CHAMPION, challenger_version)
    return decision


def _alias_version(client, name: str, alias: str) -> str | None:
    import mlflow

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except mlflow.exceptions.MlflowException:
        return None


def serve_command(model_uri: str, port: int, *, workers: int = 1) -> list[str]:
    """The ``mlflow models serve`` command line for ``model_uri`` on 127.0.0.1 (current environment)."""
    return ["mlflow", "models", "serve", "-m", str(model_uri), "--env-manager", "local", "-h", "127.0.0.1",
            "-p", str(port), "-w", str(workers)]  # fmt: skip


def describe_model(ref: str | Path, *, store: str | Path = DEFAULT_STORE) -> tuple[str, str]:
    """(name, version) for outputs: the registered name and version, or the folder name and a content hash."""
    if is_model_uri(ref):
        name, _, alias = str(ref).removeprefix("models:/").partition("@")
        if alias:
            client = _mlflow(store).MlflowClient()
            return name, str(client.get_model_version_by_alias(name, alias).version)
        name, _, version = name.partition("/")
        return name, version
    from predictive_leads.models.segment_models import content_version

    name = str(ref) if is_mlflow_uri(ref) else Path(ref).resolve().name  # runs:/… is named by its URI
    return name, content_version(model_folder(ref, store=store))
