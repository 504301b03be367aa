"""``LeadScorer``: LightGBM → calibrated probability → 1–100 score, points, grade, funnel stage, and the fit and
engagement sub-scores.

Fitting splits the training rows in time when a time column exists (oldest rows train the trees, the next
slice early-stops them, the most recent slice calibrates and sets the score map, the funnel's cut-offs and the
sub-score maps; with ``horizon_days`` the oldest rows end a label horizon before the other two begin) and
randomly (stratified) otherwise — and records which it did. No class weights or ``is_unbalance``: they distort
probabilities, and calibration would have to undo them. Everything learned is stored pickle-free: LightGBM's
own model text plus JSON.

The **fit** and **engagement** sub-scores split each lead's attributions (exact TreeSHAP, log-odds) between who
the lead is and what it did: the features built from events (the feature pipeline records them) plus any declared
in ``engagement_features`` are engagement, the rest fit. Each sum is a 1–100 percentile of the same sums on the
reference leads, with a grade; a family with no feature has no sub-score (missing).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from predictive_leads.data.contracts import SMALL_ROWS, is_missing
from predictive_leads.features.guard import ATTRS_KEY
from predictive_leads.models.calibration import Calibrator, check_method
from predictive_leads.models.funnel import FunnelPolicy, Thresholds, choose_thresholds, heat_of
from predictive_leads.models.saved_files import (
    JSON_TYPES_PLURAL,
    REDO,
    ModelError,
    check_keys,
    complete_model_text,
    first_line,
    is_json,
    json_type,
    parse_json,
    read_text,
)
from predictive_leads.models.score_map import DEFAULT_GRADES, SUBSCORES, OddsScale, ScoreMap, grade_of

FORMAT_VERSION = 1
MODEL_FILE = "model.txt"
META_FILE = "scorer.json"


# ------------------------------------------------------------------------------------------ the estimator


PARALLEL_ROWS = 2000
"""From this many rows on, LightGBM predicts with its threads and beside the contributions (fewer: one thread)."""


class LeadScorer(ClassifierMixin, BaseEstimator):
    """Calibrated LightGBM lead scorer (pandas in, pandas out). Parameters only store; ``fit`` learns.

    Parameters
    ----------
    time_column : column of ``X`` holding each row's time (e.g. ``as_of``); used to split in time, never as a
        feature. Without it the internal splits are random stratified.
    horizon_days : the label horizon of the rows (with ``time_column``): the rows that fit the trees end this many
        days before the early-stopping and calibration slices begin, so no fitting row's outcome window reaches
        into them and the reference metrics are out of time. ``None``: no gap. When the gap would leave fewer
        than ``min_positives`` of either class to fit on, there is none and ``split_["gap_note"]`` says so.
    monotone_increasing : features where more must never lower the probability (e.g. ``demo_request_90d``).
    validation_fraction, calibration_fraction : shares of rows (the most recent ones when there is a time
        column) for early stopping and for calibration + score map + funnel cut-offs + sub-score maps.
    calibration : ``auto`` (Platt or isotonic, whichever has the lower cross-fitted log loss), ``platt``,
        ``isotonic`` or ``none``.
    funnel : the funnel policy (:class:`~predictive_leads.models.funnel.FunnelPolicy` or its mapping, e.g.
        ``{"policy": "score", "sql": 80, "mql": 50}``); default: capacity, 200 SQL + 1,000 MQL leads per run.
    engagement_features : features that describe what the lead did, besides those the feature pipeline built from
        events (e.g. the activity counts of a flat export); the rest count as fit.
    points_scale : the absolute points scale (anchor points, its probability, points to double the odds).
    n_jobs : LightGBM threads for fitting and for scoring batches of 2,000 rows or more (smaller batches use one);
        0 or less: OpenMP's default (all cores, or ``OMP_NUM_THREADS``). ``None``: 2 to fit (fits are reproducible
        for a given value), OpenMP's default to score. A setting of the machine, not of the model: not saved.
    """

    def __init__(
        self,
        *,
        n_estimators: int = 3000,
        learning_rate: float = 0.05,
        num_leaves: int = 4,
        max_depth: int = 2,
        min_child_samples: int = 200,
        reg_lambda: float = 5.0,
        subsample: float = 0.8,
        colsample_bytree: float = 0.7,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.1,
        calibration_fraction: float = 0.1,
        calibration: str = "auto",
        time_column: str | None = None,
        horizon_days: int | None = None,
        monotone_increasing: tuple[str, ...] = (),
        min_positives: int = 50,
        grade_bands: tuple = DEFAULT_GRADES,
        funnel: FunnelPolicy | dict | None = None,
        engagement_features: tuple[str, ...] = (),
        points_scale: tuple[float, float, float] = (50.0, 0.10, 10.0),
        random_state: int = 0,
        n_jobs: int | None = None,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.calibration_fraction = calibration_fraction
        self.calibration = calibration
        self.time_column = time_column
        self.horizon_days = horizon_days
        self.monotone_increasing = monotone_increasing
        self.min_positives = min_positives
        self.grade_bands = grade_bands
        self.funnel = funnel
        self.engagement_features = engagement_features
        self.points_scale = points_scale
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    # ---------------------------------------------------------------------------------- fitting

    def fit(self, X, y) -> LeadScorer:
        import lightgbm as lgb

        check_method(self.calibration)  # before any work: a typo costs no fit
        policy = funnel_policy(self.funnel)
        odds_scale = OddsScale(*self.points_scale)
        vocabulary = _event_vocabulary(X)
        from_events = _engagement_features(X)
        X = _as_frame(X)
        y = _check_target(y, len(X), self.min_positives)
        time = X.pop(self.time_column) if self.time_column and self.time_column in X else None
        if X.shape[1] == 0:
            raise ModelError(f"0 feature(s) (shape={X.shape}) while a minimum of 1 is required: no feature columns")
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.classes_ = np.array([0, 1])
        self.categories_ = _categories(X)
        self.input_types_ = {str(c): _input_type(X[c], c in self.categories_) for c in X.columns}
        self.event_vocabulary_ = vocabulary
        data = self.encode(X)
        fit_idx, val_idx, cal_idx, gap = self._split(y, time)
        self.split_ = _describe_split(time, fit_idx, val_idx, cal_idx) | gap
        params = self._lgb_params(list(data.columns))
        train_set = lgb.Dataset(data.iloc[fit_idx], y[fit_idx], categorical_feature=list(self.categories_),
                                free_raw_data=False)  # fmt: skip
        callbacks, valid_sets = [], []
        if len(val_idx) and len(np.unique(y[val_idx])) == 2 and self.early_stopping_rounds:
            valid_sets = [lgb.Dataset(data.iloc[val_idx], y[val_idx], reference=train_set)]
            callbacks = [lgb.early_stopping(self.early_stopping_rounds, verbose=False)]
        self.booster_ = lgb.train(params, train_set, num_boost_round=self.n_estimators, valid_sets=valid_sets,
                                  callbacks=callbacks)  # fmt: skip
        if valid_sets and self.booster_.best_iteration > 0:
            self.booster_ = _truncate(self.booster_, self.booster_.best_iteration)
        ref = _reference(y, fit_idx, cal_idx)
        margin = self.booster_.predict(data.iloc[ref], raw_score=True)
        self.calibrator_ = Calibrator.fit(margin, y[ref], self.calibration)
        p_ref = self.calibrator_.transform(margin)
        self.score_map_ = ScoreMap.fit(p_ref)
        runs = _runs(time, ref) if time is not None else 1.0
        self.thresholds_ = choose_thresholds(policy, y[ref], p_ref, runs=runs, score_map=self.score_map_,
                                             odds_scale=odds_scale)  # fmt: skip
        self.families_ = _families(list(X.columns), from_events, self.engagement_features)
        phi, _ = self.contributions(X.iloc[ref])
        self.subscore_maps_ = {family: ScoreMap.fit(_family_sum(phi, members)) if members else None
                               for family, members in self.families_.items()}  # fmt: skip
        self.reference_ = {"rows": len(ref), "positives": int(y[ref].sum()), "runs": runs}
        return self

    def reference_rows(self, X, y) -> np.ndarray:
        """Positions of the rows of ``X`` that ``fit(X, y)`` used as its reference population: the most recent
        slice (calibration, score map, funnel, sub-scores), or the training rows when that slice lacks a class. What a
        monitoring profile is fitted on."""
        X = _as_frame(X)
        y = np.asarray(y).astype(int).ravel()
        time = X[self.time_column] if self.time_column and self.time_column in X else None
        fit_idx, _, cal_idx, _ = self._split(y, time)
        return _reference(y, fit_idx, cal_idx)

    def trained_until(self) -> pd.Timestamp | None:
        """The last ``as_of`` the model was fitted or calibrated on (None when fitted without a time column)."""
        span = (getattr(self, "split_", None) or {}).get("calibration_span")
        return pd.Timestamp(span[1]) if span else None

    def _lgb_params(self, columns: list[str]) -> dict:
        unknown = sorted(set(self.monotone_increasing) - set(columns))
        if unknown:
            raise ModelError(f"monotone_increasing names unknown feature(s): {', '.join(unknown)}")
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_child_samples": self.min_child_samples,
            "reg_lambda": self.reg_lambda,
            "bagging_fraction": self.subsample,
            "bagging_freq": 1 if self.subsample < 1 else 0,
            "feature_fraction": self.colsample_bytree,
            "monotone_constraints": [1 if c in self.monotone_increasing else 0 for c in columns],
            "monotone_constraints_method": "advanced",
            "seed": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": 2 if self.n_jobs is None else self.n_jobs,
            "verbosity": -1,
        }

    def _split(self, y: np.ndarray, time: pd.Series | None):
        n = len(y)
        idx = np.arange(n)
        n_cal = round(n * self.calibration_fraction)
        n_val = round(n * self.validation_fraction)
        if n_cal + n_val >= n:
            raise ModelError("validation_fraction + calibration_fraction leave no rows to train on")
        if time is not None:
            t = pd.to_datetime(time, utc=True).to_numpy()
            order = np.argsort(t, kind="stable")
            fit, held = np.sort(order[: n - n_cal - n_val]), order[n - n_cal - n_val :]
            fit, gap = self._gapped(fit, held, t, y)
            return fit, np.sort(held[:n_val]), np.sort(held[n_val:]), gap
        rest, cal = (
            (idx, idx[:0])
            if n_cal == 0
            else train_test_split(idx, test_size=n_cal, stratify=y, random_state=self.random_state)
        )
        if n_val == 0:
            return np.sort(rest), idx[:0], np.sort(cal), {"gap_days": 0}
        fit, val = train_test_split(rest, test_size=n_val, stratify=y[rest], random_state=self.random_state)
        return np.sort(fit), np.sort(val), np.sort(cal), {"gap_days": 0}

    def _gapped(self, fit: np.ndarray, held: np.ndarray, t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, dict]:
        """The fitting rows that end ``horizon_days`` before the held-out slices begin — unless that leaves fewer
        than ``min_positives`` of either class, then all of them, and the split says why."""
        if not self.horizon_days or not len(held):
            return fit, {"gap_days": 0}
        kept = fit[t[fit] < t[held].min() - np.timedelta64(int(self.horizon_days), "D")]
        positives = int(y[kept].sum())
        if min(positives, len(kept) - positives) >= self.min_positives:
            return kept, {"gap_days": int(self.horizon_days)}
        note = (f"no horizon gap inside the model: the {self.horizon_days} days before its early-stopping and "
                f"calibration slices would leave {positives} positive(s) of {len(kept):,} rows to fit on (fewer "
                f"than {self.min_positives}), so its reference metrics are optimistic")  # fmt: skip
        return fit, {"gap_days": 0, "gap_note": note}

    # ---------------------------------------------------------------------------------- scoring

    def encode(self, X: pd.DataFrame) -> pd.DataFrame:
        """The features as LightGBM was given them: columns in training order, categories fixed to the training
        ones (unseen values become missing)."""
        codes = self._codes(X)
        out = pd.DataFrame(codes, columns=list(self.feature_names_in_), index=X.index)
        for col, cats in self.categories_.items():
            column = np.nan_to_num(out[col].to_numpy(), nan=-1).astype(int)
            out[col] = pd.Categorical.from_codes(column, categories=cats)
        return out

    def unseen_categories(self, X) -> dict[str, list[str]]:
        """Values of categorical features never seen in training (scored as missing)."""
        X = _as_frame(X)
        out = {}
        for col, cats in self.categories_.items():
            values = set(X[col].dropna().astype(str)) - set(cats)
            if values:
                out[col] = sorted(values)
        return out

    def _codes(self, X: pd.DataFrame) -> np.ndarray:
        """The features as LightGBM reads them: floats in training order, categories as their training codes
        (unseen or missing → NaN), flags as 0/1, text that is not a number → NaN."""
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing and all(str(c).startswith("x") for c in X.columns) and X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but LeadScorer is expecting {self.n_features_in_} features as input"
            )
        if missing:
            raise ModelError(f"input lacks feature column(s): {', '.join(missing[:10])}")
        position = {c: i for i, c in enumerate(self.feature_names_in_)}
        numeric = [c for c in self.feature_names_in_ if c not in self.categories_]
        out = np.empty((len(X), len(position)))
        out[:, [position[c] for c in numeric]] = _as_floats(X[numeric])
        for col, cats in self.categories_.items():
            out[:, position[col]] = _category_codes(X[col], cats)
        return out

    def _margin(self, codes: np.ndarray) -> np.ndarray:
        # one thread for small batches: starting threads costs more than a few rows take (REST: one lead)
        threads = 1 if len(codes) < PARALLEL_ROWS else (self.n_jobs or 0)
        return self.booster_.predict(codes, raw_score=True, num_threads=threads)

    def decision_function(self, X) -> np.ndarray:
        """LightGBM's raw margin (log-odds before calibration)."""
        check_is_fitted(self, "booster_")
        return self._margin(self._codes(_as_frame(X)))

    def predict_proba(self, X) -> np.ndarray:
        margin = self.decision_function(X)
        p = self.calibrator_.transform(margin)
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def contributions(self, X) -> tuple[pd.DataFrame, float]:
        """Exact TreeSHAP contributions per feature in log-odds, and the base value (the model's expected margin).

        Each row's contributions plus the base value equal its raw margin (``decision_function``); the values are
        LightGBM's ``pred_contrib`` (= ``shap.TreeExplainer``), computed by table lookup for small trees.
        Identical feature rows are explained once.
        """
        check_is_fitted(self, "booster_")
        X = _as_frame(X)
        return self._contributions(self._codes(X), X.index)

    def _contributions(self, codes: np.ndarray, index: pd.Index) -> tuple[pd.DataFrame, float]:
        values = _once_per_distinct_row(codes, self._tree_shap().contributions)
        base = float(values[0, -1]) if len(values) else float("nan")
        return pd.DataFrame(values[:, :-1], index=index, columns=list(self.feature_names_in_)), base

    def scores_and_contributions(self, X) -> tuple[pd.DataFrame, pd.DataFrame, float]:
        """``score_frame`` and ``contributions`` of the same rows, encoding them once (what batch jobs need)."""
        check_is_fitted(self, "booster_")
        X = _as_frame(X)
        codes = self._codes(X)
        if len(codes) < PARALLEL_ROWS:
            phi, base = self._contributions(codes, X.index)
            margin = self._margin(codes)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="predictive-leads-predict") as pool:
                predicted = pool.submit(self._margin, codes)  # LightGBM runs without the GIL beside numpy's TreeSHAP
                phi, base = self._contributions(codes, X.index)
                margin = predicted.result()
        return self._scores(margin, phi, X.index), phi, base

    def _tree_shap(self):
        """The booster compiled for fast exact TreeSHAP (:mod:`~predictive_leads.models.tree_contributions`), once."""
        from predictive_leads.models.tree_contributions import TreeShap

        cached = self.__dict__.get("_compiled_shap")
        if cached is None or cached[0] is not self.booster_:
            cached = (self.booster_, TreeShap.from_booster(self.booster_))
            self.__dict__["_compiled_shap"] = cached
        return cached[1]

    def score_frame(self, X, *, subscores: bool = True) -> pd.DataFrame:
        """Per row (index kept): probability, 1–100 score, points, grade, stage, heat, and the fit and engagement
        sub-scores with their grades (:data:`~predictive_leads.models.score_map.SCORE_COLUMNS`). The sub-scores
        need each row's contributions (about as long again as the scores); without ``subscores`` they are empty."""
        if subscores:
            return self.scores_and_contributions(X)[0]
        X = _as_frame(X)
        return self._scores(self.decision_function(X), None, X.index)

    def _scores(self, margin: np.ndarray, phi: pd.DataFrame | None, index: pd.Index) -> pd.DataFrame:
        p = self.calibrator_.transform(margin)
        score = self.score_map_.score(p)
        stage = self.thresholds_.stage(p)
        out = {"probability": p, "score": score, "points": OddsScale(*self.points_scale).points(p),
               "grade": grade_of(score, self.grade_bands), "stage": stage, "heat": heat_of(stage)}  # fmt: skip
        for family in SUBSCORES:
            score_map = self.subscore_maps_.get(family) if phi is not None else None
            if score_map is None:  # not asked for, no feature of this family, or a model saved before sub-scores
                out[f"{family}_score"] = pd.array([pd.NA] * len(p), dtype="Int64")
                out[f"{family}_grade"] = pd.array([pd.NA] * len(p), dtype="string")
                continue
            sub = score_map.score(_family_sum(phi, self.families_[family]))
            out[f"{family}_score"] = pd.array(sub, dtype="Int64")
            out[f"{family}_grade"] = pd.array(grade_of(sub, self.grade_bands), dtype="string")
        return pd.DataFrame(out, index=index)

    # ---------------------------------------------------------------------------------- persistence

    def to_artifacts(self) -> dict[str, str]:
        """The fitted model as text, pickle-free: ``model.txt`` (LightGBM's own format) and ``scorer.json``
        (features, categories, calibration, score map, funnel, sub-scores, split, and the size and SHA-256 of
        ``model.txt``).
        :meth:`from_artifacts` reads them back."""
        from predictive_leads import __version__

        check_is_fitted(self, "booster_")
        model_text = self.booster_.model_to_string()
        model_bytes = model_text.encode("utf-8")
        meta = {
            "format_version": FORMAT_VERSION,
            "package_version": __version__,
            "model_bytes": len(model_bytes),
            "model_sha256": hashlib.sha256(model_bytes).hexdigest(),
            "params": _jsonable({k: v for k, v in self.get_params().items() if k != "n_jobs"}),
            "features": list(self.feature_names_in_),
            "categories": self.categories_,
            "input_types": self.input_types_,
            "calibrator": {"method": self.calibrator_.method, "params": self.calibrator_.params},
            "score_map": list(self.score_map_.cuts),
            "thresholds": self.thresholds_.to_dict(),
            "subscores": {
                "families": self.families_,
                "maps": {f: list(m.cuts) if m else None for f, m in self.subscore_maps_.items()},
            },
            "split": self.split_,
            "reference": self.reference_,
            "event_vocabulary": getattr(self, "event_vocabulary_", None),
        }
        meta_text = json.dumps(meta, indent=2, sort_keys=True) + "\n"
        return {MODEL_FILE: model_text, META_FILE: meta_text}

    @classmethod
    def from_artifacts(cls, texts: dict[str, str], *, source: str = "model") -> LeadScorer:
        """A fitted scorer from :meth:`to_artifacts`' texts (``source``, the folder, names them in errors).

        Nothing reaches LightGBM's parser unverified: its C++ code aborts the whole process (SIGABRT, SIGSEGV) on
        a truncated or edited model text instead of raising. So, before parsing, ``model.txt`` must match the
        size and SHA-256 that ``scorer.json`` recorded when it was saved. Models saved before the checksum was
        recorded (the same format 1, without ``model_sha256``/``model_bytes``) still load: for them — and for all
        models, as a second check — the text must be complete (it starts with LightGBM's ``tree`` header and
        ends with its ``end of trees`` and ``end of parameters`` sections and the ``pandas_categorical`` line),
        which catches any truncation; an edit inside the trees of such an old model cannot be detected, so
        re-save it (load, then :meth:`save`) to record its checksum. Every problem is a one-line
        :class:`ModelError` naming the file and what to do."""
        import lightgbm as lgb
        from lightgbm.basic import LightGBMError

        meta_file, model_file = f"{source}/{META_FILE}", f"{source}/{MODEL_FILE}"
        meta = parse_json(texts[META_FILE], meta_file)
        _check_meta(meta, meta_file)
        model_text = texts[MODEL_FILE]
        _check_model_text(model_text, meta, model_file)
        try:
            booster = lgb.Booster(model_str=model_text)
        except (LightGBMError, ValueError) as exc:  # ValueError: e.g. its pandas_categorical JSON
            raise ModelError(f"{model_file}: LightGBM cannot read it ({first_line(exc)}); {REDO}") from None
        if booster.num_feature() != len(meta["features"]):
            raise ModelError(
                f"{model_file}: has {booster.num_feature()} features but {META_FILE} lists "
                f"{len(meta['features'])} (files of two different models?); {REDO}"
            )
        try:
            return cls._from_meta(meta, booster)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            what = f"missing key {exc.args[0]!r}" if isinstance(exc, KeyError) else first_line(exc)
            raise ModelError(f"{meta_file}: unusable content ({what}); {REDO}") from None

    @classmethod
    def _from_meta(cls, meta: dict, booster) -> LeadScorer:
        params = _current_params(dict(meta["params"]))
        scorer = cls(**params)
        scorer.booster_ = booster
        scorer.feature_names_in_ = np.asarray(meta["features"], dtype=object)
        scorer.n_features_in_ = len(meta["features"])
        scorer.classes_ = np.array([0, 1])
        scorer.categories_ = meta["categories"]
        scorer.event_vocabulary_ = meta.get("event_vocabulary")
        scorer.input_types_ = meta.get("input_types") or {
            f: "string" if f in meta["categories"] else "double" for f in meta["features"]
        }
        scorer.calibrator_ = Calibrator(meta["calibrator"]["method"], meta["calibrator"]["params"])
        scorer.score_map_ = ScoreMap(tuple(float(c) for c in meta["score_map"]))
        scorer.thresholds_ = Thresholds.from_dict(meta["thresholds"])
        subscores = meta.get("subscores") or {"families": {}, "maps": {}}  # saved before the sub-scores: none
        scorer.families_ = {f: list(members) for f, members in subscores["families"].items()}
        scorer.subscore_maps_ = {f: ScoreMap(tuple(cuts)) if cuts else None for f, cuts in subscores["maps"].items()}
        scorer.split_ = meta["split"]
        scorer.reference_ = meta["reference"]
        return scorer

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_artifacts` into the directory ``path`` (through the one file writer,
        :func:`~predictive_leads.data.files.write_texts`)."""
        from predictive_leads.data.files import write_texts

        return write_texts(self.to_artifacts(), path)

    @classmethod
    def load(cls, path: str | Path) -> LeadScorer:
        """A scorer saved by :meth:`save` (or logged to MLflow) from its directory, checked as
        :meth:`from_artifacts` says (one-line :class:`ModelError` for any damaged file)."""
        path = Path(path)
        if not ((path / MODEL_FILE).is_file() and (path / META_FILE).is_file()):
            raise ModelError(f"{path}: not a saved LeadScorer (needs {MODEL_FILE} and {META_FILE})")
        # model.txt's bytes that are not UTF-8 are kept (surrogateescape), so they count in its checksum
        texts = {META_FILE: read_text(path / META_FILE), MODEL_FILE: read_text(path / MODEL_FILE, strict=False)}
        return cls.from_artifacts(texts, source=str(path))


# ------------------------------------------------------------------------------------------ reading saved files

_META_KEYS = {"format_version": int, "params": dict, "features": list, "categories": dict, "calibrator": dict,
              "score_map": list, "thresholds": dict, "split": dict, "reference": dict}  # fmt: skip
_META_OPTIONAL = {"package_version": str, "model_bytes": int, "model_sha256": str, "input_types": dict,
                  "event_vocabulary": dict, "subscores": dict}  # fmt: skip


def _check_meta(meta, where: str) -> None:
    """``scorer.json``'s format version first (another version may have other keys), then its keys and types."""
    if isinstance(meta, dict) and meta.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
        raise ModelError(
            f"{where}: saved with model format {meta.get('format_version')} (package "
            f"{meta.get('package_version')}); this version reads format {FORMAT_VERSION}: retrain or upgrade"
        )
    check_keys(meta, where, _META_KEYS, _META_OPTIONAL)
    check_keys(meta["calibrator"], f"{where} (calibrator)", {"method": str, "params": dict})
    check_keys(meta["thresholds"], f"{where} (thresholds)", {"rule": str, "cutoffs": list})
    check_keys(meta["params"], f"{where} (params)", {"grade_bands": list, "monotone_increasing": list})
    for key, kind in (("features", str), ("score_map", float)):
        wrong = [v for v in meta[key] if not is_json(v, kind)]
        if wrong:
            raise ModelError(
                f"{where}: {key!r} holds {json_type(wrong[0])}, not only {JSON_TYPES_PLURAL[kind]}; {REDO}"
            )


def _check_model_text(text: str, meta: dict, where: str) -> None:
    """The checks :meth:`LeadScorer.from_artifacts` makes before LightGBM may parse ``text``."""
    data = text.encode("utf-8", "surrogateescape")
    size, digest = meta.get("model_bytes"), meta.get("model_sha256")
    if (size is not None and size != len(data)) or (digest is not None and digest != hashlib.sha256(data).hexdigest()):
        raise ModelError(f"{where}: does not match {META_FILE} (size/sha256 differ: truncated or edited); {REDO}")
    if not complete_model_text(text):
        raise ModelError(f"{where}: not a complete LightGBM model (truncated or not a model file); {REDO}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ModelError(f"{where}: not UTF-8 text; {REDO}") from None


# ------------------------------------------------------------------------------------------ helpers


def _category_codes(values: pd.Series, categories: list[str]) -> np.ndarray:
    """Position of each value's text among the training categories; NaN when missing or never seen."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        per_category = _category_index(tuple(categories)).get_indexer(values.cat.categories.astype(str))
        codes = values.cat.codes.to_numpy()
        found = np.where(codes >= 0, per_category[codes], -1)
    elif len(values) <= SMALL_ROWS:  # a request of a few leads: a dict lookup, not a column conversion
        position = _category_positions(tuple(categories))
        found = np.array([position.get(_text(v), -1) for v in values.tolist()], dtype=np.int64)
    else:
        found = _category_index(tuple(categories)).get_indexer(
            values.astype("string").to_numpy(dtype=object, na_value=None)
        )
    return np.where(found >= 0, found, np.nan)


@functools.lru_cache(maxsize=512)
def _category_index(categories: tuple[str, ...]) -> pd.Index:
    return pd.Index(categories)


@functools.lru_cache(maxsize=512)
def _category_positions(categories: tuple[str, ...]) -> dict[str, int]:
    return {c: i for i, c in enumerate(categories)}


def _text(value) -> str | None:
    """A value as ``astype("string")`` writes it (None when missing)."""
    if isinstance(value, str):
        return value
    return None if is_missing(value) else str(value)


def _as_floats(X: pd.DataFrame) -> np.ndarray:
    """Numeric features as one float64 block (flags → 0/1, missing → NaN, text that is not a number → NaN)."""
    try:
        return X.to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError):
        columns = [X[c].astype("float64") if pd.api.types.is_bool_dtype(X[c].dtype) else X[c] for c in X.columns]
        return np.column_stack([pd.to_numeric(c, errors="coerce").astype("float64") for c in columns])


def _as_frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        out = X.copy(deep=False)
        out.attrs = {}  # provenance is not needed to score, and pandas deep-copies attrs on every operation
        return out
    arr = np.asarray(X)
    if np.iscomplexobj(arr):
        raise ValueError("Complex data not supported")
    if arr.ndim != 2:
        raise ValueError(f"Expected 2D array, got {arr.ndim}D array instead. Reshape your data (one row per lead).")
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def _check_target(y, n: int, min_positives: int) -> np.ndarray:
    if y is None:
        raise ValueError("LeadScorer requires y to be passed, but the target y is None")
    y = pd.Series(np.asarray(y).ravel())
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)}")
    if y.isna().all():
        raise ModelError("the target is missing for every row: nothing to learn from")
    if y.isna().any():
        raise ModelError(f"the target is missing for {int(y.isna().sum())} rows; drop or label them first")
    values = set(pd.unique(y))
    if pd.api.types.is_float_dtype(y.dtype) and not values <= {0, 1}:
        raise ValueError("Unknown label type: continuous. The target must be 0/1 (converted or not)")
    if not values <= {0, 1}:
        raise ValueError(
            f"Only binary classification is supported. The target must be 0/1 (converted or not), "
            f"got values {sorted(map(str, values))[:5]}"
        )
    y = y.astype(int).to_numpy()
    if len(np.unique(y)) < 2:
        raise ModelError(f"the target has 1 class only ({int(y[0])} for every row): nothing to learn from")
    positives = int(y.sum())
    if positives < min_positives or (len(y) - positives) < min_positives:
        raise ModelError(
            f"only {positives} positives and {len(y) - positives} negatives; a model needs at least "
            f"{min_positives} of each to be honest — use a rule preset or a learned scorecard instead"
        )
    return y


def _event_vocabulary(X: pd.DataFrame) -> dict | None:
    """The event vocabulary of a pipeline-built frame (types, sources, value columns, half-lives): lets reasons
    name the user's own event types. None for frames from elsewhere (a flat export)."""
    config = getattr(X, "attrs", {}).get(ATTRS_KEY, {}).get("feature_config")
    if not config:
        return None
    keys = ("event_types", "event_sources", "value_columns", "half_lives_days")
    return {k: config.get(k) for k in keys}


def _runs(time: pd.Series, ref: np.ndarray) -> float:
    """How many scoring runs the reference rows hold, a run being as many leads as the largest snapshot they come
    from (the slice is the most recent rows, so its oldest snapshot may be cut: counting dates would make a run
    look smaller than it is)."""
    sizes = time.value_counts()
    return len(ref) / int(sizes.loc[time.iloc[ref].unique()].max())


def _family_sum(phi: pd.DataFrame, members: list[str]) -> np.ndarray:
    """Each row's contributions of ``members`` summed in the same order whatever the batch: row by row over a
    C-ordered copy (a frame's columns are stored apart, and numpy sums those across rows, in another order, so a
    lead scored alone and in a batch could land on two sides of a percentile cut)."""
    return np.ascontiguousarray(phi[members].to_numpy(dtype=float)).sum(axis=1)


def _engagement_features(X: pd.DataFrame) -> list[str]:
    """The features a pipeline-built frame made from events (its provenance says which); none for other frames."""
    return list(getattr(X, "attrs", {}).get(ATTRS_KEY, {}).get("summary", {}).get("engagement_features") or ())


def _families(features: list[str], from_events: list[str], declared) -> dict[str, list[str]]:
    """fit and engagement features: engagement those built from events or declared, fit the rest."""
    unknown = [c for c in declared if c not in features]
    if unknown:
        raise ModelError(f"engagement_features not among the features: {', '.join(map(str, unknown[:5]))}")
    engagement = {*from_events, *declared}
    return {"fit": [f for f in features if f not in engagement], "engagement": [f for f in features if f in engagement]}


def funnel_policy(funnel: FunnelPolicy | dict | None) -> FunnelPolicy:
    """The funnel policy of a ``funnel`` parameter (a policy, its mapping, or None for the default)."""
    if funnel is None:
        return FunnelPolicy()
    return funnel if isinstance(funnel, FunnelPolicy) else FunnelPolicy.from_dict(dict(funnel))


def _current_params(params: dict) -> dict:
    """Saved parameters as this version's ``__init__`` takes them (models saved before the funnel policy had
    ``tier_rule``, ``sql_capacity`` and ``mql_capacity``)."""
    params["grade_bands"] = tuple(tuple(b) for b in params["grade_bands"])
    params["monotone_increasing"] = tuple(params["monotone_increasing"])
    if "tier_rule" in params:
        rule, sql, mql = params.pop("tier_rule"), params.pop("sql_capacity", None), params.pop("mql_capacity", None)
        params["funnel"] = {"policy": rule} | ({"sql": sql, "mql": mql} if rule == "capacity" else {})
    for key in ("engagement_features", "points_scale"):
        if key in params:
            params[key] = tuple(params[key])
    return params


def _categories(X: pd.DataFrame) -> dict[str, list[str]]:
    out = {}
    for col in X.columns:
        s = X[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = [str(c) for c in s.cat.categories]
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = sorted(str(v) for v in s.dropna().unique())
    return out


def _once_per_distinct_row(data: np.ndarray, compute) -> np.ndarray:
    """``compute`` on the distinct rows only, expanded back to every row (rows compared byte for byte)."""
    if len(data) < 2:
        return compute(data) if len(data) else np.zeros((0, data.shape[1] + 1))
    rows = np.ascontiguousarray(data).view(np.dtype((np.void, data.dtype.itemsize * data.shape[1]))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    if len(first) == len(rows):
        return compute(data)
    return compute(data[first])[inverse.ravel()]


def _input_type(values: pd.Series, categorical: bool) -> str:
    """The column's type for an input schema: ``string`` (categories), ``boolean``, ``long`` or ``double``."""
    if categorical:
        return "string"
    if pd.api.types.is_bool_dtype(values.dtype):
        return "boolean"
    return "long" if pd.api.types.is_integer_dtype(values.dtype) else "double"


def _reference(y: np.ndarray, fit_idx: np.ndarray, cal_idx: np.ndarray) -> np.ndarray:
    """The calibration slice when it holds both classes, else the training rows."""
    return cal_idx if len(cal_idx) and len(np.unique(y[cal_idx])) == 2 else fit_idx


def _truncate(booster, iterations: int):
    import lightgbm as lgb

    return lgb.Booster(model_str=booster.model_to_string(num_iteration=iterations))


def _describe_split(time, fit_idx, val_idx, cal_idx) -> dict:
    def span(idx):
        if time is None or not len(idx):
            return None
        t = pd.to_datetime(time.iloc[idx], utc=True)
        return [t.min().isoformat(), t.max().isoformat()]

    return {
        "kind": "out-of-time" if time is not None else "random stratified (no time column)",
        "train_rows": len(fit_idx),
        "validation_rows": len(val_idx),
        "calibration_rows": len(cal_idx),
        "train_span": span(fit_idx),
        "validation_span": span(val_idx),
        "calibration_span": span(cal_idx),
    }


def _jsonable(value):
    if isinstance(value, FunnelPolicy):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
