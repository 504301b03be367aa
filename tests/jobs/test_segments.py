"""Segment models end to end: the batch job and the registered pyfunc score each lead with its segment's model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.models.segment_models import SEGMENTS_FOLDER

pytestmark = pytest.mark.slow
AS_OF = "2026-03-01"


@pytest.fixture(scope="module")
def scored(product_line_worlds, tmp_path_factory):
    """``score --data RAW --as-of 2026-03-01`` with the segmented model: the output and the scoring frame."""
    from predictive_leads.jobs.score import score

    world = product_line_worlds["differ"]
    out = tmp_path_factory.mktemp("scored") / "scores.parquet"
    run = score(world.model_dir, out, data=world.raw, as_of=AS_OF, rules="none")
    return world, pd.read_parquet(out), run.scoring_frame.frame


def test_the_batch_job_scores_each_lead_with_its_segments_model_and_says_which(scored):
    world, output, frame = scored
    own = world.run.segments.models
    assert set(own)  # the world with two profiles keeps at least one segment model
    pooled = LeadScorer.load(world.model_dir)
    frame = frame.set_index("lead_id").loc[output["lead_id"]]
    line = frame["product_line"].astype(str).to_numpy()
    expected = pooled.predict_proba(frame)[:, 1]
    for i, value in enumerate(own, start=1):
        model = LeadScorer.load(world.model_dir / SEGMENTS_FOLDER / str(i))
        expected = np.where(line == value, model.predict_proba(frame)[:, 1], expected)
    np.testing.assert_array_equal(output["probability"].to_numpy(), expected)
    kept = output["disqualification_code"].isna().to_numpy()  # one scale: the pooled model's score map for all
    np.testing.assert_array_equal(output["score"][kept], pooled.score_map_.score(expected[kept]))
    assert output["model_segment"].fillna("").tolist() == np.where(np.isin(line, list(own)), line, "").tolist()


def test_the_registry_stores_the_set_as_one_version_and_its_pyfunc_scores_as_the_batch_does(scored, registry_store):
    import mlflow

    from predictive_leads.jobs.train import train
    from predictive_leads.serving.pyfunc import to_model_input

    world, output, frame = scored
    run = train(world.training_set, registry_store / "model", segment_by="product_line", register="lines")
    assert run.version == "1" and set(run.segments.models) == set(world.run.segments.models)
    model = mlflow.pyfunc.load_model("models:/lines@challenger")
    rows = frame.set_index("lead_id").loc[output["lead_id"]].iloc[:500]
    served = model.predict(to_model_input(rows.reset_index(), LeadScorer.load(world.model_dir)))
    expected = output.set_index("lead_id").loc[rows.index]
    np.testing.assert_array_equal(served["probability"].to_numpy(), expected["probability"].to_numpy())
    kept = expected["disqualification_code"].isna().to_numpy()  # batch floors a disqualified lead's score
    assert served["score"][kept].tolist() == expected["score"][kept].tolist()
    run_data = mlflow.get_run(run.run_id).data
    assert run_data.tags["segments.column"] == "product_line"
    assert run_data.tags["segments.own_models"] == str(len(run.segments.models))


@pytest.fixture(scope="module")
def later_rows(product_line_worlds, tmp_path_factory):
    """Labelled snapshots after the segmented model's training data (2026-04 … 2026-06)."""
    from predictive_leads.jobs.data import build_dataset

    world = product_line_worlds["differ"]
    out = tmp_path_factory.mktemp("later") / "later.parquet"
    return build_dataset(world.raw, out, every="month", start="2026-04-01", end="2026-06-01",
                         spec=world.raw / "spec.yaml").out  # fmt: skip


def _set_probability(world, rows: pd.DataFrame) -> np.ndarray:
    """Each row's probability from its segment's model, by hand."""
    p = LeadScorer.load(world.model_dir).predict_proba(rows)[:, 1]
    line = rows["product_line"].astype(str).to_numpy()
    for i, value in enumerate(world.run.segments.models, start=1):
        p = np.where(
            line == value, LeadScorer.load(world.model_dir / SEGMENTS_FOLDER / str(i)).predict_proba(rows)[:, 1], p
        )
    return p


def test_evaluate_and_the_promotion_gate_measure_the_set_as_it_is_served(product_line_worlds, later_rows, tmp_path):
    from sklearn.metrics import roc_auc_score

    from predictive_leads.jobs.train import evaluate
    from predictive_leads.serving.registry import load_model
    from predictive_leads.training.promotion import judge

    world = product_line_worlds["differ"]
    rows = pd.read_parquet(later_rows)
    expected = roc_auc_score(rows["converted"], _set_probability(world, rows))
    run = evaluate(world.model_dir, later_rows, tmp_path / "eval", n_boot=20)
    assert run.model_auc["estimate"] == pytest.approx(expected, abs=1e-12)
    assert any(note.startswith("each lead scored by its own segment model") for note in run.metrics["meta"]["notes"])
    pooled = LeadScorer.load(world.model_dir)
    decision = judge(load_model(world.model_dir), pooled, rows)
    assert decision.challenger["roc_auc"] == pytest.approx(expected, abs=1e-12)
    assert decision.champion["roc_auc"] == pytest.approx(
        roc_auc_score(rows["converted"], pooled.predict_proba(rows)[:, 1]), abs=1e-12
    )


