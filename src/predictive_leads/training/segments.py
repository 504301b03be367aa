"""Segment models: one model per value of a column (a product line, a region), each measured against the pooled
model on the same out-of-time test rows, and used only where it wins.

The pooled model is trained first, as without segments. Each segment's model then trains on that segment's rows of
the pooled model's training part (so it never sees a test row), with the columns the pooled model's audit kept,
less the segment column (constant within a segment). The cold-start ladder decides per segment: too few rows and
the segment stays with the pooled model. Both models score the segment's test rows; the AUC difference has a
paired bootstrap interval. A segment gets its own model only when that interval lies above zero; everywhere else
the pooled model scores, and the table says why. A kept segment model speaks the pooled model's scale (its score map
and funnel cut-offs: one funnel for every lead), and the pooled model's monitoring profile is refitted on the set's
scores (what is served).

The decision is taken on the test rows it is reported on, once per segment without a correction for their number:
confirm a set on later labelled rows (``evaluate``) before trusting its gain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from predictive_leads.evaluation.cold_start import assess
from predictive_leads.evaluation.metrics import compare
from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.models.saved_files import first_line
from predictive_leads.models.segment_models import (
    MISSING,
    SEGMENTS_FILE,
    SegmentModels,
    segment_values,
)
from predictive_leads.monitoring.profile import fit_profile
from predictive_leads.training.workflow import TrainResult, train_model

MAX_SEGMENTS = 20
ALL = "(all segments)"
OWN, POOLED = "segment model", "pooled model"
COMPARISON_COLUMNS = ("segment", "train_rows", "train_positives", "level", "test_rows", "test_positives",
                      "auc_segment", "auc_pooled", "auc_gain", "gain_low", "gain_high", "uses", "why")  # fmt: skip


@dataclass
class SegmentedResult:
    """The pooled model, the segment models that beat it (``models``: segment value → result) and the comparison
    table (one row per segment, then the set as saved against the pooled model)."""

    column: str
    pooled: TrainResult
    models: dict[str, TrainResult]
    comparison: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def recommendation(self) -> str:
        """One line: which segments use their own model, or that the pooled model is recommended."""
        if not self.models:
            return "no segment model beats the pooled model with an interval above zero: use the pooled model"
        return f"own models for {self.column} = {', '.join(self.models)}; the pooled model scores the rest"

    def scorers(self) -> SegmentModels:
        """The set as scoring uses it: the pooled model and the segment models that beat it."""
        return SegmentModels(self.column, self.pooled.model, {value: r.model for value, r in self.models.items()})

    def manifest(self) -> dict:
        """``segments.json``: the column, each segment's model folder, and the comparison."""
        from predictive_leads.evaluation.metrics import to_jsonable

        return self.scorers().manifest() | {"recommendation": self.recommendation,
                                            "comparison": to_jsonable(self.comparison.to_dict("records"))}  # fmt: skip

    def save(self, out: str | Path) -> Path:
        """The pooled model's folder with ``segments.json`` and a folder per segment model, swapped in whole."""
        from predictive_leads.data.files import atomic_dir, json_text, write_texts

        out = Path(out)
        manifest = self.manifest()
        with atomic_dir(out) as tmp:
            self.pooled._write(tmp)
            write_texts({SEGMENTS_FILE: json_text(manifest)}, tmp)
            for value, folder in manifest["models"].items():
                self.models[value]._write(tmp / folder)
        return out


def train_segments(frame: pd.DataFrame, column: str, *, pooled: TrainResult, n_boot: int = 200, seed: int = 0,
                   force: bool = False, **train_options) -> SegmentedResult:  # fmt: skip
    """A model per value of ``column`` in ``frame`` (the training frame ``pooled`` was trained on, with the
    same ``train_options`` of :func:`~predictive_leads.training.workflow.train_model`), compared with ``pooled``."""
    target = train_options.get("target", "converted")
    if column not in frame:
        raise ValueError(f"--segment-by: no column {column!r} in the training data")
    if column in pooled.dropped:
        raise ValueError(f"--segment-by: the leakage audit dropped {column!r}; segment by a column known before the "
                         "outcome")  # fmt: skip
    if column not in pooled.model.categories_:  # scoring routes on the value the pooled model reads, as text
        raise ValueError(f"--segment-by: {column!r} is not a categorical feature of the pooled model (dropped, or "
                         "numeric); segment by a text column the model uses")  # fmt: skip
    segments = segment_values(frame[column])
    named = sorted(set(segments) - {MISSING})
    if len(named) > MAX_SEGMENTS:
        raise ValueError(f"--segment-by {column}: {len(named)} values; segment models take at most {MAX_SEGMENTS}")
    if len(named) < 2:
        raise ValueError(f"--segment-by {column}: {len(named)} value(s); segments need at least two")
    y = frame[target].to_numpy().astype(int)
    train, test = pooled.split_rows["train"], pooled.split_rows["test"]
    pooled_p = np.full(len(frame), np.nan)
    pooled_p[test] = pooled.model.predict_proba(frame.iloc[test])[:, 1]
    served_p = pooled_p.copy()  # each test row scored as the saved set scores it
    options = train_options | {"drop": (*train_options.get("drop", ()), *pooled.dropped, column), "rules": (),
                               "learned_scorecard": False}  # fmt: skip
    rows, trained, notes = [], {}, []
    for value in named:
        in_segment = (segments == value).to_numpy()
        seg_train, seg_test = train[in_segment[train]], test[in_segment[test]]
        row = _counts(value, y, seg_train, seg_test)
        result, why = _segment_model(frame, in_segment, y, seg_train, seg_test, pooled, options, n_boot=n_boot,
                                     seed=seed, force=force)  # fmt: skip
        if result is None:
            rows.append(row | {"level": "refuse", "uses": POOLED, "why": why})
            continue
        p = result.model.predict_proba(frame.iloc[seg_test])[:, 1]
        gain = _paired_gain(y[seg_test], p, pooled_p[seg_test], n_boot=n_boot, seed=seed)
        uses = OWN if gain["gain_low"] > 0 else POOLED
        rows.append(row | {"level": result.meta["cold_start"]["level"], **gain, "uses": uses,
                           "why": _why(uses, gain)})  # fmt: skip
        if uses == OWN:
            trained[value] = result
            served_p[seg_test] = p
    if (segments.iloc[test] == MISSING).any():
        notes.append(f"{int((segments.iloc[test] == MISSING).sum())} test rows without a {column} value are scored by "
                     "the pooled model")  # fmt: skip
    overall = _counts(ALL, y, train, test) | _paired_gain(y[test], served_p[test], pooled_p[test], n_boot=n_boot,
                                                            seed=seed)  # fmt: skip
    overall |= {"level": "", "uses": "", "why": "the set as saved (the kept segment models on their segments, the "
                                                "pooled model elsewhere) against the pooled model everywhere; chosen "
                                                "on these rows, so optimistic"}  # fmt: skip
    table = pd.DataFrame([*rows, overall]).reindex(columns=list(COMPARISON_COLUMNS))
    result = SegmentedResult(column, pooled, trained, table, notes)
    if trained:  # monitoring compares what is served with what was served on the reference rows
        pooled.profile = fit_profile(pooled.model, frame.iloc[train], y[train], served=result.scorers())
    return result


