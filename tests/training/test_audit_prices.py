"""Training prices every "too good" drop of the audit: the test AUC with and without it, and the --keep option."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from predictive_leads.training.workflow import load_training_frame, summary_lines, train_model

ROOT = Path(__file__).resolve().parents[2]
X_EDUCATION = ROOT / "../shared/datasets/x_education/Leads.csv"
N = 2000
QUICK = {"target": "converted", "id_col": None, "time_col": None, "flat_export": True, "rules": (),
         "learned_scorecard": False, "n_boot": 50, "force": True}  # fmt: skip


@pytest.fixture(scope="module")
def export() -> pd.DataFrame:
    """A flat export with honest columns, a planted leak (the outcome with noise), a lead number and a constant."""
    rng = np.random.default_rng(11)
    y = (rng.random(N) < 0.3).astype(int)
    return pd.DataFrame(
        {
            "visits": rng.poisson(3 + 1.5 * y),
            "time on site": y * 0.6 + rng.normal(size=N),
            "source": rng.choice(["web", "event", "partner"], N),
            "Deal Stage": y + rng.normal(0, 0.35, N),
            "Lead Number": rng.permutation(N) + 10_000,
            "Country": "IN",
            "converted": y,
        }
    )


@pytest.fixture(scope="module")
def trained(export):
    return train_model(export, **QUICK)


def test_a_too_good_drop_is_priced_with_its_keep_option(trained):
    assert set(trained.dropped) == {"Deal Stage", "Lead Number", "Country"}
    [price] = trained.meta["audit_prices"]  # the identifier and the constant stay automatic: not priced
    assert price["column"] == "Deal Stage" and price["priced"]
    assert price["evidence"].startswith("single-column AUC 0.9") and price["keep"] == "--keep 'Deal Stage'"
    assert price["auc_without"] == pytest.approx(trained.evaluation["headline"]["model"]["roc_auc"]["estimate"])
    assert price["auc_with"] > price["auc_without"] and price["difference"]["low"] > 0
    assert any(n.startswith("audit dropped Deal Stage") and n.endswith("--keep 'Deal Stage'") for n in trained.notes)
    assert summary_lines(trained)[-1].startswith("  Deal Stage: AUC ")


def test_the_report_shows_the_price_under_the_audit(trained):
    html = trained.report_html
    audit, prices = html.index("<h3>Leakage audit</h3>"), html.index('id="audit-prices"')
    assert audit < prices and html.count("<code>--keep") == 1
    assert "<code>--keep &#39;Deal Stage&#39;</code>" in html and "optimistic" in html[prices:]
    assert "audit prices" not in html  # not repeated as a raw run detail


def test_the_with_model_is_the_one_keep_trains(export, trained):
    kept = train_model(export, keep=("Deal Stage",), **QUICK)
    assert kept.meta["audit_prices"] == [] and "Deal Stage" not in kept.dropped
    auc = kept.evaluation["headline"]["model"]["roc_auc"]["estimate"]
    assert auc == pytest.approx(trained.meta["audit_prices"][0]["auc_with"])


def test_pricing_can_be_switched_off(export):
    [row] = train_model(export, price_audit_drops=0, report=False, **QUICK).meta["audit_prices"]
    assert row == {"column": "Deal Stage", "evidence": row["evidence"], "audit_auc": row["audit_auc"],
                   "keep": "--keep 'Deal Stage'", "priced": False, "note": "not priced: pricing is off"}  # fmt: skip


@pytest.mark.skipif(not X_EDUCATION.exists(), reason="X Education lead file not available")
def test_x_education_prices_tags_and_lead_quality():
    frame, roles = load_training_frame(X_EDUCATION, target="Converted", flat_export=True, id_col="Prospect ID")
    result = train_model(frame, report=False, **roles)
    prices = {row["column"]: row for row in result.meta["audit_prices"]}
    assert list(prices) == ["Tags", "Lead Quality"]  # Lead Number and the constant columns are not priced
    tags = prices["Tags"]
    assert tags["keep"] == "--keep Tags" and prices["Lead Quality"]["keep"] == "--keep 'Lead Quality'"
    assert tags["auc_with"] > 0.97 and tags["difference"]["low"] > 0.02  # measured: 0.936 → 0.981, +0.045
