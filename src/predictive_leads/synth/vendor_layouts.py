"""A generated world reshaped into real CRM export layouts (Salesforce, HubSpot, an unfamiliar one) as fixtures.

The feature pipeline is meant to read any CRM's tables as they are. These layouts hold the same leads, events
and conversions as a :class:`~predictive_leads.synth.world.World`, spelled the way a vendor exports them::

    tables = salesforce_layout(world)          # {"Lead": ..., "Task": ..., "Opportunity": ..., ...}
    write_layout(tables, "data/salesforce")    # Lead.csv, Task.csv, ... written atomically

* Every world event lands in exactly one activity row; :data:`SALESFORCE_TYPES` and :data:`HUBSPOT_TYPES` say
  where, as ``our type -> (table, {column: value})``, one-to-one, so our type can be read back from the vendor
  columns (sometimes only from two columns together, e.g. Task ``Type`` + ``Status``).
* Conversions become won opportunities / deals (plus closed-lost ones for ~5 % of the other leads), found only
  through the stage columns.
* Timestamps are ISO-8601 UTC text the way each vendor writes it; ids look like the vendor's.
* Rows of the lead tables (``Lead``, ``contacts``, ``people``) keep the world's lead order; activity tables are
  ordered by time, their ids increasing with it.
* The truth table and the generator's parameters are never exported. Realistic noise is: Salesforce ``Contact``
  rows are created when a lead converts (a leak if used as a feature source), and ``Lead.IsConverted`` is true for
  closed-lost opportunities too.

All functions are pure (frames in, frames out), deterministic and vectorised; the world is never modified.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from predictive_leads.data.contracts import EVENT_TYPES
from predictive_leads.data.files import atomic_dir, write_table
from predictive_leads.synth import vocab
from predictive_leads.synth.world import World

DAY_MS = 86_400_000
LOST_SHARE = 0.05  # share of non-converted leads that get a closed-lost opportunity / deal
_SALT = 0x5EED_7A8E  # mixed with the world's seed: layouts draw their own numbers, never the world's stream

# ---------------------------------------------------------------------------------------------- type maps

SALESFORCE_TYPES: dict[str, tuple[str, dict[str, str]]] = {
    # Account Engagement (Pardot) visitor activities: web, content, forms
    "page_view": ("pi__VisitorActivity__c", {"pi__Type_Name__c": "Page View"}),
    "pricing_page_view": ("pi__VisitorActivity__c", {"pi__Type_Name__c": "Pricing Page View"}),
    "product_page_view": ("pi__VisitorActivity__c", {"pi__Type_Name__c": "Product Page View"}),
    "case_study_download": ("pi__VisitorActivity__c", {"pi__Type_Name__c": "Case Study Download"}),
    "ebook_download": ("pi__VisitorActivity__c", {"pi__Type_Name__c": "eBook Download"}),
    "form_submit": ("pi__VisitorActivity__c", {"pi__Type_Name__c": "Form Success"}),
    "demo_request": ("pi__VisitorActivity__c", {"pi__Type_Name__c": "Demo Request"}),
    "free_trial_start": ("pi__VisitorActivity__c", {"pi__Type_Name__c": "Trial Started"}),
    # campaign members: email and webinar programmes
    "email_open": ("CampaignMember", {"Status": "Opened"}),
    "email_click": ("CampaignMember", {"Status": "Clicked"}),
    "email_bounce": ("CampaignMember", {"Status": "Bounced"}),
    "unsubscribe": ("CampaignMember", {"Status": "Unsubscribed"}),
    "newsletter_subscribe": ("CampaignMember", {"Status": "Subscribed"}),
    "webinar_registered": ("CampaignMember", {"Status": "Registered"}),
    "webinar_attended": ("CampaignMember", {"Status": "Attended"}),
    # sales touches: the type is only known from Type and Status together
    "email_reply": ("Task", {"Type": "Email", "Status": "Completed"}),
    "meeting_scheduled": ("Task", {"Type": "Meeting", "Status": "Scheduled"}),
    "meeting_cancelled": ("Task", {"Type": "Meeting", "Status": "Cancelled"}),
    "chat_started": ("Task", {"Type": "Chat", "Status": "Completed"}),
}
"""Where each world event type goes in :func:`salesforce_layout`: ``type -> (table, {column: value})``."""

HUBSPOT_TYPES: dict[str, tuple[str, dict[str, str]]] = {
    "page_view": ("web_activity", {"activity": "PAGE_VIEW", "content_type": "SITE_PAGE"}),
    "pricing_page_view": ("web_activity", {"activity": "PAGE_VIEW", "content_type": "PRICING_PAGE"}),
    "product_page_view": ("web_activity", {"activity": "PAGE_VIEW", "content_type": "PRODUCT_PAGE"}),
    "case_study_download": ("web_activity", {"activity": "FILE_DOWNLOAD", "content_type": "CASE_STUDY"}),
    "ebook_download": ("web_activity", {"activity": "FILE_DOWNLOAD", "content_type": "EBOOK"}),
    "form_submit": ("form_submissions", {"form_name": "Website form"}),
    "demo_request": ("form_submissions", {"form_name": "Demo request"}),
    "free_trial_start": ("form_submissions", {"form_name": "Free trial signup"}),
    "newsletter_subscribe": ("form_submissions", {"form_name": "Newsletter signup"}),
    "email_open": ("email_events", {"type": "OPEN"}),
    "email_click": ("email_events", {"type": "CLICK"}),
    "email_bounce": ("email_events", {"type": "BOUNCE"}),
    "unsubscribe": ("email_events", {"type": "UNSUBSCRIBE"}),
    "webinar_registered": ("marketing_events", {"participation_state": "REGISTERED"}),
    "webinar_attended": ("marketing_events", {"participation_state": "ATTENDED"}),
    "email_reply": ("engagements", {"type": "INCOMING_EMAIL", "outcome": "COMPLETED"}),
    "meeting_scheduled": ("engagements", {"type": "MEETING", "outcome": "SCHEDULED"}),
    "meeting_cancelled": ("engagements", {"type": "MEETING", "outcome": "CANCELED"}),
    "chat_started": ("engagements", {"type": "CHAT", "outcome": "COMPLETED"}),
}
"""Where each world event type goes in :func:`hubspot_layout`: ``type -> (table, {column: value})``."""

FOREIGN_SESSION_TYPES: tuple[str, ...] = ("page_view",)
"""Event types :func:`foreign_layout` folds into ``sessions`` (one row per lead and UTC day); every other type is
a ``touches`` row whose ``kind`` is :func:`foreign_types`' made-up name for it."""

