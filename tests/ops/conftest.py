"""A batch job that is still running: for the tests that kill, stop or race it."""

from __future__ import annotations

import subprocess
import sys
import time

import pandas as pd
import pytest


@pytest.fixture
def running_score(trained_world, tmp_path):
    """``start(leads, copies, **popen)``: write ``copies`` of ``leads`` (fresh ids) to ``big.parquet``, start the
    ``score`` CLI on it into ``out.parquet`` (chunks of 500 rows) and return ``(job, out, source, cmd)`` once its
    temporary output exists, i.e. while it is writing."""

    def start(leads: pd.DataFrame, copies: int, **popen):
        source, out = tmp_path / "big.parquet", tmp_path / "out.parquet"
        big = pd.concat([leads] * copies, ignore_index=True)
        big.assign(lead_id=[f"L{i}" for i in range(len(big))]).to_parquet(source)
        cmd = [sys.executable, "-m", "predictive_leads.cli.app", "score", "--model", str(trained_world.model_dir),
               "--input", str(source), "--output", str(out), "--chunk-rows", "500"]  # fmt: skip
        job = subprocess.Popen(cmd, cwd=tmp_path, **popen)
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".out.parquet.*.tmp")) and time.monotonic() < deadline and job.poll() is None:
            time.sleep(0.05)
        assert job.poll() is None, "the job finished before the test could act: make the input bigger"
        return job, out, source, cmd

    return start
