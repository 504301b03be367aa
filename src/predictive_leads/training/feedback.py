"""Sales feedback in training: leads the reps judged leave the training rows, or count as not converted, as the
user declares by the team's own words.

- ``exclude``: every row of a lead with feedback whose disposition or reason is one of these words leaves the
  training set (a student or a wrong person was never a prospect, at any date).
- ``negative``: the rows of such a lead dated before its feedback count as not converted (a conversion the rep
  disowned, a duplicate); rows after the feedback keep their labels, so a lead that came back and bought still
  counts. A frame without dates (a flat export) relabels all of the lead's rows.

A lead matched by both keeps only the exclusion. Words match exactly, after stripping spaces; a declared word that
no feedback uses is reported, never guessed at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from predictive_leads.data.feedback import feedback_saying, feedback_words

__all__ = ["FeedbackEffect", "apply_feedback"]


@dataclass(frozen=True)
class FeedbackEffect:
    """What the feedback did to a training frame."""

    excluded_leads: int
    excluded_rows: int
    relabelled_leads: int
    relabelled_rows: int  # rows that were converted and now count as not converted
    leads_not_in_data: int
    unused_words: tuple[str, ...]

    def notes(self) -> list[str]:
        """The effect in sentences (no lead ids)."""
        notes = [f"sales feedback: {self.excluded_rows:,} rows of {self.excluded_leads:,} leads excluded; "
                 f"{self.relabelled_rows:,} converted rows of {self.relabelled_leads:,} leads relabelled as not "
                 "converted"]  # fmt: skip
        if self.leads_not_in_data:
            notes.append(f"sales feedback on {self.leads_not_in_data:,} leads not in the training data: not used")
        if self.unused_words:
            notes.append(f"no feedback says {', '.join(self.unused_words)}: nothing done for those words")
        return notes


def apply_feedback(frame: pd.DataFrame, feedback: pd.DataFrame, *, id_col: str, target: str,
                   time_col: str | None = None, exclude: Sequence[str] = (),
                   negative: Sequence[str] = ()) -> tuple[pd.DataFrame, FeedbackEffect]:  # fmt: skip
    """``frame`` with the feedback applied as declared (see the module docstring; ``feedback`` as
    :func:`~predictive_leads.data.feedback.sales_feedback` returns it), and its :class:`FeedbackEffect`. The
    caller's frame is not changed."""
    exclude, negative = feedback_words(exclude), feedback_words(negative)
    both = sorted(set(exclude) & set(negative))
    if both:
        raise ValueError(f"feedback word(s) {', '.join(both)} both excluded and relabelled: declare each once")
    said = set(feedback["disposition"]) | set(feedback["reason"])
    ids = frame[id_col].astype(str)
    dropped = ids.isin(_leads_saying(feedback, exclude).index).to_numpy()
    disowned = _leads_saying(feedback, negative)
    disowned = disowned[~disowned.index.isin(ids[dropped])]
    relabel = ids.isin(disowned.index).to_numpy()
    if time_col is not None and time_col in frame:
        when = pd.to_datetime(frame[time_col], utc=True)
        relabel = relabel & (when < ids.map(disowned)).to_numpy()
    converted = pd.to_numeric(frame[target], errors="coerce").eq(1).to_numpy()
    out = frame.loc[~dropped].copy()
    out.loc[relabel[~dropped], target] = 0
    effect = FeedbackEffect(
        excluded_leads=int(ids[dropped].nunique()),
        excluded_rows=int(dropped.sum()),
        relabelled_leads=int(ids[relabel & converted].nunique()),
        relabelled_rows=int((relabel & converted).sum()),
        leads_not_in_data=int((~feedback["lead_id"].drop_duplicates().isin(ids)).sum()),
        unused_words=tuple(w for w in (*exclude, *negative) if w not in said),
    )
    return out, effect


def _leads_saying(feedback: pd.DataFrame, words: Sequence[str]) -> pd.Series:
    """The latest date each lead got feedback with one of ``words`` (as disposition or reason), by lead id."""
    return feedback[feedback_saying(feedback, words)].groupby("lead_id")["date"].max()
