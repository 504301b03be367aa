"""Account roll-ups: leads of the same company are not scored as strangers.

When the leads carry an ``account_id`` (a dataset spec with an account table), every spine row gets what its
account looks like at as_of: how many of its contacts exist (created before as_of), how many of them were active
in the last ``window`` days, how many events the account's contacts produced in that window and in all, and how
long ago its most recent contact was active. Only events before as_of count, as for a lead's own features; the
lead itself is one of the contacts. :func:`account_query` is the engine's part (Ibis, DuckDB or PySpark),
:func:`account_features` the NumPy/pandas part.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from predictive_leads.features.behaviour import MICROS_PER_DAY, NAT_US, _epoch_us, _int64, _utc, count_if

ACCOUNT_WINDOW_DAYS = 30


def account_keys(spine: pd.DataFrame, leads: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct (account, as_of) pairs of the spine's rows, numbered by ``key``, and each row's key (-1: the
    lead has no account)."""
    account = spine["lead_id"].map(leads.set_index("lead_id")["account_id"]).astype("string").reset_index(drop=True)
    pairs = pd.DataFrame({"account": account, "as_of": spine["as_of"].reset_index(drop=True)})
    has = account.notna().to_numpy()
    key = pairs[has].groupby(["account", "as_of"], sort=True).ngroup().to_numpy()
    row_keys = np.full(len(spine), -1, dtype=np.int64)
    row_keys[has] = key
    keys = pairs[has].assign(key=key).drop_duplicates("key").sort_values("key").reset_index(drop=True)
    return keys.astype({"account": str}), row_keys


def account_query(events: ibis.Table, lead_accounts: ibis.Table, keys: ibis.Table, *, window: int,
                  engine: str) -> ibis.Table:  # fmt: skip
    """Per (account, as_of) key: the account's events before as_of in all and in the last ``window`` days, its
    contacts active in that window, and its latest event (``events``: lead_id, ts; ``lead_accounts``: lead_id,
    account; ``keys``: key, account, as_of)."""
    ev = events.select("lead_id", "ts").join(lead_accounts, "lead_id")
    ev = ev.mutate(us=_epoch_us(ev.ts, engine))
    k = keys.mutate(as_of_day=_epoch_us(keys.as_of, engine) // MICROS_PER_DAY)
    joined = k.join(ev, [k.account == ev.account, ev.ts < k.as_of])
    recent = (joined.as_of_day - 1 - joined.us // MICROS_PER_DAY) < window
    return joined.group_by("key").aggregate(
        events_total=joined.count(),
        events_recent=count_if(recent),
        engaged=ibis.ifelse(recent, joined.lead_id, ibis.null()).nunique(),
        last_us=joined.us.max(),
    )


def account_features(result: pa.Table, keys: pd.DataFrame, row_keys: np.ndarray, spine: pd.DataFrame,
                     leads: pd.DataFrame, *, window: int) -> pd.DataFrame:  # fmt: skip
    """The roll-up columns of every spine row (missing for leads without an account; zero counts for an account
    without events) from :func:`account_query`'s result."""
    n_keys = int(keys["key"].max()) + 1 if len(keys) else 0
    per_key = {name: np.zeros(n_keys + 1) for name in ("events_total", "events_recent", "engaged")}  # +1: no key
    last_us = np.full(n_keys + 1, NAT_US, dtype=np.int64)
    at = _int64(result, "key")
    for name in per_key:
        per_key[name][at] = _int64(result, name)
    last_us[at] = _int64(result, "last_us")
    contacts = np.append(_contacts_before(keys, leads, n_keys), 0)
    has = row_keys >= 0
    safe = np.where(has, row_keys, n_keys)  # rows without an account read the spare slot (masked below)

    def take(values):
        return np.where(has, values[safe].astype(float), np.nan)

    as_of = spine["as_of"].reset_index(drop=True)
    last = _utc(np.where(has, last_us[safe], NAT_US))
    return pd.DataFrame({
        "account_contacts": take(contacts),
        f"account_engaged_contacts_{window}d": take(per_key["engaged"]),
        f"account_events_{window}d": take(per_key["events_recent"]),
        "account_events_total": take(per_key["events_total"]),
        "account_days_since_last_event": ((as_of - last) / pd.Timedelta(days=1)).to_numpy(),
    })  # fmt: skip


def _contacts_before(keys: pd.DataFrame, leads: pd.DataFrame, n_keys: int) -> np.ndarray:
    """Per key: the account's leads created strictly before its as_of."""
    out = np.zeros(n_keys)
    created = leads.dropna(subset=["account_id"]).astype({"account_id": "string"})
    by_account = {a: np.sort(g.to_numpy()) for a, g in created.groupby("account_id")["created_at"]}
    for key, account, as_of in zip(keys["key"], keys["account"], keys["as_of"], strict=True):
        times = by_account.get(account)
        out[key] = 0 if times is None else np.searchsorted(times, as_of, side="left")
    return out
