"""Drafting a dataset spec from tables as they are: hand-made CRM tables and the vendor layouts (Salesforce,
HubSpot, an unfamiliar one), read back from CSV the way ``read_raw`` gives them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from predictive_leads.data.files import read_raw
from predictive_leads.data.spec import PII_PARSERS, load_spec, spec_from_dict
from predictive_leads.data.spec_draft import SpecDraft, draft_spec
from predictive_leads.data.spec_tables import apply_spec, column_report

DAY = pd.Timedelta(days=1)
START = pd.Timestamp("2025-01-01", tz="UTC")


def _stamp(ts: pd.Series) -> pd.Series:
    return ts.dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype("string")


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text with missing values, as ``read_raw`` gives a CSV."""
    return frame.astype("string").replace("", pd.NA)


def crm(n: int = 300, seed: int = 0) -> dict[str, pd.DataFrame]:
    """A small made-up CRM: leads, companies, activities (type + status), web visits (URLs), deals (stage)."""
    rng = np.random.default_rng(seed)
    created = START + pd.to_timedelta(rng.uniform(0, 300, n), unit="D")
    won = rng.random(n) < 0.15
    lost = ~won & (rng.random(n) < 0.1)
    first = rng.choice(["Anna", "Boris", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas", "Karla",
                        "Lukas", "Mia", "Noah", "Olga", "Paul", "Rosa", "Simon", "Tara", "Uwe", "Vera"], n)  # fmt: skip
    leads = pd.DataFrame({
        "lead_no": [f"L{i:05d}" for i in range(n)],
        "created_on": _stamp(pd.Series(created)),
        "first_name": first,
        "email": [f"{f.lower()}{i}@{'gmail.com' if i % 3 else 'acme.io'}" for i, f in enumerate(first)],
        "job_title": rng.choice(["Head of Sales", "Marketing Manager", "Software Engineer", "CEO", "Data Analyst",
                                 "VP Marketing", "Sales Director", "Intern", "Product Owner", "Office Assistant",
                                 "Chief Technology Officer", "Account Executive", "Operations Manager",
                                 "Marketing Specialist", "Senior Engineer", "Founder", "IT Administrator",
                                 "Sales Representative", "Business Analyst", "Team Lead Support"], n),
        "size": rng.choice(["1-10", "11-50", "51-200", "201-1000", "1000+"], n),
        "segment": rng.choice(["smb", "mid", "enterprise"], n),
        "company_ref": [f"C{k:03d}" for k in rng.integers(0, 40, n)],
        "is_converted": np.where(won | lost, "true", "false"),
        "customer_since": _stamp(pd.Series(created + 30 * DAY)).where(won),
    })  # fmt: skip
    companies = pd.DataFrame({
        "company_id": [f"C{k:03d}" for k in range(40)],
        "industry": rng.choice(["Software", "Retail", "Banking"], 40),
        "revenue_musd": rng.uniform(1, 500, 40).round(2),
    })  # fmt: skip
    lead = rng.integers(0, n, 6 * n)
    kind = rng.choice(["call done", "email done", "meeting planned", "meeting cancelled"], 6 * n)
    activities = pd.DataFrame({
        "activity_id": [f"A{i:06d}" for i in range(6 * n)],
        "lead": leads["lead_no"].to_numpy()[lead],
        "at": _stamp(pd.Series(created[lead] + pd.to_timedelta(rng.uniform(0, 60, 6 * n), unit="D"))),
        "kind": [k.split()[0] for k in kind],
        "state": [k.split()[1] for k in kind],
        "note": np.where(rng.random(6 * n) < 0.1, "Called back and left a message.", None),
    })  # fmt: skip
    lead = rng.integers(0, n, 10 * n)
    web = pd.DataFrame({
        "lead": leads["lead_no"].to_numpy()[lead],
        "visited": _stamp(pd.Series(created[lead] + pd.to_timedelta(rng.uniform(0, 60, 10 * n), unit="D"))),
        "page": rng.choice(["/pricing", "/docs", "/blog/x", "/"], 10 * n),
        "action": rng.choice(["view", "download"], 10 * n),
        "seconds": rng.integers(1, 300, 10 * n),
    })  # fmt: skip
    deal_leads = np.flatnonzero(won | lost)
    deals = pd.DataFrame({
        "deal": [f"D{i:05d}" for i in range(len(deal_leads))],
        "lead_no": leads["lead_no"].to_numpy()[deal_leads],
        "stage": np.where(won[deal_leads], "Won", "Lost"),
        "opened": _stamp(pd.Series(created[deal_leads] + 10 * DAY)),
        "closed": _stamp(pd.Series(created[deal_leads] + 30 * DAY)),
        "amount": rng.uniform(1_000, 50_000, len(deal_leads)).round(2),
    })  # fmt: skip
    tables = {"leads": leads, "companies": companies, "activities": activities, "web": web, "deals": deals}
    return {name: _text(frame) for name, frame in tables.items()}


