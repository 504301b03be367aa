"""One funnel from the command line: one stage per lead, the policy options doing what the README says, the rule
score beside the model's, score trends, CRM import files and the run summary for schedulers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from predictive_leads.cli.app import app
from predictive_leads.models.funnel import HEAT
from predictive_leads.ops.crm_export import check_crm_frame

runner = CliRunner()
STAGE_NAMES = {"SQL", "MQL", "nurture", "disqualified"}
FUNNEL_WORDS = {"SQL", "MQL", "IQL", "nurture", "hot", "warm", "cold"}


@pytest.fixture(scope="module")
def frame_file(trained_world, tmp_path_factory):
    """The open leads of 2026-03-01 as a scoring frame file (the trained world's snapshot of that date)."""
    frame = trained_world.frame[trained_world.frame["as_of"] == "2026-03-01"].drop(columns="converted")
    path = tmp_path_factory.mktemp("funnel") / "frame.parquet"
    frame.to_parquet(path)
    return path


def _score(model_dir, frame_file, out, *options):
    args = ["score", "--model", str(model_dir), "--input", str(frame_file), "--output", str(out),
            "--scored-at", "2026-03-01", *options]  # fmt: skip
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    return pd.read_parquet(out) if out.suffix == ".parquet" else pd.read_csv(out), result.output


def _stage_by_cut(values, sql, mql, disqualified):
    return np.where(disqualified, "disqualified", np.select([values >= sql, values >= mql], ["SQL", "MQL"], "nurture"))


def test_one_stage_per_lead_and_no_two_columns_name_stages_by_different_rules(trained_world, frame_file, tmp_path):
    out, printed = _score(trained_world.model_dir, frame_file, tmp_path / "s.parquet", "--summary-json",
                          str(tmp_path / "run.json"))  # fmt: skip
    assert out["stage"].notna().all() and set(out["stage"]) <= STAGE_NAMES
    assert (out["heat"] == out["stage"].map(lambda s: HEAT.get(s, s))).all(), "heat is a label of the stage"
    for col in out.columns.drop(["stage", "heat"]):
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            assert not set(out[col].dropna().astype(str)) & FUNNEL_WORDS, f"{col} uses stage names"
    summary = json.loads((tmp_path / "run.json").read_text())
    assert {s: v["leads"] for s, v in summary["stages"].items()} == out["stage"].value_counts().to_dict()
    expected = out.groupby("stage")["probability"].sum()
    assert all(abs(summary["stages"][s]["expected_conversions"] - expected[s]) < 1e-3 for s in expected.index)
    assert summary["rows_in"] == summary["scored"] + summary["rejected"] == len(pd.read_parquet(frame_file))
    assert "funnel capacity: 200 SQL + 1,000 MQL leads per run" in printed
    text = (tmp_path / "run.json").read_text()
    assert not any(str(lead) in text for lead in out["lead_id"]), "a run summary holds counts, no lead data"


def test_the_fixed_policies_cut_where_the_readme_says(trained_world, frame_file, tmp_path):
    base, _ = _score(trained_world.model_dir, frame_file, tmp_path / "a.parquet")
    dq = (base["stage"] == "disqualified").to_numpy()
    agency, _ = _score(trained_world.model_dir, frame_file, tmp_path / "b.parquet", "--policy", "score")
    assert (agency["stage"] == _stage_by_cut(agency["score"], 80, 50, dq)).all(), "score policy: MQL 50, SQL 80"
    stricter, _ = _score(trained_world.model_dir, frame_file, tmp_path / "c.parquet", "--policy", "score",
                         "--sql", "90", "--mql", "70")  # fmt: skip
    assert (stricter["stage"] == _stage_by_cut(stricter["score"], 90, 70, dq)).all()
    assert (stricter["stage"] == "SQL").sum() < (agency["stage"] == "SQL").sum()
    by_p, _ = _score(trained_world.model_dir, frame_file, tmp_path / "d.parquet", "--policy", "probability",
                     "--sql", "0.2", "--mql", "0.05")  # fmt: skip
    assert (by_p["stage"] == _stage_by_cut(by_p["probability"], 0.2, 0.05, dq)).all()
    points, _ = _score(trained_world.model_dir, frame_file, tmp_path / "e.parquet", "--policy", "points",
                       "--sql", "60", "--mql", "40")  # fmt: skip
    assert (points["stage"] == _stage_by_cut(points["points"], 60, 40, dq)).all()
    yaml = tmp_path / "funnel.yaml"
    yaml.write_text("policy: score\nsql: 90\nmql: 70\n")
    from_yaml, _ = _score(trained_world.model_dir, frame_file, tmp_path / "f.parquet", "--funnel", str(yaml))
    assert (from_yaml["stage"] == stricter["stage"]).all()


def test_a_policy_that_needs_outcomes_is_refused_when_scoring(trained_world, frame_file, tmp_path):
    args = ["score", "--model", str(trained_world.model_dir), "--input", str(frame_file), "--output",
            str(tmp_path / "x.parquet"), "--policy", "capacity"]  # fmt: skip
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 1 and "the capacity policy needs outcomes" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "x.parquet").exists()