SIZE_CLASSES: tuple[tuple[str, float], ...] = (("S", 50), ("M", 250), ("L", 1_000), ("XL", np.inf))
"""``orgs.size_class`` of the foreign layout: the band whose upper bound (exclusive) the head count is below."""

HUBSPOT_EMPLOYEE_BANDS: tuple[tuple[str, float], ...] = (
    ("1-5", 5),
    ("5-25", 25),
    ("25-50", 50),
    ("50-100", 100),
    ("100-500", 500),
    ("500-1000", 1_000),
    ("1000-5000", 5_000),
    ("5000-10000", 10_000),
    ("10000+", np.inf),
)
"""HubSpot's contact ``numemployees`` options: the first band whose upper bound (inclusive) holds the head count."""

_STAMP_STYLES = {
    "salesforce": ("T", "+0000"),  # 2025-03-01T12:00:00.000+0000
    "hubspot": ("T", "Z"),  # 2025-03-01T12:00:00.000Z
    "foreign": (" ", "+00:00"),  # 2025-03-01 12:00:00.000+00:00
}


# ---------------------------------------------------------------------------------------------- text columns


def _strings(matrix: np.ndarray, valid: np.ndarray | None = None) -> pd.Series:
    """Fixed-width ASCII rows of a ``(n, width)`` uint8 matrix as a string Series (no Python objects made)."""
    n, width = matrix.shape
    offsets = np.arange(n + 1, dtype=np.int64) * width
    data = pa.py_buffer(np.ascontiguousarray(matrix).tobytes())
    mask_buffer, nulls = None, 0
    if valid is not None and not valid.all():
        mask_buffer, nulls = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes()), int((~valid).sum())
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), data, mask_buffer, nulls)
    return pd.Series(arr.cast(pa.string()).to_pandas(), dtype="str")


def _template(text: str, n: int) -> np.ndarray:
    return np.tile(np.frombuffer(text.encode("ascii"), dtype=np.uint8), (n, 1))


def _put_digits(matrix: np.ndarray, at: int, values: np.ndarray, width: int) -> None:
    v = values.astype(np.int64, copy=True)
    for k in range(width - 1, -1, -1):
        matrix[:, at + k] = 48 + v % 10
        v //= 10


def _ids(prefix: str, numbers: np.ndarray, digits: int, suffix: str = "") -> pd.Series:
    """``prefix`` + ``numbers`` zero-padded to at least ``digits`` digits + ``suffix``, e.g. ``00Q000000000042AAA``."""
    numbers = np.asarray(numbers, dtype=np.int64)
    digits = max(digits, len(str(int(numbers.max())))) if len(numbers) else digits
    matrix = _template(prefix + "0" * digits + suffix, len(numbers))
    _put_digits(matrix, len(prefix), numbers, digits)
    return _strings(matrix)


