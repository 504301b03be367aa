"""Generate a synthetic B2B lead world: leads, behavioural events, conversions and the ground truth.

How the world works (all of it vectorised over leads, segments and events):

1. Companies (industry, size, revenue, country) and contacts (title, department, email, source) are drawn
   from :mod:`.vocab`; raw attributes get CRM mess (casing, spellings, placeholders, missing values).
2. Each lead's latent *fit* is a sum of attribute effects (with a non-linear size effect, an ICP × size
   interaction and a little unexplained noise).
3. Each lead's latent *intent* follows the daily Markov chain of :mod:`.intent` from its creation day.
4. Conversion happens on a day with the chain's hazard (fit × intent); the intercept is solved so the share
   of leads that convert matches ``conversion_rate``. Bots, spam, staff, competitors and duplicates never convert.
5. Events are Poisson per segment with state-dependent rates per event type, plus derived events
   (attendance after registration, cancellations after meetings), one-time events kept once, email events
   suppressed after an unsubscribe, bounces for invalid addresses, and bot bursts of page views.

With ``product_lines=2`` every lead asks about one of two product lines (the ``product_line`` column) whose
converting profiles differ: for the second, the firmographic part of the fit (industry, size, seniority) is reversed
(unless ``profiles_differ=False``: two lines, one profile).

With ``drift=True`` the world changes at 65 % of its span: different industries fit, the pricing page is
viewed by everyone after a site redesign, and the lead-source mix tilts to cheap channels.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from predictive_leads.data.contracts import EVENT_TYPES, TIMESTAMP_UNIT
from predictive_leads.synth import intent, vocab

DAY_MS = 86_400_000
GENERATOR_VERSION = 1

# daily event rates per latent state: dormant, researching, engaged, buying
EMISSION_RATES: dict[str, tuple[float, float, float, float]] = {
    "page_view": (0.003, 0.05, 0.15, 0.15),
    "product_page_view": (0.001, 0.02, 0.08, 0.10),
    "pricing_page_view": (0.0003, 0.004, 0.050, 0.25),
    "case_study_download": (0.0001, 0.004, 0.020, 0.030),
    "ebook_download": (0.0004, 0.010, 0.008, 0.003),
    "webinar_registered": (0.0003, 0.005, 0.015, 0.006),
    "newsletter_subscribe": (0.0003, 0.004, 0.003, 0.001),
    "email_open": (0.010, 0.04, 0.08, 0.10),
    "email_click": (0.001, 0.008, 0.030, 0.050),
    "email_reply": (0.0001, 0.0008, 0.004, 0.030),
    "form_submit": (0.0001, 0.002, 0.006, 0.020),
    "demo_request": (0.00001, 0.0001, 0.0015, 0.020),
    "free_trial_start": (0.00001, 0.0001, 0.0010, 0.012),
    "meeting_scheduled": (0.0, 0.0001, 0.0010, 0.025),
    "unsubscribe": (0.0008, 0.0003, 0.0001, 0.00005),
    "chat_started": (0.0001, 0.0015, 0.006, 0.015),
}
# after drift: a redesigned site puts pricing in the navigation, webinars become a bigger programme
DRIFT_RATE_MULTIPLIERS = {"pricing_page_view": (20.0, 8.0, 2.0, 1.2), "webinar_registered": (2.0, 2.0, 2.0, 2.0)}
ATTEND_PROBABILITY = np.array([0.2, 0.4, 0.55, 0.5])
CANCEL_PROBABILITY = np.array([0.4, 0.3, 0.2, 0.1])
ONE_TIME_EVENTS = ("newsletter_subscribe", "free_trial_start", "unsubscribe")
EMAIL_EVENTS = ("email_open", "email_click", "email_reply")

PAGE_URLS = (
    "/",
    "/blog/lead-scoring-101",
    "/blog/attribution",
    "/about",
    "/careers",
    "/customers",
    "/integrations",
    "/docs",
)
PRODUCT_URLS = ("/product/scoring", "/product/routing", "/product/analytics", "/product/integrations")
FORM_URLS = ("/contact", "/resources", "/assessment", "/consultation")
CASE_STUDIES = ("case-study-fintech", "case-study-manufacturing", "case-study-saas")
EBOOKS = ("ebook-lead-scoring-guide", "ebook-roi-calculator", "ebook-b2b-benchmarks", "cheat-sheet-mql-sql")
NURTURE = ("nurture-welcome", "nurture-roi", "nurture-case-studies")

KINDS = ("regular", "bot", "spam", "internal", "competitor", "duplicate")


@dataclass(frozen=True)
class SynthConfig:
    """Knobs of the synthetic world. Defaults give a realistic two-year CRM."""

    n_leads: int = 20_000
    seed: int = 0
    start: str = "2024-09-01"
    days: int = 730
    conversion_rate: float = 0.06
    drift: bool = False
    drift_at: float = 0.65
    activity: float = 1.0
    bot_share: float = 0.015
    spam_share: float = 0.015
    internal_share: float = 0.005
    competitor_share: float = 0.008
    duplicate_share: float = 0.03
    fit_noise_sd: float = 0.15
    product_lines: int = 1
    profiles_differ: bool = True  # with product_lines > 1: False gives every line the same converting profile

    def __post_init__(self) -> None:
        if not 1 <= self.product_lines <= len(vocab.PRODUCT_LINES):
            raise ValueError(f"product_lines must be within 1–{len(vocab.PRODUCT_LINES)}, got {self.product_lines}")
        if not self.profiles_differ and self.product_lines == 1:
            raise ValueError("one profile for every product line (--same-profiles) needs product_lines 2")
        if self.n_leads < 10:
            raise ValueError(f"n_leads must be at least 10, got {self.n_leads}")
        if not 0.02 <= self.conversion_rate <= 0.10:
            raise ValueError(f"conversion_rate must be within 0.02–0.10, got {self.conversion_rate}")
        if self.days < 540:
            raise ValueError(f"days must be at least 540 (18 months of history), got {self.days}")
        if self.activity <= 0:
            raise ValueError(f"activity must be positive, got {self.activity}")
        shares = (self.bot_share, self.spam_share, self.internal_share, self.competitor_share, self.duplicate_share)
        if min(shares) < 0 or sum(shares) >= 0.5:
            raise ValueError("planted shares must be non-negative and sum to less than 0.5")

    @property
    def start_ts(self) -> pd.Timestamp:
        return pd.Timestamp(self.start, tz="UTC")

    @property
    def end_ts(self) -> pd.Timestamp:
        return self.start_ts + pd.Timedelta(days=self.days)

    @property
    def drift_day(self) -> int | None:
        return round(self.days * self.drift_at) if self.drift else None


@dataclass
class World:
    """A generated world: the four tables and the parameters the oracle needs."""

    leads: pd.DataFrame
    events: pd.DataFrame
    conversions: pd.DataFrame
    truth: pd.DataFrame
    meta: dict

    @property
    def observed_until(self) -> pd.Timestamp:
        return pd.Timestamp(self.meta["observed_until"])


# ------------------------------------------------------------------------------------------ helpers


def _pick(rng: np.random.Generator, weights: dict, n: int) -> np.ndarray:
    names = list(weights)
    p = np.array([w[0] if isinstance(w, tuple) else w for w in weights.values()], dtype=float)
    return np.array(names, dtype=object)[rng.choice(len(names), size=n, p=p / p.sum())]


def _choice(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), size=n)]


@functools.lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _mess_case(rng: np.random.Generator, values: np.ndarray, share: float = 0.15) -> np.ndarray:
    """Inconsistent casing and stray whitespace, as typed into a CRM."""
    out = values.copy()
    roll = rng.random(len(values))
    for lo, hi, fn in (
        (0, share / 3, str.lower),
        (share / 3, 2 * share / 3, str.upper),
        (2 * share / 3, share, lambda s: f" {s} "),
    ):
        idx = np.flatnonzero((roll >= lo) & (roll < hi))
        out[idx] = [fn(v) if isinstance(v, str) else v for v in out[idx]]
    return out


def _blank(rng: np.random.Generator, values: np.ndarray, missing: float, placeholder: float) -> np.ndarray:
    """Replace a share of values by None and another share by an 'N/A'-style placeholder."""
    out = values.copy()
    roll = rng.random(len(values))
    out[roll < missing] = None
    ph = np.flatnonzero((roll >= missing) & (roll < missing + placeholder))
    out[ph] = _choice(rng, vocab.PLACEHOLDERS, len(ph))
    return out


# ------------------------------------------------------------------------------------------ attributes


def _companies(rng: np.random.Generator, n: int) -> pd.DataFrame:
    syl = vocab.COMPANY_SYLLABLES
    a, b, c = (rng.integers(0, len(syl), n) for _ in range(3))
    stems = [f"{syl[i]}{syl[j]}{syl[k]}".capitalize() for i, j, k in zip(a, b, c, strict=True)]
    stems = [f"{s}{i % 97}" if i % 7 == 0 else s for i, s in enumerate(stems)]
    suffix = _choice(rng, vocab.COMPANY_SUFFIXES, n)
    region = _pick(rng, vocab.REGIONS, n)
    country = np.empty(n, dtype=object)
    for r, (_, _, countries) in vocab.REGIONS.items():
        idx = np.flatnonzero(region == r)
        country[idx] = _choice(rng, tuple(countries), len(idx))
    employees = np.round(np.exp(rng.normal(np.log(180), 1.7, n))).clip(1, 250_000)
    revenue = np.round(employees * np.exp(rng.normal(np.log(160_000), 0.5, n)), -3)
    return pd.DataFrame(
        {
            "company_name": [f"{s} {x}".strip() for s, x in zip(stems, suffix, strict=True)],
            "domain": [f"{_ascii(s)}.com" for s in stems],
            "industry": _pick(rng, vocab.INDUSTRIES, n),
            "region": region,
            "country": country,
            "employees": employees,
            "annual_revenue": revenue,
        }
    )


def _title_options(seniority: str, department: str) -> tuple[str, ...]:
    """Every way a CRM might spell a title of this seniority and department."""
    if seniority == "c_level":
        return vocab.C_LEVEL_TITLES[department]
    if seniority in vocab.SENIORITY_TEMPLATES:
        words = vocab.DEPARTMENT_WORDS["sales" if department == "executive" else department]
        return tuple(t.format(d=w) for t in vocab.SENIORITY_TEMPLATES[seniority] for w in words)
    if seniority == "individual_contributor":
        return vocab.IC_TITLES["other" if department == "executive" else department]
    return vocab.STUDENT_OTHER_TITLES


def _titles(rng: np.random.Generator, seniority: np.ndarray, department: np.ndarray) -> np.ndarray:
    out = np.empty(len(seniority), dtype=object)
    pairs = pd.DataFrame({"s": seniority, "d": department})
    for (s, d), rows in pairs.groupby(["s", "d"], sort=True).indices.items():
        out[rows] = _choice(rng, _title_options(s, d), len(rows))
    return out


def _created_days(rng: np.random.Generator, n: int, days: int, growth: float = 0.6) -> np.ndarray:
    """Creation times in fractional days, denser later (the business grows)."""
    u = rng.random(n)
    # inverse CDF of density ∝ 1 + growth * t / days on [0, days)
    t = (-1 + np.sqrt(1 + growth * (2 + growth) * u)) / growth
    return np.sort(t * days)


def _size_effect(employees: np.ndarray) -> np.ndarray:
    edges = np.array([10, 50, 200, 1_000, 10_000])
    effects = np.array([-1.0, -0.4, 0.0, 0.4, 0.6, 0.3])
    return effects[np.searchsorted(edges, employees, side="right")]


def _fit(attrs: pd.DataFrame, period: int, noise: np.ndarray) -> np.ndarray:
    """Latent fit (log-odds) of each lead in a period (0 before drift, 1 after). A lead of a product line with the
    reversed profile (``reversed_profile``) has the firmographic part (industry, size, seniority) reversed."""
    col = 1 + period
    industry = attrs["industry_true"].map({k: v[col] for k, v in vocab.INDUSTRIES.items()}).to_numpy(float)
    ideal = industry >= 0.4
    big = attrs["employees_true"].to_numpy() >= 200
    seniority = attrs["seniority"].map({k: v[col] for k, v in vocab.SENIORITY.items()}).to_numpy(float)
    department = attrs["department"].map({k: v[1] for k, v in vocab.DEPARTMENT.items()}).fillna(0.2)
    email = attrs["email_kind"].map({"free": -0.7, "edu": -1.4}).fillna(0.0).to_numpy(float)
    region_ok = attrs["region"].map({k: v[1] for k, v in vocab.REGIONS.items()}).to_numpy(bool)
    source = attrs["lead_source_true"].map({k: v[1] for k, v in vocab.LEAD_SOURCES.items()}).to_numpy(float)
    firmographic = industry + _size_effect(attrs["employees_true"].to_numpy()) + 0.4 * (ideal & big) + seniority
    if "reversed_profile" in attrs:
        firmographic = np.where(attrs["reversed_profile"].to_numpy(), -1, 1) * firmographic
    return firmographic + department.to_numpy(float) + email - 1.4 * ~region_ok + source + noise


def _lead_attributes(rng: np.random.Generator, cfg: SynthConfig) -> pd.DataFrame:
    """Who every lead is, before CRM mess: kind, company, role, email kind, source, creation time."""
    n = cfg.n_leads
    shares = {
        "bot": cfg.bot_share,
        "spam": cfg.spam_share,
        "internal": cfg.internal_share,
        "competitor": cfg.competitor_share,
        "duplicate": cfg.duplicate_share,
    }
    shares["regular"] = 1 - sum(shares.values())
    kind = _pick(rng, {k: shares[k] for k in KINDS}, n)
    created = _created_days(rng, n, cfg.days)

    companies = _companies(rng, max(1, n // 3))
    weights = 1.0 / np.arange(1, len(companies) + 1) ** 0.6
    company = rng.choice(len(companies), size=n, p=weights / weights.sum())
    attrs = companies.iloc[company].reset_index(drop=True)
    attrs = attrs.rename(columns={"industry": "industry_true", "employees": "employees_true"})
    attrs.insert(0, "kind", kind)
    attrs.insert(1, "created_day", created)

    seniority = _pick(rng, vocab.SENIORITY, n)
    department = _pick(rng, vocab.DEPARTMENT, n)
    exec_ = (seniority == "c_level") & (rng.random(n) < 0.5)
    department[exec_] = "executive"
    attrs["seniority"], attrs["department"] = seniority, department

    email_kind = np.where(rng.random(n) < 0.17, "free", "corporate").astype(object)
    student = seniority == "student_other"
    email_kind[(student & (rng.random(n) < 0.5)) | (rng.random(n) < 0.03)] = "edu"
    junk = np.isin(kind, ("bot", "spam"))
    email_kind[junk] = np.where(rng.random(junk.sum()) < 0.6, "disposable", "free")
    email_kind[kind == "internal"] = "internal"
    email_kind[kind == "competitor"] = "competitor"
    attrs["email_kind"] = email_kind

    source = _pick(rng, vocab.LEAD_SOURCES, n)
    if cfg.drift_day is not None:
        after = created >= cfg.drift_day
        source[after] = _pick(rng, vocab.LEAD_SOURCE_SHARES_AFTER, int(after.sum()))
    attrs["lead_source_true"] = source
    attrs.loc[kind == "internal", ["company_name", "industry_true", "region", "country"]] = [
        "Northwind Analytics",
        "Software",
        "Europe",
        "Czech Republic",
    ]
    comp = np.flatnonzero(kind == "competitor")
    attrs.loc[comp, "company_name"] = _choice(rng, ("LeadMetrics", "ScoreWise", "FunnelForge"), len(comp))
    attrs.loc[comp, "industry_true"] = "Software"
    return attrs


def _plant_duplicates(rng: np.random.Generator, attrs: pd.DataFrame, days: int) -> np.ndarray:
    """Point each duplicate at an earlier regular lead; copy who they are. Returns the original's index."""
    dup = np.flatnonzero(attrs["kind"].to_numpy() == "duplicate")
    original = np.full(len(attrs), -1)
    regular = np.flatnonzero(attrs["kind"].to_numpy() == "regular")
    if len(dup) == 0 or len(regular) == 0:
        attrs.loc[dup, "kind"] = "regular"
        return original
    created = attrs["created_day"].to_numpy()
    # an original created before the duplicate (fall back to the earliest regular lead)
    pos = np.searchsorted(created[regular], created[dup], side="left")
    pick = np.floor(rng.random(len(dup)) * np.maximum(pos, 1)).astype(int)
    orig = regular[np.minimum(pick, len(regular) - 1)]
    same_time = created[orig] >= created[dup]
    attrs.loc[dup[same_time], "created_day"] = np.minimum(created[orig[same_time]] + 1.0, days - 1e-3)
    for col in attrs.columns.drop(["kind", "created_day"]):
        values = attrs[col].to_numpy().copy()
        values[dup] = values[orig]
        attrs[col] = values
    original[dup] = orig
    return original


