"""The run summary without the CLI: blocks read back from metrics.json and the scores, and the next commands."""

from __future__ import annotations

import json

import pandas as pd

from predictive_leads.jobs.summary import run_summary
from predictive_leads.reports.summary import evaluation_lines


def test_the_summary_reads_the_run_back_from_its_files(trained_run, tmp_path):
    model = trained_run[0].out
    metrics = json.loads((model / "metrics.json").read_text())
    scores = tmp_path / "s.parquet"
    scored = pd.DataFrame({"id": ["L2", "L1", "L3"], "score": [90, 90, 10], "stage": ["SQL", "SQL", "nurture"]})
    scored.to_parquet(scores)
    pd.DataFrame({"row": [4], "reason": ["missing id"]}).to_csv(tmp_path / "s.rejects.csv", index=False)
    found = run_summary(model, scores=scores, name="leads", data="raw", as_of="2026-09-01")
    assert [b.title for b in found.blocks] == ["out of time", "where", "next"]
    assert found.blocks[0].lines == evaluation_lines(metrics) and found.blocks[0].lines[0].startswith("evaluated")
    assert found.blocks[1].lines[:2] == [f"report   {model / 'report.html'}",
                                         f"model    {model} (registered: models:/leads@champion)"]  # fmt: skip
    assert found.blocks[1].lines[-1] == f"scores   {scores}: 3 leads scored (SQL 2, nurture 1); 1 rejected"
    assert found.blocks[2].lines == [
        f"predictive-leads explain --model models:/leads@champion --input {tmp_path / 's.scoring_frame.parquet'} "
        "--lead-id L1",  # the best score, ties broken by id
        "predictive-leads serve --model models:/leads@champion",
        "predictive-leads monitor --model models:/leads@champion --data raw --as-of 2026-09-01 --out monitoring",
    ]
    lines = found.lines(heading=lambda t: f"<{t}>")
    assert lines[0] == "<out of time>" and lines.count("") == 2 and lines[-4:-3] == ["<next>"]


def test_an_unregistered_model_without_scores_ends_with_where_it_is(trained_run):
    model = trained_run[0].out
    lines = run_summary(model).lines()
    assert lines[-2:] == [f"report   {model / 'report.html'}", f"model    {model}"]
    assert "next" not in lines and lines.count("") == 1
    assert not [line for line in lines if "serve --model" in line], "serve takes an MLflow model, not this folder"
