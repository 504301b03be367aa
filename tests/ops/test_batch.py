"""Batch scoring: every row scored or rejected with a reason, atomic and repeatable outputs, CSV and Parquet."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from predictive_leads.cli.app import app
from predictive_leads.explain import scored_with_reasons
from predictive_leads.ops.batch import score_files
from predictive_leads.ops.disqualify import apply, disqualify

runner = CliRunner()
PINNED = "2026-11-25T06:00:00"


@pytest.fixture(scope="module")
def leads(trained_world) -> pd.DataFrame:
    """Open leads at the last snapshot, as a scoring frame (lead_id + features + email domain)."""
    frame = trained_world.frame
    last = frame[frame["as_of"] == frame["as_of"].max()]
    return last[["lead_id", *trained_world.features, "email_domain"]].reset_index(drop=True)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _planted(leads: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """A CSV-ready frame with bad rows of each kind, and the reasons expected for them."""
    bad = leads.astype({c: "object" for c in leads.columns}).copy()
    bad.loc[0, "lead_id"] = None
    bad.loc[1, "lead_id"] = bad.loc[2, "lead_id"]  # the later row (2) is the duplicate
    bad.loc[3, "employees"] = "lots"
    bad.loc[4, "pricing_page_view_30d"] = -2
    bad.loc[5, "pricing_page_view_30d"] = 1.5
    bad.loc[6, "has_phone"] = "maybe"
    bad.loc[7, "email_open_total"] = None
    expected = {
        "missing id": 1,
        "duplicate id (an earlier row with this id was scored)": 1,
        "employees: not a number": 1,
        "pricing_page_view_30d: outside the range 0 to 1e+09": 1,
        "pricing_page_view_30d: not a whole number": 1,
        "has_phone: not true/false": 1,
        "email_open_total: missing": 1,
    }
    return bad, expected


def test_planted_bad_rows_are_rejected_with_exact_counts_and_reasons(trained_world, leads, tmp_path):
    bad, expected = _planted(leads)
    source = tmp_path / "leads.csv"
    bad.to_csv(source, index=False)
    out, rejects = tmp_path / "scores.parquet", tmp_path / "rejects.csv"
    summary = score_files(trained_world.scorer, source, out, rejects=rejects, chunk_rows=97)
    assert summary.rows_in == len(bad) == summary.scored + summary.rejected
    assert dict(summary.reasons) == expected
    got = pd.read_csv(rejects, dtype={"id": "string"})
    assert list(got.columns) == ["source", "row", "id", "reason"] and len(got) == sum(expected.values())
    assert sorted(got["row"]) == [1, 3, 4, 5, 6, 7, 8]  # 1-based data rows; row 2 (first of the pair) is scored
    assert got.loc[got["row"] == 3, "id"].item() == bad.loc[2, "lead_id"]
    scored = pd.read_parquet(out)
    assert len(scored) == summary.scored and scored["lead_id"].is_unique
    assert set(scored["lead_id"]).isdisjoint(set(got["id"].dropna()) - {bad.loc[2, "lead_id"]})


def test_scores_equal_in_process_scoring_whatever_the_chunking_and_format(trained_world, leads, tmp_path):
    source = tmp_path / "leads.parquet"
    leads.to_parquet(source)
    verdict = disqualify(leads)
    assert verdict["disqualified"].any()  # spam, bots and competitors are among them: floored, not dropped
    expected = apply(scored_with_reasons(trained_world.scorer, leads, 3), verdict).reset_index(drop=True)
    for chunk_rows, name in ((50, "a.parquet"), (100_000, "b.csv")):
        summary = score_files(trained_world.scorer, source, tmp_path / name, chunk_rows=chunk_rows)
        assert summary.rejected == 0 and summary.scored == len(leads)
        got = pd.read_parquet(tmp_path / name) if name.endswith("parquet") else pd.read_csv(tmp_path / name)
        assert got["lead_id"].astype(str).tolist() == leads["lead_id"].astype(str).tolist()
        np.testing.assert_allclose(got["probability"], expected["probability"], rtol=0, atol=1e-12)
        assert got["score"].tolist() == expected["score"].tolist()
        assert got["reason_1"].tolist() == expected["reason_1"].tolist()
        assert got["reasons_json"].tolist() == expected["reasons_json"].tolist()
        assert got["stage"].tolist() == expected["stage"].tolist()
        assert got["disqualification_code"].fillna("").tolist() == expected["disqualification_code"].fillna("").tolist()
        assert summary.disqualified == Counter(verdict["disqualification_code"].dropna())
    assert not (tmp_path / "a.rejects.csv").exists(), "no rejects file when nothing was rejected"


def test_two_runs_give_identical_bytes_and_a_folder_of_files_is_one_input(trained_world, leads, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    leads.iloc[:150].to_parquet(folder / "part-1.parquet")
    leads.iloc[150:].to_csv(folder / "part-2.csv", index=False)
    hashes = set()
    for run in range(2):
        for suffix in ("parquet", "csv"):
            out = tmp_path / f"run{run}.{suffix}"
            args = ["score", "--model", str(trained_world.model_dir), "--input", str(folder), "--output", str(out),
                    "--scored-at", PINNED, "--chunk-rows", "64"]  # fmt: skip
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.output
            assert f"rows in {len(leads):,} = scored {len(leads):,} + rejected 0" in result.output
            hashes.add((suffix, _sha(out)))
    assert len(hashes) == 2, "same input and model must give byte-identical outputs"


def test_rejects_make_the_job_fail_unless_allowed(trained_world, leads, tmp_path):
    bad, expected = _planted(leads)
    source = tmp_path / "leads.csv"
    bad.to_csv(source, index=False)
    args = ["score", "--model", str(trained_world.model_dir), "--input", str(source), "--output",
            str(tmp_path / "out.csv")]  # fmt: skip
    failed = runner.invoke(app, args)
    assert failed.exit_code == 4, failed.output
    total = sum(expected.values())
    assert f"= scored {len(bad) - total:,} + rejected {total}" in failed.output
    assert (tmp_path / "out.rejects.csv").exists()
    allowed = runner.invoke(app, [*args, "--allow-rejects"])
    assert allowed.exit_code == 0, allowed.output


def test_a_missing_column_is_one_clear_error_and_no_output(trained_world, leads, tmp_path):
    source = tmp_path / "leads.csv"
    leads.drop(columns=["employees"]).to_csv(source, index=False)
    out = tmp_path / "out.parquet"
    result = runner.invoke(app, ["score", "--model", str(trained_world.model_dir), "--input", str(source),
                                 "--output", str(out)])  # fmt: skip
    assert result.exit_code == 1
    assert "leads.csv: missing column(s) employees" in result.output and "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob(".out.parquet.*"))


def test_a_killed_job_leaves_no_output_and_a_rerun_starts_clean(trained_world, leads, tmp_path, running_score):
    job, out, source, _cmd = running_score(leads, 120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    os.kill(job.pid, signal.SIGKILL)
    job.wait(timeout=30)
    assert not out.exists(), "a killed job must not leave an output file"
    assert list(tmp_path.glob(".out.parquet.*.tmp")), "the partial file stays hidden under a temporary name"
    summary = score_files(trained_world.scorer, source, out, chunk_rows=20_000, top_k=0)
    assert summary.scored == 120 * len(leads) and out.exists()
    assert not list(tmp_path.glob(".out.parquet.*.tmp")), "a re-run removes what the killed run left"


def test_score_from_raw_data_builds_the_scoring_frame_first(trained_world, tmp_path):
    from predictive_leads.synth import write_world

    folder = write_world(trained_world.world, tmp_path / "world")
    out = tmp_path / "scores.parquet"
    result = runner.invoke(app, ["score", "--model", str(trained_world.model_dir), "--data", str(folder),
                                 "--as-of", "2026-06-01", "--output", str(out), "--scored-at", PINNED])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "open leads as of 2026-06-01" in result.output
    scored = pd.read_parquet(out)
    assert len(scored) > 100 and scored["lead_id"].is_unique and scored["model_version"].str.startswith("sha256:").all()
    assert (scored["scored_at"] == pd.Timestamp(PINNED, tz="UTC")).all()


def test_a_few_rows_get_the_text_a_large_chunk_gets():
    """The plain-Python text path of a served lead reads a text input exactly as a large chunk's column path."""
    from predictive_leads.data.contracts import SMALL_ROWS
    from predictive_leads.ops.batch import _parse

    cells = [" Google ", "", "  ", None, float("nan"), pd.NA, 5, 2.5, True, "Referral"]
    few = pd.Series(cells, dtype=object)
    many = pd.concat([few] * (SMALL_ROWS // len(cells) + 1), ignore_index=True)
    pd.testing.assert_series_equal(_parse(few, "string")[0], _parse(many, "string")[0].head(len(cells)))


def test_a_few_rows_are_checked_as_a_large_chunk_checks_them(trained_world, leads):
    """One pass over all number columns for a served lead; column by column for a chunk: the same rows and reasons."""
    from predictive_leads.data.contracts import SMALL_ROWS
    from predictive_leads.ops.batch import check_rows

    few = leads.head(SMALL_ROWS).reset_index(drop=True)  # typed columns: the one-pass path reads them
    few.loc[1, "pricing_page_view_30d"] = -2
    few.loc[2, "employees"] = float("inf")
    few["email_open_30d"] = few["email_open_30d"].astype(float)
    few.loc[3, "email_open_30d"] = 2.5
    few.loc[4, "email_open_30d"] = float("nan")
    many = pd.concat([few] * (SMALL_ROWS // len(few) + 1), ignore_index=True)
    typed_few, reason_few = check_rows(few, trained_world.scorer)
    typed_many, reason_many = check_rows(many, trained_world.scorer)
    assert reason_few.head(5).tolist() == ["", "pricing_page_view_30d: outside the range 0 to 1e+09",
                                           "employees: not a finite number", "email_open_30d: not a whole number",
                                           "email_open_30d: missing"]  # fmt: skip
    assert reason_few.tolist() == reason_many.head(len(few)).tolist()
    pd.testing.assert_frame_equal(typed_few, typed_many.head(len(few)))
