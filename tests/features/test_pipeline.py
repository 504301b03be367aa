"""The point-in-time pipeline: nothing after as_of leaks in, nothing is silently dropped."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictive_leads.data.contracts import EVENT_TYPES, ContractError
from predictive_leads.features import (
    LeakageError,
    assert_point_in_time,
    build_scoring_frame,
    build_training_set,
    feature_columns,
    summary_of,
)
from predictive_leads.synth import generate_world

AS_OF = pd.Timestamp("2025-09-01", tz="UTC")
DATES = [pd.Timestamp("2025-06-01", tz="UTC"), AS_OF]
NOW = pd.Timestamp("2026-09-01", tz="UTC")
SLOW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def world():
    return generate_world(n_leads=400, seed=5)


def _train(world, events=None, conversions=None, as_of=DATES, **kw):
    return build_training_set(
        world.leads,
        world.events if events is None else events,
        world.conversions if conversions is None else conversions,
        as_of=as_of,
        horizon_days=90,
        observed_until=world.observed_until,
        now=NOW,
        **kw,
    )


@pytest.fixture(scope="module")
def base(world):
    return _train(world)


def _assert_same_features(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_training_set_shape_and_summary(world, base):
    summary = summary_of(base)
    assert summary.rows == len(base) > 0 and summary.positives == int(base["converted"].sum())
    assert set(base["as_of"]) == set(DATES)
    assert not base.duplicated(["lead_id", "as_of"]).any()
    created = base["lead_id"].map(world.leads.set_index("lead_id")["created_at"])
    assert (created < base["as_of"]).all(), "a lead appears before it exists"
    assert (base["last_event_at"].isna() | (base["last_event_at"] < base["as_of"])).all()
    for name in ("pricing_page_view_30d", "days_since_last_email_click", "active_days_30d", "email_click_rate_90d",
                 "activity_trend_7d_vs_prev_30d", "has_unsubscribed", "no_email_open_30d", "lead_age_days",
                 "seniority", "email_kind", "company_size_band", "in_service_area", "is_duplicate_contact",
                 "bot_like_burst"):  # fmt: skip
        assert name in base.columns, name
    assert not {"email", "first_name", "last_name", "phone", "form_message"} & set(base.columns)
    assert_point_in_time(base)


def test_counts_match_a_direct_pandas_count(world, base):
    ev = world.events.assign(
        lead_id=world.events["lead_id"].astype(str), event_type=world.events["event_type"].astype(str)
    )
    for as_of in DATES:
        window = ev[(ev["ts"] < as_of) & (ev["ts"] >= as_of - pd.Timedelta(days=30))]
        expected = window[window["event_type"] == "pricing_page_view"].groupby("lead_id").size()
        rows = base[base["as_of"] == as_of].set_index("lead_id")
        got = rows["pricing_page_view_30d"]
        assert (got == expected.reindex(got.index).fillna(0).astype(int)).all()
        last = ev[ev["ts"] < as_of].groupby("lead_id")["ts"].max()
        assert (rows["last_event_at"].dropna() == last.reindex(rows["last_event_at"].dropna().index)).all()


@SLOW
@given(data=st.data())
def test_events_at_or_after_as_of_never_change_features(world, base, data):
    leads = world.leads["lead_id"].tolist()
    n = data.draw(st.integers(min_value=1, max_value=30))
    extra = pd.DataFrame(
        {
            "lead_id": data.draw(st.lists(st.sampled_from(leads), min_size=n, max_size=n)),
            "ts": [
                AS_OF + pd.Timedelta(seconds=s)
                for s in data.draw(st.lists(st.integers(0, 200 * 86_400), min_size=n, max_size=n))
            ],
            "event_type": data.draw(st.lists(st.sampled_from(EVENT_TYPES), min_size=n, max_size=n)),
        }
    )
    events = pd.concat([world.events.astype({"lead_id": str, "event_type": str}), extra], ignore_index=True)
    again = _train(world, events=events, as_of=[AS_OF])
    _assert_same_features(again, base[base["as_of"] == AS_OF])


@SLOW
@given(late_days=st.integers(min_value=1, max_value=300), share=st.floats(0.1, 1.0))
def test_conversions_after_the_horizon_never_change_labels(world, base, late_days, share):
    open_ = base.loc[(base["as_of"] == AS_OF) & (base["converted"] == 0), "lead_id"]
    chosen = open_.sample(frac=share, random_state=late_days)
    late = pd.DataFrame({"lead_id": chosen, "converted_at": AS_OF + pd.Timedelta(days=90 + late_days)})
    conv = pd.concat([world.conversions, late.assign(deal_value=1.0)], ignore_index=True)
    conv = conv.drop_duplicates("lead_id", keep="first")
    again = _train(world, conversions=conv, as_of=[AS_OF])
    _assert_same_features(again, base[base["as_of"] == AS_OF])


def test_removing_an_event_before_as_of_changes_features(world, base):
    ev = world.events
    before = ev[(ev["ts"] < AS_OF) & ev["lead_id"].astype(str).isin(base["lead_id"])]
    victim = before.index[len(before) // 2]
    lead = str(ev.loc[victim, "lead_id"])
    again = _train(world, events=ev.drop(index=victim), as_of=[AS_OF])
    row_a = base[(base["as_of"] == AS_OF) & (base["lead_id"] == lead)][feature_columns(base)]
    row_b = again[again["lead_id"] == lead][feature_columns(again)]
    assert not row_a.reset_index(drop=True).equals(row_b.reset_index(drop=True))


def test_censoring_at_the_observation_end(world):
    end = world.observed_until
    last_ok = end - pd.Timedelta(days=90)
    frame = build_training_set(
        world.leads, world.events, world.conversions, as_of=[last_ok, last_ok + pd.Timedelta(days=1)],
        horizon_days=90, observed_until=end, now=NOW,
    )  # fmt: skip
    summary = summary_of(frame)
    assert set(frame["as_of"]) == {last_ok} and summary.censored > 0
    # the period queries started for two dates; the one date left takes the joined path, with the same features
    alone = build_training_set(world.leads, world.events, world.conversions, as_of=[last_ok], horizon_days=90,
                               observed_until=end, now=NOW)  # fmt: skip
    _assert_same_features(frame, alone)


def test_scoring_frame_matches_training_features(world, base):
    scoring = build_scoring_frame(world.leads, world.events, as_of=AS_OF, conversions=world.conversions, now=NOW)
    train = base[base["as_of"] == AS_OF].drop(columns="converted")
    assert feature_columns(scoring) == feature_columns(train)
    merged = scoring.set_index("lead_id").loc[train["lead_id"]]
    pd.testing.assert_frame_equal(
        merged.reset_index()[train.columns].reset_index(drop=True), train.reset_index(drop=True), check_like=True
    )
    assert summary_of(scoring).kind == "scoring frame"


def test_bad_events_are_counted_and_skipped_not_dropped_silently(world, base):
    ev = world.events.astype({"lead_id": str, "event_type": str})
    bad = pd.DataFrame(
        {
            "lead_id": ["NOPE1", "NOPE2", world.leads["lead_id"].iloc[0], world.leads["lead_id"].iloc[1]],
            "ts": [AS_OF - pd.Timedelta(days=3)] * 2 + [NOW + pd.Timedelta(days=1), AS_OF - pd.Timedelta(days=2)],
            "event_type": ["page_view", "page_view", "page_view", "Webinar_Viewed"],
        }
    )
    frame = _train(world, events=pd.concat([ev, bad], ignore_index=True), as_of=[AS_OF])
    summary = summary_of(frame)
    assert summary.events_skipped == {"unknown_event_type": 1, "unknown_lead": 2, "future_timestamp": 1}
    assert summary.unknown_event_types == ["webinar_viewed"]
    assert summary.events_used == len(ev)
    _assert_same_features(frame, base[base["as_of"] == AS_OF])


def test_missing_events_file_and_missing_lead_ids_are_one_line_errors(world, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"^events: no such file: .*nope\.parquet$"):
        build_scoring_frame(world.leads, tmp_path / "nope.parquet", as_of=AS_OF, now=NOW)
    with pytest.raises(ContractError, match=r"^leads: missing required column\(s\) 'lead_id'"):
        build_scoring_frame(world.leads.drop(columns="lead_id"), world.events, as_of=AS_OF, now=NOW)


def test_mixed_naive_and_aware_timestamps_are_an_error(world):
    leads = world.leads.astype({"created_at": str})
    leads.loc[3, "created_at"] = "2025-01-01 10:00:00"
    with pytest.raises(ContractError, match=r"^leads: column 'created_at': 1 row has no time zone"):
        build_training_set(leads, world.events, world.conversions, as_of=AS_OF, observed_until=NOW, now=NOW)


def test_negative_head_count_is_an_error(world):
    leads = world.leads.copy()
    leads.loc[7, "employees"] = -3
    with pytest.raises(
        ContractError, match=r"^leads: column 'employees': 1 row has a value that is outside the range 0 to 1e\+07"
    ):
        build_scoring_frame(leads, world.events, as_of=AS_OF, now=NOW)


def test_as_of_must_be_a_date(world):
    with pytest.raises(ValueError, match="as_of must be a date"):
        build_scoring_frame(world.leads, world.events, as_of="2025-09-01 12:30", now=NOW)


def test_guard_refuses_frames_it_cannot_vouch_for(base):
    plain = base.copy()
    plain.attrs = {}
    with pytest.raises(LeakageError, match="not built by the feature pipeline"):
        assert_point_in_time(plain)
    tampered = base.copy()
    tampered.loc[tampered.index[0], "last_event_at"] = tampered.loc[tampered.index[0], "as_of"]
    with pytest.raises(LeakageError, match="1 rows use events at or after their as_of"):
        assert_point_in_time(tampered)
    assert_point_in_time(pd.DataFrame({"x": [1]}), flat_export=True)


def test_categories_are_fixed_across_frames(world, base):
    small = build_scoring_frame(world.leads.iloc[:20], world.events, as_of=AS_OF, now=NOW)
    for col in feature_columns(base):
        if isinstance(base[col].dtype, pd.CategoricalDtype):
            assert list(small[col].cat.categories) == list(base[col].cat.categories), col
    assert np.issubdtype(base["pricing_page_view_30d"].dtype, np.integer)


def test_an_error_on_the_calling_thread_interrupts_the_running_query():
    """The engine thread's DuckDB query is interrupted, not waited for (this one would run for minutes)."""
    from predictive_leads.features.pipeline import _EngineThread

    endless = "select sum(range % 7) from range(10000000000000)"
    started = time.perf_counter()
    with pytest.raises(RuntimeError, match="bad lead column"), _EngineThread("duckdb", None) as engine:
        query = engine.submit(lambda con: con.con.sql(endless).fetchall())
        time.sleep(0.2)
        raise RuntimeError("bad lead column")
    assert query.done() and time.perf_counter() - started < 60
