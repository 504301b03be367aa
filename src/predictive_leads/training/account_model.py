"""The account score (account-based marketing): the probability that an account produces a conversion within
the horizon, learned like the lead score — audited, split out of time, calibrated — on the account rows of a
lead-level training set (:func:`~predictive_leads.features.account_rows.account_rows`)."""

from __future__ import annotations

import pandas as pd

from predictive_leads.features.account_rows import ACCOUNT_KEY, account_rows
from predictive_leads.training.workflow import TrainResult, train_model


def train_account_model(frame: pd.DataFrame, *, n_boot: int = 200, force: bool = False,
                        seed: int = 0) -> TrainResult:  # fmt: skip
    """Train the account model on ``frame``'s account rows (no rule presets: they score leads, not accounts)."""
    rows = account_rows(frame)
    return train_model(rows, target="converted", id_col=ACCOUNT_KEY, time_col="as_of", rules=(),
                       learned_scorecard=False, n_boot=n_boot, force=force, seed=seed)  # fmt: skip
