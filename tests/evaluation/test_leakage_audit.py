"""The leakage audit finds planted leaks from the data, and leaves honest columns alone."""

from __future__ import annotations

import re
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from predictive_leads.evaluation.leakage_audit import (
    AUDIT_COLUMNS,
    apply_audit,
    auc_score,
    leakage_audit,
    out_of_fold_encoding_auc,
    rank_auc,
)
from predictive_leads.features import build_training_set, feature_columns
from predictive_leads.synth import generate_world

ROOT = Path(__file__).resolve().parents[2]
X_EDUCATION = ROOT / "../shared/datasets/x_education/Leads.csv"
N = 3000


def _labels(rng, n=N, rate=0.3) -> np.ndarray:
    return (rng.random(n) < rate).astype(int)


def _column_with_auc(rng, y, auc: float) -> np.ndarray:
    """A normal score whose expected AUC against ``y`` is ``auc`` (binormal, equal variances)."""
    shift = np.sqrt(2) * NormalDist().inv_cdf(auc)
    return y * shift + rng.normal(size=len(y))


def _checks(audit: pd.DataFrame) -> dict[str, str]:
    return dict(zip(audit["column"], audit["check"], strict=True))


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(7)
    y = _labels(rng)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, N), unit="D")
    X = pd.DataFrame(
        {
            "visits": rng.poisson(3 + 0.6 * y),
            "time_on_site": _column_with_auc(rng, y, 0.66),
            "source": pd.Categorical(rng.choice(["web", "event", "partner", "ads"], N)),
            "country": pd.Categorical(np.where(rng.random(N) < 0.5 + 0.1 * y, "IN", "US")),
            "employees": np.where(rng.random(N) < 0.2, np.nan, rng.lognormal(4, 1, N)),
            "status_score": y + rng.normal(0, 0.35, N),  # the outcome with noise
            "deal_size": np.where((y == 1) & (rng.random(N) < 0.9), rng.lognormal(8, 1, N), np.nan),
            "lead_id": [f"L{i:06d}" for i in rng.permutation(N)],
            "lead_number": np.arange(500_000, 500_000 + N),
            "signup_date": days.strftime("%Y-%m-%d"),
            "created_at": pd.Series(days, dtype="datetime64[us]").dt.tz_localize("UTC"),
            "gdpr_flag": "No",
            "empty": np.nan,
        }
    )
    return X, y


def test_planted_leaks_are_each_flagged_with_the_right_check(planted):
    X, y = planted
    audit = leakage_audit(X, y)
    assert list(audit.columns) == AUDIT_COLUMNS
    assert _checks(audit) == {
        "status_score": "single_column_auc",
        "deal_size": "missingness_predicts_label",
        "signup_date": "timestamp",
        "created_at": "timestamp",
        "lead_id": "identifier",
        "lead_number": "identifier",
        "gdpr_flag": "constant",
        "empty": "constant",
    }
    assert set(audit["action"]) == {"drop"}
    assert audit["column"].tolist()[:2] == ["status_score", "deal_size"]  # leaks first, strongest first
    reasons = audit.set_index("column")["reason"]
    auc = audit.set_index("column").loc["status_score", "metric"]
    assert auc > 0.95 and reasons["status_score"].startswith(f"single-column AUC {auc:.2f}: too good to be known")
    assert re.match(r"is-missing AUC 0.9\d: filled for 9\d% of converted and 0% of other rows", reasons["deal_size"])
    assert "; also single_column_auc: single-column AUC 0.9" in reasons["deal_size"]
    assert "unique for every row" in reasons["lead_number"] and "rising with row order" in reasons["lead_number"]
    assert reasons["lead_id"].startswith("100% of values are distinct (3,000 of 3,000)")
    assert reasons["gdpr_flag"] == "one value only ('No'): nothing to learn"


def test_audit_is_deterministic_and_leaves_its_input_alone(planted):
    X, y = planted
    before = X.copy()
    pd.testing.assert_frame_equal(leakage_audit(X, y, random_state=3), leakage_audit(X, y, random_state=3))
    pd.testing.assert_frame_equal(X, before)


