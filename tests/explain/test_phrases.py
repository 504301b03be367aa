"""Phrases: every feature the pipeline can build has a template; sentences read as words, not column names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predictive_leads.explain import feature_text
from predictive_leads.features import feature_schema
from predictive_leads.features.config import FeatureConfig

CONFIGS = {
    "default": FeatureConfig(),
    "other windows": FeatureConfig(windows_days=(3, 14, 60), recency_event_types=("webinar_attended", "chat_started")),
}


def _feature_names(config: FeatureConfig) -> list[str]:
    from predictive_leads.features.pipeline import CONTEXT_COLUMNS, QUALIFICATION

    schema = feature_schema(config)
    return [c for c in schema if c not in CONTEXT_COLUMNS] + [c for c in QUALIFICATION if c not in schema]


def _values(name: str) -> list:
    return [0, 1, 4, 2.5, np.nan, None, pd.NA, True, False, "corporate", "free", "vp", "Software"]


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_every_pipeline_feature_has_a_template_without_raw_names(config):
    names = _feature_names(config)
    assert len(names) > 100
    for name in names:
        text = feature_text(name)
        assert text.known, f"no template for {name}"
        assert text.group.isupper() and " " not in text.group
        for value in _values(name):
            try:
                sentence = text.sentence(value)
            except (TypeError, ValueError):
                continue  # a value of the wrong kind for this feature
            assert sentence and (sentence[0].isupper() or sentence[0].isdigit()), (name, value, sentence)
            assert "_" not in sentence, (name, value, sentence)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("pricing_page_view_30d", 4, "Visited the pricing page 4 times in the last 30 days"),
        ("pricing_page_view_30d", 1, "Visited the pricing page once in the last 30 days"),
        ("pricing_page_view_30d", 0, "No pricing page visit in the last 30 days"),
        ("demo_request_total", 0, "No demo request so far"),
        ("days_since_last_email_click", np.nan, "No email click yet"),
        ("days_since_last_email_click", 12.4, "Last email click 12 days ago"),
        ("no_email_open_30d", True, "No email opened in the last 30 days"),
        ("email_kind", "free", "Personal email address"),
        ("has_unsubscribed", True, "Unsubscribed from emails"),
        ("seniority", "c_level", "Seniority from job title: C-level"),
        ("annual_revenue", 12_500_000.0, "Annual revenue: 12.5M"),
        ("employees", np.nan, "Company size unknown"),
        ("qual_need", 4.0, "Sales rated need 4 of 5"),
        ("lead_age_days", 45.2, "Lead created 45 days ago"),
    ],
)
def test_sentences(name, value, expected):
    assert feature_text(name).sentence(value) == expected


def test_same_attribute_features_share_a_group():
    assert {feature_text(n).group for n in ("email_kind", "is_free_email", "is_disposable_domain")} == {"EMAIL_DOMAIN"}
    assert {feature_text(n).group for n in ("events_30d", "active_days_7d", "days_since_last_event")} == {"ACTIVITY"}
    assert feature_text("unsubscribe_90d").group == feature_text("has_unsubscribed").group == "UNSUBSCRIBE"


def test_unknown_columns_fall_back_to_their_own_readable_name():
    text = feature_text("Total Time Spent on Website")
    assert not text.known and text.group == "TOTAL_TIME_SPENT_ON_WEBSITE"
    assert text.sentence(1532.0) == "Total Time Spent on Website: 1,532"
    assert feature_text("Lead Origin").sentence(None) == "Lead Origin: missing"


VOCABULARY = {
    "event_types": ["zorp", "quibble_7", "other_touches_events"],
    "value_columns": ["pages"],
    "event_sources": {"touches": ["zorp", "quibble_7", "other_touches_events"]},
    "half_lives_days": [7],
}


@pytest.mark.parametrize(("name", "value", "group", "text"), [
    ("zorp_30d", 3, "ZORP", "3 × zorp in the last 30 days"),
    ("quibble_7_total", 0, "QUIBBLE_7", "No quibble 7 so far"),
    ("days_since_last_zorp", 4.2, "ZORP", "Last zorp 4 days ago"),
    ("zorp_decayed_7d", 1.234, "ZORP", "Recency-weighted zorp: 1.2 (an event 7 days old counts half)"),
    ("pages_30d", 120, "PAGES", "Pages: 120 in the last 30 days"),
    ("touches_events_30d", 5, "ACTIVITY", "5 touches events in the last 30 days"),
    ("account_engaged_contacts_30d", 1, "ACCOUNT", "1 contact at the account active in the last 30 days"),
])  # fmt: skip
def test_the_users_own_event_types_read_in_their_words(name, value, group, text):
    phrase = feature_text(name, VOCABULARY)
    assert phrase.group == group and phrase.sentence(value) == text


def test_without_the_vocabulary_an_unknown_type_is_not_guessed_to_be_an_event():
    assert feature_text("zorp_30d").known is False  # a column of the user's, read out as it is
