"""A points table learned from data: optimal binning + logistic regression scaled to integer points.

``LearnedScorecard`` fits optbinning's ``Scorecard`` (the field's library for credit-style scorecards) on a
training set and exports it as the same YAML the rule engine runs: one rule per bin, ``col >= a`` and
``col < b`` for numeric bins, ``col in [...]`` for categorical ones, ``col is missing`` for the missing bin.
So a learned table and a hand-written one are interchangeable, and marketing ops can paste it into a CRM.
At scoring time a category the scorecard never saw earns no points for that attribute.

optbinning is an optional extra: ``pip install 'predictive-leads[scorecard]'``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from predictive_leads.models.rules import (
    PointsTable,
    RuleScorer,
    binary_classes,
    check_sample_weight,
    classifier_tags,
    lead_frame,
    record_features,
)

MISSING_OPTBINNING = "LearnedScorecard needs optbinning: pip install 'predictive-leads[scorecard]'"


class LearnedScorecard(BaseEstimator):
    """Fit a scorecard on ``X, y`` and score with its exported points table (``table_``).

    For scikit-learn: ``decision_function`` is the points, ``predict_proba`` the scorecard's logistic regression
    (a probability, though not calibrated out of time), ``predict`` the positive class (``classes_[1]``, 1 for a
    0/1 target) where it is at least 0.5. ``y`` is binary: 0/1, booleans or any two labels (the larger is the
    conversion, as in scikit-learn). Like :class:`~predictive_leads.models.rules.RuleScorer` it scores columns
    by name; an array is named ``x0, x1, …`` (or like the frame it was fitted on)."""

    def __init__(
        self,
        *,
        max_attributes: int = 30,
        min_iv: float = 0.02,
        max_bins: int = 6,
        points_range: tuple[int, int] = (0, 100),
        name: str = "learned_scorecard",
    ):
        self.max_attributes = max_attributes
        self.min_iv = min_iv
        self.max_bins = max_bins
        self.points_range = points_range
        self.name = name

    def __sklearn_tags__(self):
        tags = classifier_tags(super().__sklearn_tags__())
        tags.target_tags.required = True
        tags.input_tags.allow_nan = True  # missing values get their own bin
        tags.input_tags.categorical = tags.input_tags.string = True  # text and category columns are binned too
        return tags

    def fit(self, X, y, sample_weight=None) -> LearnedScorecard:
        try:
            from optbinning import BinningProcess, Scorecard
        except ModuleNotFoundError as exc:
            if exc.name != "optbinning":
                raise
            raise ImportError(MISSING_OPTBINNING) from None
        from sklearn.linear_model import LogisticRegression

        if y is None:
            raise ValueError("LearnedScorecard requires y to be passed, but the target y is None")
        frame = lead_frame(X, self, fitting=True)
        self.classes_, y = binary_classes(y, len(frame), who="a scorecard", both=True)
        sample_weight = check_sample_weight(sample_weight, len(frame))
        if sample_weight is not None and len(np.unique(y[sample_weight > 0])) < 2:
            raise ValueError("a scorecard needs both converted and not-converted leads in the training data (only "
                             "one class has a positive sample_weight)")  # fmt: skip
        data = _prepare(frame)
        categorical = [c for c in data.columns if data[c].dtype == object]
        process = BinningProcess(
            variable_names=list(data.columns),
            categorical_variables=categorical,
            max_n_bins=self.max_bins,
            selection_criteria={"iv": {"min": self.min_iv, "strategy": "highest", "top": self.max_attributes}},
        )
        card = Scorecard(
            binning_process=process,
            estimator=LogisticRegression(max_iter=1000),
            scaling_method="min_max",
            scaling_method_params={"min": self.points_range[0], "max": self.points_range[1]},
            reverse_scorecard=True,  # more points = more likely to convert (credit scorecards run the other way)
        )
        try:
            card.fit(data, y, sample_weight=sample_weight)
        except ValueError:  # no attribute selected: the logistic regression gets 0 columns
            if not getattr(getattr(card, "binning_process_", None), "_is_fitted", False) or _binned_any(card):
                raise  # an error of the binning itself, or of the regression on binned attributes
            raise ValueError(self._nothing_binned(data.shape[1])) from None
        if not _binned_any(card):
            raise ValueError(self._nothing_binned(data.shape[1]))
        self.scorecard_ = card
        self.table_ = PointsTable.from_dict(_export(card, self.name, self.points_range, categorical))
        self.rule_scorer_ = RuleScorer(table=self.table_).fit(frame)
        record_features(self, X, frame)
        return self

    def _nothing_binned(self, n_attributes: int) -> str:
        return (f"no attribute of {n_attributes} splits into bins with information value >= min_iv={self.min_iv}: "
                "optbinning needs both classes in every bin, so too few rows (tens) or attributes that separate "
                "converted from not-converted leads perfectly leave nothing to score")  # fmt: skip

    def predict_score(self, X) -> np.ndarray:
        check_is_fitted(self, "rule_scorer_")
        return self.rule_scorer_.predict_score(lead_frame(X, self, fitting=False))

    def decision_function(self, X) -> np.ndarray:
        """The points (higher: more likely to convert)."""
        return self.predict_score(X).astype(float)

    def predict_proba(self, X) -> np.ndarray:
        """The scorecard's logistic regression on the binned attributes: ``[[1 - p, p]]``."""
        check_is_fitted(self, "scorecard_")
        frame = lead_frame(X, self, fitting=False)
        return self.scorecard_.predict_proba(_prepare(frame[self.scorecard_.binning_process_.variable_names]))

    def predict(self, X) -> np.ndarray:
        """``classes_[1]`` where the logistic regression says at least 0.5, else ``classes_[0]``."""
        converts = self.predict_proba(X)[:, 1] >= 0.5
        return self.classes_[converts.astype(int)]

    def fired_rules(self, X) -> pd.DataFrame:
        """Per lead: score, tier and the bins (rules) that earned points."""
        check_is_fitted(self, "rule_scorer_")
        return self.rule_scorer_.fired_rules(lead_frame(X, self, fitting=False))


