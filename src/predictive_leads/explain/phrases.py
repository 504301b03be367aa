"""Words for features: which attribute a feature comes from, and a sentence for its value.

Every feature the pipeline builds belongs to one **attribute group** (the thing a salesperson knows: "pricing
page visits", "company size", "email domain") with a stable reason code (``PRICING_PAGE_VIEW``) and a sentence
template for its value ("Visited the pricing page 4 times in the last 30 days"). Names are parsed, not listed,
so configured windows (``_14d``) and recency types are covered too. Columns the pipeline does not build (a flat
CRM export's own columns) fall back to "<Column name>: <value>" under their own group.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from predictive_leads.data.contracts import EVENT_TYPES

# event type → (verb phrase for "did it N times", noun for "no … yet", plural label of the attribute)
EVENT_WORDS: dict[str, tuple[str, str, str]] = {
    "page_view": ("Viewed website pages", "website page view", "website page views"),
    "pricing_page_view": ("Visited the pricing page", "pricing page visit", "pricing page visits"),
    "product_page_view": ("Visited product pages", "product page visit", "product page visits"),
    "case_study_download": ("Downloaded case studies", "case study download", "case study downloads"),
    "ebook_download": ("Downloaded e-books", "e-book download", "e-book downloads"),
    "webinar_registered": ("Registered for webinars", "webinar registration", "webinar registrations"),
    "webinar_attended": ("Attended webinars", "webinar attended", "webinars attended"),
    "newsletter_subscribe": ("Subscribed to the newsletter", "newsletter sign-up", "newsletter sign-ups"),
    "email_open": ("Opened marketing emails", "email opened", "emails opened"),
    "email_click": ("Clicked links in emails", "email click", "email clicks"),
    "email_reply": ("Replied to emails", "email reply", "email replies"),
    "form_submit": ("Submitted web forms", "form submitted", "forms submitted"),
    "demo_request": ("Requested a demo", "demo request", "demo requests"),
    "free_trial_start": ("Started a free trial", "free trial started", "free trials"),
    "meeting_scheduled": ("Scheduled meetings with sales", "meeting scheduled", "meetings scheduled"),
    "meeting_cancelled": ("Cancelled meetings", "meeting cancelled", "meetings cancelled"),
    "unsubscribe": ("Unsubscribed from emails", "unsubscribe", "unsubscribes"),
    "email_bounce": ("Had emails bounce", "email bounce", "email bounces"),
    "chat_started": ("Started website chats", "chat started", "chats started"),
}
assert set(EVENT_WORDS) == set(EVENT_TYPES), "every event type needs words"

EMAIL_KINDS = {
    "corporate": "Corporate email address",
    "free": "Personal email address",
    "edu": "Education (school or university) email address",
    "disposable": "Disposable email address",
    "competitor": "Email address at a competitor",
    "internal": "Internal (own staff) email address",
    "missing": "No email address",
}
SENIORITY_WORDS = {"c_level": "C-level", "vp": "VP", "individual_contributor": "individual contributor",
                   "student_other": "student or other", "unknown": "unknown (title missing or unclear)"}  # fmt: skip
QUALIFICATION_WORDS = {"money": "budget", "interest": "interest", "need": "need", "timing": "timing",
                       "authority": "authority"}  # fmt: skip


@dataclass(frozen=True)
class FeatureText:
    """The attribute group a feature belongs to and how its value reads."""

    group: str  # stable reason code stem, e.g. PRICING_PAGE_VIEW
    label: str  # the attribute as people name it
    sentence: Callable[[object], str]
    known: bool = True  # False for the generic fallback
    context_column: str | None = None  # a column whose value is added in brackets, e.g. the email domain


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _period(days: int | None) -> str:
    return "so far" if days is None else f"in the last {days} days"


def _int(value) -> int:
    return 0 if _missing(value) else round(float(value))


def _days_ago(value) -> str:
    days = float(value)
    return "less than a day ago" if days < 1 else ("1 day ago" if days < 2 else f"{int(days):,} days ago")


def _count_sentence(event: str, days: int | None) -> Callable[[object], str]:
    verb, noun, _ = EVENT_WORDS[event]

    def sentence(value) -> str:
        n = _int(value)
        return f"{verb} {_times(n)} {_period(days)}" if n else f"No {noun} {_period(days)}"

    return sentence


def _recency_sentence(noun: str) -> Callable[[object], str]:
    return lambda v: f"No {noun} yet" if _missing(v) else f"Last {noun} {_days_ago(v)}"


def _flag(yes: str, no: str) -> Callable[[object], str]:
    return lambda v: "Unknown" if _missing(v) else (yes if bool(v) else no)


def _labelled(label: str, fmt: Callable[[object], str] = str, unknown: str | None = None) -> Callable[[object], str]:
    return lambda v: (unknown or f"{label} unknown") if _missing(v) else f"{label}: {fmt(v)}"


def _money(value) -> str:
    v = float(value)
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return f"{v / size:,.1f}{unit}".replace(".0" + unit, unit)
    return f"{v:,.0f}"


def _ratio_sentence(what: str, days: int) -> Callable[[object], str]:
    return lambda v: (f"Opened no email {_period(days)}" if _missing(v)
                      else f"{float(v):.2g} {what} per email opened {_period(days)}")  # fmt: skip


def _trend(value) -> str:
    v = 0.0 if _missing(value) else float(value)
    if abs(v) < 0.005:
        return "Activity steady: last 7 days like the 30 before"
    word = "rising" if v > 0 else "falling"
    return f"Activity {word}: {abs(v):.2f} events a day {'more' if v > 0 else 'fewer'} in the last 7 days than before"


def _email_kind(value) -> str:
    return (
        EMAIL_KINDS.get(str(value), f"Email address kind: {value}") if not _missing(value) else EMAIL_KINDS["missing"]
    )


_WINDOWED = re.compile(r"^(?P<stem>.+)_(?:(?P<days>\d+)d|total)$")


def _event_feature(name: str) -> FeatureText | None:
    m = _WINDOWED.match(name)
    if m and m["stem"] in EVENT_WORDS:
        days = int(m["days"]) if m["days"] else None
        return FeatureText(m["stem"].upper(), EVENT_WORDS[m["stem"]][2], _count_sentence(m["stem"], days))
    if name.startswith("days_since_last_") and name[16:] in EVENT_WORDS:
        event = name[16:]
        return FeatureText(event.upper(), EVENT_WORDS[event][2], _recency_sentence(EVENT_WORDS[event][1]))
    return None


def _activity_feature(name: str) -> FeatureText | None:
    m = _WINDOWED.match(name)
    days = int(m["days"]) if m and m["days"] else None
    if m and m["stem"] == "events":
        return FeatureText(
            "ACTIVITY",
            "overall activity",
            lambda v: (
                f"{_plural(_int(v), 'tracked activity', 'tracked activities')} {_period(days)}"
                if _int(v)
                else f"No tracked activity {_period(days)}"
            ),
        )
    if m and m["stem"] == "active_days":
        return FeatureText(
            "ACTIVITY",
            "overall activity",
            lambda v: (
                f"Active on {_plural(_int(v), 'day', 'different days')} {_period(days)}"
                if _int(v)
                else f"No active day {_period(days)}"
            ),
        )
    if name == "days_since_last_event":
        return FeatureText("ACTIVITY", "overall activity", _recency_sentence("activity"))
    if name.startswith("activity_trend_"):
        return FeatureText("ACTIVITY", "overall activity", _trend)
    m = re.match(r"^email_(click|reply)_rate_(\d+)d$", name)
    if m:
        what = "link clicks" if m[1] == "click" else "replies"
        return FeatureText(f"EMAIL_{m[1].upper()}", f"email {m[1]}s", _ratio_sentence(what, int(m[2])))
    m = re.match(r"^no_email_open_(\d+)d$", name)
    if m:
        flag = _flag(f"No email opened in the last {m[1]} days", f"Opened an email in the last {m[1]} days")
        return FeatureText("EMAIL_OPEN", "emails opened", flag)
    return None


_FIXED: dict[str, FeatureText] = {
    "has_unsubscribed": FeatureText("UNSUBSCRIBE", "unsubscribes",
                                    _flag("Unsubscribed from emails", "Still subscribed to emails")),
    "has_bounced": FeatureText("EMAIL_BOUNCE", "email bounces",
                               _flag("Email address bounced", "Email address delivers (no bounce)")),
    "high_intent_form_total": FeatureText("FORM_SUBMIT", "forms submitted", lambda v: (
        f"Submitted a high-intent form (assessment or consultation) {_times(_int(v))}" if _int(v)
        else "No high-intent form (assessment or consultation) submitted")),
    "max_events_in_burst_window": FeatureText("BOT_LIKE_ACTIVITY", "bot-like activity", lambda v: (
        f"At most {_int(v):,} page views within one short window")),
    "bot_like_burst": FeatureText("BOT_LIKE_ACTIVITY", "bot-like activity",
                                  _flag("Bot-like bursts of page views", "No bot-like bursts of page views")),
    "seniority": FeatureText("SENIORITY", "seniority", _labelled(
        "Seniority from job title", lambda v: SENIORITY_WORDS.get(str(v), str(v).replace("_", " ")))),
    "department": FeatureText("DEPARTMENT", "department", _labelled(
        "Department from job title", lambda v: {"it": "IT", "hr": "HR"}.get(str(v), str(v)))),
    "email_kind": FeatureText("EMAIL_DOMAIN", "email domain", _email_kind, context_column="email_domain"),
    "is_free_email": FeatureText("EMAIL_DOMAIN", "email domain", _flag(
        "Personal email address", "Not a personal email address"), context_column="email_domain"),
    "is_disposable_domain": FeatureText("EMAIL_DOMAIN", "email domain", _flag(
        "Disposable email address", "Not a disposable email address"), context_column="email_domain"),
    "industry": FeatureText("INDUSTRY", "industry", _labelled("Industry")),
    "is_ideal_industry": FeatureText("INDUSTRY", "industry", _flag("Industry in the ideal customer profile",
                                                                   "Industry outside the ideal customer profile")),
    "employees": FeatureText("COMPANY_SIZE", "company size", _labelled("Company size", lambda v: (
        f"{_int(v):,} employees"))),
    "company_size_band": FeatureText("COMPANY_SIZE", "company size", _labelled("Company size", lambda v: (
        f"{v} employees"))),
    "annual_revenue": FeatureText("REVENUE", "annual revenue", _labelled("Annual revenue", _money)),
    "revenue_band": FeatureText("REVENUE", "annual revenue", _labelled("Annual revenue band")),
    "country": FeatureText("LOCATION", "location", _labelled("Country")),
    "region": FeatureText("LOCATION", "location", _labelled("Region")),
    "in_service_area": FeatureText("LOCATION", "location",
                                   _flag("Inside the service area", "Outside the service area")),
    "lead_source": FeatureText("LEAD_SOURCE", "lead source", _labelled(
        "Lead source", lambda v: str(v).replace("_", " "))),
    "is_duplicate_contact": FeatureText("DUPLICATE_CONTACT", "duplicate contact",
                                        _flag("Duplicate of another contact", "Not a duplicate contact")),
    "has_phone": FeatureText("PHONE", "phone number", _flag("Gave a phone number", "No phone number given")),
    "has_form_message": FeatureText("FORM_MESSAGE", "form message",
                                    _flag("Left a message in a form", "No message left in a form")),
    "is_spam_message": FeatureText("FORM_MESSAGE", "form message",
                                   _flag("Form message reads as spam", "Form message does not read as spam")),
    "has_test_name": FeatureText("TEST_NAME", "contact name", _flag("Test or placeholder name",
                                                                    "Real-looking contact name")),
    "lead_age_days": FeatureText("LEAD_AGE", "lead age", lambda v: (
        "Lead age unknown" if _missing(v) else f"Lead created {_days_ago(v)}")),
}  # fmt: skip


def _account_feature(name: str) -> FeatureText | None:
    """The account roll-ups: what the lead's company looks like (its contacts and their activity)."""
    m = re.match(r"^account_(?:(?P<engaged>engaged_contacts)|events)_(?:(?P<days>\d+)d|total)$", name)
    if m:
        period = _period(int(m["days"]) if m["days"] else None)
        if m["engaged"]:
            return FeatureText("ACCOUNT", "account activity", lambda v: (
                f"{_plural(_int(v), 'contact', 'contacts')} at the account active {period}"))  # fmt: skip
        return FeatureText("ACCOUNT", "account activity", lambda v: (
            f"{_plural(_int(v), 'event', 'events')} from the account's contacts {period}"))  # fmt: skip
    if name == "account_contacts":
        return FeatureText(
            "ACCOUNT",
            "account activity",
            lambda v: "No account" if _missing(v) else f"{_plural(_int(v), 'contact', 'contacts')} at the account",
        )
    if name == "account_days_since_last_event":
        return FeatureText("ACCOUNT", "account activity", _recency_sentence("activity at the account"))
    return None