def test_high_cardinality_text_cannot_score_by_memorising_rows():
    rng = np.random.default_rng(1)
    y = _labels(rng)
    codes = np.arange(N)  # one level per row
    folds = list(pd.Series(range(N)).groupby(np.arange(N) % 5).indices.values())
    folds = [(np.setdiff1d(np.arange(N), f), f) for f in folds]
    assert out_of_fold_encoding_auc(codes, y, folds) == pytest.approx(0.5)
    assert rank_auc(np.where(y == 1, np.nan, 1.0), y) == pytest.approx(1.0)
    assert auc_score(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == pytest.approx(0.75)


def test_a_moderate_column_standing_alone_is_flagged_by_the_relative_rule():
    rng = np.random.default_rng(2)
    y = _labels(rng)
    X = pd.DataFrame({f"h{i}": _column_with_auc(rng, y, a) for i, a in enumerate(np.linspace(0.68, 0.56, 7))})
    X["rep_rating"] = pd.Categorical(pd.cut(_column_with_auc(rng, y, 0.86), 5, labels=list("ABCDE")))
    audit = leakage_audit(X, y)
    assert _checks(audit) == {"rep_rating": "single_column_auc"}
    assert audit["metric"].iloc[0] < 0.9
    assert "far above every other column (next: h0 0.6" in audit["reason"].iloc[0]
    assert leakage_audit(X, y, relative_gap=None).empty


def test_a_continuum_of_strong_honest_columns_is_not_flagged():
    rng = np.random.default_rng(3)
    y = _labels(rng)
    X = pd.DataFrame({f"c{i}": _column_with_auc(rng, y, a) for i, a in enumerate(np.linspace(0.86, 0.62, 25))})
    assert leakage_audit(X, y).empty
    assert _checks(leakage_audit(X, y, auc_threshold=0.85)) == {"c0": "single_column_auc"}


def test_sequence_check_follows_time_when_given():
    rng = np.random.default_rng(4)
    y = _labels(rng)
    time = pd.Series(pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.permutation(N), unit="h"))
    rank = time.rank(method="first").to_numpy().astype(int)
    X = pd.DataFrame({"account_number": 10_000 + rank // 2, "visits": rng.poisson(3, N)})  # repeats: not unique
    assert leakage_audit(X, y).empty
    audit = leakage_audit(X, y, time=time)
    assert _checks(audit) == {"account_number": "identifier"}
    assert "rising with time" in audit["reason"].iloc[0]


def test_bad_inputs():
    X = pd.DataFrame({"a": [1, 2, 3]})
    with pytest.raises(ValueError, match="y has 2 labels for 3 rows"):
        leakage_audit(X, [0, 1])
    with pytest.raises(ValueError, match="0/1 labels"):
        leakage_audit(X, [0, 1, 2])


def test_apply_audit_drops_flagged_columns_except_kept(planted):
    X, y = planted
    audit = leakage_audit(X, y)
    kept, dropped = apply_audit(X, audit, keep=["lead_number"])
    assert dropped == [c for c in audit["column"] if c != "lead_number"]
    assert list(kept.columns) == ["visits", "time_on_site", "source", "country", "employees", "lead_number"]
    same, none = apply_audit(X, audit.iloc[0:0])
    assert none == [] and same.shape == X.shape
    with pytest.raises(ValueError, match=r"^keep: no column 'lead_numbr' in the data; did you mean 'lead_number'"):
        apply_audit(X, audit, keep=["lead_numbr"])


# ---------------------------------------------------------------------------------------------- honest data


@pytest.fixture(scope="module")
def honest():
    world = generate_world(n_leads=3000, seed=9)
    as_of = pd.date_range("2025-03-01", "2026-03-01", freq="2MS", tz="UTC")
    return build_training_set(
        world.leads,
        world.events,
        world.conversions,
        as_of=as_of,
        horizon_days=90,
        observed_until=world.observed_until,
        now=world.observed_until,
    )


def test_honest_synthetic_training_set_has_nothing_flagged(honest):
    y = honest["converted"].to_numpy()
    assert y.sum() >= 100
    features = honest[feature_columns(honest)]
    assert leakage_audit(features, y).empty
    everything = leakage_audit(honest.drop(columns="converted"), y)
    checks = _checks(everything)
    assert checks["as_of"] == checks["last_event_at"] == "timestamp"
    # lead_id and email_domain repeat across as_of rows of one lead, so they memorise its outcome: context only
    assert set(checks) <= {"as_of", "last_event_at", "lead_id", "email_domain"}


@pytest.mark.skipif(not X_EDUCATION.exists(), reason="X Education lead file not available")
def test_x_education_flags_tags_and_lead_quality():
    from predictive_leads.data.flat_export import read_flat_export

    data = read_flat_export(X_EDUCATION, target="Converted", id_col="Prospect ID")
    audit = leakage_audit(data.X, data.y).set_index("column")
    leaks = audit.index[audit["check"] == "single_column_auc"].tolist()
    assert leaks == ["Tags", "Lead Quality"]
    assert audit.loc["Tags", "reason"].startswith("out-of-fold single-column AUC 0.92: too good to be known")
    assert audit.loc["Lead Quality", "reason"].startswith(
        "out-of-fold single-column AUC 0.80, far above every other column (next: Last Activity 0.72)"
    )
    assert audit.loc["Lead Number", "check"] == "identifier"
    assert set(audit.index[audit["check"] == "constant"]) == {
        "Magazine",
        "Receive More Updates About Our Courses",
        "Update me on Supply Chain Content",
        "Get updates on DM Content",
        "I agree to pay the amount through cheque",
    }
    for honest_column in ("Total Time Spent on Website", "What is your current occupation", "Lead Origin"):
        assert honest_column not in audit.index
    kept, dropped = apply_audit(data.X, audit.reset_index())
    assert "Tags" in dropped and "Tags" not in kept


def test_dates_are_told_apart_from_bands_ratings_and_codes():
    rng = np.random.default_rng(5)
    y = _labels(rng, 400)

    def pick(values):
        return rng.choice(values, 400)

    X = pd.DataFrame(
        {
            "company_size": pick(["1-10", "11-50", "51-200", "201-500"]),
            "rating": pick(["1/5", "2/5", "3/5", "4/5", "5/5"]),
            "activity_index": pick(["01.High", "02.Medium", "03.Low"]),
            "last_contact": pick(["Jan 5, 2024", "5 February 2024", "2024-03-01 10:00", "04/05/2024"]),
            "time_to_first_call": pd.to_timedelta(rng.integers(1, 500, 400), unit="min"),
        }
    )
    assert _checks(leakage_audit(X, y)) == {"last_contact": "timestamp"}


def test_too_few_positives_skips_the_auc_checks_and_says_so():
    X = pd.DataFrame({"leak": [1.0] * 3 + [0.0] * 97, "constant": 1})
    y = np.array([1] * 3 + [0] * 97)
    audit = leakage_audit(X, y)
    assert _checks(audit) == {"constant": "constant"}
    assert audit.attrs["notes"][-1] == (
        "AUC and missingness checks skipped: 3 positive and 97 negative rows, fewer than 10 of a class"
    )
