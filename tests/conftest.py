"""Shared fixtures: one small generated world and one model trained on it, built once per test session."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

TRAIN_BEFORE = "2026-01-01"
MLFLOW_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
OFFLINE = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "NO_PROXY": "127.0.0.1,localhost",
           "no_proxy": "127.0.0.1,localhost"}  # fmt: skip


@dataclass
class TrainedWorld:
    world: object
    frame: pd.DataFrame  # point-in-time training set (all snapshots)
    features: list[str]
    scorer: object
    profile: dict  # the scorer's monitoring reference profile (saved beside it as profile.json)
    model_dir: Path
    train_before: str  # the scorer saw only snapshots before this date


@pytest.fixture(autouse=True)
def package_logger_as_new():
    """A CLI run configures the package logger for its process (own handler, no propagation); in the test process
    that would outlive it, even from a module fixture, and hide later tests' records from ``caplog``."""

    def reset():
        logger = logging.getLogger("predictive_leads")
        logger.handlers.clear()
        logger.setLevel(logging.NOTSET)
        logger.propagate = True

    reset()
    yield
    reset()


@pytest.fixture(scope="session")
def trained_world(tmp_path_factory) -> TrainedWorld:
    """A 3,000-lead world, monthly snapshots, and a default LeadScorer fitted on those before 2026 and saved."""
    from predictive_leads.data.files import json_text
    from predictive_leads.features import build_training_set, feature_columns
    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.monitoring.profile import PROFILE_FILE, fit_profile
    from predictive_leads.synth import generate_world

    world = generate_world(n_leads=3000, seed=1)
    frame = build_training_set(world.leads, world.events, world.conversions,
                               as_of=pd.date_range("2025-03-01", "2026-06-01", freq="MS", tz="UTC"),
                               observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    features = feature_columns(frame)
    train = frame[frame["as_of"] < TRAIN_BEFORE]  # later snapshots stay unseen, for out-of-time checks
    scorer = LeadScorer(time_column="as_of", min_positives=20).fit(train[[*features, "as_of"]], train["converted"])
    profile = fit_profile(scorer, train[[*features, "as_of"]], train["converted"])
    model_dir = scorer.save(tmp_path_factory.mktemp("model"))
    (model_dir / PROFILE_FILE).write_text(json_text(profile, indent=1))
    return TrainedWorld(world, frame, features, scorer, profile, model_dir, TRAIN_BEFORE)


@pytest.fixture(scope="module")
def offline_mlflow():
    """No telemetry, no proxy, no inherited tracking/registry URI for one test module; the process's values are
    restored afterwards (``mlflow.set_tracking_uri`` / ``set_registry_uri`` write these variables too)."""
    saved = {k: os.environ.get(k) for k in (*MLFLOW_VARS, *OFFLINE)}
    for key in MLFLOW_VARS:
        os.environ.pop(key, None)
    os.environ.update(OFFLINE)
    yield
    if "mlflow" in sys.modules:
        import mlflow

        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
    for key, value in saved.items():
        os.environ.pop(key, None)
        if value is not None:
            os.environ[key] = value


@pytest.fixture
def registry_store(offline_mlflow, tmp_path, monkeypatch):
    """An embedded MLflow store that the CLI and the registry functions both use (through the environment)."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path


@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for the whole run (loopback only, UI off)."""
    from predictive_leads.features.engine import local_spark

    session = local_spark("predictive-leads-tests")
    yield session
    session.stop()


@dataclass
class SegmentedWorld:
    raw: Path  # the generated world (with spec.yaml declaring product_line)
    training_set: Path
    model_dir: Path  # trained with --segment-by product_line
    run: object  # the jobs.train TrainRun


def _segmented_world(folder: Path, *, profiles_differ: bool) -> SegmentedWorld:
    from predictive_leads.jobs.data import build_dataset, generate
    from predictive_leads.jobs.train import train

    raw = generate(folder / "raw", n_leads=20_000, seed=42, product_lines=2, profiles_differ=profiles_differ).out
    built = build_dataset(raw, folder / "train.parquet", every="month", start="2025-03-01", end="2026-03-01",
                          spec=raw / "spec.yaml")  # fmt: skip
    run = train(built.out, folder / "model", segment_by="product_line", n_boot=200)
    return SegmentedWorld(raw, built.out, run.out, run)


@pytest.fixture(scope="session")
def product_line_worlds(tmp_path_factory) -> dict[str, SegmentedWorld]:
    """Two 20k-lead worlds of two product lines (seed 42), each with a model trained ``--segment-by product_line``:
    ``"differ"`` (the second line's firmographic profile reversed) and ``"same"`` (one profile for both)."""
    return {name: _segmented_world(tmp_path_factory.mktemp(f"lines-{name}"), profiles_differ=name == "differ")
            for name in ("differ", "same")}  # fmt: skip
