"""Data jobs without the CLI: generate, validate, describe, the snapshot dates rule, build-dataset, contracts."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from predictive_leads.data.contracts import ContractError
from predictive_leads.features import assert_point_in_time
from predictive_leads.jobs import data as jobs


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    steps: list[str] = []
    out = tmp_path_factory.mktemp("small") / "world"
    return jobs.generate(out, n_leads=400, seed=7, csv=True, on_step=steps.append), steps


def test_generate_writes_the_world_and_reports_what_is_in_it(small_world):
    world, steps = small_world
    assert steps[0] == "generating world" and len(steps) == jobs.generate_steps(csv=True) == 9
    assert steps[1:] == [f"writing {t}{s}" for t in ("leads", "events", "conversions", "truth")
                         for s in (".parquet", ".csv")]  # fmt: skip
    manifest = json.loads((world.out / "manifest.json").read_text())
    assert manifest["files"]["leads.parquet"]["rows"] == world.leads == 400
    assert manifest["files"]["events.csv"]["rows"] == world.events == len(pd.read_parquet(world.out / "events.parquet"))
    assert world.conversions == len(pd.read_parquet(world.out / "conversions.parquet")) > 0
    truth = pd.read_parquet(world.out / "truth.parquet")
    assert world.planted == {flag: int(truth[f"is_{flag}"].sum())
                             for flag in ("bot", "spam", "duplicate", "internal", "competitor")}  # fmt: skip
    assert (world.start, world.observed_until, world.drift_from) == ("2024-09-01", "2026-09-01", None)
    assert world.events_per_lead == world.events / 400 and world.seconds > 0


def test_validate_and_describe_count_what_the_files_hold(small_world):
    world, _ = small_world
    assert jobs.validate(world.out).rows == {"leads": world.leads, "events": world.events,
                                             "conversions": world.conversions}  # fmt: skip
    found = jobs.describe(world.out)
    events = pd.read_parquet(world.out / "events.parquet")
    assert (found.leads, found.events, found.conversions) == (world.leads, world.events, world.conversions)
    assert found.event_mix == events["event_type"].value_counts().to_dict()
    assert list(found.event_mix.values()) == sorted(found.event_mix.values(), reverse=True)
    assert sum(found.event_share(t) for t in found.event_mix) == pytest.approx(1.0)
    assert found.created_from <= found.created_to and found.planted == world.planted


def test_validate_names_the_bad_file_and_column(small_world, tmp_path):
    world, _ = small_world
    leads = pd.read_csv(world.out / "leads.csv", dtype=str)
    leads.loc[[3], "created_at"] = "soon"
    leads.to_csv(tmp_path / "leads.csv", index=False)
    for name in ("events", "conversions"):
        (tmp_path / f"{name}.parquet").write_bytes((world.out / f"{name}.parquet").read_bytes())
    with pytest.raises(ContractError, match=re.escape("leads.csv: column 'created_at': 1 row")):
        jobs.validate(tmp_path)


def test_snapshot_dates_take_dates_or_a_rule_not_both():
    assert jobs.snapshot_dates(["2025-01-01", "2025-02-01"]) == ["2025-01-01", "2025-02-01"]
    monthly = jobs.snapshot_dates(every="month", start="2025-01-01", end="2025-04-01")
    assert [d.strftime("%Y-%m-%d") for d in monthly] == ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]
    with pytest.raises(ValueError, match="not both"):
        jobs.snapshot_dates(["2025-01-01"], every="month")
    with pytest.raises(ValueError, match="give --as-of DATE"):
        jobs.snapshot_dates(every="month", start="2025-01-01")


def test_build_dataset_writes_a_point_in_time_training_set_and_a_scoring_frame(small_world, tmp_path):
    world, _ = small_world
    built = jobs.build_dataset(world.out, tmp_path / "train.parquet", every="month", start="2025-06-01",
                               end="2025-09-01", horizon_days=60)  # fmt: skip
    written = pd.read_parquet(built.out)
    assert_point_in_time(written)
    assert len(written) == len(built.frame) == built.summary.rows and built.columns == len(written.columns)
    assert built.summary.kind == "training set" and len(built.summary.as_of) == 4
    assert built.summary.horizon_days == 60 and built.summary.positives == int(written["converted"].sum())


def test_build_dataset_reads_csv_events_and_a_feature_config(small_world, tmp_path):
    world, _ = small_world
    folder = tmp_path / "crm"
    folder.mkdir()
    for name in ("leads.parquet", "conversions.parquet", "events.csv"):  # events as CSV: read leniently
        (folder / name).write_bytes((world.out / name).read_bytes())
    config = tmp_path / "features.yaml"
    config.write_text("windows_days: [14]\n")
    built = jobs.build_dataset(folder, tmp_path / "score.csv", as_of=["2026-01-01"], scoring=True, config=config)
    assert built.summary.kind == "scoring frame" and "converted" not in built.frame
    assert "pricing_page_view_14d" in built.frame and "pricing_page_view_30d" not in built.frame
    assert built.summary.events_used == world.events and len(pd.read_csv(built.out)) == built.summary.rows > 0


def test_contracts_markdown_for_one_table_or_all():
    assert "| `lead_id` |" in jobs.contracts_markdown("leads")
    assert "`event_type`" in jobs.contracts_markdown() and "`event_type`" not in jobs.contracts_markdown("leads")
    with pytest.raises(ValueError, match="unknown table 'deals'; choose from leads, events"):
        jobs.contracts_markdown("deals")


EVENT_FAULTS = {
    "ts": [None, "", "garbage", "0202-01-01", "2125-01-01T00:00:00", "1900-01-01", "2026-13-45"],
    "lead_id": [None, "", "   ", "NOT-A-LEAD"],
    "event_type": [None, "", "unheard_of_type", "😀"],
}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_build_dataset_counts_skipped_events_or_fails_in_one_line(small_world, tmp_path_factory, data):
    import shutil

    folder = tmp_path_factory.mktemp("fuzz") / "world"
    shutil.copytree(small_world[0].out, folder)
    events = pd.read_csv(folder / "events.csv", dtype="string")
    for _ in range(data.draw(st.integers(1, 10))):
        column = data.draw(st.sampled_from(list(EVENT_FAULTS)))
        events.loc[data.draw(st.integers(0, len(events) - 1)), column] = data.draw(
            st.sampled_from(EVENT_FAULTS[column])
        )
    if data.draw(st.booleans()):  # read and checked as CSV, else handed to the query engine as Parquet
        (folder / "events.parquet").unlink()
        events.to_csv(folder / "events.csv", index=False)
    else:
        typed = events.assign(ts=pd.to_datetime(events["ts"], errors="coerce", utc=True, format="mixed"))
        typed.to_parquet(folder / "events.parquet")
    out = folder.parent / "train.parquet"
    try:
        built = jobs.build_dataset(folder, out, as_of=["2026-01-01"], horizon_days=60)
    except (ContractError, ValueError) as exc:
        assert "\n" not in str(exc) and str(exc).startswith(("events.csv: ", "events.parquet: ", "events: "))
        assert not out.exists()
        return
    assert out.exists() and len(built.frame) == len(pd.read_parquet(out)) > 0
