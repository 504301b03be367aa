"""The validity contract at the file door (#21): non-finite and out-of-range numbers, closed flags, plausible
timestamps, blank ids, conversions before their lead, empty tables; and the output lock and temporary files."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from predictive_leads.data.contracts import CONVERSIONS, LEADS, ContractError, validate
from predictive_leads.data.files import (
    OutputLockedError,
    output_lock,
    read_lead_data,
    remove_stale_partials,
)


def _leads(**columns) -> pd.DataFrame:
    frame = pd.DataFrame({"lead_id": ["L1", "L2", "L3"], "created_at": ["2025-01-01"] * 3})
    return frame.assign(**columns)


@pytest.mark.parametrize(
    ("column", "values", "problem"),
    [
        ("employees", [10, np.inf, 3], "1 row has a value that is not a finite number; first ids: L2"),
        ("employees", ["10", "-inf", "3"], "1 row has a value that is not a finite number; first ids: L2"),
        ("employees", [1e19, 5, 3], "1 row has a value that is outside the range 0 to 1e+07; first ids: L1"),
        ("employees", [-4, 5, 3], "1 row has a value that is outside the range 0 to 1e+07; first ids: L1"),
        ("annual_revenue", [1e6, 2e6, 1e30], "1 row has a value that is outside the range 0 to 1e+16; first ids: L3"),
        ("qual_need", [1, 6, None], "1 row has a value that is outside the range 1 to 5; first ids: L2"),
        ("created_at", ["2025-01-01", "0202-01-01", "2025-02-01"], "implausible timestamps"),
        ("created_at", ["2025-01-01", "2125-01-01", "2025-02-01"], "implausible timestamps"),
    ],
)
def test_values_outside_the_contract_are_one_line_errors(column, values, problem):
    with pytest.raises(ContractError) as err:
        validate(_leads(**{column: values}), LEADS, source="leads.csv")
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"leads.csv: column '{column}': ") and problem in message


def test_flags_come_from_a_closed_set():
    from predictive_leads.data.contracts import Column, TableContract

    contract = TableContract("t", "lead_id", (Column("lead_id", "string", "id"), Column("flag", "bool", "a flag")), "")
    ok = validate(pd.DataFrame({"lead_id": ["a", "b", "c"], "flag": [1, 0, 1]}), contract)
    assert ok["flag"].tolist() == [True, False, True]
    with pytest.raises(ContractError, match="1 row has a value that is not true/false; first ids: b"):
        validate(pd.DataFrame({"lead_id": ["a", "b", "c"], "flag": [1, 7, 0]}), contract)
    with pytest.raises(ContractError, match="a value that is not true/false; first ids: c"):
        validate(pd.DataFrame({"lead_id": ["a", "b", "c"], "flag": ["yes", "n", "maybe"]}), contract)


def test_blank_ids_are_refused_by_row():
    with pytest.raises(ContractError, match="column 'lead_id': 1 row has blank ids; first ids: row 2"):
        validate(pd.DataFrame({"lead_id": ["L1", "   ", "L3"], "created_at": ["2025-01-01"] * 3}), LEADS)


def test_a_conversion_before_its_lead_was_created_is_an_error_not_a_silent_label(tmp_path):
    leads = _leads(created_at=["2025-01-01", "2025-03-01", "2025-05-01"])
    conversions = pd.DataFrame({"lead_id": ["L1", "L2"], "converted_at": ["2025-02-01", "2025-02-01"]})
    events = pd.DataFrame({"lead_id": ["L1"], "ts": ["2025-01-02"], "event_type": ["page_view"]})
    for name, frame in (("leads", leads), ("events", events), ("conversions", conversions)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    with pytest.raises(ContractError) as err:
        read_lead_data(tmp_path)
    assert str(err.value) == ("conversions.csv: column 'converted_at': 1 row has dates before their lead's "
                              "created_at; first ids: L2")  # fmt: skip


def test_the_declared_spec_door_checks_conversion_dates_too(trained_world, tmp_path):
    from predictive_leads.data.files import read_dataset
    from predictive_leads.synth import write_world

    folder = write_world(trained_world.world, tmp_path / "world")
    conversions = pd.read_parquet(folder / "conversions.parquet")
    leads = pd.read_parquet(folder / "leads.parquet").set_index("lead_id")
    first = conversions["lead_id"].iloc[0]
    conversions.loc[0, "converted_at"] = leads.loc[first, "created_at"] - pd.Timedelta(days=3)
    conversions.to_parquet(folder / "conversions.parquet")
    with pytest.raises(ContractError, match=f"dates before their lead's created_at; first ids: {first}"):
        read_dataset(folder)


def test_a_zero_row_table_is_checked_like_any_other():
    empty = pd.DataFrame({"lead_id": pd.Series([], dtype="string"), "created_at": pd.Series([], dtype="string")})
    assert len(validate(empty, LEADS)) == 0
    with pytest.raises(ContractError, match="missing required column"):
        validate(pd.DataFrame({"lead_id": pd.Series([], dtype="string")}), CONVERSIONS)


# ------------------------------------------------------------------------------------------ locks and partials


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def _holder(out) -> subprocess.Popen:
    """Another process that takes the lock of ``out`` and keeps it until killed."""
    code = ("import sys, time; from predictive_leads.data.files import output_lock\n"
            f"with output_lock({str(out)!r}):\n    print('held', flush=True); time.sleep(60)")  # fmt: skip
    job = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert job.stdout.readline().strip() == "held"
    return job


def test_a_second_job_to_the_same_output_is_refused_while_the_first_lives(tmp_path):
    out = tmp_path / "scores.parquet"
    first = _holder(out)
    try:
        with pytest.raises(OutputLockedError) as err, output_lock(out):
            pass
        assert str(err.value) == (f"scores.parquet: another job (pid {first.pid}) is writing this output; wait for "
                                  "it to finish or choose another output path")  # fmt: skip
    finally:
        first.kill()
        first.wait()
    lock = tmp_path / ".scores.parquet.lock"
    assert lock.read_text().strip() == str(first.pid), "kill -9 leaves the lock file, but not the lock"
    with output_lock(out) as held:  # the killed job's lock died with it: taken over
        assert held == lock and lock.read_text().strip() == str(os.getpid())
        with output_lock(out):  # re-entrant in one process
            pass
        assert lock.exists()
    assert not lock.exists()


def test_a_stale_lock_file_with_this_processs_own_pid_does_not_block(tmp_path):
    out = tmp_path / "scores.parquet"  # in a container a killed job and its rerun often share a pid
    (tmp_path / ".scores.parquet.lock").write_text(f"{os.getpid()}\n")
    with output_lock(out):
        pass


def test_an_exception_inside_the_block_releases_the_lock(tmp_path):
    out = tmp_path / "scores.parquet"
    with pytest.raises(RuntimeError), output_lock(out):
        raise RuntimeError("boom")
    with output_lock(out):
        pass


def test_only_the_partials_of_dead_jobs_are_removed(tmp_path):
    out = tmp_path / "s.csv"
    live = _sleeper()
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout.strip()  # fmt: skip
        live_partial = tmp_path / f".s.csv.{live.pid}.abc.tmp"
        gone = tmp_path / f".s.csv.{dead}.def.tmp"
        mine = tmp_path / f".s.csv.{os.getpid()}.ghi.tmp"  # a dead namesake's: the caller holds the lock
        other_output = tmp_path / f".s.csv.bak.csv.{dead}.jkl.tmp"  # the partial of another output
        for partial in (live_partial, gone, mine, other_output):
            partial.write_bytes(b"partial")
        assert sorted(remove_stale_partials(out)) == sorted([gone, mine])
        assert live_partial.exists() and other_output.exists()
    finally:
        live.kill()
        live.wait()


def test_a_whole_number_too_large_for_int64_is_an_error_not_a_cast_traceback():
    from predictive_leads.data.contracts import Column, TableContract

    contract = TableContract("t", "id", (Column("id", "string", "id"), Column("n", "int", "a count")), "")
    for huge in ("1e19", "9" * 30, "1e300"):
        with pytest.raises(ContractError, match="1 row has a value that is too large for a whole number; first ids: b"):
            validate(pd.DataFrame({"id": ["a", "b"], "n": ["1", huge]}), contract, source="t.csv")
