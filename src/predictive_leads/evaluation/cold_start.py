"""The cold-start ladder: rules first, then a small regularised model, then the full model, as history grows.

Before anything is fitted, :func:`assess` looks at the rows that would really train the model: with a time
column it splits exactly as :func:`predictive_leads.training.workflow._split` does (the latest ``test_fraction`` of the
distinct ``as_of`` values is the test; a training row whose label window of ``horizon_days`` reaches into the
test is left out), then counts positives, negatives and distinct ``as_of`` values in what is left. Without a
time column it counts the training part of a stratified random split. Three levels:

* ``refuse`` — fewer than :data:`MIN_POSITIVES` positive or :data:`MIN_NEGATIVES` negative training rows, no
  training ``as_of`` date left before the test and the label horizon (:data:`MIN_TRAIN_PERIODS`), or a test part
  without both classes. No model is shipped; a rule preset (``predictive-leads rules list``) or a learned
  scorecard is recommended instead.
* ``small`` — enough to fit, but the rarer class has fewer than :data:`SMALL_DATA_POSITIVES` rows: the model is
  fitted with :func:`small_data_params` (additive stumps, a fixed number of trees, a larger calibration slice).
* ``full`` — the default ``LeadScorer`` parameters.

Counts are *rows* of the training part. With monthly snapshots one converted lead is a positive row in each
snapshot within the horizon before it converted (2.1 rows per converted lead on the synthetic world); for a flat
export one row is one lead, so the same floor asks for more leads there, never fewer.

**Evidence** (``benchmarks/learning_curve.py``, section "learning_curve.py" of ``benchmarks/README.md``): a 50k-lead
synthetic world (seed 42), the training part subsampled by lead to 10 … 1 280 positive rows (5 subsamples each),
every fit measured on the same out-of-time test (65 427 rows, 1 019 positives) where the best rule preset,
``fit_and_engagement``, has AUC 0.755:

* below 160 positives every learned method loses to the best preset in every subsample (0 of 20 runs at 10, 20,
  40 and 80; small-data model 0.62–0.73, learned scorecard 0.61–0.71), and the default model does not even fit
  in 7 of 10 runs at 10–20 positives; at 160 the small-data model draws level with the best preset (0.756 ±
  0.015, ahead in 3 of 5) and ahead of the learned scorecard (0.739); from 320 it beats the preset in 5 of 5 —
  hence :data:`MIN_POSITIVES` = 160 (about 77 converted leads: between Dynamics 365's 40 qualified leads and
  Einstein's 120 conversions);
* the small-data parameters beat the defaults in 26 of 30 runs from 20 to 640 positives (by 0.005–0.040 AUC, with
  half to a fifth of the spread); at 1 280 they tie (0.799 vs 0.797, 3 of 5) and on the whole part (1 955) the
  defaults are 0.002 ahead — hence :data:`SMALL_DATA_POSITIVES` = 1 000, between the last clear win and the tie;
* at equal positives (160) fewer training months did not hurt: 1 month 0.779, 2 months 0.780, 6 months 0.739 (the
  world has no drift, and the most recent month is the closest to the test) — hence :data:`MIN_TRAIN_PERIODS` = 1,
  the structural minimum of an out-of-time split.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

MIN_POSITIVES = 160
"""Fewest positive (converted) rows in the training part for any model (see the evidence above)."""

MIN_NEGATIVES = 160
"""Fewest negative rows in the training part. Not measured — the synthetic world converts 1.6 % of snapshots, so
negatives never run short there — but the standard error of an AUC is symmetric in the two class counts (Hanley &
McNeil, 1982), so the floor found for the rarer positives applies to whichever class is rare."""

MIN_TRAIN_PERIODS = 1
"""Fewest distinct ``as_of`` dates in the training part, once the latest ``test_fraction`` of the dates (the test)
and the dates whose label window reaches into it are set aside. The learning curve found no cost in fewer
periods at equal positives, so this is the structural minimum; whether the model holds up as the world drifts
is for ``monitor`` and ``retrain`` to watch."""

SMALL_DATA_POSITIVES = 1000
"""Below this many rows of the rarer class the model uses :func:`small_data_params`."""

DEFAULT_TEST_FRACTION = 0.2

RULES_HINT = "a rule preset (predictive-leads rules list), or a learned scorecard where no preset fits the columns"

LEVELS = ("refuse", "small", "full")


class ColdStartError(ValueError):
    """The training data is too thin for an honest model; the message says why and what to use instead."""


@dataclass
class Readiness:
    """What :func:`assess` found. ``reasons`` say why this level was chosen, in plain words with the numbers.

    ``training_part`` says which rows train (split, dates); ``positives``, ``negatives`` and ``periods`` count
    those rows only (``periods`` is None without a time column); ``test_positives`` / ``test_negatives`` count the
    part the model would be measured on.
    """

    level: str
    reasons: list[str]
    recommendation: str
    positives: int
    negatives: int
    periods: int | None
    test_positives: int = 0
    test_negatives: int = 0
    split: str = "out_of_time"
    training_part: str = ""
    thresholds: dict = field(default_factory=dict)

    @property
    def trainable(self) -> bool:
        return self.level != "refuse"

    def message(self) -> str:
        """One line: the verdict, why, and what to do."""
        head = {"refuse": "not enough data for a model", "small": "little data: a small, regularised model",
                "full": "enough data for the full model"}[self.level]  # fmt: skip
        tail = f" — {self.recommendation}" if self.recommendation else ""
        part = f" (training part: {self.training_part})" if self.training_part else ""
        return f"{head}{part}: {'; '.join(self.reasons)}{tail}"

    def to_dict(self) -> dict:
        """JSON-ready, for the training report's metadata."""
        return asdict(self) | {"message": self.message()}


