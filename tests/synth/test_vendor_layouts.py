"""A generated world reshaped into Salesforce, HubSpot and an unfamiliar layout keeps every event and conversion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predictive_leads.data.contracts import CONVERSIONS, EVENT_TYPES, EVENTS, LEADS, TRUTH
from predictive_leads.data.files import read_raw
from predictive_leads.synth import SynthConfig, generate_world, read_world, write_world
from predictive_leads.synth.vendor_layouts import (
    FOREIGN_SESSION_TYPES,
    HUBSPOT_TYPES,
    LAYOUTS,
    SALESFORCE_TYPES,
    SIZE_CLASSES,
    _stamps,
    foreign_layout,
    foreign_types,
    write_layout,
)

DAY_MS = 86_400_000

# how to read an activity table back: (lead id column, time column)
ACTIVITY = {
    "salesforce": {
        "Task": ("WhoId", "CreatedDate"),
        "CampaignMember": ("LeadId", "CreatedDate"),
        "pi__VisitorActivity__c": ("pi__Prospect__c", "CreatedDate"),
    },
    "hubspot": {
        "engagements": ("contact_id", "timestamp"),
        "email_events": ("contact_id", "created"),
        "web_activity": ("contact_id", "timestamp"),
        "form_submissions": ("contact_id", "submitted_at"),
        "marketing_events": ("contact_id", "occurred_at"),
    },
}
MAPS = {"salesforce": SALESFORCE_TYPES, "hubspot": HUBSPOT_TYPES}
LEAD_TABLE = {"salesforce": ("Lead", "Id"), "hubspot": ("contacts", "hs_object_id"), "foreign": ("people", "pid")}
STAMP_PATTERNS = {
    "salesforce": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$",
    "hubspot": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$",
    "foreign": r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+00:00$",
}
TIME_COLUMNS = {
    "salesforce": {"CreatedDate", "CloseDate", "Qualified_Date__c"},
    "hubspot": {"createdate", "closedate", "qualified_date", "timestamp", "created", "submitted_at", "occurred_at"},
    "foreign": {"signup_ts", "q_datum", "at", "started", "won_on"},
}


@pytest.fixture(scope="module")
def world():
    return generate_world(SynthConfig(n_leads=2000, seed=3))


@pytest.fixture(scope="module")
def layouts(world):
    return {name: fn(world) for name, fn in LAYOUTS.items()}


def _ms(text: pd.Series) -> np.ndarray:
    parsed = pd.to_datetime(text, utc=True, format="ISO8601")
    return parsed.dt.tz_localize(None).to_numpy("datetime64[us]").astype(np.int64) // 1_000


def _world_events(world, types=EVENT_TYPES) -> pd.DataFrame:
    ev = world.events[world.events["event_type"].isin(types)]
    out = pd.DataFrame(
        {"lead_id": ev["lead_id"].astype(str).to_numpy(), "event_type": ev["event_type"].astype(str).to_numpy(),
         "ms": _ms(ev["ts"])}
    )  # fmt: skip
    return out.sort_values(["lead_id", "event_type", "ms"], ignore_index=True)


def _lead_of(tables, layout: str, world) -> dict:
    """Vendor lead id -> world lead_id (the lead tables keep the world's lead order)."""
    table, column = LEAD_TABLE[layout]
    return dict(zip(tables[table][column].tolist(), world.leads["lead_id"].tolist(), strict=True))


def _reconstruct(tables, layout: str, world) -> pd.DataFrame:
    """(lead_id, event_type, ms) of every activity row, our type read back through the documented map."""
    mapping, lead_of, parts = MAPS[layout], _lead_of(tables, layout, world), []
    for table, (lead_col, time_col) in ACTIVITY[layout].items():
        ours = {t: values for t, (where, values) in mapping.items() if where == table}
        columns = sorted({c for values in ours.values() for c in values})
        back = {tuple(values[c] for c in columns): t for t, values in ours.items()}
        frame = tables[table]
        keys = list(zip(*(frame[c].tolist() for c in columns), strict=True))
        types = [back.get(k) for k in keys]
        unmapped = {k for k, t in zip(keys, types, strict=True) if t is None}
        assert not unmapped, f"{layout}.{table}: rows whose type columns map to no event type: {sorted(unmapped)[:3]}"
        parts.append(
            pd.DataFrame({"lead_id": frame[lead_col].map(lead_of).to_numpy(), "event_type": types,
                          "ms": _ms(frame[time_col])})
        )  # fmt: skip
    return pd.concat(parts).sort_values(["lead_id", "event_type", "ms"], ignore_index=True)


# ---------------------------------------------------------------------------------------------- type maps


@pytest.mark.parametrize("layout", ["salesforce", "hubspot"])
def test_type_map_is_a_bijection_onto_one_consistent_set_of_columns_per_table(layout, layouts):
    mapping = MAPS[layout]
    assert sorted(mapping) == sorted(EVENT_TYPES)
    targets = [(table, tuple(sorted(values.items()))) for table, values in mapping.values()]
    assert len(set(targets)) == len(EVENT_TYPES)
    for table in {table for table, _ in mapping.values()}:
        column_sets = {tuple(sorted(values)) for where, values in mapping.values() if where == table}
        assert len(column_sets) == 1, f"{table}: types are told apart by different columns {column_sets}"
        assert set(next(iter(column_sets))) <= set(layouts[layout][table].columns)
    assert set(ACTIVITY[layout]) == {table for table, _ in mapping.values()}


def test_some_types_need_two_columns_together(layouts):
    task = layouts["salesforce"]["Task"]
    assert task.groupby("Type")["Status"].nunique().max() > 1  # Meeting: Scheduled / Cancelled
    assert task.groupby("Status")["Type"].nunique().max() > 1  # Completed: Email / Chat
    web = layouts["hubspot"]["web_activity"]
    assert web.groupby("activity")["content_type"].nunique().max() > 1


def test_foreign_type_names_are_made_up_one_to_one_and_follow_the_seed():
    names = foreign_types(0)
    assert set(names) == set(EVENT_TYPES) - set(FOREIGN_SESSION_TYPES)
    assert len(set(names.values())) == len(names)
    assert not set(names.values()) & set(EVENT_TYPES)
    assert not any(our.split("_")[0] in name for our, name in names.items())
    assert foreign_types(0) == names
    assert foreign_types(1) != names


# ---------------------------------------------------------------------------------------------- events


@pytest.mark.parametrize("layout", ["salesforce", "hubspot"])
def test_every_event_appears_exactly_once(layout, layouts, world):
    back = _reconstruct(layouts[layout], layout, world)
    expected = _world_events(world)
    assert len(back) == len(expected)
    per_type = back.groupby("event_type").size().sort_index()
    pd.testing.assert_series_equal(per_type, expected.groupby("event_type").size().sort_index())
    per_lead = back.groupby("lead_id").size().sort_index()
    pd.testing.assert_series_equal(per_lead, expected.groupby("lead_id").size().sort_index())
    pd.testing.assert_frame_equal(back, expected)  # same lead, type and millisecond for every event


def test_foreign_touches_hold_every_non_web_event(layouts, world):
    tables = layouts["foreign"]
    names = {v: k for k, v in foreign_types(0).items()}
    lead_of = _lead_of(tables, "foreign", world)
    touches = tables["touches"]
    back = pd.DataFrame(
        {"lead_id": touches["pid"].map(lead_of).to_numpy(), "event_type": touches["kind"].map(names).to_numpy(),
         "ms": _ms(touches["at"])}
    ).sort_values(["lead_id", "event_type", "ms"], ignore_index=True)  # fmt: skip
    assert back["event_type"].notna().all()
    kept = [t for t in EVENT_TYPES if t not in FOREIGN_SESSION_TYPES]
    pd.testing.assert_frame_equal(back, _world_events(world, kept))


def test_foreign_sessions_fold_page_views_per_person_and_day(layouts, world):
    tables = layouts["foreign"]
    views = _world_events(world, FOREIGN_SESSION_TYPES)
    views["day"] = views["ms"] // DAY_MS
    expected = views.groupby(["lead_id", "day"])["ms"].agg(pages="size", first="min", last="max").reset_index()
    sessions = tables["sessions"]
    lead_of = _lead_of(tables, "foreign", world)
    got = pd.DataFrame(
        {"lead_id": sessions["pid"].map(lead_of), "first": _ms(sessions["started"]), "pages": sessions["pages"],
         "seconds": sessions["seconds"]}
    )  # fmt: skip
    got["day"] = got["first"] // DAY_MS
    merged = expected.merge(got, on=["lead_id", "day"], how="outer", suffixes=("", "_got"), validate="1:1")
    assert len(merged) == len(expected) == len(got)
    assert (merged["pages"] == merged["pages_got"]).all()
    assert (merged["first"] == merged["first_got"]).all()
    np.testing.assert_allclose(merged["seconds"], (merged["last"] - merged["first"]) / 1_000)
    assert sessions["pages"].sum() == len(views)
    assert (sessions["seconds"] >= 0).all()
    assert sessions["started"].is_monotonic_increasing


def test_activity_rows_are_in_time_order_with_increasing_ids(layouts):
    for layout, tables in ACTIVITY.items():
        for table, (_, time_col) in tables.items():
            frame = layouts[layout][table]
            assert pd.Index(_ms(frame[time_col])).is_monotonic_increasing, f"{layout}.{table}"
            assert frame.iloc[:, 0].is_unique and frame.iloc[:, 0].is_monotonic_increasing, f"{layout}.{table}"


# ---------------------------------------------------------------------------------------------- conversions


def _expected_conversions(world) -> pd.DataFrame:
    conv = world.conversions
    return pd.DataFrame(
        {"lead_id": conv["lead_id"].astype(str).to_numpy(), "ms": _ms(conv["converted_at"]),
         "value": conv["deal_value"].to_numpy(float)}
    ).sort_values("lead_id", ignore_index=True)  # fmt: skip


def test_salesforce_won_opportunities_are_the_conversions(layouts, world):
    sf = layouts["salesforce"]
    opp, lead = sf["Opportunity"], sf["Lead"]
    assert opp["Id"].is_unique and (opp["IsWon"] == (opp["StageName"] == "Closed Won")).all() and opp["IsClosed"].all()
    assert set(opp["StageName"]) == {"Closed Won", "Closed Lost"}
    linked = lead.dropna(subset=["ConvertedOpportunityId"])
    assert linked["ConvertedOpportunityId"].is_unique
    assert set(linked["ConvertedOpportunityId"]) == set(opp["Id"])  # every opportunity comes from one lead
    won = opp[opp["StageName"] == "Closed Won"].merge(lead, left_on="Id", right_on="ConvertedOpportunityId")
    lead_of = _lead_of(sf, "salesforce", world)
    got = pd.DataFrame(
        {"lead_id": won["Id_y"].map(lead_of).to_numpy(), "ms": _ms(won["CloseDate"]), "value": won["Amount"].to_numpy()}
    ).sort_values("lead_id", ignore_index=True)  # fmt: skip
    pd.testing.assert_frame_equal(got, _expected_conversions(world))
    # opportunities are created before they close, not before their lead
    both = opp.merge(lead[["ConvertedOpportunityId", "CreatedDate"]], left_on="Id", right_on="ConvertedOpportunityId",
                     suffixes=("", "_lead"))  # fmt: skip
    assert (_ms(both["CreatedDate"]) <= _ms(both["CloseDate"])).all()
    assert (_ms(both["CreatedDate_lead"]) <= _ms(both["CreatedDate"])).all()


def test_salesforce_closed_lost_opportunities_are_a_few_percent_inside_the_span(layouts, world):
    sf = layouts["salesforce"]
    opp, lead = sf["Opportunity"], sf["Lead"]
    lost = opp[opp["StageName"] == "Closed Lost"]
    open_leads = len(world.leads) - len(world.conversions)
    assert 0.03 < len(lost) / open_leads < 0.07
    assert not lost["IsWon"].any()
    close = _ms(lost["CloseDate"])
    start, end = (pd.Timestamp(world.meta["start"]).value // 1_000_000, world.observed_until.value // 1_000_000)
    assert ((close >= start) & (close < end)).all()
    lost_leads = lead[lead["ConvertedOpportunityId"].isin(lost["Id"])]
    assert not lost_leads["Id"].map(_lead_of(sf, "salesforce", world)).isin(world.conversions["lead_id"]).any()
    assert lead["IsConverted"].sum() == len(opp)  # Salesforce marks a lead converted whatever the deal did


def test_salesforce_contacts_are_created_at_conversion_and_point_back_to_leads(layouts, world):
    sf = layouts["salesforce"]
    contact, lead, opp = sf["Contact"], sf["Lead"], sf["Opportunity"]
    assert len(contact) == len(world.conversions) and contact["Id"].is_unique
    joined = contact.merge(lead, left_on="Lead_Source_Id__c", right_on="Id", suffixes=("", "_lead"), validate="1:1")
    joined = joined.merge(opp, left_on="ConvertedOpportunityId", right_on="Id", suffixes=("", "_opp"))
    assert (joined["StageName"] == "Closed Won").all()
    assert (joined["CreatedDate"] == joined["CloseDate"]).all()
    assert (joined["AccountId"].fillna("-") == joined["AccountId_opp"].fillna("-")).all()


def test_salesforce_accounts_are_the_distinct_companies(layouts, world):
    sf = layouts["salesforce"]
    account, lead, opp = sf["Account"], sf["Lead"], sf["Opportunity"]
    assert set(account["Name"]) == set(world.leads["company_name"].dropna())
    assert account["Id"].is_unique and account["Name"].is_unique
    assert set(account["Type"]) <= {"Prospect", "Competitor"}  # never "Customer": that would leak the outcome
    linked = opp.merge(lead, left_on="Id", right_on="ConvertedOpportunityId", suffixes=("", "_lead"))
    by_name = dict(zip(account["Name"], account["Id"], strict=True))
    assert (linked["Company"].map(by_name).fillna("-") == linked["AccountId"].fillna("-")).all()


def test_salesforce_campaign_members_point_at_campaigns(layouts, world):
    sf = layouts["salesforce"]
    assert sf["CampaignMember"]["CampaignId"].notna().all()
    assert set(sf["CampaignMember"]["CampaignId"]) | set(sf["Task"]["WhatId"].dropna()) <= set(sf["Campaign"]["Id"])
    members = sf["CampaignMember"].merge(sf["Campaign"], left_on="CampaignId", right_on="Id", suffixes=("", "_c"))
    webinar = members["Status"].isin(["Registered", "Attended"])
    assert (members.loc[webinar, "Type"] == "Webinar").all()
    assert (members.loc[members["Status"] == "Subscribed", "Type"] == "Newsletter").all()


def test_hubspot_closedwon_deals_are_the_conversions(layouts, world):
    hs = layouts["hubspot"]
    deals = hs["deals"]
    assert set(deals["dealstage"]) == {"closedwon", "closedlost"}
    won = deals[deals["dealstage"] == "closedwon"]
    lead_of = _lead_of(hs, "hubspot", world)
    got = pd.DataFrame(
        {"lead_id": won["contact_id"].map(lead_of).to_numpy(), "ms": _ms(won["closedate"]),
         "value": won["amount"].to_numpy()}
    ).sort_values("lead_id", ignore_index=True)  # fmt: skip
    pd.testing.assert_frame_equal(got, _expected_conversions(world))
    assert deals["contact_id"].is_unique and deals["contact_id"].isin(hs["contacts"]["hs_object_id"]).all()
    assert (_ms(deals["createdate"]) <= _ms(deals["closedate"])).all()


def test_hubspot_contacts_link_to_companies(layouts):
    hs = layouts["hubspot"]
    contacts, companies = hs["contacts"], hs["companies"]
    assert companies["hs_object_id"].is_unique and contacts["hs_object_id"].is_unique
    linked = contacts.dropna(subset=["associatedcompanyid"])
    assert linked["associatedcompanyid"].isin(companies["hs_object_id"]).all()
    assert contacts["associatedcompanyid"].isna().sum() == contacts["company"].isna().sum()
    names = dict(zip(companies["hs_object_id"], companies["name"], strict=True))
    assert (linked["associatedcompanyid"].map(names) == linked["company"]).all()
    bands = ["1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000-5000", "5000-10000", "10000+"]
    assert set(contacts["numemployees"].dropna()) <= set(bands)


def test_foreign_wins_are_the_conversions(layouts, world):
    tables = layouts["foreign"]
    wins = tables["wins"]
    got = pd.DataFrame(
        {"lead_id": wins["pid"].map(_lead_of(tables, "foreign", world)).to_numpy(), "ms": _ms(wins["won_on"]),
         "value": wins["value"].to_numpy()}
    ).sort_values("lead_id", ignore_index=True)  # fmt: skip
    pd.testing.assert_frame_equal(got, _expected_conversions(world))


def test_foreign_orgs_have_an_ordered_size_band(layouts, world):
    tables = layouts["foreign"]
    people, orgs = tables["people"], tables["orgs"]
    assert list(orgs["size_class"].cat.categories) == [c for c, _ in SIZE_CLASSES]
    assert orgs["size_class"].cat.ordered and orgs["org_id"].is_unique and people["pid"].is_unique
    assert people["org_id"].dropna().isin(orgs["org_id"]).all()
    assert people["org_id"].isna().sum() == world.leads["company_name"].isna().sum()
    big = people.merge(orgs, on="org_id")
    heads = big.groupby("size_class", observed=True)["mitarbeiter"].max()
    assert heads.is_monotonic_increasing


# ---------------------------------------------------------------------------------------------- shape rules


def test_lead_tables_keep_attributes_and_raw_lead_sources(layouts, world):
    leads = world.leads
    sf, hs, fo = layouts["salesforce"]["Lead"], layouts["hubspot"]["contacts"], layouts["foreign"]["people"]
    for frame, column in ((sf, "LeadSource"), (hs, "hs_analytics_source"), (fo, "quelle")):
        assert frame[column].fillna("<na>").tolist() == leads["lead_source"].fillna("<na>").tolist()
    assert sf["Id"].str.fullmatch(r"00Q\d{12}AAA").all() and sf["Id"].is_unique
    assert (sf["Description"].fillna("") == leads["form_message"].fillna("")).all()
    for ours, theirs in zip(("money", "interest", "need", "timing", "authority"),
                            ("Budget", "Interest", "Need", "Timing", "Authority"), strict=True):  # fmt: skip
        pd.testing.assert_series_equal(sf[f"BANT_{theirs}__c"], leads[f"qual_{ours}"], check_names=False)
    qualified = leads["qualified_at"].notna().to_numpy()
    assert (_ms(sf["Qualified_Date__c"][qualified]) == _ms(leads["qualified_at"][qualified])).all()
    assert sf["Qualified_Date__c"].isna().sum() == (~qualified).sum()
    assert (_ms(hs["createdate"]) == _ms(leads["created_at"])).all()
    assert "AccountId" not in sf.columns


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_timestamps_are_written_in_the_vendors_style(layout, layouts):
    seen = 0
    for name, frame in layouts[layout].items():
        for column in TIME_COLUMNS[layout] & set(frame.columns):
            values = frame[column].dropna()
            assert values.str.fullmatch(STAMP_PATTERNS[layout]).all(), f"{layout}.{name}.{column}"
            seen += 1
    assert seen >= 5


def test_timestamp_formatting_matches_pandas_on_edge_dates():
    stamps = pd.to_datetime(
        ["1969-12-31 23:59:59.999", "1970-01-01 00:00:00.000", "2000-02-29 12:34:56.789", "2024-02-29 23:59:59.001",
         "2100-03-01 00:00:00.010", "2025-12-31 06:07:08.009"], utc=True
    )  # fmt: skip
    ms = stamps.as_unit("ms").asi8
    expected = stamps.strftime("%Y-%m-%dT%H:%M:%S.%f").str.slice(0, 23)
    assert _stamps(ms, None, "hubspot").tolist() == [f"{e}Z" for e in expected]
    assert _stamps(ms, None, "salesforce").tolist() == [f"{e}+0000" for e in expected]
    assert _stamps(ms, np.array([True, False] * 3), "foreign").isna().tolist() == [False, True] * 3


def test_no_column_is_named_like_ours_and_nothing_of_the_truth_leaves(layouts):
    ours = set(EVENTS.names) | set(CONVERSIONS.names) | {c for c in LEADS.names if "_" in c}
    ours |= set(TRUTH.names) - {"industry"}  # a vendor's own "industry" field is fine
    for layout, tables in layouts.items():
        for name, frame in tables.items():
            clash = {c for c in frame.columns if c.lower() in ours}
            assert not clash, f"{layout}.{name} has columns named like ours: {clash}"


def test_layouts_are_deterministic_and_leave_the_world_alone(world, layouts):
    before = {name: getattr(world, name).copy(deep=True) for name in ("leads", "events", "conversions", "truth")}
    for name, fn in LAYOUTS.items():
        again = fn(world)
        assert list(again) == list(layouts[name])
        for table, frame in again.items():
            pd.testing.assert_frame_equal(frame, layouts[name][table], obj=f"{name}.{table}")
    for name, frame in before.items():
        now = getattr(world, name)
        assert now.equals(frame) and list(now.dtypes) == list(frame.dtypes), f"world.{name} was modified"


def test_a_world_read_back_from_disk_gives_the_same_layouts(tmp_path, world, layouts):
    again = read_world(write_world(world, tmp_path / "world"))  # plain text columns instead of categoricals
    for name, fn in LAYOUTS.items():
        for table, frame in fn(again).items():
            pd.testing.assert_frame_equal(frame, layouts[name][table], obj=f"{name}.{table}")


def test_foreign_seed_changes_names_and_ids_not_content(world, layouts):
    other = foreign_layout(world, seed=5)
    assert set(other["touches"]["kind"]) == set(foreign_types(5).values())
    assert other["people"]["pid"].tolist() != layouts["foreign"]["people"]["pid"].tolist()
    for table in ("touches", "sessions", "wins"):
        assert len(other[table]) == len(layouts["foreign"][table])
    pd.testing.assert_series_equal(other["sessions"]["pages"], layouts["foreign"]["sessions"]["pages"])


# ---------------------------------------------------------------------------------------------- files


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_write_layout_writes_csvs_that_read_back_byte_identically(layout, tmp_path, world, layouts):
    tables = layouts[layout]
    folder = write_layout(tables, tmp_path / layout)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{name}.csv" for name in tables)
    for name, frame in tables.items():
        back = read_raw(folder / f"{name}.csv")
        assert list(back.columns) == list(frame.columns) and len(back) == len(frame), name
        for column in frame.columns:
            theirs = back[column]
            ours = frame[column]
            if pd.api.types.is_bool_dtype(ours):
                assert (theirs == ours.astype(str)).all(), f"{name}.{column}"
            elif pd.api.types.is_numeric_dtype(ours):
                expected = ours.astype("Float64").to_numpy(float, na_value=np.nan)
                np.testing.assert_array_equal(
                    pd.to_numeric(theirs).to_numpy(float), expected, err_msg=f"{name}.{column}"
                )
            else:  # CSV cannot tell an empty text from a missing one (the world has a few "" placeholders)
                expected = ours.astype(str).replace("", np.nan).fillna("<na>").tolist()
                assert theirs.fillna("<na>").tolist() == expected, f"{name}.{column}"
    again = write_layout(LAYOUTS[layout](world), tmp_path / f"{layout}-again")
    for name in tables:
        assert (folder / f"{name}.csv").read_bytes() == (again / f"{name}.csv").read_bytes(), name


def test_write_layout_replaces_the_folder_whole(tmp_path, layouts):
    folder = tmp_path / "out"
    write_layout(layouts["foreign"], folder)
    write_layout({"wins": layouts["foreign"]["wins"]}, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["wins.csv"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with pytest.raises(ValueError, match="plain file name"):
        write_layout({"../escape": layouts["foreign"]["wins"]}, folder)
