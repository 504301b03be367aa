"""Fit and engagement sub-scores: who the lead is vs what it did, each recovering its own half of the latent truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predictive_leads.features import build_training_set, feature_columns
from predictive_leads.models.lead_scorer import LeadScorer, ModelError
from predictive_leads.synth import generate_world
from predictive_leads.synth.latent import latent_state, recovery_aucs


def test_declared_engagement_columns_make_the_engagement_score_and_unknown_ones_are_refused():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"size": rng.normal(size=3000), "visits": rng.poisson(3, 3000).astype(float)})
    y = (X["size"] + X["visits"] / 2 + rng.normal(size=3000) > 2).astype(int)
    model = LeadScorer(engagement_features=("visits",), min_positives=20).fit(X, y)
    assert model.families_ == {"fit": ["size"], "engagement": ["visits"]}
    out = model.score_frame(X)
    assert out["fit_score"].between(1, 100).all() and out["engagement_score"].between(1, 100).all()
    assert np.corrcoef(out["fit_score"], X["size"])[0, 1] > 0.8
    assert np.corrcoef(out["engagement_score"], X["visits"])[0, 1] > 0.8
    undeclared = LeadScorer(min_positives=20).fit(X, y).score_frame(X)
    assert undeclared["engagement_score"].isna().all() and undeclared["engagement_grade"].isna().all()
    with pytest.raises(ModelError, match="engagement_features not among the features: clicks"):
        LeadScorer(engagement_features=("clicks",)).fit(X, y)


@pytest.mark.slow
def test_fit_score_recovers_latent_fit_and_engagement_score_latent_intent():
    """On a generated world (out of time): the fit score ranks the latent fit better than the engagement score
    does, and the engagement score ranks the latent intent better than the fit score does."""
    world = generate_world(n_leads=20_000, seed=1)
    data = build_training_set(world.leads, world.events, world.conversions,
                              as_of=pd.date_range("2025-03-01", "2026-06-01", freq="MS", tz="UTC"),
                              observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    X = feature_columns(data)
    train, test = data[data["as_of"] < "2025-12-01"], data[data["as_of"] >= "2026-03-01"]
    model = LeadScorer(time_column="as_of").fit(train[[*X, "as_of"]], train["converted"])
    assert model.families_["engagement"] and model.families_["fit"]
    scored = model.score_frame(test[X])
    aucs = recovery_aucs(latent_state(world, test), {s: scored[f"{s}_score"] for s in ("fit", "engagement")})
    assert aucs.loc["fit", "high fit"] > aucs.loc["engagement", "high fit"] + 0.1, aucs
    assert aucs.loc["engagement", "high intent"] > aucs.loc["fit", "high intent"] + 0.1, aucs


def test_a_lead_scored_alone_gets_the_sub_scores_it_gets_in_a_batch(trained_world):
    """The REST door scores one lead at a time: its sub-scores must not depend on the batch (the contributions are
    summed in one order whatever the batch's shape)."""
    rows = trained_world.frame[trained_world.features].sample(300, random_state=2)
    batch = trained_world.scorer.score_frame(rows)
    alone = pd.concat([trained_world.scorer.score_frame(rows.iloc[[i]]) for i in range(len(rows))])
    pd.testing.assert_frame_equal(alone, batch)
