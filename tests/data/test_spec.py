"""The dataset spec: read and checked with one-line errors, applied to raw tables with a report of every column."""

from __future__ import annotations

import pandas as pd
import pytest

from predictive_leads.data.contracts import ContractError
from predictive_leads.data.spec import SpecError, load_spec, spec_from_dict, synthetic_spec
from predictive_leads.data.spec_tables import apply_spec, spec_contracts
from predictive_leads.features.config import FeatureConfig, spec_config

SPEC = {
    "entity": {"table": "Lead", "key": "Id", "created_at": "CreatedDate"},
    "events": [{"name": "tasks", "table": "Task", "key": "WhoId", "timestamp": "CreatedDate",
                "type": ["Type", "Status"]}],
    "attributes": [{"column": "Rating", "kind": "band", "order": ["Cold", "Warm", "Hot"]},
                   {"column": "LeadSource", "kind": "categorical"}],
    "parsers": {"email": "Email"},
    "pii": ["Email", "LastName"],
    "ignore": {"Description": "free text"},
    "value_maps": {"LeadSource": {"Web": "organic"}},
    "outcomes": {"won": {"table": "Opportunity", "key": "Id", "link": "ConvertedOpportunityId",
                         "time": "CloseDate", "where": {"IsWon": [True]}, "value": "Amount"}},
}  # fmt: skip


def tables() -> dict[str, pd.DataFrame]:
    lead = pd.DataFrame({
        "Id": ["00Q1", "00Q2", "00Q3"], "CreatedDate": ["2025-01-01T00:00:00Z"] * 3,
        "Email": ["a@x.com", "b@y.org", None], "LastName": ["A", "B", "C"], "Rating": ["Hot", None, "Cold"],
        "LeadSource": ["Web", "Partner", "Web"], "Description": ["hi", "", None],
        "ConvertedOpportunityId": ["006A", "006B", None], "Fax": [None, None, None],
    })  # fmt: skip
    task = pd.DataFrame({"WhoId": ["00Q1", "00Q1", "003X"], "CreatedDate": ["2025-02-01T10:00:00Z"] * 3,
                         "Type": ["Call", "Email", "Call"], "Status": ["Completed", "Sent", None]})  # fmt: skip
    opportunity = pd.DataFrame({"Id": ["006A", "006B"], "CloseDate": ["2025-03-01", "2025-04-01"],
                                "IsWon": ["true", "false"], "Amount": ["1000", "5"]})  # fmt: skip
    return {"Lead": lead, "Task": task, "Opportunity": opportunity}


def test_a_spec_round_trips_through_plain_data_and_yaml(tmp_path):
    spec = spec_from_dict(SPEC)
    assert spec_from_dict(spec.to_dict()) == spec
    (tmp_path / "crm.yaml").write_text(spec.to_yaml())
    assert load_spec(tmp_path / "crm.yaml").to_dict() == spec.to_dict()


