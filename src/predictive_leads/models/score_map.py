"""From calibrated probability to what sales sees: a 1–100 score, a grade and absolute points.

All maps are fitted once on a reference population, stored as JSON with the model, and applied row by row,
so a lead's score never depends on the batch it is scored in.

* **Score** = percentile of the lead's calibrated probability in the reference population (the most recent
  held-out leads at training time), 1–100: a score of 87 means the lead ranks above 86 % of those leads.
  Monotone in probability; equal probabilities get equal scores. The probability is always shown next to it.
* **Grade** A–D from score bands (default A ≥ 90, B ≥ 70, C ≥ 40, D below).
* **Points** (:class:`OddsScale`): an absolute scale beside the percentile — scaled log-odds, by default 50
  points at a 10 % chance and 10 more points for each doubling of the odds, the same in any population.
* The **stage** (SQL / MQL / nurture) is the funnel policy's: :mod:`predictive_leads.models.funnel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_GRADES = (("A", 90), ("B", 70), ("C", 40), ("D", 1))
SCORE_COLUMNS = {"probability": "double", "score": "long", "points": "long", "grade": "string", "stage": "string",
                 "heat": "string", "fit_score": "long", "fit_grade": "string", "engagement_score": "long",
                 "engagement_grade": "string"}  # fmt: skip
"""The columns of :meth:`~predictive_leads.models.lead_scorer.LeadScorer.score_frame` and their types."""
SUBSCORES = ("fit", "engagement")


@dataclass(frozen=True)
class ScoreMap:
    """Percentile map: ``cuts`` are the 1st … 99th percentiles of the reference probabilities."""

    cuts: tuple[float, ...]

    @classmethod
    def fit(cls, p_reference: np.ndarray) -> ScoreMap:
        p = np.asarray(p_reference, dtype=float)
        if len(p) == 0:
            raise ValueError("the score map needs a non-empty reference population")
        return cls(tuple(float(x) for x in np.quantile(p, np.arange(1, 100) / 100, method="lower")))

    def score(self, p: np.ndarray) -> np.ndarray:
        return (1 + np.searchsorted(np.asarray(self.cuts), np.asarray(p, dtype=float), side="right")).astype(int)

    def continuous(self, p: np.ndarray) -> np.ndarray:
        """The score without rounding down: equals ``score`` at each cut and is linear in between (1…100)."""
        cuts = np.asarray(self.cuts)
        unique, last = np.unique(cuts[::-1], return_index=True)
        position = len(cuts) - 1 - last  # the last of equal cuts: 1 + number of cuts <= p
        xp = np.concatenate([[0.0], unique, [1.0]])
        fp = np.concatenate([[1.0], position + 2.0, [100.0]])
        return np.interp(np.asarray(p, dtype=float), xp, fp)

    def probability_at(self, score: float) -> float:
        """The lowest probability whose score reaches ``score`` (``score(p) >= score`` ⇔ ``p >= probability_at``)."""
        k = int(np.ceil(score)) - 2  # score = 1 + the number of cuts at or below p
        if k < 0:
            return 0.0
        return float(self.cuts[k]) if k < len(self.cuts) else float("inf")


@dataclass(frozen=True)
class OddsScale:
    """Points on an absolute scale: ``anchor_points`` at ``anchor_probability``, ``points_to_double`` more for each
    doubling of the odds (scaled log-odds, as credit scorecards are drawn)."""

    anchor_points: float = 50.0
    anchor_probability: float = 0.10
    points_to_double: float = 10.0

    def points(self, p: np.ndarray) -> np.ndarray:
        """Whole points of each probability (probabilities of 0 and 1 are held just inside)."""
        p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
        a = self.anchor_probability
        log2_odds_ratio = np.log2(p / (1 - p)) - np.log2(a / (1 - a))
        return np.floor(self.anchor_points + self.points_to_double * log2_odds_ratio + 0.5).astype(int)

    def probability_at(self, points: float) -> float:
        """The lowest probability whose points reach ``points`` (before rounding: half a point lower)."""
        a = self.anchor_probability
        odds = a / (1 - a) * 2 ** ((points - 0.5 - self.anchor_points) / self.points_to_double)
        return float(odds / (1 + odds))


def grade_of(score: np.ndarray, bands=DEFAULT_GRADES) -> np.ndarray:
    """Letter grade of each score: the first band whose minimum the score reaches (bands high to low)."""
    score = np.asarray(score)
    out = np.full(score.shape, bands[-1][0], dtype=object)
    for name, minimum in sorted(bands, key=lambda b: b[1]):
        out[score >= minimum] = name
    return out
