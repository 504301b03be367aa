"""A raw lead (its record as the CRM holds it, its events, an as_of) scored by the pyfunc in process: read per field
with every problem named by field and row, never by value, and scored exactly as the batch job scores the same
leads from the data folder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from predictive_leads.data.spec import synthetic_spec
from predictive_leads.features.pipeline import ATTRS_KEY
from predictive_leads.serving.pyfunc import LeadScoringPyfunc
from predictive_leads.serving.raw_request import read_request, request_fields, request_records

AS_OF = "2026-06-01"
NOW = pd.Timestamp("2026-12-07 14:30", tz="UTC")
PII = ["jane.doe@example.com", "+1 555 0100 777", "Jane Doe", "Doe Industries Ltd"]


@pytest.fixture(scope="module")
def dataset(trained_world) -> dict:
    """What training saves in dataset.json for this model: the resolved feature config (our world's spec)."""
    return {"feature_config": trained_world.frame.attrs[ATTRS_KEY]["feature_config"]}


@pytest.fixture(scope="module")
def pyfunc(trained_world, dataset) -> LeadScoringPyfunc:
    return LeadScoringPyfunc(trained_world.scorer, dataset=dataset)


@pytest.fixture(scope="module")
def records(trained_world) -> list[dict]:
    world = trained_world.world
    return request_records({"leads": world.leads, "events": world.events}, synthetic_spec(), as_of=AS_OF)


def _open_leads(trained_world, records, n: int) -> list[dict]:
    """``n`` leads created before AS_OF and not converted by then, with events."""
    conv = trained_world.world.conversions.set_index("lead_id")["converted_at"]
    cutoff = pd.Timestamp(AS_OF, tz="UTC")
    open_ = [r for r in records if pd.Timestamp(r["created_at"]) < cutoff and not conv.get(r["lead_id"], NOW) < cutoff]
    return [r for r in open_ if r["events"]][:n]


# ------------------------------------------------------------------------------------------ reading a request


def _read(rows: list[dict]):
    return read_request(pd.DataFrame(rows), synthetic_spec(), now=NOW)


def test_the_fields_are_the_leads_table_as_declared_then_events_and_as_of():
    fields = request_fields(synthetic_spec())
    assert fields[:2] == ["lead_id", "created_at"] and fields[-2:] == ["events", "as_of"]
    assert {"email", "phone", "employees", "qual_money"} <= set(fields)


def test_as_of_defaults_to_the_end_of_today_and_a_time_of_day_counts_to_the_end_of_its_day():
    read = _read(
        [{"lead_id": "a"}, {"lead_id": "b", "as_of": "2026-03-01"}, {"lead_id": "c", "as_of": "2026-03-01T09:15:00Z"}]
    )
    assert list(read.spine["as_of"].astype(str)) == ["2026-12-08 00:00:00+00:00", "2026-03-01 00:00:00+00:00",
                                                   "2026-03-02 00:00:00+00:00"]  # fmt: skip
    assert read.ok.all() and list(read.tables["leads"]["created_at"]) == list(read.spine["as_of"])


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({"created_at": "2026-01-01"}, "lead_id: missing"),
        ({"lead_id": ["x"]}, "lead_id: not text"),
        ({"lead_id": "a", "employees": "many"}, "employees: not a number"),
        ({"lead_id": "a", "employees": float("inf")}, "employees: not a finite number"),
        ({"lead_id": "a", "employees": float("nan")}, ""),  # JSON NaN is a missing value
        ({"lead_id": "a", "employees": 1e30}, "employees: outside the range 0 to 1e+07"),
        ({"lead_id": "a", "annual_revenue": -5}, "annual_revenue: outside the range 0 to 1e+16"),
        ({"lead_id": "a", "employees": {"n": 5}}, "employees: not a number"),
        ({"lead_id": "a", "job_title": 12}, ""),  # a number where text is declared is its text
        ({"lead_id": "a", "job_title": ["CEO"]}, "job_title: not text"),
        ({"lead_id": "a", "created_at": "yesterday"}, "created_at: not a timestamp"),
        ({"lead_id": "a", "created_at": "2026-05-01", "as_of": "2026-04-01"}, "created_at: after as_of"),
        ({"lead_id": "a", "as_of": "soon"}, "as_of: not a date"),
        ({"lead_id": "a", "events": "clicked twice"}, "events: not a list of events"),
        ({"lead_id": "a", "events": [3]}, "events[0]: not an object"),
        ({"lead_id": "a", "events": [{"type": "demo_request"}]}, "events[0].ts: missing"),
        (
            {"lead_id": "a", "events": [{"ts": "2026-01-01", "type": "x"}, {"ts": "then", "type": "x"}]},
            "events[1].ts: not a timestamp",
        ),
        ({"lead_id": "a", "events": [{"ts": "2026-01-01"}]}, "events[0].type: missing"),
        ({"lead_id": "a", "events": [{"ts": "2026-01-01", "type": 7}]}, "events[0].type: not text"),
        (
            {"lead_id": "a", "events": [{"ts": "2026-01-01", "type": "x", "source": "web"}]},
            "events[0].source: not an event source of this model (events)",
        ),
    ],
)
def test_each_field_problem_is_named_by_field_and_never_quotes_the_value(row, problem):
    read = _read([{"lead_id": "ok"}, row])
    assert read.problems[0] == "" and read.problems[1] == problem
    assert len(read.spine) == 2 - bool(problem)
    for value in row.values():
        if isinstance(value, str) and len(value) > 2 and value not in ("lead_id", "x"):
            assert value not in read.problems[1]


