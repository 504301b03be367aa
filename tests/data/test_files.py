"""File I/O: round trips through the contracts, atomic and deterministic writes, delimiters, data folders."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from predictive_leads.data import files as io
from predictive_leads.data.contracts import CONVERSIONS, EVENTS, LEADS, TRUTH, ContractError, validate
from predictive_leads.synth import generate_world, read_world, write_world
from predictive_leads.synth.world_files import TABLES


@pytest.fixture(scope="module")
def world():
    return generate_world(n_leads=300, seed=1)


def _leads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": ["L0000001", "L0000002", "L0000003"],
            "created_at": pd.to_datetime(
                ["2024-01-01 10:00", "2024-01-02 11:30:15.123", "2024-01-03"], utc=True, format="ISO8601"
            ),
            "email": ["ann@acme.com", None, "bo@x.io"],
            "employees": [12.0, np.nan, 0.0],
            "job_title": ["VP, Sales; EMEA", 'Says "hi"', "Ünïcode ✓"],
        }
    )


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": ["L0000001", "L0000001", "L0000003"],
            "ts": pd.to_datetime(["2024-01-05 09:00", "2024-01-06 09:00", "2024-01-07 09:00"], utc=True),
            "event_type": ["page_view", "email_open", "demo_request"],
            "url": ["/pricing", None, "/demo"],
        }
    )


def _conversions() -> pd.DataFrame:
    return pd.DataFrame(
        {"lead_id": ["L0000003"], "converted_at": pd.to_datetime(["2024-02-01"], utc=True), "deal_value": [5000.0]}
    )


def _blank_strings_to_na(df: pd.DataFrame) -> pd.DataFrame:
    """CSV cannot tell an empty string from a missing value; both read back as missing."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].mask(out[col] == "")
    return out


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ---------------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_through_the_contract(tmp_path, suffix):
    df = _leads()
    path = io.write_table(df, tmp_path / f"leads{suffix}")
    assert path == tmp_path / f"leads{suffix}"
    back = io.read_table(path, LEADS)
    pd.testing.assert_frame_equal(back, validate(df, LEADS))
    assert str(back["created_at"].dt.tz) == "UTC"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize(("name", "contract"), [("leads", LEADS), ("events", EVENTS), ("conversions", CONVERSIONS)])
def test_generated_tables_round_trip(world, tmp_path, suffix, name, contract):
    frame = getattr(world, name)
    back = io.read_table(io.write_table(frame, tmp_path / f"{name}{suffix}"), contract)
    expected = validate(frame, contract)
    if suffix == ".csv":
        expected = _blank_strings_to_na(expected)
    pd.testing.assert_frame_equal(back, expected)


def test_csv_text_is_iso_utc_with_milliseconds(tmp_path):
    df = pd.DataFrame(
        {
            "lead_id": ["a", "b"],
            "created_at": pd.to_datetime(["2024-01-01 10:00:00.123456", None], utc=True),
            "n": [1.5, None],
        }
    )
    path = io.write_table(df, tmp_path / "t.csv")
    assert path.read_text() == "lead_id,created_at,n\na,2024-01-01T10:00:00.123Z,1.5\nb,,\n"


def test_non_utc_timestamps_are_written_to_csv_as_utc(tmp_path):
    paris = pd.DataFrame(
        {"lead_id": ["a", "b"], "created_at": pd.to_datetime(["2024-01-15 10:00", "2024-07-15 10:00"])}
    )
    paris["created_at"] = paris["created_at"].dt.tz_localize("Europe/Paris")
    path = io.write_table(paris, tmp_path / "leads.csv")
    assert path.read_text().splitlines()[1:] == ["a,2024-01-15T09:00:00.000Z", "b,2024-07-15T08:00:00.000Z"]
    back = io.read_table(path, LEADS)
    assert back["created_at"].tolist() == paris["created_at"].dt.tz_convert("UTC").tolist()


