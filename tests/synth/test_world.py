"""Invariants and realism of the synthetic lead world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predictive_leads.data.contracts import (
    CONVERSIONS,
    EVENT_TYPES,
    EVENTS,
    LEAD_SOURCES,
    LEADS,
    check_references,
    validate,
)
from predictive_leads.synth import SynthConfig, generate_world
from predictive_leads.synth.vocab import DISPOSABLE_DOMAINS
from predictive_leads.synth.world import EMAIL_EVENTS

NEVER_CONVERT = ("is_bot", "is_spam", "is_duplicate", "is_internal", "is_competitor")


@pytest.fixture(scope="module")
def world():
    return generate_world(n_leads=4000, seed=7)


def _first_event(world) -> pd.Series:
    ev = world.events
    return ev.groupby(ev["lead_id"].astype(str), observed=True)["ts"].min()


def assert_world_invariants(world) -> None:
    leads, events, conv, truth = world.leads, world.events, world.conversions, world.truth
    created = leads.set_index("lead_id")["created_at"]
    ev_lead = events["lead_id"].astype(str)
    assert (events["ts"].to_numpy() >= created.reindex(ev_lead).to_numpy()).all(), "event before its lead exists"
    assert (events["ts"] < world.observed_until).all()
    first = _first_event(world)
    assert (conv["converted_at"].to_numpy() > first.reindex(conv["lead_id"]).to_numpy()).all(), (
        "conversion before the lead's first event"
    )
    assert (conv["converted_at"] < world.observed_until).all()
    never = truth.loc[truth[list(NEVER_CONVERT)].any(axis=1), "lead_id"]
    assert not conv["lead_id"].isin(never).any(), "a bot/spam/duplicate/internal/competitor lead converted"
    last = events.groupby(ev_lead, observed=True)["ts"].max()
    converted_at = conv.set_index("lead_id")["converted_at"]
    assert (last.reindex(converted_at.index).to_numpy() < converted_at.to_numpy()).all(), "event after conversion"


def test_invariants_hold_on_a_default_world(world):
    assert_world_invariants(world)


@settings(max_examples=12, deadline=None)
@given(
    n_leads=st.integers(min_value=30, max_value=400),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    rate=st.floats(min_value=0.02, max_value=0.10),
    drift=st.booleans(),
)
def test_invariants_hold_for_any_config(n_leads, seed, rate, drift):
    assert_world_invariants(generate_world(n_leads=n_leads, seed=seed, conversion_rate=rate, drift=drift))


def test_tables_meet_their_contracts(world):
    leads = validate(world.leads, LEADS, "leads")
    events = validate(world.events, EVENTS, "events")
    validate(world.conversions, CONVERSIONS, "conversions")
    check_references(events, leads["lead_id"], source="events")
    check_references(world.conversions, leads["lead_id"], source="conversions")


def test_same_seed_same_world_and_other_seed_differs():
    a, b = generate_world(n_leads=500, seed=11), generate_world(n_leads=500, seed=11)
    for name in ("leads", "events", "conversions", "truth"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = generate_world(n_leads=500, seed=12)
    assert not a.events["ts"].equals(c.events["ts"])


@pytest.mark.parametrize("rate", [0.03, 0.08])
def test_conversion_rate_matches_the_configured_rate(rate):
    n = 8000
    w = generate_world(n_leads=n, seed=5, conversion_rate=rate)
    observed = len(w.conversions) / n
    tolerance = 4 * np.sqrt(rate * (1 - rate) / n)
    assert abs(observed - rate) < tolerance, (observed, rate)


def test_config_rejects_rates_outside_the_supported_range():
    with pytest.raises(ValueError, match=r"conversion_rate must be within 0\.02–0\.10"):
        SynthConfig(conversion_rate=0.2)


def test_events_cover_the_catalog_and_are_sorted(world):
    ev = world.events
    assert set(ev["event_type"].astype(str)) == set(EVENT_TYPES)
    assert len(EVENT_TYPES) >= 15
    codes = ev["lead_id"].cat.codes.to_numpy()
    ts = ev["ts"].to_numpy()
    same = codes[1:] == codes[:-1]
    assert (np.diff(codes) >= 0).all() and (ts[1:][same] >= ts[:-1][same]).all()


def test_leads_look_like_a_real_crm(world):
    leads, truth = world.leads, world.truth
    assert truth["industry"].nunique() >= 12
    span = leads["created_at"].max() - leads["created_at"].min()
    assert span >= pd.Timedelta(days=540)
    assert not truth["region"].isin(["North America", "Europe"]).all(), "some leads outside the service area"
    titles = leads["job_title"].dropna()
    assert titles.str.contains(r"^vp, ", case=True).any() and titles.str.contains("Vice President").any()
    assert titles.str.fullmatch("CEO").any() and titles.str.contains("Chief Executive Officer").any()
    industries = leads["industry"].dropna()
    assert industries.isin(["N/A", "n/a", "unknown", "-", "Select"]).any(), "placeholders"
    assert (industries.str.lower() != industries).any() and (industries.str.lower() == industries).any()
    assert leads["industry"].isna().any() and leads["employees"].isna().any()
    assert set(truth["email_kind"]) == {"corporate", "free", "edu", "competitor", "internal", "disposable"}
    assert set(truth["lead_source"]) == set(LEAD_SOURCES)


def test_duplicates_are_later_copies_of_the_same_person(world):
    truth = world.truth.set_index("lead_id")
    leads = world.leads.set_index("lead_id")
    dups = truth.index[truth["is_duplicate"]]
    assert len(dups) > 0
    orig = truth.loc[dups, "duplicate_of"]
    assert (leads.loc[dups, "created_at"].to_numpy() > leads.loc[orig, "created_at"].to_numpy()).all()
    assert (leads.loc[dups, "last_name"].to_numpy() == leads.loc[orig, "last_name"].to_numpy()).all()
    both = leads.loc[dups, "email"].notna().to_numpy() & leads.loc[orig, "email"].notna().to_numpy()
    dup_mail = leads.loc[dups, "email"].to_numpy()[both]
    orig_mail = leads.loc[orig, "email"].to_numpy()[both]
    assert all(
        d != o and d.lower().replace("+crm@", "@") == o.lower() for d, o in zip(dup_mail, orig_mail, strict=True)
    )


def test_bots_burst_hundreds_of_page_views_within_minutes(world):
    bots = world.truth.loc[world.truth["is_bot"], "lead_id"]
    ev = world.events[world.events["lead_id"].isin(bots)]
    views = ev[ev["event_type"].isin(["page_view", "product_page_view", "pricing_page_view"])]
    per_window = views.groupby([views["lead_id"].astype(str), views["ts"].dt.floor("10min")], observed=True).size()
    worst = per_window.groupby(level=0).max()
    assert len(worst) == len(bots) and (worst >= 50).all()
    domains = world.leads.set_index("lead_id").loc[bots, "email"].dropna().str.split("@").str[1]
    assert domains.isin(DISPOSABLE_DOMAINS).mean() > 0.4


def test_no_marketing_email_after_unsubscribe(world):
    ev = world.events
    unsub = ev[ev["event_type"] == "unsubscribe"].groupby("lead_id", observed=True)["ts"].min()
    mail = ev[ev["event_type"].isin(EMAIL_EVENTS)]
    after = mail["ts"].to_numpy() > unsub.reindex(mail["lead_id"]).to_numpy()
    assert len(unsub) > 0 and not after.any()


def test_one_time_events_happen_once(world):
    ev = world.events
    for name in ("newsletter_subscribe", "free_trial_start", "unsubscribe"):
        counts = ev[ev["event_type"] == name].groupby("lead_id", observed=True).size()
        assert counts.max() == 1


def test_drift_changes_drivers_and_inputs():
    w = generate_world(n_leads=6000, seed=3, drift=True)
    drift_at = pd.Timestamp(w.meta["drift_date"])
    regular = np.isfinite(w.truth["fit"])
    assert not np.allclose(w.truth.loc[regular, "fit"], w.truth.loc[regular, "fit_after_drift"])
    ev = w.events
    pricing_share = (ev["event_type"] == "pricing_page_view").groupby(ev["ts"] >= drift_at).mean()
    assert pricing_share[True] > 1.3 * pricing_share[False]
    source = w.truth.set_index("lead_id")["lead_source"]
    after = w.leads.set_index("lead_id")["created_at"] >= drift_at
    assert (source[after] == "paid_search").mean() > (source[~after] == "paid_search").mean() + 0.05
    stable = generate_world(n_leads=6000, seed=3)
    assert stable.meta["drift_date"] is None


def test_two_product_lines_of_one_profile_are_the_default_world_with_a_product_line_column():
    plain = generate_world(n_leads=2000, seed=4)
    lines = generate_world(n_leads=2000, seed=4, product_lines=2, profiles_differ=False)
    pd.testing.assert_frame_equal(lines.leads.drop(columns="product_line"), plain.leads)
    pd.testing.assert_frame_equal(lines.events, plain.events)
    pd.testing.assert_frame_equal(lines.conversions, plain.conversions)
    assert set(lines.leads["product_line"]) == {"Platform", "Starter"}


def test_the_second_product_line_converts_at_the_other_end_of_the_market():
    world = generate_world(n_leads=6000, seed=4, product_lines=2)
    truth = world.truth[np.isfinite(world.truth["fit"])]
    senior = truth["seniority"].isin(["c_level", "vp"])
    junior = truth["seniority"] == "individual_contributor"  # students: their edu emails cost fit in both lines
    for line, sign in (("Platform", 1), ("Starter", -1)):
        of_line = truth["product_line"] == line
        gap = truth.loc[of_line & senior, "fit"].mean() - truth.loc[of_line & junior, "fit"].mean()
        assert sign * gap > 0.5, (line, gap)


def test_one_profile_without_product_lines_is_refused():
    with pytest.raises(ValueError, match="needs product_lines 2"):
        SynthConfig(profiles_differ=False)
