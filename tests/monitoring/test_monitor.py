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
    calibration_noise,
    drivers,
    feature_drift,
    mature_rows,
    psi,
    psi_p_value,
    run_monitor,
    verdict,
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
    with pytest.raises(ValueError, match="no leads in their first 30 days"):
        run_monitor(
            scorer, trained_world.profile, snapshot[snapshot["lead_age_days"] > 30], first, as_of=early, n_boot=10
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
    encoded = pd.DataFrame({"lead_age_days": [10.0, 29.0, 30.0, 31.0, 400.0], "x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    profile = reference_profile(encoded, {}, np.array([0, 1, 0, 1, 0]), np.full(5, 0.3), np.full(5, 50),
                                {"x": 1.0, "lead_age_days": 0.0})  # fmt: skip
    assert profile["population"] == {"lead_age_days_max": 30, "rows": 3}
    assert max(profile["features"]["x"]["edges"]) <= 3.0 and profile["rows"] == 5  # x of the young rows only
    flat = reference_profile(encoded[["x"]], {}, np.array([0, 1, 0, 1, 0]), np.full(5, 0.3), np.full(5, 50),
                             {"x": 1.0})  # fmt: skip
    assert flat["population"]["lead_age_days_max"] is None and flat["population"]["rows"] == 5


def _drift_world_monitor(drift: bool, *, seed: int = 3, n_leads: int = 8000,
                         when=("2025-12-01", "2026-08-01")) -> dict:  # fmt: skip
    from predictive_leads.features import build_training_set, feature_columns
    from predictive_leads.models.lead_scorer import LeadScorer
    from predictive_leads.synth import generate_world

    world = generate_world(n_leads=n_leads, seed=seed, drift=drift)
    frame = build_training_set(world.leads, world.events, world.conversions,
                               as_of=pd.date_range("2025-01-01", "2026-06-01", freq="MS", tz="UTC"),
                               observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    features = feature_columns(frame)
    train = frame[frame["as_of"] < "2025-09-01"]
    scorer = LeadScorer(time_column="as_of", min_positives=20).fit(train[[*features, "as_of"]], train["converted"])
    profile = fit_profile(scorer, train[[*features, "as_of"]], train["converted"])
    results = {}
    for day in when:  # the drifted world changes on 2025-12-19
        at = pd.Timestamp(day, tz="UTC")
        seen = frame[frame["as_of"] < at]
        current = seen[seen["as_of"] == seen["as_of"].max()]
        results[day] = run_monitor(scorer, profile, current, seen, as_of=at, n_boot=50, config=MonitorConfig())
        cohorts = pd.to_datetime(results[day].cohorts["cohort"] + "-01", utc=True)
        assert (cohorts + pd.Timedelta(days=90) <= at).all(), "an immature cohort was judged"
        assert results[day].facts["immature_rows_left_out"] > 0
    return results


@pytest.mark.slow
def test_a_drifted_world_is_ok_before_the_drift_and_retrain_after_naming_the_drifted_driver():
    results = _drift_world_monitor(drift=True)
    before, after = results["2025-12-01"].verdict, results["2026-08-01"].verdict
    assert before.status == "ok" and before.reasons[0].startswith("no driver"), before.reasons
    assert after.status == "retrain", after.reasons
    assert any(r.startswith("drifted driver lead_source") and "against sampling noise" in r for r in after.reasons)
    pricing = results["2026-08-01"].drift.set_index("feature").loc["pricing_page_view_30d"]
    assert pricing["status"] != "stable" and pricing["psi_p"] < 0.01, "the drifted pricing behaviour shows"
    assert "tests, each at" in after.reasons[-1], "the verdict states its rule"
    top = results["2026-08-01"].bands.iloc[-1]
    assert top["mean_p"] > top["ci_high"], "the top band's realized conversion should sit below its prediction"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_small_world_without_drift_never_says_retrain(seed):
    results = _drift_world_monitor(drift=False, seed=seed, n_leads=4000,
                                   when=("2025-12-01", "2026-03-01", "2026-06-01", "2026-08-01"))  # fmt: skip
    for day, result in results.items():
        assert result.verdict.status in {"ok", "watch"}, (seed, day, result.verdict.reasons)


# ------------------------------------------------------------------------------------------ the decision rule


def _drift_rows(**rows) -> pd.DataFrame:
    return pd.DataFrame([{"feature": name, "psi": psi_, "psi_p": p_, "unseen": np.nan, "importance": w,
                          "driver": d, "status": "act" if psi_ > 0.25 else "watch" if psi_ > 0.1 else "stable"}
                         for name, (psi_, p_, w, d) in rows.items()])  # fmt: skip


def _cohorts(*aucs, width: float, ece: float = 0.01, ece_p: float = 0.5) -> pd.DataFrame:
    return pd.DataFrame([{"cohort": f"2026-{i + 1:02d}", "n": 5000, "positives": 200, "realized": 0.04,
                          "predicted": 0.04, "auc": a, "auc_low": a - width / 2, "auc_high": a + width / 2,
                          "ece": ece, "ece_noise": 0.005, "ece_p": ece_p} for i, a in enumerate(aucs)])  # fmt: skip


def test_a_drop_within_its_noise_is_watch_and_a_drop_beyond_margin_and_noise_is_retrain():
    calm = _drift_rows(score=(0.01, 0.9, 1.0, True))
    noisy = verdict(calm, _cohorts(0.80, 0.72, width=0.20), MonitorConfig())
    assert noisy.status == "ok", "a drop within the noise of two small cohorts is not even a watch"
    likely = verdict(calm, _cohorts(0.80, 0.72, width=0.08), MonitorConfig())  # beyond 0 at 5 %, not the margin
    assert likely.status == "watch" and "not beyond the margin 0.02 with confidence" in likely.reasons[0]
    sure = verdict(calm, _cohorts(0.80, 0.72, width=0.04), MonitorConfig())
    assert sure.status == "retrain" and "> margin 0.02" in sure.reasons[0], sure.reasons
    # 4 tests (the score's drift, one AUC comparison, two calibrations), each at 0.05 / 4; drop 0.08 with
    # se = hypot(0.04, 0.04) / 3.92 = 0.0144 and z(0.0125) = 2.241: lower bound 0.08 - 0.0323 = 0.048
    assert "(drop 0.080, lower bound 0.048 > margin 0.02)" in sure.reasons[0]
    assert sure.reasons[-1].startswith("4 tests, each at 0.013 (alpha 0.05 over the verdict)")
    small = verdict(calm, _cohorts(0.80, 0.79, width=0.01), MonitorConfig())
    assert small.status == "ok", "a real but small drop (below the margin) is no reason to retrain"


def test_calibration_needs_both_size_and_significance():
    calm = _drift_rows(score=(0.01, 0.9, 1.0, True))
    off = verdict(calm, _cohorts(0.8, width=0.05, ece=0.06, ece_p=1e-4), MonitorConfig())
    assert off.status == "retrain" and "calibration off (ECE 0.060 vs 0.005 from noise, p 0.0001" in off.reasons[0]
    unsure = verdict(calm, _cohorts(0.8, width=0.05, ece=0.06, ece_p=0.04), MonitorConfig())  # level 0.025
    assert unsure.status == "watch" and unsure.reasons[0].endswith("not significant after the 1 cohorts")
    noise = verdict(calm, _cohorts(0.8, width=0.05, ece=0.06, ece_p=0.2), MonitorConfig())
    assert noise.status == "ok"
    tiny = verdict(calm, _cohorts(0.8, width=0.05, ece=0.02, ece_p=1e-4), MonitorConfig())
    assert tiny.status == "ok", "significant, but within ece_act of the noise level"


def test_drift_counts_when_large_and_beyond_noise_and_names_who_arrives_differently():
    cohorts = pd.DataFrame()
    big_noisy = verdict(_drift_rows(score=(0.01, 0.9, 1.0, True), x=(0.40, 0.2, 0.6, True)), cohorts, MonitorConfig())
    assert big_noisy.status == "ok" and "within sampling noise: x: PSI 0.40" in big_noisy.reasons[1]
    big_sure = verdict(_drift_rows(score=(0.01, 0.9, 1.0, True), x=(0.40, 1e-6, 0.6, True)), cohorts, MonitorConfig())
    assert big_sure.status == "retrain" and big_sure.reasons[0].startswith("drifted driver x: PSI 0.40")
    unused = verdict(_drift_rows(score=(0.01, 0.9, 1.0, True), y=(0.9, 1e-9, 0.01, False)), cohorts, MonitorConfig())
    assert unused.status == "retrain" and unused.reasons[0].startswith("who arrives changed, beyond sampling noise")
    unsure = verdict(_drift_rows(score=(0.01, 0.9, 1.0, True), y=(0.9, 0.3, 0.01, False)), cohorts, MonitorConfig())
    assert unsure.status == "ok" and "within sampling noise: y: PSI 0.90" in unsure.reasons[1]


def test_psi_p_value_agrees_with_the_chi_square_form_where_it_holds_and_not_where_it_fails():
    from scipy.stats import chi2

    ref, cur = [0.2, 0.2, 0.2, 0.2, 0.2], [0.21, 0.19, 0.2, 0.205, 0.195]
    scaled = psi(ref, cur) / (1 / 4000 + 1 / 3000)  # PSI ≈ (1/n + 1/m) · χ²(bins − 1) with large counts
    assert psi_p_value(ref, cur, 4000, 3000) == pytest.approx(chi2.sf(scaled, 4), abs=0.03)
    assert psi_p_value(ref, ref, 100, 100) == 1.0
    # a category absent from 150 reference rows and seen twice in 150 current ones: the floor makes the PSI
    # large, yet it is an ordinary event for a category of ~1 % of leads; the chi-square form overstates it
    rare_ref, rare_cur = [0.7, 0.3, 0.0], [0.69, 0.2967, 0.0133]
    chi_square = chi2.sf(psi(rare_ref, rare_cur) / (2 / 150), 2)
    assert psi_p_value(rare_ref, rare_cur, 150, 150) > max(0.15, 2 * chi_square)
    assert psi_p_value([0.5, 0.5], [0.3, 0.7], 10_000, 10_000) < 1e-3 < psi_p_value([0.5, 0.5], [0.3, 0.7], 20, 20)


def test_calibration_noise_matches_the_ece_of_outcomes_drawn_from_the_probabilities():
    from predictive_leads.evaluation.metrics import _ece

    rng = np.random.default_rng(2)
    p = rng.beta(0.6, 12, 3000)
    simulated = [_ece((rng.random(p.size) < p).astype(float), p, 10) for _ in range(300)]
    noise, p_value = calibration_noise(p, np.median(simulated))
    assert noise == pytest.approx(np.mean(simulated), rel=0.1)  # binomial per bin: slightly wider
    assert 0.3 < p_value < 0.8
    assert calibration_noise(p, 3 * max(simulated))[1] < 1e-3
