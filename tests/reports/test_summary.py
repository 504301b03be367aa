"""The run summary: every number is read back from metrics.json, so the terminal and the report agree."""

from __future__ import annotations

import json
import re

import pandas as pd
from typer.testing import CliRunner

from predictive_leads.cli.app import app
from predictive_leads.reports.summary import best_preset, scores_line

runner = CliRunner()


def test_the_summary_prints_the_numbers_of_metrics_json(trained_world, tmp_path):
    data = tmp_path / "train.parquet"
    trained_world.frame.to_parquet(data)
    trained = runner.invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m"), "--n-boot", "20",
                                  "--force"])  # fmt: skip
    assert trained.exit_code == 0, trained.output
    scores = tmp_path / "scores.parquet"
    scored = pd.DataFrame({"id": ["L2", "L1", "L3"], "score": [90, 90, 10], "stage": ["SQL", "SQL", "nurture"]})
    scored.to_parquet(scores)
    pd.DataFrame({"row": [7], "reason": ["missing lead_id"]}).to_csv(tmp_path / "scores.rejects.csv", index=False)
    result = runner.invoke(app, ["summary", "--model", str(tmp_path / "m"), "--scores", str(scores), "--name", "x",
                                 "--data", "raw", "--as-of", "2026-09-01"])  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    rows = {r["scorer"]: r for r in metrics["comparison"]}
    model, preset = rows["model"], best_preset(metrics["comparison"])
    out = " ".join(result.output.split())
    assert f"model AUC {model['roc_auc']:.3f} [{model['roc_auc_low']:.3f}, {model['roc_auc_high']:.3f}]" in out
    assert f"top-decile lift {model['lift_at_10']:.1f}×" in out
    name = preset["scorer"].removeprefix("rules: ")
    assert re.search(rf"best rule preset \({name}\) AUC {preset['roc_auc']:.3f} ", out), out
    assert f"model − it: {preset['auc_diff']:+.3f}" in out
    assert f"ECE {metrics['classification']['ece']:.4f}" in out
    assert "3 leads scored (SQL 2, nurture 1); 1 rejected" in out
    assert f"report {tmp_path / 'm' / 'report.html'}" in out
    assert "explain --model models:/x@champion" in out and "--lead-id L1" in out  # best score, ties by id
    assert "monitor --model models:/x@champion --data raw --as-of 2026-09-01" in out


def test_best_preset_ignores_the_model_and_the_learned_scorecard():
    rows = [{"scorer": "model", "roc_auc": 0.9}, {"scorer": "learned scorecard", "roc_auc": 0.85},
            {"scorer": "rules: a", "roc_auc": 0.6}, {"scorer": "rules: b", "roc_auc": 0.7}]  # fmt: skip
    assert best_preset(rows)["scorer"] == "rules: b" and best_preset(rows[:2]) is None
    assert scores_line(pd.DataFrame({"stage": ["MQL"]}), 0) == "1 leads scored (MQL 1); 0 rejected"
