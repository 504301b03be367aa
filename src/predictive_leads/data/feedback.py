"""Sales feedback: what reps said about the leads they were sent (a disposition and a reason, in their own words).

One row per piece of feedback: ``lead_id``, ``disposition`` (e.g. rejected, accepted, recycled), ``reason`` (e.g.
no budget, student, wrong person) and ``date`` (when it was given). The vocabulary is the team's own: nothing here
knows or maps a value, except that a word reading as an email, a phone number or a person's name is withheld (the
words reach reports). :func:`sales_feedback` checks a table read as it is; training
(:func:`predictive_leads.training.feedback.apply_feedback`), monitoring and the segment report read the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from predictive_leads.data.personal_data import personal_kind, personal_value

FEEDBACK_COLUMNS = ("lead_id", "disposition", "reason", "date")
NO_REASON = "(no reason)"
WITHHELD = "(withheld: personal data)"

__all__ = [
    "FEEDBACK_COLUMNS",
    "NO_REASON",
    "feedback_labels",
    "feedback_saying",
    "feedback_within",
    "feedback_words",
    "sales_feedback",
]


def sales_feedback(raw: pd.DataFrame, source: str = "feedback") -> pd.DataFrame:
    """The feedback table with ids and words as stripped text (a blank reason: :data:`NO_REASON`) and ``date`` in
    UTC; a ``ValueError`` naming ``source``, the column and up to five lead ids for anything it cannot read."""
    missing = [c for c in FEEDBACK_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"{source}: needs column(s) {', '.join(missing)}; found {', '.join(map(str, raw.columns))}")
    ids = raw["lead_id"].astype("string").str.strip()
    if ids.isna().any() or ids.eq("").any():
        raise ValueError(f"{source}: lead_id is blank in {int((ids.isna() | ids.eq('')).sum())} rows")
    disposition = raw["disposition"].astype("string").str.strip()
    blank = disposition.isna() | disposition.eq("")
    if blank.any():
        raise ValueError(f"{source}: disposition is blank for lead(s) {_some(ids[blank])}")
    date = pd.to_datetime(raw["date"], utc=True, errors="coerce", format="mixed")
    if date.isna().any():
        raise ValueError(f"{source}: date is missing or not a date for lead(s) {_some(ids[date.isna()])}")
    reason = raw["reason"].astype("string").str.strip()
    reason = reason.where(reason.notna() & reason.ne(""), NO_REASON)
    words = {"disposition": _without_personal(disposition, "disposition", source),
             "reason": _without_personal(reason, "reason", source)}  # fmt: skip
    return pd.DataFrame({"lead_id": ids.to_numpy(str), **words, "date": date.to_numpy()})


def _without_personal(words: pd.Series, column: str, source: str) -> np.ndarray:
    """The words as text, each one that reads as an email, a phone number or a person's name as :data:`WITHHELD`
    (they reach reports); a column of free text is refused, since personal data can hide in it."""
    if personal_kind(words) == "free text":
        raise ValueError(f"{source}: {column} reads as free text, where personal data can hide: export the "
                         "picklist's values instead")  # fmt: skip
    personal = {w for w in words.unique() if personal_value(w) is not None}
    return words.where(~words.isin(personal), WITHHELD).to_numpy(str)


def feedback_words(words: Sequence[str]) -> tuple[str, ...]:
    """Declared feedback words (``--feedback-exclude``, ``--recycle-on`` …) stripped, blanks and repeats left out,
    in order: the form they are matched in."""
    return tuple(dict.fromkeys(w.strip() for w in words if w.strip()))


def feedback_saying(feedback: pd.DataFrame, words: Sequence[str]) -> np.ndarray:
    """Which feedback rows say one of ``words``, as their disposition or their reason."""
    return (feedback["disposition"].isin(words) | feedback["reason"].isin(words)).to_numpy()


def feedback_labels(feedback: pd.DataFrame) -> pd.Series:
    """Each feedback row's ``disposition: reason``, the words a table or page shows it by."""
    return feedback["disposition"] + ": " + feedback["reason"]


def feedback_within(lead_ids: pd.Series, starts: pd.Series, ends: pd.Series, feedback: pd.DataFrame) -> pd.DataFrame:
    """The feedback each row got in its window (``starts``, ``ends``]: one row per (row position, feedback label),
    however often the lead heard it, as ``row`` and ``label``. ``lead_ids``, ``starts`` and ``ends`` align."""
    rows = pd.DataFrame({"lead_id": lead_ids.astype(str).to_numpy(), "row": range(len(lead_ids)),
                         "start": pd.to_datetime(starts, utc=True).to_numpy(),
                         "end": pd.to_datetime(ends, utc=True).to_numpy()})  # fmt: skip
    said = feedback.assign(label=feedback_labels(feedback))[["lead_id", "date", "label"]]
    pairs = rows.merge(said, on="lead_id")
    inside = (pairs["date"] > pairs["start"]) & (pairs["date"] <= pairs["end"])
    return pairs.loc[inside.to_numpy(), ["row", "label"]].drop_duplicates().reset_index(drop=True)


def _some(ids: pd.Series) -> str:
    unique = list(dict.fromkeys(ids.astype(str)))
    return ", ".join(unique[:5]) + (f" and {len(unique) - 5} more" if len(unique) > 5 else "")
