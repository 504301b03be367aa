"""CRM import frames: the documented columns, text fitted to its field, missing values empty, mappings, and the
schema check that names columns and rows but never values."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

from predictive_leads.ops.crm_export import (
    CRM_TARGETS,
    check_crm_frame,
    crm_fields,
    load_mapping,
    renamed,
    to_crm,
)

ID = "Prospect ID"
LONG_REASON = "+12 pts: " + " ".join(f"Visited the pricing page {n} times in the last 30 days;" for n in range(40))
CODES = [f"PRICING_PAGE_VIEW_UP_IN_THE_LAST_THIRTY_DAYS_FROM_SEGMENT_{n}" for n in range(5)]  # 5 × 60 characters
OPTIONAL = ("rule_score", "score_change", "previous_stage", "stage_reason", "momentum")
REASON_FIELD = {"salesforce": "PL_Reason_1__c", "hubspot": "pl_reason_1"}
CODES_FIELD = {"salesforce": "PL_Reason_Codes__c", "hubspot": "pl_reason_codes"}
STAGE_FIELD = {"salesforce": "PL_Stage__c", "hubspot": "pl_stage"}
TIME_FIELD = {"salesforce": "PL_Scored_At__c", "hubspot": "pl_scored_at"}


def _scores(optional: bool = True) -> pd.DataFrame:
    """Four leads with up to five reasons: a strong one (a 700-character reason, five long codes), a disqualified
    bot, one with no fit or engagement score, and one with a single short reason."""
    assert len(LONG_REASON) > 700
    frame = pd.DataFrame({
        ID: ["00Q000000000001AAA", "00Q000000000002AAA", "00Q000000000003AAA", "00Q000000000004AAA"],
        "probability": [0.8123456, 0.001, 0.35, 0.5],
        "score": [91, 1, 40, 55],
        "points": [742, -31, 120, 260],
        "grade": ["A", "D", "C", "B"],
        "stage": ["SQL", "disqualified", "nurture", "MQL"],
        "heat": ["hot", "disqualified", "cold", "warm"],
        "fit_score": pd.array([88, 5, pd.NA, 60], dtype="Int64"),
        "fit_grade": pd.array(["A", "D", pd.NA, "B"], dtype="string"),
        "engagement_score": pd.array([95, 2, pd.NA, 50], dtype="Int64"),
        "engagement_grade": pd.array(["A", "D", pd.NA, "C"], dtype="string"),
        "rule_score": pd.array([70.5, 3.0, pd.NA, 41.0], dtype="Float64"),
        "disqualification_code": pd.array([pd.NA, "DQ_BOT", pd.NA, pd.NA], dtype="string"),
        "disqualification_reason": pd.array([pd.NA, "bot-like burst of page views", pd.NA, pd.NA], dtype="string"),
        "reason_1": [LONG_REASON, "-40 pts: Bot-like burst of page views", "+5 pts: Works at a 50-person company",
                     "+20 pts: Requested a demo"],
        "reason_2": ["+8 pts: Opened 4 emails", "", "-3 pts: No visit in 60 days", ""],
        "reason_3": ["+2 pts: Came from a webinar", "", "", ""],
        "reason_4": ["+1 pts: Visited the blog", "", "", ""],
        "reason_5": ["+1 pts: Opened a PDF", "", "", ""],
        "reason_code_1": [CODES[0], "DQ_BOT_BURST", "COMPANY_SIZE", "DEMO_REQUEST"],
        "reason_code_2": [CODES[1], "", "RECENCY_DOWN", ""],
        "reason_code_3": [CODES[2], "", "", ""],
        "reason_code_4": [CODES[3], "", "", ""],
        "reason_code_5": [CODES[4], "", "", ""],
        "reasons_json": ['[{"code":"x","text":"secret json"}]'] * 4,
        "previous_score": pd.array([79, 31, pd.NA, 55], dtype="Int64"),  # not an import field
        "score_change": pd.array([12, -30, pd.NA, 0], dtype="Int64"),
        "previous_stage": pd.array(["MQL", "MQL", "new", "MQL"], dtype="string"),
        "stage_reason": pd.array(["", "", "", ""], dtype="string"),
        "momentum": ["heating", "cooling", "new", "steady"],
        "model_name": ["lead-scorer", "lead-scorer", "lead-scorer", "lead-scorer"],
        "model_version": pd.array(["7", "7", "7", pd.NA], dtype="string"),
        "scored_at": pd.Timestamp("2026-03-01 09:15:30.250", tz="UTC"),
    })  # fmt: skip
    return frame if optional else frame.drop(columns=[*OPTIONAL, "previous_score"])


@pytest.fixture
def scores() -> pd.DataFrame:
    return _scores()


def _text_fields(target: str, frame: pd.DataFrame):
    return [f for f in crm_fields(target, top_k=5, optional=OPTIONAL) if f.kind == "text" and f.name in frame]


@pytest.mark.parametrize("target", CRM_TARGETS)
def test_columns_are_the_documented_fields_in_order_and_pass_the_check(scores, target):
    out = to_crm(scores, target, id_col=ID)
    assert list(out.columns) == [f.name for f in crm_fields(target, top_k=5, optional=OPTIONAL)]
    assert len(out) == len(scores) and out.index.equals(scores.index)
    assert check_crm_frame(out, target) == []
    assert not any("json" in c.lower() for c in out.columns)
    assert not out.astype(str).apply(lambda col: col.str.contains("secret json")).any().any()


def test_the_layouts_name_the_fields_each_crm_expects():
    sf = [f.name for f in crm_fields("salesforce", top_k=2, optional=OPTIONAL)]
    assert sf == ["Id", "PL_Probability__c", "PL_Score__c", "PL_Points__c", "PL_Grade__c", "PL_Stage__c",
                  "PL_Heat__c", "PL_Fit_Score__c", "PL_Fit_Grade__c", "PL_Engagement_Score__c",
                  "PL_Engagement_Grade__c", "PL_Rule_Score__c", "PL_Disqualification__c", "PL_Reason_1__c",
                  "PL_Reason_2__c", "PL_Reason_Codes__c", "PL_Score_Change__c", "PL_Previous_Stage__c",
                  "PL_Stage_Reason__c", "PL_Momentum__c", "PL_Model__c", "PL_Scored_At__c"]  # fmt: skip
    hs = [f.name for f in crm_fields("hubspot", top_k=1)]
    assert hs == ["Record ID", "pl_probability", "pl_score", "pl_points", "pl_grade", "pl_stage", "pl_heat",
                  "pl_fit_score", "pl_fit_grade", "pl_engagement_score", "pl_engagement_grade", "pl_disqualification",
                  "pl_reason_1", "pl_reason_codes", "pl_model", "pl_scored_at"]  # fmt: skip
    for target in CRM_TARGETS:
        fields = crm_fields(target, top_k=3, id_field="Email", optional=OPTIONAL)
        assert fields[0].name == "Email" and fields[0].kind == "id"
        assert all(f.description and "{i}" not in f.description + f.name for f in fields)
        grades = {f.source: f.length for f in fields if f.source.endswith("grade")}
        assert grades == {"grade": 1, "fit_grade": 1, "engagement_grade": 1}
        assert all(f.length == 255 for f in fields if f.kind == "text" and f.source not in grades)
    with pytest.raises(ValueError, match="momentun"):
        crm_fields("salesforce", top_k=1, optional=["momentun"])


@pytest.mark.parametrize("target", CRM_TARGETS)
def test_every_text_fits_and_a_long_reason_is_cut_at_a_word_boundary(scores, target):
    out = to_crm(scores, target, id_col=ID)
    for field in _text_fields(target, out):
        assert out[field.name].str.len().max() <= field.length, field.name
    cut = out.loc[0, REASON_FIELD[target]]
    assert cut.endswith("…") and len(cut) <= 255 and len(cut) > 200
    kept = cut[:-1]
    assert LONG_REASON.startswith(kept) and LONG_REASON[len(kept)].isspace() and not kept.endswith(" ")
    assert out.loc[3, REASON_FIELD[target]] == "+20 pts: Requested a demo"  # short reasons are untouched


@pytest.mark.parametrize("target", CRM_TARGETS)
def test_the_codes_field_holds_only_whole_codes_in_order(scores, target):
    out = to_crm(scores, target, id_col=ID)
    joined = out.loc[0, CODES_FIELD[target]]
    kept = joined.split("; ")
    assert len(joined) <= 255 and 1 <= len(kept) < len(CODES)
    assert kept == CODES[: len(kept)]
    assert len(joined + "; " + CODES[len(kept)]) > 255  # the next code would not have fit
    assert out.loc[2, CODES_FIELD[target]] == "COMPANY_SIZE; RECENCY_DOWN"
    assert out.loc[3, CODES_FIELD[target]] == "DEMO_REQUEST"


@pytest.mark.parametrize("target", CRM_TARGETS)
def test_missing_values_are_empty_never_nan_text(scores, target):
    out = to_crm(scores, target, id_col=ID)
    fields = {f.source: f.name for f in crm_fields(target, top_k=5, optional=OPTIONAL)}
    for field in _text_fields(target, out):
        assert not out[field.name].isin(["nan", "NaN", "None", "<NA>", "NaT"]).any(), field.name
        assert out[field.name].notna().all(), field.name
    assert pd.isna(out.loc[2, fields["fit_score"]]) and pd.isna(out.loc[2, fields["engagement_score"]])
    assert pd.isna(out.loc[2, fields["rule_score"]]) and pd.isna(out.loc[2, fields["score_change"]])
    assert out.loc[2, fields["fit_grade"]] == "" and out.loc[2, fields["engagement_grade"]] == ""
    assert out.loc[2, fields["previous_stage"]] == "new"
    assert out.loc[0, fields["disqualification_code"]] == ""
    assert out.loc[1, fields["disqualification_code"]] == "DQ_BOT"
    text = out.to_csv(index=False)
    assert not re.search(r"(^|,)(nan|None|<NA>|NaT)(,|$)", text, flags=re.M)


def test_values_take_each_crms_scale_and_format(scores):
    sf, hs = to_crm(scores, "salesforce", id_col=ID), to_crm(scores, "hubspot", id_col=ID)
    assert sf["PL_Probability__c"].tolist() == [81.23, 0.1, 35.0, 50.0]
    assert hs["pl_probability"].tolist() == [0.8123, 0.001, 0.35, 0.5]
    assert sf["PL_Points__c"].tolist() == [742, -31, 120, 260]
    assert sf["Id"].tolist() == scores[ID].tolist() == hs["Record ID"].tolist()
    assert sf["PL_Model__c"].tolist() == ["lead-scorer v7"] * 3 + ["lead-scorer"]
    hashed = to_crm(scores.assign(model_version="sha256:ab12"), "salesforce", id_col=ID)["PL_Model__c"]
    assert hashed.tolist() == ["lead-scorer sha256:ab12"] * len(scores)  # a folder's content hash, not "vsha256"
    assert set(sf["PL_Scored_At__c"]) == set(hs["pl_scored_at"]) == {"2026-03-01T09:15:30Z"}
    assert sf["PL_Stage__c"].tolist() == ["SQL", "disqualified", "nurture", "MQL"]


def test_the_same_input_gives_the_same_output_and_is_not_mutated(scores):
    before = scores.copy(deep=True)
    first = to_crm(scores, "salesforce", id_col=ID)
    pd.testing.assert_frame_equal(scores, before)
    pd.testing.assert_frame_equal(first, to_crm(scores, "salesforce", id_col=ID))
    check_crm_frame(first, "salesforce")
    pd.testing.assert_frame_equal(first, to_crm(before, "salesforce", id_col=ID))


def test_a_mapping_renames_fields_and_an_unknown_key_is_named(scores):
    mapping = {"PL_Score__c": "Lead_Score__c", "Id": "Email", "PL_Momentum__c": "Trend__c"}
    out = to_crm(scores.drop(columns=["momentum"]), "salesforce", id_col=ID, mapping=mapping)
    assert out.columns[0] == "Email" and "Lead_Score__c" in out and "PL_Score__c" not in out
    assert "Trend__c" not in out  # a documented field absent from this output: its key is ignored
    assert out["Lead_Score__c"].tolist() == [91, 1, 40, 55]
    present = [c for c in OPTIONAL if c != "momentum"]
    fields = renamed(crm_fields("salesforce", top_k=5, optional=present), mapping, "salesforce")
    assert check_crm_frame(out, "salesforce", fields=fields) == []
    with pytest.raises(ValueError, match="PL_Scroe__c"):
        to_crm(scores, "salesforce", id_col=ID, mapping={"PL_Scroe__c": "Lead_Score__c"})
    with pytest.raises(ValueError, match="pl_score"):
        to_crm(scores, "salesforce", id_col=ID, mapping={"pl_score": "x"})  # a HubSpot name for Salesforce
    with pytest.raises(ValueError, match="PL_Points__c"):
        to_crm(scores, "salesforce", id_col=ID, mapping={"PL_Score__c": "PL_Points__c"})  # two columns, one name


def _problems(out: pd.DataFrame, target: str) -> list[str]:
    problems = check_crm_frame(out, target)
    assert problems and all("\n" not in p for p in problems)
    return problems


@pytest.mark.parametrize("target", CRM_TARGETS)
def test_the_check_catches_each_problem_without_showing_the_value(scores, target):
    good = to_crm(scores, target, id_col=ID)
    secret = "jane.doe@example.com "
    reason, stage, when = REASON_FIELD[target], STAGE_FIELD[target], TIME_FIELD[target]

    too_long = good.copy()
    too_long.loc[2, reason] = (secret * 13)[:256]
    (line,) = _problems(too_long, target)
    assert reason in line and "row 3" in line and "255" in line and "jane" not in line

    bad_stage = good.copy()
    bad_stage.loc[1, stage] = "Jane Doe"
    (line,) = _problems(bad_stage, target)
    assert stage in line and "row 2" in line and "Jane" not in line

    (line,) = _problems(good.drop(columns=[CODES_FIELD[target]]), target)
    assert line == f"missing column {CODES_FIELD[target]}"

    (line,) = _problems(good.assign(Email=secret), target)
    assert "Email" in line and "unexpected" in line and "jane" not in line

    bad_time = good.copy()
    bad_time[when] = bad_time[when].astype(object)
    bad_time.loc[0, when], bad_time.loc[3, when] = "01/03/2026 09:15", "2026-02-30T09:15:30Z"
    (line,) = _problems(bad_time, target)
    assert when in line and "rows 1, 4" in line and "01/03" not in line and "2026-02-30" not in line


def test_the_check_catches_numbers_ids_and_missing_text(scores):
    out = to_crm(scores, "salesforce", id_col=ID).astype({"PL_Score__c": object, "PL_Probability__c": object})
    out.loc[0, "PL_Score__c"], out.loc[1, "PL_Probability__c"] = "ninety", 123.0
    out.loc[2, "Id"], out.loc[3, "Id"] = "", out.loc[0, "Id"]
    out.loc[3, "PL_Fit_Grade__c"] = "nan"
    problems = check_crm_frame(out, "salesforce")
    assert len(problems) == 5
    assert any(p.startswith("PL_Score__c: 1 value(s) not a number (row 1)") for p in problems)
    assert any(p.startswith("PL_Probability__c:") and "0 to 100" in p and "row 2" in p for p in problems)
    assert any(p.startswith("Id: 1 empty id") and "row 3" in p for p in problems)
    assert any(p.startswith("Id: 1 repeated id") and "row 4" in p for p in problems)
    assert any(p.startswith("PL_Fit_Grade__c: 1 missing value") for p in problems)
    assert not any("ninety" in p or "123" in p or "00Q" in p for p in problems)


@pytest.mark.parametrize("target", CRM_TARGETS)
def test_a_csv_round_trip_still_passes(scores, target):
    out = to_crm(scores, target, id_col=ID)
    buffer = io.StringIO(out.to_csv(index=False))
    assert check_crm_frame(pd.read_csv(buffer, dtype=str, keep_default_na=False), target) == []
    buffer.seek(0)
    assert check_crm_frame(pd.read_csv(buffer), target) == []


def test_unknown_target_raises_listing_the_targets(scores):
    for call in (lambda: to_crm(scores, "pipedrive", id_col=ID), lambda: crm_fields("pipedrive", top_k=1),
                 lambda: check_crm_frame(scores, "pipedrive")):  # fmt: skip
        with pytest.raises(ValueError, match="salesforce, hubspot"):
            call()


@pytest.mark.parametrize("target", CRM_TARGETS)
def test_no_reasons_and_no_optional_columns(target):
    reasons = [c for c in _scores().columns if c.startswith("reason")]
    bare = _scores(optional=False).drop(columns=reasons)
    out = to_crm(bare, target, id_col=ID)
    assert list(out.columns) == [f.name for f in crm_fields(target, top_k=0)]
    assert not any("reason" in c.lower() or "momentum" in c.lower() for c in out.columns)
    assert check_crm_frame(out, target) == []


def test_missing_input_columns_and_unreadable_numbers_are_named(scores):
    with pytest.raises(ValueError, match="fit_grade"):
        to_crm(scores.drop(columns=["fit_grade"]), "hubspot", id_col=ID)
    with pytest.raises(ValueError, match="reason_code_2"):
        to_crm(scores.drop(columns=["reason_code_2"]), "hubspot", id_col=ID)
    with pytest.raises(ValueError, match="lead_id"):
        to_crm(scores, "hubspot", id_col="lead_id")
    with pytest.raises(ValueError, match=r"points: 1 value\(s\) are not finite numbers \(row 2\)"):
        to_crm(scores.assign(points=[1.0, np.inf, 2.0, 3.0]), "hubspot", id_col=ID)


def test_wide_characters_count_twice_and_still_fit(scores):
    wide = "+9 pts: " + "🚀 launch " * 60
    out = to_crm(scores.assign(reason_2=wide), "salesforce", id_col=ID)
    cut = out.loc[0, "PL_Reason_2__c"]
    assert cut.endswith("…") and len(cut.encode("utf-16-le")) // 2 <= 255 and wide.startswith(cut[:-1])
    assert check_crm_frame(out, "salesforce") == []


def test_load_mapping_validates_the_shape():
    data = {"target": "salesforce", "fields": {"PL_Score__c": "Lead_Score__c", "PL_Reason_7__c": "Why_7__c"}}
    assert load_mapping(data) == data["fields"]
    assert load_mapping({"target": "hubspot", "fields": {"Record ID": "email"}}) == {"Record ID": "email"}
    bad = [
        (["PL_Score__c"], "expected a mapping"),
        ({"target": "salesforce", "fields": {}, "extra": 1}, "unknown key"),
        ({"target": "pipedrive", "fields": {}}, "salesforce, hubspot"),
        ({"target": "salesforce", "fields": ["PL_Score__c"]}, "'fields' must be a mapping"),
        ({"target": "salesforce", "fields": {"PL_Scroe__c": "x"}}, "PL_Scroe__c"),
        ({"target": "hubspot", "fields": {"pl_score": ""}}, "non-empty"),
        ({"target": "hubspot", "fields": {"pl_score": "s", "pl_points": "s"}}, "more than one"),
    ]  # fmt: skip
    for data, message in bad:
        with pytest.raises(ValueError, match=message) as raised:
            load_mapping(data)
        assert "\n" not in str(raised.value)


def test_the_readme_layout_table_is_generated_from_the_layouts():
    from pathlib import Path

    from predictive_leads.ops.crm_export import layout_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("<!-- crm:start -->\n")[1].split("<!-- crm:end -->")[0]
    assert block == layout_table(), "README CRM table is stale: paste `layout_table()`"


def test_a_checked_export_refuses_what_the_layout_does_not_allow_naming_the_column():
    scores = _scores()
    scores.loc[scores.index[0], "stage"] = "IQL"  # a stage the picklist does not hold
    assert to_crm(scores, "salesforce", id_col=ID)["PL_Stage__c"].iloc[0] == "IQL"  # unchecked: as it is
    with pytest.raises(ValueError, match=r"^the salesforce layout check failed: PL_Stage__c") as caught:
        to_crm(scores, "salesforce", id_col=ID, check=True)
    assert "IQL" not in str(caught.value)


def test_a_recycled_lead_and_its_stage_reason_pass_the_layout_check():
    scores = _scores()
    scores.loc[scores.index[2], ["stage", "previous_stage"]] = ["recycled", "MQL"]
    scores.loc[scores.index[2], "stage_reason"] = "went cold after MQL (score 52 → 40)"
    for target in ("salesforce", "hubspot"):
        out = to_crm(scores, target, id_col=ID, check=True)
        assert out[STAGE_FIELD[target]].iloc[2] == "recycled"
        reason = "PL_Stage_Reason__c" if target == "salesforce" else "pl_stage_reason"
        assert out[reason].iloc[2] == "went cold after MQL (score 52 → 40)"
