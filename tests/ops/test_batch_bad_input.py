"""Bad input at the batch and serving doors (#21): the same validity contract as ``validate``, zero-row files, the
output lock, SIGTERM, stale rejects; and a fuzz layer that feeds random mixes of bad values to every door."""

from __future__ import annotations

import os
import signal
import subprocess

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from predictive_leads.cli.app import app
from predictive_leads.data.contracts import ContractError
from predictive_leads.ops.batch import batch_output_schema, score_files

runner = CliRunner()


@pytest.fixture(scope="module")
def leads(trained_world) -> pd.DataFrame:
    frame = trained_world.frame
    last = frame[frame["as_of"] == frame["as_of"].max()]
    return last[["lead_id", *trained_world.features, "email_domain"]].head(40).reset_index(drop=True)


def _parquet(frame: pd.DataFrame, path):
    frame.to_parquet(path)
    return path


def _one_line(output: str) -> bool:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in output


def test_numbers_validate_refuses_are_rejected_by_score_too(trained_world, leads, tmp_path):
    count = next(c for c, t in trained_world.scorer.input_types_.items() if t == "long")
    flag = next(c for c, t in trained_world.scorer.input_types_.items() if t == "boolean")
    bad = leads.astype({count: "float64", "employees": "float64", flag: "int64"})
    bad.loc[0, count] = 1e19  # used to overflow to a negative count and score like zero
    bad.loc[1, "employees"] = -5  # validate refuses negative head counts; score used to score them
    bad.loc[2, "employees"] = np.inf  # used to crash the whole batch in the reason phrasing
    bad.loc[3, flag] = 7  # used to read as True
    bad.loc[4, "annual_revenue"] = -np.inf
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    bad.to_parquet(source)
    summary = score_files(trained_world.scorer, source, out)
    assert summary.rows_in == len(bad) == summary.scored + summary.rejected and summary.rejected == 5
    rejects = pd.read_csv(tmp_path / "out.rejects.csv")
    assert rejects["reason"].tolist() == [
        f"{count}: outside the range 0 to 1e+09",
        "employees: outside the range 0 to 1e+07",
        "employees: not a finite number",
        f"{flag}: not true/false",
        "annual_revenue: not a finite number",
    ]
    assert rejects["id"].tolist() == bad["lead_id"].head(5).tolist()
    assert len(pd.read_parquet(out)) == len(bad) - 5


def test_an_infinite_attribute_in_raw_data_stops_score_with_one_line(trained_world, tmp_path):
    from predictive_leads.synth import write_world

    folder = write_world(trained_world.world, tmp_path / "world")
    leads = pd.read_parquet(folder / "leads.parquet")
    leads.loc[[3, 8], "employees"] = np.inf
    leads.to_parquet(folder / "leads.parquet")
    ids = ", ".join(leads.loc[[3, 8], "lead_id"])
    for args in (["validate", "--data", str(folder)],
                 ["score", "--model", str(trained_world.model_dir), "--data", str(folder), "--as-of", "2026-06-01",
                  "--output", str(tmp_path / "s.parquet")]):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and _one_line(result.output), result.output
        assert (
            f"leads.parquet: column 'employees': 2 rows have a value that is not a finite number; first ids: {ids}"
            in (result.output.replace("\n", ""))
        )
    assert not (tmp_path / "s.parquet").exists()


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_header_only_file_gives_a_readable_empty_output_with_the_full_schema(trained_world, leads, tmp_path,
                                                                               suffix):  # fmt: skip
    source = tmp_path / f"header_only{suffix}"
    leads.iloc[:0].to_parquet(source) if suffix == ".parquet" else leads.iloc[:0].to_csv(source, index=False)
    out = tmp_path / "out.parquet"
    summary = score_files(trained_world.scorer, source, out, top_k=3)
    assert (summary.rows_in, summary.scored, summary.rejected) == (0, 0, 0)
    full = tmp_path / "full.parquet"
    score_files(trained_world.scorer, _parquet(leads, tmp_path / "full_in.parquet"), full, top_k=3)
    assert pq.read_schema(out) == pq.read_schema(full) and pq.read_table(out).num_rows == 0
    assert pq.read_schema(out).names == batch_output_schema(3).names


