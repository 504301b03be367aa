"""Performance in the label gap: estimates that match the truth when the probabilities are true, that miss it
when they are not, and a monitoring run that estimates the immature cohorts and realizes the mature ones."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from predictive_leads.evaluation.leakage_audit import auc_score
from predictive_leads.monitoring.estimate import estimate_table, expected_performance
from predictive_leads.monitoring.monitor import run_monitor


def _world(n_cohorts: int, rows: int, seed: int, truth_scale: float = 1.0):
    """Monthly cohorts with probabilities ``p`` and outcomes drawn from ``truth_scale · p``: the truth is known."""
    rng = np.random.default_rng(seed)
    p = rng.beta(0.6, 12, n_cohorts * rows)
    y = (rng.random(p.size) < np.clip(truth_scale * p, 0, 1)).astype(float)
    months = pd.date_range("2026-01-01", periods=n_cohorts, freq="MS", tz="UTC")
    frame = pd.DataFrame({"as_of": np.repeat(months, rows)})
    return frame, p, y


def test_expected_auc_and_conversions_match_outcomes_drawn_from_the_probabilities():
    rng = np.random.default_rng(7)
    p = rng.beta(0.6, 12, 5000)
    drawn = [rng.random(p.size) < p for _ in range(300)]
    aucs = [auc_score(p, d.astype(float)) for d in drawn]
    (expected, c_low, c_high), (mean, low, high) = expected_performance(p, seed=1)
    assert mean == pytest.approx(np.mean(aucs), abs=0.005)
    assert low == pytest.approx(np.quantile(aucs, 0.025), abs=0.01)
    assert high == pytest.approx(np.quantile(aucs, 0.975), abs=0.01)
    counts = np.array([d.sum() for d in drawn])
    assert expected == pytest.approx(p.sum()) and abs(counts.mean() - expected) < 0.5 * (c_high - c_low) / 3.92
    assert 0.9 <= np.mean((counts >= c_low) & (counts <= c_high)) <= 0.995


def test_a_handful_of_expected_conversions_gets_an_interval_that_a_single_one_can_fall_in():
    (expected, low, high), _ = expected_performance(np.full(10, 0.01))  # P(at least one) = 9.6 %
    assert expected == pytest.approx(0.1) and low == 0 and high == 1  # normal approximation: [0, 0.72]


def test_when_the_probabilities_are_the_truth_the_intervals_cover_the_realized_values():
    frame, p, y = _world(n_cohorts=40, rows=800, seed=3)
    table = estimate_table(frame, p, np.ones(len(frame), dtype=bool), y)
    assert (table["status"] == "realized").all() and len(table) == 40
    assert table["conversions_inside"].mean() >= 0.85  # 95 % intervals: about 38 of 40
    assert table["auc_inside"].mean() >= 0.85


def test_when_the_truth_moved_the_realized_values_fall_outside():
    frame, p, y = _world(n_cohorts=12, rows=2000, seed=4, truth_scale=0.6)  # 40 % fewer convert than predicted
    table = estimate_table(frame, p, np.ones(len(frame), dtype=bool), y)
    assert not table["conversions_inside"].any()
    assert (table["conversions"] < table["conversions_low"]).all()


def test_immature_cohorts_are_estimated_and_show_no_realized_value():
    frame, p, y = _world(n_cohorts=3, rows=500, seed=5)
    mature = (frame["as_of"] < "2026-03-01").to_numpy()
    table = estimate_table(frame, p, mature, y)
    assert table["status"].tolist() == ["realized", "realized", "estimated"]
    assert np.isnan(table["conversions"].iloc[-1]) and np.isnan(table["auc"].iloc[-1])
    assert table["conversions"].iloc[0] == y[:500].sum()


def test_a_monitoring_run_estimates_the_label_gap_and_realizes_what_matured(trained_world, tmp_path):
    from predictive_leads.reports.figures import monitor_figures
    from predictive_leads.reports.pages import monitor_page

    frame, at = trained_world.frame, pd.Timestamp("2026-07-15", tz="UTC")
    known = frame[frame["as_of"] <= at]
    current = known[known["as_of"] == known["as_of"].max()]
    result = run_monitor(trained_world.scorer, trained_world.profile, current, known, as_of=at, n_boot=20)
    table = result.estimates.set_index("cohort")
    assert table.loc["2026-06", "status"] == "estimated" and table.loc["2026-05", "status"] == "estimated"
    assert table.loc["2026-04", "status"] == "realized"  # 2026-04-01 + 90 days ≤ 2026-07-15
    assert table.index.min() == "2026-01"  # only cohorts the model never trained on
    realized = known[known["as_of"] == "2026-04-01"]["converted"].sum()
    assert table.loc["2026-04", "conversions"] == realized
    report = json.loads(json.dumps(result.to_dict()))
    assert [r["status"] for r in report["estimates"]][-2:] == ["estimated", "estimated"]
    html = monitor_page(result, monitor_figures(result))
    assert "Estimated and realized performance since training" in html and 'alt="Conversion rate per monthly' in html