def test_a_repeated_id_is_refused_in_its_later_row_only():
    assert list(_read([{"lead_id": "a"}, {"lead_id": "b"}, {"lead_id": "a"}]).problems) == [
        "", "", "lead_id: repeated in this request"]  # fmt: skip


def test_request_records_round_trip_through_json(trained_world, records):
    world = trained_world.world
    assert len(records) == len(world.leads)
    record = next(r for r in records if r["events"])
    assert json.loads(json.dumps(record)) == record
    before = world.events[(world.events["lead_id"] == record["lead_id"]) & (world.events["ts"] < AS_OF)]
    assert len(record["events"]) == len(before) and record["as_of"] == AS_OF


# ------------------------------------------------------------------------------------------ scoring


def test_served_raw_leads_equal_the_batch_job_on_the_same_leads_bit_for_bit(trained_world, dataset, pyfunc, records,
                                                                           tmp_path):  # fmt: skip
    """``score --data FOLDER --as-of`` (scoring frame written, read back in chunks) against the pyfunc on the same
    leads sent raw: every output column but the run's time and the model's name."""
    from predictive_leads.data.files import json_text
    from predictive_leads.jobs.score import score
    from predictive_leads.synth.world_files import write_world

    data = write_world(trained_world.world, tmp_path / "world")
    model = trained_world.scorer.save(tmp_path / "model")
    (model / "dataset.json").write_text(json_text(dataset))
    run = score(model, tmp_path / "out.parquet", data=data, as_of=AS_OF, rules="none")
    batch = pd.read_parquet(run.output).set_index("lead_id")
    sent = _open_leads(trained_world, records, 100)
    served = pyfunc.predict(pd.DataFrame(sent))
    assert len(sent) == 100 and (served["rejected"] == "").all()
    expected = batch.loc[[r["lead_id"] for r in sent]].reset_index(drop=True)
    assert list(served.columns) == [*expected.columns.drop(["scored_at"]), "scored_at", "rejected"]
    for col in expected.columns.drop(["model_name", "model_version", "scored_at"]):
        assert [None if pd.isna(v) else v for v in expected[col]] == list(served[col]), col


def test_an_unknown_event_type_is_scored_as_the_batch_counts_it_not_refused(pyfunc, trained_world, records):
    lead = _open_leads(trained_world, records, 1)[0]
    odd = lead | {"events": [*lead["events"], {"ts": "2026-05-30T10:00:00Z", "type": "fax_received"}]}
    served = pyfunc.predict(pd.DataFrame([lead, odd | {"lead_id": "odd"}]))
    assert (served["rejected"] == "").all()
    assert served["probability"].iloc[0] == served["probability"].iloc[1]  # the vocabulary counts it nowhere


def test_a_reply_never_holds_input_text(pyfunc, trained_world, records):
    lead = _open_leads(trained_world, records, 1)[0]
    fields = ("email", "phone", "first_name", "last_name", "job_title", "company_name", "form_message", "industry",
              "country")  # fmt: skip
    text = {k: PII[i % len(PII)] for i, k in enumerate(fields)}
    rows = [lead | text, lead | text | {"lead_id": "b", "employees": PII[0]}]
    reply = pyfunc.predict(pd.DataFrame(rows)).to_json(orient="records")
    assert not [p for p in [*PII, "jane", "doe", "0100", "@"] if p in reply.lower()]  # the email's domain may show


def test_a_model_whose_leads_belong_to_accounts_refuses_raw_leads_it_cannot_roll_up(trained_world, dataset):
    """Account roll-ups count the account's other leads: a request cannot hold them, so it is refused, not guessed."""
    spec = synthetic_spec().to_dict()
    spec["entity"]["account_key"], spec["account"] = "company_name", {"table": "companies", "key": "company_id"}
    with_accounts = LeadScoringPyfunc(trained_world.scorer, dataset=dataset | {"spec": spec})
    with pytest.raises(ValueError, match=r"belong to accounts \(companies\).*send derived features"):
        with_accounts.predict(pd.DataFrame([{"lead_id": "a", "events": []}]))


def test_the_example_raw_request_serve_writes_is_scored(pyfunc, dataset):
    from predictive_leads.serving.pyfunc import example_raw_request

    body = json.loads(example_raw_request(dataset, NOW))
    reply = pyfunc.predict(pd.DataFrame(body["dataframe_records"]))
    assert reply["rejected"].tolist() == [""] and 1 <= reply["score"].iloc[0] <= 100
    assert example_raw_request({}, NOW) is None  # a flat export's model reads its rows as they are


def test_a_flat_export_row_is_read_as_training_read_the_file(trained_world):
    """A flat model: its raw row is its feature row, with the placeholders training read as missing."""
    scorer = trained_world.scorer
    text = [c for c, t in scorer.input_types_.items() if t == "string"]
    row = {c: 0 for c, t in scorer.input_types_.items() if t != "string" and not c.startswith("qual_")}
    flat = LeadScoringPyfunc(scorer, dataset={"flat_export": {"placeholders": ["select"]}})
    plain = flat.predict(pd.DataFrame([row]))  # absent text columns are missing
    placeholder = flat.predict(pd.DataFrame([row | dict.fromkeys(text, "Select")]))
    assert (plain["rejected"] == "").all() and np.isfinite(plain["probability"].iloc[0])
    assert plain["probability"].iloc[0] == placeholder["probability"].iloc[0]
    assert "select" not in placeholder.to_json().lower()
