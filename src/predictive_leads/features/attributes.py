"""Lead attributes: who the lead is, cleaned from the raw CRM columns (pandas in, pandas out).

Every parser works on the distinct values of a column and maps the answers back, so a million leads
with a few thousand distinct titles cost a few thousand parses. Functions never modify their inputs and
return Series indexed like them. Closed value sets come back as ``category`` dtype with fixed category
lists, so a training frame and a scoring frame always carry identical categories.

Reference data (keywords, synonyms, countries) lives in :mod:`.reference`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from predictive_leads.data.contracts import DEPARTMENTS, EMAIL_KINDS, LEAD_SOURCES, SENIORITIES
from predictive_leads.data.spec import NORMALISERS
from predictive_leads.features import reference as ref
from predictive_leads.features.config import PLACEHOLDERS, FeatureConfig

UNKNOWN = "unknown"
SENIORITY_CATEGORIES: tuple[str, ...] = (*SENIORITIES, UNKNOWN)
DEPARTMENT_CATEGORIES: tuple[str, ...] = (*DEPARTMENTS, UNKNOWN)
EMAIL_KIND_CATEGORIES: tuple[str, ...] = (*EMAIL_KINDS, "missing")
LEAD_SOURCE_CATEGORIES: tuple[str, ...] = (*LEAD_SOURCES, "other")

ATTRIBUTE_COLUMNS: tuple[str, ...] = (
    "seniority", "department", "email_domain", "email_kind", "is_free_email", "is_disposable_domain",
    "industry", "is_ideal_industry", "employees", "company_size_band", "annual_revenue", "revenue_band",
    "country", "region", "in_service_area", "lead_source", "is_duplicate_contact", "has_phone",
    "has_form_message", "has_test_name", "is_spam_message",
)  # fmt: skip

_ABBREVIATION_DOT = re.compile(r"\b(\w)\.(?=\w\b)")
_NON_WORD = re.compile(r"[\W_]+")
_CHIEF_OFFICER = re.compile(r" chief ((?:\S+ )+?)officer ")
_DOMAIN = r"^[^\s@.]+(?:\.[^\s@.]+)+$"
_TEXT = pd.StringDtype("pyarrow")


# ------------------------------------------------------------------------------------------ helpers


def normalise_text(text: str) -> str:
    """Lower case, accents dropped, "v.p." → "vp", "&" → "and", other punctuation → single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _ABBREVIATION_DOT.sub(r"\1", text).replace("&", " and ").replace("'", "")
    return _NON_WORD.sub(" ", text).strip()


def _placeholder_set(placeholders: Iterable[str]) -> frozenset[str]:
    return frozenset(p.strip().lower() for p in placeholders)


def _is_placeholder(text: str, placeholders: frozenset[str]) -> bool:
    return text.strip().lower() in placeholders


def _pad(phrases: Iterable[str]) -> tuple[str, ...]:
    return tuple(f" {p} " for p in phrases)


def _has(padded_text: str, padded_phrases: tuple[str, ...]) -> bool:
    return any(p in padded_text for p in padded_phrases)


def _without(padded_text: str, padded_phrases: tuple[str, ...]) -> str:
    for p in padded_phrases:
        padded_text = padded_text.replace(p, " ")
    return padded_text


