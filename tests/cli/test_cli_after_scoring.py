"""From scores to action on the command line: route the scored leads to reps and report by segment."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from predictive_leads.cli.app import app

runner = CliRunner()


@pytest.fixture(scope="module")
def scored(trained_world, tmp_path_factory):
    """The open leads of the trained world scored on 2026-03-01 (its scoring frame written beside)."""
    from predictive_leads.synth import write_world

    folder = tmp_path_factory.mktemp("after")
    world = write_world(trained_world.world, folder / "world")
    scores = folder / "scores.parquet"
    result = runner.invoke(app, ["score", "--model", str(trained_world.model_dir), "--data", str(world), "--as-of",
                                 "2026-03-01", "--output", str(scores), "--scored-at", "2026-03-01"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "disqualified (scored, stage 'disqualified', score floored)" in result.output
    return folder, world, scores, trained_world.model_dir


def test_route_balances_expected_conversions_and_accounts_for_every_lead(scored):
    folder, _, scores, _ = scored
    reps = folder / "reps.yaml"
    reps.write_text("reps:\n  - {name: Ana, team: eu, territories: [Europe]}\n  - {name: Ben, team: eu}\n"
                    "  - {name: Cleo, team: rest}\n  - {name: Dev, team: rest}\n"
                    "rules:\n  - when: {region: [Europe]}\n    team: eu\ndefault_team: rest\n")  # fmt: skip
    out = folder / "assignments.csv"
    result = runner.invoke(app, ["route", "--scores", str(scores), "--reps", str(reps), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assigned, leads = pd.read_csv(out), pd.read_parquet(scores)
    assert len(assigned) == len(leads) and assigned["lead_id"].is_unique
    assert set(assigned.loc[assigned["rep"].isna(), "unassigned_reason"]) <= {"disqualified"}
    assert (assigned.loc[assigned["stage"] == "disqualified", "rep"].isna()).all()
    assert "≤ largest single lead" in result.output and f"rows in {len(leads):,} = assigned" in result.output
    per_rep = assigned.dropna(subset=["rep"]).groupby(["team", "rep"])["probability"].sum()
    for _team, sums in per_rep.groupby(level="team"):
        assert sums.max() - sums.min() <= assigned["probability"].max() + 1e-9


def test_report_segments_writes_csv_and_html_with_the_rule_baseline(scored):
    folder, world, scores, _ = scored
    out = folder / "segments"
    result = runner.invoke(app, ["report-segments", "--scores", str(scores), "--outcomes",
                                 str(world / "conversions.parquet"), "--by", "source,role", "--out", str(out),
                                 "--n-boot", "20"])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "segments.csv")
    assert set(table["dimension"]) == {"lead_source", "seniority"}
    overall = table[table["segment"] == "(all leads)"].iloc[0]
    assert overall["leads"] == len(pd.read_parquet(scores)) and overall["conversions"] > 0
    assert table["auc_gain"].notna().any() and "<table" in (out / "segments.html").read_text()


def test_route_refuses_an_unknown_mode_in_one_line(scored):
    folder, _, scores, _ = scored
    (folder / "one.yaml").write_text("reps:\n  - {name: Ana}\n")
    result = runner.invoke(app, ["route", "--scores", str(scores), "--reps", str(folder / "one.yaml"), "--out",
                                 str(folder / "x.csv"), "--mode", "fair"])  # fmt: skip
    assert result.exit_code == 1 and "--mode must be one of" in result.output


def test_report_segments_by_campaign_with_a_cost_table_writes_spend_and_roi(scored):
    folder, world, scores, _ = scored
    events = pd.read_parquet(world / "events.parquet", columns=["ts", "campaign"])
    before = events[events["ts"] < pd.Timestamp("2026-03-01", tz="UTC")]
    top = before["campaign"].dropna().astype(str).value_counts().index[:2]
    costs = folder / "costs.csv"
    costs.write_text(f"campaign,cost\n{top[0]},1000\n{top[1]},2500\nnever-ran,50\n")
    out = folder / "campaigns"
    args = ["report-segments", "--scores", str(scores), "--outcomes", str(world / "conversions.parquet"), "--by",
            "campaign", "--out", str(out), "--n-boot", "20", "--costs", str(costs)]  # fmt: skip
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "pass the events (--campaign-events)" in refused.output
    result = runner.invoke(app, [*args, "--campaign-events", str(world / "events.parquet")])
    assert result.exit_code == 0, result.output
    assert "never-ran" in result.output  # the note on a campaign with a cost and no lead
    table = pd.read_csv(out / "segments.csv").set_index("segment")
    everyone = table.loc["(all leads)"]
    assert everyone["cost"] == 3550 and everyone["leads"] == len(pd.read_parquet(scores))
    assert table["leads"].drop("(all leads)").sum() == everyone["leads"]  # one campaign per lead
    for name, cost in ((top[0], 1000), (top[1], 2500)):
        row = table.loc[name]
        assert row["cost_per_lead"] == pytest.approx(cost / row["leads"])
        assert row["roi"] == pytest.approx((row["deal_value_total"] - cost) / cost)
        assert row["roi_low"] <= row["roi"] <= row["roi_high"]
        printed = f"campaign {name}: {row['leads']:,} leads, cost {cost:,}, per lead {row['cost_per_lead']:,.2f}"
        assert printed in result.output and f"ROI {row['roi']:+,.0%} [{row['roi_low']:+,.0%}, " in result.output
    assert "Spend by campaign" in (out / "segments.html").read_text()


def test_score_data_within_a_memory_budget_scores_the_same(scored):
    folder, world, scores, model = scored
    again = folder / "budget" / "scores.parquet"
    result = runner.invoke(app, ["score", "--model", str(model), "--data", str(world),
                                 "--as-of", "2026-03-01", "--output", str(again), "--scored-at", "2026-03-01",
                                 "--memory-budget", "16MB"])  # fmt: skip
    assert result.exit_code == 0, result.output
    from predictive_leads.features import summary_of
    from predictive_leads.jobs.score import scoring_frame_path

    assert summary_of(pd.read_parquet(scoring_frame_path(again))).lead_partitions > 1
    pd.testing.assert_frame_equal(pd.read_parquet(again), pd.read_parquet(scores), check_exact=True)
    refused = runner.invoke(app, ["score", "--model", str(model), "--input", str(scoring_frame_path(again)),
                                  "--output", str(folder / "x.parquet"), "--memory-budget", "1GB"])  # fmt: skip
    assert refused.exit_code == 1 and "--memory-budget applies to --data" in refused.output
