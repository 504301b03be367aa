"""Behavioural features against a direct pandas count of the same events (the oracle is written without any of
the pipeline's tricks: no age buckets, no day bit masks, no burst-bucket prefilter)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictive_leads.data.contracts import EVENT_TYPES
from predictive_leads.features import build_scoring_frame, build_training_set, summary_of
from predictive_leads.features.behaviour import BLOCK_DAYS, window_edges
from predictive_leads.features.config import FeatureConfig
from predictive_leads.synth import generate_world

NOW = pd.Timestamp("2026-09-01", tz="UTC")
DATES = [pd.Timestamp(d, tz="UTC") for d in ("2025-06-01", "2025-11-01", "2026-04-01")]
CONFIG = FeatureConfig()


@pytest.fixture(scope="module")
def world():
    return generate_world(n_leads=500, seed=13)


@pytest.fixture(scope="module")
def frame(world):
    return build_training_set(
        world.leads, world.events, world.conversions, as_of=DATES, horizon_days=90,
        observed_until=world.observed_until, now=NOW,
    )  # fmt: skip


def _oracle(events: pd.DataFrame, as_of: pd.Timestamp, config: FeatureConfig) -> pd.DataFrame:
    """Every behavioural count for every lead with an event before ``as_of``, by plain pandas groupbys."""
    ev = events[events["ts"] < as_of].assign(
        lead_id=lambda e: e["lead_id"].astype(str),
        event_type=lambda e: e["event_type"].astype(str),
        day=lambda e: e["ts"].dt.floor("D"),
    )
    out = pd.DataFrame(index=pd.Index(sorted(ev["lead_id"].unique()), name="lead_id"))
    for w in window_edges(config):
        recent = ev[ev["day"] >= as_of - pd.Timedelta(days=w)]
        out[f"events_{w}d"] = recent.groupby("lead_id").size()
        out[f"active_days_{w}d"] = recent.groupby("lead_id")["day"].nunique()
        for t in EVENT_TYPES:
            if w in config.windows_days:
                out[f"{t}_{w}d"] = recent[recent["event_type"] == t].groupby("lead_id").size()
    for t in EVENT_TYPES:
        out[f"{t}_total"] = ev[ev["event_type"] == t].groupby("lead_id").size()
    out["events_total"] = ev.groupby("lead_id").size()
    out["active_days_total"] = ev.groupby("lead_id")["day"].nunique()
    forms = ev[(ev["event_type"] == "form_submit") & ev["url"].isin(config.high_intent_form_urls)]
    out["high_intent_form_total"] = forms.groupby("lead_id").size()
    views = ev[ev["event_type"].isin(config.burst_event_types)]
    bucket = views["ts"].dt.floor(f"{config.burst_window_minutes}min")
    out["max_events_in_burst_window"] = views.groupby([views["lead_id"], bucket]).size().groupby(level=0).max()
    out = out.fillna(0).astype("int64")
    out["last_event_at"] = ev.groupby("lead_id")["ts"].max()
    for t in config.recency_event_types:
        out[f"last_{t}_at"] = ev[ev["event_type"] == t].groupby("lead_id")["ts"].max()
    return out


def test_every_count_matches_a_direct_pandas_count(world, frame):
    assert frame["events_total"].gt(0).mean() > 0.5, "the world should give most rows some history"
    assert frame["max_events_in_burst_window"].ge(CONFIG.burst_min_events).any(), "no bot burst to check"
    assert frame["high_intent_form_total"].gt(0).any(), "no high-intent form to check"
    assert frame["active_days_total"].gt(2 * BLOCK_DAYS).any() or (frame["lead_age_days"] > 3 * BLOCK_DAYS).any()
    for as_of in DATES:
        rows = frame[frame["as_of"] == as_of].set_index("lead_id")
        expected = _oracle(world.events, as_of, CONFIG).reindex(rows.index)
        for col in expected.columns:
            if col.startswith("last_") and col != "last_event_at":
                days = (as_of - expected[col]) / pd.Timedelta(days=1)
                got = rows[f"days_since_{col.removesuffix('_at')}"]
                pd.testing.assert_series_equal(got, days, check_names=False, obj=f"{col} at {as_of:%Y-%m-%d}")
            elif col in rows:
                want = expected[col] if col == "last_event_at" else expected[col].fillna(0).astype("int64")
                pd.testing.assert_series_equal(rows[col], want, check_names=False, obj=f"{col} at {as_of:%Y-%m-%d}")


def test_each_spelling_of_an_event_type_counts_as_that_type(world, frame):
    ev = world.events.astype({"lead_id": str, "event_type": str})
    odd = ev.index % 3 == 0
    ev.loc[odd, "event_type"] = " " + ev.loc[odd, "event_type"].str.upper() + " "  # same lead, two spellings
    respelled = build_training_set(
        world.leads, ev, world.conversions, as_of=DATES, horizon_days=90, observed_until=world.observed_until, now=NOW
    )
    pd.testing.assert_frame_equal(respelled, frame)
    assert summary_of(respelled).events_used == summary_of(frame).events_used == len(ev)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ages=st.lists(st.integers(min_value=0, max_value=5 * BLOCK_DAYS), min_size=1, max_size=40))
def test_active_days_count_distinct_days_across_mask_blocks(ages):
    """Days of age 0..315 (five 63-day blocks): distinct days per window equal a set count, at every edge."""
    as_of = pd.Timestamp("2026-01-01", tz="UTC")
    leads = pd.DataFrame({"lead_id": ["a"], "created_at": [as_of - pd.Timedelta(days=400)]})
    ts = [as_of - pd.Timedelta(days=age + 1) + pd.Timedelta(hours=(7 * i) % 24) for i, age in enumerate(ages)]
    events = pd.DataFrame({"lead_id": "a", "ts": ts, "event_type": "email_open"})
    row = build_scoring_frame(leads, events, as_of=as_of, now=as_of).iloc[0]
    assert row["active_days_total"] == len(set(ages))
    for w in CONFIG.windows_days:
        assert row[f"active_days_{w}d"] == len({a for a in ages if a < w}), w
    assert row["events_total"] == len(ages)
    assert row["email_open_30d"] == sum(a < 30 for a in ages)


def test_a_lead_without_events_gets_zeros_and_missing_recency(world):
    quiet = world.leads.iloc[:3]
    frame = build_scoring_frame(quiet, world.events.iloc[:0], as_of=DATES[-1], now=NOW)
    counts = frame.filter(regex=rf"^({'|'.join(EVENT_TYPES)}|events|active_days)_(total|\d+d)$|_in_burst_window$")
    assert counts.shape[1] == len(EVENT_TYPES) * 4 + 3 + 4 + 1 + 1, list(counts.columns)
    assert (counts.to_numpy() == 0).all() and np.issubdtype(counts.to_numpy().dtype, np.integer)
    assert frame["last_event_at"].isna().all() and frame["days_since_last_event"].isna().all()


def test_other_windows_and_burst_widths_match_the_oracle(world):
    config = FeatureConfig(windows_days=(14, 60, 180), burst_window_minutes=5)
    as_of = DATES[-1]
    frame = build_scoring_frame(world.leads, world.events, as_of=as_of, config=config, now=NOW)
    assert {"events_7d", "active_days_7d", "page_view_180d"} <= set(frame.columns), "7 days feed the trend: kept"
    assert not {"events_37d", "active_days_37d", "page_view_7d"} & set(frame.columns)
    rows = frame.set_index("lead_id")
    expected = _oracle(world.events, as_of, config).reindex(rows.index)
    for col in [c for c in expected.columns if c in rows and c != "last_event_at"]:
        pd.testing.assert_series_equal(rows[col], expected[col].fillna(0).astype("int64"), check_names=False, obj=col)


def test_nanosecond_timestamps_give_the_same_features(world, frame):
    ev = world.events.assign(ts=world.events["ts"].astype("datetime64[ns, UTC]"))
    nano = build_training_set(
        world.leads, ev, world.conversions, as_of=DATES, horizon_days=90, observed_until=world.observed_until, now=NOW
    )
    pd.testing.assert_frame_equal(nano, frame)
