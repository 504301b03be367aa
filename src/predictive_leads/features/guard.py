"""The leakage guard: prove a frame was built point in time before anything trains on it."""

from __future__ import annotations

import pandas as pd

ATTRS_KEY = "predictive_leads"


class LeakageError(ValueError):
    """A frame cannot be shown to be point in time."""


def assert_point_in_time(frame: pd.DataFrame, *, flat_export: bool = False) -> None:
    """Raise :class:`LeakageError` unless ``frame`` was built by the feature pipeline and no row used an event
    at or after its ``as_of``.

    ``flat_export=True`` is the user's statement that the data is a one-row-per-lead export with no event
    history (e.g. a CRM report); the check is then skipped and the caller must say so in its report.
    """
    if flat_export:
        return
    meta = frame.attrs.get(ATTRS_KEY, {})
    if not meta.get("point_in_time"):
        raise LeakageError(
            "this frame was not built by the feature pipeline, so it cannot be shown to be point in time; "
            "build it with build_training_set, or declare it a flat export"
        )
    missing = [c for c in ("as_of", "last_event_at") if c not in frame.columns]
    if missing:
        raise LeakageError(f"point-in-time columns missing: {', '.join(missing)}")
    late = frame["last_event_at"].notna() & (frame["last_event_at"] >= frame["as_of"])
    if late.any():
        ids = ", ".join(frame.loc[late, "lead_id"].astype(str).head(5))
        raise LeakageError(f"{int(late.sum())} rows use events at or after their as_of; first ids: {ids}")
