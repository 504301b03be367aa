"""The run summary: what a run achieved, read back from its files (metrics.json, the scores and their rejects),
where everything is, and the next commands to try."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class SummaryBlock:
    """One part of the summary: a heading (None: continues the block before) and its lines."""

    title: str | None
    lines: list[str]


@dataclass
class RunSummary:
    """The summary in blocks: ``out of time`` (AUC model vs rule presets, lift, calibration), ``where`` (report,
    model, MLflow, scores) and ``next`` (commands to try)."""

    blocks: list[SummaryBlock]

    def lines(self, heading: Callable[[str], str] = str) -> list[str]:
        """The lines to print: each block's heading (through ``heading``, e.g. to make it bold) after a blank
        line, then its lines."""
        out: list[str] = []
        for i, block in enumerate(self.blocks):
            if block.title is not None:
                out += [""] * (i > 0) + [heading(block.title)]
            out += block.lines
        return out


def tracking_for_humans() -> str:
    """The tracking URI to paste into ``mlflow ui``, relative to the working directory when it is embedded."""
    from predictive_leads.serving.registry import DEFAULT_STORE

    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{DEFAULT_STORE / 'mlflow.db'}"


def run_summary(model: str | Path, *, scores: str | Path | None = None, name: str | None = None,
                data: str | Path | None = None, as_of: str | None = None) -> RunSummary:  # fmt: skip
    """The summary of the model folder ``model`` (its ``metrics.json``), the batch output ``scores`` (and its
    ``.rejects.csv``), the registered ``name``; ``data`` and ``as_of`` fill in the monitor command."""
    import pandas as pd
    import pyarrow.parquet as pq

    from predictive_leads.reports.summary import evaluation_lines, scores_line

    model = Path(model)
    metrics = json.loads((model / "metrics.json").read_text())
    ref = f"models:/{name}@champion" if name else str(model)
    where = [f"report   {model / 'report.html'}", f"model    {model}" + (f" (registered: {ref})" if name else "")]
    if name:
        where.append(f"MLflow   mlflow ui --backend-store-uri {tracking_for_humans()}")
    blocks = [SummaryBlock("out of time", evaluation_lines(metrics)), SummaryBlock("where", where)]
    commands = []
    if scores is not None:
        scores = Path(scores)
        id_col = pq.read_schema(scores).names[0]  # a batch output's first column is the lead id
        scored = pd.read_parquet(scores, columns=[id_col, "score", "stage"])
        bad = scores.with_name(f"{scores.stem}.rejects.csv")
        rejected = len(pd.read_csv(bad)) if bad.exists() else 0
        where.append(f"scores   {scores}: {scores_line(scored, rejected)}")
        top = scored.sort_values(["score", id_col], ascending=[False, True])[id_col].iloc[0]
        frame = scores.with_name(f"{scores.stem}.scoring_frame.parquet")
        commands.append(f"predictive-leads explain --model {ref} --input {frame} --lead-id {top}")
    if name:  # serve takes an MLflow model; a folder written by train is registered first (train --register)
        commands.append(f"predictive-leads serve --model {ref}")
    if data is not None and as_of:
        commands.append(f"predictive-leads monitor --model {ref} --data {data} --as-of {as_of} --out monitoring")
    if commands:
        blocks.append(SummaryBlock("next" if scores is not None else None, commands))
    return RunSummary(blocks)
