"""From scores to action without the CLI: the join with the scoring frame, routing, the segment report."""

from __future__ import annotations

import re

import numpy as np
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


def test_a_flat_export_scored_as_it_is_reports_by_its_own_columns_with_its_own_rule_score(tmp_path):
    ids = [f"P-{i:03d}" for i in range(60)]
    scores = pd.DataFrame({"Prospect ID": ids, "probability": np.linspace(0.01, 0.99, 60), "score": np.arange(1, 61),
                           "stage": ["nurture"] * 30 + ["MQL"] * 30, "rule_score": np.arange(60)[::-1],
                           "scored_at": pd.Timestamp("2026-03-01", tz="UTC")})  # fmt: skip
    scores.to_parquet(tmp_path / "scores.parquet")
    export = pd.DataFrame({"Lead Number": range(60), "Prospect ID": ids, "Lead Source": ["Google", "Olark"] * 30})
    export.to_csv(tmp_path / "Leads.csv", index=False)
    outcomes = pd.DataFrame({"lead_id": ids[40:], "converted_at": "2026-03-20"})  # the 20 most probable
    outcomes.to_csv(tmp_path / "out.csv", index=False)
    report = jobs.report_segments(tmp_path / "scores.parquet", tmp_path / "out.csv", tmp_path / "seg",
                                  by="Lead Source", rules="output", frame=tmp_path / "Leads.csv",
                                  n_boot=10)  # fmt: skip
    table = report.table.set_index("segment")
    assert report.rule_baseline == "the batch output's rule_score"
    assert table.loc["Google", "leads"] == 30 and table.loc["(all leads)", "conversions"] == 20
    assert (table.loc["(all leads)", "model_auc"], table.loc["(all leads)", "rule_auc"]) == (1.0, 0.0)  # its own
    export.drop(columns="Prospect ID").to_csv(tmp_path / "NoId.csv", index=False)
    with pytest.raises(ValueError, match=r"NoId\.csv: no Prospect ID or lead_id column to match the scored leads by"):
        jobs.report_segments(tmp_path / "scores.parquet", tmp_path / "out.csv", tmp_path / "seg2", by="Lead Source",
                             rules="output", frame=tmp_path / "NoId.csv")  # fmt: skip


def test_campaign_events_and_frames_it_cannot_use_are_refused_in_one_line(tmp_path):
    ids = [f"P-{i}" for i in range(4)]
    scores = pd.DataFrame({"Prospect ID": ids, "probability": [0.1, 0.2, 0.3, 0.4], "score": [10, 20, 30, 40],
                           "stage": ["MQL"] * 4, "rule_score": [1, 2, 3, 4],
                           "scored_at": pd.Timestamp("2026-03-01", tz="UTC")})  # fmt: skip
    scores.to_parquet(tmp_path / "scores.parquet")
    pd.DataFrame({"lead_id": ["P-1"], "converted_at": ["2026-03-20"]}).to_csv(tmp_path / "out.csv", index=False)
    events = tmp_path / "events.parquet"
    pd.DataFrame({"lead_id": ids, "ts": pd.Timestamp("2026-02-01", tz="UTC"), "utm": "spring"}).to_parquet(events)
    run = dict(rules="output", n_boot=0)

    def refused(message, scores_file=tmp_path / "scores.parquet", **kwargs):
        with pytest.raises(ValueError, match=message):
            jobs.report_segments(scores_file, tmp_path / "out.csv", tmp_path / "seg", **{**run, **kwargs})

    refused(r"events\.parquet: no campaign column\(s\); it has lead_id, ts, utm", by="campaign", campaign_events=events)
    refused("touch must be one of first, last; got 'any'", by="utm", campaign_events=events, campaign_column="utm",
            touch="any")  # fmt: skip
    pd.concat([scores, scores.head(1)]).to_parquet(tmp_path / "twice.parquet")
    refused("lead_id repeats: P-0", scores_file=tmp_path / "twice.parquet", by="utm", campaign_events=events,
            campaign_column="utm")  # fmt: skip
    pd.DataFrame({"Prospect ID": [*ids, "P-2"], "Lead Source": "x"}).to_csv(tmp_path / "Leads.csv", index=False)
    refused(r"Leads\.csv: Prospect ID repeats, so a score cannot be matched to one row: P-2", by="Lead Source",
            frame=tmp_path / "Leads.csv")  # fmt: skip
    report = jobs.report_segments(tmp_path / "scores.parquet", tmp_path / "out.csv", tmp_path / "seg", by="utm",
                                  campaign_events=events, campaign_column="utm", **run)  # fmt: skip
    assert report.table.set_index("segment").loc["spring", "leads"] == 4
