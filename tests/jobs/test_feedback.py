"""A planted sales feedback file, end to end: train excludes and relabels as declared, monitor and the segment
report show it."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from predictive_leads.cli.app import app
from predictive_leads.jobs import monitor as monitor_jobs
from predictive_leads.jobs import train as train_jobs


@pytest.fixture(scope="module")
def planted(trained_world, tmp_path_factory):
    """Feedback on 40 leads that never converted ("student", to exclude) and 30 that converted ("duplicate", to
    relabel), each given on the lead's third snapshot; and the rows it should touch."""
    frame = trained_world.frame
    ever = frame.groupby("lead_id")["converted"].max()
    students, dupes = ever[ever == 0].index[:40], ever[ever == 1].index[:30]
    given = frame.groupby("lead_id")["as_of"].apply(lambda s: sorted(s)[min(2, len(s) - 1)])
    rows = [(lead, "rejected", "student", given[lead]) for lead in students]
    rows += [(lead, "rejected", "duplicate", given[lead]) for lead in dupes]
    path = tmp_path_factory.mktemp("feedback") / "feedback.csv"
    pd.DataFrame(rows, columns=["lead_id", "disposition", "reason", "date"]).to_csv(path, index=False)
    excluded = frame["lead_id"].isin(students)
    before = frame["as_of"] < frame["lead_id"].map(given)
    relabelled = frame["lead_id"].isin(dupes) & before & frame["converted"].eq(1)
    return path, int(excluded.sum()), int(relabelled.sum())


def test_train_excludes_and_relabels_exactly_the_declared_rows(planted, training_file, tmp_path):
    path, excluded, relabelled = planted
    run = train_jobs.train(training_file, tmp_path / "m", n_boot=10, force=True, feedback=path,
                           feedback_exclude=["student"], feedback_negative=["duplicate"])  # fmt: skip
    assert f"{excluded:,} rows of 40 leads excluded; {relabelled:,} converted rows of" in run.notes[0]
    assert excluded > 0 and relabelled > 0
    meta = json.loads((tmp_path / "m" / "metrics.json").read_text())["meta"]
    assert meta["notes"][0] == run.notes[0] and "sales feedback" in (tmp_path / "m" / "report.html").read_text()


def test_monitor_and_the_segment_report_show_the_feedback(planted, trained_world, training_file, scored, world_dir,
                                                          tmp_path):  # fmt: skip
    path, _, _ = planted
    run = monitor_jobs.monitor(trained_world.model_dir, training_file, "2026-09-01", out=tmp_path / "mon",
                               n_boot=10, feedback=path)  # fmt: skip
    shares = pd.DataFrame(json.loads(run.files[0].read_text())["feedback"])
    assert {"(any)", "rejected: student", "rejected: duplicate"} >= set(shares["feedback"])
    assert (shares["mqls"] > 0).all() and "Sales feedback on the model's MQLs" in run.files[1].read_text()
    out = tmp_path / "seg"
    result = CliRunner().invoke(app, ["report-segments", "--scores", str(scored.output), "--outcomes",
                                      str(world_dir / "conversions.parquet"), "--by", "source", "--out", str(out),
                                      "--n-boot", "10", "--feedback", str(path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "segments.csv")
    assert table["mqls"].notna().all() and "Sales feedback by lead_source" in (out / "segments.html").read_text()
