"""The cold-start ladder: refuse / small / full at each threshold, counted on the rows that would train."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from predictive_leads.evaluation import cold_start as coldstart
from predictive_leads.evaluation.cold_start import (
    MIN_NEGATIVES,
    MIN_POSITIVES,
    MIN_TRAIN_PERIODS,
    SMALL_DATA_POSITIVES,
    ColdStartError,
    assess,
    params_for,
    require_trainable,
    small_data_params,
    time_split,
)
from predictive_leads.models.lead_scorer import LeadScorer

# ten monthly snapshots; with test_fraction 0.2 and a 90-day horizon: Jan–Jun train, Jul–Aug gap, Sep–Oct test
DATES = pd.date_range("2025-01-01", periods=10, freq="MS", tz="UTC")
TRAIN, GAP, TEST = DATES[:6], DATES[6:8], DATES[8:]
HORIZON = 90


def rows(positives: int, negatives: int, dates) -> tuple[list[int], list[pd.Timestamp]]:
    """``positives`` 1s and ``negatives`` 0s spread over ``dates`` in turn."""
    y = [1] * positives + [0] * negatives
    return y, [dates[i % len(dates)] for i in range(len(y))]


def world(train_pos: int, train_neg: int, *, gap=(30, 300), test=(20, 500)) -> tuple[np.ndarray, pd.Series]:
    """Labels and as_of: ``train_pos``/``train_neg`` rows in the training months, more in the gap and the test."""
    y, t = rows(train_pos, train_neg, TRAIN)
    for (pos, neg), dates in ((gap, GAP), (test, TEST)):
        more_y, more_t = rows(pos, neg, dates)
        y, t = y + more_y, t + more_t
    return np.array(y), pd.Series(t, name="as_of")


def ladder(train_pos: int, train_neg: int) -> coldstart.Readiness:
    y, as_of = world(train_pos, train_neg)
    return assess(y, as_of=as_of, horizon_days=HORIZON)


def test_the_hand_built_split_is_the_one_train_uses():
    from predictive_leads.training.workflow import _split

    y, as_of = world(50, 500)
    train_mask, test_mask, start = time_split(as_of, horizon_days=HORIZON)
    train_idx, test_idx, split = _split(pd.DataFrame({"as_of": as_of}), y, "as_of", HORIZON, 0.2, 0)
    assert np.array_equal(np.flatnonzero(train_mask), train_idx)
    assert np.array_equal(np.flatnonzero(test_mask), test_idx)
    assert start == TEST[0] and split["test"][0] == start.isoformat()
    assert sorted(as_of[train_mask].unique()) == list(TRAIN)  # Jul 1 + 90 days reaches Sep 29: left out


def test_only_training_rows_are_counted():
    pos = MIN_POSITIVES + 5
    y, as_of = world(pos, 7000, gap=(500, 100), test=(300, 900))  # many more positives, but not in the training part
    r = assess(y, as_of=as_of, horizon_days=HORIZON)
    assert (r.positives, r.negatives, r.periods) == (pos, 7000, 6)
    assert (r.test_positives, r.test_negatives) == (300, 900)  # Sep–Oct; the gap months count nowhere
    assert r.level == "small"
    assert "2025-01-01 … 2025-06-01" in r.training_part
    shifted = assess(pd.Series(y, index=np.arange(len(y)) + 500), as_of=as_of.set_axis(np.arange(len(y))[::-1]),
                     horizon_days=HORIZON)  # positions count, not index labels  # fmt: skip
    assert (shifted.positives, shifted.negatives) == (r.positives, r.negatives)
    # without the horizon the gap months train too
    assert assess(y, as_of=as_of).positives == pos + 500


@pytest.mark.parametrize("positives", [MIN_POSITIVES - 1, MIN_POSITIVES // 2, 0])
def test_too_few_positives_refuses_and_names_the_numbers(positives):
    r = ladder(positives, 5000)
    assert r.level == "refuse" and not r.trainable
    assert any(f"only {positives} converted rows" in x and f"at least {MIN_POSITIVES}" in x for x in r.reasons)
    assert "rule preset (predictive-leads rules list)" in r.recommendation and "learned scorecard" in r.recommendation


@pytest.mark.parametrize("negatives", [MIN_NEGATIVES - 1, 5])
def test_too_few_negatives_refuses_and_names_the_numbers(negatives):
    r = ladder(5000, negatives)
    assert r.level == "refuse"
    assert any(f"only {negatives} not-converted rows" in x and f"at least {MIN_NEGATIVES}" in x for x in r.reasons)


def test_at_and_just_above_the_minimum_is_small():
    for pos, neg in [(MIN_POSITIVES, 5000), (MIN_POSITIVES + 1, 5000), (SMALL_DATA_POSITIVES - 1, 50_000)]:
        r = ladder(pos, neg)
        assert r.level == "small", (pos, neg, r.reasons)
        assert f"{pos} converted rows" in r.reasons[0] and f"fewer than {SMALL_DATA_POSITIVES}" in r.reasons[0]
    r = ladder(5000, MIN_NEGATIVES)  # the rarer class decides: here the negatives
    assert r.level == "small" and f"{MIN_NEGATIVES} not-converted rows" in r.reasons[0]


def test_enough_of_both_is_full():
    for pos in (SMALL_DATA_POSITIVES, 5 * SMALL_DATA_POSITIVES):
        r = ladder(pos, 20 * pos)
        assert r.level == "full" and r.trainable and r.recommendation == ""
        assert r.positives == pos and r.negatives == 20 * pos and r.periods == 6


# a horizon that leaves exactly k training months before the test (Sep 1): as_of + horizon < Sep 1
HORIZON_FOR_PERIODS = {0: 250, 1: 220, 2: 190, 3: 160}


@pytest.mark.parametrize("periods", [MIN_TRAIN_PERIODS - 1, MIN_TRAIN_PERIODS, MIN_TRAIN_PERIODS + 1])
def test_training_periods_threshold(periods):
    per_month = MIN_POSITIVES + 50
    y, as_of = world(6 * per_month, 60 * per_month)
    r = assess(y, as_of=as_of, horizon_days=HORIZON_FOR_PERIODS[periods])
    assert r.periods == periods and r.positives == per_month * periods
    if periods < MIN_TRAIN_PERIODS:
        assert r.level == "refuse"
        assert any(f"only {periods} distinct as_of date(s)" in x and f"at least {MIN_TRAIN_PERIODS}" in x
                   for x in r.reasons)  # fmt: skip
    else:
        assert r.level in ("small", "full") and not any("as_of date" in x for x in r.reasons)


def test_too_few_dates_for_an_out_of_time_split():
    y, as_of = rows(300, 3000, DATES[:1])
    r = assess(y, as_of=pd.Series(as_of))
    assert r.level == "refuse" and r.periods == 0 and r.positives == 0
    assert "only 0 distinct as_of date(s) in the training part, of 1 in the data" in r.reasons[0]


def test_a_test_part_without_positives_is_refused():
    y, as_of = world(500, 5000, test=(0, 500))
    r = assess(y, as_of=as_of, horizon_days=HORIZON)
    assert r.level == "refuse" and r.test_positives == 0
    assert any("test part (500 rows) has no converted rows" in x for x in r.reasons)


def test_without_a_time_column_the_random_split_is_counted():
    pos = 2 * MIN_POSITIVES
    y = np.r_[np.ones(pos, int), np.zeros(20 * pos, int)]
    r = assess(y)
    assert r.split == "random_stratified" and r.periods is None
    assert (r.positives, r.test_positives) == (round(0.8 * pos), round(0.2 * pos))
    assert r.positives + r.negatives == round(0.8 * len(y)) and r.level == "small"
    r = assess(np.r_[np.ones(MIN_POSITIVES, int), np.zeros(20 * MIN_POSITIVES, int)])  # 80 % of them train
    assert (r.positives, r.level) == (round(0.8 * MIN_POSITIVES), "refuse")
    assert "a random 80% of the rows (no time column)" in r.message()


def test_cold_start_error_is_one_line_with_the_counts_and_the_alternatives():
    r = ladder(MIN_POSITIVES - 7, 800)
    with pytest.raises(ColdStartError) as info:
        require_trainable(r)
    message = str(info.value)
    assert isinstance(info.value, ValueError) and "\n" not in message
    assert f"only {MIN_POSITIVES - 7} converted rows" in message and f"at least {MIN_POSITIVES}" in message
    assert "predictive-leads rules list" in message and "learned scorecard" in message
    with pytest.raises(ColdStartError):
        params_for(r)
    ok = ladder(MIN_POSITIVES, 800)
    assert require_trainable(ok) is ok
    assert params_for(ok) == small_data_params()
    assert params_for(ladder(SMALL_DATA_POSITIVES, 9000)) == {}
    json.dumps(r.to_dict())  # goes into the training report's meta as is
    assert r.to_dict()["thresholds"]["min_positives"] == MIN_POSITIVES


def test_small_data_params_fit_a_lead_scorer_on_few_positives():
    params = small_data_params()
    assert set(params) <= set(LeadScorer().get_params())
    rng = np.random.default_rng(3)
    n = 6000
    X = pd.DataFrame(
        {
            "visits_30d": rng.poisson(2, n).astype(float),
            "pricing_page_view_30d": rng.poisson(0.3, n),
            "demo_request": rng.random(n) < 0.05,
            "industry": pd.Categorical(rng.choice(["saas", "retail", "health"], n)),
            "as_of": np.repeat(DATES[:6], n // 6),
        }
    )
    logit = -3.6 + 0.3 * X["visits_30d"] + 0.8 * X["pricing_page_view_30d"] + 2.0 * X["demo_request"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    keep = np.r_[np.flatnonzero(y == 1)[:MIN_POSITIVES], np.flatnonzero(y == 0)]  # exactly at the floor
    Xs, ys = X.iloc[np.sort(keep)], y[np.sort(keep)]
    assert ys.sum() == MIN_POSITIVES  # exactly at the ladder's floor
    model = LeadScorer(time_column="as_of", **params).fit(Xs, ys)
    assert model.booster_.num_trees() == params["n_estimators"]
    assert all(t["num_leaves"] <= 2 for t in model.booster_.dump_model()["tree_info"])
    assert model.calibrator_.method == "platt" and model.split_["validation_rows"] == 0
    p = model.predict_proba(X.drop(columns="as_of"))[:, 1]
    assert np.all((p > 0) & (p < 1))
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y, p) > 0.65
    assert coldstart.LEVELS == ("refuse", "small", "full")
