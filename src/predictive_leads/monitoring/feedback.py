"""Sales feedback over time: of the leads the model made MQL (or SQL) on each snapshot, the share the reps gave
each disposition and reason, by month and by score band.

By month: each month's snapshot rows (a lead MQL in three months counts in each). By score band: each lead once, at
its first MQL snapshot, so the intervals do not count a lead twice.
A snapshot row hears the feedback dated after its as_of and within ``horizon_days`` of it, up to the monitoring
date; a month whose windows have not all closed by then is marked ``window_open`` (its shares can still grow).
Shares have 95 % Wilson intervals. The words are the team's own (``disposition: reason``); ``(any)`` is any
feedback at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from predictive_leads.data.feedback import feedback_within
from predictive_leads.evaluation.metrics import wilson_interval
from predictive_leads.monitoring.profile import score_bands

ANY = "(any)"
ALL = "all"
FEEDBACK_TABLE_COLUMNS = ("month", "band", "feedback", "mqls", "with_feedback", "share", "share_low", "share_high",
                          "window_open")  # fmt: skip

__all__ = ["ALL", "ANY", "FEEDBACK_TABLE_COLUMNS", "feedback_shares"]


def feedback_shares(rows: pd.DataFrame, feedback: pd.DataFrame, *, as_of: pd.Timestamp,
                    horizon_days: int) -> pd.DataFrame:  # fmt: skip
    """One row per (month, all bands, feedback) and per (all months, score band, feedback), with the columns of
    :data:`FEEDBACK_TABLE_COLUMNS`. ``rows``: ``lead_id``, ``as_of``, ``score`` and ``stage`` of scored snapshot
    rows; ``feedback`` as :func:`~predictive_leads.data.feedback.sales_feedback` returns it."""
    mql = rows[rows["stage"].isin(("MQL", "SQL")).to_numpy()].reset_index(drop=True)
    start = pd.to_datetime(mql["as_of"], utc=True)
    end = (start + pd.Timedelta(days=horizon_days)).clip(upper=as_of)
    heard = feedback_within(mql["lead_id"], start, end, feedback)
    heard = pd.concat([heard, heard[["row"]].drop_duplicates().assign(label=ANY)], ignore_index=True)
    month = start.dt.strftime("%Y-%m").to_numpy()
    first = ~mql.assign(start=start).sort_values("start", kind="stable")["lead_id"].duplicated().sort_index()
    band = np.where(first.to_numpy(), _bands(mql["score"].to_numpy()), None)  # each lead once: its first MQL row
    open_ = (start + pd.Timedelta(days=horizon_days) > as_of).to_numpy()
    labels = [ANY, *sorted(set(heard["label"]) - {ANY})]
    out = []
    for by, keys in (("month", month), ("band", band)):
        for key in sorted(set(keys) - {None}, key=_band_order if by == "band" else str):
            members = np.flatnonzero(keys == key)
            told = heard[heard["row"].isin(members)]
            for label in labels:
                k = int((told["label"] == label).sum())
                low, high = wilson_interval(k, len(members))
                out.append({"month": key if by == "month" else ALL, "band": key if by == "band" else ALL,
                            "feedback": label, "mqls": len(members), "with_feedback": k, "share": k / len(members),
                            "share_low": low, "share_high": high,
                            "window_open": bool(open_[members].any())})  # fmt: skip
    return pd.DataFrame(out, columns=list(FEEDBACK_TABLE_COLUMNS))


def _bands(score: np.ndarray) -> np.ndarray:
    """Each 1–100 score's band as text (``61–80``)."""
    labels = np.empty(len(score), dtype=object)
    for low, high in score_bands():
        labels[(score >= low) & (score <= high)] = f"{low}–{high}"
    return labels


def _band_order(label: str) -> int:
    return int(label.split("–")[0])
