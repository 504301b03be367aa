"""Calibration: LightGBM's raw margin → a probability (Platt or isotonic, chosen by cross-fitted log loss)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calibrator:
    """Maps LightGBM's raw margin to a probability: Platt (logistic) or isotonic (monotone steps)."""

    method: str
    params: dict

    @classmethod
    def fit(cls, margin: np.ndarray, y: np.ndarray, method: str = "auto") -> Calibrator:
        check_method(method)
        if method == "none":
            return cls("none", {})
        candidates = ["platt", "isotonic"] if method == "auto" else [method]
        fitted = {m: _FITTERS[m](margin, y) for m in candidates}
        if len(fitted) == 1:
            return next(iter(fitted.values()))
        # choose by cross-fitted log loss on the calibration slice (2 folds, fixed split)
        folds = np.arange(len(y)) % 2
        losses = {}
        for m in candidates:
            out = np.empty(len(y))
            for k in (0, 1):
                cal = _FITTERS[m](margin[folds != k], y[folds != k])
                out[folds == k] = cal.transform(margin[folds == k])
            losses[m] = _log_loss(y, out)
        best = min(losses, key=losses.get)
        return cls(best, fitted[best].params | {"cv_log_loss": losses})

    def transform(self, margin: np.ndarray) -> np.ndarray:
        margin = np.asarray(margin, dtype=float)
        if self.method == "none":
            return 1 / (1 + np.exp(-margin))
        if self.method == "platt":
            return 1 / (1 + np.exp(-(self.params["a"] * margin + self.params["b"])))
        p = np.interp(margin, self.params["x"], self.params["y"])
        return np.clip(p, 1e-6, 1 - 1e-6)


def _fit_platt(margin: np.ndarray, y: np.ndarray) -> Calibrator:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y)
    return Calibrator("platt", {"a": float(lr.coef_[0, 0]), "b": float(lr.intercept_[0])})


def _fit_isotonic(margin: np.ndarray, y: np.ndarray) -> Calibrator:
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(margin, y)
    return Calibrator("isotonic", {"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()})


_FITTERS = {"platt": _fit_platt, "isotonic": _fit_isotonic}
METHODS = ("auto", *_FITTERS, "none")


def check_method(method: str) -> None:
    """A one-line ValueError for a calibration method that does not exist."""
    if method not in METHODS:
        raise ValueError(f"unknown calibration {method!r}; choose from {', '.join(METHODS)}")


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
