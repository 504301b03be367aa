"""Nurture and recycle: what happens to a lead that was sales-ready and went cold, and when it comes back.

Between two scoring runs (the previous run's stage per lead), after the funnel policy and disqualification:

- a lead that was MQL or SQL and now falls to nurture is **recycled**: a stage of its own on the nurture track,
  with the reason (``went cold after MQL (score 72 → 41)``), so marketing nurtures it and sales sees why it left;
- a recycled lead that is still below MQL stays recycled (``still cold since it was recycled``);
- a recycled lead whose score reaches MQL or SQL again takes that stage with ``re-engaged after recycle``: it is
  re-scored on every run, like every other lead;
- disqualified leads stay disqualified, and every other lead keeps its funnel stage with no reason.

The rule reads only the two runs' stages and scores, so a run without a previous one (``score`` without
``--previous``) has no recycled stage and no ``stage_reason`` column. Heat: recycled leads keep nurture's ``cold``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from predictive_leads.models.funnel import MQL, NURTURE, SQL

RECYCLED = "recycled"
LIFECYCLE_COLUMNS = {"stage_reason": "string"}
"""The column :func:`recycle` adds, and its type."""

__all__ = ["LIFECYCLE_COLUMNS", "RECYCLED", "recycle"]


def recycle(stage: pd.Series, score: pd.Series, previous_stage: pd.Series, previous_score: pd.Series) -> pd.DataFrame:
    """The ``stage`` and ``stage_reason`` of each lead by the rule of the module docstring, from this run's
    ``stage`` and ``score`` and the previous run's (``previous_stage`` ``new`` or missing for a lead it did not
    score). Aligned with ``stage``; the inputs are not changed."""
    now = stage.astype(object).to_numpy()
    before = previous_stage.astype(object).fillna("").to_numpy()
    was, current = _points(previous_score), _points(score)
    ready, cold = np.isin(now, (SQL, MQL)), now == NURTURE
    went_cold = cold & np.isin(before, (SQL, MQL))
    still_cold = cold & (before == RECYCLED)
    back = ready & (before == RECYCLED)
    reason = np.full(len(now), "", dtype=object)
    reason[went_cold] = [f"went cold after {b} (score {w} → {c})" for b, w, c in
                         zip(before[went_cold], was[went_cold], current[went_cold], strict=True)]  # fmt: skip
    reason[still_cold] = "still cold since it was recycled"
    reason[back] = [f"re-engaged after recycle (score {w} → {c})" for w, c in
                    zip(was[back], current[back], strict=True)]  # fmt: skip
    out = np.where(went_cold | still_cold, RECYCLED, now)
    return pd.DataFrame({"stage": out, "stage_reason": pd.array(reason, dtype="string")}, index=stage.index)


def _points(scores: pd.Series) -> np.ndarray:
    """Scores as whole numbers for a sentence (None where missing)."""
    return np.array([None if pd.isna(v) else int(v) for v in scores], dtype=object)
