"""Flat CRM exports: targets, placeholders, typing, delimiters, one row per id, personal data and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predictive_leads.data.flat_export import (
    DEFAULT_PLACEHOLDERS,
    DuplicateIdError,
    FlatData,
    UnknownColumnError,
    parse_target,
    prepare_flat_frame,
    read_flat_export,
    type_column,
)
from predictive_leads.data.personal_data import personal_columns, personal_kind

ROOT = Path(__file__).resolve().parents[2]
X_EDUCATION = ROOT / "../shared/datasets/x_education/Leads.csv"


def _write(path: Path, text: str, *, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


# ---------------------------------------------------------------------------------------------- targets


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Yes", "no", " YES ", "No"], [1, 0, 1, 0]),
        (["true", "FALSE", "True", "false"], [1, 0, 1, 0]),
        (["1", "0", "1", "0"], [1, 0, 1, 0]),
        (["y", "N", "Y", "n"], [1, 0, 1, 0]),
        (["Converted", "not converted", "CONVERTED", "Not Converted"], [1, 0, 1, 0]),
        ([1, 0, 1, 0], [1, 0, 1, 0]),
        ([1.0, 0.0, 1.0, 0.0], [1, 0, 1, 0]),
        ([True, False, True, False], [1, 0, 1, 0]),
    ],
)
def test_target_spellings(values, expected):
    y = parse_target(pd.Series(values))
    assert y.dtype == np.int64 and y.tolist() == expected


def test_positive_label_makes_every_other_value_negative():
    stage = pd.Series(["Closed Won", "Closed Lost", "closed won ", "Open"])
    assert parse_target(stage, positive_label="Closed Won").tolist() == [1, 0, 1, 0]


def test_one_class_is_an_error():
    with pytest.raises(ValueError, match=r"^f\.csv: column 'won': every row is negative \(no value equals"):
        parse_target(pd.Series(["a", "b"]), positive_label="c", source="f.csv", column="won")


def test_bad_target_rows_name_file_column_and_ids(tmp_path):
    path = _write(tmp_path / "export.csv", "Lead Id,Converted,Score\nA1,yes,3\nA2,maybe,4\nA3,,5\nA4,no,6\nA5,N/A,1\n")
    with pytest.raises(ValueError) as err:
        read_flat_export(path, target="Converted", id_col="Lead Id")
    assert str(err.value) == (
        "export.csv: column 'Converted': 3 rows have no usable target (2 missing; 1 unrecognised ('maybe')); "
        "expected yes/no, true/false, 1/0, y/n or converted/not converted; first ids: A2, A3, A5"
    )


def test_bad_target_rows_without_id_column_name_row_numbers():
    df = pd.DataFrame({"Converted": ["yes", "no", "2", "yes"], "x": [1, 2, 3, 4]})
    with pytest.raises(ValueError) as err:
        prepare_flat_frame(df, target="Converted", source="crm")
    assert str(err.value) == (
        "crm: column 'Converted': 1 row has no usable target (1 unrecognised ('2')); "
        "expected yes/no, true/false, 1/0, y/n or converted/not converted; first ids: row 3"
    )


# ---------------------------------------------------------------------------------------------- columns


def test_unknown_column_lists_close_matches():
    df = pd.DataFrame({"Converted": ["yes", "no"], "Lead Source": ["a", "b"], "Prospect ID": ["p", "q"]})
    with pytest.raises(UnknownColumnError) as err:
        prepare_flat_frame(df, target="converted ", source="leads.csv")
    assert str(err.value) == "leads.csv: no column 'converted ' (target); did you mean 'Converted'?"
    with pytest.raises(
        ValueError, match=r"^leads\.csv: no column 'Prospect Id' \(id_col\); did you mean 'Prospect ID'"
    ):
        prepare_flat_frame(df, target="Converted", id_col="Prospect Id", source="leads.csv")
    with pytest.raises(ValueError, match=r"no column 'zzz' \(drop\); no close match among 3 columns: Converted, Lead"):
        prepare_flat_frame(df, target="Converted", drop=["zzz"], source="leads.csv")


def test_roles_are_taken_out_of_X_and_the_caller_frame_is_untouched():
    df = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "Converted": ["1", "0", "1", "0"],
            "created": ["2024-01-05 10:00", "2024-01-06T00:00:00+02:00", "2024-02-01", None],
            "email": ["x@y", "z@w", "u@v", "s@t"],
            "visits": ["3", "", "5", "1"],
        }
    )
    before = df.copy()
    data = prepare_flat_frame(df, target="Converted", id_col="id", time_col="created", drop=["email"])
    assert isinstance(data, FlatData)
    pd.testing.assert_frame_equal(df, before)
    assert list(data.X.columns) == ["visits"]
    assert data.ids.tolist() == ["a", "b", "c", "d"]
    assert str(data.time.dtype).endswith("UTC]")
    assert data.time.iloc[1] == pd.Timestamp("2024-01-05T22:00", tz="UTC")
    assert pd.isna(data.time.iloc[3])
    assert any("dropped on request: email" in n for n in data.notes)


def test_unparsable_time_is_a_one_line_error():
    df = pd.DataFrame({"id": ["a", "b"], "y": ["yes", "no"], "t": ["2024-01-01", "soon"]})
    with pytest.raises(ValueError) as err:
        prepare_flat_frame(df, target="y", id_col="id", time_col="t", source="f.csv")
    assert str(err.value) == "f.csv: column 't': 1 row has unparsable timestamps; first ids: b"


# ---------------------------------------------------------------------------------------------- placeholders, types


def test_placeholders_read_as_missing_and_are_counted():
    df = pd.DataFrame(
        {
            "y": ["yes", "no", "yes", "no", "no"],
            "city": ["Select", "Pune", " n/a ", "UNKNOWN", ""],
            "spec": ["Finance", "Select", "HR", "HR", "Finance"],
        }
    )
    data = prepare_flat_frame(df, target="y")
    assert data.X["city"].isna().tolist() == [True, False, True, True, True]
    assert data.X["spec"].isna().sum() == 1
    assert "placeholders read as missing: city (3), spec (1)" in data.notes
    custom = prepare_flat_frame(df, target="y", placeholders=("",))
    assert custom.X["city"].isna().sum() == 1 and "Select" in set(custom.X["city"].dropna())
    assert {"select", "n/a", "unknown", ""} <= set(DEFAULT_PLACEHOLDERS)


def test_column_types():
    assert type_column(pd.Series(["1", "2.5", None, " 3 "], dtype="string")).dtype == "float64"
    assert type_column(pd.Series(["1", "2", "3"], dtype="string")).dtype == "int64"
    assert type_column(pd.Series(["02134", "10001", "02139"], dtype="string")).dtype != "float64"
    assert isinstance(type_column(pd.Series(["a", "b", "a", "a"] * 5, dtype="string")).dtype, pd.CategoricalDtype)
    free_text = type_column(pd.Series([f"note {i}" for i in range(300)], dtype="string"))
    assert pd.api.types.is_string_dtype(free_text.dtype)
    numbers = pd.Series([1.5, 2.5])
    assert type_column(numbers) is numbers


# ---------------------------------------------------------------------------------------------- files


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolon.csv"), ("\t", "tab.csv"), (",", "comma.csv")])
def test_delimiter_bom_and_crlf(tmp_path, sep, name):
    rows = [["Lead Id", "Converted", "Visits", "Source"]] + [
        [f"L{i}", "Yes" if i % 3 == 0 else "No", str(i), "web" if i % 2 else "event"] for i in range(12)
    ]
    path = _write(tmp_path / name, "\r\n".join(sep.join(r) for r in rows) + "\r\n", bom=True)
    data = read_flat_export(path, target="Converted", id_col="Lead Id")
    assert list(data.X.columns) == ["Visits", "Source"]
    assert data.ids.iloc[0] == "L0" and data.y.sum() == 4
    assert data.X["Visits"].dtype == "int64" and isinstance(data.X["Source"].dtype, pd.CategoricalDtype)
    assert data.X["Source"].iloc[0] == "event"  # no trailing carriage return
    assert data.source == name and f"delimiter {sep!r}" in data.notes[0]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_flat_export(tmp_path / "nope.csv", target="y")


@pytest.mark.skipif(not X_EDUCATION.exists(), reason="X Education lead file not available")
def test_x_education_reads_typed():
    data = read_flat_export(X_EDUCATION, target="Converted", id_col="Prospect ID")
    assert data.X.shape == (9240, 35) and int(data.y.sum()) == 3561
    assert data.ids.is_unique and "Converted" not in data.X and "Prospect ID" not in data.X
    for col in ("Specialization", "How did you hear about X Education", "Lead Profile", "City"):
        assert "Select" not in set(data.X[col].dropna().astype(str)), col
    assert data.X["Lead Number"].dtype == "int64"
    assert data.X["TotalVisits"].dtype == "float64"
    assert isinstance(data.X["Tags"].dtype, pd.CategoricalDtype)
    assert data.personal == {} and not any("personal" in note for note in data.notes)  # no names, emails, phones


# ---------------------------------------------------------------------------------------------- one row per id


def test_exact_copies_are_collapsed_and_missing_ids_reported():
    df = pd.DataFrame({"id": ["a", "b", " a", None, "b", None], "y": ["yes", "no", "yes", "yes", "no", "yes"],
                       "x": ["1", "2", "1", "3", "2", "3"]})  # fmt: skip
    data = prepare_flat_frame(df, target="y", id_col="id")
    assert data.ids.tolist()[:2] == ["a", "b"] and len(data.ids) == 4  # rows without an id are never merged
    assert "id column 'id': 2 rows without an id" in data.notes
    assert "id column 'id': 2 rows were exact copies of another row (same id, same values), collapsed: a, b" in (
        data.notes)  # fmt: skip


def test_an_id_on_rows_that_differ_is_an_error_unless_a_rule_picks_the_row():
    df = pd.DataFrame({"id": ["a", "b", "a", "c", "b", "a"], "y": ["yes", "no", "no", "yes", "no", "no"],
                       "x": [1, 2, 3, 4, 2, 5]})  # fmt: skip
    with pytest.raises(DuplicateIdError) as err:
        prepare_flat_frame(df, target="y", id_col="id", source="crm.csv")
    assert str(err.value) == (
        "crm.csv: id column 'id': 1 id is on several rows that differ; first ids: a; "
        "keep one row per id with --duplicate-ids first|last"
    )
    first = prepare_flat_frame(df, target="y", id_col="id", duplicate_ids="first")
    assert first.ids.tolist() == ["a", "b", "c"] and first.X["x"].tolist() == [1, 2, 4]
    assert "id column 'id': 1 id is on several rows that differ; kept the first row of each (2 dropped): a" in (
        first.notes)  # fmt: skip
    last = prepare_flat_frame(df, target="y", id_col="id", duplicate_ids="last")
    assert last.ids.tolist() == ["c", "b", "a"] and last.X["x"].tolist() == [4, 2, 5] and last.y.tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match="duplicate_ids must be one of error, first, last, not 'any'"):
        prepare_flat_frame(df, target="y", id_col="id", duplicate_ids="any")


def test_no_lead_is_on_both_sides_of_the_split(tmp_path):
    """Every lead of the file three times (as exports joined to activities are): one row each is left, so the
    random split (the one train_model uses without a time column) is grouped by lead."""
    from predictive_leads.evaluation.cold_start import random_split
    from predictive_leads.training.workflow import load_training_frame

    rng = np.random.default_rng(0)
    leads = pd.DataFrame({"Lead": [f"L{i}" for i in range(400)], "Visits": rng.poisson(3, 400),
                          "Won": rng.choice(["Yes", "No"], 400)})  # fmt: skip
    pd.concat([leads] * 3).sample(frac=1, random_state=0).to_csv(tmp_path / "copies.csv", index=False)
    frame, roles = load_training_frame(tmp_path / "copies.csv", target="Won", flat_export=True, id_col="Lead")
    ids = frame[roles["id_col"]]
    assert ids.is_unique and len(frame) == 400
    assert any("800 rows were exact copies" in note for note in roles["data_notes"])
    train, test = random_split(frame[roles["target"]].to_numpy(), test_fraction=0.2, seed=0)
    assert not set(ids.iloc[train]) & set(ids.iloc[test])
    leads.assign(Visits=leads["Visits"] + 1).iloc[:5].to_csv(tmp_path / "later.csv", index=False, header=False)
    with open(tmp_path / "copies.csv", "a") as f, open(tmp_path / "later.csv") as later:
        f.write(later.read())  # five leads again with another visit count: which row is right is the user's call
    with pytest.raises(DuplicateIdError, match=r"^copies\.csv: id column 'Lead': 5 ids are on several rows"):
        load_training_frame(tmp_path / "copies.csv", target="Won", flat_export=True, id_col="Lead")


# ---------------------------------------------------------------------------------------------- personal data


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["anna.berg@example.com", "Joe <joe@mail.example.org>", "x_y@firma.de", None], "emails"),
        (
            ["+49 151 2345 6789", "(555) 123-4567", "555.123.4567", "030/1234567", "0301234567", "9876543210"],
            "phone numbers",
        ),
        (["Maria Garcia", "Dr. John Smith", "JOSÉ", "Søren", "Łukasz K.", "Min-jun Kim", "Сергей"], "person names"),
        ([f"Please call me back on Tuesday about offer {i}" for i in range(30)], "free text"),
        ([f"{i} Main Street, Springfield" for i in range(40)], "free text"),
        ([str(660737 - i) for i in range(50)], None),  # X Education's 6-digit lead numbers
        (["12345678", "1 234 567", "1.234.567", "1234567.50", "-7654321", "0000012345"], None),  # amounts, codes
        (["2024-01-05", "05/01/2024", "192.168.1.10"], None),  # dates, an IP address
        (["India", "United States", "Singapore", "India"], None),
        (["Will revert after reading the email", "Ringing", "Interested in other courses"] * 30, None),  # tags
        (["James", "James", "Maria"] + ["Google"] * 7, None),  # names, but not most values
        (["June", "May", "April", "August"], None),  # months are not names
    ],
)
def test_personal_kind_reads_the_values(values, kind):
    assert personal_kind(pd.Series(values, dtype="string")) == kind


def test_numbers_and_flags_are_not_personal():
    assert personal_kind(pd.Series(range(100_000, 109_240))) is None  # counts, ids, amounts
    assert personal_kind(pd.Series(np.linspace(0, 1e9, 50))) is None  # floats are never read
    assert personal_kind(pd.Series([True, False] * 10)) is None
    ten_digits = pd.Series([9_876_543_210 + 7919 * i for i in range(50)])
    assert personal_kind(ten_digits) == "phone numbers"  # as Indian mobiles are written: declare such ids safe
    assert personal_kind(pd.Series([None, None], dtype="string")) is None
    assert personal_columns(pd.DataFrame({"a": ["x@y.io"], "b": [1]})) == {"a": "emails"}


def test_personal_columns_are_left_out_unless_declared_safe():
    n = 60
    df = pd.DataFrame({
        "id": [f"L{i}" for i in range(n)],
        "won": ["yes", "no", "no"] * (n // 3),
        "Prénom": (["Anna", "Lars", "Priya", "Kenji", "Fatima", "Pierre"] * n)[:n],
        "Kontakt": [f"lead{i}@example.com" for i in range(n)],
        "Source": ["web", "event"] * (n // 2),
    })  # fmt: skip
    data = prepare_flat_frame(df, target="won", id_col="id")
    assert list(data.X.columns) == ["Source"]
    assert data.personal == {"Prénom": "person names", "Kontakt": "emails"}
    assert (
        "personal data left out (never a feature, never stored): Prénom (person names), Kontakt (emails); "
        "if one is not personal, use it with --safe-column COL"
    ) in data.notes
    assert not any("Anna" in note or "example.com" in note for note in data.notes)
    safe = prepare_flat_frame(df, target="won", id_col="id", safe_columns=["Prénom"])
    assert list(safe.X.columns) == ["Prénom", "Source"]
    assert "declared safe, used although they look personal: Prénom (person names)" in safe.notes
    with pytest.raises(UnknownColumnError, match=r"no column 'Prenom' \(safe_columns\); did you mean 'Prénom'"):
        prepare_flat_frame(df, target="won", id_col="id", safe_columns=["Prenom"])


def test_an_id_column_of_emails_is_never_quoted():
    df = pd.DataFrame({"email": ["a@x.io", "b@x.io", "c@x.io", "a@x.io"], "y": ["yes", "no", "maybe", "no"]})
    with pytest.raises(ValueError) as err:
        prepare_flat_frame(df, target="y", id_col="email", duplicate_ids="first")
    assert "first ids: row 3" in str(err.value) and "@" not in str(err.value)
    notes = prepare_flat_frame(df.assign(y=["yes", "no", "yes", "no"]), target="y", id_col="email",
                               duplicate_ids="last").notes  # fmt: skip
    assert "id column 'email' holds emails: messages name rows, not ids" in notes
    assert not any("@" in note for note in notes)


def test_the_synthetic_export_carries_a_leak_that_the_audit_finds_from_the_data():
    from predictive_leads.evaluation.leakage_audit import apply_audit, leakage_audit
    from predictive_leads.synth import generate_world
    from predictive_leads.synth.flat_export import synthetic_export

    export = synthetic_export(generate_world(n_leads=4000, seed=5))
    assert export["lead_id"].is_unique and not export.attrs and export["converted"].sum() >= 40
    assert export.loc[export["converted"] == 0, "deal_value"].isna().all()  # filled in only once a deal closed
    X = export.drop(columns=["lead_id", "converted"])
    _, dropped = apply_audit(X, leakage_audit(X, export["converted"].to_numpy()))
    assert "deal_value" in dropped


# ------------------------------------------------------------------------------------------ the fuzz layer (#21)

FUZZ_VALUES = st.sampled_from([None, "", " ", "inf", "-inf", "nan", "1e19", "-1", "Select", "yes", "maybe", "2",
                               "😀", "\x00", "9" * 40, "1,5", "0012"])  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_fuzz_a_flat_export_is_read_typed_or_refused_in_one_line(data):
    frame = pd.DataFrame({"id": [f"L{i}" for i in range(12)], "visits": [str(i % 5) for i in range(12)],
                          "source": ["ads", "web", "event"] * 4, "converted": ["yes", "no"] * 6})  # fmt: skip
    for _ in range(data.draw(st.integers(1, 8))):
        row, column = data.draw(st.integers(0, 11)), data.draw(st.sampled_from(list(frame.columns)))
        frame.loc[row, column] = data.draw(FUZZ_VALUES)
    try:
        flat = prepare_flat_frame(frame, target="converted", id_col="id", source="export.csv")
    except ValueError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(("export.csv: ", "export.csv"))
        return
    assert len(flat.X) == len(flat.y) == len(flat.ids) <= len(frame)
    numbers = flat.X.select_dtypes("number").to_numpy(dtype="float64", na_value=np.nan)
    assert not np.isinf(numbers).any(), "a non-finite number never reaches the model"


def test_a_non_finite_number_and_a_header_only_export_are_one_line_errors():
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "visits": ["1.5", "inf", "2", "3"], "converted": [1, 0, 0, 1]})
    with pytest.raises(
        ValueError, match=r"^x\.csv: column 'visits': 1 row has a value that is not a finite number; first ids: b$"
    ):
        prepare_flat_frame(frame, target="converted", id_col="id", source="x.csv")
    with pytest.raises(ValueError, match=r"^x\.csv: no rows \(only a header\): nothing to train on$"):
        prepare_flat_frame(frame.iloc[:0], target="converted", id_col="id", source="x.csv")


def test_text_too_varied_for_a_category_is_left_out_like_personal_data():
    rng = np.random.default_rng(0)
    surnames = [f"Surn{chr(65 + i % 26)}{chr(97 + i // 26 % 26)}ovic" for i in range(900)]  # no given name among them
    frame = pd.DataFrame({"id": [f"L{i}" for i in range(2000)], "visits": rng.integers(0, 5, 2000).astype(str),
                          "Nachname": rng.choice(surnames, 2000),
                          "converted": rng.choice(["yes", "no"], 2000)})  # fmt: skip
    flat = prepare_flat_frame(frame, target="converted", id_col="id")
    assert list(flat.X.columns) == ["visits"] and "Nachname" in flat.personal
    assert any("Nachname (text with too many distinct values" in note for note in flat.notes)
    assert not any(s in note for note in flat.notes for s in surnames)
    declared = prepare_flat_frame(frame, target="converted", id_col="id", safe_columns=("Nachname",))
    assert "Nachname" in declared.X.columns


def test_a_few_rows_lose_their_placeholders_as_a_whole_file_does():
    """The plain-Python path for a served row or a few reads placeholders exactly as the column path of a file."""
    from predictive_leads.data.contracts import SMALL_ROWS
    from predictive_leads.data.flat_export import blank_placeholders

    cells = [" Select ", "select", "", "  ", None, float("nan"), "Google", " Referral ", 5, 2.5, "N/A", pd.NA]
    frame = pd.DataFrame({"a": pd.Series(cells, dtype=object), "b": pd.Series(cells[::-1], dtype=object)})
    many = pd.concat([frame] * (SMALL_ROWS // len(frame) + 1), ignore_index=True)
    few_out, few_counts = blank_placeholders(frame, DEFAULT_PLACEHOLDERS, skip=set())
    many_out, many_counts = blank_placeholders(many, DEFAULT_PLACEHOLDERS, skip=set())
    pd.testing.assert_frame_equal(few_out, many_out.head(len(frame)))
    assert {c: n * (SMALL_ROWS // len(frame) + 1) for c, n in few_counts.items()} == many_counts
