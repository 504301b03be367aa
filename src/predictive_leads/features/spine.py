"""The spine: which (lead_id, as_of) rows exist, and their point-in-time labels.

A lead is in the spine at ``as_of`` only if it was created strictly before ``as_of`` and had not converted
at or before ``as_of``. Its label ``converted`` is 1 when it converts in ``(as_of, as_of + horizon_days]``.
Rows whose horizon ends after the data's observation end are *censored*: their outcome is unknown, so they
are excluded (and counted), never labelled 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

FREQUENCIES = {"week": "7D", "month": "MS", "quarter": "QS"}


@dataclass(frozen=True)
class SpineSummary:
    """What happened to the candidate rows of a spine."""

    rows: int
    positives: int
    censored: int
    not_yet_created: int
    already_converted: int

    @property
    def conversion_rate(self) -> float:
        return self.positives / self.rows if self.rows else float("nan")


def as_of_dates(start, end, every: str = "month") -> list[pd.Timestamp]:
    """Snapshot dates from ``start`` to ``end`` inclusive (``every``: week, month or quarter), UTC midnights."""
    if every not in FREQUENCIES:
        raise ValueError(f"every must be one of {', '.join(FREQUENCIES)}, got {every!r}")
    start, end = to_utc(start), to_utc(end)
    if end < start:
        raise ValueError(f"end {end.date()} is before start {start.date()}")
    return list(pd.date_range(start, end, freq=FREQUENCIES[every]))


def to_utc(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _first_conversion(conversions: pd.DataFrame) -> pd.Series:
    times = pd.to_datetime(conversions["converted_at"], utc=True)
    return times.groupby(conversions["lead_id"].astype(str)).min()


def _conversion_times(ids: pd.Series, conversions: pd.DataFrame) -> pd.Series:
    """First conversion time per id (NaT where none), aligned with ``ids``."""
    first = pd.to_datetime(_first_conversion(conversions).reindex(ids.astype(str)), utc=True)
    return pd.Series(first.array, index=ids.index)


def build_spine(leads: pd.DataFrame, conversions: pd.DataFrame, as_of: Iterable | object) -> pd.DataFrame:
    """All (lead_id, as_of) rows where the lead exists and is still open at ``as_of``."""
    dates = [to_utc(d) for d in (as_of if _is_many(as_of) else [as_of])]
    created = leads["created_at"]
    converted = _conversion_times(leads["lead_id"], conversions)
    parts = []
    for d in sorted(set(dates)):
        open_ = ((created < d) & ~(converted <= d)).to_numpy()  # NaT compares False: never converted stays open
        parts.append(pd.DataFrame({"lead_id": leads["lead_id"].to_numpy()[open_], "as_of": d}))
    spine = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["lead_id", "as_of"])
    spine["as_of"] = pd.to_datetime(spine["as_of"], utc=True)
    return spine


def _is_many(value) -> bool:
    return isinstance(value, list | tuple | pd.DatetimeIndex | pd.Series | np.ndarray)


def label_spine(
    spine: pd.DataFrame,
    conversions: pd.DataFrame,
    *,
    horizon_days: int,
    observed_until,
) -> tuple[pd.DataFrame, int]:
    """Add ``converted`` (0/1) and drop censored rows. Returns (labelled spine, number censored)."""
    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be positive, got {horizon_days}")
    end = to_utc(observed_until)
    horizon = pd.Timedelta(days=horizon_days)
    conv_at = _conversion_times(spine["lead_id"], conversions)
    as_of = spine["as_of"]
    censored = (as_of + horizon) > end
    label = (conv_at > as_of) & (conv_at <= as_of + horizon)
    out = spine.loc[~censored.to_numpy()].copy()
    out["converted"] = label[~censored].fillna(False).astype("int8").to_numpy()
    return out.reset_index(drop=True), int(censored.sum())


def build_labelled_spine(
    leads: pd.DataFrame,
    conversions: pd.DataFrame,
    as_of,
    *,
    horizon_days: int = 90,
    observed_until,
) -> tuple[pd.DataFrame, SpineSummary]:
    """Spine + labels + a summary of rows kept, censored and skipped."""
    dates = [to_utc(d) for d in (as_of if _is_many(as_of) else [as_of])]
    spine = build_spine(leads, conversions, dates)
    labelled, censored = label_spine(spine, conversions, horizon_days=horizon_days, observed_until=observed_until)
    skipped = skipped_leads(leads, conversions, dates)
    summary = SpineSummary(
        rows=len(labelled),
        positives=int(labelled["converted"].sum()),
        censored=censored,
        not_yet_created=skipped["not_yet_created"],
        already_converted=skipped["already_converted"],
    )
    return labelled, summary


def skipped_leads(leads: pd.DataFrame, conversions: pd.DataFrame, dates) -> dict[str, int]:
    """Leads left out of the spine, summed over the as_of dates: not yet created, or already converted."""
    converted = _conversion_times(leads["lead_id"], conversions)
    return {
        "not_yet_created": sum(int((leads["created_at"] >= d).sum()) for d in set(dates)),
        "already_converted": sum(int((converted <= d).sum()) for d in set(dates)),
    }


def mature_snapshot_dates(as_of, horizon_days: int, months: int) -> pd.DatetimeIndex:
    """The last ``months`` month starts whose whole label window (``horizon_days``) has passed at ``as_of``."""
    last = (to_utc(as_of) - pd.Timedelta(days=horizon_days)).tz_convert(None).to_period("M").to_timestamp()
    return pd.date_range(end=last.tz_localize("UTC"), periods=months, freq="MS")
