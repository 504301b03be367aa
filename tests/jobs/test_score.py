"""Scoring jobs without the CLI: the scoring frame at a date, batch scores with row accounting, one lead explained."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from predictive_leads.explain.reasons import DEFAULT_TOP_K
from predictive_leads.jobs import score as jobs
from predictive_leads.models.rules import RuleScorer

from .conftest import SCORED_ON


def test_scoring_from_raw_data_writes_the_frame_the_scores_and_accounts_for_every_row(scored):
    frame = scored.scoring_frame
    assert frame.path == jobs.scoring_frame_path(scored.output) and frame.path.name == "scores.scoring_frame.parquet"
    assert frame.as_of == pd.Timestamp(SCORED_ON, tz="UTC") and len(pd.read_parquet(frame.path)) == frame.rows
    out = pd.read_parquet(scored.output)
    summary = scored.summary
    assert summary.rows_in == frame.rows == len(out) == summary.scored + summary.rejected and summary.rejected == 0
    assert set(out["lead_id"]) == set(frame.frame["lead_id"].astype(str))
    assert (out["stage"] == "disqualified").sum() == sum(summary.disqualified.values()) > 0
    assert f"reason_{DEFAULT_TOP_K}" in out and f"reason_{DEFAULT_TOP_K + 1}" not in out  # reasons per lead
    assert scored.model_version.startswith("sha256:") and (out["model_version"] == scored.model_version).all()
    assert scored.lines[0].startswith(f"rows in {frame.rows:,} = scored {frame.rows:,} + rejected 0")
    assert not scored.rejects.exists() and scored.rejects.name == "scores.rejects.csv"


def test_scoring_a_file_sends_bad_rows_to_the_rejects_with_a_reason(trained_world, scored, tmp_path):
    frame = scored.scoring_frame.frame.head(40).copy()
    frame.loc[frame.index[:3], "lead_id"] = None
    frame.to_csv(tmp_path / "in.csv", index=False)
    seen: list[tuple[int, int]] = []
    run = jobs.score(trained_world.model_dir, tmp_path / "out.csv", input=tmp_path / "in.csv", top_k=0,
                     chunk_rows=16, disqualify=False, progress=lambda done, bad: seen.append((done, bad)))  # fmt: skip
    rejects = pd.read_csv(run.rejects)
    assert (run.summary.rows_in, run.summary.scored, run.summary.rejected) == (40, 37, 3) and len(rejects) == 3
    assert rejects["row"].tolist() == [1, 2, 3] and set(rejects["reason"]) == {"missing id"}
    assert seen == [(16, 3), (32, 3), (40, 3)] and run.scoring_frame is None
    out = pd.read_csv(run.output)
    assert len(out) == 37 and "reason_1" not in out and not (out["stage"] == "disqualified").any()


def test_score_needs_one_source_and_a_date_for_raw_data(trained_world, world_dir, tmp_path):
    with pytest.raises(ValueError, match="give either --input"):
        jobs.score(trained_world.model_dir, tmp_path / "x.parquet")
    with pytest.raises(ValueError, match="--data needs --as-of"):
        jobs.score(trained_world.model_dir, tmp_path / "x.parquet", data=world_dir)


def test_explain_gives_the_scores_the_reasons_and_the_rule_baseline(trained_world, scored):
    frame = scored.scoring_frame
    lead = str(frame.frame["lead_id"].iloc[0])
    found = jobs.explain(trained_world.model_dir, frame.path, lead, rules="fit_and_engagement", top_k=2)
    expected = trained_world.scorer.score_frame(frame.frame[frame.frame["lead_id"] == lead]).iloc[0]
    assert (found.score, found.grade, found.stage) == (expected.score, expected.grade, expected.stage)
    assert found.probability == pytest.approx(expected.probability) and found.as_of == SCORED_ON
    assert set(found.reasons["direction"]) <= {"positive", "negative"} and len(found.reasons) <= 4
    assert found.reasons["code"].str.endswith(("_UP", "_DOWN")).all()
    baseline = found.rules
    row = frame.frame[frame.frame["lead_id"] == lead]
    rules = RuleScorer(table="fit_and_engagement").fit(row).fired_rules(row).iloc[0]
    assert baseline.name == "fit_and_engagement" and baseline.fired
    assert (baseline.score, baseline.tier) == (rules["rule_score"], rules["rule_tier"])
    assert sorted(f"{r.rule}({r.points:+d})" for r in baseline.fired) == sorted(rules["rules_fired"].split("; "))
    assert [abs(r.points) for r in baseline.fired] == sorted((abs(r.points) for r in baseline.fired), reverse=True)
    shown, more, points = baseline.split(1)
    assert shown == baseline.fired[:1] and more == max(len(baseline.fired) - 1, 0)
    assert points == sum(r.points for r in baseline.fired[1:])


def test_explain_takes_the_latest_snapshot_or_the_one_asked_for(trained_world, tmp_path):
    data = tmp_path / "train.parquet"
    trained_world.frame.to_parquet(data)
    lead = trained_world.frame["lead_id"].value_counts().index[0]  # a lead with several snapshots
    dates = sorted(trained_world.frame.loc[trained_world.frame["lead_id"] == lead, "as_of"])
    latest = jobs.explain(trained_world.model_dir, data, str(lead))
    assert latest.as_of == f"{dates[-1]:%Y-%m-%d}" and latest.rules is None  # no scorecard saved with this model
    first = jobs.explain(trained_world.model_dir, data, str(lead), as_of=f"{dates[0]:%Y-%m-%d}")
    assert first.as_of == f"{dates[0]:%Y-%m-%d}"
    with pytest.raises(ValueError, match=re.escape("train.parquet: no row for lead_id nobody")):
        jobs.explain(trained_world.model_dir, data, "nobody")
    with pytest.raises(ValueError, match=re.escape("no id column 'id' (use --id-col)")):
        jobs.explain(trained_world.model_dir, data, str(lead), id_col="id")
