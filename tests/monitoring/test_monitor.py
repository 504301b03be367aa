"""Monitoring: PSI against hand-computed values, mature labels only, clear refusals, and a drifted world."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from predictive_leads.cli.app import app
from predictive_leads.monitoring.monitor import (
    PSI_FLOOR,
    MonitorConfig,
    drivers,
    feature_drift,
    mature_rows,
    psi,
    run_monitor,
)
from predictive_leads.monitoring.profile import categorical_profile, fit_profile, numeric_profile, reference_profile

runner = CliRunner()


def test_psi_of_identical_distributions_is_zero_and_it_is_symmetric_in_form():
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0
    expected = (0.5 - 0.25) * math.log(0.5 / 0.25) + (0.5 - 0.75) * math.log(0.5 / 0.75)
    assert psi([0.25, 0.75], [0.5, 0.5]) == pytest.approx(expected, abs=1e-15)


def test_psi_with_an_empty_bin_stays_finite():
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.25 - PSI_FLOOR) * math.log(0.25 / PSI_FLOOR)
    assert psi([0.5, 0.5, 0.0], [0.5, 0.25, 0.25]) == pytest.approx(expected, abs=1e-15)


def test_new_categories_count_as_their_own_bin():
    ref = categorical_profile(pd.Series(["a", "b", "a", "b"]), ["a", "b"])
    assert ref["shares"] == [0.5, 0.5] and ref["unseen"] == 0.0 and ref["missing"] == 0.0
    drift = feature_drift(ref, pd.Series(["a", "c", "c", "b"], dtype=object))
    expected = 2 * (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.5 - PSI_FLOOR) * math.log(0.5 / PSI_FLOOR)
    assert drift["unseen"] == 0.5 and drift["psi"] == pytest.approx(expected, abs=1e-12)


def test_all_missing_values_move_everything_to_the_missing_bin():
    ref = numeric_profile(np.arange(100, dtype=float))
    assert ref["missing"] == 0.0 and len(ref["shares"]) == len(ref["edges"]) + 1
    drift = feature_drift(ref, np.full(10, np.nan))
    shares = np.maximum(np.array([*ref["shares"], 0.0]), PSI_FLOOR)
    current = np.maximum(np.array([0.0] * len(ref["shares"]) + [1.0]), PSI_FLOOR)
    expected = float(np.sum((current - shares) * np.log(current / shares)))
    assert drift["missing"] == 1.0 and drift["psi"] == pytest.approx(expected)


def test_a_single_value_feature_has_one_edge_and_notices_a_new_value():
    ref = numeric_profile(np.full(50, 3.0))
    assert ref["edges"] == [3.0] and ref["shares"] == [1.0, 0.0]
    assert feature_drift(ref, np.full(5, 3.0))["psi"] == 0.0
    moved = (1.0 - PSI_FLOOR) * math.log(1.0 / PSI_FLOOR) + (PSI_FLOOR - 1.0) * math.log(PSI_FLOOR / 1.0)
    assert feature_drift(ref, np.full(5, 4.0))["psi"] == pytest.approx(moved, abs=1e-12)


def test_drivers_are_the_fewest_features_holding_half_the_attributions():
    assert drivers({"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}, 0.5) == {"a", "b"}
    assert drivers({"a": 0.6, "b": 0.4}, 0.5) == {"a"}


def test_only_rows_whose_horizon_has_passed_are_mature():
    frame = pd.DataFrame({"as_of": pd.to_datetime(["2026-01-01", "2026-03-02", "2026-03-03"], utc=True)})
    mature = mature_rows(frame, pd.Timestamp("2026-05-31", tz="UTC"), 90)
    assert mature.tolist() == [True, True, False]  # 2026-03-02 + 90 days = 2026-05-31: just mature


def test_clear_refusals(trained_world):
    scorer, frame = trained_world.scorer, trained_world.frame
    later = pd.Timestamp("2026-09-01", tz="UTC")
    with pytest.raises(ValueError, match="not after the model's training data"):
        run_monitor(scorer, trained_world.profile, frame.iloc[:10], frame, as_of="2025-06-01")
    with pytest.raises(ValueError, match="no reference profile"):
        run_monitor(scorer, None, frame.iloc[:10], frame, as_of=later)
    first = frame[frame["as_of"] >= trained_world.train_before]
    early = pd.Timestamp(trained_world.train_before, tz="UTC") + pd.Timedelta(days=40)
    snapshot = first[first["as_of"] == first["as_of"].min()]
    with pytest.raises(ValueError, match="no leads in their first 90 days"):
        run_monitor(
            scorer, trained_world.profile, snapshot[snapshot["lead_age_days"] > 90], first, as_of=early, n_boot=10
        )
    result = run_monitor(scorer, trained_world.profile, snapshot, first[first["as_of"] < early], as_of=early, n_boot=10)
    assert result.facts["mature_rows"] == 0 and result.cohorts.empty
    assert any(r.startswith("no mature labels yet") for r in result.verdict.reasons)


def test_monitor_command_writes_json_and_html_and_exits_with_the_verdict(trained_world, tmp_path):
    data = tmp_path / "frame.parquet"
    trained_world.frame.to_parquet(data)
    out = tmp_path / "mon"
    result = runner.invoke(app, ["monitor", "--model", str(trained_world.model_dir), "--data", str(data),
                                 "--as-of", "2026-09-01", "--out", str(out), "--n-boot", "20"])  # fmt: skip
    report = json.loads((out / "monitor.json").read_text())
    assert result.exit_code == {"ok": 0, "watch": 10, "retrain": 20}[report["verdict"]["status"]], result.output
    assert f"verdict: {report['verdict']['status']}" in result.output
    assert "<h2>Verdict" in (out / "monitor.html").read_text()
    matured = pd.to_datetime([c["cohort"] + "-01" for c in report["cohorts"]], utc=True)
    assert (matured + pd.Timedelta(days=90) <= pd.Timestamp("2026-09-01", tz="UTC")).all()


def test_monitoring_a_registered_model_logs_a_run_linked_to_its_version(trained_world, registry_store):
    import mlflow

    from predictive_leads.serving import registry

    folder = registry_store / "frame.parquet"
    trained_world.frame.to_parquet(folder)
    with registry._mlflow().start_run() as run:
        registry.log_pyfunc(trained_world.scorer, profile=trained_world.profile)  # the profile travels with it
    registry.register(run.info.run_id, "leads", alias="champion")
    out = registry_store / "mon"
    result = runner.invoke(app, ["monitor", "--model", "models:/leads@champion", "--data", str(folder),
                                 "--as-of", "2026-09-01", "--out", str(out), "--n-boot", "20"])  # fmt: skip
    assert result.exit_code in (0, 10, 20) and "MLflow run" in result.output, result.output
    client = mlflow.MlflowClient()
    run_id = result.output.split("MLflow run ")[1].split()[0]
    logged = client.get_run(run_id)
    verdict = json.loads((out / "monitor.json").read_text())["verdict"]["status"]
    assert logged.data.tags["model.name"] == "leads" and logged.data.tags["model.version"] == "1"
    assert logged.data.tags["monitor.verdict"] == verdict and "score_psi" in logged.data.metrics
    assert {a.path for a in client.list_artifacts(run_id)} == {"monitor.json", "monitor.html"}
    assert client.get_model_version("leads", "1").tags["monitor.last"].endswith(f"{verdict} run {run_id}")


def test_drift_compares_young_leads_then_and_now():
    encoded = pd.DataFrame({"lead_age_days": [10.0, 89.0, 90.0, 91.0, 400.0], "x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    profile = reference_profile(encoded, {}, np.array([0, 1, 0, 1, 0]), np.full(5, 0.3), np.full(5, 50),
                                {"x": 1.0, "lead_age_days": 0.0})  # fmt: skip
    assert profile["population"] == {"lead_age_days_max": 90, "rows": 3}
    assert max(profile["features"]["x"]["edges"]) <= 3.0 and profile["rows"] == 5  # x of the young rows only
    flat = reference_profile(encoded[["x"]], {}, np.array([0, 1, 0, 1, 0]), np.full(5, 0.3), np.full(5, 50),
                             {"x": 1.0})  # fmt: skip
    assert flat["population"]["lead_age_days_max"] is None and flat["population"]["rows"] == 5


def _drift_world_monitor(drift: bool) -> dict:
    from predictive_leads.features import build_training_set, feature_columns
    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.synth import generate_world

    world = generate_world(n_leads=8000, seed=3, drift=drift)
    frame = build_training_set(world.leads, world.events, world.conversions,
                               as_of=pd.date_range("2025-01-01", "2026-06-01", freq="MS", tz="UTC"),
                               observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    features = feature_columns(frame)
    train = frame[frame["as_of"] < "2025-09-01"]
    scorer = LeadScorer(time_column="as_of", min_positives=20).fit(train[[*features, "as_of"]], train["converted"])
    profile = fit_profile(scorer, train[[*features, "as_of"]], train["converted"])
    results = {}
    for when in ("2025-12-01", "2026-08-01"):  # the drifted world changes on 2025-12-19
        at = pd.Timestamp(when, tz="UTC")
        seen = frame[frame["as_of"] < at]
        current = seen[seen["as_of"] == seen["as_of"].max()]
        results[when] = run_monitor(scorer, profile, current, seen, as_of=at, n_boot=50, config=MonitorConfig())
        cohorts = pd.to_datetime(results[when].cohorts["cohort"] + "-01", utc=True)
        assert (cohorts + pd.Timedelta(days=90) <= at).all(), "an immature cohort was judged"
        assert results[when].facts["immature_rows_left_out"] > 0
    return results


@pytest.mark.slow
def test_a_drifted_world_is_ok_before_the_drift_and_retrain_after_naming_the_drifted_driver():
    results = _drift_world_monitor(drift=True)
    before, after = results["2025-12-01"].verdict, results["2026-08-01"].verdict
    assert before.status == "ok" and len(before.reasons) == 1, before.reasons
    assert after.status == "retrain" and any("AUC" in r for r in after.reasons), after.reasons
    assert any(r.startswith("drifted driver lead_source") for r in after.reasons), after.reasons
    assert any("pricing_page_view" in r for r in after.reasons), "the drifted pricing behaviour must be named"
    top = results["2026-08-01"].bands.iloc[-1]
    assert top["mean_p"] > top["ci_high"], "the top band's realized conversion should sit below its prediction"


@pytest.mark.slow
def test_the_same_world_without_drift_stays_ok_and_names_nothing():
    for when, result in _drift_world_monitor(drift=False).items():
        assert result.verdict.status == "ok" and len(result.verdict.reasons) == 1, (when, result.verdict.reasons)
        assert (result.drift["status"] == "stable").all(), result.drift.head()
