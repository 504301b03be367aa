"""Lead partitions under a memory budget: the same frame, built a share of the leads at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from predictive_leads.features import build_scoring_frame, build_training_set, features_for_spine, pipeline, summary_of
from predictive_leads.features.config import FeatureConfig
from predictive_leads.features.partitions import (
    MAX_PARTITIONS,
    budget_note,
    engine_memory_limit,
    lead_partitions,
    parse_size,
    partitions_for,
)
from predictive_leads.synth import generate_world

NOW = pd.Timestamp("2026-09-01", tz="UTC")
DATES = list(pd.date_range("2025-06-01", "2026-05-01", freq="MS", tz="UTC"))
SMALL = "16MB"  # below what the process holds: the budget's floor share, 5-20 partitions here


@pytest.fixture(scope="module")
def world():
    world = generate_world(n_leads=1200, seed=11)
    accounts = pd.Series([f"acc{i // 4}" if i % 5 else None for i in range(len(world.leads))], dtype="string")
    world.leads = world.leads.assign(account_id=accounts)  # every fifth lead alone, the rest four to an account
    return world


@pytest.fixture(scope="module")
def valued(world):
    """The events with a real-valued amount, and a config that sums it and decays the counts: the two paths
    (periods, joined) agree on these only to rounding, so a partition on the wrong path shows."""
    amounts = np.random.default_rng(0).lognormal(4, 1.5, len(world.events))
    return world.events.assign(amount=amounts), FeatureConfig(half_lives_days=(7, 30), value_columns=("amount",))


@pytest.fixture
def paths(monkeypatch) -> list[bool]:
    """Whether each behaviour build (the whole spine, or one partition) took the period path."""
    taken: list[bool] = []
    submit = pipeline._submit_behaviour

    def spy(*args, timeline, **kwargs):
        taken.append(timeline is not None)
        return submit(*args, timeline=timeline, **kwargs)

    monkeypatch.setattr(pipeline, "_submit_behaviour", spy)
    return taken


def _same(a: pd.DataFrame, b: pd.DataFrame, *, rounded: bool = False) -> None:
    """The same frame; with ``rounded``, the float sums (decayed counts to 9 decimals, value sums to 12 significant
    digits) may differ in their last digit, where a sum sits on a rounding boundary and was reached in another
    order; every count, day and recency still exact."""
    assert list(a.columns) == list(b.columns)
    sums = [c for c in a.columns if "_decayed_" in c or c.startswith("amount_")] if rounded else []
    pd.testing.assert_frame_equal(a.drop(columns=sums), b.drop(columns=sums), check_exact=True)
    for c in sums:
        np.testing.assert_allclose(a[c], b[c], rtol=1e-11, atol=1.5e-9)


def test_parse_size_reads_binary_units_and_refuses_the_rest():
    assert parse_size("2GB") == 2 * 2**30
    assert parse_size("512 mb") == 512 * 2**20
    assert parse_size("1.5G") == int(1.5 * 2**30)
    assert parse_size(1000) == 1000 and parse_size("1.5GiB") == parse_size("1.5g") == int(1.5 * 2**30)
    for bad in ("lots", "0", "0.5B", "-1GB", "2 gigs", ""):
        with pytest.raises(ValueError, match=r"is not a size: write it as e\.g\. 2GB or 512MB"):
            parse_size(bad)


def test_partitions_grow_with_the_events_and_stay_deterministic():
    assert partitions_for(None, events=10**9, leads=10**6, rows=10**6) == 1
    small = partitions_for("2GB", events=10**6, leads=10**4, rows=10**4)
    large = partitions_for("2GB", events=6 * 10**7, leads=6 * 10**5, rows=5 * 10**5)
    assert small == 1 and 1 < large < MAX_PARTITIONS
    assert large == partitions_for("2GB", events=6 * 10**7, leads=6 * 10**5, rows=5 * 10**5)
    assert partitions_for("4GB", events=6 * 10**7, leads=6 * 10**5, rows=5 * 10**5) < large
    assert partitions_for("1MB", events=10**12, leads=1, rows=1) == MAX_PARTITIONS
    assert engine_memory_limit("2GB") == "1024MB" and engine_memory_limit(None) is None


def test_the_budget_note_warns_when_the_leads_alone_exceed_the_budget():
    assert budget_note(None, leads=10, rows=10, partitions=1) == ""
    assert budget_note("2GB", leads=10**4, rows=10**4, partitions=1) == (
        "memory budget 2GB: events aggregated in 1 lead partition"
    )
    over = budget_note("1GB", leads=10**6, rows=10**6, partitions=54)
    assert over.startswith("memory budget 1GB: events aggregated in 54 lead partitions; the leads and the frame alone")
    assert over.endswith("more than the budget: the peak will pass it")


def test_leads_of_one_account_share_a_partition(world):
    parts = lead_partitions(world.leads, 7)
    assert parts.min() >= 0 and parts.max() < 7 and len(np.unique(parts)) == 7
    by_account = pd.Series(parts).groupby(world.leads["account_id"].to_numpy()).nunique()
    assert (by_account == 1).all()
    again = lead_partitions(world.leads.sample(frac=1, random_state=0), 7)  # the order of the leads does not matter
    shuffled = world.leads.sample(frac=1, random_state=0).index
    assert (again == parts[shuffled]).all()


def test_a_scoring_frame_in_partitions_is_the_same_frame(world):
    kwargs = dict(as_of=DATES[-1], conversions=world.conversions, now=NOW)
    whole = build_scoring_frame(world.leads, world.events, **kwargs)
    parted = build_scoring_frame(world.leads, world.events, memory_budget=SMALL, **kwargs)
    assert summary_of(whole).lead_partitions == 1 and summary_of(parted).lead_partitions > 1
    assert parted["account_contacts"].notna().any()  # the account roll-ups were built, per partition
    _same(whole, parted)
    assert summary_of(parted).memory_budget in summary_of(parted).lines() and not summary_of(whole).memory_budget


@pytest.mark.parametrize("dates", [DATES, DATES[::4]], ids=["12 monthly dates", "3 dates"])
def test_a_training_set_in_partitions_is_the_same_frame(world, dates):
    kwargs = dict(as_of=dates, horizon_days=90, observed_until=world.observed_until, now=NOW)
    whole = build_training_set(world.leads, world.events, world.conversions, **kwargs)
    parted = build_training_set(world.leads, world.events, world.conversions, memory_budget=SMALL, **kwargs)
    assert summary_of(parted).lead_partitions > 1
    _same(whole, parted)


def test_decayed_counts_and_value_sums_in_partitions(world, valued):
    events, config = valued
    kwargs = dict(as_of=DATES[-3:], horizon_days=90, observed_until=world.observed_until, now=NOW, config=config)
    whole = build_training_set(world.leads, events, world.conversions, **kwargs)
    parted = build_training_set(world.leads, events, world.conversions, memory_budget=SMALL, **kwargs)
    assert summary_of(parted).lead_partitions > 1
    assert [c for c in whole.columns if "_decayed_" in c] and [c for c in whole.columns if "amount" in c]
    _same(whole, parted, rounded=True)


def test_events_as_a_parquet_file_in_partitions(world, tmp_path):
    path = tmp_path / "events.parquet"
    world.events.to_parquet(path)
    kwargs = dict(as_of=DATES[-1], conversions=world.conversions, now=NOW)
    _same(build_scoring_frame(world.leads, str(path), **kwargs),
          build_scoring_frame(world.leads, str(path), memory_budget=SMALL, **kwargs))  # fmt: skip


def test_many_tiny_partitions_take_the_whole_spines_path(world, valued, paths):
    """Dozens of partitions of a few leads each, some with rows at one date only: each takes the period path the
    whole spine takes (such a partition alone would take the joined one), so the values come from the same
    arithmetic (the two paths agree on float sums only to their rounding)."""
    created = world.leads["created_at"]
    late = world.leads[(created >= "2026-04-01") & (created < "2026-05-01")].iloc[:60]  # rows at 2026-05-01 only
    leads = pd.concat([world.leads.iloc[:90], late], ignore_index=True)
    events, config = valued
    kwargs = dict(as_of=DATES, horizon_days=90, observed_until=world.observed_until, now=NOW, config=config)
    whole = build_training_set(leads, events, world.conversions, **kwargs)
    parted = build_training_set(leads, events, world.conversions, memory_budget="1MB", **kwargs)
    assert all(paths) and len(paths) > 20  # the whole spine and every partition: periods
    partitions = summary_of(parted).lead_partitions
    part_of = dict(zip(leads["lead_id"], lead_partitions(leads, partitions), strict=True))
    assert partitions > 20 and whole.groupby(whole["lead_id"].map(part_of))["as_of"].nunique().min() == 1
    _same(whole, parted, rounded=True)


def test_more_dates_than_periods_take_in_partitions(world, valued, paths):
    """80 weekly dates: the whole spine takes the joined path, and so does every partition (most of which would
    fit periods on their own). On the joined path DuckDB adds each row's decayed counts and values in the order it
    reads the events, which the partition files change: a sum on a rounding boundary may move in its last digit."""
    leads = world.leads.iloc[:300]
    dates = list(pd.date_range("2024-11-04", periods=80, freq="W-MON", tz="UTC"))
    events, config = valued
    kwargs = dict(as_of=dates, horizon_days=30, observed_until=world.observed_until, now=NOW, config=config)
    whole = build_training_set(leads, events, world.conversions, **kwargs)
    parted = build_training_set(leads, events, world.conversions, memory_budget=SMALL, **kwargs)
    assert summary_of(parted).lead_partitions > 1 and whole["as_of"].nunique() > 64
    assert len(paths) > 2 and not any(paths)  # the whole spine and every partition: joined
    _same(whole, parted, rounded=True)


def test_a_spine_with_a_lead_twice_on_a_date_in_partitions(world, valued, paths):
    events, config = valued
    ids = world.leads["lead_id"].iloc[:200]
    spine = pd.DataFrame({"lead_id": [*ids, *ids, ids.iloc[0]], "as_of": [DATES[-1]] * 200 + [DATES[-2]] * 201})
    whole, _ = features_for_spine(world.leads, events, spine, now=NOW, config=config)
    parted, _ = features_for_spine(world.leads, events, spine, now=NOW, config=config, memory_budget="4MB")
    assert len(paths) > 2 and not any(paths)  # joined, as with more dates: most partitions hold no such lead
    _same(whole, parted, rounded=True)
    assert list(parted["lead_id"]) == list(spine["lead_id"])


def test_the_partition_files_are_removed_after_a_build_and_after_an_error(world, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    build_scoring_frame(world.leads, world.events, as_of=DATES[-1], now=NOW, memory_budget=SMALL)
    assert not list(tmp_path.glob("predictive-leads-partitions-*"))

    def broken(*_args, **_kwargs):
        raise RuntimeError("unpacking failed")

    monkeypatch.setattr(pipeline, "finish_event_features", broken)
    with pytest.raises(RuntimeError, match="unpacking failed"):
        build_scoring_frame(world.leads, world.events, as_of=DATES[-1], now=NOW, memory_budget=SMALL)
    assert not list(tmp_path.glob("predictive-leads-partitions-*"))


def test_placed_rows_keep_every_type():
    day = pd.Timestamp("2026-01-01", tz="UTC")
    part = pd.DataFrame({
        "n": pd.array([1, None], dtype="Int64"), "x": [1.5, np.nan], "k": [3, 4], "flag": [True, False],
        "maybe": pd.array([True, None], dtype="boolean"), "at": [day, pd.NaT],
        "id": pd.array(["a", None], dtype="string"),
        "band": pd.Categorical(["s", "m"], categories=["s", "m", "l"]),
    })  # fmt: skip
    placed = pipeline._Placed(4)
    placed.put(part, np.array([3, 0]))
    placed.put(part.iloc[::-1].reset_index(drop=True), np.array([1, 2]))
    expected = part.take([1, 1, 0, 0]).reset_index(drop=True)
    frame = placed.frame()  # one 2-D block per NumPy type, other types as they are
    assert placed.names == list(part.columns) and frame._mgr.nblocks == 8  # int64, float64, bool + 5 others
    pd.testing.assert_frame_equal(frame[placed.names], expected, check_exact=True)
