"""Account rows: a lead-level frame rolled up to one row per (account, as_of), the input of the account score.

For account-based marketing the question is whether the *company* will buy: the probability that any of the
account's open leads converts within the horizon. Each row carries the account roll-ups and attributes (the
same for every lead of the account), how many leads are open, and the best value any open lead has for each
numeric lead feature (``best_<feature>``: the largest, or for a ``days_since_*`` recency the smallest). Built
from a training set it is labelled (``converted``: any open lead converts), from a scoring frame it is not.
Pure: frames in, frames out.
"""

from __future__ import annotations

import pandas as pd

from predictive_leads.features.guard import ATTRS_KEY

ACCOUNT_KEY = "account_id"
KEYS = [ACCOUNT_KEY, "as_of"]


def has_accounts(frame: pd.DataFrame) -> bool:
    """Whether the frame's leads belong to declared accounts."""
    return ACCOUNT_KEY in frame and bool(frame[ACCOUNT_KEY].notna().any())


def account_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (account_id, as_of) of ``frame`` (leads without an account are left out)."""
    from predictive_leads.features.pipeline import feature_columns

    if not has_accounts(frame):
        raise ValueError("the frame has no account_id: declare an account table in the dataset spec")
    rows = frame[frame[ACCOUNT_KEY].notna()]
    features = feature_columns(rows)
    own = [c for c in features if c.startswith("account_")]
    numeric = [c for c in features if c not in own and (pd.api.types.is_numeric_dtype(rows[c])
                                                       or pd.api.types.is_bool_dtype(rows[c]))]  # fmt: skip
    recency = [c for c in numeric if c.startswith("days_since_")]  # the best is the most recent: the least
    most = [c for c in numeric if c not in recency]
    groups = rows.groupby(KEYS, sort=True, observed=True)
    best = pd.concat([groups[most].max(), groups[recency].min()], axis=1)[numeric]
    parts = [groups[own].first(), groups.size().rename("open_leads").to_frame(),
             best.astype("float64").add_prefix("best_")]  # fmt: skip
    if "last_event_at" in rows:  # the latest event any row used: the point-in-time guard checks it
        parts.insert(0, groups["last_event_at"].max().to_frame())
    if "converted" in rows:
        parts.insert(0, groups["converted"].max().to_frame())
    out = pd.concat(parts, axis=1).reset_index()
    provenance = frame.attrs.get(ATTRS_KEY, {})
    out.attrs[ATTRS_KEY] = {**provenance, "rolled_up": "account rows: one per (account_id, as_of)"}
    return out