def test_rule_score_beside_the_model_and_the_trend_since_the_previous_run(trained_world, frame_file, tmp_path):
    first, _ = _score(trained_world.model_dir, frame_file, tmp_path / "first.parquet", "--rules", "behavioural")
    assert first["rule_score"].notna().all() and first["rule_score"].nunique() > 1
    later = trained_world.frame[trained_world.frame["as_of"] == "2026-04-01"].drop(columns="converted")
    later_file = tmp_path / "later.parquet"
    later.to_parquet(later_file)
    second, printed = _score(trained_world.model_dir, later_file, tmp_path / "second.parquet", "--previous",
                             str(tmp_path / "first.parquet"), "--rules", "none", "--summary-json",
                             str(tmp_path / "run.json"))  # fmt: skip
    assert "rule_score" not in second
    before = first.set_index("lead_id")["score"]
    known = second["lead_id"].isin(before.index)
    assert known.any() and (~known).any()
    change = second.loc[known, "score"].to_numpy() - before.reindex(second.loc[known, "lead_id"]).to_numpy()
    assert (second.loc[known, "score_change"].to_numpy() == change).all()
    assert (second.loc[~known, "momentum"] == "new").all() and second.loc[~known, "score_change"].isna().all()
    assert set(second.loc[known & (second["score_change"] >= 10), "momentum"]) <= {"heating"}
    moves = json.loads((tmp_path / "run.json").read_text())["stage_moves"]
    left = sum(m["leads"] for m in moves if m["to_stage"] == "left")
    assert left == (~first["lead_id"].isin(second["lead_id"])).sum() > 0
    changed = sum(m["leads"] for m in moves if m["from_stage"] != m["to_stage"])
    assert f"{changed:,} leads changed stage (" in printed


@pytest.mark.parametrize("target", ["salesforce", "hubspot"])
def test_crm_import_files_pass_the_layout_check_and_fit_the_fields(trained_world, frame_file, tmp_path, target):
    out, printed = _score(trained_world.model_dir, frame_file, tmp_path / f"{target}.csv", "--format", target,
                          "--rules", "behavioural")  # fmt: skip
    out = pd.read_csv(tmp_path / f"{target}.csv", dtype=str, keep_default_na=False)
    assert check_crm_frame(out, target) == []
    text = [c for c in out.columns if "reason" in c.lower() or "model" in c.lower() or "disq" in c.lower()]
    assert text and all(out[c].str.len().max() <= 255 for c in text)
    full = pd.read_parquet(tmp_path / f"{target}.full.parquet")
    assert len(full) == len(out) and "full batch output" in printed
    key = "Id" if target == "salesforce" else "Record ID"
    assert out[key].tolist() == full["lead_id"].astype(str).tolist()
    mapping = tmp_path / "map.yaml"
    score_field = "PL_Score__c" if target == "salesforce" else "pl_score"
    mapping.write_text(f"target: {target}\nfields: {{{score_field}: Lead_Score}}\n")
    renamed, _ = _score(trained_world.model_dir, frame_file, tmp_path / f"{target}2.csv", "--format", target,
                        "--crm-mapping", str(mapping))  # fmt: skip
    assert "Lead_Score" in renamed.columns and score_field not in renamed.columns