def test_a_header_only_file_without_a_model_column_is_an_error(trained_world, leads, tmp_path):
    source = tmp_path / "header_only.parquet"
    leads.drop(columns=["employees"]).iloc[:0].to_parquet(source)
    with pytest.raises(ContractError, match=r"header_only\.parquet: missing column"):
        score_files(trained_world.scorer, source, tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()


def test_empty_raw_tables_build_no_training_set_and_score_to_an_empty_output(trained_world, tmp_path):
    from predictive_leads.synth import write_world

    folder = write_world(trained_world.world, tmp_path / "world")
    for name in ("leads", "events", "conversions"):
        pd.read_parquet(folder / f"{name}.parquet").iloc[:0].to_parquet(folder / f"{name}.parquet")
    built = runner.invoke(app, ["build-dataset", "--data", str(folder), "--as-of", "2026-01-01",
                                "--out", str(tmp_path / "train.parquet")])  # fmt: skip
    assert built.exit_code == 1 and _one_line(built.output), built.output
    assert "world: no training rows: 0 leads" in built.output and not (tmp_path / "train.parquet").exists()
    out = tmp_path / "scores.parquet"
    scored = runner.invoke(app, ["score", "--model", str(trained_world.model_dir), "--data", str(folder),
                                 "--as-of", "2026-06-01", "--output", str(out)])  # fmt: skip
    assert scored.exit_code == 0, scored.output
    assert "rows in 0 = scored 0 + rejected 0" in scored.output and pq.read_table(out).num_rows == 0


def test_a_clean_rerun_removes_the_previous_rejects_file(trained_world, leads, tmp_path):
    bad = leads.copy()
    bad.loc[0, "lead_id"] = None
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    bad.to_parquet(source)
    score_files(trained_world.scorer, source, out, top_k=0)
    assert (tmp_path / "out.rejects.csv").exists()
    leads.to_parquet(source)
    assert score_files(trained_world.scorer, source, out, top_k=0).rejected == 0
    assert not (tmp_path / "out.rejects.csv").exists(), "a stale rejects file would describe another run"


def test_a_second_score_to_a_live_jobs_output_is_refused_and_the_first_finishes(leads, tmp_path, running_score):
    first, out, _source, cmd = running_score(leads, 600, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = runner.invoke(app, cmd[3:])
    assert second.exit_code == 1 and _one_line(second.output), second.output
    assert f"another job (pid {first.pid}) is writing this output" in second.output
    _stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr[-2000:]
    assert pq.read_table(out).num_rows == len(leads) * 600
    assert not list(tmp_path.glob(".out.parquet.*")), "no temporary file or lock is left behind"


def test_sigterm_removes_the_partial_output_and_releases_the_lock(leads, tmp_path, running_score):
    out = tmp_path / "out.parquet"
    out.write_bytes(b"the previous run's output")
    job, _out, _source, _cmd = running_score(leads, 600, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.kill(job.pid, signal.SIGTERM)
    assert job.wait(timeout=60) == 143
    assert out.read_bytes() == b"the previous run's output"
    assert not list(tmp_path.glob(".out.parquet.*")), "SIGTERM leaves no temporary file and no lock"


# ------------------------------------------------------------------------------------------ the fuzz layer

BAD_VALUES = st.sampled_from([None, "", "  ", "nan", "inf", "-inf", "1e19", "-1", "-0.5", "7", "1.5", "abc",
                              "9" * 30, "true", "maybe", "2025-13-45", "\x00", "😀", "1e308", "0x10"])  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_score_files_either_accounts_for_every_row_or_fails_in_one_line(trained_world, leads, tmp_path, data):
    columns = ["lead_id", *trained_world.scorer.input_types_]
    frame = leads.astype(object).copy()
    for _ in range(data.draw(st.integers(1, 12))):
        row = data.draw(st.integers(0, len(frame) - 1))
        frame.loc[row, data.draw(st.sampled_from(columns))] = data.draw(BAD_VALUES)
    suffix = data.draw(st.sampled_from([".csv", ".parquet"]))
    source, out = tmp_path / f"in{suffix}", tmp_path / "out.parquet"
    text = frame.astype("string")  # Parquet of mixed text, as a CSV export reads
    text.to_csv(source, index=False) if suffix == ".csv" else text.to_parquet(source)
    try:
        summary = score_files(trained_world.scorer, source, out, top_k=2)
    except ContractError as exc:
        assert "\n" not in str(exc)
        return
    assert summary.rows_in == len(frame) == summary.scored + summary.rejected
    assert pq.read_table(out).num_rows == summary.scored
    if summary.rejected:
        assert len(pd.read_csv(tmp_path / "out.rejects.csv")) == summary.rejected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_validate_either_returns_typed_tables_or_one_line(data):
    from predictive_leads.data.contracts import LEADS, validate

    frame = pd.DataFrame({"lead_id": ["L1", "L2", "L3"], "created_at": ["2025-01-01"] * 3, "employees": ["5"] * 3,
                          "annual_revenue": ["1e6"] * 3, "qual_need": ["3"] * 3})  # fmt: skip
    for _ in range(data.draw(st.integers(1, 6))):
        frame.loc[data.draw(st.integers(0, 2)), data.draw(st.sampled_from(list(frame.columns)))] = data.draw(BAD_VALUES)
    try:
        out = validate(frame, LEADS, source="leads.csv")
    except ContractError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("leads.csv: ")
        return
    numbers = out[["employees", "annual_revenue"]].astype("float64").to_numpy()
    assert np.isfinite(numbers[~np.isnan(numbers)]).all()
    assert (out["lead_id"].str.strip() != "").all()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_the_served_model_scores_or_rejects_each_row_without_echoing_values(trained_world, leads, data):
    from predictive_leads.serving.pyfunc import LeadScoringPyfunc, to_model_input

    model = LeadScoringPyfunc(trained_world.scorer)
    frame = to_model_input(leads.head(8), trained_world.scorer).astype(object)
    for _ in range(data.draw(st.integers(1, 6))):
        row, column = data.draw(st.integers(0, 7)), data.draw(st.sampled_from(list(frame.columns)))
        frame.loc[row, column] = data.draw(st.sampled_from([None, float("inf"), float("-inf"), float("nan"), 1e19,
                                                             -3.0, 7, 2.5]))  # fmt: skip
    out = model.predict(frame)
    assert len(out) == len(frame)
    rejected = (out["rejected"] != "").to_numpy()
    assert (out.loc[rejected, "stage"] == "rejected").all() and out.loc[rejected, "probability"].isna().all()
    assert out.loc[~rejected, "probability"].between(0, 1).all() and out.loc[~rejected, "score"].between(1, 100).all()
    for reason in out.loc[rejected, "rejected"]:
        column, problem = reason.split(": ", 1)
        assert column in frame.columns and not any(v in problem for v in ("1e+19", "inf ", "2.5", "-3"))


def test_an_excel_csv_with_a_byte_order_mark_and_a_parquet_with_the_id_as_index_are_scored(trained_world, leads,
                                                                                           tmp_path):  # fmt: skip
    bom = tmp_path / "excel.csv"
    bom.write_text(leads.to_csv(index=False), encoding="utf-8-sig")  # Excel's "CSV UTF-8"
    indexed = tmp_path / "indexed.parquet"
    leads.set_index("lead_id").to_parquet(indexed)
    for source in (bom, indexed):
        summary = score_files(trained_world.scorer, source, tmp_path / f"{source.stem}_scores.parquet", top_k=0)
        assert (summary.scored, summary.rejected) == (len(leads), 0), source.name
        scored = pd.read_parquet(tmp_path / f"{source.stem}_scores.parquet")
        assert scored["lead_id"].tolist() == leads["lead_id"].tolist()
