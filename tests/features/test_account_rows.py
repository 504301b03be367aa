"""Account rows: a lead frame rolled up to one row per (account, as_of) — labelled when the leads are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predictive_leads.features.account_rows import account_rows, has_accounts
from predictive_leads.features.guard import ATTRS_KEY, assert_point_in_time

JAN, FEB = pd.Timestamp("2025-01-01", tz="UTC"), pd.Timestamp("2025-02-01", tz="UTC")


def lead_frame() -> pd.DataFrame:
    frame = pd.DataFrame({
        "lead_id": ["a", "b", "c", "a", "d"],
        "as_of": [JAN, JAN, JAN, FEB, FEB],
        "account_id": ["X", "X", None, "X", "Y"],
        "converted": [0, 1, 1, 0, 0],
        "last_event_at": [JAN - pd.Timedelta(days=3), pd.NaT, JAN - pd.Timedelta(days=1), FEB - pd.Timedelta(days=2),
                          pd.NaT],
        "zorp_30d": [2, 5, 9, 1, 0],
        "days_since_last_zorp": [3.0, 10.0, 1.0, np.nan, np.nan],
        "has_phone": [True, False, True, False, False],
        "seniority": pd.Categorical(["vp", "manager", "vp", "vp", "manager"]),
        "account_contacts": [2.0, 2.0, np.nan, 3.0, 1.0],
    })  # fmt: skip
    frame.attrs[ATTRS_KEY] = {"point_in_time": True}
    return frame


def test_one_row_per_account_and_date_with_the_best_lead_values():
    rows = account_rows(lead_frame()).set_index(["account_id", "as_of"])
    assert list(rows.index) == [("X", JAN), ("X", FEB), ("Y", FEB)]  # lead c has no account: left out
    x = rows.loc[("X", JAN)]
    assert x["converted"] == 1  # b converts: the account does
    assert x["open_leads"] == 2 and x["account_contacts"] == 2
    assert x["best_zorp_30d"] == 5 and x["best_days_since_last_zorp"] == 3.0  # most recent = smallest
    assert x["best_has_phone"] == 1.0
    assert "best_seniority" not in rows  # categorical lead features do not roll up
    assert x["last_event_at"] == JAN - pd.Timedelta(days=3)


def test_the_rows_stay_point_in_time_and_unlabelled_frames_stay_unlabelled():
    rows = account_rows(lead_frame())
    assert_point_in_time(rows)
    assert "converted" not in account_rows(lead_frame().drop(columns="converted"))


def test_a_frame_without_accounts_is_a_clear_error():
    frame = lead_frame().drop(columns="account_id")
    assert not has_accounts(frame)
    with pytest.raises(ValueError, match="declare an account table"):
        account_rows(frame)
