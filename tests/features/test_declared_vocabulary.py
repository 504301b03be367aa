"""Features from a CRM's own vocabulary: a spec'd data set with made-up event types, two event sources (one with
value columns), an account table and typed attributes — checked against pandas oracles, point in time, and
equal on DuckDB and PySpark."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from predictive_leads.data.spec import spec_from_dict
from predictive_leads.data.spec_tables import apply_spec
from predictive_leads.features import build_scoring_frame, build_training_set, summary_of
from predictive_leads.features.config import FeatureConfig, spec_config

START = pd.Timestamp("2025-01-01", tz="UTC")
SPEC = {
    "name": "foreign",
    "entity": {"table": "people", "key": "pid", "created_at": "signup_ts", "account_key": "org_id"},
    "account": {"table": "orgs", "key": "org_id"},
    "events": [
        {"name": "touches", "table": "touches", "key": "pid", "timestamp": "at", "type": "kind"},
        {"name": "web", "table": "sessions", "key": "pid", "timestamp": "started", "type": "channel",
         "prefix": "web", "values": {"pages": "pages", "seconds": "seconds"}},
    ],
    "attributes": [
        {"column": "land", "kind": "categorical"},
        {"column": "mitarbeiter", "kind": "numeric"},
        {"column": "size_class", "kind": "band", "order": ["S", "M", "L", "XL"], "table": "orgs"},
        {"column": "score_by_rep", "kind": "numeric", "known_from": "rated_at"},
    ],
    "pii": ["mail"],
    "ignore": {"notes": "free text"},
    "value_maps": {"land": {"DE": "Germany"}},
    "outcomes": {"won": {"table": "wins", "lead_key": "pid", "time": "won_on", "value": "value"}},
    "features": {"half_lives_days": [7, 30], "min_type_count": 5},
}  # fmt: skip
KINDS = ["zorp", "Quibble-7", "quibble 7", "Flange Call", "vex", "rare thing"]


def foreign_tables(n: int = 300, seed: int = 0) -> dict[str, pd.DataFrame]:
    """A small CRM unlike ours: made-up type names (two spellings of one), a rare type, web sessions with values."""
    rng = np.random.default_rng(seed)
    pid = [f"P{i:04d}" for i in range(n)]
    people = pd.DataFrame({
        "pid": pid,
        "signup_ts": START + pd.to_timedelta(rng.integers(0, 200, n), unit="D"),
        "org_id": [f"O{i % (n // 4):03d}" for i in range(n)],
        "land": rng.choice(["DE", "FR", "Germany", None], n),
        "mitarbeiter": rng.integers(1, 5000, n).astype(float),
        "score_by_rep": rng.integers(1, 6, n).astype(float),
        "rated_at": START + pd.to_timedelta(rng.integers(100, 400, n), unit="D"),
        "mail": [f"p{i}@example.org" for i in range(n)],
        "notes": "free text",
    })  # fmt: skip
    orgs = pd.DataFrame({"org_id": [f"O{i:03d}" for i in range(n // 4)],
                         "size_class": rng.choice(["S", "M", "L", "XL"], n // 4)})  # fmt: skip
    m = n * 12
    who = rng.integers(0, n, m)
    kind = rng.choice(KINDS, m, p=[0.3, 0.2, 0.1, 0.2, 0.199, 0.001])
    signup = people["signup_ts"].reset_index(drop=True)
    at = signup.iloc[who].reset_index(drop=True) + pd.to_timedelta(rng.integers(0, 300 * 24, m), unit="h")
    touches = pd.DataFrame({"pid": np.array(pid)[who], "at": at, "kind": kind})
    k = n * 4
    who = rng.integers(0, n, k)
    start = signup.iloc[who].reset_index(drop=True) + pd.to_timedelta(rng.integers(0, 300 * 24, k), unit="h")
    sessions = pd.DataFrame({"pid": np.array(pid)[who], "started": start,
                             "channel": rng.choice(["organic", "paid"], k), "pages": rng.integers(1, 30, k),
                             "seconds": rng.gamma(2.0, 60.0, k).round(1)})  # fmt: skip
    winners = rng.choice(n, n // 6, replace=False)
    wins = pd.DataFrame({"pid": np.array(pid)[winners],
                         "won_on": signup.iloc[winners].to_numpy() + pd.Timedelta(days=150),
                         "value": rng.integers(1000, 50000, len(winners)).astype(float)})  # fmt: skip
    return {"people": people, "orgs": orgs, "touches": touches, "sessions": sessions, "wins": wins}


@pytest.fixture(scope="module")
def declared():
    spec = spec_from_dict(SPEC, source="foreign.yaml")
    raw = foreign_tables()
    return spec, raw, apply_spec(raw, spec)


def _training(declared, **kwargs):
    spec, _, tables = declared
    dates = kwargs.pop("as_of", pd.date_range("2025-06-01", "2025-12-01", freq="2MS", tz="UTC"))
    return build_training_set(tables.leads, tables.events, tables.conversions, as_of=dates, horizon_days=60,
                              config=spec_config(spec), now="2027-01-01", **kwargs)  # fmt: skip


def test_the_vocabulary_comes_from_the_data(declared):
    frame = _training(declared)
    summary = summary_of(frame)
    assert summary.event_types == [
        "flange_call",
        "quibble_7",
        "vex",
        "web_organic",
        "web_paid",
        "zorp",
        "other_touches_events",
    ]  # one pool per source when there are several
    assert summary.pooled_event_types == ["rare_thing"]  # below min_type_count
    for column in (
        "quibble_7_30d",
        "zorp_total",
        "days_since_last_vex",
        "other_touches_events_total",
        "web_events_30d",
        "touches_events_total",
        "pages_30d",
        "seconds_total",
        "pages_max",
        "zorp_decayed_7d",
        "events_decayed_30d",
        "land",
        "mitarbeiter",
        "account_size_class",
        "score_by_rep",
    ):
        assert column in frame, column
    assert not {"mail", "notes", "seniority", "email_domain", "bot_like_burst"} & set(frame.columns)
    assert frame["account_size_class"].cat.ordered and list(frame["account_size_class"].cat.categories) == [
        "S", "M", "L", "XL"]  # fmt: skip


def test_a_declared_normaliser_spells_a_country_one_way(declared):
    _, raw, _ = declared
    attributes = [a | {"normalise": "country"} if a["column"] == "land" else a for a in SPEC["attributes"]]
    spec = spec_from_dict(SPEC | {"attributes": attributes, "value_maps": {}})
    tables = apply_spec(raw, spec)
    assert set(tables.leads["land"].dropna()) == {"DE", "FR", "Germany"}  # the raw values, as the CRM holds them
    report = tables.columns.set_index(["table", "column"])
    assert report.loc[("people", "land"), "detail"] == "categorical attribute → land, normalised as a country"
    frame = build_scoring_frame(tables.leads, tables.events, as_of="2025-09-01", config=spec_config(spec),
                                now="2027-01-01")  # fmt: skip
    assert set(frame["land"].dropna()) == {"Germany", "France"}
    raw_land = raw["people"].set_index("pid")["land"].reindex(frame["lead_id"]).to_numpy()
    assert (frame["land"].isna().to_numpy() == pd.isna(raw_land)).all()  # nothing dropped: missing stays missing


def test_counts_decay_and_values_match_a_pandas_oracle(declared):
    _, raw, _ = declared
    frame = _training(declared, as_of=[pd.Timestamp("2025-09-01", tz="UTC")])
    as_of_day = pd.Timestamp("2025-09-01", tz="UTC")
    touches = raw["touches"].assign(type=raw["touches"]["kind"].str.lower().str.replace(r"[^a-z0-9]+", "_", regex=True))
    sessions = raw["sessions"]
    for _, row in frame.sample(25, random_state=1).iterrows():
        mine = touches[(touches["pid"] == row["lead_id"]) & (touches["at"] < as_of_day)]
        age = (as_of_day - mine["at"].dt.floor("D")).dt.days - 1
        assert row["quibble_7_30d"] == ((mine["type"] == "quibble_7") & (age < 30)).sum()
        expected = (0.5 ** (age[mine["type"] == "zorp"] / 7)).sum()
        assert row["zorp_decayed_7d"] == pytest.approx(expected, abs=1e-8)
        web = sessions[(sessions["pid"] == row["lead_id"]) & (sessions["started"] < as_of_day)]
        web_age = (as_of_day - web["started"].dt.floor("D")).dt.days - 1
        assert row["pages_90d"] == web["pages"][web_age < 90].sum()
        assert row["seconds_total"] == pytest.approx(web["seconds"].sum())
        assert (np.isnan(row["pages_max"]) and web.empty) or row["pages_max"] == web["pages"].max()
        assert row["web_events_total"] == len(web) and row["touches_events_total"] == len(mine)


def test_no_event_at_or_after_as_of_reaches_a_feature(declared):
    spec, raw, _ = declared
    as_of = pd.Timestamp("2025-09-01", tz="UTC")
    before = _training(declared, as_of=[as_of])
    lead = before["lead_id"].iloc[0]
    late = pd.DataFrame({"pid": [lead] * 2, "at": [as_of, as_of + pd.Timedelta(days=3)], "kind": ["zorp"] * 2})
    changed = dict(raw, touches=pd.concat([raw["touches"], late], ignore_index=True))
    after = build_training_set(*_frames(apply_spec(changed, spec)), as_of=[as_of], horizon_days=60,
                               config=spec_config(spec), now="2027-01-01")  # fmt: skip
    pd.testing.assert_frame_equal(before.drop(columns="converted"), after.drop(columns="converted"))


def _frames(tables):
    return tables.leads, tables.events, tables.conversions


def test_a_scoring_frame_keeps_the_training_vocabulary(declared):
    spec, raw, _ = declared
    training = _training(declared)
    resolved = FeatureConfig.from_dict(training.attrs["predictive_leads"]["feature_config"])
    people = raw["people"]["pid"]
    new_type = pd.DataFrame({"pid": people, "at": pd.Timestamp("2026-01-10", tz="UTC"), "kind": "brand new"})
    changed = apply_spec(dict(raw, touches=pd.concat([raw["touches"], new_type], ignore_index=True)), spec)
    scoring = build_scoring_frame(*_frames(changed)[:2], conversions=changed.conversions, as_of="2026-02-01",
                                  config=resolved, now="2027-01-01")  # fmt: skip
    assert [c for c in scoring.columns if c != "converted"] == [c for c in training.columns if c != "converted"]
    assert (scoring["other_touches_events_total"] >= 1).all()  # the unseen type joins its source's pool


def test_two_sources_with_the_same_type_need_a_prefix():
    spec = dict(SPEC, events=[dict(SPEC["events"][0]), dict(SPEC["events"][1], type="kind_again", prefix="")])
    raw = foreign_tables(60)
    raw["sessions"]["kind_again"] = "zorp"
    declared = spec_from_dict(spec)
    tables = apply_spec(raw, declared)
    with pytest.raises(ValueError, match="'zorp' comes from several sources"):
        build_scoring_frame(tables.leads, tables.events, as_of="2025-09-01", config=spec_config(declared),
                            now="2027-01-01")  # fmt: skip


def test_a_training_set_over_several_dates_equals_each_date_built_alone(declared):
    """Several dates carry the history older than the longest window from one date to the next; one date joins
    every event. Counts, days, recencies, decayed counts and value sums agree (floats to rounding)."""
    dates = pd.date_range("2025-05-01", "2025-10-01", freq="MS", tz="UTC")  # later ones: censored
    together = _training(declared, as_of=dates).set_index(["lead_id", "as_of"]).sort_index()
    alone = pd.concat([_training(declared, as_of=[d]) for d in dates]).set_index(["lead_id", "as_of"]).sort_index()
    assert len(together) > 1000 and together["seconds_total"].gt(0).mean() > 0.5
    pd.testing.assert_frame_equal(together, alone, check_exact=False, rtol=1e-12)


def test_known_from_hides_an_attribute_until_it_was_recorded(declared):
    _, raw, _ = declared
    frame = _training(declared)
    rated = raw["people"].set_index("pid")["rated_at"].reindex(frame["lead_id"]).to_numpy()
    known = rated < frame["as_of"].to_numpy()
    assert frame["score_by_rep"][~known].isna().all() and frame["score_by_rep"][known].notna().all()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="PySpark needs a Java runtime")
def test_duckdb_and_pyspark_agree_on_a_declared_vocabulary(declared, spark):
    duck = _training(declared)
    spk = _training(declared, engine="pyspark", spark_session=spark)
    assert summary_of(spk).events_used == summary_of(duck).events_used
    assert summary_of(spk).event_types == summary_of(duck).event_types
    key = ["lead_id", "as_of"]
    pd.testing.assert_frame_equal(spk.sort_values(key).reset_index(drop=True),
                                  duck.sort_values(key).reset_index(drop=True), check_exact=True)  # fmt: skip


def test_account_roll_ups_match_a_pandas_oracle(declared):
    _, raw, _ = declared
    as_of = pd.Timestamp("2025-09-01", tz="UTC")
    frame = _training(declared, as_of=[as_of])
    people = raw["people"].set_index("pid")
    sessions = raw["sessions"].rename(columns={"started": "at"})
    events = pd.concat([raw["touches"][["pid", "at"]], sessions[["pid", "at"]]])
    events = events[events["at"] < as_of].assign(org=lambda e: e["pid"].map(people["org_id"]))
    events["age"] = (as_of - events["at"].dt.floor("D")).dt.days - 1
    for _, row in frame.sample(25, random_state=2).iterrows():
        org = people.loc[row["lead_id"], "org_id"]
        assert row["account_contacts"] == ((people["org_id"] == org) & (people["signup_ts"] < as_of)).sum()
        mine = events[events["org"] == org]
        assert row["account_events_total"] == len(mine)
        assert row["account_events_30d"] == (mine["age"] < 30).sum()
        assert row["account_engaged_contacts_30d"] == mine.loc[mine["age"] < 30, "pid"].nunique()
        if len(mine):
            expected = (as_of - mine["at"].max()) / pd.Timedelta(days=1)
            assert row["account_days_since_last_event"] == pytest.approx(expected)
