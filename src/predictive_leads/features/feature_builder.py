"""``FeatureBuilder``: the point-in-time feature pipeline as a scikit-learn transformer, for ``Pipeline``s.

``X`` holds the rows to featurise: a ``lead_id`` column and, per row, the ``as_of`` to build it at (a spine, such
as a training set's rows) — or the ``as_of`` parameter for every row (e.g. ``X`` is the leads frame). The leads
and events tables are parameters, held by reference like lookup tables. The features are those of
:func:`~predictive_leads.features.pipeline.build_training_set` for the same rows, from the same code: only events
before each row's ``as_of`` reach it::

    pipe = Pipeline([("features", FeatureBuilder(leads=leads, events=events, passthrough=("as_of",))),
                     ("model", LeadScorer(time_column="as_of"))])
    cross_val_score(pipe, train[["lead_id", "as_of"]], train["converted"], scoring="roc_auc",
                    cv=OutOfTimeSplit(time_column="as_of", n_splits=3, horizon_days=90))
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from predictive_leads.features.config import FeatureConfig
from predictive_leads.features.guard import ATTRS_KEY
from predictive_leads.features.pipeline import CONTEXT_COLUMNS, feature_columns, features_for_spine
from predictive_leads.features.spine import to_utc

PASSTHROUGH = tuple(c for c in CONTEXT_COLUMNS if c != "converted")  # context columns a caller may keep


class FeatureBuilder(TransformerMixin, BaseEstimator):
    """Point-in-time features for the rows of ``X`` (one output row per row of ``X``, in its order and index).

    Parameters
    ----------
    leads, events : the lead and event tables (as :func:`~predictive_leads.features.pipeline.build_training_set`
        takes them; ``events`` may be a Parquet path). ``clone`` deep-copies parameters, so each cross-validation
        fold copies frames: a Parquet path keeps that cheap for a large event log.
    as_of : one date for every row; ``None``: each row's own, from ``X["as_of"]``. Never both.
    config : the :class:`FeatureConfig` (default: ``FeatureConfig()``). A vocabulary learned from the data
        (``event_types=None``) is learned in ``fit``, from the events before the latest as_of of its rows.
    passthrough : context columns kept ahead of the features (``lead_id``, ``as_of``, ``last_event_at``,
        ``email_domain``, ``account_id``), e.g. ``("as_of",)`` for ``LeadScorer(time_column="as_of")``.
    engine : ``duckdb`` or ``pyspark``.
    now : the wall-clock time events after which are skipped as from the future (default: the clock).

    Rows are not filtered: a lead not yet created or already converted at its as_of is the caller's row to keep
    or drop (:func:`~predictive_leads.features.spine.build_spine` decides which rows a training set has).
    """

    def __init__(
        self,
        *,
        leads: pd.DataFrame | None = None,
        events=None,
        as_of=None,
        config: FeatureConfig | None = None,
        passthrough: tuple[str, ...] = (),
        engine: str = "duckdb",
        now=None,
    ):
        self.leads = leads
        self.events = events
        self.as_of = as_of
        self.config = config
        self.passthrough = passthrough
        self.engine = engine
        self.now = now

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # X: lead ids and dates, not a numeric matrix
        tags.input_tags.categorical = True
        return tags

    def fit(self, X: pd.DataFrame, y=None) -> FeatureBuilder:
        """Learn the resolved feature config (the event vocabulary) and the output columns from ``X``'s rows."""
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: pd.DataFrame, y=None, **fit_params) -> pd.DataFrame:
        """:meth:`fit` and the features of ``X``'s rows, built once."""
        unknown = [c for c in self.passthrough if c not in PASSTHROUGH]
        if unknown:
            raise ValueError(f"passthrough names {', '.join(unknown)}; choose from {', '.join(PASSTHROUGH)}")
        spine = self._spine(X)
        latest = spine["as_of"].max() - pd.Timedelta(microseconds=1)  # the vocabulary sees no later event
        frame, config = self._build(spine, self.config or FeatureConfig(), min(self._now(), latest))
        self.config_ = config
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
        self.feature_names_out_ = np.asarray([*self.passthrough, *feature_columns(frame)], dtype=object)
        return self._output(frame, X)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The features of ``X``'s rows, with the config and columns learned in :meth:`fit`."""
        check_is_fitted(self, "config_")
        frame, _ = self._build(self._spine(X), self.config_, self._now())
        missing = [c for c in self.feature_names_out_ if c not in frame]
        if missing:
            raise ValueError(f"the features lack column(s) seen in fit: {', '.join(missing[:10])}")
        return self._output(frame, X)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The output columns: ``passthrough`` then the feature columns."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def _spine(self, X: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame) or "lead_id" not in X:
            raise ValueError("FeatureBuilder needs X as a DataFrame with a lead_id column (one row per lead/as_of)")
        if self.leads is None or self.events is None:
            raise ValueError("FeatureBuilder needs the leads and events tables (parameters leads=, events=)")
        if self.as_of is not None and "as_of" in X:
            raise ValueError("as_of is both a parameter and a column of X: give one")
        if self.as_of is None and "as_of" not in X:
            raise ValueError("X has no as_of column: give each row's as_of, or the as_of parameter for all rows")
        as_of = pd.to_datetime(X["as_of"], utc=True) if self.as_of is None else to_utc(self.as_of)
        spine = pd.DataFrame({"lead_id": X["lead_id"].astype(str).to_numpy(), "as_of": as_of})
        if spine["as_of"].isna().any():
            raise ValueError(f"as_of is missing for {int(spine['as_of'].isna().sum())} row(s) of X")
        return spine.reset_index(drop=True)

    def _now(self) -> pd.Timestamp:
        return to_utc(self.now) if self.now is not None else pd.Timestamp.now(tz="UTC")

    def _build(self, spine: pd.DataFrame, config: FeatureConfig, now) -> tuple[pd.DataFrame, FeatureConfig]:
        return features_for_spine(self.leads, self.events, spine, config=config, engine=self.engine, now=now)

    def _output(self, frame: pd.DataFrame, X: pd.DataFrame) -> pd.DataFrame:
        out = frame[list(self.feature_names_out_)].set_axis(X.index)
        out.attrs = {ATTRS_KEY: {"feature_config": self.config_.to_dict()}}  # the vocabulary, for LeadScorer
        return out
