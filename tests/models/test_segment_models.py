"""A set of segment models routes each row to its segment's model (else the pooled one) and keeps the row order."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from predictive_leads.models.lead_scorer import LeadScorer, ModelError
from predictive_leads.models.segment_models import (
    SEGMENTS_FILE,
    SegmentModels,
    content_version,
    load_segment_models,
    segment_values,
)


@pytest.fixture(scope="module")
def two_models(trained_world):
    """The shared world's model as the pooled one, and a second model fitted on half its training rows."""
    frame = trained_world.frame[trained_world.frame["as_of"] < trained_world.train_before]
    half = frame.iloc[::2]
    other = LeadScorer(time_column="as_of", min_positives=10, n_estimators=40).fit(
        half[[*trained_world.features, "as_of"]], half["converted"]
    )
    return trained_world.scorer, other


def _rows(trained_world, n: int = 60) -> pd.DataFrame:
    rows = trained_world.frame.sample(n, random_state=5)[trained_world.features].copy()
    rows["line"] = np.resize(np.array(["A", "B", None, " ", "B "], dtype=object), n)
    return rows.set_axis([f"r{i}" for i in range(n)])  # an index that is not positional


def test_each_row_is_scored_by_its_segments_model_in_its_place(trained_world, two_models):
    pooled, other = two_models
    rows = _rows(trained_world)
    models = SegmentModels("line", pooled, {"B": other})
    scored = models.apply(rows, lambda model, part: model.score_frame(part))
    is_b = (segment_values(rows["line"]) == "B").to_numpy()
    assert list(scored.index) == list(rows.index)
    expected = np.where(is_b, other.predict_proba(rows)[:, 1], pooled.predict_proba(rows)[:, 1])
    np.testing.assert_array_equal(scored["probability"].to_numpy(), expected)
    assert models.segment_of(rows).fillna("-").tolist() == np.where(is_b, "B", "-").tolist()


def test_missing_and_blank_segments_are_one_value_that_never_has_a_model_of_its_own():
    values = segment_values(pd.Series(["A", None, "", "  ", " A", np.nan]))
    assert values.tolist() == ["A", "(missing)", "(missing)", "(missing)", "A", "(missing)"]


def test_a_saved_set_loads_back_and_a_folder_outside_the_model_is_refused(trained_world, two_models, tmp_path):
    from predictive_leads.data.files import write_texts

    pooled, other = two_models
    folder = pooled.save(tmp_path / "model")
    write_texts(SegmentModels("line", pooled, {"B": other}).to_artifacts(), folder)
    loaded = load_segment_models(folder, pooled)
    rows = _rows(trained_world)
    np.testing.assert_array_equal(loaded.models["B"].predict_proba(rows), other.predict_proba(rows))
    (folder / SEGMENTS_FILE).write_text(json.dumps({"column": "line", "models": {"B": "../elsewhere"}}))
    with pytest.raises(ModelError, match="does not name a folder inside the model"):
        load_segment_models(folder, pooled)
    (folder / SEGMENTS_FILE).unlink()
    assert load_segment_models(folder, pooled) is None


def test_a_folders_version_changes_with_any_model_of_the_set(two_models, tmp_path):
    from predictive_leads.data.files import sha256_of, write_texts

    pooled, other = two_models
    folder = pooled.save(tmp_path / "model")
    alone = content_version(folder)
    assert alone == "sha256:" + sha256_of(folder / "model.txt")[:12]
    write_texts(SegmentModels("line", pooled, {"B": other}).to_artifacts(), folder)
    with_set = content_version(folder)
    assert with_set != alone
    (folder / "segments" / "1" / "model.txt").write_text(pooled.to_artifacts()["model.txt"])
    assert content_version(folder) not in (alone, with_set)