def test_the_monitoring_profile_holds_the_scores_the_set_served_on_its_reference_rows(product_line_worlds):
    from predictive_leads.monitoring.profile import PROFILE_FILE, fit_profile
    from predictive_leads.serving.registry import load_model

    world = product_line_worlds["differ"]
    saved = json.loads((world.model_dir / PROFILE_FILE).read_text())
    frame = pd.read_parquet(world.training_set)
    train = world.run.result.split_rows["train"]
    pooled = LeadScorer.load(world.model_dir)
    as_served = fit_profile(
        pooled, frame.iloc[train], frame["converted"].iloc[train], served=load_model(world.model_dir)
    )
    alone = fit_profile(pooled, frame.iloc[train], frame["converted"].iloc[train])
    assert saved["score"] == json.loads(json.dumps(as_served["score"])) != json.loads(json.dumps(alone["score"]))
    assert saved["roc_auc"] == pytest.approx(as_served["roc_auc"]) and saved["features"] == json.loads(
        json.dumps(alone["features"])
    )


def test_the_cli_generates_two_product_lines_and_trains_and_scores_a_set(tmp_path):
    from typer.testing import CliRunner

    from predictive_leads.cli.app import app

    runner, raw = CliRunner(), tmp_path / "raw"
    steps = [
        ["generate", "--out", str(raw), "--n-leads", "4000", "--seed", "3", "--product-lines", "2"],
        ["build-dataset", "--data", str(raw), "--spec", str(raw / "spec.yaml"), "--out", str(tmp_path / "t.parquet"),
         "--every", "month", "--from", "2025-03-01", "--to", "2026-03-01"],
        ["train", "--data", str(tmp_path / "t.parquet"), "--out", str(tmp_path / "m"), "--segment-by", "product_line",
         "--n-boot", "20", "--force"],
    ]  # fmt: skip
    for args in steps:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    assert "product_line" in pd.read_parquet(tmp_path / "t.parquet").columns
    lines = result.output.splitlines()
    at = lines.index("segment models by product_line (out of time, against the pooled model on the same rows):")
    assert [line.split(":")[0].strip() for line in lines[at + 1 : at + 3]] == ["Platform", "Starter"]
    table = pd.DataFrame(json.loads((tmp_path / "m" / "segments.json").read_text())["comparison"])
    assert table["segment"].tolist() == ["Platform", "Starter", "(all segments)"]


def test_the_crm_import_names_the_segment_model_that_scored_each_lead(product_line_worlds, tmp_path):
    from predictive_leads.jobs.score import score

    world = product_line_worlds["differ"]
    run = score(world.model_dir, tmp_path / "crm.csv", data=world.raw, as_of=AS_OF, rules="none",
                output_format="salesforce")  # fmt: skip
    crm = pd.read_csv(run.output, dtype=str)
    full = pd.read_parquet(run.crm).set_index("lead_id").loc[crm["Id"]]
    own = full["model_segment"].notna().to_numpy()
    assert own.any() and (~own).any()
    texts = zip(crm.loc[own, "PL_Model__c"], full.loc[own, "model_segment"], strict=True)
    assert all(text.endswith(f", {segment} model") for text, segment in texts)
    assert not crm.loc[~own, "PL_Model__c"].str.contains(" model").any()


def test_explain_reads_a_lead_with_the_model_that_scored_it(scored):
    from predictive_leads.jobs.score import explain

    world, output, frame = scored
    kept = output[output["disqualification_code"].isna()]  # batch floors a disqualified lead's score
    own, pooled = kept[kept["model_segment"].notna()].iloc[0], kept[kept["model_segment"].isna()].iloc[0]
    frame_file = world.model_dir.parent / "explain-frame.parquet"
    frame.to_parquet(frame_file)
    for row, segment in ((own, own["model_segment"]), (pooled, None)):
        lead = explain(world.model_dir, frame_file, row["lead_id"])
        assert lead.segment == segment
        assert lead.probability == row["probability"] and lead.score == row["score"]


def test_retrain_refuses_a_champion_with_segment_models_in_one_line(product_line_worlds, tmp_path):
    from predictive_leads.jobs.train import retrain

    world = product_line_worlds["differ"]
    with pytest.raises(ValueError, match="retrain does not re-segment yet"):
        retrain(world.raw, "2026-09-01", model=world.model_dir, out=tmp_path / "challenger")