def _segment_model(frame, in_segment, y, seg_train, seg_test, pooled: TrainResult, options: dict, *, n_boot: int,
                   seed: int, force: bool) -> tuple[TrainResult | None, str]:  # fmt: skip
    """The segment's model trained on its share of the pooled split, on the pooled model's scale; or None and why
    it could not be trained."""
    positions = np.flatnonzero(in_segment)
    local = pd.Index(positions)
    parts = (local.get_indexer(seg_train), local.get_indexer(seg_test))
    readiness = assess(y[positions], parts=parts)
    if not readiness.trainable and not force:
        return None, f"too little data for a model of its own: {'; '.join(readiness.reasons)}"
    split = (*parts, pooled.meta["split"] | {"note": "this segment's rows of the pooled model's split"})
    try:
        result = train_model(frame.iloc[positions], **options, split=split, n_boot=n_boot, seed=seed, force=force,
                             report=False, price_audit_drops=0)  # fmt: skip
    except ValueError as exc:  # forced below the scorer's own floor, or the segment's audit left no column
        return None, f"no model of its own: {first_line(exc)}"
    on_pooled_scale(result.model, pooled.model)
    return result, ""


def on_pooled_scale(model: LeadScorer, pooled: LeadScorer) -> None:
    """Give a segment model the pooled model's score map and funnel cut-offs: its calibrated probabilities then
    mean the same score, grade and stage as the pooled model's, so one funnel ranks every lead (a segment model's
    own map would rank its leads only against its segment)."""
    model.score_map_, model.thresholds_ = pooled.score_map_, pooled.thresholds_


def _counts(segment: str, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> dict:
    return {"segment": segment, "train_rows": len(train), "train_positives": int(y[train].sum()),
            "test_rows": len(test), "test_positives": int(y[test].sum())}  # fmt: skip


def _paired_gain(y: np.ndarray, own: np.ndarray, pooled: np.ndarray, *, n_boot: int, seed: int) -> dict:
    """The segment model's AUC, the pooled model's, and the gain with its paired bootstrap interval (NaN when the
    test rows lack a class)."""
    if len(np.unique(y)) < 2:
        return dict.fromkeys(("auc_segment", "auc_pooled", "auc_gain", "gain_low", "gain_high"), np.nan)
    table = compare(y, {OWN: own, POOLED: pooled}, n_boot=n_boot, seed=seed).set_index("scorer")
    row = table.loc[POOLED]  # its auc_diff: the segment model's AUC minus the pooled model's, paired
    return {"auc_segment": table.loc[OWN, "roc_auc"], "auc_pooled": row["roc_auc"], "auc_gain": row["auc_diff"],
            "gain_low": row["auc_diff_low"], "gain_high": row["auc_diff_high"]}  # fmt: skip


def _why(uses: str, gain: dict) -> str:
    interval = f"AUC gain {gain['auc_gain']:+.3f} [{gain['gain_low']:+.3f}, {gain['gain_high']:+.3f}]"
    if uses == OWN:
        return f"{interval}: the interval lies above zero"
    if not np.isfinite(gain["auc_gain"]):
        return "the test rows lack a class: no comparison"
    if gain["gain_high"] < 0:
        return f"{interval}: the pooled model is better here"
    return f"{interval}: no gain shown, the pooled model scores this segment"


def comparison_lines(result: SegmentedResult) -> list[str]:
    """The comparison for the terminal: one line per segment, then the recommendation."""
    lines = [f"segment models by {result.column} (out of time, against the pooled model on the same rows):"]
    for row in result.comparison.to_dict("records"):
        if row["segment"] == ALL:
            continue
        test = f"{row['test_rows']:,} test rows, {row['test_positives']:,} converted"
        lines.append(f"  {row['segment']}: {row['uses']} — {row['why']} ({test})")
    return [*lines, *result.notes, result.recommendation]