def _initial_state(rng: np.random.Generator, attrs: pd.DataFrame) -> np.ndarray:
    n = len(attrs)
    source = attrs["lead_source_true"].to_numpy()
    state = np.zeros(n, dtype=np.int8)
    u = rng.random(n)
    for name, (_, _, p0, _) in vocab.LEAD_SOURCES.items():
        idx = np.flatnonzero(source == name)
        state[idx] = np.searchsorted(np.cumsum(p0), u[idx], side="right").clip(0, 3)
    kind = attrs["kind"].to_numpy()
    state[np.isin(kind, ("bot", "spam", "duplicate"))] = 0
    state[kind == "competitor"] = 2
    state[kind == "internal"] = 1
    return state


# ------------------------------------------------------------------------------------------ raw CRM table


def _names(rng: np.random.Generator, kind: np.ndarray, original: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(kind)
    first = _choice(rng, vocab.FIRST_NAMES, n)
    last = _choice(rng, vocab.LAST_NAMES, n)
    dummy = np.flatnonzero(np.isin(kind, ("bot", "spam")) & (rng.random(n) < 0.5))
    pairs = rng.integers(0, len(vocab.DUMMY_NAMES), len(dummy))
    first[dummy] = [vocab.DUMMY_NAMES[p][0] for p in pairs]
    last[dummy] = [vocab.DUMMY_NAMES[p][1] for p in pairs]
    dup = np.flatnonzero(original >= 0)
    first[dup], last[dup] = first[original[dup]], last[original[dup]]
    return first, last


def _emails(rng, attrs: pd.DataFrame, first, last, original) -> np.ndarray:
    n = len(attrs)
    kind = attrs["email_kind"].to_numpy()
    domain = attrs["domain"].to_numpy().copy()
    for k, options in (
        ("free", vocab.FREE_DOMAINS),
        ("edu", vocab.EDU_DOMAINS),
        ("disposable", vocab.DISPOSABLE_DOMAINS),
        ("competitor", vocab.COMPETITOR_DOMAINS),
        ("internal", vocab.INTERNAL_DOMAINS),
    ):
        idx = np.flatnonzero(kind == k)
        domain[idx] = _choice(rng, options, len(idx))
    comp = np.flatnonzero(kind == "competitor")
    names = attrs["company_name"].to_numpy()
    lookup = dict(zip(("LeadMetrics", "ScoreWise", "FunnelForge"), vocab.COMPETITOR_DOMAINS, strict=True))
    domain[comp] = [lookup[names[i]] for i in comp]
    digits = rng.integers(0, 100, n)
    style = rng.integers(0, 3, n)
    emails = np.array(
        [
            (f"{_ascii(f)}.{_ascii(la)}" if s == 0 else f"{_ascii(f)[0]}{_ascii(la)}" if s == 1 else f"{_ascii(f)}{d}")
            + "@"
            + dom
            for f, la, dom, s, d in zip(first, last, domain, style, digits, strict=True)
        ],
        dtype=object,
    )
    dup = np.flatnonzero(original >= 0)
    variants = rng.integers(0, 3, len(dup))
    base = emails[original[dup]]
    emails[dup] = [
        e.upper() if v == 0 else e.replace("@", "+crm@") if v == 1 else e.capitalize()
        for e, v in zip(base, variants, strict=True)
    ]
    emails[rng.random(n) < 0.02] = None
    return emails


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    numbers = rng.integers(0, 10_000, n)
    fmt = rng.integers(0, 3, n)
    out = np.array(
        [
            f"+1 555 01{x:04d}" if f == 0 else f"(555) 01{x:04d}" if f == 1 else f"555-01{x:04d}"
            for x, f in zip(numbers, fmt, strict=True)
        ],
        dtype=object,
    )
    out[rng.random(n) < 0.4] = None
    return out


def _raw_leads(rng: np.random.Generator, attrs: pd.DataFrame, original: np.ndarray, created_at) -> pd.DataFrame:
    n = len(attrs)
    kind = attrs["kind"].to_numpy()
    first, last = _names(rng, kind, original)
    titles = _titles(rng, attrs["seniority"].to_numpy(), attrs["department"].to_numpy())
    titles[np.isin(kind, ("bot", "spam"))] = _choice(
        rng, ("asdf", "-", "test", "CEO", "Owner"), int(np.isin(kind, ("bot", "spam")).sum())
    )
    dup = np.flatnonzero(original >= 0)
    titles[dup] = titles[original[dup]]
    country, true_source = attrs["country"].to_numpy(), attrs["lead_source_true"].to_numpy()
    spelled_country = np.empty(n, dtype=object)
    for _, (_, _, countries) in vocab.REGIONS.items():
        for canonical, spellings in countries.items():
            idx = np.flatnonzero(country == canonical)
            spelled_country[idx] = _choice(rng, spellings, len(idx))
    source = np.empty(n, dtype=object)
    for canonical, spellings in vocab.LEAD_SOURCE_SPELLINGS.items():
        idx = np.flatnonzero(true_source == canonical)
        source[idx] = _choice(rng, spellings, len(idx))
    message = np.full(n, None, dtype=object)
    genuine = np.flatnonzero((kind == "regular") & (rng.random(n) < 0.15))
    message[genuine] = _choice(rng, vocab.GENUINE_MESSAGES, len(genuine))
    spam = np.flatnonzero(kind == "spam")
    message[spam] = _choice(rng, vocab.SPAM_MESSAGES, len(spam))
    employees = attrs["employees_true"].to_numpy(float).copy()
    employees[rng.random(n) < 0.08] = np.nan
    revenue = attrs["annual_revenue"].to_numpy(float).copy()
    revenue[rng.random(n) < 0.25] = np.nan
    lines = {"product_line": attrs["product_line"].to_numpy()} if "product_line" in attrs else {}
    return pd.DataFrame(
        {
            "lead_id": [f"L{i + 1:07d}" for i in range(n)],
            "created_at": created_at,
            "email": _emails(rng, attrs, first, last, original),
            "first_name": first,
            "last_name": last,
            "phone": _phones(rng, n),
            "job_title": _blank(rng, _mess_case(rng, titles), 0.05, 0.01),
            "company_name": _blank(rng, attrs["company_name"].to_numpy(), 0.02, 0.0),
            "industry": _blank(rng, _mess_case(rng, attrs["industry_true"].to_numpy()), 0.06, 0.03),
            "employees": employees,
            "annual_revenue": revenue,
            "country": _blank(rng, spelled_country, 0.04, 0.01),
            "lead_source": _blank(rng, _mess_case(rng, source, 0.05), 0.02, 0.02),
            "form_message": message,
            **lines,
        }
    )


# ------------------------------------------------------------------------------------------ events


def _rates(drift_day: int | None) -> np.ndarray:
    """Rates[period, state, type] for the emitted (non-derived) event types, in events per day."""
    types = list(EMISSION_RATES)
    base = np.array([EMISSION_RATES[t] for t in types]).T  # state × type
    after = base.copy()
    for t, mult in DRIFT_RATE_MULTIPLIERS.items():
        after[:, types.index(t)] *= np.array(mult)
    return np.stack([base, after if drift_day is not None else base])


def _emit(rng, seg: intent.Segments, seg_from_ms, seg_to_ms, period, scale, drift_day):
    """Poisson events per segment with state-dependent type mix; returns (lead, ts_ms, type_code)."""
    rates = _rates(drift_day) * scale
    total = rates.sum(axis=2)  # period × state
    dur_days = np.maximum(seg_to_ms - seg_from_ms, 0) / DAY_MS
    counts = rng.poisson(total[period, seg.state] * dur_days)
    idx = np.repeat(np.arange(len(seg)), counts)
    cum = np.cumsum(rates / total[..., None], axis=2)
    key = period[idx] * intent.N_STATES + seg.state[idx]
    u = rng.random(len(idx))
    local = np.empty(len(idx), dtype=np.int8)
    flat = cum.reshape(-1, cum.shape[2])
    for k in np.unique(key):
        sel = np.flatnonzero(key == k)
        local[sel] = np.searchsorted(flat[k], u[sel], side="right").clip(0, flat.shape[1] - 1)
    type_code = np.array([EVENT_TYPES.index(t) for t in EMISSION_RATES], dtype=np.int8)[local]
    ts = seg_from_ms[idx] + (rng.random(len(idx)) * (seg_to_ms - seg_from_ms)[idx]).astype(np.int64)
    return seg.lead[idx], ts, type_code, seg.state[idx]


def _derived(rng, lead, ts, code, state, source_type: str, new_type: str, prob, delay_days):
    sel = np.flatnonzero(code == EVENT_TYPES.index(source_type))
    keep = sel[rng.random(len(sel)) < prob[state[sel]]]
    delay = (rng.uniform(*delay_days, len(keep)) * DAY_MS).astype(np.int64)
    return lead[keep], ts[keep] + delay, np.full(len(keep), EVENT_TYPES.index(new_type), dtype=np.int8)


def _bot_bursts(rng, bots: np.ndarray, created_ms: np.ndarray, end_ms: int):
    n_bursts = rng.integers(1, 4, len(bots))
    burst_lead = np.repeat(bots.astype(np.int32), n_bursts)
    is_first = np.zeros(len(burst_lead), dtype=bool)
    is_first[np.cumsum(n_bursts) - n_bursts] = True
    start = created_ms[burst_lead] + np.where(
        is_first,
        rng.integers(0, 600_000, len(burst_lead)),
        (rng.random(len(burst_lead)) * 60 * DAY_MS).astype(np.int64),
    )
    size = rng.integers(100, 400, len(burst_lead))
    span = rng.integers(60_000, 600_000, len(burst_lead))
    ev_burst = np.repeat(np.arange(len(burst_lead)), size)
    ts = start[ev_burst] + (rng.random(len(ev_burst)) * span[ev_burst]).astype(np.int64)
    kinds = np.array(
        [
            EVENT_TYPES.index(t)
            for t in ("page_view", "page_view", "page_view", "product_page_view", "pricing_page_view")
        ],
        dtype=np.int8,
    )
    code = kinds[rng.integers(0, len(kinds), len(ev_burst))]
    lead = burst_lead[ev_burst]
    ok = ts < end_ms
    return lead[ok], ts[ok], code[ok]


def _is_type(code: np.ndarray, *names: str) -> np.ndarray:
    """Mask of events whose type code is one of ``names`` (a lookup table: much faster than np.isin)."""
    table = np.zeros(len(EVENT_TYPES), dtype=bool)
    table[[EVENT_TYPES.index(n) for n in names]] = True
    return table[code]


def _first_per_lead(lead: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Positions (in sorted order) of the first row per lead among rows where mask holds."""
    sel = np.flatnonzero(mask)
    _, first = np.unique(lead[sel], return_index=True)
    return sel[first]


def _clean_events(lead, ts, code, invalid_email: np.ndarray, n_leads: int, start_ms: int):
    """Sort by (lead, ts); keep one-time events once; suppress email after unsubscribe; bounce bad addresses."""
    order = np.argsort(lead.astype(np.int64) << 37 | (ts - start_ms), kind="stable")
    lead, ts, code = lead[order], ts[order], code[order]
    keep = np.ones(len(lead), dtype=bool)
    for name in ONE_TIME_EVENTS:
        c = code == EVENT_TYPES.index(name)
        keep[c] = False
        keep[_first_per_lead(lead, c)] = True
    email = _is_type(code, *EMAIL_EVENTS, "newsletter_subscribe")
    unsub_ts = np.full(n_leads, np.iinfo(np.int64).max)
    first_unsub = _first_per_lead(lead, code == EVENT_TYPES.index("unsubscribe"))
    unsub_ts[lead[first_unsub]] = ts[first_unsub]
    keep &= ~(email & (ts > unsub_ts[lead]))
    # invalid addresses: marketing email bounces (the first two sends are recorded), no opens or clicks
    bad = invalid_email[lead] & _is_type(code, *EMAIL_EVENTS)
    code = code.copy()
    code[bad] = EVENT_TYPES.index("email_bounce")
    bounce = np.flatnonzero(bad & keep)
    if len(bounce):
        rank = np.arange(len(bounce)) - np.searchsorted(lead[bounce], lead[bounce], side="left")
        keep[bounce[rank >= 2]] = False
    return lead[keep], ts[keep], code[keep]


def _details(rng, ts_ms: np.ndarray, code: np.ndarray, state: np.ndarray, start: pd.Timestamp):
    """url / campaign / asset as categoricals (small vocabularies, months for campaigns)."""
    n = len(code)
    months = (ts_ms.astype("datetime64[ms]").astype("datetime64[M]")).astype(np.int64)
    month_min = int(start.tz_localize(None).to_datetime64().astype("datetime64[M]").astype(np.int64))
    month = months - month_min
    n_months = int(month.max()) + 1 if n else 1
    labels = [str(np.datetime64(month_min + m, "M")) for m in range(n_months)]

    def code_of(*names):
        return _is_type(code, *names)

    url = np.full(n, -1, dtype=np.int16)
    url_vocab = [*PAGE_URLS, *PRODUCT_URLS, "/pricing", *FORM_URLS, "/newsletter", "/demo", "/signup"]

    def put(target, mask, options, vocab_list):
        idx = np.flatnonzero(mask)
        target[idx] = np.array([vocab_list.index(o) for o in options])[rng.integers(0, len(options), len(idx))]

    put(url, code_of("page_view", "chat_started"), PAGE_URLS, url_vocab)
    put(url, code_of("product_page_view"), PRODUCT_URLS, url_vocab)
    url[code_of("pricing_page_view")] = url_vocab.index("/pricing")
    url[code_of("newsletter_subscribe")] = url_vocab.index("/newsletter")
    url[code_of("demo_request")] = url_vocab.index("/demo")
    url[code_of("free_trial_start")] = url_vocab.index("/signup")
    forms = code_of("form_submit")
    put(url, forms & (state < 3), ("/contact", "/resources", "/resources", "/assessment"), url_vocab)
    put(url, forms & (state == 3), ("/contact", "/assessment", "/consultation", "/consultation"), url_vocab)

    asset = np.full(n, -1, dtype=np.int16)
    asset_vocab = [*CASE_STUDIES, *EBOOKS]
    put(asset, code_of("case_study_download"), CASE_STUDIES, asset_vocab)
    put(asset, code_of("ebook_download"), EBOOKS, asset_vocab)

    programmes = ["newsletter", "webinar", *NURTURE]
    campaign_vocab = [f"{p}-{m}" for p in programmes[:2] for m in labels] + list(NURTURE) + ["outbound-sequence"]
    campaign = np.full(n, -1, dtype=np.int32)
    webinar = code_of("webinar_registered", "webinar_attended")
    campaign[webinar] = n_months + month[webinar]
    mail = np.flatnonzero(code_of(*EMAIL_EVENTS, "email_bounce", "unsubscribe"))
    nurture = rng.random(len(mail)) < 0.4
    campaign[mail[~nurture]] = month[mail[~nurture]]
    campaign[mail[nurture]] = 2 * n_months + rng.integers(0, len(NURTURE), int(nurture.sum()))
    return (
        pd.Categorical.from_codes(url, categories=url_vocab),
        pd.Categorical.from_codes(campaign, categories=campaign_vocab),
        pd.Categorical.from_codes(asset, categories=asset_vocab),
    )


# ------------------------------------------------------------------------------------------ the world


def generate_world(config: SynthConfig | None = None, **overrides) -> World:
    """Generate a world. ``generate_world(n_leads=5000, seed=3)`` is shorthand for a config."""
    cfg = config or SynthConfig(**overrides)
    if config is not None and overrides:
        cfg = SynthConfig(**{**asdict(config), **overrides})
    rng = np.random.default_rng(np.random.PCG64(cfg.seed))
    start_ms = int(cfg.start_ts.value // 1_000_000)
    end_ms = start_ms + cfg.days * DAY_MS

    attrs = _lead_attributes(rng, cfg)
    original = _plant_duplicates(rng, attrs, cfg.days)
    order = np.argsort(attrs["created_day"].to_numpy(), kind="stable")  # lead ids follow creation order
    attrs = attrs.iloc[order].reset_index(drop=True)
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    original = np.where(original[order] >= 0, remap[np.maximum(original[order], 0)], -1)
    n = len(attrs)
    kind = attrs["kind"].to_numpy()
    created_ms = start_ms + np.round(attrs["created_day"].to_numpy() * DAY_MS).astype(np.int64)
    created_day = (created_ms - start_ms) // DAY_MS

    if cfg.product_lines > 1:  # drawn from a stream of its own: the rest of the world is the same draw
        lines = np.random.default_rng([cfg.seed, 1]).integers(0, cfg.product_lines, n)
        attrs["product_line"] = np.asarray(vocab.PRODUCT_LINES, dtype=object)[lines]
        attrs["reversed_profile"] = (lines == 1) & cfg.profiles_differ
    noise = rng.normal(0, cfg.fit_noise_sd, n)
    fit_before = _fit(attrs, 0, noise)
    fit_after = _fit(attrs, 1, noise) if cfg.drift else fit_before.copy()
    never = kind != "regular"
    fit_before[never] = -np.inf
    fit_after[never] = -np.inf

    # latent intent paths and conversions
    drift_day = cfg.drift_day
    seg = intent.simulate_paths(rng, created_day, _initial_state(rng, attrs), cfg.days, drift_day)
    period = np.zeros(len(seg), dtype=np.int64) if drift_day is None else (seg.start >= drift_day).astype(np.int64)
    seg_fit = np.where(period == 1, fit_after[seg.lead], fit_before[seg.lead])
    exposure = intent.cumulative_exposure(seg, seg_fit, n)
    intercept = intent.solve_intercept(exposure, cfg.conversion_rate)
    hazard = intent.daily_hazard(intercept, seg.state, seg_fit)
    can = hazard > 1e-12  # below this a lead would not convert in a million years
    wait = np.full(len(seg), np.iinfo(np.int64).max)
    wait[can] = rng.geometric(hazard[can])
    converts = wait <= seg.end - seg.start
    first_conv = _first_per_lead(seg.lead, converts)
    conv_lead = seg.lead[first_conv]
    conv_day = seg.start[first_conv] + wait[first_conv] - 1
    day_start = start_ms + conv_day * DAY_MS
    lo = np.maximum(day_start, created_ms[conv_lead] + 1)
    conv_ms = lo + (rng.random(len(conv_lead)) * (day_start + DAY_MS - lo)).astype(np.int64)
    conv_ms = np.minimum(conv_ms, end_ms - 1)

    # truncate paths at conversion: keep segments that start on or before the conversion day
    last_day = np.full(n, cfg.days, dtype=np.int64)
    last_day[conv_lead] = conv_day + 1
    seg = seg.take(np.flatnonzero(seg.start < last_day[seg.lead]))
    seg = intent.Segments(seg.lead, seg.start, np.minimum(seg.end, last_day[seg.lead]), seg.state)
    period = np.zeros(len(seg), dtype=np.int64) if drift_day is None else (seg.start >= drift_day).astype(np.int64)

    # events
    stop_ms = np.full(n, end_ms, dtype=np.int64)
    stop_ms[conv_lead] = conv_ms
    seg_from = np.maximum(start_ms + seg.start * DAY_MS, created_ms[seg.lead])
    seg_to = np.minimum(start_ms + seg.end * DAY_MS, stop_ms[seg.lead])
    lead, ts, code, state = _emit(rng, seg, seg_from, seg_to, period, cfg.activity, drift_day)
    extra = [
        _derived(rng, lead, ts, code, state, "webinar_registered", "webinar_attended", ATTEND_PROBABILITY, (1, 14)),
        _derived(rng, lead, ts, code, state, "meeting_scheduled", "meeting_cancelled", CANCEL_PROBABILITY, (0.2, 5)),
    ]
    creation_type = attrs["lead_source_true"].map({k: v[3] for k, v in vocab.LEAD_SOURCES.items()})
    creation = (
        np.arange(n, dtype=np.int32),
        created_ms,
        np.array([EVENT_TYPES.index(t) for t in creation_type], dtype=np.int8),
    )
    bots = _bot_bursts(rng, np.flatnonzero(kind == "bot"), created_ms, end_ms)
    lead = np.concatenate([lead, *(e[0] for e in extra), creation[0], bots[0]])
    ts = np.concatenate([ts, *(e[1] for e in extra), creation[1], bots[1]])
    code = np.concatenate([code, *(e[2] for e in extra), creation[2], bots[2]])
    inside = ts < stop_ms[lead]
    lead, ts, code = lead[inside], ts[inside], code[inside]
    del extra, creation, bots, inside
    invalid_email = (rng.random(n) < 0.04) | (kind == "bot")
    lead, ts, code = _clean_events(lead, ts, code, invalid_email, n, start_ms)
    state_at = seg.state[seg.locate(lead, (ts - start_ms) // DAY_MS)]

    leads = _raw_leads(rng, attrs, original, _utc(created_ms))
    leads = pd.concat([leads, _qualification(rng, attrs, fit_before, lead, ts, code, state_at, stop_ms)], axis=1)
    lead_ids = leads["lead_id"].to_numpy()
    url, campaign, asset = _details(rng, ts, code, state_at, cfg.start_ts)
    events = pd.DataFrame(
        {
            "lead_id": pd.Categorical.from_codes(lead.astype(np.int32), categories=lead_ids),
            "ts": _utc(ts),
            "event_type": pd.Categorical.from_codes(code, categories=list(EVENT_TYPES)),
            "url": url,
            "campaign": campaign,
            "asset": asset,
        }
    )
    conv_order = np.argsort(conv_lead)
    conv_lead, conv_ms = conv_lead[conv_order], conv_ms[conv_order]
    size = np.log10(np.maximum(attrs["employees_true"].to_numpy()[conv_lead], 1))
    conversions = pd.DataFrame(
        {
            "lead_id": lead_ids[conv_lead],
            "converted_at": _utc(conv_ms),
            "deal_value": np.round(np.exp(rng.normal(np.log(6_000) + 0.45 * size, 0.5)), 2),
        }
    )
    truth = _truth(attrs, lead_ids, original, seg, fit_before, fit_after, noise, invalid_email)
    meta = {
        "generator_version": GENERATOR_VERSION,
        "config": asdict(cfg),
        "intercept": intercept,
        "start": cfg.start_ts.isoformat(),
        "observed_until": cfg.end_ts.isoformat(),
        "drift_date": None if drift_day is None else (cfg.start_ts + pd.Timedelta(days=drift_day)).isoformat(),
        "drift_day": drift_day,
    }
    return World(leads=leads, events=events, conversions=conversions, truth=truth, meta=meta)


QUALIFICATION_FACTORS = ("money", "interest", "need", "timing", "authority")


def _utc(ms: np.ndarray) -> pd.DatetimeIndex:
    """Epoch milliseconds as UTC timestamps in the contracts' unit (pandas' own default unit differs by version)."""
    return pd.to_datetime(ms, unit="ms", utc=True).as_unit(TIMESTAMP_UNIT)


def _qualification(rng, attrs, fit, lead, ts, code, state_at, stop_ms) -> pd.DataFrame:
    """BANT-style 1–5 scores a rep records a few days after the first meeting (``qualified_at``).

    Money and need follow fit, interest and timing follow intent at the meeting, authority follows seniority;
    each with rater noise. Leads without a meeting (or whose record would fall after they convert) have none.
    """
    n = len(attrs)
    first = _first_per_lead(lead, _is_type(code, "meeting_scheduled"))
    who = lead[first]
    at = ts[first] + (rng.random(len(first)) * 3 * DAY_MS).astype(np.int64)
    keep = at < stop_ms[who]
    who, at, state = who[keep], at[keep], state_at[first][keep]
    finite_fit = np.nan_to_num(fit[who], neginf=-3.0)
    seniority = attrs["seniority"].to_numpy()[who]
    rank = pd.Series(seniority).map({"c_level": 2, "vp": 2, "director": 1, "manager": 0}).fillna(-1).to_numpy()
    drivers = {
        "money": finite_fit,
        "interest": state - 1.5,
        "need": 0.7 * finite_fit,
        "timing": 1.2 * (state - 1.5),
        "authority": rank,
    }
    out = pd.DataFrame(index=range(n))
    out["qualified_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ms, UTC]")
    out.loc[who, "qualified_at"] = pd.to_datetime(at, unit="ms", utc=True)
    for factor in QUALIFICATION_FACTORS:
        values = np.clip(np.round(3 + drivers[factor] + rng.normal(0, 0.8, len(who))), 1, 5)
        column = pd.Series(pd.NA, index=out.index, dtype="Int64")
        column.iloc[who] = values.astype(int)
        out[f"qual_{factor}"] = column
    return out


def _truth(attrs, lead_ids, original, seg: intent.Segments, fit_before, fit_after, noise, invalid_email):
    kind = attrs["kind"].to_numpy()
    bounds = np.searchsorted(seg.lead, np.arange(len(attrs) + 1))
    starts = np.split(seg.start.astype(np.int32), bounds[1:-1])
    states = np.split(seg.state.astype(np.int8), bounds[1:-1])
    return pd.DataFrame(
        {
            "lead_id": lead_ids,
            "fit": fit_before,
            "fit_after_drift": fit_after,
            "fit_noise": noise,
            "seniority": attrs["seniority"].to_numpy(),
            "department": attrs["department"].to_numpy(),
            "email_kind": attrs["email_kind"].to_numpy(),
            "industry": attrs["industry_true"].to_numpy(),
            "region": attrs["region"].to_numpy(),
            "lead_source": attrs["lead_source_true"].to_numpy(),
            "is_bot": kind == "bot",
            "is_spam": kind == "spam",
            "is_duplicate": kind == "duplicate",
            "duplicate_of": np.where(original >= 0, lead_ids[np.maximum(original, 0)], None),
            "is_internal": kind == "internal",
            "is_competitor": kind == "competitor",
            "has_invalid_email": invalid_email,
            "intent_start": starts,
            "intent_state": states,
            **({"product_line": attrs["product_line"].to_numpy()} if "product_line" in attrs else {}),
        }
    )


# ------------------------------------------------------------------------------------------ oracle


def oracle_probability(world: World, spine: pd.DataFrame, horizon_days: int = 90) -> np.ndarray:
    """The generator's exact P(lead converts in (as_of, as_of + horizon]) given its latent state at as_of.

    ``spine`` has ``lead_id`` and ``as_of`` (UTC midnights). Rows whose lead does not exist yet at as_of,
    has already converted, or lies beyond the simulated span get NaN. This is the ceiling a model is
    measured against; it uses latent state no model sees, and must never be a feature.
    """
    truth = world.truth
    index = pd.Index(truth["lead_id"].astype(str))
    lead = index.get_indexer(spine["lead_id"].astype(str))
    if (lead < 0).any():
        raise ValueError(f"spine has {int((lead < 0).sum())} lead_ids that are not in the world")
    start = pd.Timestamp(world.meta["start"])
    as_of = pd.to_datetime(spine["as_of"], utc=True)
    first_day = np.ceil((as_of - start) / pd.Timedelta(days=1)).to_numpy(float).astype(np.int64)
    seg = intent.Segments.from_lists(truth["intent_start"], truth["intent_state"])
    # a lead's last segment ends at the end of the world, or the day after its conversion day
    conv_day = _conversion_day(world, index, start)
    lead_end = np.where(conv_day >= 0, conv_day + 1, int(world.meta["config"]["days"]))

    state_day = first_day - 1
    pos = seg.locate(lead, state_day)
    created_day = seg.start[np.searchsorted(seg.lead, lead, side="left")]
    alive = (seg.lead[pos] == lead) & (state_day >= created_day) & (state_day < lead_end[lead])
    alive &= ~((conv_day[lead] >= 0) & (conv_day[lead] < first_day))
    prob = np.full(len(spine), np.nan)
    if alive.any():
        fb = truth["fit"].to_numpy(float)[lead[alive]]
        fa = truth["fit_after_drift"].to_numpy(float)[lead[alive]]
        prob[alive] = intent.forward_conversion_probability(
            seg.state[pos[alive]],
            first_day[alive],
            horizon_days,
            world.meta["intercept"],
            fb,
            fa,
            world.meta["drift_day"],
        )
    return prob


def _conversion_day(world: World, index: pd.Index, start: pd.Timestamp) -> np.ndarray:
    conv = world.conversions
    out = np.full(len(index), -1, dtype=np.int64)
    pos = index.get_indexer(conv["lead_id"].astype(str))
    days = ((pd.to_datetime(conv["converted_at"], utc=True) - start) // pd.Timedelta(days=1)).to_numpy()
    out[pos] = days.astype(np.int64)
    return out
