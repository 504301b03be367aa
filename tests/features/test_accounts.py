"""Account roll-ups: what a lead's account looks like at as_of (the NumPy part, from the engine's result)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from predictive_leads.features.accounts import account_features, account_keys

JAN = pd.Timestamp("2025-01-01", tz="UTC")
EMPTY = pa.table({name: pa.array([], pa.int64()) for name in ("key", "events_total", "events_recent", "engaged",
                                                                "last_us")})  # fmt: skip


def test_rows_without_an_account_get_missing_rollups_when_no_row_has_one():
    """A spine (or one lead partition of it) whose rows all lack an account, while other leads have one."""
    leads = pd.DataFrame({"lead_id": ["a", "b"], "account_id": pd.array([None, "X"], dtype="string"),
                          "created_at": [JAN - pd.Timedelta(days=9)] * 2})  # fmt: skip
    spine = pd.DataFrame({"lead_id": ["a"], "as_of": [JAN]})
    keys, row_keys = account_keys(spine, leads)
    assert keys.empty and row_keys.tolist() == [-1]
    rollups = account_features(EMPTY, keys, row_keys, spine, leads, window=30)
    assert len(rollups) == 1 and rollups.isna().all(axis=None)


def test_an_account_without_events_counts_its_contacts_and_zero_events():
    leads = pd.DataFrame({"lead_id": ["a", "b", "c"], "account_id": pd.array(["X", "X", None], dtype="string"),
                          "created_at": [JAN - pd.Timedelta(days=9), JAN - pd.Timedelta(days=1), JAN]})  # fmt: skip
    spine = pd.DataFrame({"lead_id": ["a", "c"], "as_of": [JAN, JAN]})
    keys, row_keys = account_keys(spine, leads)
    rollups = account_features(EMPTY, keys, row_keys, spine, leads, window=30)
    assert rollups.loc[0, "account_contacts"] == 2 and rollups.loc[0, "account_events_total"] == 0
    assert rollups.loc[1].isna().all()  # c has no account
