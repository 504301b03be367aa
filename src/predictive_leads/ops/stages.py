"""Funnel stages from score thresholds: IQL → MQL → SQL, and hot / warm / cold.

Teams name the stages of their funnel and agree the hand-off points with sales; the defaults follow the
practice in the field notes (MQL at 50, SQL at 80 points). A lead is in the highest stage whose cut-off its
score reaches (``score >= cut``); disqualified leads are their own stage. :func:`transitions` shows how a cohort
moves between stages from one scoring run to the next — including the leads that converted or left.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from predictive_leads.ops.disqualify import DISQUALIFIED


@dataclass(frozen=True)
class Stages:
    """Stage names with their score cut-offs (highest first) and the name below the lowest cut-off; the same for
    the hot / warm / cold heat labels."""

    cuts: tuple[tuple[str, float], ...] = (("SQL", 80), ("MQL", 50), ("IQL", 20))
    below: str = "lead"
    heat_cuts: tuple[tuple[str, float], ...] = (("hot", 80), ("warm", 50))
    heat_below: str = "cold"

    def __post_init__(self) -> None:
        for name, cuts in (("cuts", self.cuts), ("heat_cuts", self.heat_cuts)):
            values = [c for _, c in cuts]
            if not values or values != sorted(values, reverse=True) or len(set(values)) != len(values):
                raise ValueError(f"Stages.{name} must be strictly decreasing score cut-offs, got {cuts}")
            if not all(1 <= c <= 100 for c in values):
                raise ValueError(f"Stages.{name}: cut-offs are scores between 1 and 100, got {values}")


def _label(score, cuts, below: str, disqualified) -> np.ndarray:
    score = np.asarray(score, dtype=float)
    out = np.full(score.shape, below, dtype=object)
    for name, cut in reversed(cuts):  # lowest first, so higher stages overwrite
        out[score >= cut] = name
    if disqualified is not None:
        out[np.asarray(disqualified, dtype=bool)] = DISQUALIFIED
    return out


def stage_of(score, stages: Stages | None = None, disqualified=None) -> np.ndarray:
    """Funnel stage per score (``score >= cut``); ``disqualified`` rows are ``disqualified``."""
    stages = stages or Stages()
    return _label(score, stages.cuts, stages.below, disqualified)


def heat_of(score, stages: Stages | None = None, disqualified=None) -> np.ndarray:
    """hot / warm / cold per score (same boundary rule)."""
    stages = stages or Stages()
    return _label(score, stages.heat_cuts, stages.heat_below, disqualified)


def transitions(history: pd.DataFrame, stages: Stages | None = None, conversions: pd.DataFrame | None = None,
                id_col: str = "lead_id") -> pd.DataFrame:  # fmt: skip
    """How leads move between stages from one scoring run to the next.

    ``history`` has one row per lead and run: ``id_col``, ``as_of``, ``score`` (and optionally ``tier`` —
    ``disqualified`` rows count as that stage). Returns ``as_of`` (the later run), ``from_stage``,
    ``to_stage`` and ``leads``; a lead scored in one run but not the next is ``converted`` when
    ``conversions`` (``lead_id``, ``converted_at``) has it converting in between, else ``left``. New leads come
    ``from_stage`` ``new``.
    """
    stages = stages or Stages()
    frame = history[[id_col, "as_of", "score"]].copy()
    frame["as_of"] = pd.to_datetime(frame["as_of"], utc=True)
    dq = history["tier"].astype("string").eq(DISQUALIFIED).fillna(False) if "tier" in history else None
    frame["stage"] = stage_of(frame["score"], stages, None if dq is None else dq.to_numpy())
    runs = sorted(frame["as_of"].unique())
    converted = {}
    if conversions is not None:
        converted = dict(zip(conversions["lead_id"], pd.to_datetime(conversions["converted_at"], utc=True),
                             strict=True))  # fmt: skip
    rows = []
    for before, after in itertools.pairwise(runs):
        a = frame[frame["as_of"] == before].set_index(id_col)["stage"].rename("from_stage")
        b = frame[frame["as_of"] == after].set_index(id_col)["stage"].rename("to_stage")
        pairs = pd.concat([a, b], axis=1).astype(object)
        pairs["from_stage"] = pairs["from_stage"].fillna("new")
        gone = pairs.index[pairs["to_stage"].isna()]
        pairs.loc[gone, "to_stage"] = ["converted" if before < converted.get(i, pd.NaT) <= after else "left"
                                       for i in gone]  # fmt: skip
        counted = pairs.groupby(["from_stage", "to_stage"]).size().rename("leads").reset_index()
        rows.append(counted.assign(as_of=after))
    if not rows:
        return pd.DataFrame(columns=["as_of", "from_stage", "to_stage", "leads"])
    out = pd.concat(rows, ignore_index=True)[["as_of", "from_stage", "to_stage", "leads"]]
    return out.sort_values(["as_of", "from_stage", "to_stage"], kind="stable").reset_index(drop=True)