def test_list_columns_are_written_to_csv_as_json(world, tmp_path):
    path = io.write_table(world.truth.head(3), tmp_path / "truth.csv")
    raw = io.read_raw(path)
    assert [json.loads(v) for v in raw["intent_start"]] == [list(v) for v in world.truth["intent_start"].head(3)]
    assert io.read_table(path, TRUTH)["is_bot"].dtype == "boolean"


def test_read_raw_csv_keeps_text_and_only_blanks_are_missing(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("lead_id,created_at,country\nL1,2024-01-01,NA\nL2,2024-01-02,\nL3,2024-01-03,null\n")
    raw = io.read_raw(path)
    assert all(isinstance(dtype, pd.StringDtype) for dtype in raw.dtypes)
    assert raw["country"].tolist()[0] == "NA"
    assert pd.isna(raw.loc[1, "country"])
    assert raw.loc[2, "country"] == "null"


# ---------------------------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize("sep", [";", "\t", "|", ","])
def test_sniff_delimiter(tmp_path, sep):
    path = tmp_path / "events.csv"
    rows = [["lead_id", "ts", "event_type"], ["L1", "2024-01-01 10:00:00", "page_view"], ["L2", "2024-01-02", "x"]]
    path.write_text("".join(sep.join(row) + "\n" for row in rows))
    assert io.sniff_delimiter(path) == sep


def test_sniff_delimiter_ignores_commas_inside_semicolon_separated_text(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("lead_id;job_title;country\nL1;VP, Sales;DE\nL2;Owner;FR\nL3;Head of IT, EMEA;NL\n")
    assert io.sniff_delimiter(path) == ";"
    assert io.read_raw(path)["job_title"].tolist() == ["VP, Sales", "Owner", "Head of IT, EMEA"]


def test_sniff_delimiter_falls_back_to_the_default(tmp_path):
    path = tmp_path / "one_column.csv"
    path.write_text("lead_id\nL1\nL2\n")
    assert io.sniff_delimiter(path) == ","
    assert io.sniff_delimiter(path, default=";") == ";"


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_files_read_through_the_contract(world, tmp_path, sep):
    path = tmp_path / "leads.csv"
    io._csv_ready(world.leads).to_csv(path, sep=sep, index=False)
    assert io.sniff_delimiter(path) == sep
    back = io.read_table(path, LEADS)
    pd.testing.assert_frame_equal(back, _blank_strings_to_na(validate(world.leads, LEADS)))


def test_european_csv_with_decimal_commas_is_rejected_by_column(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("lead_id;created_at;employees\nL1;2024-01-01;1,5\nL2;2024-01-02;3\n")
    with pytest.raises(ContractError) as info:
        io.read_table(path, LEADS)
    assert str(info.value) == "leads.csv: column 'employees': 1 row has a value that is not a number; first ids: L1"


# ---------------------------------------------------------------------------------------------- atomic writes


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_leaves_no_temporary_files(tmp_path, suffix):
    io.write_table(_leads(), tmp_path / f"leads{suffix}")
    io.write_table(_leads(), tmp_path / f"leads{suffix}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"leads{suffix}"]


def test_write_creates_missing_folders(tmp_path):
    path = io.write_table(_leads(), tmp_path / "a" / "b" / "leads.parquet")
    assert path.exists()


def test_failed_parquet_write_creates_nothing(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        Path(args[1]).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(OSError, match="disk full"):
        io.write_table(_leads(), tmp_path / "leads.parquet")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = io.write_table(_leads(), tmp_path / "leads.parquet")
    before = path.read_bytes()

    def killed(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(pq, "write_table", killed)
    with pytest.raises(RuntimeError, match="killed"):
        io.write_table(_leads().head(1), path)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_failed_csv_write_creates_nothing(tmp_path, monkeypatch):
    def boom(self, path, **kwargs):
        Path(path).write_text("lead_id\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(KeyboardInterrupt):
        io.write_table(_leads(), tmp_path / "leads.csv")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_renames_only_on_success(tmp_path):
    target = tmp_path / "out.txt"
    with io.atomic_path(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp != target
        tmp.write_text("done")
        assert not target.exists()
    assert target.read_text() == "done"
    with pytest.raises(ValueError, match="stop"), io.atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise ValueError("stop")
    assert target.read_text() == "done"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_dir_swaps_a_whole_folder_only_on_success(tmp_path):
    target = tmp_path / "model"
    with io.atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("first")
    with pytest.raises(ValueError, match="stop"), io.atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("half")
        raise ValueError("stop")
    assert [p.name for p in target.iterdir()] == ["a.txt"] and (target / "a.txt").read_text() == "first"
    with io.atomic_dir(target) as tmp:
        (tmp / "b.txt").write_text("second")
    assert [p.name for p in target.iterdir()] == ["b.txt"]  # replaced whole, nothing left over
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_written_files_are_readable_by_others(tmp_path):
    path = io.write_table(_leads(), tmp_path / "leads.csv")
    assert path.stat().st_mode & 0o777 == 0o644


# ---------------------------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_same_frame_gives_identical_bytes(world, tmp_path, suffix):
    first = io.write_table(world.events, tmp_path / f"a{suffix}").read_bytes()
    second = io.write_table(world.events, tmp_path / f"a{suffix}").read_bytes()
    third = io.write_table(world.events.copy(), tmp_path / f"b{suffix}").read_bytes()
    assert first == second == third


def test_write_json_is_sorted_and_deterministic(tmp_path):
    path = io.write_json({"b": 1, "a": pd.Timestamp("2024-01-01", tz="UTC")}, tmp_path / "m.json")
    assert path.read_text() == '{\n  "a": "2024-01-01 00:00:00+00:00",\n  "b": 1\n}\n'


def test_sha256_of_matches_hashlib(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc" * 1000)
    assert io.sha256_of(path) == hashlib.sha256(b"abc" * 1000).hexdigest()


# ---------------------------------------------------------------------------------------------- unreadable input


def test_unsupported_output_suffix(tmp_path):
    with pytest.raises(ValueError) as info:
        io.write_table(_leads(), tmp_path / "leads.xlsx")
    assert str(info.value) == "leads.xlsx: unsupported output type '.xlsx'; use .parquet or .csv"
    assert list(tmp_path.iterdir()) == []


def test_unsupported_input_suffix(tmp_path):
    path = tmp_path / "leads.json"
    path.write_text("[]")
    with pytest.raises(ContractError) as info:
        io.read_raw(path)
    assert str(info.value) == "leads.json: unsupported file type '.json'; use .parquet or .csv"


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        io.read_raw(tmp_path / "leads.csv")


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "leads.parquet"
    path.write_bytes(b"this is not parquet")
    with pytest.raises(ContractError, match=r"^leads\.parquet: not a readable Parquet file \("):
        io.read_raw(path)


@pytest.mark.parametrize(
    "content", [b"", b"lead_id,created_at\n\xff\xfe\x00bad,1\n", b'lead_id,created_at\n"L1,2024-01-01\n']
)
def test_unreadable_csv(tmp_path, content):
    path = tmp_path / "leads.csv"
    path.write_bytes(content)
    with pytest.raises(ContractError) as info:
        io.read_raw(path)
    assert str(info.value).startswith("leads.csv: not a readable CSV file (")
    assert "\n" not in str(info.value)


def test_read_table_names_the_file(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("lead_id,created_at\nL0000001,2024-01-01\nL0000002,someday\n")
    with pytest.raises(ContractError) as info:
        io.read_table(path, LEADS)
    assert str(info.value) == "leads.csv: column 'created_at': 1 row has unparsable timestamps; first ids: L0000002"


def test_mixed_zones_in_a_csv_file(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "lead_id,ts,event_type\n"
        "L1,2024-01-01 10:00:00,page_view\n"
        "L2,2024-01-01T10:00:00+02:00,page_view\n"
        "L3,2024-01-01 11:00:00,page_view\n"
    )
    with pytest.raises(ContractError) as info:
        io.read_table(path, EVENTS)
    assert str(info.value) == (
        "events.csv: column 'ts': 1 row has a time zone while the others are naive (mixed); first ids: L2"
    )


# ---------------------------------------------------------------------------------------------- data folders


def _write_folder(folder: Path, events: pd.DataFrame | None = None, conversions: pd.DataFrame | None = None) -> Path:
    io.write_table(_leads(), folder / "leads.csv")
    io.write_table(_events() if events is None else events, folder / "events.parquet")
    io.write_table(_conversions() if conversions is None else conversions, folder / "conversions.csv")
    return folder


def test_read_lead_data_passes_on_a_good_folder(tmp_path):
    tables = io.read_lead_data(_write_folder(tmp_path))
    assert set(tables) == {"leads", "events", "conversions"}
    pd.testing.assert_frame_equal(tables["leads"], validate(_leads(), LEADS))
    pd.testing.assert_frame_equal(tables["events"], validate(_events(), EVENTS))
    pd.testing.assert_frame_equal(tables["conversions"], validate(_conversions(), CONVERSIONS))


def test_read_lead_data_rejects_events_for_unknown_leads(tmp_path):
    events = _events()
    events.loc[1, "lead_id"] = "L0000404"
    with pytest.raises(ContractError) as info:
        io.read_lead_data(_write_folder(tmp_path, events=events))
    assert str(info.value) == (
        "events.parquet: column 'lead_id': 1 row refers to ids missing from leads; first ids: L0000404"
    )


def test_read_lead_data_rejects_conversions_for_unknown_leads(tmp_path):
    conversions = pd.concat([_conversions(), _conversions().assign(lead_id="L0000999")], ignore_index=True)
    with pytest.raises(ContractError) as info:
        io.read_lead_data(_write_folder(tmp_path, conversions=conversions))
    assert str(info.value) == (
        "conversions.csv: column 'lead_id': 1 row refers to ids missing from leads; first ids: L0000999"
    )


def test_read_lead_data_reports_table_errors_by_file(tmp_path):
    events = _events()
    events["event_type"] = ["page_view", "teleport", "page_view"]
    with pytest.raises(ContractError) as info:
        io.read_lead_data(_write_folder(tmp_path, events=events))
    assert str(info.value).startswith(
        "events.parquet: column 'event_type': 1 row has values not in the allowed set (teleport); allowed: page_view, "
    )


def test_find_table_prefers_parquet(tmp_path):
    io.write_table(_leads(), tmp_path / "leads.csv")
    assert io.find_table(tmp_path, "leads") == tmp_path / "leads.csv"
    io.write_table(_leads(), tmp_path / "leads.parquet")
    assert io.find_table(tmp_path, "leads") == tmp_path / "leads.parquet"
    with pytest.raises(FileNotFoundError, match=r"no events\.parquet or events\.csv"):
        io.find_table(tmp_path, "events")


def test_world_round_trip_with_manifest(world, tmp_path):
    seen: list[str] = []
    out = write_world(world, tmp_path / "world", csv=True, on_file=seen.append)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([*(f"{t}{s}" for t in TABLES for s in (".parquet", ".csv")), io.MANIFEST])
    assert len(seen) == 8
    manifest = io.read_manifest(out)
    assert manifest["kind"] == "synthetic"
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == io.sha256_of(out / name)
    back = read_world(out)
    assert back.meta == world.meta
    pd.testing.assert_frame_equal(back.leads, validate(world.leads, LEADS))
    pd.testing.assert_frame_equal(back.events, validate(world.events, EVENTS))
    assert back.truth["lead_id"].tolist() == world.truth["lead_id"].tolist()


def test_read_world_refuses_a_plain_data_folder(tmp_path):
    _write_folder(tmp_path)
    assert io.read_manifest(tmp_path) == {}
    with pytest.raises(ContractError, match="not a generated world"):
        read_world(tmp_path)


def test_exported_at_is_the_manifest_date_else_the_midnight_after_the_last_event(world, tmp_path):
    out = write_world(world, tmp_path / "world")
    assert io.exported_at(out, world.events) == pd.Timestamp(world.meta["observed_until"])
    _write_folder(tmp_path / "plain")
    events = io.read_lead_data(tmp_path / "plain")["events"]
    last = events["ts"].max()
    assert io.exported_at(tmp_path / "plain", events) == last.normalize() + pd.Timedelta(days=1) > last
