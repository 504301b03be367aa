"""Out-of-time cross-validation for lead snapshots, for scikit-learn's ``cross_val_score`` and ``GridSearchCV``.

Each fold tests one later window of snapshot dates and trains only on rows whose label horizon ended before that
window began (a gap of ``horizon_days``), the rule the training workflow's own split follows::

    cross_val_score(RuleScorer(table="fit_and_engagement"), X, y, scoring="roc_auc",
                    cv=OutOfTimeSplit(time_column="as_of", n_splits=3, horizon_days=90))
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd


class OutOfTimeSplit:
    """``n_splits`` folds over the distinct values of ``X[time_column]``: they are cut into ``n_splits + 1``
    consecutive windows; fold *k* tests window *k + 1* and trains on every row at least ``horizon_days`` before
    it starts (an expanding window). A fold with no training rows is a one-line error."""

    def __init__(self, *, time_column: str = "as_of", n_splits: int = 3, horizon_days: int = 0):
        self.time_column = time_column
        self.n_splits = n_splits
        self.horizon_days = horizon_days

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits

    def split(self, X, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(training rows, test rows) per fold, as positions; rows without a time are in neither."""
        if self.n_splits < 1:
            raise ValueError(f"n_splits must be at least 1, got {self.n_splits}")
        if not isinstance(X, pd.DataFrame) or self.time_column not in X.columns:
            raise ValueError(f"OutOfTimeSplit needs a DataFrame with the time column {self.time_column!r}")
        time = pd.to_datetime(X[self.time_column], utc=True).reset_index(drop=True)
        values = np.sort(time.dropna().unique())
        if len(values) < self.n_splits + 1:
            raise ValueError(f"{self.time_column} has {len(values)} distinct value(s): too few for {self.n_splits} "
                             f"out-of-time folds (needs {self.n_splits + 1})")  # fmt: skip
        gap = pd.Timedelta(days=self.horizon_days)
        for window in np.array_split(values, self.n_splits + 1)[1:]:
            start, end = pd.Timestamp(window[0]), pd.Timestamp(window[-1])
            test = ((time >= start) & (time <= end)).to_numpy()
            train = (time + gap < start).to_numpy()
            if not train.any():
                raise ValueError(f"no training rows end {self.horizon_days} days before {start.date()}: use fewer "
                                 "folds or a shorter horizon")  # fmt: skip
            yield np.flatnonzero(train), np.flatnonzero(test)
