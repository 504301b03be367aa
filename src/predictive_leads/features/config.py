"""Typed configuration of the feature pipeline, with YAML override.

Every list a team will want to change (its ideal industries, service regions, competitor and internal
domains, windows, thresholds) lives here, in one place. ``FeatureConfig.from_yaml(path)`` overrides any
subset of the defaults; unknown keys are an error so a typo cannot silently do nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import yaml

from predictive_leads.data.contracts import EVENT_TYPES

FREE_EMAIL_DOMAINS = (
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.co.jp", "outlook.com", "hotmail.com",
    "live.com", "msn.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net",
    "web.de", "seznam.cz", "email.cz", "naver.com", "daum.net", "qq.com", "163.com", "mail.ru", "yandex.ru",
)  # fmt: skip
DISPOSABLE_EMAIL_DOMAINS = (
    "mailinator.com", "10minutemail.com", "guerrillamail.com", "trashmail.com", "yopmail.com", "tempmail.net",
    "sharklasers.com", "maildrop.cc", "getnada.com", "dispostable.com",
)  # fmt: skip
EDU_DOMAIN_SUFFIXES = (".edu", ".ac.uk", ".ac.jp", ".ac.kr", ".edu.au", ".ac.at", ".ac.nz")
EDU_DOMAINS = ("tu-berlin.de", "cuni.cz", "ox.ac.uk", "unimelb.edu.au")
PLACEHOLDERS = ("", "n/a", "na", "none", "null", "unknown", "-", "--", "select", "other/unknown", "x", "?")
IDEAL_INDUSTRIES = ("Software", "Financial Services", "Manufacturing", "Professional Services")
SERVICE_REGIONS = ("North America", "Europe")
# words and names people type into forms when they are testing or hiding (whole words, any case)
TEST_NAME_WORDS = ("test", "testing", "tester", "asdf", "qwerty", "fake", "dummy", "sample", "foo", "bar", "xxx",
                   "abc", "noname", "anonymous", "nobody")  # fmt: skip
PLACEHOLDER_PERSONS = ("john doe", "jane doe", "mickey mouse", "minnie mouse", "donald duck", "max mustermann",
                       "erika mustermann", "joe bloggs", "fred bloggs")  # fmt: skip
# phrases of form spam (SEO, link and list sellers, prizes, get-rich offers); whole words, any case
SPAM_PHRASES = ("seo", "backlink", "backlinks", "guest post", "crypto", "bitcoin", "forex", "casino", "viagra",
                "you have won", "claim your prize", "click here", "email list", "email lists", "make money",
                "from home", "investment opportunity", "cheap rates", "high da", "web traffic",
                "buy followers")  # fmt: skip


@dataclass(frozen=True)
class FeatureConfig:
    """Knobs of the feature pipeline (see the README for what each feature means)."""

    windows_days: tuple[int, ...] = (7, 30, 90)
    recency_event_types: tuple[str, ...] = ("pricing_page_view", "email_click", "form_submit", "demo_request")
    high_intent_form_urls: tuple[str, ...] = ("/assessment", "/consultation")
    burst_event_types: tuple[str, ...] = ("page_view", "product_page_view", "pricing_page_view")
    burst_window_minutes: int = 10
    burst_min_events: int = 30
    free_email_domains: tuple[str, ...] = FREE_EMAIL_DOMAINS
    disposable_email_domains: tuple[str, ...] = DISPOSABLE_EMAIL_DOMAINS
    edu_domain_suffixes: tuple[str, ...] = EDU_DOMAIN_SUFFIXES
    edu_domains: tuple[str, ...] = EDU_DOMAINS
    competitor_domains: tuple[str, ...] = ("leadmetrics.io", "scorewise.com", "funnelforge.com")
    internal_domains: tuple[str, ...] = ("northwind-analytics.com",)
    ideal_industries: tuple[str, ...] = IDEAL_INDUSTRIES
    service_regions: tuple[str, ...] = SERVICE_REGIONS
    placeholders: tuple[str, ...] = PLACEHOLDERS
    test_name_words: tuple[str, ...] = TEST_NAME_WORDS
    placeholder_persons: tuple[str, ...] = PLACEHOLDER_PERSONS
    spam_phrases: tuple[str, ...] = SPAM_PHRASES
    extra_country_regions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.windows_days or any(w <= 0 for w in self.windows_days):
            raise ValueError(f"windows_days must be positive days, got {self.windows_days}")
        if len(set(self.windows_days)) != len(self.windows_days):
            raise ValueError(f"windows_days has duplicates: {self.windows_days}")
        if self.burst_window_minutes <= 0 or 1440 % self.burst_window_minutes or self.burst_min_events <= 1:
            raise ValueError("burst_window_minutes must divide a day (1440 minutes) and burst_min_events be > 1")
        for name in ("recency_event_types", "burst_event_types"):
            unknown = [t for t in getattr(self, name) if t not in EVENT_TYPES]
            if unknown:
                raise ValueError(f"{name} names unknown event type(s) {', '.join(unknown)}; known: "
                                 f"{', '.join(EVENT_TYPES)}")  # fmt: skip

    @classmethod
    def from_dict(cls, values: dict) -> FeatureConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown feature config key(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        cleaned = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return replace(cls(), **cleaned)

    @classmethod
    def from_yaml(cls, path: str | Path) -> FeatureConfig:
        data = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{Path(path).name}: expected a mapping of config keys at the top level")
        return cls.from_dict(data.get("features", data))

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