def small_data_params() -> dict:
    """``LeadScorer`` parameters for level ``small``, chosen on a separate tuning world (seed 7, 20–640 positives,
    3–5 subsamples each) and then measured on the reported one (seed 42).

    * stumps (``num_leaves=2, max_depth=1``): an additive model, like a scorecard, that cannot chase interactions
      a few hundred positives cannot support (depth-2 trees with the same settings scored up to 0.015 lower);
    * ``min_child_samples=20`` (not 200), so a stump can split on a rare strong signal (a demo request) that only
      a few dozen leads show, with stronger L2 (``reg_lambda=10``) instead;
    * a fixed 300 trees at learning rate 0.03, no validation slice and no early stopping: at this level a 10 %
      slice holds 16–100 positives, and stopping on it was erratic (the default model stopped anywhere between
      110 and 1 743 trees at 160 positives); those rows train the trees instead;
    * Platt calibration on the latest 20 % (not 10 %) of rows: isotonic steps on few positives tie many leads
      (−0.01 to −0.05 AUC on the tuning world), and a larger slice pins Platt's slope down better (with 4–5
      positives in a 10 % slice, Platt once came out with a negative slope and reversed the ranking).

    ``min_positives`` is left alone: the ladder is the gate, and the scorer's own guard (50) stays the last resort
    for a run forced below the floor.
    """
    return {
        "num_leaves": 2,
        "max_depth": 1,
        "min_child_samples": 20,
        "reg_lambda": 10.0,
        "learning_rate": 0.03,
        "n_estimators": 300,
        "validation_fraction": 0.0,
        "early_stopping_rounds": 0,
        "calibration": "platt",
        "calibration_fraction": 0.2,
    }


def params_for(readiness: Readiness) -> dict:
    """The ``LeadScorer`` parameters the level calls for (``{}`` = the defaults); refuses with ColdStartError."""
    require_trainable(readiness)
    return small_data_params() if readiness.level == "small" else {}


def require_trainable(readiness: Readiness) -> Readiness:
    """``readiness`` unchanged, or :class:`ColdStartError` with a one-line reason and recommendation."""
    if readiness.level == "refuse":
        raise ColdStartError(readiness.message())
    return readiness


# ------------------------------------------------------------------------------------------ the split


def time_split(as_of, *, horizon_days: int | None = None, test_fraction: float = DEFAULT_TEST_FRACTION):
    """(training mask, test mask, test start or None) of ``train._split``'s out-of-time split, without raising.

    The latest ``max(1, round(n_values * test_fraction))`` distinct values are the test; a training row needs
    ``as_of + horizon_days < test start``. When there are too few values for any training period the training
    mask is all False (``train._split`` raises in that case).
    """
    time = _times(as_of)
    values = np.sort(time.unique())
    n_test = max(1, round(len(values) * test_fraction))
    if len(values) - n_test < 1:
        start = pd.Timestamp(values[0]) if len(values) else None
        return np.zeros(len(time), bool), np.ones(len(time), bool), start
    test_start = pd.Timestamp(values[-n_test])
    test = (time >= test_start).to_numpy()
    gap = pd.Timedelta(days=horizon_days or 0)
    train = ((time + gap < test_start) if horizon_days else (time < test_start)).to_numpy()
    return train, test, test_start


def _times(as_of) -> pd.Series:
    return pd.to_datetime(pd.Series(as_of).reset_index(drop=True), utc=True)