@pytest.mark.slow
def test_train_policy_options_set_the_stage_cut_offs(trained_world, frame_file, tmp_path):
    """train --policy capacity --sql 30 --mql 60: 30 SQL and 60 more MQL leads per run on the reference leads,
    printed with the out-of-time figures, stored, and fewer SQLs than the default 200 when scoring."""
    data = tmp_path / "train.parquet"
    trained_world.frame.to_parquet(data)
    args = ["train", "--data", str(data), "--out", str(tmp_path / "model"), "--n-boot", "20", "--force",
            "--rules", "behavioural", "--policy", "capacity", "--sql", "30", "--mql", "60"]  # fmt: skip
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "funnel capacity: 30 SQL + 60 MQL leads per run; per scoring run on the test rows: SQL" in result.output
    funnel = json.loads((tmp_path / "model" / "metrics.json").read_text())["meta"]["funnel"]
    assert funnel["reference"]["SQL"]["leads_per_run"] == pytest.approx(30, abs=1)
    assert funnel["reference"]["MQL"]["leads_per_run"] == pytest.approx(60, abs=2)
    small, _ = _score(tmp_path / "model", frame_file, tmp_path / "small.parquet")
    default, _ = _score(trained_world.model_dir, frame_file, tmp_path / "default.parquet")
    assert 0 < (small["stage"] == "SQL").sum() < (default["stage"] == "SQL").sum()


def test_a_run_that_does_not_fit_the_capacity_plan_says_so():
    from predictive_leads.jobs.score import capacity_notes
    from predictive_leads.models.funnel import Thresholds
    from predictive_leads.ops.batch import BatchSummary

    plan = Thresholds("capacity", (("SQL", 0.3), ("MQL", 0.1)), policy={"policy": "capacity", "sql": 200, "mql": 1000})
    summary = BatchSummary()
    summary.stages.update({"SQL": 399, "MQL": 2000})
    (note,) = capacity_notes(plan, summary)
    assert "plan is 200 SQL leads per run and this run has 399" in note and "--policy probability" in note
    summary.stages["SQL"] = 230
    assert capacity_notes(plan, summary) == []
    fixed = Thresholds("score", (("SQL", 0.3), ("MQL", 0.1)), policy={"policy": "score", "sql": 80, "mql": 50})
    assert capacity_notes(fixed, summary) == []


def test_no_subscores_leaves_fit_and_engagement_empty_and_changes_nothing_else(trained_world, frame_file, tmp_path):
    full, _ = _score(trained_world.model_dir, frame_file, tmp_path / "full.parquet", "--reasons", "0")
    lean, _ = _score(trained_world.model_dir, frame_file, tmp_path / "lean.parquet", "--reasons", "0",
                     "--no-subscores")  # fmt: skip
    assert full["fit_score"].notna().all() and full["engagement_score"].notna().all()
    assert lean[["fit_score", "fit_grade", "engagement_score", "engagement_grade"]].isna().all().all()
    same = full.columns.drop(["fit_score", "fit_grade", "engagement_score", "engagement_grade"])
    pd.testing.assert_frame_equal(lean[same], full[same])


