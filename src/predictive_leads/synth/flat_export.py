"""A flat one-row-per-lead CRM export made from a generated world (for the flat-export door's demos and tests)."""

from __future__ import annotations

import pandas as pd

from predictive_leads.features import build_training_set


def synthetic_export(world, *, exported_at="2025-09-01", horizon_days: int = 365) -> pd.DataFrame:
    """A flat CRM export of a generated ``world`` as a team would pull it on ``exported_at``: one row per open
    lead with its attributes and activity already aggregated, ``converted`` within ``horizon_days`` after the
    export, and — as real exports do — a field filled in after the outcome (``deal_value``). Nothing records
    that it is point in time; the leakage audit has to find the leak from the data."""
    snapshot = build_training_set(world.leads, world.events, world.conversions, as_of=[exported_at],
                                  horizon_days=horizon_days, observed_until=world.observed_until,
                                  now=world.observed_until)  # fmt: skip
    export = snapshot.drop(columns=["email_domain"]).rename(
        columns={"as_of": "exported_at", "last_event_at": "last_activity_at"}
    )
    export = export.merge(world.conversions[["lead_id", "deal_value"]], on="lead_id", how="left")
    export.attrs = {}  # a file out of a CRM report carries no provenance
    return export