# ------------------------------------------------------------------------------------------ helpers


def covered(draft: SpecDraft, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Columns neither used by the spec nor ignored with a reason (empty when every column is accounted for)."""
    spec = spec_from_dict(draft.spec)
    report = column_report(tables, spec)
    loose = report[(report["use"] == "ignored") & (report["detail"] == "not declared in the spec")]
    out = [f"{t}.{c}" for t, c in zip(loose["table"], loose["column"], strict=True)]
    for table, frame in tables.items():
        if table not in spec.tables and f"{table}.*" not in spec.ignore:
            out += [f"{table}.{c}" for c in frame.columns]
    return out


def pii_of(draft: SpecDraft) -> set[str]:
    spec = spec_from_dict(draft.spec)
    return set(spec.pii) | {c for role, c in spec.parsers.items() if role in PII_PARSERS}


def sources(draft: SpecDraft) -> dict[str, tuple[str, list[str]]]:
    """table → (key, type columns) of each event source."""
    return {s.table: (s.key, list(s.type)) for s in spec_from_dict(draft.spec).events}


# ------------------------------------------------------------------------------------------ hand-made tables


@pytest.fixture(scope="module")
def small() -> tuple[dict[str, pd.DataFrame], SpecDraft]:
    tables = crm()
    return tables, draft_spec(tables)


def test_the_entity_key_and_creation_time(small):
    _, draft = small
    assert draft.spec["entity"] == {"table": "leads", "key": "lead_no", "created_at": "created_on",
                                    "account_key": "company_ref"}  # fmt: skip
    assert any(line.startswith("entity: leads (key lead_no, 300 rows; 2 event table(s)") for line in draft.guessed)


def test_event_sources_types_urls_and_values(small):
    _, draft = small
    by_table = {s["table"]: s for s in draft.spec["events"]}
    assert set(by_table) == {"activities", "web"}
    assert by_table["activities"]["key"] == "lead" and by_table["activities"]["timestamp"] == "at"
    assert by_table["activities"]["type"] == ["kind", "state"]  # the pair tells meetings planned and cancelled apart
    assert by_table["web"]["type"] == "action"
    assert by_table["web"]["url"] == "page"
    assert by_table["web"]["values"] == {"seconds": "seconds"}
    assert not any("prefix" in s for s in draft.spec["events"])


def test_the_outcome_and_its_link(small):
    _, draft = small
    assert draft.spec["target"] == "won"
    assert draft.spec["outcomes"]["won"] == {"table": "deals", "time": "closed", "lead_key": "lead_no",
                                             "where": {"stage": ["Won"]}, "value": "amount"}  # fmt: skip


def test_account_attributes_parsers_and_pii(small):
    _, draft = small
    spec = draft.spec
    assert spec["account"] == {"table": "companies", "key": "company_id"}
    attributes = {(a.get("table"), a["column"]): a for a in spec["attributes"]}
    assert attributes[(None, "size")] == {"column": "size", "kind": "band",
                                          "order": ["1-10", "11-50", "51-200", "201-1000", "1000+"]}  # fmt: skip
    assert attributes[(None, "segment")]["kind"] == "categorical"
    assert attributes[("companies", "industry")] == {"column": "industry", "kind": "categorical",
                                                     "normalise": "industry", "table": "companies"}  # fmt: skip
    assert "normalise" not in attributes[(None, "segment")]
    assert attributes[("companies", "revenue_musd")]["kind"] == "numeric"
    assert spec["parsers"] == {"first_name": "first_name", "email": "email", "job_title": "job_title"}
    assert set(spec["pii"]) == {"first_name", "email"}


def test_only_a_whole_word_of_the_name_asks_for_a_normaliser():
    tables = crm(n=200, seed=4)
    rng = np.random.default_rng(2)
    tables["companies"] = tables["companies"].assign(
        Designation=rng.choice(["Partner", "Reseller", "Direct"], 40),
        BillingCountry=rng.choice(["DE", "Germany", "FR", "France"], 40),
        Subsector=rng.choice(["B2B", "B2C"], 40),
    )
    attributes = {a["column"]: a.get("normalise") for a in draft_spec(tables).spec["attributes"]}
    assert attributes["BillingCountry"] == "country" and attributes["industry"] == "industry"
    assert attributes["Designation"] is None and attributes["Subsector"] is None


def test_a_flag_and_a_date_set_only_for_converters_are_leak_suspects(small):
    _, draft = small
    assert draft.spec["ignore"]["is_converted"].startswith("leak suspect")
    assert draft.spec["ignore"]["customer_since"].startswith("leak suspect")
    assert any("leads.is_converted" in line for line in draft.unsure)
    assert any("leads.customer_since" in line for line in draft.unsure)
    used = {a["column"] for a in draft.spec["attributes"]}
    assert not used & {"is_converted", "customer_since"}


def test_every_column_is_used_or_ignored_and_the_spec_applies(small):
    tables, draft = small
    assert covered(draft, tables) == []
    spec = spec_from_dict(draft.spec)
    assert spec_from_dict(spec.to_dict()) == spec
    applied = apply_spec(tables, spec)
    assert len(applied.leads) == 300
    assert len(applied.conversions) == int((tables["deals"]["stage"] == "Won").sum())


def test_the_yaml_reads_back_with_the_checks_as_comments(small, tmp_path):
    _, draft = small
    text = draft.to_yaml(source="crm")
    assert text.startswith("# drafted by predictive-leads init-spec from crm")
    assert all(f"# check: {line}" in text for line in draft.unsure)
    (tmp_path / "spec.yaml").write_text(text)
    assert load_spec(tmp_path / "spec.yaml").to_dict() == spec_from_dict(draft.spec).to_dict()


def test_two_sources_sharing_type_names_get_prefixes():
    tables = crm(n=200, seed=1)
    tables["web"]["action"] = tables["web"]["action"].replace({"download": "Call Done"})  # call_done in both
    draft = draft_spec(tables)
    prefixes = {s["table"]: s.get("prefix") for s in draft.spec["events"]}
    assert prefixes == {"activities": "activities", "web": "web"}
    apply_spec(tables, spec_from_dict(draft.spec))


def test_a_table_created_when_the_outcome_happens_is_not_the_entity():
    """A contacts table the activities refer to, but whose rows are created when a deal closes: a leak, not the
    entity (even with more event tables referring to it)."""
    tables = crm(n=200, seed=2)
    deals = tables["deals"]
    tables["contacts"] = pd.DataFrame({"contact": "K" + deals["deal"].str.slice(1), "created": deals["closed"],
                                       "lead_no": deals["lead_no"]}).astype("string")  # fmt: skip
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(deals), 2_000)
    tables["contact_calls"] = pd.DataFrame({
        "contact": tables["contacts"]["contact"].to_numpy()[pick],
        "at": deals["closed"].to_numpy()[pick],
        "outcome": rng.choice(["reached", "voicemail"], 2_000),
    }).astype("string")  # fmt: skip
    tables["contact_mails"] = tables["contact_calls"].rename(columns={"outcome": "direction"})
    draft = draft_spec(tables)
    assert draft.spec["entity"]["table"] == "leads"
    assert draft.spec["ignore"]["contacts.*"].startswith("table not read: created when deals.closed happens")
    assert covered(draft, tables) == []


def test_without_an_outcome_the_draft_says_so():
    tables = crm(n=100)
    del tables["deals"]
    tables["leads"] = tables["leads"].drop(columns=["is_converted", "customer_since"])
    with pytest.raises(ValueError, match="no outcome found"):
        draft_spec(tables)


# ------------------------------------------------------------------------------------------ vendor layouts


@pytest.fixture(scope="module")
def world():
    from predictive_leads.synth import SynthConfig, generate_world

    return generate_world(SynthConfig(n_leads=2_000, seed=0))


@pytest.fixture(scope="module")
def layout(world, tmp_path_factory, request):
    """(tables read back from CSV, their draft) of one vendor layout."""
    from predictive_leads.synth.vendor_layouts import LAYOUTS, write_layout

    folder = write_layout(LAYOUTS[request.param](world), tmp_path_factory.mktemp(request.param))
    tables = {p.stem: read_raw(p) for p in sorted(folder.glob("*.csv"))}
    return request.param, tables, draft_spec(tables, name=request.param)


EXPECTED = {
    "salesforce": dict(
        entity=("Lead", "Id", "CreatedDate"),
        sources={"CampaignMember": ("LeadId", ["Status"]), "Task": ("WhoId", ["Type", "Status"]),
                 "pi__VisitorActivity__c": ("pi__Prospect__c", ["pi__Type_Name__c"])},
        outcome={"table": "Opportunity", "time": "CloseDate", "where": {"StageName": ["Closed Won"]}, "key": "Id",
                 "link": "ConvertedOpportunityId", "value": "Amount"},
        pii={"FirstName", "LastName", "Email", "Phone", "Description"},
    ),
    "hubspot": dict(
        entity=("contacts", "hs_object_id", "createdate"),
        sources={"engagements": ("contact_id", ["type", "outcome"]), "email_events": ("contact_id", ["type"]),
                 "web_activity": ("contact_id", ["content_type"]), "form_submissions": ("contact_id", ["form_name"]),
                 "marketing_events": ("contact_id", ["participation_state"])},
        outcome={"table": "deals", "time": "closedate", "where": {"dealstage": ["closedwon"]},
                 "lead_key": "contact_id", "value": "amount"},
        pii={"firstname", "lastname", "email", "phone", "message"},
    ),
    "foreign": dict(
        entity=("people", "pid", "signup_ts"),
        sources={"touches": ("pid", ["kind"]), "sessions": ("pid", [])},  # one event type
        outcome={"table": "wins", "time": "won_on", "lead_key": "pid", "value": "value"},
        pii={"vorname", "nachname", "mail", "tel", "nachricht"},
    ),
}  # fmt: skip
LAYOUT_NAMES = sorted(EXPECTED)


@pytest.mark.parametrize("layout", LAYOUT_NAMES, indirect=True)
def test_layout_entity_sources_and_outcome(layout):
    name, _, draft = layout
    want = EXPECTED[name]
    entity = draft.spec["entity"]
    assert (entity["table"], entity["key"], entity["created_at"]) == want["entity"]
    assert sources(draft) == want["sources"]
    assert draft.spec["outcomes"][draft.spec["target"]] == want["outcome"]


@pytest.mark.parametrize("layout", LAYOUT_NAMES, indirect=True)
def test_layout_pii_is_found_and_never_a_feature(layout):
    name, _, draft = layout
    assert pii_of(draft) == EXPECTED[name]["pii"]
    assert not {a["column"] for a in draft.spec.get("attributes", []) if "table" not in a} & pii_of(draft)


@pytest.mark.parametrize("layout", LAYOUT_NAMES, indirect=True)
def test_layout_every_column_accounted_for_and_the_spec_applies(layout):
    _, tables, draft = layout
    assert covered(draft, tables) == []
    spec = spec_from_dict(yaml.safe_load(draft.to_yaml()))
    applied = apply_spec(tables, spec)
    assert len(applied.leads) == 2_000
    assert len(applied.conversions) > 0


@pytest.mark.parametrize("layout", ["salesforce"], indirect=True)
def test_salesforce_leaks_and_the_second_win_filter(layout):
    _, _, draft = layout
    assert draft.spec["ignore"]["IsConverted"].startswith("leak suspect")
    assert draft.spec["ignore"]["Contact.*"].startswith("table not read: created when Opportunity.CloseDate")
    assert set(draft.spec["outcomes"]) == {"closed_won", "iswon"}
    assert any(line.startswith("target: closed_won is the most specific of 2") for line in draft.unsure)
    spelled = {a["column"]: a.get("normalise") for a in draft.spec["attributes"] if a.get("table") == "Account"}
    assert spelled == {"Type": None, "Industry": "industry", "NumberOfEmployees": None, "AnnualRevenue": None,
                       "BillingCountry": "country"}  # fmt: skip
    known = {a["column"]: a.get("known_from") for a in draft.spec["attributes"] if "table" not in a}
    assert known == dict.fromkeys(["BANT_Budget__c", "BANT_Interest__c", "BANT_Need__c", "BANT_Timing__c",
                                   "BANT_Authority__c"], "Qualified_Date__c")  # fmt: skip


@pytest.mark.parametrize("layout", ["hubspot"], indirect=True)
def test_hubspot_account_and_banded_head_count(layout):
    _, _, draft = layout
    assert draft.spec["account"] == {"table": "companies", "key": "hs_object_id"}
    assert draft.spec["entity"]["account_key"] == "associatedcompanyid"
    band = next(a for a in draft.spec["attributes"] if a["column"] == "numemployees")
    assert band["order"] == ["1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000-5000", "5000-10000",
                             "10000+"]  # fmt: skip


@pytest.mark.parametrize("layout", ["foreign"], indirect=True)
def test_foreign_parsers_from_values_and_session_values(layout):
    _, _, draft = layout
    sessions = next(s for s in draft.spec["events"] if s["table"] == "sessions")
    assert sessions["values"] == {"pages": "pages", "seconds": "seconds"}
    assert "type" not in sessions  # every session is one event of the type "sessions"
    assert any(line.startswith("sessions: no text column names an event type") for line in draft.unsure)
    assert draft.spec["parsers"]["job_title"] == "funktion"  # from the values: no "title" in the name
    assert draft.spec["parsers"]["company_name"] == "firma"  # its values are the orgs' names
    size = next(a for a in draft.spec["attributes"] if a["column"] == "size_class")
    assert size == {"column": "size_class", "kind": "band", "table": "orgs", "order": ["S", "M", "L", "XL"]}


# ------------------------------------------------------------------------------------------ the job and the command


def test_init_spec_writes_a_loadable_spec(tmp_path):
    from predictive_leads.jobs.spec import init_spec

    folder = tmp_path / "crm"
    folder.mkdir()
    for name, frame in crm(n=120).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    drafted = init_spec(folder, tmp_path / "out" / "spec.yaml")
    assert drafted.tables["leads"] == 120
    spec = load_spec(drafted.path)
    assert spec.name == "crm" and spec.entity.table == "leads"


def test_the_command_prints_guesses_and_checks(tmp_path):
    from typer.testing import CliRunner

    from predictive_leads.cli.app import app

    folder = tmp_path / "crm"
    folder.mkdir()
    for name, frame in crm(n=120).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    result = CliRunner().invoke(app, ["init-spec", "--data", str(folder), "--out", str(tmp_path / "spec.yaml")])
    assert result.exit_code == 0, result.output
    assert "entity: leads" in result.output and "check (" in result.output
    assert (tmp_path / "spec.yaml").exists()
    missing = CliRunner().invoke(app, ["init-spec", "--data", str(tmp_path / "nope")])
    assert missing.exit_code == 1


def test_an_event_table_without_any_type_like_column_is_one_event_type():
    tables = crm(n=200, seed=3)
    rng = np.random.default_rng(1)
    tables["web"] = (
        tables["web"]
        .drop(columns=["action", "page"])
        .assign(seconds=rng.uniform(0, 10_000, len(tables["web"])).round(3).astype(str))
    )
    draft = draft_spec(tables)
    web = next(s for s in draft.spec["events"] if s["table"] == "web")
    assert "type" not in web and web["values"] == {"seconds": "seconds"}
    assert any(line.startswith("web: no text column names an event type") for line in draft.unsure)
    assert covered(draft, tables) == []