def _qualification_feature(name: str) -> FeatureText | None:
    if not name.startswith("qual_"):
        return None
    what = QUALIFICATION_WORDS.get(name[5:], name[5:].replace("_", " "))
    return FeatureText(
        "QUALIFICATION",
        "sales qualification (BANT)",
        lambda v: f"Not yet qualified by sales ({what})" if _missing(v) else f"Sales rated {what} {_int(v)} of 5",
    )


def _fallback(name: str) -> FeatureText:
    label = re.sub(r"[_\s]+", " ", str(name)).strip() or "column"
    code = re.sub(r"[^0-9A-Za-z]+", "_", str(name)).strip("_").upper() or "COLUMN"

    def sentence(v) -> str:
        if _missing(v):
            return f"{label[:1].upper()}{label[1:]}: missing"
        if isinstance(v, float):
            v = f"{v:,.4g}"
        return f"{label[:1].upper()}{label[1:]}: {v}"

    return FeatureText(code, label, sentence, known=False)


def _declared_event_feature(name: str, vocabulary: dict | None) -> FeatureText | None:
    """Features of a vocabulary learned from (or declared for) the user's data, in the user's own words: counts,
    recencies, recency-weighted (decayed) counts, per-source totals and value-column sums."""
    if not vocabulary:
        return None
    types = [t for t in vocabulary.get("event_types") or () if t not in EVENT_WORDS]
    m = re.match(r"^(?P<stem>.+)_decayed_(?P<h>[\d.]+)d$", name)
    if m and (m["stem"] in types or m["stem"] in EVENT_WORDS or m["stem"] == "events"):
        stem = m["stem"]
        label = "overall activity" if stem == "events" else _words(stem, plural=True)
        group = "ACTIVITY" if stem == "events" else stem.upper()
        return FeatureText(group, label, lambda v: f"Recency-weighted {label}: {float(v or 0):.1f} "
                                                   f"(an event {m['h']} days old counts half)")  # fmt: skip
    m = _WINDOWED.match(name)
    days = int(m["days"]) if m and m["days"] else None
    if m and m["stem"] in types:
        words = _words(m["stem"])
        return FeatureText(m["stem"].upper(), _words(m["stem"], plural=True), lambda v: (
            f"{_int(v):,} × {words} {_period(days)}" if _int(v) else f"No {words} {_period(days)}"))  # fmt: skip
    if name.startswith("days_since_last_") and name[16:] in types:
        return FeatureText(name[16:].upper(), _words(name[16:], plural=True), _recency_sentence(_words(name[16:])))
    sources = vocabulary.get("event_sources") or {}
    if m and m["stem"].endswith("_events") and m["stem"][:-7] in sources:
        source = m["stem"][:-7]
        return FeatureText("ACTIVITY", "overall activity", lambda v: (
            f"{_int(v):,} {source.replace('_', ' ')} events {_period(days)}"))  # fmt: skip
    values = vocabulary.get("value_columns") or ()
    v_name = m["stem"] if m else name.removesuffix("_max")
    if v_name in values:
        label = v_name.replace("_", " ")
        if name.endswith("_max"):
            return FeatureText(v_name.upper(), label, lambda v: f"Largest {label} in one event: {_number(v)}")
        return FeatureText(v_name.upper(), label, lambda v: f"{label[:1].upper()}{label[1:]}: {_number(v)} "
                                                             f"{_period(days)}")  # fmt: skip
    return None


