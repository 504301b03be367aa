"""A set of segment models: which model scores a row — its segment's own model, else the pooled model.

Saved beside the pooled model as ``segments.json`` (the column and each segment's folder) and one folder per
segment model (``segments/1/model.txt``, ``scorer.json``, …): LightGBM text and JSON, as every model is."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from predictive_leads.models.lead_scorer import LeadScorer, ModelError
from predictive_leads.models.saved_files import REDO, read_json

SEGMENTS_FILE = "segments.json"
SEGMENTS_FOLDER = "segments"
MISSING = "(missing)"


def segment_values(values: pd.Series) -> pd.Series:
    """Each row's segment as text (blank or missing: ``(missing)``, which never has a model of its own)."""
    text = pd.Series(values).astype("string").str.strip()
    return text.mask(text.isna() | (text == ""), MISSING).astype(object)


@dataclass
class SegmentModels:
    """The pooled model and the segments of ``column`` that have a model of their own."""

    column: str
    pooled: LeadScorer
    models: Mapping[str, LeadScorer]

    def segment_of(self, rows: pd.DataFrame) -> pd.Series:
        """The segment whose own model scores each row; ``<NA>`` where the pooled model does."""
        segment = segment_values(rows[self.column]).set_axis(rows.index)
        return segment.where(segment.isin(list(self.models))).astype("string")

    def scorer_of(self, row: pd.DataFrame) -> tuple[LeadScorer, str | None]:
        """The model that scores the first row of ``row``, and its segment (None: the pooled model)."""
        segment = self.segment_of(row.iloc[:1]).iloc[0]
        return (self.pooled, None) if pd.isna(segment) else (self.models[segment], str(segment))

    def apply(self, rows: pd.DataFrame, score: Callable[[LeadScorer, pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
        """``score(model, part)`` on each model's share of ``rows``, put back in the order of ``rows``."""
        segment = self.segment_of(rows).to_numpy(dtype=object, na_value=None)
        parts, positions = [], []
        for value, model in [(None, self.pooled), *self.models.items()]:
            at = np.flatnonzero(pd.isna(segment) if value is None else segment == value)
            if len(at):
                parts.append(score(model, rows.iloc[at]))
                positions.append(at)
        if not parts:
            return score(self.pooled, rows)
        order = np.argsort(np.concatenate(positions), kind="stable")
        return pd.concat(parts).iloc[order].set_axis(rows.index)

    # what evaluation, promotion and monitoring ask of a model, answered by the set
    def predict_proba(self, X) -> np.ndarray:
        """Each row's calibrated probabilities from its model (as ``LeadScorer.predict_proba``)."""
        p = self.apply(X, lambda model, part: pd.DataFrame(model.predict_proba(part), index=part.index))
        return p.to_numpy()

    def score_frame(self, X, *, subscores: bool = True) -> pd.DataFrame:
        """Each row's scores from its model (as ``LeadScorer.score_frame``)."""
        return self.apply(X, lambda model, part: model.score_frame(part, subscores=subscores))

    def encode(self, X) -> pd.DataFrame:
        """The inputs as the pooled model reads them: every segment model reads a subset of its columns."""
        return self.pooled.encode(X)

    def trained_until(self) -> pd.Timestamp | None:
        """The pooled model's: each segment model trained on its share of the same rows."""
        return self.pooled.trained_until()

    def each(self) -> list[LeadScorer]:
        """The pooled model and every segment model (to set threads or a fixed funnel on all of them)."""
        return [self.pooled, *self.models.values()]

    def manifest(self) -> dict:
        """What ``segments.json`` holds for scoring: the column and each segment's model folder."""
        return {"column": self.column, "models": segment_folders(self.models)}

    def to_artifacts(self) -> dict[str, str]:
        """``segments.json`` and each segment model's files under ``segments/<n>/``."""
        from predictive_leads.data.files import json_text

        manifest = self.manifest()
        texts = {SEGMENTS_FILE: json_text(manifest)}
        for value, folder in manifest["models"].items():
            texts |= {f"{folder}/{name}": text for name, text in self.models[value].to_artifacts().items()}
        return texts


def segment_folders(values) -> dict[str, str]:
    """Each segment's folder: ``segments/1``, ``segments/2``, … in the given order (any text can be a segment)."""
    return {value: f"{SEGMENTS_FOLDER}/{i}" for i, value in enumerate(values, start=1)}


def content_version(folder: str | Path) -> str:
    """``sha256:`` and 12 hex digits over the model's ``model.txt`` and, with segment models, ``segments.json`` and
    each segment's ``model.txt``: a folder's version in outputs, changed by any model of the set."""
    import hashlib

    from predictive_leads.data.files import sha256_of

    folder = Path(folder)
    files = [folder / "model.txt"]
    if (folder / SEGMENTS_FILE).exists():
        manifest = read_json(folder / SEGMENTS_FILE, keys={"column": str, "models": dict})
        files += [folder / SEGMENTS_FILE, *(folder / str(sub) / "model.txt" for sub in manifest["models"].values())]
    digests = [sha256_of(path) for path in files]
    whole = digests[0] if len(digests) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest()
    return "sha256:" + whole[:12]


def load_segment_models(folder: str | Path, pooled: LeadScorer) -> SegmentModels | None:
    """The segment models saved in ``folder`` beside ``pooled``; None when it has none (no ``segments.json``, or
    one that keeps no segment model: the pooled model scores everyone)."""
    folder = Path(folder)
    path = folder / SEGMENTS_FILE
    if not path.exists():
        return None
    manifest = read_json(path, keys={"column": str, "models": dict})
    models = {}
    for value, sub in manifest["models"].items():
        inside = (folder / str(sub)).resolve()
        if not isinstance(sub, str) or folder.resolve() not in inside.parents:
            raise ModelError(f"{path}: segment {value!r} does not name a folder inside the model; {REDO}")
        models[value] = LeadScorer.load(inside)
    return SegmentModels(manifest["column"], pooled, models) if models else None
