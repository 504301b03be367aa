"""The same features from DuckDB and from PySpark local[2] (loopback only, UI off)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from predictive_leads.features import build_scoring_frame, build_training_set, summary_of
from predictive_leads.synth import generate_world

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="PySpark needs a Java runtime"),
]


def test_duckdb_and_pyspark_give_identical_features(spark):
    world = generate_world(n_leads=1500, seed=9)
    kwargs = dict(
        as_of=pd.date_range("2025-03-01", "2026-03-01", freq="3MS", tz="UTC"),
        horizon_days=90,
        observed_until=world.observed_until,
        now=world.observed_until,
    )
    duck = build_training_set(world.leads, world.events, world.conversions, engine="duckdb", **kwargs)
    spk = build_training_set(
        world.leads, world.events, world.conversions, engine="pyspark", spark_session=spark, **kwargs
    )
    assert summary_of(spk).engine == "pyspark" and summary_of(duck).engine == "duckdb"
    assert summary_of(spk).events_used == summary_of(duck).events_used
    key = ["lead_id", "as_of"]
    pd.testing.assert_frame_equal(
        spk.sort_values(key).reset_index(drop=True), duck.sort_values(key).reset_index(drop=True), check_exact=True
    )


def test_bad_events_are_counted_alike_on_both_engines(spark):
    world = generate_world(n_leads=200, seed=4)
    events = world.events.astype({"lead_id": str, "event_type": str})
    bad = pd.DataFrame(
        {
            "lead_id": [world.leads["lead_id"].iloc[0], None, "nobody"],
            "ts": [world.observed_until - pd.Timedelta(days=40)] * 3,
            "event_type": [None, "page_view", " Page_View "],
        }
    )
    events = pd.concat([events, bad], ignore_index=True)
    kwargs = dict(as_of="2026-06-01", now=world.observed_until)
    duck = summary_of(build_scoring_frame(world.leads, events, engine="duckdb", **kwargs))
    spk = summary_of(build_scoring_frame(world.leads, events, engine="pyspark", spark_session=spark, **kwargs))
    assert duck.events_skipped == spk.events_skipped == {"unknown_event_type": 1, "unknown_lead": 2}
    assert duck.unknown_event_types == spk.unknown_event_types == ["<missing>"]
    assert duck.events_used == spk.events_used == len(events) - 3


def test_lead_partitions_on_spark_give_the_same_frame(spark):
    """Spark filters the events by each partition's leads (no files); rows come back in spine order, as on DuckDB."""
    world = generate_world(n_leads=300, seed=6)
    kwargs = dict(as_of=pd.Timestamp("2026-03-01", tz="UTC"), conversions=world.conversions, now=world.observed_until)
    whole = build_scoring_frame(world.leads, world.events, **kwargs)
    parted = build_scoring_frame(world.leads, world.events, engine="pyspark", spark_session=spark,
                                 memory_budget="4MB", **kwargs)  # fmt: skip
    assert summary_of(parted).lead_partitions > 1
    pd.testing.assert_frame_equal(parted, whole, check_exact=True)