def random_split(y: np.ndarray, *, test_fraction: float = DEFAULT_TEST_FRACTION, seed: int = 0):
    """(training rows, test rows), sorted: ``train._split``'s stratified random split for data without time."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(len(y)), test_size=test_fraction, stratify=y, random_state=seed)
    return np.sort(train), np.sort(test)


def _random_split_counts(y: np.ndarray, test_fraction: float, seed: int) -> tuple[int, int, int, int]:
    """(train positives, train negatives, test positives, test negatives) of :func:`random_split`."""
    try:
        train, test = random_split(y, test_fraction=test_fraction, seed=seed)
    except ValueError:  # a class with fewer than 2 rows: train._split cannot run either; count it all as training
        train, test = np.arange(len(y)), np.arange(0)
    pos_tr, pos_te = int(y[train].sum()), int(y[test].sum())
    return pos_tr, len(train) - pos_tr, pos_te, len(test) - pos_te


# ------------------------------------------------------------------------------------------ the ladder


def assess(
    y,
    *,
    as_of=None,
    horizon_days: int | None = None,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = 0,
    parts: tuple[np.ndarray, np.ndarray] | None = None,
) -> Readiness:
    """Where the data stands on the ladder. ``y``: the 0/1 target of every row (before the split); ``as_of``:
    the rows' time column (None = no time column: a stratified random split with ``seed``); ``horizon_days``: the
    label window (the frame's ``horizon_days``, as ``train_model`` uses it). ``parts``: the (training, test) row
    positions of a split made elsewhere (a segment model's share of its pooled model's split), counted as given."""
    y = np.asarray(y).astype(int)  # as train_model reads the target
    reasons: list[str] = []
    if parts is not None:
        train, test = parts
        split, part = "as_given", "this segment's rows of the pooled model's training part"
        pos, test_pos = int(y[train].sum()), int(y[test].sum())
        neg, test_neg = len(train) - pos, len(test) - test_pos
        periods = None if as_of is None else int(_times(as_of).iloc[train].nunique())
    elif as_of is None:
        split = "random_stratified"
        pos, neg, test_pos, test_neg = _random_split_counts(y, test_fraction, seed)
        periods = None
        part = f"a random {1 - test_fraction:.0%} of the rows (no time column)"
    else:
        if len(as_of) != len(y):
            raise ValueError(f"as_of has {len(as_of)} values but y has {len(y)}")
        split = "out_of_time"
        train, test, test_start = time_split(as_of, horizon_days=horizon_days, test_fraction=test_fraction)
        pos, test_pos = int(y[train].sum()), int(y[test].sum())
        neg, test_neg = int(train.sum()) - pos, int(test.sum()) - test_pos
        times = _times(as_of)
        periods, n_values = int(times[train].nunique()), int(times.nunique())
        gap = f", less the {horizon_days}-day label horizon" if horizon_days else ""
        part = f"as_of before {test_start:%Y-%m-%d}{gap}" if test_start is not None else "no rows"
        if periods:
            first, last = times[train].min(), times[train].max()
            part += f": {periods} date(s), {first:%Y-%m-%d} … {last:%Y-%m-%d}"
        if periods < MIN_TRAIN_PERIODS:
            n_test = int(times[test].nunique())
            cutoff = test_start - pd.Timedelta(days=horizon_days or 0) if test_start is not None else None
            window = f" (its {horizon_days}-day label window must end before the test)" if horizon_days else ""
            reasons.append(
                f"only {periods} distinct as_of date(s) in the training part, of {n_values} in the data: the test "
                f"takes the latest {n_test}"
                + (f" and a training row needs as_of before {cutoff:%Y-%m-%d}{window}" if cutoff is not None else "")
                + f"; the out-of-time split needs at least {MIN_TRAIN_PERIODS} — add earlier snapshots"
            )
    no_dates = periods == 0  # then the counts below are 0 for the same reason: say it once
    if pos < MIN_POSITIVES and not no_dates:
        reasons.append(f"only {pos} converted rows in the training part; a model needs at least {MIN_POSITIVES}")
    if neg < MIN_NEGATIVES and not no_dates:
        reasons.append(f"only {neg} not-converted rows in the training part; a model needs at least {MIN_NEGATIVES}")
    if test_pos == 0 or test_neg == 0:
        missing = "converted" if test_pos == 0 else "not-converted"
        reasons.append(f"the test part ({test_pos + test_neg} rows) has no {missing} rows: the model could not be "
                       "measured")  # fmt: skip
    thresholds = {"min_positives": MIN_POSITIVES, "min_negatives": MIN_NEGATIVES,
                  "min_train_periods": MIN_TRAIN_PERIODS, "small_data_positives": SMALL_DATA_POSITIVES}  # fmt: skip
    common = dict(positives=pos, negatives=neg, periods=periods, test_positives=test_pos, test_negatives=test_neg,
                  split=split, training_part=part, thresholds=thresholds)  # fmt: skip
    if reasons:
        need = f"at least {MIN_POSITIVES} converted and {MIN_NEGATIVES} not-converted rows"
        if periods is not None and periods < MIN_TRAIN_PERIODS:
            need += " from as_of dates before the test period and its label horizon"
        return Readiness("refuse", reasons, f"use {RULES_HINT}, until the training part has {need}", **common)
    rare, rare_name = (pos, "converted") if pos <= neg else (neg, "not-converted")
    if rare < SMALL_DATA_POSITIVES:
        reasons.append(
            f"{rare} {rare_name} rows in the training part (fewer than {SMALL_DATA_POSITIVES}): the model uses the "
            "small-data parameters (additive stumps, fixed 300 trees, stronger regularisation)"
        )
        recommendation = ("check the report's comparison with the rule presets and the learned scorecard and keep the "
                          f"best; the full model comes at {SMALL_DATA_POSITIVES} {rare_name} rows")  # fmt: skip
        return Readiness("small", reasons, recommendation, **common)
    reasons.append(f"{pos} converted and {neg} not-converted rows in the training part: the default parameters")
    return Readiness("full", reasons, "", **common)