def test_the_batch_output_recycles_leads_that_went_cold_and_counts_the_moves(trained_world, frame_file, tmp_path):
    first = tmp_path / "first.parquet"
    args = ["score", "--model", str(trained_world.model_dir), "--input", str(frame_file), "--rules", "none"]
    assert runner.invoke(app, [*args, "--output", str(first)]).exit_code == 0
    scored = pd.read_parquet(first)
    cold = scored.index[scored["stage"] == "nurture"]
    ready = scored.index[scored["stage"].isin(["MQL", "SQL"])]
    previous = scored.copy()
    previous.loc[cold[:5], "stage"] = "MQL"  # they were MQL last run: went cold now
    previous.loc[cold[5:9], "stage"] = "recycled"  # already recycled and still cold
    previous.loc[ready[:3], "stage"] = "recycled"  # recycled last run, sales-ready again
    previous_file = tmp_path / "previous.parquet"
    previous.to_parquet(previous_file)
    result = runner.invoke(app, [*args, "--output", str(tmp_path / "second.parquet"), "--previous",
                                 str(previous_file), "--summary-json", str(tmp_path / "run.json")])  # fmt: skip
    assert result.exit_code == 0, result.output
    second = pd.read_parquet(tmp_path / "second.parquet").set_index("lead_id")
    ids = scored["lead_id"]
    went = second.loc[ids[cold[:5]]]
    assert (went["stage"] == "recycled").all() and went["stage_reason"].str.startswith("went cold after MQL").all()
    assert (second.loc[ids[cold[5:9]], "stage_reason"] == "still cold since it was recycled").all()
    back = second.loc[ids[ready[:3]]]
    assert back["stage"].isin(["MQL", "SQL"]).all() and back["stage_reason"].str.startswith("re-engaged").all()
    recycled = second["stage"] == "recycled"
    assert recycled.sum() == 9 and (second.loc[recycled, "heat"] == "cold").all()
    moves = {(m["from_stage"], m["to_stage"]): m["leads"] for m in json.loads((tmp_path / "run.json").read_text())[
        "stage_moves"]}  # fmt: skip
    assert moves[("MQL", "recycled")] == 5 and moves[("recycled", "recycled")] == 4
    assert sum(n for (a, b), n in moves.items() if a == "recycled" and b in ("MQL", "SQL")) == 3
    assert "recycled 9" in result.output


def test_a_rep_turning_leads_back_recycles_them_without_a_previous_run(trained_world, frame_file, tmp_path):
    args = ["score", "--model", str(trained_world.model_dir), "--input", str(frame_file), "--rules", "none",
            "--scored-at", "2026-03-01"]  # fmt: skip
    first = tmp_path / "first.parquet"
    assert runner.invoke(app, [*args, "--output", str(first)]).exit_code == 0
    scored = pd.read_parquet(first)
    ready = scored.loc[scored["stage"].isin(["MQL", "SQL"]), "lead_id"]
    turned, stale = ready[:4], ready[4:6]
    feedback = tmp_path / "feedback.csv"
    rows = [(lead, "rejected", "no budget", "2026-02-20") for lead in turned]
    rows += [(lead, "rejected", "no budget", "2025-10-01") for lead in stale]  # more than 90 days before the run
    pd.DataFrame(rows, columns=["lead_id", "disposition", "reason", "date"]).to_csv(feedback, index=False)
    refused = runner.invoke(app, [*args, "--output", str(tmp_path / "x.parquet"), "--recycle-on", "no budget"])
    assert refused.exit_code == 1 and "give the sales feedback file too (--feedback)" in refused.output
    result = runner.invoke(app, [*args, "--output", str(tmp_path / "second.parquet"), "--feedback", str(feedback),
                                 "--recycle-on", "no budget,timing"])  # fmt: skip
    assert result.exit_code == 0, result.output
    second = pd.read_parquet(tmp_path / "second.parquet").set_index("lead_id")
    assert (second.loc[turned, "stage"] == "recycled").all() and (second.loc[turned, "heat"] == "cold").all()
    assert (second.loc[turned, "stage_reason"] == "rep feedback on 2026-02-20: rejected: no budget").all()
    assert second.loc[stale, "stage"].isin(["MQL", "SQL"]).all()
    others = second.drop(index=turned)
    assert (others["stage"] == scored.set_index("lead_id").loc[others.index, "stage"]).all()
    assert (others["stage_reason"] == "").all() and "previous_stage" not in second
