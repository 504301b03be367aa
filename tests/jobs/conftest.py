"""Fixtures for the jobs tests: the trained world on disk, and its open leads scored on 2026-03-01."""

from __future__ import annotations

from pathlib import Path

import pytest

SCORED_ON = "2026-03-01"


@pytest.fixture(scope="session")
def world_dir(trained_world, tmp_path_factory) -> Path:
    """The shared 3,000-lead world written as a raw data folder (leads, events, conversions, truth, manifest)."""
    from predictive_leads.synth import write_world

    return write_world(trained_world.world, tmp_path_factory.mktemp("jobs") / "world")


@pytest.fixture(scope="session")
def scored(trained_world, world_dir):
    """``jobs.score.score`` of the world's open leads on 2026-03-01 (the scoring frame written beside)."""
    from predictive_leads.jobs.score import score

    output = world_dir.parent / "scores.parquet"
    return score(trained_world.model_dir, output, data=world_dir, as_of=SCORED_ON, scored_at=SCORED_ON)


@pytest.fixture(scope="session")
def training_file(trained_world, tmp_path_factory) -> Path:
    """The trained world's point-in-time training set (all snapshots) as a Parquet file."""
    path = tmp_path_factory.mktemp("train") / "train.parquet"
    trained_world.frame.to_parquet(path)
    return path


@pytest.fixture(scope="session")
def trained_run(training_file):
    """(``jobs.train.train`` on the training file into a model folder, the stages it reported)."""
    from predictive_leads.jobs.train import train

    stages: list[str] = []
    run = train(training_file, training_file.parent / "model", n_boot=20, force=True, on_stage=stages.append)
    return run, stages