def _binned_any(card) -> bool:
    """Some attribute the scorecard selected has bins (a single bin scores everyone the same)."""
    summary = card.binning_process_.summary()
    return bool(((summary["selected"]) & (summary["n_bins"] > 1) & (summary["iv"] > 0)).any())


def _prepare(X: pd.DataFrame) -> pd.DataFrame:
    """Numbers as float, flags as 0/1, categories as plain strings (optbinning's inputs)."""
    out = {}
    for col in X.columns:
        s = X[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.astype(object).where(s.notna(), np.nan)
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype(float)
        elif pd.api.types.is_numeric_dtype(s.dtype):
            out[col] = pd.to_numeric(s, errors="coerce").astype(float)
    return pd.DataFrame(out, index=X.index)


def _export(card, name: str, points_range, categorical: list[str]) -> dict:
    table = card.table(style="detailed")
    rules = []
    for key, rows in table.groupby("Variable", sort=False):
        variable = str(key)  # optbinning may hand numpy strings, which YAML cannot represent
        for _, row in rows.iterrows():
            when = _bin_conditions(variable, row["Bin"], variable in categorical)
            if when is None or row["Count"] == 0:
                continue
            points = round(float(row["Points"]))
            label = _bin_label(row["Bin"])
            rules.append(
                {
                    "id": f"{variable}__{len(rules)}",
                    "group": variable,
                    "points": points,
                    "when": when,
                    "reason": f"{variable} {label} (event rate {row['Event rate']:.1%} in training)",
                }
            )
    lo, hi = points_range
    return {
        "name": name,
        "description": "Learned from data: optimal binning + logistic regression, scaled to integer points.",
        "source": "predictive_leads.models.learned_scorecard.LearnedScorecard (optbinning Scorecard)",
        "score_range": [lo, hi],
        "tiers": [],
        "rules": rules,
    }


def _bin_label(bin_) -> str:
    if isinstance(bin_, str):
        return bin_
    if hasattr(bin_, "__iter__"):  # a categorical bin: a list, an array, or (pandas 3) an ArrowStringArray
        return "in " + ", ".join(map(str, bin_))
    return str(bin_)


def _bin_conditions(variable: str, bin_, is_categorical: bool) -> list[dict] | None:
    if isinstance(bin_, str) and bin_ == "Missing":
        return [{"column": variable, "op": "is missing"}]
    if isinstance(bin_, str) and bin_ == "Special":
        return None
    if is_categorical:
        return [{"column": variable, "op": "in", "value": [str(v) for v in bin_]}]
    lo, hi = _parse_interval(str(bin_))
    conds = []
    if np.isfinite(lo):
        conds.append({"column": variable, "op": ">=", "value": lo})
    if np.isfinite(hi):
        conds.append({"column": variable, "op": "<", "value": hi})
    return conds or [{"column": variable, "op": "is present"}]


def _parse_interval(text: str) -> tuple[float, float]:
    """optbinning's '[a, b)' / '(-inf, b)' / '[a, inf)' labels → (a, b)."""
    lo, hi = text.strip("[]()").split(",")
    return float(lo), float(hi)
