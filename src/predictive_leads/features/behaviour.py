"""Behavioural features as Ibis expressions: written once, run on DuckDB (default) or PySpark.

:func:`event_aggregates` joins each spine row to its lead's events with ``events.ts < spine.as_of``: an
event at or after as_of can never reach a feature, by construction. Windows are whole UTC days before the
as_of date, in integer epoch days, so the arithmetic is identical on every engine. Bursts are counted in
fixed epoch-aligned buckets (which never straddle midnight, so ``bucket < as_of`` is exact).
:func:`finish_event_features` derives the published ratios and recencies in pandas, so that arithmetic
cannot differ between engines either.
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


def _count(condition: ibis.Value) -> ibis.Value:
    # ifelse + sum runs ~2.5x faster on DuckDB than FILTER (WHERE …) aggregates
    return ibis.ifelse(condition, 1, 0).sum()


def event_aggregates(events: ibis.Table, spine: ibis.Table, config: FeatureConfig) -> ibis.Table:
    """One row per spine row that has any earlier event: raw point-in-time aggregates before as_of."""
    ev = events.mutate(day=_epoch_day(events.ts))
    sp = spine.mutate(as_of_day=_epoch_day(spine.as_of))
    joined = sp.join(ev, [sp.lead_id == ev.lead_id, ev.ts < sp.as_of])
    windows = sorted(set(config.windows_days) | {TREND_RECENT, TREND_RECENT + TREND_BEFORE})
    in_window = {w: joined.day >= joined.as_of_day - w for w in windows}
    aggs = {}
    for t in EVENT_TYPES:
        is_type = joined.event_type == t
        aggs[f"{t}_total"] = _count(is_type)
        for w in config.windows_days:
            aggs[f"{t}_{w}d"] = _count(is_type & in_window[w])
    for w in windows:
        aggs[f"events_{w}d"] = _count(in_window[w])
    aggs["events_total"] = joined.count()
    high_intent = (joined.event_type == "form_submit") & joined.url.isin(list(config.high_intent_form_urls))
    aggs["high_intent_form_total"] = _count(high_intent)
    aggs["burst_views"] = _count(joined.event_type.isin(list(config.burst_event_types)))
    aggs["last_event_at"] = joined.ts.max()
    for t in config.recency_event_types:
        aggs[f"last_{t}_at"] = joined.ts.max(where=joined.event_type == t)
    per_row = joined.group_by([sp.lead_id, sp.as_of]).aggregate(**aggs)
    before_last = ev.filter(ev.ts < sp.as_of.max())  # no spine row can use a later event
    days = _active_days(before_last, sp, windows)
    bursts = _bursts(before_last, sp, config)
    out = per_row.join(days, ["lead_id", "as_of"]).left_join(bursts, ["lead_id", "as_of"])
    return out.select(
        *[per_row[c] for c in per_row.columns if c != "burst_views"],
        *[days[c] for c in days.columns if c.startswith("active_days")],
        # no bucket of 2+ views: the largest burst is the single view (or nothing)
        max_events_in_burst_window=ibis.coalesce(bursts.burst, ibis.ifelse(per_row.burst_views > 0, 1, 0)),
    )


def _active_days(ev: ibis.Table, sp: ibis.Table, windows: list[int]) -> ibis.Table:
    """Distinct days with activity before as_of, per window (a thin (lead, day) table: cheap to fan out)."""
    days = ev.select("lead_id", "day").distinct()
    joined = sp.join(days, [sp.lead_id == days.lead_id, days.day < sp.as_of_day])
    aggs = {f"active_days_{w}d": _count(joined.day >= joined.as_of_day - w) for w in windows}
    return joined.group_by([sp.lead_id, sp.as_of]).aggregate(active_days_total=joined.count(), **aggs)


def _bursts(ev: ibis.Table, sp: ibis.Table, config: FeatureConfig) -> ibis.Table:
    """Largest number of page views in one fixed bucket before as_of (buckets of 2+ views only: few rows)."""
    width = config.burst_window_minutes * 60
    views = ev.filter(ev.event_type.isin(list(config.burst_event_types)))
    buckets = (
        views.mutate(bucket=views.ts.epoch_seconds() // width)
        .group_by(["lead_id", "bucket"])
        .aggregate(n=_.count())
        .filter(_.n > 1)
    )
    joined = sp.join(buckets, [sp.lead_id == buckets.lead_id, buckets.bucket * width < sp.as_of.epoch_seconds()])
    return joined.group_by([sp.lead_id, sp.as_of]).aggregate(burst=joined.n.max())


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