def _factorize(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes (-1 for missing) and the distinct values as strings."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, [str(u) for u in np.asarray(uniques, dtype=object)]


def _map_categories(
    values: pd.Series, fn: Callable[[str], str | None], categories: Iterable[str], missing: str | None
) -> pd.Series:
    """Apply ``fn`` to each distinct value; categorical result with fixed ``categories`` (None → NaN)."""
    categories = list(categories)
    position = {c: i for i, c in enumerate(categories)}
    codes, uniques = _factorize(values)
    answers = [*(fn(u) for u in uniques), missing]
    lookup = np.array([-1 if a is None else position[a] for a in answers], dtype=np.int64)
    cat = pd.Categorical.from_codes(lookup[codes], categories=categories)
    return pd.Series(cat, index=values.index, name=values.name)


def _distinct_text(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes (-1 for missing) and the distinct values as a string Series, for vectorised string ops."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(_TEXT)


def _take(distinct: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Map per-distinct-value results back to rows (code -1 → missing)."""
    padded = pd.concat([distinct, pd.Series([pd.NA], dtype=distinct.dtype)], ignore_index=True)
    return pd.Series(padded.iloc[codes].array, index=index)


def _map_strings(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """Apply ``fn`` to each distinct value; nullable string result (None → <NA>)."""
    codes, uniques = _factorize(values)
    answers = np.array([*(fn(u) for u in uniques), None], dtype=object)
    return pd.Series(pd.array(answers[codes], dtype=_TEXT), index=values.index, name=values.name)


# ------------------------------------------------------------------------------------------ job titles

_STUDENT = _pad(ref.STUDENT_PHRASES)
_C_LEVEL = _pad(ref.C_LEVEL_PHRASES)
_NOT_OWNER = _pad(ref.NOT_OWNER_PHRASES)
_VP = _pad(ref.VP_PHRASES)
_PRESIDENT = _pad(ref.PRESIDENT_PHRASES)
_DIRECTOR = _pad(ref.DIRECTOR_PHRASES)
_MANAGER = _pad(ref.MANAGER_PHRASES)
_NOT_MANAGER = _pad(ref.NOT_MANAGER_PHRASES)
_SELF_EMPLOYED = _pad(ref.SELF_EMPLOYED_PHRASES)
_IC = _pad(ref.IC_PHRASES)
_FUNCTIONS = tuple((dept, _pad(phrases)) for dept, phrases in ref.DEPARTMENT_PHRASES)
_EXECUTIVE = _pad(ref.EXECUTIVE_PHRASES)


def _title_text(title: str, placeholders: frozenset[str]) -> str | None:
    """The padded normalised title, or None when it is a placeholder or junk."""
    if _is_placeholder(title, placeholders):
        return None
    text = normalise_text(title)
    if text in ref.JUNK_TITLES or sum(c.isalpha() for c in text) < 2:
        return None
    return f" {text} "


def _is_c_level(text: str) -> bool:
    if any(token in ref.C_LEVEL_ACRONYMS for token in text.split()):
        return True
    return _CHIEF_OFFICER.search(text) is not None or _has(_without(text, _NOT_OWNER), _C_LEVEL)


def _function_of(text: str) -> str | None:
    """The department named by a function word ("Sales", "Mktg", "Accountant"), by priority."""
    for dept, phrases in _FUNCTIONS:
        if _has(text, phrases):
            return dept
    return None


def _seniority_of(title: str, placeholders: frozenset[str]) -> str:
    text = _title_text(title, placeholders)
    if text is None:
        return UNKNOWN
    rules = (
        ("student_other", lambda: _has(text, _STUDENT)),
        ("c_level", lambda: _is_c_level(text)),
        ("vp", lambda: _has(text, _VP)),
        ("c_level", lambda: _has(text, _PRESIDENT)),
        ("director", lambda: _has(text, _DIRECTOR)),
        ("manager", lambda: _has(_without(text, _NOT_MANAGER), _MANAGER)),
        ("student_other", lambda: _has(text, _SELF_EMPLOYED)),
        ("individual_contributor", lambda: _has(text, _IC) or _function_of(text) is not None),
    )
    return next((level for level, matches in rules if matches()), UNKNOWN)


def _department_of(title: str, placeholders: frozenset[str]) -> str:
    text = _title_text(title, placeholders)
    if text is None:
        return UNKNOWN
    for token in text.split():
        if ref.C_LEVEL_ACRONYMS.get(token):
            return ref.C_LEVEL_ACRONYMS[token]
    chief = _CHIEF_OFFICER.search(text)
    if chief:
        inner = chief.group(1).strip()
        dept = ref.CHIEF_DEPARTMENTS.get(inner) or _function_of(f" {inner} ")
        if dept:
            return dept
    dept = _function_of(text)
    if dept:
        return dept
    if not _has(text, _VP) and _has(_without(text, _NOT_OWNER), _EXECUTIVE):
        return "executive"
    return UNKNOWN


def parse_seniority(titles: pd.Series, placeholders: Iterable[str] = PLACEHOLDERS) -> pd.Series:
    """Seniority of free-text job titles: one of SENIORITIES, or "unknown" (missing, placeholder, junk)."""
    ph = _placeholder_set(placeholders)
    return _map_categories(titles, lambda t: _seniority_of(t, ph), SENIORITY_CATEGORIES, UNKNOWN)


def parse_department(titles: pd.Series, placeholders: Iterable[str] = PLACEHOLDERS) -> pd.Series:
    """Department of free-text job titles: one of DEPARTMENTS, or "unknown"."""
    ph = _placeholder_set(placeholders)
    return _map_categories(titles, lambda t: _department_of(t, ph), DEPARTMENT_CATEGORIES, UNKNOWN)


# ------------------------------------------------------------------------------------------ email


def _email_parts(emails: pd.Series) -> pd.DataFrame:
    """Local part and domain of each address (lower case, trimmed); both <NA> when the address is invalid."""
    codes, text = _distinct_text(emails)
    text = pc.utf8_lower(pc.utf8_trim_whitespace(pa.array(text)))
    parts = pc.extract_regex(text, r"^(?P<local>.*)@(?P<domain>[^@]*)$")
    local = pc.utf8_trim_whitespace(pc.struct_field(parts, "local"))
    domain = pc.utf8_rtrim(pc.utf8_trim_whitespace(pc.struct_field(parts, "domain")), characters=".")
    valid = pc.and_(pc.greater(pc.utf8_length(local), 0), pc.match_substring_regex(domain, _DOMAIN))
    local, domain = (pd.Series(pc.if_else(valid, x, pa.scalar(None, x.type)), dtype=_TEXT) for x in (local, domain))
    return pd.DataFrame({"local": _take(local, codes, emails.index), "domain": _take(domain, codes, emails.index)})


def email_domain(emails: pd.Series) -> pd.Series:
    """Lower-cased domain after the last '@'; <NA> for missing or invalid addresses.

    Invalid: no '@', an empty local part, or a domain without a dot or with whitespace or empty labels.
    """
    return _email_parts(emails)["domain"].rename(emails.name)


def _matches(domain: str, names: frozenset[str]) -> bool:
    """``domain`` is one of ``names`` or a subdomain of one."""
    parts = domain.split(".")
    return any(".".join(parts[i:]) in names for i in range(len(parts) - 1))


def _kind_rules(config: FeatureConfig) -> list[tuple[str, Callable[[str], bool]]]:
    def listed(domains: Iterable[str]) -> Callable[[str], bool]:
        names = frozenset(d.strip().lower() for d in domains)
        return lambda d: _matches(d, names)

    suffixes = tuple(s.strip().lower() for s in config.edu_domain_suffixes)
    edu_listed = listed(config.edu_domains)
    return [
        ("internal", listed(config.internal_domains)),
        ("competitor", listed(config.competitor_domains)),
        ("disposable", listed(config.disposable_email_domains)),
        ("free", listed(config.free_email_domains)),
        ("edu", lambda d: d.endswith(suffixes) or edu_listed(d)),
    ]


def email_kind(domains: pd.Series, config: FeatureConfig) -> pd.Series:
    """Kind of an email domain: corporate, free, edu, competitor, internal, disposable or missing."""
    rules = _kind_rules(config)

    def kind(domain: str) -> str:
        domain = domain.strip().lower()
        if not domain:
            return "missing"
        return next((k for k, matches in rules if matches(domain)), "corporate")

    return _map_categories(domains, kind, EMAIL_KIND_CATEGORIES, "missing")


# ------------------------------------------------------------------------------------------ industry


def _title_case(text: str) -> str:
    """Title Case per space-separated word ("non-profit" → "Non-profit"), whitespace collapsed."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in text.split())


def normalize_industry(values: pd.Series, config: FeatureConfig) -> pd.Series:
    """Canonical industry names (synonyms from the reference table, else Title Case); placeholders → <NA>."""
    ph = _placeholder_set(config.placeholders)

    def canonical(value: str) -> str | None:
        if _is_placeholder(value, ph):
            return None
        return ref.INDUSTRY_SYNONYMS.get(normalise_text(value)) or _title_case(value)

    return _map_strings(values, canonical)


# ------------------------------------------------------------------------------------------ country and region

_COUNTRY_KEYS: dict[str, str] = {
    normalise_text(spelling): country
    for country, (_, spellings) in ref.COUNTRIES.items()
    for spelling in (country, *spellings)
}
_COUNTRY_REGION: dict[str, str] = {country: region for country, (region, _) in ref.COUNTRIES.items()}


def _country_keys(extra: Iterable[str]) -> dict[str, str]:
    """Reference spellings plus extra canonical names (which never shadow a reference country)."""
    keys = dict(_COUNTRY_KEYS)
    for name in extra:
        keys.setdefault(normalise_text(name), " ".join(name.split()))
    return keys


def country_categories(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Fixed category list of ``normalize_country``: reference countries, extra names, then "Other"."""
    keys = _country_keys(extra)
    extras = [c for c in dict.fromkeys(keys.values()) if c not in _COUNTRY_REGION]
    return (*ref.COUNTRIES, *extras, ref.OTHER_COUNTRY)


def normalize_country(
    values: pd.Series, extra: Iterable[str] = (), placeholders: Iterable[str] = PLACEHOLDERS
) -> pd.Series:
    """Canonical English country names from spellings, ISO codes and local names.

    Unrecognised text → "Other"; placeholders and missing → NaN. ``extra`` names further countries
    (e.g. the keys of ``FeatureConfig.extra_country_regions``).
    """
    extra = tuple(extra)
    keys = _country_keys(extra)
    ph = _placeholder_set(placeholders)

    def canonical(value: str) -> str | None:
        if _is_placeholder(value, ph):
            return None
        key = normalise_text(value)
        return keys.get(key) or keys.get(key.removeprefix("the ")) or ref.OTHER_COUNTRY

    return _map_categories(values, canonical, country_categories(extra), None)


def _regions(config: FeatureConfig) -> dict[str, str]:
    keys = _country_keys(config.extra_country_regions)
    extra = {keys[normalise_text(c)]: r for c, r in config.extra_country_regions.items()}
    return {**_COUNTRY_REGION, **extra}


def region_categories(config: FeatureConfig) -> tuple[str, ...]:
    """Fixed category list of ``region_of``: the five reference regions plus any the config adds."""
    added = [r for r in dict.fromkeys(config.extra_country_regions.values()) if r not in ref.REGIONS]
    return (*ref.REGIONS, *added)


def region_of(countries: pd.Series, config: FeatureConfig) -> pd.Series:
    """Sales region of each country (canonical or raw spelling); NaN for missing or "Other"."""
    keys = _country_keys(config.extra_country_regions)
    regions = _regions(config)

    def region(value: str) -> str | None:
        key = normalise_text(value)
        return regions.get(keys.get(key) or keys.get(key.removeprefix("the "), ""))

    return _map_categories(countries, region, region_categories(config), None)


# ------------------------------------------------------------------------------------------ lead source

_SOURCE_KEYWORDS = tuple((source, _pad(words)) for source, words in ref.LEAD_SOURCE_KEYWORDS)


def normalize_lead_source(values: pd.Series, placeholders: Iterable[str] = PLACEHOLDERS) -> pd.Series:
    """One of LEAD_SOURCES; "other" for unrecognised text; NaN for placeholders and missing."""
    ph = _placeholder_set(placeholders)

    def source(value: str) -> str | None:
        if _is_placeholder(value, ph):
            return None
        key = normalise_text(value)
        if key in ref.LEAD_SOURCE_ALIASES:
            return ref.LEAD_SOURCE_ALIASES[key]
        return next((s for s, words in _SOURCE_KEYWORDS if _has(f" {key} ", words)), "other")

    return _map_categories(values, source, LEAD_SOURCE_CATEGORIES, None)


# ------------------------------------------------------------------------------------------ size bands


def _band(values: pd.Series, edges: tuple[float, ...], labels: tuple[str, ...]) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    return pd.cut(numbers, bins=[*edges, np.inf], right=False, labels=list(labels))


def size_band(employees: pd.Series) -> pd.Series:
    """Ordered head-count band ("1-9" … "10000+"); NaN when missing or negative."""
    return _band(employees, ref.SIZE_EDGES, ref.SIZE_BANDS)


def revenue_band(revenue: pd.Series) -> pd.Series:
    """Ordered annual-revenue band in USD ("<1M" … "1B+"); NaN when missing or negative."""
    return _band(revenue, ref.REVENUE_EDGES, ref.REVENUE_BANDS)


# ------------------------------------------------------------------------------------------ duplicates


def _email_keys(parts: pd.DataFrame) -> np.ndarray:
    """Integer contact key per address: lower case, trimmed, "+tag" dropped from the local part (-1: none)."""
    local = pc.utf8_trim_whitespace(pc.replace_substring_regex(pa.array(parts["local"]), r"\+.*$", ""))
    key = pc.binary_join_element_wise(local, pa.array(parts["domain"]), pa.scalar("@", local.type))
    key = pc.if_else(pc.greater(pc.utf8_length(local), 0), key, pa.scalar(None, local.type))
    return pd.factorize(pd.Series(key, dtype=_TEXT), use_na_sentinel=True)[0]


def _name_keys(names: pd.Series) -> np.ndarray:
    """Integer key per lower-cased, whitespace-collapsed name (-1 when missing or blank)."""
    codes, text = _distinct_text(names)
    clean = pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.utf8_lower(pa.array(text)), r"\s+", " "))
    clean = pd.Series(clean, dtype=_TEXT)
    clean = clean.where(clean.str.len() > 0)
    return pd.factorize(_take(clean, codes, names.index), use_na_sentinel=True)[0]


def _has_earlier(created: pd.Series, keys: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
    """For each row in ``rows``: does a row with the same keys have a strictly earlier ``created``?"""
    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    subset = created.iloc[rows].reset_index(drop=True)
    first = subset.groupby([k[rows] for k in keys], sort=False).transform("min")
    return (subset > first).to_numpy(dtype=bool)


def _timestamps(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values.dtype):
        return values
    return pd.to_datetime(values, errors="coerce", utc=True, format="mixed")


def duplicate_contact(leads: pd.DataFrame) -> pd.Series:
    """True when an earlier-created lead (strictly smaller ``created_at``) is the same contact.

    Same contact: same normalised email; leads without a usable email fall back to the same lower-cased
    (first_name, last_name, company_name) when all three are present. Only earlier leads are looked at, so
    the flag is point-in-time safe and the earliest copy is never flagged.
    """
    return _duplicates(leads, _email_parts(_column(leads, "email")))


def _duplicates(leads: pd.DataFrame, email_parts: pd.DataFrame) -> pd.Series:
    created = _timestamps(leads["created_at"]).reset_index(drop=True)
    email = _email_keys(email_parts)
    names = [_name_keys(_column(leads, c)) for c in ("first_name", "last_name", "company_name")]
    flag = np.zeros(len(leads), dtype=bool)
    with_email = np.flatnonzero(email >= 0)
    flag[with_email] = _has_earlier(created, [email], with_email)
    named = np.flatnonzero(np.all([n >= 0 for n in names], axis=0))
    by_name = _has_earlier(created, names, named)
    flag[named] |= by_name & (email[named] < 0)
    return pd.Series(flag, index=leads.index, name="is_duplicate_contact")


def normalise_values(values: pd.Series, role: str, config: FeatureConfig) -> pd.Series:
    """A declared attribute's values cleaned by the named parser's normaliser (``country``, ``industry`` or
    ``lead_source``), e.g. an account's billing country spelled "DE", "Deutschland" or "Germany" → Germany."""
    if role == "country":
        return normalize_country(values, config.extra_country_regions, config.placeholders)
    if role == "industry":
        return normalize_industry(values, config)
    if role == "lead_source":
        return normalize_lead_source(values, config.placeholders)
    raise ValueError(f"no normaliser named {role!r}: choose one of {', '.join(NORMALISERS)}")


# ------------------------------------------------------------------------------------------ all attributes


def _column(leads: pd.DataFrame, name: str) -> pd.Series:
    """``leads[name]``, or an all-missing column when the optional column is absent."""
    if name in leads.columns:
        return leads[name]
    return pd.Series(None, index=leads.index, dtype=object, name=name)


def _numbers(leads: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(_column(leads, name), errors="coerce").astype("float64")


def _present(values: pd.Series, placeholders: Iterable[str]) -> np.ndarray:
    """A non-blank value that is not a placeholder."""
    codes, text = _distinct_text(values)
    clean = text.str.strip().str.lower()
    present = (clean.str.len() > 0) & ~clean.isin(list(_placeholder_set(placeholders)))
    return np.append(present.fillna(False).to_numpy(dtype=bool), False)[codes]


# ------------------------------------------------------------------------------------------ test names and spam

_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_KEYBOARD_RUNS = ("qwer", "asdf", "zxcv", "hjkl", "uiop")
_NO_VOWEL_WORD = re.compile(r"\b[b-df-hj-np-tv-xz]{6,}\b")


def _flags(values: pd.Series, fn: Callable[[str], bool]) -> np.ndarray:
    """``fn`` of each distinct present value (missing → False), as a row array."""
    codes, uniques = _factorize(values)
    return np.array([*(fn(u) for u in uniques), False], dtype=bool)[codes]


def looks_like_test_name(first: pd.Series, last: pd.Series, config: FeatureConfig) -> np.ndarray:
    """Names typed to test a form or to hide: a test word ("test", "asdf", …), a placeholder person ("John Doe"),
    the same word twice ("Test Test") or initials only. Only this flag leaves the pipeline, never the name."""
    words, persons = frozenset(config.test_name_words), frozenset(config.placeholder_persons)

    def is_test(full: str) -> bool:
        first_last = normalise_text(full).split()
        if not first_last:
            return False
        joined = " ".join(first_last)
        return (bool(words.intersection(first_last)) or joined in persons or all(len(w) == 1 for w in first_last)
                or (len(first_last) == 2 and first_last[0] == first_last[1]))  # fmt: skip

    full = first.astype("string").fillna("") + " " + last.astype("string").fillna("")
    return _flags(full.where(full.str.strip() != "", None), is_test)


def looks_like_spam(messages: pd.Series, config: FeatureConfig) -> np.ndarray:
    """Form messages that read as spam: a spam phrase (SEO, backlinks, prizes, get-rich offers…), a link, three or
    more exclamation marks, or keyboard mashing ("asdfgh", six consonants in a row)."""
    phrases = _pad(normalise_text(p) for p in config.spam_phrases)

    def is_spam(text: str) -> bool:
        clean = normalise_text(text)
        return (_has(f" {clean} ", phrases) or bool(_URL.search(text)) or text.count("!") >= 3
                or any(run in clean for run in _KEYBOARD_RUNS) or bool(_NO_VOWEL_WORD.search(clean)))  # fmt: skip

    return _flags(messages, is_spam)


# each attribute column → the parser roles (leads columns) it reads; it is built when any of them is declared
ATTRIBUTE_INPUTS: dict[str, tuple[str, ...]] = {
    "seniority": ("job_title",), "department": ("job_title",), "email_domain": ("email",),
    "email_kind": ("email",), "is_free_email": ("email",), "is_disposable_domain": ("email",),
    "industry": ("industry",), "is_ideal_industry": ("industry",), "employees": ("employees",),
    "company_size_band": ("employees",), "annual_revenue": ("annual_revenue",), "revenue_band": ("annual_revenue",),
    "country": ("country",), "region": ("country",), "in_service_area": ("country",), "lead_source": ("lead_source",),
    "is_duplicate_contact": ("email", "first_name", "last_name", "company_name"), "has_phone": ("phone",),
    "has_form_message": ("form_message",), "has_test_name": ("first_name", "last_name"),
    "is_spam_message": ("form_message",),
}  # fmt: skip
assert tuple(ATTRIBUTE_INPUTS) == ATTRIBUTE_COLUMNS


def parsed_columns(parsers) -> list[str]:
    """The attribute columns the given parser roles make."""
    return [c for c, roles in ATTRIBUTE_INPUTS.items() if set(roles) & set(parsers)]


def lead_attributes(leads: pd.DataFrame, config: FeatureConfig | None = None) -> pd.DataFrame:
    """Cleaned attributes of every lead, indexed by lead_id in input order (no PII columns).

    Columns: those of :data:`ATTRIBUTE_COLUMNS` whose parsers ``config.parsers`` declares (all by default).
    A declared parser's input column missing from ``leads`` counts as all-missing.
    """
    config = config or FeatureConfig()
    ph = config.placeholders
    wanted = parsed_columns(config.parsers)
    index = pd.Index(leads["lead_id"].to_numpy(), name="lead_id")
    if not wanted:
        return pd.DataFrame(index=index)
    titles = _column(leads, "job_title")
    email_parts = _email_parts(_column(leads, "email"))
    domain = email_parts["domain"]
    kind = email_kind(domain, config)
    industry = normalize_industry(_column(leads, "industry"), config)
    ideal = normalize_industry(pd.Series(config.ideal_industries, dtype=object), config).dropna()
    country = normalize_country(_column(leads, "country"), config.extra_country_regions, ph)
    region = region_of(country, config)
    employees, revenue = _numbers(leads, "employees"), _numbers(leads, "annual_revenue")
    columns = {
        "seniority": lambda: parse_seniority(titles, ph),
        "department": lambda: parse_department(titles, ph),
        "email_domain": lambda: domain,
        "email_kind": lambda: kind,
        "is_free_email": lambda: kind == "free",
        "is_disposable_domain": lambda: kind == "disposable",
        "industry": lambda: industry,
        "is_ideal_industry": lambda: industry.isin(ideal.tolist()),
        "employees": lambda: employees,
        "company_size_band": lambda: size_band(employees),
        "annual_revenue": lambda: revenue,
        "revenue_band": lambda: revenue_band(revenue),
        "country": lambda: country,
        "region": lambda: region,
        "in_service_area": lambda: region.isin(config.service_regions),
        "lead_source": lambda: normalize_lead_source(_column(leads, "lead_source"), ph),
        "is_duplicate_contact": lambda: _duplicates(leads, email_parts),
        "has_phone": lambda: _present(_column(leads, "phone"), ph),
        "has_form_message": lambda: _present(_column(leads, "form_message"), ph),
        "has_test_name": lambda: looks_like_test_name(_column(leads, "first_name"), _column(leads, "last_name"),
                                                      config),
        "is_spam_message": lambda: looks_like_spam(_column(leads, "form_message"), config),
    }  # fmt: skip
    built = {k: columns[k]() for k in wanted}
    out = pd.DataFrame({k: v.array if isinstance(v, pd.Series) else v for k, v in built.items()}, index=index)
    bools = ["is_free_email", "is_disposable_domain", "is_ideal_industry", "in_service_area", "is_duplicate_contact"]
    return out.astype({b: bool for b in bools if b in out})
