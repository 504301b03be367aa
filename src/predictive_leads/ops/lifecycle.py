"""Nurture and recycle: what happens to a lead that was sales-ready and went cold, and when it comes back.

Between two scoring runs (the previous run's stage per lead), after the funnel policy and disqualification:

- a lead that was MQL or SQL and now falls to nurture is **recycled**: a stage of its own on the nurture track,
  with the reason (``went cold after MQL (score 72 → 41)``), so marketing nurtures it and sales sees why it left;
- a recycled lead that is still below MQL stays recycled (``still cold since it was recycled``);
- a recycled lead whose score reaches MQL or SQL again takes that stage with ``re-engaged after recycle``: it is
  re-scored on every run, like every other lead;
- a lead a rep turned back with one of the words declared to recycle (:class:`RecycleOn`, e.g. ``no budget``,
  ``timing``) within the last ``days`` is recycled whatever its score, with the rep's words and date as the reason
  (``rep feedback on 2026-02-10: rejected: no budget``); after ``days`` the rules above apply again;
- disqualified leads stay disqualified, and every other lead keeps its funnel stage with no reason.

The score rules read the two runs' stages and scores, the rep rule the sales feedback: a run with neither
(``score`` without ``--previous`` or ``--feedback``) has no recycled stage and no ``stage_reason`` column. Heat:
recycled leads are ``cold``, the nurture track's heat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from predictive_leads.data.feedback import feedback_labels, feedback_saying
from predictive_leads.models.funnel import MQL, NURTURE, SQL
from predictive_leads.ops.disqualify import DISQUALIFIED

RECYCLED = "recycled"
LIFECYCLE_COLUMNS = {"stage_reason": "string"}
"""The column :func:`recycle` adds, and its type."""

__all__ = ["LIFECYCLE_COLUMNS", "RECYCLED", "RecycleOn", "recycle"]


@dataclass(frozen=True)
class RecycleOn:
    """Sales feedback (as :func:`~predictive_leads.data.feedback.sales_feedback` returns it) whose disposition or
    reason is one of ``words`` recycles a lead for ``days`` after it was given."""

    feedback: pd.DataFrame
    words: tuple[str, ...]
    days: int = 90

    def __post_init__(self) -> None:
        if not self.words:
            raise ValueError("name the feedback words that recycle a lead (e.g. --recycle-on 'no budget,timing')")
        if self.days < 1:
            raise ValueError(f"a lead stays recycled at least a day after the feedback, got {self.days}")

    def told(self, lead_ids: pd.Series, at: pd.Timestamp) -> pd.Series:
        """Per lead (aligned with ``lead_ids``), the latest such feedback in (``at`` − ``days``, ``at``] as a
        reason (``rep feedback on 2026-02-10: rejected: no budget``); empty for the others."""
        recent = (self.feedback["date"] > at - pd.Timedelta(days=self.days)) & (self.feedback["date"] <= at)
        said = feedback_saying(self.feedback, self.words) & recent.to_numpy()
        hits = self.feedback[said].sort_values(["date", "disposition", "reason"])
        latest = hits.assign(label=feedback_labels(hits)).drop_duplicates("lead_id", keep="last").set_index("lead_id")
        text = "rep feedback on " + latest["date"].dt.strftime("%Y-%m-%d") + ": " + latest["label"]
        return pd.Series(text.reindex(lead_ids.astype(str).to_numpy()).fillna("").to_numpy(), index=lead_ids.index)


def recycle(stage: pd.Series, score: pd.Series, previous_stage: pd.Series, previous_score: pd.Series,
            told: pd.Series | None = None) -> pd.DataFrame:  # fmt: skip
    """The ``stage`` and ``stage_reason`` of each lead by the rule of the module docstring, from this run's
    ``stage`` and ``score``, the previous run's (``previous_stage`` ``new`` or missing for a lead it did not
    score) and ``told`` (:meth:`RecycleOn.told`, aligned). Aligned with ``stage``; the inputs are not changed."""
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
    if told is not None:
        turned_back = (told.to_numpy(dtype=object) != "") & (now != DISQUALIFIED)
        out[turned_back], reason[turned_back] = RECYCLED, told.to_numpy(dtype=object)[turned_back]
    return pd.DataFrame({"stage": out, "stage_reason": pd.array(reason, dtype="string")}, index=stage.index)


def _points(scores: pd.Series) -> np.ndarray:
    """Scores as whole numbers for a sentence (None where missing)."""
    return np.array([None if pd.isna(v) else int(v) for v in scores], dtype=object)
