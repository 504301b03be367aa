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
    relabelled = frame["lead_id"].isin(dupes) & (frame["as_of"] < frame["lead_id"].map(given))
    return path, excluded, relabelled & frame["converted"].eq(1)


def test_train_excludes_and_relabels_exactly_the_declared_rows(planted, trained_world, training_file, tmp_path):
    path, excluded, relabelled = planted
    run = train_jobs.train(training_file, tmp_path / "m", n_boot=10, force=True, feedback=path,
                           feedback_exclude=["student"], feedback_negative=["duplicate"])  # fmt: skip
    assert f"{excluded.sum():,} rows of 40 leads excluded; {relabelled.sum():,} converted rows of" in run.notes[0]
    assert excluded.sum() > 0 and relabelled.sum() > 0
    meta = json.loads((tmp_path / "m" / "metrics.json").read_text())["meta"]
    assert meta["notes"][0] == run.notes[0] and "sales feedback" in (tmp_path / "m" / "report.html").read_text()
    frame = trained_world.frame  # a hand count of the rows and positives the model was trained and tested on
    dates = pd.to_datetime(frame["as_of"], utc=True)
    split = meta["split"]
    used = ~excluded & (dates.between(*pd.to_datetime(split["train"], utc=True))
                        | dates.between(*pd.to_datetime(split["test"], utc=True)))  # fmt: skip
    labels = frame["converted"].where(~relabelled, 0)
    assert sum(meta["rows"].values()) == used.sum() and sum(meta["positives"].values()) == labels[used].sum()


@pytest.fixture(scope="module")
def told_after_scoring(trained_world, scored, tmp_path_factory):
    """ "rejected: student" on 2026-03-10 for 20 leads the model made MQL or SQL on the 2026-03-01 snapshot and 20
    of the batch output scored that day; 'no budget' on 2026-03-20 for the first 10 of each."""
    frame = trained_world.frame
    snapshot = frame[frame["as_of"] == "2026-03-01"]
    stage = trained_world.scorer.score_frame(snapshot[trained_world.features])["stage"].to_numpy()
    monitored = snapshot.loc[pd.Series(stage).isin(["MQL", "SQL"]).to_numpy(), "lead_id"].head(20)
    batch = pd.read_parquet(scored.output)
    sent = batch.loc[batch["stage"].isin(["MQL", "SQL"]), "lead_id"].head(20)
    rows = [(lead, "rejected", "student", "2026-03-10") for lead in [*monitored, *sent]]
    rows += [(lead, "rejected", "no budget", "2026-03-20") for lead in [*monitored[:10], *sent[:10]]]
    path = tmp_path_factory.mktemp("told") / "feedback.csv"
    pd.DataFrame(rows, columns=["lead_id", "disposition", "reason", "date"]).to_csv(path, index=False)
    return path


def test_monitor_and_the_segment_report_show_the_feedback(told_after_scoring, trained_world, training_file, scored,
                                                          world_dir, tmp_path):  # fmt: skip
    run = monitor_jobs.monitor(trained_world.model_dir, training_file, "2026-09-01", out=tmp_path / "mon",
                               n_boot=10, feedback=told_after_scoring)  # fmt: skip
    shares = pd.DataFrame(json.loads(run.files[0].read_text())["feedback"]).set_index(["month", "band", "feedback"])
    march = shares.loc[("2026-03", "all")]
    assert (
        march.loc["rejected: student", "with_feedback"] >= 20
        and march.loc["rejected: no budget", "with_feedback"] >= 10
    )
    assert march.loc["(any)", "with_feedback"] == march.loc["rejected: student", "with_feedback"]
    assert "Sales feedback on the model's MQLs" in run.files[1].read_text()
    out = tmp_path / "seg"
    result = CliRunner().invoke(app, ["report-segments", "--scores", str(scored.output), "--outcomes",
                                      str(world_dir / "conversions.parquet"), "--by", "source", "--out", str(out),
                                      "--n-boot", "10", "--feedback", str(told_after_scoring)])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "segments.csv")
    everyone = table[table["segment"] == "(all leads)"].iloc[0]
    assert everyone["mqls_with_feedback"] >= 20 and everyone["top_feedback"].startswith("rejected: student (")
    assert table["mqls"].notna().all() and "Sales feedback by lead_source" in (out / "segments.html").read_text()
