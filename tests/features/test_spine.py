"""Spine membership, labels at the horizon boundary, censoring."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predictive_leads.features.spine import as_of_dates, build_labelled_spine, build_spine, label_spine

T = pd.Timestamp("2025-01-01", tz="UTC")
DAY = pd.Timedelta(days=1)


def _leads(**created) -> pd.DataFrame:
    return pd.DataFrame({"lead_id": list(created), "created_at": pd.to_datetime(list(created.values()), utc=True)})


def _conv(**at) -> pd.DataFrame:
    return pd.DataFrame({"lead_id": list(at), "converted_at": pd.to_datetime(list(at.values()), utc=True)})


def test_spine_keeps_only_existing_open_leads():
    leads = _leads(old=T - 10 * DAY, at_as_of=T, later=T + DAY, won_before=T - 5 * DAY, won_at=T - 5 * DAY)
    conv = _conv(won_before=T - DAY, won_at=T)
    spine = build_spine(leads, conv, T)
    assert spine["lead_id"].tolist() == ["old"]
    assert spine["as_of"].dt.tz is not None


def test_label_boundaries_at_the_horizon():
    leads = _leads(a=T - DAY, b=T - DAY, c=T - DAY, d=T - DAY)
    conv = _conv(a=T + 90 * DAY, b=T + 90 * DAY + pd.Timedelta(milliseconds=1), c=T + pd.Timedelta(seconds=1))
    spine, censored = label_spine(build_spine(leads, conv, T), conv, horizon_days=90, observed_until=T + 90 * DAY)
    assert censored == 0
    assert dict(zip(spine["lead_id"], spine["converted"], strict=True)) == {"a": 1, "b": 0, "c": 1, "d": 0}


def test_censoring_is_exact_at_the_observation_end():
    leads = _leads(a=T - DAY)
    spine = build_spine(leads, _conv(), [T, T + DAY])
    kept, censored = label_spine(spine, _conv(), horizon_days=30, observed_until=T + 30 * DAY)
    assert kept["as_of"].tolist() == [T] and censored == 1


def test_summary_counts_skips():
    leads = _leads(a=T - DAY, b=T + DAY, c=T - 3 * DAY)
    conv = _conv(c=T - DAY)
    _, summary = build_labelled_spine(leads, conv, [T], horizon_days=10, observed_until=T + 100 * DAY)
    assert summary.rows == 1 and summary.not_yet_created == 1 and summary.already_converted == 1
    assert summary.censored == 0 and summary.positives == 0


def test_as_of_dates_monthly_and_validation():
    dates = as_of_dates("2025-01-01", "2025-04-01")
    assert [d.month for d in dates] == [1, 2, 3, 4] and all(d.tz is not None for d in dates)
    with pytest.raises(ValueError, match="every must be one of"):
        as_of_dates("2025-01-01", "2025-04-01", every="fortnight")
    with pytest.raises(ValueError, match="horizon_days must be positive"):
        label_spine(build_spine(_leads(a=T - DAY), _conv(), T), _conv(), horizon_days=0, observed_until=T)


@settings(max_examples=40, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=-200, max_value=200), min_size=1, max_size=20),
    late=st.integers(min_value=1, max_value=400),
)
def test_conversions_after_the_horizon_never_change_labels(offsets, late):
    leads = _leads(**{f"l{i}": T + o * DAY for i, o in enumerate(offsets)})
    conv = _conv(**{f"l{i}": T + (o + 30) * DAY for i, o in enumerate(offsets) if i % 2})
    spine = build_spine(leads, conv, T)
    base, _ = label_spine(spine, conv, horizon_days=60, observed_until=T + 365 * DAY)
    # a conversion recorded after the horizon for every lead that had none
    extra = _conv(**{lead: T + (60 + late) * DAY for lead in leads["lead_id"] if lead not in set(conv["lead_id"])})
    again, _ = label_spine(spine, pd.concat([conv, extra]), horizon_days=60, observed_until=T + 365 * DAY)
    pd.testing.assert_frame_equal(base, again)
    assert (leads.loc[leads["lead_id"].isin(base["lead_id"]), "created_at"] < T).all()
