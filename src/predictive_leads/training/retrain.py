"""Guarded retraining: rebuild the training set up to the newest mature labels, train a challenger with the
champion's settings, judge both on the same most recent out-of-time window, and let the gate decide. A retrain
must beat the champion (``Gate(must_beat=True)``): a challenger that is merely as good is not worth the churn of
every lead's score changing overnight."""

from __future__ import annotations

import pandas as pd

from predictive_leads.training.promotion import Gate, judge

RETRAIN_GATE = Gate(must_beat=True)


def retrain(champion, frame: pd.DataFrame, *, gate: Gate = RETRAIN_GATE, n_boot: int = 200, force: bool = False):
    """(``TrainResult`` of the challenger, ``Promotion``): the challenger is trained on ``frame`` with the
    champion's parameters (out-of-time split, audit, rule baseline alongside, as ``train`` does) and judged
    against the champion on the challenger's test window — only rows later than both models' training."""
    from predictive_leads.training.workflow import train_model

    params = {k: v for k, v in champion.get_params().items() if k not in ("time_column", "horizon_days")}
    result = train_model(frame, scorer_params=params, n_boot=n_boot, force=force)
    return result, judge(result.model, champion, test_window(result, frame), gate=gate)


def test_window(result, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` in the challenger's out-of-time test window."""
    return frame[pd.to_datetime(frame["as_of"], utc=True) >= pd.Timestamp(result.meta["split"]["test"][0])]
