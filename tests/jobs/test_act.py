"""From scores to action without the CLI: the join with the scoring frame, routing, the segment report."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from predictive_leads.jobs import act as jobs

REPS = """reps:
  - {name: Ana, team: eu, territories: [Europe]}
  - {name: Ben, team: eu}
  - {name: Cleo, team: rest}
rules:
  - when: {region: [Europe]}
    team: eu
default_team: rest
"""


def test_scores_are_joined_with_the_columns_their_scoring_frame_has(scored, tmp_path):
    joined = jobs.scores_with_frame(scored.output, columns=["region", "lead_source", "not_a_column", "stage"])
    out = pd.read_parquet(scored.output)
    assert len(joined) == len(out) and joined["lead_id"].tolist() == out["lead_id"].tolist()
    assert {"region", "lead_source"} <= set(joined) and "not_a_column" not in joined
    assert (joined["stage"] == out["stage"]).all(), "columns the scores have are kept, not joined again"
    alone = tmp_path / "alone.parquet"
    out.to_parquet(alone)
    assert "region" not in jobs.scores_with_frame(alone, columns=["region"])  # no frame beside: scores as they are
    partial = tmp_path / "partial.parquet"
    scored.scoring_frame.frame.iloc[1:].to_parquet(partial)
    with pytest.raises(ValueError, match=re.escape("partial.parquet: no row for scored lead")):
        jobs.scores_with_frame(scored.output, partial, ["region"])


def test_route_assigns_every_lead_once_or_says_why(scored, tmp_path):
    (tmp_path / "reps.yaml").write_text(REPS)
    routed = jobs.route(scored.output, tmp_path / "reps.yaml", tmp_path / "assignments.csv", seed=1)
    written = pd.read_csv(routed.out)
    assert routed.rows_in == len(written) == scored.summary.rows_in and written["lead_id"].is_unique
    assert routed.assigned == written["rep"].notna().sum() and routed.assigned + routed.unassigned_total == len(written)
    assert routed.unassigned == {"disqualified": sum(scored.summary.disqualified.values())}
    assert set(routed.per_rep["rep"]) == {"Ana", "Ben", "Cleo"} and routed.per_rep["leads"].sum() == routed.assigned
    region = written.merge(jobs.scores_with_frame(scored.output, columns=["region"])[["lead_id", "region"]])["region"]
    assert set(written.loc[region.eq("Europe").to_numpy() & written["rep"].notna(), "team"]) == {"eu"}
    assert routed.spread["within_bound"].all() and routed.mode == "balanced"
    with pytest.raises(ValueError, match="--mode must be one of round_robin, rules, balanced, got 'fair'"):
        jobs.route(scored.output, tmp_path / "reps.yaml", tmp_path / "x.csv", mode="fair")


def test_report_segments_writes_csv_and_html_with_the_rule_baseline(scored, world_dir, tmp_path):
    assert jobs.segment_dimensions("source, role,,industry") == ["lead_source", "seniority", "industry"]
    report = jobs.report_segments(scored.output, world_dir / "conversions.parquet", tmp_path / "seg",
                                  by=["source"], rules="engagement", n_boot=20)  # fmt: skip
    csv_path, html_path = report.files
    table = pd.read_csv(csv_path)
    assert report.dimensions == ["lead_source"] and report.rule_baseline == "engagement"
    assert set(table["dimension"]) == {"lead_source"} and len(table) == report.rows
    overall = table[table["segment"] == "(all leads)"].iloc[0]
    assert overall["leads"] == scored.summary.rows_in and overall["conversions"] > 0
    assert table["auc_gain"].notna().any() and "<table" in html_path.read_text()
    assert any("not in the scores" in note for note in report.notes)
