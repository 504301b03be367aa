"""Campaigns: which campaign brought each lead, and what a segment's leads cost and returned against a cost table.

Pure functions: frames in, frames and numbers out; no I/O. :func:`predictive_leads.ops.segments.segment_report`
adds the spend columns (:data:`SPEND_COLUMNS`) to the segments of the dimension a cost table is keyed by.

Definitions (the same in the table and on the page):

- A lead's **campaign** (:func:`campaign_touch`) is the campaign named by its first (``touch="first"``) or latest
  (``"last"``) event before it was scored. Events naming no campaign are passed over; events at one timestamp are
  taken in the order of their campaign names. A lead with no such event has none: the segment ``(missing)``.
- ``cost`` is the segment's row of the cost table (what was spent on it); ``(all leads)`` gets the table's total,
  campaigns without a scored lead included.
- ``cost_per_lead`` = cost / leads: exact, the number of leads is not a sample.
- ``cost_per_mql`` = cost / MQLs, ``cost_per_conversion`` = cost / conversions and ``roi`` = (deal value of the
  converted leads − cost) / cost, each with a 95 % percentile bootstrap interval over the segment's leads (the
  cost fixed). A count whose interval reaches 0 gives the cost per one no upper bound: ``inf``. A converted lead
  without a deal value adds no revenue (as in the segment's ``deal_value_total``, whose note counts them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from predictive_leads.evaluation.metrics import percentile_interval

TOUCHES = ("first", "last")
SPEND_COLUMNS = (
    "cost",
    "cost_per_lead",
    "cost_per_mql",
    "cost_per_mql_low",
    "cost_per_mql_high",
    "cost_per_conversion",
    "cost_per_conversion_low",
    "cost_per_conversion_high",
    "roi",
    "roi_low",
    "roi_high",
)

__all__ = ["SPEND_COLUMNS", "TOUCHES", "campaign_touch", "cost_by_segment", "spend"]


def campaign_touch(events: pd.DataFrame, scored_at: pd.Series, *, column: str = "campaign",
                   touch: str = "first") -> pd.Series:  # fmt: skip
    """Each lead's campaign (see the module docstring), aligned with ``scored_at`` (indexed by lead id as text,
    UTC times); missing where the lead has no event naming one before it was scored. ``events``: ``lead_id``,
    ``ts`` and ``column``."""
    if touch not in TOUCHES:
        raise ValueError(f"touch must be one of {', '.join(TOUCHES)}; got {touch!r}")
    need = [c for c in ("lead_id", "ts", column) if c not in events.columns]
    if need:
        raise ValueError(f"campaign events need column(s) {', '.join(need)}; found {', '.join(map(str, events))}")
    ts = pd.to_datetime(events["ts"], utc=True, errors="coerce", format="mixed")  # as the contracts read times
    if ts.isna().any():
        ids = events.loc[ts.isna(), "lead_id"].astype(str).unique()[:5]
        raise ValueError(f"{int(ts.isna().sum())} campaign events have no valid ts, e.g. of leads {', '.join(ids)}")
    named = events[column].astype("string").str.strip()
    ids = events["lead_id"].astype("string")
    before = (ts < ids.map(scored_at)).to_numpy()  # False for leads that were not scored
    keep = named.fillna("").ne("").to_numpy() & before
    touches = pd.DataFrame({"id": ids[keep].array, "ts": ts[keep].array, "campaign": named[keep].array})
    touches = touches.sort_values(["id", "ts", "campaign"], kind="stable")
    chosen = touches.drop_duplicates("id", keep="first" if touch == "first" else "last")
    return chosen.set_index("id")["campaign"].reindex(scored_at.index).astype(object)


def cost_by_segment(costs: pd.DataFrame, dimensions: Sequence[str], labels) -> tuple[str, pd.Series]:
    """The dimension a cost table is keyed by (its one column besides ``cost``, one of ``dimensions``) and the
    cost of each segment, its names made text by ``labels`` (the segments' own rule)."""
    keys = [c for c in costs.columns if c != "cost"]
    if "cost" not in costs.columns or len(keys) != 1 or keys[0] not in dimensions:
        raise ValueError(f"a cost table has two columns, cost and the segment it is keyed by (one of "
                         f"{', '.join(dimensions)}); found {', '.join(map(str, costs.columns))}")  # fmt: skip
    key = keys[0]
    names = labels(costs[key].astype("string").str.strip())  # stripped, as campaign names from events are
    cost = pd.to_numeric(costs["cost"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(cost) | (cost < 0)
    if bad.any():
        raise ValueError(f"cost must be a number of 0 or more; not for {key} {', '.join(names[bad].unique()[:5])}")
    twice = names.duplicated(keep=False)
    if twice.any():
        raise ValueError(f"the cost table names {key} {', '.join(names[twice].unique()[:5])} more than once")
    return key, pd.Series(cost, index=names.to_numpy())


def spend(cost: float, converted: np.ndarray, deal: np.ndarray, mql: np.ndarray, *, has_deal: bool, n_boot: int,
          seed: int) -> dict[str, float]:  # fmt: skip
    """The :data:`SPEND_COLUMNS` of one segment: its ``cost``, and per lead ``converted`` (0/1), ``deal`` (the
    deal value, NaN when unknown) and ``mql`` (MQL or SQL). Intervals: ``n_boot`` resamples of the leads."""
    n = len(converted)
    per_lead = np.column_stack([mql, converted, np.where((converted == 1) & ~np.isnan(deal), deal, 0.0)]).astype(float)
    rng = np.random.default_rng(seed)
    boot = np.array([np.bincount(rng.integers(0, n, n), minlength=n) @ per_lead for _ in range(n_boot)])
    boot = boot.reshape(n_boot, 3)  # MQLs, conversions, revenue of each resample
    mqls, wins, revenue = per_lead.sum(axis=0)
    out = {"cost": cost, "cost_per_lead": cost / n}
    for name, k, column in (("cost_per_mql", mqls, 0), ("cost_per_conversion", wins, 1)):
        low, high = percentile_interval(boot[:, column])
        out |= {name: _per(cost, k), f"{name}_low": _per(cost, high), f"{name}_high": _per(cost, low)}
    if has_deal and cost > 0:
        low, high = percentile_interval((boot[:, 2] - cost) / cost)
        out |= {"roi": (revenue - cost) / cost, "roi_low": low, "roi_high": high}
    else:
        out |= {"roi": np.nan, "roi_low": np.nan, "roi_high": np.nan}
    return {k: float(v) for k, v in out.items()}


def _per(cost: float, count: float) -> float:
    """Cost per one of ``count``: unbounded (inf) for none at a cost, NaN for none at no cost or no interval."""
    if count > 0:
        return cost / count
    return np.inf if count == 0 and cost > 0 else np.nan
