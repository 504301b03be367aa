"""Behavioural features as Ibis expressions: written once, run on DuckDB (default) or PySpark.

Two stages. :func:`daily_activity` rolls events up to one row per lead and UTC day (counts per type,
last timestamps, the largest burst). :func:`event_aggregates` joins those days to the spine with
``day < as_of`` (as_of dates are UTC midnights, so this is exactly ``ts < as_of``): an event at or after
as_of can never reach a feature, by construction. Day numbers are integers (epoch days), so window
arithmetic is identical on every engine. :func:`finish_event_features` derives the published ratios and
recencies in pandas, so that arithmetic cannot differ between engines either.
"""

from __future__ import annotations

import ibis
import pandas as pd
from ibis import _

from ..config import FeatureConfig
from ..contracts import EVENT_TYPES

DAY = pd.Timedelta(days=1)
SECONDS_PER_DAY = 86_400
TREND_RECENT, TREND_BEFORE = 7, 30


def _epoch_day(ts: ibis.Value) -> ibis.Value:
    return ts.epoch_seconds() // SECONDS_PER_DAY


def daily_activity(events: ibis.Table, config: FeatureConfig) -> ibis.Table:
    """One row per (lead_id, day): event counts per type, last timestamps, largest burst in the day."""
    ev = events.mutate(
        day=_epoch_day(events.ts), bucket=events.ts.epoch_seconds() // (config.burst_window_minutes * 60)
    )
    aggs = {f"n_{t}": (ev.event_type == t).sum() for t in EVENT_TYPES}
    aggs["n_events"] = ev.count()
    aggs["n_high_intent_form"] = (
        (ev.event_type == "form_submit") & ev.url.isin(list(config.high_intent_form_urls))
    ).sum()
    aggs["last_event_at"] = ev.ts.max()
    for t in config.recency_event_types:
        aggs[f"last_{t}_at"] = ev.ts.max(where=ev.event_type == t)
    days = ev.group_by(["lead_id", "day"]).aggregate(**aggs)
    buckets = ev.group_by(["lead_id", "day", "bucket"]).aggregate(n=_.count())
    burst = buckets.group_by(["lead_id", "day"]).aggregate(burst=_.n.max())
    return days.join(burst, ["lead_id", "day"]).select(days, burst.burst)


def event_aggregates(events: ibis.Table, spine: ibis.Table, config: FeatureConfig) -> ibis.Table:
    """One row per spine row (that has any earlier event): raw point-in-time aggregates before as_of."""
    daily = daily_activity(events, config)
    sp = spine.mutate(as_of_day=_epoch_day(spine.as_of))
    joined = sp.join(daily, [sp.lead_id == daily.lead_id, daily.day < sp.as_of_day])
    windows = sorted(set(config.windows_days) | {TREND_RECENT, TREND_RECENT + TREND_BEFORE})
    in_window = {w: joined.day >= joined.as_of_day - w for w in windows}
    aggs = {}
    for t in EVENT_TYPES:
        aggs[f"{t}_total"] = joined[f"n_{t}"].sum()
        for w in config.windows_days:
            aggs[f"{t}_{w}d"] = ibis.ifelse(in_window[w], joined[f"n_{t}"], 0).sum()
    for w in windows:
        # ifelse + sum runs ~2.5x faster on DuckDB than FILTER (WHERE …) aggregates
        aggs[f"events_{w}d"] = ibis.ifelse(in_window[w], joined.n_events, 0).sum()
        aggs[f"active_days_{w}d"] = ibis.ifelse(in_window[w], 1, 0).sum()
    aggs["events_total"] = joined.n_events.sum()
    aggs["active_days_total"] = joined.count()
    aggs["high_intent_form_total"] = joined.n_high_intent_form.sum()
    aggs["max_events_in_burst_window"] = joined.burst.max()
    aggs["last_event_at"] = joined.last_event_at.max()
    for t in config.recency_event_types:
        aggs[f"last_{t}_at"] = joined[f"last_{t}_at"].max()
    return joined.group_by([sp.lead_id, sp.as_of]).aggregate(**aggs)


def finish_event_features(raw: pd.DataFrame, spine: pd.DataFrame, config: FeatureConfig) -> pd.DataFrame:
    """Align raw aggregates with the spine (0 for leads without events) and derive the published features."""
    raw = raw.copy()
    for col in raw.columns:
        if col.endswith("_at") or col == "as_of":
            raw[col] = _utc(raw[col])
    out = spine[["lead_id", "as_of"]].merge(raw, on=["lead_id", "as_of"], how="left", validate="one_to_one")
    counts = [c for c in raw.columns if c not in ("lead_id", "as_of") and not c.endswith("_at")]
    out[counts] = out[counts].fillna(0).astype("int64")
    as_of = out["as_of"]
    features = {}
    features["days_since_last_event"] = (as_of - out["last_event_at"]) / DAY
    for event_type in config.recency_event_types:
        features[f"days_since_last_{event_type}"] = (as_of - out[f"last_{event_type}_at"]) / DAY
    w = max(config.windows_days)
    opens = out[f"email_open_{w}d"].where(out[f"email_open_{w}d"] > 0)
    features[f"email_click_rate_{w}d"] = out[f"email_click_{w}d"] / opens
    features[f"email_reply_rate_{w}d"] = out[f"email_reply_{w}d"] / opens
    recent = out[f"events_{TREND_RECENT}d"]
    before = out[f"events_{TREND_RECENT + TREND_BEFORE}d"] - recent
    features[f"activity_trend_{TREND_RECENT}d_vs_prev_{TREND_BEFORE}d"] = recent / TREND_RECENT - before / TREND_BEFORE
    features["has_unsubscribed"] = out["unsubscribe_total"] > 0
    features["has_bounced"] = out["email_bounce_total"] > 0
    features["bot_like_burst"] = out["max_events_in_burst_window"] >= config.burst_min_events
    extra = pd.DataFrame(features, index=out.index)
    helper = [f"events_{x}d" for x in (TREND_RECENT + TREND_BEFORE,) if x not in config.windows_days]
    helper += [f"active_days_{x}d" for x in (TREND_RECENT + TREND_BEFORE,) if x not in config.windows_days]
    helper += [f"last_{t}_at" for t in config.recency_event_types]
    return pd.concat([out.drop(columns=helper), extra], axis=1)


def _utc(values: pd.Series) -> pd.Series:
    values = pd.to_datetime(values)
    if getattr(values.dt, "tz", None) is None:
        return values.dt.tz_localize("UTC")
    return values.dt.tz_convert("UTC")
