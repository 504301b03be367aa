"""optbinning is an optional extra: without it training skips the learned scorecard and says so; with it the
scorecard is the baseline beside the model."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from predictive_leads.training import workflow

N = 1500
QUICK = {"target": "converted", "id_col": None, "time_col": None, "flat_export": True, "rules": (), "n_boot": 20,
         "force": True, "report": False, "price_audit_drops": 0}  # fmt: skip


@pytest.fixture(scope="module")
def export() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    y = (rng.random(N) < 0.3).astype(int)
    return pd.DataFrame({"visits": rng.poisson(2 + 2 * y), "source": rng.choice(["web", "event"], N), "converted": y})


def _baselines(result) -> set[str]:
    return {row["scorer"] for row in result.evaluation["comparison"]} - {"model"}


def test_without_optbinning_training_skips_the_scorecard_and_says_how_to_install_it(export, monkeypatch, caplog):
    monkeypatch.setattr(workflow, "scorecard_installed", lambda: False)
    caplog.set_level(logging.WARNING, logger="predictive_leads")  # whatever level another library left on root
    result = workflow.train_model(export, **QUICK)
    assert result.scorecard is None and "learned scorecard" not in _baselines(result)
    assert workflow.SCORECARD_MISSING in result.meta["notes"]
    assert "predictive-leads[scorecard]" in caplog.text
    assert "learned_scorecard.yaml" not in result.artifacts()


def test_with_optbinning_the_scorecard_is_the_baseline_beside_the_model(export):
    pytest.importorskip("optbinning")
    result = workflow.train_model(export, **QUICK)
    assert result.scorecard is not None and _baselines(result) == {"learned scorecard"}
    assert workflow.SCORECARD_MISSING not in result.meta["notes"]