def _words(event_type: str, plural: bool = False) -> str:
    """An event type as words ("email_opened" → "email opened"); the catalog's own words for our types."""
    if event_type in EVENT_WORDS:
        return EVENT_WORDS[event_type][2 if plural else 1]
    return "other events" if event_type == "other_events" else event_type.replace("_", " ")


def _number(value) -> str:
    return "none" if _missing(value) else f"{float(value):,.4g}"


def _best_lead_feature(name: str, vocabulary: dict | None) -> FeatureText | None:
    """An account row's ``best_<feature>``: the best value any of the account's open leads has."""
    if not name.startswith("best_") or name == "best_":
        return None
    inner = feature_text(name[5:], vocabulary)
    if not inner.known:
        return None
    return FeatureText(inner.group, f"best lead's {inner.label}", lambda v: f"Best lead: {inner.sentence(v)}")


def feature_text(name: str, vocabulary: dict | None = None) -> FeatureText:
    """The group, label and sentence for one feature column (a generic fallback for unknown columns).

    ``vocabulary`` (a model's ``event_vocabulary_``: event types, sources, value columns) lets features of the
    user's own event types read in the user's words ("3 × webinar in the last 30 days")."""
    return (_FIXED.get(name) or _declared_event_feature(name, vocabulary) or _best_lead_feature(name, vocabulary)
            or _event_feature(name) or _activity_feature(name) or _account_feature(name)
            or _qualification_feature(name) or _fallback(name))  # fmt: skip