@pytest.mark.parametrize(("change", "message"), [
    ({"version": 2}, "version: this package reads spec version 1"),
    ({"entity": {"table": "Lead", "key": "Id"}}, "entity: missing created_at"),
    ({"events": []}, "events: expected a list of at least one event source"),
    ({"attributes": [{"column": "Rating", "kind": "ordinal"}]}, "attributes[0].kind: 'ordinal' is not one of"),
    ({"attributes": [{"column": "Rating", "kind": "band"}]}, "a band needs its order"),
    ({"attributes": [{"column": "Email", "kind": "categorical"}]}, "PII column(s) Email cannot be features"),
    ({"attributes": [{"column": "LeadSource", "kind": "categorical", "normalise": "city"}]},
     "attributes[0].normalise: 'city': a categorical attribute may be normalised as one of country, industry"),
    ({"attributes": [{"column": "Rating", "kind": "numeric", "normalise": "country"}]},
     "attributes[0].normalise: 'country': a categorical attribute may be normalised"),
    ({"parsers": {"job_titel": "Title"}}, "parsers: unknown key(s) job_titel"),
    ({"target": "sql"}, "target: 'sql' is not one of the outcomes"),
    ({"colour": "red"}, "top level: unknown key(s) colour"),
    ({"outcomes": {"won": {"table": "Opportunity", "time": "CloseDate"}}}, "give either lead_key"),
])  # fmt: skip
def test_a_bad_spec_is_one_line_naming_the_field(change, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")) as err:
        spec_from_dict(SPEC | change, source="crm.yaml")
    assert str(err.value).startswith("crm.yaml: ") and "\n" not in str(err.value)


def test_not_yaml_names_the_file(tmp_path):
    (tmp_path / "bad.yaml").write_text("entity: [unclosed")
    with pytest.raises(SpecError, match=r"bad\.yaml: not valid YAML"):
        load_spec(tmp_path / "bad.yaml")


def test_applying_a_spec_types_the_tables_and_finds_the_outcome_through_the_link():
    applied = apply_spec(tables(), spec_from_dict(SPEC))
    leads = applied.leads
    assert list(leads["lead_id"]) == ["00Q1", "00Q2", "00Q3"]
    assert leads["rating"].cat.ordered and list(leads["rating"].cat.categories) == ["Cold", "Warm", "Hot"]
    assert list(leads["leadsource"]) == ["organic", "Partner", "organic"]  # the user's map, nothing else
    assert applied.mapped == {"LeadSource": {"Web → organic": 2}}
    conversions = applied.conversions
    assert list(conversions["lead_id"]) == ["00Q1"]  # IsWon false is not a conversion
    assert conversions["converted_at"].iloc[0] == pd.Timestamp("2025-03-01", tz="UTC")
    assert conversions["deal_value"].iloc[0] == 1000
    assert set(applied.events.tables) == {"tasks"}


def test_every_column_is_reported_used_ignored_or_pii():
    report = apply_spec(tables(), spec_from_dict(SPEC)).columns
    raw = tables()
    listed = set(zip(report["table"], report["column"], strict=True))
    assert {(t, c) for t, frame in raw.items() for c in frame.columns} == listed
    use = report.set_index(["table", "column"])["use"]
    assert use["Lead", "LastName"] == "pii" and use["Lead", "Email"] == "pii (parser input)"
    assert use["Lead", "Rating"] == "feature" and use["Task", "Status"] == "event type"
    detail = report.set_index(["table", "column"])["detail"]
    assert detail["Lead", "Description"] == "free text"
    assert use["Lead", "Fax"] == "ignored" and detail["Lead", "Fax"] == "not declared in the spec"


def test_a_band_value_outside_its_order_names_the_file_column_and_value():
    raw = tables()
    raw["Lead"].loc[1, "Rating"] = "Lukewarm"
    with pytest.raises(ContractError, match=r"Lead.csv: column 'Rating': values outside the declared band order"):
        apply_spec(raw, spec_from_dict(SPEC), source_names={"Lead": "Lead.csv"})


def test_bad_values_are_the_contracts_one_line_errors():
    raw = tables()
    raw["Task"].loc[0, "CreatedDate"] = "yesterday-ish"
    with pytest.raises(ContractError, match=r"Task.csv: column 'CreatedDate': 1 row has unparsable timestamps"):
        apply_spec(raw, spec_from_dict(SPEC), source_names={"Task": "Task.csv"})


def test_an_outcome_for_an_unknown_lead_is_refused():
    spec = spec_from_dict(SPEC | {"outcomes": {"won": {"table": "Opportunity", "lead_key": "Id",
                                                       "time": "CloseDate"}}})  # fmt: skip
    with pytest.raises(ContractError, match="refer to leads missing from Lead; first ids: 006A, 006B"):
        apply_spec(tables(), spec)


def test_contracts_are_generated_from_the_spec():
    contracts = spec_contracts(spec_from_dict(SPEC))
    assert contracts["Lead"].column("Id").unique and contracts["Lead"].column("CreatedDate").dtype == "timestamp"
    assert contracts["Opportunity"].column("Amount").dtype == "float"


def test_our_synthetic_world_is_one_spec_and_keeps_its_feature_config():
    spec = synthetic_spec()
    assert spec.tables == ("leads", "events", "conversions")
    assert spec_config(spec) == FeatureConfig()


def test_a_generic_spec_starts_from_the_generic_config():
    config = spec_config(spec_from_dict(SPEC | {"features": {"half_lives_days": [14]}}))
    assert config.event_types is None and config.parsers == ("email",) and config.half_lives_days == (14,)
    assert set(config.attributes) == {"rating", "leadsource"} and not config.ratios
