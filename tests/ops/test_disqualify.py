"""Disqualification: each check on planted cases, floors not drops, and the flags against the world's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predictive_leads.features.attributes import looks_like_spam, looks_like_test_name
from predictive_leads.features.config import FeatureConfig
from predictive_leads.ops.disqualify import DISQUALIFIED, SCORE_FLOOR, DisqualifyConfig, apply, counts, disqualify


def _lead(**overrides) -> dict:
    base = {"bot_like_burst": False, "is_spam_message": False, "has_test_name": False, "email_kind": "corporate",
            "in_service_area": True}  # fmt: skip
    return base | overrides


CASES = [
    (_lead(bot_like_burst=True), "DQ_BOT"),
    (_lead(is_spam_message=True), "DQ_SPAM"),
    (_lead(has_test_name=True), "DQ_TEST_NAME"),
    (_lead(email_kind="disposable"), "DQ_DISPOSABLE_EMAIL"),
    (_lead(email_kind="competitor"), "DQ_COMPETITOR"),
    (_lead(email_kind="internal"), "DQ_INTERNAL"),
    (_lead(email_kind="free"), None),  # only for a B2B-only business
    (_lead(in_service_area=False), None),  # opt-in
    (_lead(), None),
]


@pytest.mark.parametrize(("lead", "code"), CASES)
def test_each_check_fires_on_its_planted_case_and_only_there(lead, code):
    verdict = disqualify(pd.DataFrame([lead]))
    assert verdict["disqualification_code"].iloc[0] == code
    assert bool(verdict["disqualified"].iloc[0]) is (code is not None)


def test_opt_in_checks_and_all_reasons_of_a_lead():
    frame = pd.DataFrame([_lead(email_kind="free"), _lead(email_kind="edu", in_service_area=False),
                          _lead(bot_like_burst=True, is_spam_message=True)])  # fmt: skip
    b2b = disqualify(frame, DisqualifyConfig.b2b_only())
    assert b2b["disqualification_code"].tolist()[:2] == ["DQ_FREE_EMAIL", "DQ_EDU_EMAIL"]
    strict = disqualify(frame, DisqualifyConfig(out_of_service_area=True, edu_email=True))
    assert strict["disqualification_reason"].iloc[1] == "education email address (B2B only); outside the service area"
    both = "bot-like burst of page views; form message reads as spam"
    assert disqualify(frame)["disqualification_reason"].iloc[2] == both
    assert not disqualify(frame, DisqualifyConfig.off())["disqualified"].any()


def test_missing_values_never_disqualify_and_absent_columns_are_reported():
    frame = pd.DataFrame({"bot_like_burst": [None], "email_kind": [None], "in_service_area": [None]})
    verdict = disqualify(frame, DisqualifyConfig(out_of_service_area=True))
    assert not verdict["disqualified"].any()
    assert verdict.attrs["skipped_checks"] == ["spam", "test_names"]


def test_disqualified_rows_are_floored_not_dropped_and_the_input_is_untouched():
    scored = pd.DataFrame({"probability": [0.4, 0.3], "score": [95, 88], "grade": ["A", "B"], "stage": ["SQL", "SQL"]})
    verdict = disqualify(pd.DataFrame([_lead(email_kind="competitor"), _lead()]))
    out = apply(scored, verdict)
    assert out["stage"].tolist() == [DISQUALIFIED, "SQL"] and out["score"].tolist() == [SCORE_FLOOR, 88]
    assert out["grade"].tolist() == ["D", "B"] and out["probability"].tolist() == [0.4, 0.3] and len(out) == 2
    assert scored["stage"].tolist() == ["SQL", "SQL"] and counts(verdict) == {"DQ_COMPETITOR": 1}


@pytest.mark.parametrize(("first", "last", "expected"), [
    ("Test", "Test", True), ("asdf", "asdf", True), ("John", "Doe", True), ("x", "x", True), ("test", "user", True),
    ("Mickey", "Mouse", True), ("Priya", "Müller", False), ("Wei", "Murphy", False), ("Ana", None, False),
    (None, None, False), ("J.", "K.", True),
])  # fmt: skip
def test_test_names(first, last, expected):
    got = looks_like_test_name(pd.Series([first], dtype=object), pd.Series([last], dtype=object), FeatureConfig())
    assert bool(got[0]) is expected


@pytest.mark.parametrize(("message", "expected"), [
    ("Boost your SEO ranking today!!! Visit our site for cheap backlinks", True),
    ("Guest post offer: high DA sites", True), ("see https://example.com", True), ("asdfghjkl qwerty", True),
    ("Wow!!! call me", True), ("Could someone contact me about pricing?", False),
    ("We are evaluating tools for our team.", False), ("Interested in SEOUL office pricing", False), (None, False),
])  # fmt: skip
def test_spam_messages(message, expected):
    assert bool(looks_like_spam(pd.Series([message], dtype=object), FeatureConfig())[0]) is expected


@pytest.mark.slow
def test_bot_and_spam_flags_meet_precision_and_recall_on_the_planted_truth():
    from predictive_leads.features import build_scoring_frame
    from predictive_leads.synth import generate_world

    world = generate_world(n_leads=20000, seed=11)
    frame = build_scoring_frame(world.leads, world.events, as_of=world.observed_until, conversions=None)
    truth = world.truth.set_index("lead_id").loc[frame["lead_id"]]
    for flag, planted in (("bot_like_burst", "is_bot"), ("is_spam_message", "is_spam")):
        predicted, actual = frame[flag].to_numpy(bool), truth[planted].to_numpy(bool)
        hits = int((predicted & actual).sum())
        precision, recall = hits / max(predicted.sum(), 1), hits / actual.sum()
        assert actual.sum() > 100 and precision >= 0.95 and recall >= 0.9, (flag, precision, recall)
    verdict = disqualify(frame)
    never_convert = truth[["is_bot", "is_spam", "is_internal", "is_competitor"]].any(axis=1).to_numpy()
    assert np.mean(never_convert[verdict["disqualified"].to_numpy()]) >= 0.95  # who is thrown out truly never buys
