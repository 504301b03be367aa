"""The command line: help, generate (deterministic bytes), validate (one-line errors), describe, contracts."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from predictive_leads.cli.app import app
from predictive_leads.data.contracts import contracts_markdown

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("world")
    result = runner.invoke(app, ["generate", "--n-leads", "3000", "--seed", "1", "--out", str(out), "--csv"])
    assert result.exit_code == 0, result.output
    return out


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("generate", "validate", "describe", "build-dataset", "contracts"):
        assert re.search(rf"│ {command}\s+\S", result.output), command


def test_generate_writes_the_four_tables_and_a_manifest(generated):
    names = {p.name for p in generated.iterdir()}
    for table in ("leads", "events", "conversions", "truth"):
        assert {f"{table}.parquet", f"{table}.csv"} <= names
    assert "manifest.json" in names
    assert not [n for n in names if n.endswith(".tmp")]
    conv = pd.read_parquet(generated / "conversions.parquet")
    assert 0.02 <= len(conv) / 3000 <= 0.10


def test_same_seed_gives_byte_identical_files(generated, tmp_path):
    result = runner.invoke(app, ["generate", "--n-leads", "3000", "--seed", "1", "--out", str(tmp_path), "--csv"])
    assert result.exit_code == 0, result.output
    assert _hashes(tmp_path) == _hashes(generated)


def test_validate_and_describe_accept_a_generated_world(generated):
    result = runner.invoke(app, ["validate", "--data", str(generated)])
    assert result.exit_code == 0, result.output
    assert "ok leads: 3,000 rows" in result.output
    result = runner.invoke(app, ["describe", "--data", str(generated)])
    assert result.exit_code == 0, result.output
    assert "pricing_page_view" in result.output and "planted: bot" in result.output


def test_validate_reports_a_bad_file_in_one_line(generated, tmp_path):
    leads = pd.read_csv(generated / "leads.csv", dtype=str)
    leads.loc[[4, 9], "created_at"] = "last tuesday"
    leads.to_csv(tmp_path / "leads.csv", index=False)
    for name in ("events", "conversions"):
        (tmp_path / f"{name}.parquet").write_bytes((generated / f"{name}.parquet").read_bytes())
    result = runner.invoke(app, ["validate", "--data", str(tmp_path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        "error: leads.csv: column 'created_at': 2 rows have unparsable timestamps; first ids: L0000005, L0000010"
    ]


def test_missing_folder_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["validate", "--data", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "no leads.parquet or leads.csv" in result.output and "Traceback" not in result.output


def test_generate_rejects_an_unsupported_rate(tmp_path):
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), "--conversion-rate", "0.5"])
    assert result.exit_code == 1
    assert "conversion_rate must be within 0.02–0.10" in result.output


def test_readme_contract_tables_are_generated_from_the_contracts():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- contracts:start -->")[1].split("<!-- contracts:end -->")[0].strip()
    assert block == contracts_markdown().strip(), "README contracts are stale: paste `predictive-leads contracts`"
    result = runner.invoke(app, ["contracts"])
    assert result.exit_code == 0 and result.output.strip() == contracts_markdown().strip()


def test_build_dataset_writes_a_point_in_time_training_set(generated, tmp_path):
    from predictive_leads.features import assert_point_in_time, summary_of

    out = tmp_path / "train.parquet"
    args = ["build-dataset", "--data", str(generated), "--every", "month", "--from", "2025-06-01", "--to",
            "2025-09-01", "--horizon-days", "60", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "training set:" in result.output and "censored" in result.output and "skipped leads" in result.output
    frame = pd.read_parquet(out)
    assert_point_in_time(frame)
    summary = summary_of(frame)
    assert summary.horizon_days == 60 and len(summary.as_of) == 4 and summary.rows == len(frame)
    assert f"{summary.rows:,} rows" in result.output


def test_build_dataset_scoring_frame_with_config(generated, tmp_path):
    config = tmp_path / "features.yaml"
    config.write_text("windows_days: [14]\n")
    out = tmp_path / "score.parquet"
    args = ["build-dataset", "--data", str(generated), "--as-of", "2026-01-01", "--scoring", "--config", str(config),
            "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert "pricing_page_view_14d" in frame and "pricing_page_view_30d" not in frame and "converted" not in frame


def test_build_dataset_within_a_memory_budget_writes_the_same_frame(generated, tmp_path):
    from predictive_leads.features import summary_of

    args = ["build-dataset", "--data", str(generated), "--every", "month", "--from", "2025-06-01", "--to",
            "2026-01-01"]  # fmt: skip
    whole, parted = tmp_path / "whole.parquet", tmp_path / "parted.parquet"
    assert runner.invoke(app, [*args, "--out", str(whole)]).exit_code == 0
    result = runner.invoke(app, [*args, "--out", str(parted), "--memory-budget", "16MB"])
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(parted)
    partitions = summary_of(frame).lead_partitions
    assert partitions > 1 and f"memory budget 16MB: events aggregated in {partitions} lead partitions" in result.output
    pd.testing.assert_frame_equal(frame, pd.read_parquet(whole), check_exact=True)
    bad = runner.invoke(app, [*args, "--out", str(tmp_path / "bad.parquet"), "--memory-budget", "two gigs"])
    assert bad.exit_code == 1 and not (tmp_path / "bad.parquet").exists()
    assert [line for line in bad.output.splitlines() if line.strip()] == [
        "error: memory budget 'two gigs' is not a size: write it as e.g. 2GB or 512MB"
    ]


def test_build_dataset_needs_dates(generated, tmp_path):
    result = runner.invoke(app, ["build-dataset", "--data", str(generated), "--out", str(tmp_path / "x.parquet")])
    assert result.exit_code == 1
    assert "give --as-of DATE (repeatable) or --every month --from DATE --to DATE" in result.output


def test_rules_list_and_show():
    result = runner.invoke(app, ["rules", "list"])
    assert result.exit_code == 0
    for name in ("behavioural", "engagement", "firmographic", "qualification", "negative"):
        assert name in result.output
    result = runner.invoke(app, ["rules", "show", "engagement"])
    assert result.exit_code == 0 and "replied_to_email" in result.output and "+15" in result.output
    result = runner.invoke(app, ["rules", "show", "behavioural", "--yaml"])
    assert result.exit_code == 0 and result.output.startswith("name: behavioural\n")


def test_rules_show_reports_a_bad_table_in_one_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nrules:\n - {id: a, points: 5, when: {column: pricing_views, op: '>=', value: 1}}\n")
    result = runner.invoke(app, ["rules", "show", str(path)])
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.strip()] == [
        "error: mine.yaml: rule 'a': unknown column 'pricing_views' (did you mean 'pricing_page_view_7d'?)"
    ]


def test_train_from_a_training_set_writes_an_honest_report(generated, tmp_path):
    data = tmp_path / "train.parquet"
    args = ["build-dataset", "--data", str(generated), "--every", "month", "--from", "2025-03-01", "--to",
            "2026-06-01", "--out", str(data)]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    out = tmp_path / "model"
    refused = runner.invoke(app, ["train", "--data", str(data), "--out", str(out), "--n-boot", "50"])
    assert refused.exit_code == 1 and "not enough data for a model" in refused.output, refused.output
    assert "rules list" in refused.output and not out.exists(), "below the minimum: no model, the rules instead"
    result = runner.invoke(app, ["train", "--data", str(data), "--out", str(out), "--n-boot", "50", "--force"])
    assert result.exit_code == 0, result.output
    assert "evaluated out of time on 2026-" in result.output and "model AUC" in result.output
    assert {"model.txt", "scorer.json", "metrics.json", "report.html", "audit.csv"} <= {p.name for p in out.iterdir()}
    import json

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["meta"]["split"]["method"] == "out_of_time" and metrics["meta"]["split"]["gap_days"] == 90
    assert metrics["meta"]["cold_start"]["level"] == "refuse" and metrics["meta"]["cold_start"]["forced"]
    assert any("only because it was forced" in note for note in metrics["meta"]["notes"])
    first_test = pd.Timestamp(metrics["meta"]["split"]["test"][0])
    last_train = pd.Timestamp(metrics["meta"]["split"]["train"][1])
    assert last_train + pd.Timedelta(days=90) < first_test, "a training label window reaches into the test period"
    scorers = {row["scorer"] for row in metrics["comparison"]}
    assert {"model", "learned scorecard", "rules: behavioural"} <= scorers
    later = tmp_path / "eval"
    result = runner.invoke(app, ["evaluate", "--model", str(out), "--data", str(data), "--out", str(later),
                                 "--n-boot", "20"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "model AUC" in result.output and (later / "report.html").exists() and (later / "metrics.json").exists()


def test_train_refuses_data_it_cannot_vouch_for(generated, tmp_path):
    result = runner.invoke(app, ["train", "--data", str(generated / "leads.parquet"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "not built by the feature pipeline" in result.output and "--flat-export" in result.output


def test_train_on_a_flat_export(tmp_path):
    rng = np.random.default_rng(0)
    n = 1500
    score = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "Prospect": [f"P{i}" for i in range(n)],
            "Visits": rng.poisson(np.exp(score.clip(-2, 2))),
            "Source": rng.choice(["Google", "Referral", "Select"], n),
            "Converted": np.where(rng.random(n) < 1 / (1 + np.exp(-(score - 1))), "Yes", "No"),
        }
    )
    path = tmp_path / "export.csv"
    frame.to_csv(path, sep=";", index=False)
    out = tmp_path / "m"
    args = ["train", "--data", str(path), "--target", "Converted", "--id-col", "Prospect", "--flat-export", "--out",
            str(out), "--n-boot", "30"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "evaluated random stratified" in result.output
    from predictive_leads.jobs.score import score

    run = score(out, tmp_path / "scores.parquet", input=path, id_col="Prospect")  # the export's rows, as they are
    assert run.summary.scored == n and not run.summary.unseen_categories  # "Select" is missing here as in training


def test_force_trains_below_the_cold_start_minimum_but_not_below_the_scorers_floor(tmp_path):
    """README: ``--force`` trains anyway, down to 50 converted and 50 not-converted training rows."""
    rng = np.random.default_rng(1)

    def export(positives: int) -> Path:
        y = np.r_[np.ones(positives, int), np.zeros(600, int)]
        frame = pd.DataFrame({"Prospect": [f"P{i}" for i in range(len(y))], "Visits": rng.poisson(2 + y),
                              "Source": rng.choice(["web", "event", "ad"], len(y)), "Converted": y})  # fmt: skip
        path = tmp_path / f"export_{positives}.csv"
        frame.to_csv(path, index=False)
        return path

    def train(path: Path, *extra: str):
        args = ["train", "--data", str(path), "--target", "Converted", "--id-col", "Prospect", "--flat-export",
                "--out", str(tmp_path / path.stem), "--n-boot", "20", *extra]  # fmt: skip
        return runner.invoke(app, args)

    refused = train(export(90))  # 72 converted rows in the training part: below the ladder's 160
    assert refused.exit_code == 1 and "not enough data for a model" in refused.output, refused.output
    assert train(export(90), "--force").exit_code == 0
    floor = train(export(50), "--force")  # 40 in the training part: below the scorer's own floor
    assert floor.exit_code == 1 and "at least 50 of each" in floor.output, floor.output
    assert "Traceback" not in floor.output and not (tmp_path / "export_50").exists()


def test_train_says_so_when_the_audit_leaves_no_column(tmp_path):
    rng = np.random.default_rng(1)
    y = np.r_[np.ones(200, int), np.zeros(600, int)]
    path = tmp_path / "export.csv"
    pd.DataFrame({"Prospect": [f"P{i}" for i in range(len(y))], "Visits": rng.poisson(1 + 5 * y),
                  "Converted": y}).to_csv(path, index=False)  # fmt: skip
    args = ["train", "--data", str(path), "--target", "Converted", "--id-col", "Prospect", "--flat-export",
            "--out", str(tmp_path / "m"), "--n-boot", "20"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "dropped every feature column (1: Visits)" in result.output, result.output
    assert "too good" in result.output and "--keep" in result.output and "Traceback" not in result.output
    kept = runner.invoke(app, [*args, "--keep", "Visits"])
    assert kept.exit_code == 0, kept.output


def test_explain_prints_one_leads_reasons_next_to_the_rule_baseline(trained_world, tmp_path):
    frame = trained_world.frame
    data = tmp_path / "frame.parquet"
    frame.to_parquet(data)
    lead = str(frame.loc[frame["converted"] == 1, "lead_id"].iloc[0])
    args = ["explain", "--model", str(trained_world.model_dir), "--input", str(data), "--lead-id", lead,
            "--rules", "fit_and_engagement", "--top-k", "2"]  # fmt: skip
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert f"lead {lead} as of" in result.output and "score" in result.output and "grade" in result.output
    assert "model reasons" in result.output and ("_UP" in result.output or "_DOWN" in result.output)
    assert "rule baseline: fit_and_engagement" in result.output
    missing = runner.invoke(app, [*args[:6], "nobody"])
    assert missing.exit_code == 1 and "no row for lead_id nobody" in missing.output