def _sf_ids(prefix: str, n: int) -> pd.Series:
    """Salesforce-looking 18-character ids: key prefix, 12 digits, 3 check characters."""
    return _ids(prefix, np.arange(1, n + 1), 12, "AAA")


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of days since 1970-01-01 (proleptic Gregorian; H. Hinnant's civil_from_days)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def _epoch_ms(values: pd.Series | pd.Index | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Milliseconds since the epoch (UTC) of timestamps, and which are present."""
    ts = pd.to_datetime(pd.Series(values), utc=True)
    valid = ts.notna().to_numpy()
    micros = ts.dt.tz_localize(None).to_numpy("datetime64[us]").astype(np.int64)
    return np.where(valid, micros // 1_000, 0), valid


def _stamps(ms: np.ndarray, valid: np.ndarray | None, style: str) -> pd.Series:
    """ISO-8601 UTC text in a vendor's style, to the millisecond (missing stays missing)."""
    sep, zone = _STAMP_STYLES[style]
    days, rem = np.divmod(ms, DAY_MS)
    year, month, day = _civil(days)
    matrix = _template(f"0000-00-00{sep}00:00:00.000{zone}", len(ms))
    for at, value, width in (
        (0, year, 4),
        (5, month, 2),
        (8, day, 2),
        (11, rem // 3_600_000, 2),
        (14, rem // 60_000 % 60, 2),
        (17, rem // 1_000 % 60, 2),
        (20, rem % 1_000, 3),
    ):
        _put_digits(matrix, at, value, width)
    return _strings(matrix, valid)


def _lookup(values: Sequence[str | None], codes: np.ndarray) -> pd.Series:
    """``values[code]`` for each code as a string Series; code -1 (or a None value) gives a missing value."""
    codes = np.asarray(codes, dtype=np.int64)
    table = pa.array(list(values), type=pa.string())
    taken = table.take(pa.array(np.maximum(codes, 0), mask=codes < 0))
    return pd.Series(taken.to_pandas(), dtype="str")


def _codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes (-1 for missing) and the categories of a text column (categorical or not)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(np.int64), [str(c) for c in values.cat.categories]
    codes, cats = pd.factorize(values.astype("str"), sort=True)
    return codes.astype(np.int64), [str(c) for c in cats]


# ---------------------------------------------------------------------------------------------- the world, flat


@dataclass(frozen=True)
class _Events:
    """World events as arrays, ordered by time (then by lead): lead position, epoch ms, type code, details."""

    lead: np.ndarray
    ms: np.ndarray
    code: np.ndarray
    url: tuple[np.ndarray, list[str]]
    campaign: tuple[np.ndarray, list[str]]
    asset: tuple[np.ndarray, list[str]]

    def rows(self, types: Sequence[str]) -> np.ndarray:
        """Positions of the events of ``types``, in time order."""
        table = np.zeros(len(EVENT_TYPES), dtype=bool)
        table[[EVENT_TYPES.index(t) for t in types]] = True
        return np.flatnonzero(table[self.code])


def _lead_positions(world: World, lead_ids: pd.Series) -> np.ndarray:
    ids = world.leads["lead_id"].astype("str")
    if isinstance(lead_ids.dtype, pd.CategoricalDtype) and list(lead_ids.cat.categories) == list(ids):
        pos = lead_ids.cat.codes.to_numpy(np.int64)
    else:
        pos = pd.Index(ids).get_indexer(lead_ids.astype("str"))
    if (pos < 0).any():
        raise ValueError(f"{int((pos < 0).sum())} rows refer to lead_ids missing from world.leads")
    return pos


def _events(world: World) -> _Events:
    ev = world.events
    lead = _lead_positions(world, ev["lead_id"])
    ms, _ = _epoch_ms(ev["ts"])
    code, cats = _codes(ev["event_type"])
    if cats != list(EVENT_TYPES):
        code = _at(pd.Index(list(EVENT_TYPES)).get_indexer(cats), code)
    if (code < 0).any():
        raise ValueError("world.events has event types outside the event catalog")
    order = np.lexsort((lead, ms))
    details = {c: _codes(ev[c]) for c in ("url", "campaign", "asset")}
    return _Events(
        lead=lead[order],
        ms=ms[order],
        code=code[order].astype(np.int16),
        **{c: (codes[order], cats) for c, (codes, cats) in details.items()},
    )


def _rng(world: World, salt: int = 0) -> np.random.Generator:
    seed = int(world.meta.get("config", {}).get("seed", 0))
    return np.random.default_rng([_SALT, seed, salt])


def _span_ms(world: World) -> tuple[int, int]:
    start = pd.Timestamp(world.meta["start"]) if "start" in world.meta else world.leads["created_at"].min()
    return int(start.value // 1_000_000), int(world.observed_until.value // 1_000_000)


@dataclass(frozen=True)
class _Deals:
    """Won deals (one per conversion) and closed-lost ones, ordered by creation time."""

    lead: np.ndarray
    won: np.ndarray
    created_ms: np.ndarray
    close_ms: np.ndarray
    amount: np.ndarray

    def of_lead(self, n_leads: int) -> np.ndarray:
        """Deal position of each lead (-1 for leads without one)."""
        out = np.full(n_leads, -1, dtype=np.int64)
        out[self.lead] = np.arange(len(self.lead))
        return out


def _deals(world: World) -> _Deals:
    """Won deals from the conversions and closed-lost ones for a random ~5 % of the other leads."""
    rng = _rng(world, 1)
    n = len(world.leads)
    _, end_ms = _span_ms(world)
    created_ms, _ = _epoch_ms(world.leads["created_at"])
    conv = world.conversions
    won_lead = _lead_positions(world, conv["lead_id"])
    won_close, _ = _epoch_ms(conv["converted_at"])
    won_amount = conv["deal_value"].to_numpy(float)

    open_leads = np.setdiff1d(np.arange(n), won_lead)
    lost_lead = open_leads[rng.random(len(open_leads)) < LOST_SHARE]
    room = end_ms - created_ms[lost_lead]
    lost_close = created_ms[lost_lead] + np.maximum((rng.random(len(lost_lead)) * room).astype(np.int64), 1)
    lost_close = np.minimum(lost_close, end_ms - 1)
    scale = np.log(np.median(won_amount)) if len(won_amount) else np.log(6_000.0)
    lost_amount = np.round(np.exp(rng.normal(scale, 0.6, len(lost_lead))), 2)

    lead = np.concatenate([won_lead, lost_lead])
    close = np.concatenate([won_close, lost_close])
    ahead = (rng.uniform(3, 45, len(lead)) * DAY_MS).astype(np.int64)
    created = np.minimum(np.maximum(close - ahead, created_ms[lead]), close)
    order = np.lexsort((lead, created))
    return _Deals(
        lead=lead[order],
        won=np.arange(len(lead))[order] < len(won_lead),
        created_ms=created[order],
        close_ms=close[order],
        amount=np.concatenate([won_amount, lost_amount])[order],
    )


def _companies(leads: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """One row per distinct company name (first-seen order): the company position of each lead (-1 for none)
    and the company's attributes (first non-missing value over its leads; head count and revenue the largest)."""
    company, names = pd.factorize(leads["company_name"].astype("str"))
    has = company >= 0
    attrs = leads.loc[has, ["industry", "country"]].copy()
    attrs["domain"] = _corporate_domain(leads.loc[has, "email"])
    firsts = attrs.groupby(company[has], sort=True).first()
    sizes = leads.loc[has, ["employees", "annual_revenue"]].groupby(company[has], sort=True).max()
    table = pd.concat([firsts, sizes], axis=1).reset_index(drop=True)
    table.insert(0, "name", pd.Series(np.asarray(names), dtype="str"))
    return company.astype(np.int64), table


def _corporate_domain(emails: pd.Series) -> pd.Series:
    domain = emails.astype("str").str.split("@").str[-1].str.lower().str.strip()
    generic = set(vocab.FREE_DOMAINS) | set(vocab.EDU_DOMAINS) | set(vocab.DISPOSABLE_DOMAINS)
    return domain.where(~domain.isin(generic))


def _take(values: pd.Series, positions: np.ndarray) -> pd.Series:
    """``values`` at ``positions`` (-1 gives missing), with a fresh index."""
    positions = np.asarray(positions, dtype=np.int64)
    missing = positions < 0
    if len(values) == 0:
        return pd.Series(pd.NA, index=range(len(positions)), dtype=values.dtype)
    out = values.reset_index(drop=True).take(np.where(missing, 0, positions)).reset_index(drop=True)
    return out.where(~missing) if missing.any() else out


def _at(table: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``table[positions]`` where positions are present, -1 where they are -1."""
    positions = np.asarray(positions, dtype=np.int64)
    return np.where(positions >= 0, table[np.maximum(positions, 0)], -1) if len(table) else np.full_like(positions, -1)


def _int_column(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.reset_index(drop=True)).astype("Float64").round().astype("Int64")


def _type_columns(mapping: Mapping[str, tuple[str, dict[str, str]]], table: str, code: np.ndarray) -> dict:
    """The vendor type columns of ``table`` for events with type codes ``code``."""
    columns: list[str] = []
    for where, values in mapping.values():
        if where == table:
            columns += [c for c in values if c not in columns]
    out = {}
    for col in columns:
        by_code = [mapping[t][1].get(col) if mapping[t][0] == table else None for t in EVENT_TYPES]
        out[col] = _lookup(by_code, code)
    return out


def _mapped_rows(ev: _Events, mapping: Mapping[str, tuple[str, dict[str, str]]], table: str) -> np.ndarray:
    return ev.rows([t for t, (where, _) in mapping.items() if where == table])


def _detail(ev: _Events, rows: np.ndarray, name: str, prefix: str = "", suffix: str = "") -> pd.Series:
    codes, cats = getattr(ev, name)
    return _lookup([f"{prefix}{c}{suffix}" for c in cats], codes[rows])


def _check_bijective(mapping: Mapping[str, tuple[str, dict[str, str]]]) -> None:
    keys = [(table, tuple(sorted(values.items()))) for table, values in mapping.values()]
    if sorted(mapping) != sorted(EVENT_TYPES) or len(set(keys)) != len(keys):
        raise AssertionError("a vendor type map must send the event catalog one-to-one to (table, values)")


_check_bijective(SALESFORCE_TYPES)
_check_bijective(HUBSPOT_TYPES)


# ---------------------------------------------------------------------------------------------- Salesforce


def salesforce_layout(world: World) -> dict[str, pd.DataFrame]:
    """The world as a Salesforce export: ``Lead``, ``Account``, ``Contact``, ``Campaign``, ``CampaignMember``,
    ``Task``, ``pi__VisitorActivity__c`` (Account Engagement) and ``Opportunity``.

    Events go to the activity tables as :data:`SALESFORCE_TYPES` says. Each conversion is a ``Closed Won``
    opportunity (``CloseDate`` = conversion time, ``Amount`` = deal value) linked from the lead's
    ``ConvertedOpportunityId``; ~5 % of the other leads link a ``Closed Lost`` one. ``Contact`` rows are created at
    conversion. Timestamps read ``2025-03-01T12:00:00.000+0000``.
    """
    leads = world.leads
    n = len(leads)
    ev = _events(world)
    deals = _deals(world)
    company, companies = _companies(leads)
    lead_ids = _sf_ids("00Q", n)
    account_ids = _sf_ids("001", len(companies))
    opp_ids = _sf_ids("006", len(deals.lead))
    opp_of_lead = deals.of_lead(n)
    stamp = _stamp_fn("salesforce")

    lead = pd.DataFrame(
        {
            "Id": lead_ids,
            "CreatedDate": stamp(leads["created_at"]),
            "FirstName": _text(leads["first_name"]),
            "LastName": _text(leads["last_name"]),
            "Email": _text(leads["email"]),
            "Phone": _text(leads["phone"]),
            "Title": _text(leads["job_title"]),
            "Company": _text(leads["company_name"]),
            "Industry": _text(leads["industry"]),
            "NumberOfEmployees": _int_column(leads["employees"]),
            "AnnualRevenue": leads["annual_revenue"].to_numpy(float),
            "Country": _text(leads["country"]),
            "LeadSource": _text(leads["lead_source"]),
            "Description": _text(leads["form_message"]),
            "IsConverted": opp_of_lead >= 0,
            "ConvertedOpportunityId": _take(opp_ids, opp_of_lead),
            "BANT_Budget__c": _int_column(leads["qual_money"]),
            "BANT_Interest__c": _int_column(leads["qual_interest"]),
            "BANT_Need__c": _int_column(leads["qual_need"]),
            "BANT_Timing__c": _int_column(leads["qual_timing"]),
            "BANT_Authority__c": _int_column(leads["qual_authority"]),
            "Qualified_Date__c": stamp(leads["qualified_at"]),
        }
    )
    competitors = {"LeadMetrics", "ScoreWise", "FunnelForge"}
    account = pd.DataFrame(
        {
            "Id": account_ids,
            "Name": companies["name"],
            "Type": _lookup(["Prospect", "Competitor"], companies["name"].isin(competitors).to_numpy(np.int64)),
            "Industry": _text(companies["industry"]),
            "NumberOfEmployees": _int_column(companies["employees"]),
            "AnnualRevenue": companies["annual_revenue"].to_numpy(float),
            "BillingCountry": _text(companies["country"]),
        }
    )
    deal_account = company[deals.lead]
    deal_company = _take(companies["name"], deal_account)
    opportunity = pd.DataFrame(
        {
            "Id": opp_ids,
            "AccountId": _take(account_ids, deal_account),
            "Name": (deal_company.fillna(_take(leads["last_name"], deals.lead)) + " - New Business").astype("str"),
            "Type": pd.Series("New Business", index=range(len(opp_ids)), dtype="str"),
            "StageName": _lookup(["Closed Lost", "Closed Won"], deals.won.astype(np.int64)),
            "IsWon": deals.won,
            "IsClosed": np.ones(len(opp_ids), dtype=bool),
            "Amount": deals.amount,
            "CreatedDate": _stamps(deals.created_ms, None, "salesforce"),
            "CloseDate": _stamps(deals.close_ms, None, "salesforce"),
        }
    )
    won = deals.won
    won_lead = deals.lead[won]
    contact = pd.DataFrame(
        {
            "Id": _sf_ids("003", int(won.sum())),
            "AccountId": _take(account_ids, company[won_lead]),
            "FirstName": _take(_text(leads["first_name"]), won_lead),
            "LastName": _take(_text(leads["last_name"]), won_lead),
            "Email": _take(_text(leads["email"]), won_lead),
            "CreatedDate": _stamps(deals.close_ms[won], None, "salesforce"),
            "Lead_Source_Id__c": _take(lead_ids, won_lead),
        }
    )

    # campaigns: every campaign an event names, plus the standing newsletter list that subscriptions join
    camp_codes, camp_names = ev.campaign
    newsletter = len(camp_names)
    member_rows = _mapped_rows(ev, SALESFORCE_TYPES, "CampaignMember")
    member_camp = camp_codes[member_rows].copy()
    member_camp[ev.code[member_rows] == EVENT_TYPES.index("newsletter_subscribe")] = newsletter
    used = camp_codes >= 0
    first_ms = np.full(newsletter + 1, np.iinfo(np.int64).max)
    np.minimum.at(first_ms, camp_codes[used], ev.ms[used])
    np.minimum.at(first_ms, member_camp[member_camp >= 0], ev.ms[member_rows][member_camp >= 0])
    all_names = [*camp_names, "Newsletter subscribers"]
    present = np.flatnonzero(first_ms < np.iinfo(np.int64).max)
    present = present[np.lexsort((np.array(all_names)[present], first_ms[present]))]  # ids in order of first use
    campaign_ids = np.full(newsletter + 1, -1)
    campaign_ids[present] = np.arange(len(present))
    camp_id_text = _sf_ids("701", len(present))
    campaign = pd.DataFrame(
        {
            "Id": camp_id_text,
            "Name": pd.Series([all_names[i] for i in present], dtype="str"),
            "Type": pd.Series([_campaign_type(all_names[i]) for i in present], dtype="str"),
            "StartDate": _stamps(first_ms[present] // DAY_MS * DAY_MS, None, "salesforce").str.slice(0, 10),
        }
    )

    member_status = _type_columns(SALESFORCE_TYPES, "CampaignMember", ev.code[member_rows])
    responded = {"Opened", "Clicked", "Registered", "Attended", "Subscribed"}
    campaign_member = pd.DataFrame(
        {
            "Id": _sf_ids("00v", len(member_rows)),
            "CampaignId": _take(camp_id_text, _at(campaign_ids, member_camp)),
            "LeadId": _take(lead_ids, ev.lead[member_rows]),
            **member_status,
            "HasResponded": member_status["Status"].isin(responded).to_numpy(),
            "CreatedDate": _stamps(ev.ms[member_rows], None, "salesforce"),
        }
    )

    task_rows = _mapped_rows(ev, SALESFORCE_TYPES, "Task")
    task_code = ev.code[task_rows]
    task_camp = camp_codes[task_rows]
    subject_code = np.select(
        [task_code == EVENT_TYPES.index("email_reply"), task_code == EVENT_TYPES.index("chat_started")],
        [np.where(task_camp >= 0, 2 + task_camp, -1), np.ones(len(task_rows), dtype=np.int64)],
        0,
    )
    task = pd.DataFrame(
        {
            "Id": _sf_ids("00T", len(task_rows)),
            "WhoId": _take(lead_ids, ev.lead[task_rows]),
            "WhatId": _take(camp_id_text, _at(campaign_ids, task_camp)),
            "CreatedDate": _stamps(ev.ms[task_rows], None, "salesforce"),
            **_type_columns(SALESFORCE_TYPES, "Task", task_code),
            "Subject": _lookup(
                ["Meeting: Discovery call", "Chat", *(f"Email: Re: {c}" for c in camp_names)], subject_code
            ),
            "Description": _detail(ev, task_rows, "url", prefix="Chat started on "),
        }
    )

    visit_rows = _mapped_rows(ev, SALESFORCE_TYPES, "pi__VisitorActivity__c")
    visitor_activity = pd.DataFrame(
        {
            "Id": _sf_ids("a0V", len(visit_rows)),
            "pi__Prospect__c": _take(lead_ids, ev.lead[visit_rows]),
            "CreatedDate": _stamps(ev.ms[visit_rows], None, "salesforce"),
            **_type_columns(SALESFORCE_TYPES, "pi__VisitorActivity__c", ev.code[visit_rows]),
            "pi__Url__c": _detail(ev, visit_rows, "url"),
            "pi__Details__c": _detail(ev, visit_rows, "asset"),
        }
    )
    return {
        "Lead": lead,
        "Account": account,
        "Contact": contact,
        "Campaign": campaign,
        "CampaignMember": campaign_member,
        "Task": task,
        "pi__VisitorActivity__c": visitor_activity,
        "Opportunity": opportunity,
    }


def _campaign_type(name: str) -> str:
    if name.startswith("webinar"):
        return "Webinar"
    return "Newsletter" if name == "Newsletter subscribers" else "Email"


def _text(values: pd.Series) -> pd.Series:
    return values.astype("str").reset_index(drop=True)


def _stamp_fn(style: str) -> Callable[[pd.Series], pd.Series]:
    def stamp(values: pd.Series) -> pd.Series:
        ms, valid = _epoch_ms(values)
        return _stamps(ms, valid, style)

    return stamp


# ---------------------------------------------------------------------------------------------- HubSpot


def _bands(values: np.ndarray, bands: Sequence[tuple[str, float]], *, inclusive: bool) -> np.ndarray:
    """Band position of each value (-1 for missing); bounds are upper bounds."""
    bounds = np.array([b for _, b in bands])
    pos = np.searchsorted(bounds, values, side="left" if inclusive else "right")
    return np.where(np.isnan(values), -1, np.minimum(pos, len(bands) - 1))


def hubspot_layout(world: World) -> dict[str, pd.DataFrame]:
    """The world as a HubSpot export: ``contacts``, ``companies``, ``engagements``, ``email_events``,
    ``web_activity``, ``form_submissions``, ``marketing_events`` and ``deals``.

    Events go to the activity tables as :data:`HUBSPOT_TYPES` says. Each conversion is a ``closedwon`` deal
    (``closedate`` = conversion time, ``amount`` = deal value) on the contact (``contact_id``); ~5 % of the other
    contacts have a ``closedlost`` one. Ids are integers; timestamps read ``2025-03-01T12:00:00.000Z``; the
    contact's ``numemployees`` is HubSpot's banded text (``"100-500"``), the company's ``numberofemployees`` a number.
    """
    leads = world.leads
    n = len(leads)
    ev = _events(world)
    deals = _deals(world)
    company, companies = _companies(leads)
    contact_ids = 51 + 50 * np.arange(n, dtype=np.int64)  # HubSpot portals hand out ids in steps
    company_ids = 5_000_000_001 + np.arange(len(companies), dtype=np.int64)
    stamp = _stamp_fn("hubspot")

    def company_of(positions: np.ndarray) -> pd.Series:
        return pd.Series(np.where(positions >= 0, company_ids[np.maximum(positions, 0)], 0), dtype="Int64").where(
            positions >= 0
        )

    band = _bands(leads["employees"].to_numpy(float), HUBSPOT_EMPLOYEE_BANDS, inclusive=True)
    contacts = pd.DataFrame(
        {
            "hs_object_id": contact_ids,
            "createdate": stamp(leads["created_at"]),
            "firstname": _text(leads["first_name"]),
            "lastname": _text(leads["last_name"]),
            "email": _text(leads["email"]),
            "phone": _text(leads["phone"]),
            "jobtitle": _text(leads["job_title"]),
            "company": _text(leads["company_name"]),
            "industry": _text(leads["industry"]),
            "numemployees": _lookup([b for b, _ in HUBSPOT_EMPLOYEE_BANDS], band),
            "annualrevenue": leads["annual_revenue"].to_numpy(float),
            "country": _text(leads["country"]),
            "hs_analytics_source": _text(leads["lead_source"]),
            "message": _text(leads["form_message"]),
            "associatedcompanyid": company_of(company),
            "budget_score": _int_column(leads["qual_money"]),
            "interest_score": _int_column(leads["qual_interest"]),
            "need_score": _int_column(leads["qual_need"]),
            "timing_score": _int_column(leads["qual_timing"]),
            "authority_score": _int_column(leads["qual_authority"]),
            "qualified_date": stamp(leads["qualified_at"]),
        }
    )
    companies_out = pd.DataFrame(
        {
            "hs_object_id": company_ids,
            "name": companies["name"],
            "domain": _text(companies["domain"]),
            "industry": _text(companies["industry"]),
            "numberofemployees": _int_column(companies["employees"]),
            "annualrevenue": companies["annual_revenue"].to_numpy(float),
            "country": _text(companies["country"]),
        }
    )
    deal_company = _take(companies["name"], company[deals.lead])
    deals_out = pd.DataFrame(
        {
            "deal_id": 9_000_000_001 + np.arange(len(deals.lead), dtype=np.int64),
            "dealname": (deal_company.fillna(_take(leads["last_name"], deals.lead)) + " - new deal").astype("str"),
            "pipeline": pd.Series("default", index=range(len(deals.lead)), dtype="str"),
            "dealstage": _lookup(["closedlost", "closedwon"], deals.won.astype(np.int64)),
            "amount": deals.amount,
            "createdate": _stamps(deals.created_ms, None, "hubspot"),
            "closedate": _stamps(deals.close_ms, None, "hubspot"),
            "contact_id": contact_ids[deals.lead],
        }
    )

    def activity(table: str, id_column: str, id_base: int, time_column: str, details: dict) -> pd.DataFrame:
        rows = _mapped_rows(ev, HUBSPOT_TYPES, table)
        return pd.DataFrame(
            {
                id_column: id_base + np.arange(len(rows), dtype=np.int64),
                "contact_id": contact_ids[ev.lead[rows]],
                **_type_columns(HUBSPOT_TYPES, table, ev.code[rows]),
                time_column: _stamps(ev.ms[rows], None, "hubspot"),
                **{name: fn(rows) for name, fn in details.items()},
            }
        )

    reply = EVENT_TYPES.index("email_reply")
    meeting = np.array([t in ("meeting_scheduled", "meeting_cancelled") for t in EVENT_TYPES])

    def subject(rows: np.ndarray) -> pd.Series:
        camp, names = ev.campaign
        code = np.where(ev.code[rows] == reply, _at(1 + np.arange(len(names)), camp[rows]), -1)
        code = np.where(meeting[ev.code[rows]], 0, code)
        return _lookup(["Discovery call", *(f"Re: {c}" for c in names)], code)

    tables = {
        "contacts": contacts,
        "companies": companies_out,
        "engagements": activity(
            "engagements", "engagement_id", 30_000_000_001, "timestamp",
            {"subject": subject, "page_url": lambda r: _detail(ev, r, "url")},
        ),
        "email_events": activity(
            "email_events", "id", 40_000_000_001, "created", {"email_campaign": lambda r: _detail(ev, r, "campaign")}
        ),
        "web_activity": activity(
            "web_activity", "id", 50_000_000_001, "timestamp",
            {"page_url": lambda r: _detail(ev, r, "url"),
             "file_name": lambda r: _detail(ev, r, "asset", suffix=".pdf")},
        ),
        "form_submissions": activity(
            "form_submissions", "submission_id", 60_000_000_001, "submitted_at",
            {"page_url": lambda r: _detail(ev, r, "url")},
        ),
        "marketing_events": activity(
            "marketing_events", "id", 70_000_000_001, "occurred_at",
            {"event_name": lambda r: _detail(ev, r, "campaign"),
             "marketing_event_type": lambda r: pd.Series("WEBINAR", index=range(len(r)), dtype="str")},
        ),
        "deals": deals_out,
    }  # fmt: skip
    return tables


# ---------------------------------------------------------------------------------------------- foreign


_CONSONANTS = tuple("bdfgklmnprstvwxz")
_VOWELS = tuple("aeiou")
_ENDINGS = ("", "", "", "p", "x", "ble", "nk", "rf", "sh")


def foreign_types(seed: int = 0) -> dict[str, str]:
    """Made-up ``kind`` names (e.g. ``'zorp'``, ``'quibble-7'``) for the event types :func:`foreign_layout` keeps
    as touches, drawn with ``seed``: one-to-one, and the same for the same seed."""
    rng = np.random.default_rng([_SALT, seed, 2])
    kept = [t for t in EVENT_TYPES if t not in FOREIGN_SESSION_TYPES]
    names: list[str] = []
    while len(names) < len(kept):
        syllables = int(rng.integers(1, 3))
        word = "".join(str(rng.choice(_CONSONANTS)) + str(rng.choice(_VOWELS)) for _ in range(syllables))
        word += str(rng.choice(_ENDINGS))
        if rng.random() < 0.35:
            word += f"-{int(rng.integers(1, 10))}"
        if len(word) >= 3 and word not in names and word not in EVENT_TYPES:
            names.append(word)
    return dict(zip(kept, names, strict=True))


def foreign_layout(world: World, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The world in an unfamiliar vocabulary: ``people``, ``orgs``, ``touches``, ``sessions`` and ``wins``.

    ``people`` carry German-named attributes (``firma``, ``mitarbeiter``, ``branche``, ``land``, ``quelle``, …) and
    an ``org_id``; ``orgs`` have an ordered ``size_class`` (S < M < L < XL). Page views
    (:data:`FOREIGN_SESSION_TYPES`) are folded into ``sessions``: one row per person and UTC day with the first
    view's time (``started``), the number of ``pages`` and the ``seconds`` from first to last view. Every other
    event is a ``touches`` row whose ``kind`` is :func:`foreign_types` ``(seed)``'s name for its type, with its
    campaign, asset or page in ``ref``. ``wins`` hold the conversions. Ids are drawn with ``seed``; timestamps
    read ``2025-03-01 12:00:00.000+00:00``.
    """
    leads = world.leads
    n = len(leads)
    rng = np.random.default_rng([_SALT, seed, 3])
    ev = _events(world)
    company, companies = _companies(leads)
    pids = _ids("u", 10_007 + 37 * rng.permutation(n), 8)
    org_ids = _ids("org-", 100 + 7 * rng.permutation(len(companies)), 6)
    stamp = _stamp_fn("foreign")

    people = pd.DataFrame(
        {
            "pid": pids,
            "signup_ts": stamp(leads["created_at"]),
            "vorname": _text(leads["first_name"]),
            "nachname": _text(leads["last_name"]),
            "mail": _text(leads["email"]),
            "tel": _text(leads["phone"]),
            "funktion": _text(leads["job_title"]),
            "firma": _text(leads["company_name"]),
            "mitarbeiter": _int_column(leads["employees"]),
            "umsatz": leads["annual_revenue"].to_numpy(float),
            "branche": _text(leads["industry"]),
            "land": _text(leads["country"]),
            "quelle": _text(leads["lead_source"]),
            "nachricht": _text(leads["form_message"]),
            "org_id": _take(org_ids, company),
            "q_datum": stamp(leads["qualified_at"]),
            "q_budget": _int_column(leads["qual_money"]),
            "q_interesse": _int_column(leads["qual_interest"]),
            "q_bedarf": _int_column(leads["qual_need"]),
            "q_zeitrahmen": _int_column(leads["qual_timing"]),
            "q_entscheider": _int_column(leads["qual_authority"]),
        }
    )
    size = _bands(companies["employees"].to_numpy(float), SIZE_CLASSES, inclusive=False)
    orgs = pd.DataFrame(
        {
            "org_id": org_ids,
            "name": companies["name"],
            "size_class": pd.Categorical.from_codes(size, categories=[c for c, _ in SIZE_CLASSES], ordered=True),
            "umsatz_mio": np.round(companies["annual_revenue"].to_numpy(float) / 1e6, 3),
            "branche": _text(companies["industry"]),
        }
    )

    kinds = foreign_types(seed)
    touch_rows = ev.rows(list(kinds))
    ref = _first_present(
        [_detail(ev, touch_rows, "asset"), _detail(ev, touch_rows, "campaign"), _detail(ev, touch_rows, "url")]
    )
    touches = pd.DataFrame(
        {
            "pid": _take(pids, ev.lead[touch_rows]),
            "at": _stamps(ev.ms[touch_rows], None, "foreign"),
            "kind": _lookup([kinds.get(t) for t in EVENT_TYPES], ev.code[touch_rows]),
            "ref": ref,
        }
    )

    views = ev.rows(FOREIGN_SESSION_TYPES)
    lead, ms = ev.lead[views], ev.ms[views]
    order = np.lexsort((ms, lead, ms // DAY_MS))  # by day, then person, then time
    lead, ms = lead[order], ms[order]
    day = ms // DAY_MS
    new = np.ones(len(ms), dtype=bool)
    new[1:] = (lead[1:] != lead[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(ms)).astype(np.int64)
    first = ms[starts]
    sessions = pd.DataFrame(
        {
            "pid": _take(pids, lead[starts]),
            "started": _stamps(first, None, "foreign"),
            "pages": (ends - starts).astype(np.int64),
            "seconds": (ms[ends - 1] - first) / 1_000.0,
        }
    )
    sessions = sessions.iloc[np.lexsort((lead[starts], first))].reset_index(drop=True)

    conv = world.conversions
    won_lead = _lead_positions(world, conv["lead_id"])
    won_ms, _ = _epoch_ms(conv["converted_at"])
    order = np.lexsort((won_lead, won_ms))
    wins = pd.DataFrame(
        {
            "pid": _take(pids, won_lead[order]),
            "won_on": _stamps(won_ms[order], None, "foreign"),
            "value": conv["deal_value"].to_numpy(float)[order],
        }
    )
    return {"people": people, "orgs": orgs, "touches": touches, "sessions": sessions, "wins": wins}


def _first_present(columns: Sequence[pd.Series]) -> pd.Series:
    out = columns[0]
    for col in columns[1:]:
        out = out.fillna(col)
    return out.astype("str")


# ---------------------------------------------------------------------------------------------- writing


LAYOUTS: dict[str, Callable[..., dict[str, pd.DataFrame]]] = {
    "salesforce": salesforce_layout,
    "hubspot": hubspot_layout,
    "foreign": foreign_layout,
}
"""The vendor layouts by name."""


def write_layout(tables: Mapping[str, pd.DataFrame], folder: str | os.PathLike) -> Path:
    """Write each table as ``<name>.csv`` into ``folder``, replacing the folder as a whole (atomically: a failed
    write leaves the previous folder untouched). The same tables give the same bytes. Returns the folder."""
    folder = Path(folder)
    for name in tables:
        if not name or Path(name).name != name or name.startswith("."):
            raise ValueError(f"table name {name!r} is not a plain file name")
    with atomic_dir(folder) as tmp:
        for name, frame in tables.items():
            write_table(frame, tmp / f"{name}.csv")
    return folder
