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
from predictive_leads.data.spec import NORMALISERS, PARSERS, Attribute, DatasetSpec, as_lists

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


OTHER_EVENTS = "other_events"  # rare event types pooled (a vocabulary learned from the data)
QUALIFICATION = tuple(f"qual_{f}" for f in ("money", "interest", "need", "timing", "authority"))


@dataclass(frozen=True)
class FeatureConfig:
    """Knobs of the feature pipeline (see the README for what each feature means).

    The defaults describe our synthetic world (its event catalog, its parsers, its derived signals); a dataset
    spec starts from them and declares its own (``event_types: null`` learns the vocabulary from the data).
    Rules that name event types the vocabulary lacks are skipped and listed in the dataset summary.
    """

    windows_days: tuple[int, ...] = (7, 30, 90)
    # the event vocabulary: declared types (others are counted and skipped), or None: every type with at least
    # min_type_count events in the data, rarer ones pooled into OTHER_EVENTS
    event_types: tuple[str, ...] | None = EVENT_TYPES
    min_type_count: int = 20
    event_sources: dict[str, tuple[str, ...]] = field(default_factory=dict)  # source → its types (resolved)
    value_columns: tuple[str, ...] = ()  # numeric event columns summed (and maxed) in windows
    half_lives_days: tuple[float, ...] = ()  # exponentially decayed counts per type with these half-lives
    recency_event_types: tuple[str, ...] | None = ("pricing_page_view", "email_click", "form_submit", "demo_request")
    high_intent_form_type: str = "form_submit"
    high_intent_form_urls: tuple[str, ...] = ("/assessment", "/consultation")
    burst_event_types: tuple[str, ...] = ("page_view", "product_page_view", "pricing_page_view")
    burst_window_minutes: int = 10
    burst_min_events: int = 30
    ratios: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {
            "email_click_rate": ("email_click", "email_open"),
            "email_reply_rate": ("email_reply", "email_open"),
        }
    )
    ever_flags: dict[str, str] = field(
        default_factory=lambda: {"has_unsubscribed": "unsubscribe", "has_bounced": "email_bounce"}
    )
    silence_flags: dict[str, tuple[str, int]] = field(default_factory=lambda: {"no_email_open_30d": ("email_open", 30)})
    parsers: tuple[str, ...] = tuple(PARSERS)  # the built-in parsers whose inputs the leads carry
    attributes: dict[str, dict] = field(
        default_factory=lambda: {c: {"kind": "numeric", "known_from": "qualified_at"} for c in QUALIFICATION}
    )
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
        if any(h <= 0 for h in self.half_lives_days):
            raise ValueError(f"half_lives_days must be positive, got {self.half_lives_days}")
        if self.min_type_count < 1:
            raise ValueError(f"min_type_count must be at least 1, got {self.min_type_count}")
        bad = [n for n, a in self.attributes.items() if a.get("normalise") not in (None, *NORMALISERS)]
        if bad:
            raise ValueError(f"attribute(s) {', '.join(bad)}: normalise must be one of {', '.join(NORMALISERS)}")
        unknown = [p for p in self.parsers if p not in PARSERS]
        if unknown:
            raise ValueError(f"unknown parser(s) {', '.join(unknown)}; known: {', '.join(PARSERS)}")
        if self.event_types is not None:  # a declared vocabulary: rules must name its types
            for name in ("recency_event_types", "burst_event_types"):
                unknown = [t for t in getattr(self, name) or () if t not in self.event_types]
                if unknown:
                    raise ValueError(f"{name} names unknown event type(s) {', '.join(unknown)}; known: "
                                     f"{', '.join(self.event_types)}")  # fmt: skip
            rules = [r for r in self.rules_needing_absent_types() if not r.endswith("window)")]
            if rules:
                raise ValueError(f"feature rules name event types outside event_types: {'; '.join(rules)}")

    @classmethod
    def generic(cls) -> FeatureConfig:
        """The defaults without anything specific to our synthetic world: the vocabulary learned from the data,
        recency for every type, no parsers, declared attributes or type-specific rules (a spec adds its own)."""
        return replace(cls(), event_types=None, recency_event_types=None, burst_event_types=(),
                       high_intent_form_urls=(), ratios={}, ever_flags={}, silence_flags={}, parsers=(),
                       attributes={})  # fmt: skip

    @property
    def types(self) -> tuple[str, ...]:
        """The resolved event vocabulary (an error before it is resolved from data)."""
        if self.event_types is None:
            raise ValueError("the event vocabulary is learned from the data: build a training set first")
        return self.event_types

    def rules_needing_absent_types(self) -> list[str]:
        """Type-specific rules of this config whose event types the vocabulary lacks (they are skipped)."""
        have = set(self.types)
        needs = {
            **{f"recency of {t}": [t] for t in self.recency_event_types or ()},
            **{f"ratio {name}": list(pair) for name, pair in self.ratios.items()},
            **{f"flag {name}": [t] for name, t in self.ever_flags.items()},
            **{f"flag {name}": [t] for name, (t, _) in self.silence_flags.items()},
            **{f"burst of {t}": [t] for t in self.burst_event_types},
            **({"high-intent forms": [self.high_intent_form_type]} if self.high_intent_form_urls else {}),
        }
        unwindowed = [f"flag {name} (no {days}-day window)" for name, (_, days) in self.silence_flags.items()
                      if days not in self.windows_days]  # fmt: skip
        return [rule for rule, types in needs.items() if not set(types) <= have] + unwindowed

    def applicable(self) -> FeatureConfig:
        """This config with the rules whose event types are absent removed (see :meth:`rules_needing_absent_types`)."""
        have = set(self.types)
        return replace(
            self,
            recency_event_types=tuple(t for t in (self.types if self.recency_event_types is None
                                                  else self.recency_event_types) if t in have),
            ratios={k: v for k, v in self.ratios.items() if set(v) <= have},
            ever_flags={k: v for k, v in self.ever_flags.items() if v in have},
            silence_flags={k: v for k, v in self.silence_flags.items() if v[0] in have and v[1] in self.windows_days},
            burst_event_types=tuple(t for t in self.burst_event_types if t in have),
            high_intent_form_urls=self.high_intent_form_urls if self.high_intent_form_type in have else (),
        )  # fmt: skip

    @classmethod
    def from_dict(cls, values: dict, base: FeatureConfig | None = None) -> FeatureConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown feature config key(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        cleaned = {k: _tuples(v) for k, v in values.items()}
        return replace(base or cls(), **cleaned)

    @classmethod
    def from_yaml(cls, path: str | Path, base: FeatureConfig | None = None) -> FeatureConfig:
        data = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{Path(path).name}: expected a mapping of config keys at the top level")
        return cls.from_dict(data.get("features", data), base)

    def to_dict(self) -> dict:
        return {k: as_lists(v) for k, v in asdict(self).items()}


def _tuples(value):
    """YAML/JSON lists as tuples (inside mappings too), so a config read back equals the one written."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _attribute_config(attribute: Attribute) -> dict:
    optional = {"known_from": attribute.known_from, "normalise": attribute.normalise}
    return {"kind": attribute.kind, **{k: v for k, v in optional.items() if v}}


def spec_config(spec: DatasetSpec) -> FeatureConfig:
    """The feature config a dataset spec declares: its parsers, attributes and value columns over the generic
    defaults (``features: {preset: synthetic}`` starts from our synthetic world's instead), then its
    ``features`` block."""
    block = dict(spec.features)
    preset = block.pop("preset", None)
    if preset not in (None, "synthetic"):
        raise ValueError(f"{spec.source}: features.preset must be synthetic or absent, got {preset!r}")
    base = FeatureConfig() if preset == "synthetic" else FeatureConfig.generic()
    declared = {
        "parsers": tuple(spec.parsers),
        "attributes": {a.feature(spec): _attribute_config(a) for a in spec.attributes},
        "value_columns": tuple(dict.fromkeys(v for s in spec.events for v in s.values)),
    }  # fmt: skip
    try:
        return FeatureConfig.from_dict(base.to_dict() | declared | block)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{spec.source}: features: {exc}") from None
