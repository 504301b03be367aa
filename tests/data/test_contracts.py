"""Table contracts: coercion, every kind of violation with its exact one-line message, references, docs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predictive_leads.data.contracts import (
    CONTRACTS,
    CONVERSIONS,
    EVENT_TYPES,
    EVENTS,
    LEADS,
    TRUTH,
    Column,
    ContractError,
    TableContract,
    check_references,
    contract_markdown,
    contracts_markdown,
    validate,
)
from predictive_leads.synth import generate_world

ALLOWED_EVENTS = ", ".join(EVENT_TYPES)


def _ids(n: int) -> list[str]:
    return [f"L{i:07d}" for i in range(1, n + 1)]


def _leads(n: int = 3, **columns) -> pd.DataFrame:
    """A valid leads frame as a CSV would give it (strings); ``columns`` replace or add columns."""
    frame = {
        "lead_id": _ids(n),
        "created_at": [f"2024-01-{i:02d}T10:00:00Z" for i in range(1, n + 1)],
        "employees": [str(10 * i) for i in range(1, n + 1)],
    }
    frame.update(columns)
    return pd.DataFrame(frame)


def _events(lead_ids: list[str] | None = None, **columns) -> pd.DataFrame:
    lead_ids = lead_ids or _ids(3)
    n = len(lead_ids)
    frame = {
        "lead_id": lead_ids,
        "ts": ["2024-02-01 09:30:00"] * n,
        "event_type": [EVENT_TYPES[i % len(EVENT_TYPES)] for i in range(n)],
    }
    frame.update(columns)
    return pd.DataFrame(frame)


def _truth(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values()))) if columns else 1
    frame = {
        "lead_id": _ids(n),
        "fit": [0.1] * n,
        "fit_noise": [0.0] * n,
        "seniority": ["vp"] * n,
        "department": ["it"] * n,
        "email_kind": ["corporate"] * n,
        "industry": ["Software"] * n,
        "region": ["emea"] * n,
        "lead_source": ["organic"] * n,
        "intent_start": [[0, 10]] * n,
        "intent_state": [[0, 3]] * n,
    }
    for flag in ("is_bot", "is_spam", "is_duplicate", "is_internal", "is_competitor", "has_invalid_email"):
        frame[flag] = [False] * n
    frame.update(columns)
    return pd.DataFrame(frame)


def _error(df: pd.DataFrame, contract: TableContract, source: str | None = None) -> str:
    with pytest.raises(ContractError) as info:
        validate(df, contract, source=source)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.fixture(scope="module")
def world():
    return generate_world(n_leads=300, seed=1)


# ---------------------------------------------------------------------------------------------- valid frames


@pytest.mark.parametrize("name", ["leads", "events", "conversions", "truth"])
def test_generated_tables_pass_and_come_back_coerced(world, name):
    contract = CONTRACTS[name]
    raw = getattr(world, name)
    out = validate(raw, contract)
    assert len(out) == len(raw)
    assert list(out.columns) == list(raw.columns)
    for col in contract.columns:
        if col.name not in out.columns:
            continue
        dtype = out[col.name].dtype
        if col.dtype == "timestamp":
            assert isinstance(dtype, pd.DatetimeTZDtype)
            assert str(dtype.tz) == "UTC"
        elif col.dtype == "string":
            assert isinstance(dtype, pd.StringDtype)
        elif col.dtype == "bool":
            assert isinstance(dtype, pd.BooleanDtype)
        elif col.dtype == "float":
            assert dtype == np.float64


def test_small_csv_like_frame_passes():
    out = validate(_leads(3), LEADS, source="leads.csv")
    assert out["lead_id"].tolist() == _ids(3)
    assert out["created_at"].tolist() == [pd.Timestamp(f"2024-01-0{i} 10:00", tz="UTC") for i in (1, 2, 3)]
    assert out["employees"].tolist() == [10.0, 20.0, 30.0]
    assert out["employees"].dtype == np.float64


def test_optional_columns_may_be_absent_or_null():
    out = validate(_leads(2, employees=[None, "5"], email=[None, "a@b.com"]), LEADS)
    assert pd.isna(out.loc[0, "employees"])
    assert out.loc[1, "employees"] == 5.0
    assert pd.isna(out.loc[0, "email"])
    assert "phone" not in out.columns


def test_validate_is_idempotent():
    once = validate(_events(event_type=[" Page_View", "EMAIL_OPEN", "form_submit"]), EVENTS)
    pd.testing.assert_frame_equal(validate(once, EVENTS), once)


def test_empty_frame_with_the_required_columns_passes():
    out = validate(pd.DataFrame({"lead_id": [], "created_at": []}), LEADS)
    assert out.empty
    assert isinstance(out["created_at"].dtype, pd.DatetimeTZDtype)


# ---------------------------------------------------------------------------------------------- time zones


def test_naive_timestamp_strings_are_read_as_utc():
    out = validate(_leads(2, created_at=["2024-03-01 10:00:00", "2024-03-02"]), LEADS)
    assert out["created_at"].tolist() == [
        pd.Timestamp("2024-03-01 10:00", tz="UTC"),
        pd.Timestamp("2024-03-02", tz="UTC"),
    ]


def test_naive_datetime64_is_read_as_utc():
    naive = pd.to_datetime(pd.Series(["2024-03-01 10:00", "2024-03-02 23:59"]))
    out = validate(_leads(2, created_at=naive), LEADS)
    assert str(out["created_at"].dt.tz) == "UTC"
    assert out["created_at"].tolist() == [
        pd.Timestamp("2024-03-01 10:00", tz="UTC"),
        pd.Timestamp("2024-03-02 23:59", tz="UTC"),
    ]


def test_tz_aware_non_utc_datetime64_is_converted_to_utc():
    paris = pd.to_datetime(pd.Series(["2024-01-15 10:00", "2024-07-15 10:00"])).dt.tz_localize("Europe/Paris")
    out = validate(_leads(2, created_at=paris), LEADS)
    assert str(out["created_at"].dt.tz) == "UTC"
    assert out["created_at"].tolist() == [
        pd.Timestamp("2024-01-15 09:00", tz="UTC"),
        pd.Timestamp("2024-07-15 08:00", tz="UTC"),
    ]


def test_offset_strings_are_converted_to_utc():
    text = ["2024-01-01T10:00:00+02:00", "2024-01-01 10:00:00-0500", "2024-01-01T10:00:00.250Z"]
    out = validate(_leads(3, created_at=text), LEADS)
    assert out["created_at"].tolist() == [
        pd.Timestamp("2024-01-01 08:00", tz="UTC"),
        pd.Timestamp("2024-01-01 15:00", tz="UTC"),
        pd.Timestamp("2024-01-01 10:00:00.250", tz="UTC"),
    ]


def test_day_first_dates_are_not_mistaken_for_offsets():
    # "31-12-2024" ends in "-2024", which once read as a -20:24 offset and made this column "mixed".
    out = validate(_leads(2, created_at=["31-12-2024", "2024-01-01 10:00"]), LEADS)
    assert out["created_at"].tolist() == [
        pd.Timestamp("2024-12-31", tz="UTC"),
        pd.Timestamp("2024-01-01 10:00", tz="UTC"),
    ]


# ---------------------------------------------------------------------------------------------- coercion


def test_event_type_casing_and_whitespace_are_normalised():
    out = validate(_events(event_type=["Email_Open ", "  PAGE_VIEW", "form_submit"]), EVENTS)
    assert out["event_type"].tolist() == ["email_open", "page_view", "form_submit"]


def test_categorical_event_types_are_normalised_too():
    out = validate(_events(event_type=pd.Categorical(["Email_Open ", "page_view", "Page_View"])), EVENTS)
    assert out["event_type"].tolist() == ["email_open", "page_view", "page_view"]
    assert isinstance(out["event_type"].dtype, pd.StringDtype)


def test_free_text_columns_are_not_normalised():
    out = validate(_leads(2, industry=[" Software ", "FINANCE"]), LEADS)
    assert out["industry"].tolist() == [" Software ", "FINANCE"]


def test_extra_columns_are_kept_unchanged():
    df = _leads(2, score=[0.5, 0.25], note=["x", None])
    out = validate(df, LEADS)
    assert list(out.columns) == ["lead_id", "created_at", "employees", "score", "note"]
    pd.testing.assert_series_equal(out["score"], df["score"])
    pd.testing.assert_series_equal(out["note"], df["note"])


def test_callers_frame_is_not_mutated():
    df = _leads(3, event=[" A", "b ", None]).set_axis([10, 20, 30])
    before = df.copy(deep=True)
    out = validate(df, LEADS)
    pd.testing.assert_frame_equal(df, before)
    assert out.index.tolist() == [0, 1, 2]
    assert out is not df


def test_callers_frame_is_not_mutated_when_validation_fails():
    df = _events(event_type=["Email_Open ", "bogus", "page_view"])
    before = df.copy(deep=True)
    with pytest.raises(ContractError):
        validate(df, EVENTS)
    pd.testing.assert_frame_equal(df, before)


def test_bools_are_parsed_from_text():
    truth = _truth(is_bot=["yes", "0", " TRUE "], is_spam=[True, False, False])
    out = validate(truth, TRUTH)
    assert out["is_bot"].tolist() == [True, False, True]
    assert isinstance(out["is_spam"].dtype, pd.BooleanDtype)


# ---------------------------------------------------------------------------------------------- violations


def test_missing_required_column():
    df = _leads(2).drop(columns="created_at")
    assert _error(df, LEADS, "leads.parquet") == (
        "leads.parquet: missing required column(s) 'created_at'; found: lead_id, employees"
    )


def test_several_missing_required_columns_and_no_columns_at_all():
    assert _error(pd.DataFrame({"x": [1]}), EVENTS, "events.csv") == (
        "events.csv: missing required column(s) 'lead_id', 'ts', 'event_type'; found: x"
    )
    assert _error(pd.DataFrame(), CONVERSIONS, "conversions.csv") == (
        "conversions.csv: missing required column(s) 'lead_id', 'converted_at'; found: no columns"
    )


def test_source_defaults_to_the_contract_name():
    assert _error(pd.DataFrame({"lead_id": ["a"]}), LEADS) == (
        "leads: missing required column(s) 'created_at'; found: lead_id"
    )


def test_unparsable_timestamps():
    created = [f"2024-01-{i:02d}" for i in range(1, 11)]
    created[6], created[8] = "not a date", "2024-13-45"
    assert _error(_leads(10, created_at=created), LEADS, "leads.parquet") == (
        "leads.parquet: column 'created_at': 2 rows have unparsable timestamps; first ids: L0000007, L0000009"
    )


def test_single_unparsable_timestamp_uses_the_singular():
    assert _error(_events(ts=["2024-02-01", "yesterday", "2024-02-02"]), EVENTS, "events.csv") == (
        "events.csv: column 'ts': 1 row has unparsable timestamps; first ids: L0000002"
    )


def test_garbage_in_a_zoned_column_is_unparsable_not_naive():
    created = [f"2024-01-{i:02d}T10:00:00.000Z" for i in range(1, 11)]
    created[4] = created[9] = "last tuesday"
    assert _error(_leads(10, created_at=created), LEADS, "leads.csv") == (
        "leads.csv: column 'created_at': 2 rows have unparsable timestamps; first ids: L0000005, L0000010"
    )


def test_mixed_naive_and_zoned_strings_name_the_zoned_minority():
    created = ["2024-01-01 10:00:00", "2024-01-02T10:00:00+02:00", "2024-01-03 10:00:00", "2024-01-04 10:00:00"]
    assert _error(_leads(4, created_at=created), LEADS, "leads.csv") == (
        "leads.csv: column 'created_at': 1 row has a time zone while the others are naive (mixed); first ids: L0000002"
    )


def test_mixed_naive_and_zoned_strings_name_the_naive_minority():
    created = ["2024-01-01T10:00:00Z", "2024-01-02 10:00:00", "2024-01-03T10:00:00Z", "2024-01-04 10:00:00", None]
    created += ["2024-01-05T10:00:00+0100"]
    assert _error(_leads(6, created_at=created), LEADS, "leads.csv") == (
        "leads.csv: column 'created_at': 2 rows have no time zone while the others have one (mixed); "
        "first ids: L0000002, L0000004"
    )


def test_mixed_tie_names_the_zoned_rows():
    created = ["2024-01-01 10:00", "2024-01-02T10:00:00Z", "2024-01-03 10:00", "2024-01-04 10:00-05"]
    assert _error(_leads(4, created_at=created), LEADS, "leads.csv") == (
        "leads.csv: column 'created_at': 2 rows have a time zone while the others are naive (mixed); "
        "first ids: L0000002, L0000004"
    )


def test_mixed_naive_and_aware_timestamp_objects():
    created = pd.Series([pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02", tz="Europe/Paris")], dtype=object)
    assert _error(_leads(2, created_at=created), LEADS, "leads.parquet") == (
        "leads.parquet: column 'created_at': 1 row has a time zone while the others are naive (mixed); "
        "first ids: L0000002"
    )


def test_unparsable_numbers():
    assert _error(_leads(3, employees=["10", "ten", "1,5"]), LEADS, "leads.csv") == (
        "leads.csv: column 'employees': 2 rows have a value that is not a number; first ids: L0000002, L0000003"
    )


def test_negative_counts_are_below_the_minimum():
    assert _error(_leads(3, employees=[10, -5, 0]), LEADS, "leads.parquet") == (
        "leads.parquet: column 'employees': 1 row has a value that is outside the range 0 to 1e+07; first ids: L0000002"
    )
    conv = pd.DataFrame({"lead_id": _ids(2), "converted_at": ["2024-05-01"] * 2, "deal_value": ["-1.5", "-0.01"]})
    assert _error(conv, CONVERSIONS, "conversions.csv") == (
        "conversions.csv: column 'deal_value': 2 rows have a value that is outside the range 0 to 1e+16; "
        "first ids: L0000001, L0000002"
    )


def test_null_in_a_required_column():
    assert _error(_leads(4, created_at=["2024-01-01", None, "2024-01-03", None]), LEADS, "leads.parquet") == (
        "leads.parquet: column 'created_at': 2 rows have missing values in a required column; "
        "first ids: L0000002, L0000004"
    )


def test_null_id_is_named_as_missing():
    assert _error(_leads(3, lead_id=["L0000001", None, "L0000003"]), LEADS, "leads.csv") == (
        "leads.csv: column 'lead_id': 1 row has missing values in a required column; first ids: <missing id>"
    )


def test_null_event_type_is_missing_not_disallowed():
    assert _error(_events(event_type=["page_view", None, "email_open"]), EVENTS, "events.csv") == (
        "events.csv: column 'event_type': 1 row has missing values in a required column; first ids: L0000002"
    )


def test_unknown_event_types_list_bad_values_and_the_allowed_set():
    df = _events(event_type=["page_view", "Clicked", " bogus", "email_open", "bogus"], lead_ids=_ids(5))
    assert _error(df, EVENTS, "events.csv") == (
        "events.csv: column 'event_type': 3 rows have values not in the allowed set (bogus, clicked); "
        f"allowed: {ALLOWED_EVENTS}; first ids: L0000002, L0000003, L0000005"
    )
    assert ALLOWED_EVENTS.startswith("page_view, pricing_page_view, product_page_view, ")


def test_many_unknown_event_types_are_truncated():
    df = _events(lead_ids=_ids(7), event_type=[f"bad_{i}" for i in range(7)])
    assert _error(df, EVENTS, "events.csv") == (
        "events.csv: column 'event_type': 7 rows have values not in the allowed set "
        f"(bad_0, bad_1, bad_2, bad_3, bad_4 (+2 more)); allowed: {ALLOWED_EVENTS}; "
        "first ids: L0000001, L0000002, L0000003, L0000004, L0000005 (+2 more)"
    )


def test_disallowed_truth_category():
    assert _error(_truth(seniority=["vp", "intern"]), TRUTH, "truth.parquet") == (
        "truth.parquet: column 'seniority': 1 row has values not in the allowed set (intern); "
        "allowed: c_level, vp, director, manager, individual_contributor, student_other; first ids: L0000002"
    )


def test_duplicate_ids_name_every_duplicated_row():
    df = _leads(4, lead_id=["L0000001", "L0000002", "L0000003", "L0000002"])
    assert _error(df, LEADS, "leads.parquet") == (
        "leads.parquet: column 'lead_id': 2 rows have duplicate values (must be unique); first ids: L0000002, L0000002"
    )


def test_duplicate_conversions():
    conv = pd.DataFrame({"lead_id": ["L0000009", "L0000009", "L0000009"], "converted_at": ["2024-05-01"] * 3})
    assert _error(conv, CONVERSIONS, "conversions.csv") == (
        "conversions.csv: column 'lead_id': 3 rows have duplicate values (must be unique); "
        "first ids: L0000009, L0000009, L0000009"
    )


def test_values_that_are_not_booleans():
    assert _error(_truth(is_bot=["true", "maybe"]), TRUTH, "truth.csv") == (
        "truth.csv: column 'is_bot': 1 row has a value that is not true/false; first ids: L0000002"
    )


def test_more_than_five_offending_ids_are_truncated():
    created = ["garbage"] * 8 + ["2024-01-01"]
    assert _error(_leads(9, created_at=created), LEADS, "leads.parquet") == (
        "leads.parquet: column 'created_at': 8 rows have unparsable timestamps; "
        "first ids: L0000001, L0000002, L0000003, L0000004, L0000005 (+3 more)"
    )


def test_exactly_five_offending_ids_are_not_truncated():
    assert _error(_leads(5, employees=["-1"] * 5), LEADS, "leads.csv") == (
        "leads.csv: column 'employees': 5 rows have a value that is outside the range 0 to 1e+07; "
        "first ids: L0000001, L0000002, L0000003, L0000004, L0000005"
    )


def test_values_are_checked_as_columns_are_typed_in_contract_order_then_keys():
    df = _leads(3, employees=["-1", "2", "3"], annual_revenue=["x", "1", "2"], lead_id=["L0000001", "L0000001", "L3"])
    assert _error(df, LEADS, "leads.csv") == (
        "leads.csv: column 'employees': 1 row has a value that is outside the range 0 to 1e+07; first ids: L0000001"
    )
    assert _error(df.assign(employees="2", annual_revenue="1"), LEADS, "leads.csv") == (
        "leads.csv: column 'lead_id': 2 rows have duplicate values (must be unique); first ids: L0000001, L0000001"
    )


def test_ids_are_those_of_the_rows_not_of_the_index():
    df = _leads(3, created_at=["2024-01-01", "2024-01-02", "bad"]).set_axis(["x", "y", "z"])
    assert _error(df, LEADS, "leads.csv") == (
        "leads.csv: column 'created_at': 1 row has unparsable timestamps; first ids: L0000003"
    )


# ---------------------------------------------------------------------------------------------- custom contracts

COUNTS = TableContract(
    name="counts",
    id_column="key",
    description="A small table with an optional id column and an int column.",
    columns=(
        Column("key", "string", "Optional key.", required=False, nullable=True),
        Column("n", "int", "A count.", min_value=0),
    ),
)


def test_int_columns_become_nullable_ints():
    out = validate(pd.DataFrame({"key": ["a", "b"], "n": ["3", "4"]}), COUNTS)
    assert out["n"].dtype == "Int64"
    assert out["n"].tolist() == [3, 4]


def test_fractional_values_in_an_int_column():
    assert _error(pd.DataFrame({"key": ["a", "b", "c"], "n": ["1", "2.5", "3.0"]}), COUNTS, "counts.csv") == (
        "counts.csv: column 'n': 1 row has a value that is not a whole number; first ids: b"
    )


def test_rows_are_named_by_position_without_an_id_column():
    assert _error(pd.DataFrame({"n": ["1", "x", "-2"]}), COUNTS, "counts.csv") == (
        "counts.csv: column 'n': 1 row has a value that is not a number; first ids: row 2"
    )


def test_unknown_column_dtype_is_rejected():
    with pytest.raises(ValueError, match="unknown dtype 'decimal'"):
        Column("x", "decimal", "nope")


def test_contract_properties():
    assert LEADS.required == ("lead_id", "created_at")
    assert LEADS.names[:3] == ("lead_id", "created_at", "email")
    assert LEADS.pii_columns == ("email", "first_name", "last_name", "phone", "form_message")
    assert LEADS.column("employees").min_value == 0
    with pytest.raises(KeyError, match="leads has no column 'nope'"):
        LEADS.column("nope")
    assert set(CONTRACTS) == {"leads", "events", "conversions", "truth"}


def test_contract_markdown_lists_every_column_and_rule():
    md = contract_markdown(LEADS)
    for col in LEADS.columns:
        assert f"| `{col.name}` | {col.dtype} |" in md
    assert "| `lead_id` | string | yes | unique; not null | Unique lead identifier. |" in md
    assert "≥ 0" in md
    assert "PII: never logged" in md
    assert "one of: `page_view`" in contract_markdown(EVENTS)
    assert contracts_markdown().count("| column | type | required | rules | description |") == 4


# ---------------------------------------------------------------------------------------------- references


def test_references_pass_when_all_ids_are_known():
    check_references(_events(), pd.Series(_ids(3)), source="events.csv")


def test_events_for_unknown_leads():
    events = _events(lead_ids=["L0000001", "L0000404", "L0000002", "L0000404", "L0000500"])
    with pytest.raises(ContractError) as info:
        check_references(events, pd.Series(_ids(3)), source="events.parquet")
    assert str(info.value) == (
        "events.parquet: column 'lead_id': 3 rows refer to ids missing from leads; first ids: L0000404, L0000500"
    )


def test_single_unknown_reference_uses_the_singular():
    with pytest.raises(ContractError) as info:
        check_references(_events(lead_ids=["L0000001", "X1"]), pd.Series(["L0000001"]), source="events.csv")
    assert str(info.value) == "events.csv: column 'lead_id': 1 row refers to ids missing from leads; first ids: X1"


def test_many_unknown_references_are_truncated():
    conv = pd.DataFrame({"lead_id": [f"X{i}" for i in range(8)]})
    with pytest.raises(ContractError) as info:
        check_references(conv, pd.Series(_ids(3)), source="conversions.csv")
    assert str(info.value) == (
        "conversions.csv: column 'lead_id': 8 rows refer to ids missing from leads; "
        "first ids: X0, X1, X2, X3, X4 (+3 more)"
    )


def test_references_work_across_categorical_and_string_ids(world):
    check_references(world.events, world.leads["lead_id"], source="events.parquet")
    leads = validate(world.leads, LEADS)
    events = validate(world.events, EVENTS)
    check_references(events, leads["lead_id"], source="events.parquet")
    with pytest.raises(ContractError, match=r"^events\.parquet: column 'lead_id': \d+ rows refer to ids missing"):
        check_references(events, leads["lead_id"].iloc[1:], source="events.parquet")


# ---------------------------------------------------------------------------------------------- properties


def _expected_ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:5])
    return shown + (f" (+{len(ids) - 5} more)" if len(ids) > 5 else "")


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(min_value=1, max_value=30))
def test_nulled_created_at_rows_are_counted_and_named_exactly(data, n):
    nulled = sorted(data.draw(st.sets(st.integers(min_value=0, max_value=n - 1), min_size=1)))
    created = [None if i in nulled else f"2024-02-{1 + i % 28:02d} 08:00" for i in range(n)]
    bad_ids = [_ids(n)[i] for i in nulled]
    k = len(nulled)
    rows = "1 row has" if k == 1 else f"{k} rows have"
    assert _error(_leads(n, created_at=created), LEADS, "leads.parquet") == (
        f"leads.parquet: column 'created_at': {rows} missing values in a required column; "
        f"first ids: {_expected_ids(bad_ids)}"
    )


ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=2)),
        timezone(-timedelta(hours=5, minutes=30)),
        timezone(timedelta(hours=14)),
    ]
)
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=ZONES)
CASINGS = st.sampled_from([str.lower, str.upper, str.title, lambda s: f" {s}", lambda s: f"{s}\t"])


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(MOMENTS, st.sampled_from(EVENT_TYPES), CASINGS), min_size=1, max_size=25),
    as_text=st.booleans(),
)
def test_random_valid_events_validate_to_the_same_utc_instants(rows, as_text):
    moments = [m for m, _, _ in rows]
    ts = [m.isoformat() for m in moments] if as_text else pd.Series(moments, dtype=object)
    df = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(len(rows))],
            "ts": ts,
            "event_type": [case(e) for _, e, case in rows],
        }
    )
    out = validate(df, EVENTS, source="events.csv")
    assert str(out["ts"].dt.tz) == "UTC"
    assert out["ts"].tolist() == [pd.Timestamp(m).tz_convert("UTC") for m in moments]
    assert out["event_type"].tolist() == [e for _, e, _ in rows]


def test_checking_many_number_columns_at_once_finds_what_checking_each_column_finds():
    """``check_number_columns`` (one request, many columns) against ``check_values`` column by column."""
    from predictive_leads.data.contracts import COUNT, FLAG, ValueRule, check_number_columns, check_values

    rng = np.random.default_rng(7)
    cells = np.array([np.nan, np.inf, -np.inf, -3.0, 0.0, 1.0, 0.5, 2.0, 4.0, 7.25, 1e9, 2e9, 2.0**60, 1e30])
    rules = [COUNT, FLAG, ValueRule(), ValueRule(low=1, high=5), ValueRule(whole=True, low=0),
             ValueRule(finite=False, high=10), ValueRule(required=True)]  # fmt: skip
    frame = pd.DataFrame({f"c{j}": rng.choice(cells, 400) for j in range(len(rules))})
    frame["c1"] = frame["c1"].where(frame["c1"].isin([0.0, 1.0, np.nan, 2.0]), 1.0)
    values, codes, texts = check_number_columns(frame, rules)
    for j, rule in enumerate(rules):
        parsed, problems = check_values(frame[f"c{j}"], rule)
        assert list(np.asarray(texts, dtype=object)[codes[:, j]]) == list(problems.text()), rule
        expected = parsed.astype("Float64").astype(float).to_numpy() if rule.kind == "flag" else parsed.to_numpy()
        np.testing.assert_array_equal(values[:, j], expected)


NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(width=32).map(lambda x: f"{x:.6g}"),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["-0", "-00", "+0", "-0.0", "0.0", ".5", "5.", "1e5", "1E-5", "inf", "-Infinity", "NaN", "nan",
                     "1_000", "0x10", "1,5", " 5", "5 ", "", "-", ".", "1e", "abc", "１２", "٣", "1e400", "4.9e-325"]),
    st.text(alphabet="0123456789.-+eE ", max_size=8),
    st.none(),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(NUMBER_TEXT, max_size=20))
def test_text_numbers_read_text_exactly_as_pandas_does(texts):
    """The fast Arrow reading of numbers in text (a CSV batch) finds the numbers pandas finds, whatever the text, with
    pandas' value to the bit or the correctly rounded one (Python's ``float``): pandas 3.0's parser can be one unit
    in the last place off. A zero may differ in sign (pandas reads "-0" as 0 or -0.0 depending on the column)."""
    from predictive_leads.data.contracts import text_numbers

    def correctly_rounded(t):
        try:
            return float(t)
        except (TypeError, ValueError):
            return np.nan

    text = pd.Series(texts, dtype="string")
    expected = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy()
    got = text_numbers(text)
    assert got.dtype == np.float64
    same = (got.view(np.int64) == expected.view(np.int64)) | (got == 0) & (expected == 0)
    same |= np.isnan(got) & np.isnan(expected)
    same |= ~np.isnan(expected) & (got == np.array([correctly_rounded(t) for t in texts], dtype=float))
    assert same.all(), [t for t, ok in zip(texts, same, strict=True) if not ok]


def test_text_numbers_takes_the_fast_path_for_plain_numbers(monkeypatch):
    """A column of plain numbers (and missing values) never reaches pandas' slow parser; other text does."""
    from predictive_leads.data import contracts

    calls = []
    real = pd.to_numeric
    monkeypatch.setattr(contracts.pd, "to_numeric", lambda *a, **k: calls.append(1) or real(*a, **k))
    fast = contracts.text_numbers(pd.Series(["1", "-0", "2.5e3", None, "-7"], dtype="string"))
    assert calls == [] and fast.tolist()[:3] == [1.0, 0.0, 2500.0]
    contracts.text_numbers(pd.Series(["1", "one"], dtype="string"))
    assert calls == [1]
