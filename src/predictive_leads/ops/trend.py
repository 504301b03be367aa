"""Between scoring runs: each lead's score change and momentum, and how leads move between funnel stages.

* :func:`score_trend` — with the previous run's scores, per lead: ``previous_score``, ``score_change`` (this run
  minus the previous; missing for a new lead), ``previous_stage`` (``new`` when the previous run did not score the
  lead) and ``momentum``: ``heating`` (score up by ``step`` or more, default 10), ``cooling`` (down by ``step`` or
  more), ``steady`` or ``new``. A rep sorts by it to see which leads are warming up since the last run.
* :func:`stage_moves` — one run against the previous: leads per (from stage, to stage); leads the previous run
  scored and this one did not go ``left``.
* :func:`transitions` — the same over a history of runs, with the leads that converted in between.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pandas as pd

NEW, LEFT, CONVERTED = "new", "left", "converted"
MOMENTUM = ("heating", "cooling", "steady", NEW)
TREND_COLUMNS = {"previous_score": "long", "score_change": "long", "previous_stage": "string", "momentum": "string"}
"""The columns :func:`score_trend` adds, and their types."""
DEFAULT_STEP = 10


def score_trend(scores: pd.Series, previous: pd.DataFrame, ids, step: int = DEFAULT_STEP) -> pd.DataFrame:
    """The trend columns (:data:`TREND_COLUMNS`) of leads ``ids`` scored ``scores`` in this run, against
    ``previous`` (indexed by lead id as text: ``score``, ``stage``). Index of ``scores`` kept."""
    if step < 1:
        raise ValueError(f"the momentum step must be at least 1 point, got {step}")
    before = previous.reindex(pd.Index(np.asarray(ids, dtype=object)).astype(str))
    prior = before["score"].to_numpy(dtype=float, na_value=np.nan)
    change = np.asarray(scores, dtype=float) - prior
    known = ~np.isnan(prior)
    momentum = np.select([~known, change >= step, change <= -step], [NEW, "heating", "cooling"], "steady")
    return pd.DataFrame({
        "previous_score": pd.array(prior, dtype="Int64"), "score_change": pd.array(change, dtype="Int64"),
        "previous_stage": pd.array(np.where(known, before["stage"].to_numpy(dtype=object), NEW), dtype="string"),
        "momentum": pd.array(momentum, dtype="string"),
    }, index=scores.index)  # fmt: skip


def stage_moves(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Leads per ``from_stage`` → ``to_stage`` between the ``previous`` run and this one (both indexed by lead id
    as text, with ``stage``): new leads come from ``new``, leads no longer scored go to ``left``."""
    moves = Counter(zip(previous["stage"].reindex(current.index).fillna(NEW), current["stage"], strict=True))
    gone = previous.index.difference(current.index)
    moves.update((stage, LEFT) for stage in previous.loc[gone, "stage"])
    return moves_frame(moves)


def moves_frame(moves: Counter) -> pd.DataFrame:
    """A Counter of (from stage, to stage) → leads as a sorted frame (``from_stage``, ``to_stage``, ``leads``)."""
    rows = [(a, b, n) for (a, b), n in sorted(moves.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1])))]
    return pd.DataFrame(rows, columns=["from_stage", "to_stage", "leads"]).astype({"leads": "int64"})


def transitions(history: pd.DataFrame, conversions: pd.DataFrame | None = None,
                id_col: str = "lead_id") -> pd.DataFrame:  # fmt: skip
    """How leads move between stages from one scoring run to the next.

    ``history`` has one row per lead and run: ``id_col``, ``as_of`` and ``stage`` (batch outputs of several runs,
    stacked). Returns ``as_of`` (the later run), ``from_stage``, ``to_stage`` and ``leads``; a lead scored in one
    run but not the next is ``converted`` when ``conversions`` (``lead_id``, ``converted_at``) has it converting in
    between, else ``left``. New leads come ``from_stage`` ``new``.
    """
    frame = history[[id_col, "as_of", "stage"]].copy()
    frame["as_of"] = pd.to_datetime(frame["as_of"], utc=True)
    frame[id_col] = frame[id_col].astype(str)
    converted = {}
    if conversions is not None:
        converted = dict(zip(conversions["lead_id"].astype(str), pd.to_datetime(conversions["converted_at"], utc=True),
                             strict=True))  # fmt: skip
    rows = []
    for before, after in itertools.pairwise(sorted(frame["as_of"].unique())):
        a = frame[frame["as_of"] == before].set_index(id_col)[["stage"]]
        b = frame[frame["as_of"] == after].set_index(id_col)[["stage"]]
        moves = Counter(zip(a["stage"].reindex(b.index).fillna(NEW), b["stage"], strict=True))
        for lead, stage in a["stage"].drop(b.index, errors="ignore").items():
            moves[(stage, CONVERTED if before < converted.get(lead, pd.NaT) <= after else LEFT)] += 1
        rows.append(moves_frame(moves).assign(as_of=after))
    if not rows:
        return pd.DataFrame(columns=["as_of", "from_stage", "to_stage", "leads"])
    return pd.concat(rows, ignore_index=True)[["as_of", "from_stage", "to_stage", "leads"]]
