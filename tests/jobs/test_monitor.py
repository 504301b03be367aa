"""The monitoring job without the CLI: input assembly, verdict, monitor.json and monitor.html."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from predictive_leads.jobs import monitor as jobs

AS_OF = pd.Timestamp("2026-09-01", tz="UTC")


def test_the_input_from_a_training_set_is_its_latest_snapshot_and_all_rows_up_to_then(trained_world, training_file):
    current, labelled = jobs.monitoring_input(training_file, pd.Timestamp("2026-03-15", tz="UTC"))
    frame = trained_world.frame
    assert (current["as_of"] == pd.Timestamp("2026-03-01", tz="UTC")).all()
    assert len(current) == (frame["as_of"] == "2026-03-01").sum()
    assert len(labelled) == (frame["as_of"] <= "2026-03-15").sum()
    with pytest.raises(ValueError, match=re.escape("train.parquet: no rows at or before 2024-01-01")):
        jobs.monitoring_input(training_file, pd.Timestamp("2024-01-01", tz="UTC"))


def test_the_input_from_raw_data_is_built_point_in_time(world_dir):
    current, labelled = jobs.monitoring_input(world_dir, AS_OF, months=3)
    assert (current["as_of"] == AS_OF).all() and "converted" not in current
    labels = labelled.groupby("as_of")["converted"].count()
    dates = sorted(labels[labels > 0].index)  # three mature months, with labels
    assert len(dates) == 3 and dates[-1] + pd.Timedelta(days=90) <= AS_OF
    gap = sorted(labels[labels == 0].index)  # the label gap and as_of itself: estimated, no labels
    assert gap[0] == dates[-1] + pd.DateOffset(months=1) and gap[-1] == AS_OF


def test_monitor_writes_json_and_html_and_returns_the_verdict(trained_world, training_file, tmp_path):
    stages: list[str] = []
    run = jobs.monitor(trained_world.model_dir, training_file, "2026-09-01", out=tmp_path / "mon", n_boot=20,
                       on_stage=stages.append)  # fmt: skip
    json_path, html_path = run.files
    report = json.loads(json_path.read_text())
    assert report["verdict"] == run.verdict.to_dict() and run.verdict.status in {"ok", "watch", "retrain"}
    assert report["as_of"].startswith("2026-09-01") and report["facts"]["mature_rows"] > 0
    assert "<h2>Verdict" in html_path.read_text() and run.run_id is None  # a model folder: MLflow off by default
    assert stages == ["building the monitoring frames", "judging drift and matured outcomes"]


def test_monitor_refuses_a_date_inside_the_training_data_before_reading_it(trained_world, tmp_path):
    with pytest.raises(ValueError, match="is not after the model's training data"):
        jobs.monitor(trained_world.model_dir, tmp_path / "not-read.parquet", "2025-06-01", out=tmp_path / "mon")
    assert not (tmp_path / "mon").exists()


def test_a_mid_month_as_of_is_the_only_snapshot_of_its_month(world_dir):
    mid = pd.Timestamp("2026-09-15", tz="UTC")
    _, labelled = jobs.monitoring_input(world_dir, mid, months=2)
    dates = pd.to_datetime(sorted(labelled["as_of"].unique()), utc=True)
    assert dates[-1] == mid and pd.Timestamp("2026-09-01", tz="UTC") not in dates
    assert dates.strftime("%Y-%m").is_unique, "one snapshot per monthly cohort: a lead is counted once"
