"""The oracle: exact, calibrated, and a ceiling well above an obvious two-feature model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from predictive_leads.features.spine import as_of_dates, build_labelled_spine
from predictive_leads.synth import generate_world, intent, oracle_probability

SENIORITY_RANK = {"student_other": 0, "individual_contributor": 1, "manager": 2, "director": 3, "vp": 4, "c_level": 4}


@pytest.fixture(scope="module")
def labelled():
    world = generate_world(n_leads=20_000, seed=1)
    dates = as_of_dates("2025-03-01", "2026-06-01")
    spine, summary = build_labelled_spine(
        world.leads, world.conversions, dates, horizon_days=90, observed_until=world.observed_until
    )
    return world, spine, summary


def _pricing_views_30d(world, spine: pd.DataFrame) -> np.ndarray:
    ev = world.events.loc[world.events["event_type"] == "pricing_page_view", ["lead_id", "ts"]]
    ev = ev.assign(lead_id=ev["lead_id"].astype(str))
    out = np.zeros(len(spine))
    for as_of, rows in spine.groupby("as_of").groups.items():
        window = ev[(ev["ts"] < as_of) & (ev["ts"] >= as_of - pd.Timedelta(days=30))]
        counts = window.groupby("lead_id").size()
        out[spine.index.get_indexer(rows)] = spine.loc[rows, "lead_id"].map(counts).fillna(0).to_numpy()
    return out


@pytest.mark.slow
def test_data_has_learnable_signal_and_a_ceiling(labelled):
    """Two obvious features beat random clearly; the oracle is well above them (out of time)."""
    world, spine, _ = labelled
    # seniority from the generator's truth stands in for the title parser of the feature pipeline
    seniority = spine["lead_id"].map(world.truth.set_index("lead_id")["seniority"]).map(SENIORITY_RANK)
    X = np.c_[np.log1p(_pricing_views_30d(world, spine)), seniority.to_numpy()]
    y = spine["converted"].to_numpy()
    train = (spine["as_of"] < "2025-12-01").to_numpy()
    test = (spine["as_of"] >= "2026-03-01").to_numpy()  # a gap longer than the horizon: no label overlap
    model = LogisticRegression().fit(X[train], y[train])
    auc_model = roc_auc_score(y[test], model.predict_proba(X[test])[:, 1])
    auc_oracle = roc_auc_score(y[test], oracle_probability(world, spine.loc[test], horizon_days=90))
    assert auc_model > 0.6, auc_model
    assert auc_oracle > auc_model + 0.08, (auc_oracle, auc_model)


@pytest.mark.slow
def test_oracle_is_calibrated(labelled):
    world, spine, summary = labelled
    p = oracle_probability(world, spine, horizon_days=90)
    assert not np.isnan(p).any()
    n = len(p)
    assert abs(p.mean() - summary.conversion_rate) < 4 * np.sqrt(p.mean() / n) + 1e-3
    # per decile of predicted probability, realised rate tracks the prediction
    deciles = pd.qcut(p, 10, labels=False, duplicates="drop")
    by = pd.DataFrame({"p": p, "y": spine["converted"], "d": deciles}).groupby("d").mean()
    assert (by["y"] - by["p"]).abs().max() < 0.01


def test_oracle_edge_rows():
    world = generate_world(n_leads=500, seed=2)
    leads = world.leads.set_index("lead_id")
    truth = world.truth.set_index("lead_id")
    late = leads.index[-1]
    bot = truth.index[truth["is_bot"]][0]
    conv = world.conversions.iloc[0]
    spine = pd.DataFrame(
        {
            "lead_id": [late, bot, conv["lead_id"], conv["lead_id"]],
            "as_of": pd.to_datetime(
                [
                    leads.loc[late, "created_at"].floor("D"),  # before the lead exists
                    leads.loc[bot, "created_at"].ceil("D") + pd.Timedelta(days=1),
                    conv["converted_at"].ceil("D"),  # after it converted
                    conv["converted_at"].floor("D"),  # the morning it converts: still open, 0 < p < 1
                ],
                utc=True,
            ),
        }
    )
    p = oracle_probability(world, spine, horizon_days=30)
    assert np.isnan(p[0]) and p[1] == 0.0 and np.isnan(p[2]) and 0 < p[3] < 1


def test_forward_probability_matches_simulation():
    """The day-by-day propagation equals a Monte Carlo run of the same chain."""
    rng = np.random.default_rng(0)
    n, horizon, intercept, fit = 200_000, 60, -6.0, 0.5
    start_state = np.full(n, 2, dtype=np.int8)
    seg = intent.simulate_paths(rng, np.zeros(n, dtype=np.int64), start_state, horizon + 1)
    hazard = intent.daily_hazard(intercept, seg.state, np.full(len(seg), fit))
    # the chain starts in state 2 on day 0; P(convert on days 1..horizon | state on day 0)
    first = np.maximum(seg.start, 1)
    days = np.clip(seg.end - first, 0, None)
    survive = np.exp(np.bincount(seg.lead, weights=days * np.log1p(-hazard), minlength=n))
    simulated = 1 - survive.mean()
    exact = intent.forward_conversion_probability(
        np.array([2]), np.array([1]), horizon, intercept, np.array([fit]), np.array([fit]), None
    )[0]
    assert abs(simulated - exact) < 3e-3, (simulated, exact)
