"""The reference profile a monitored period is compared with, fitted by the training workflow.

Fitted on the model's reference population (its most recent held-out slice, the calibration rows): per feature
the distribution (decile edges + shares, or category shares) and missing share, the score's distribution, each
feature's share of the mean |SHAP| (so drift is weighed by how much the model uses the feature), and the slice's
AUC, ECE and conversion per score band. JSON-ready; saved as ``profile.json`` beside the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

YOUNG_LEAD_DAYS = 30  # drift compares leads in their first 30 days, then and now
SCORE_EDGES = tuple(range(10, 100, 10))  # score bands 1–10, 11–20, …, 91–100
PROFILE_VERSION = 3  # 2: distributions of young leads (``population``); 3: young = 30 days, not 90
PROFILE_FILE = "profile.json"
IMPORTANCE_SAMPLE = 2000  # rows whose |SHAP| weigh the features


def fit_profile(scorer, X: pd.DataFrame, y, *, served=None) -> dict:
    """The reference profile of a ``LeadScorer`` fitted on ``(X, y)``, measured on its reference rows (the slice
    it calibrated on: ``scorer.reference_rows(X, y)``). ``served``: the segment models around ``scorer`` when it has
    some (:class:`~predictive_leads.models.segment_models.SegmentModels`): then the probabilities, scores and bands
    are the set's, as served; the feature distributions and importance stay the pooled model's."""
    rows = scorer.reference_rows(X, y)
    X, y = X.iloc[rows], np.asarray(y).astype(int).ravel()[rows]
    encoded = scorer.encode(X)
    if served is None:
        p = scorer.predict_proba(X)[:, 1]
        score = scorer.score_map_.score(p)
    else:
        scored = served.score_frame(X, subscores=False)
        p, score = scored["probability"].to_numpy(), scored["score"].to_numpy()
    sample = X.iloc[:: max(1, len(X) // IMPORTANCE_SAMPLE)]
    contributions, _ = scorer.contributions(sample)
    importance = contributions.abs().mean(axis=0)
    return reference_profile(encoded, scorer.categories_, y, p, score,
                             {str(k): float(v) for k, v in importance.items()})  # fmt: skip


def numeric_profile(values: np.ndarray) -> dict:
    """Decile edges of the present values, the share in each bin (edges[i-1] < x <= edges[i]) and missing share."""
    values = np.asarray(values, dtype=float)
    present = values[~np.isnan(values)]
    edges = np.unique(np.quantile(present, np.linspace(0.1, 0.9, 9))) if len(present) else np.array([])
    return {"kind": "numeric", "edges": edges.tolist(), "shares": numeric_shares(values, edges).tolist(),
            "missing": float(np.isnan(values).mean()) if len(values) else 0.0}  # fmt: skip


def numeric_shares(values: np.ndarray, edges) -> np.ndarray:
    present = values[~np.isnan(values)]
    counts = np.bincount(np.searchsorted(np.asarray(edges, dtype=float), present, side="left"),
                         minlength=len(edges) + 1)  # fmt: skip
    return counts / len(values) if len(values) else counts.astype(float)


def categorical_profile(values: pd.Series, categories: list[str]) -> dict:
    """Share of each training category (unseen values counted apart) and missing share."""
    text = values.astype("string")
    n = len(text)
    shares = [float((text == c).sum() / n) if n else 0.0 for c in categories]
    missing = float(text.isna().mean()) if n else 0.0
    return {"kind": "categorical", "categories": list(categories), "shares": shares, "missing": missing,
            "unseen": max(0.0, 1.0 - sum(shares) - missing) if n else 0.0}  # fmt: skip


def young_leads(encoded: pd.DataFrame, max_age: int | None) -> np.ndarray:
    """Rows of leads in their first ``max_age`` days (all rows when ``max_age`` is None)."""
    if max_age is None:
        return np.ones(len(encoded), dtype=bool)
    return encoded["lead_age_days"].to_numpy(dtype=float) <= max_age


def reference_profile(encoded: pd.DataFrame, categories: dict[str, list[str]], y: np.ndarray, p: np.ndarray,
                      score: np.ndarray, importance: dict[str, float]) -> dict:  # fmt: skip
    """The JSON-ready reference a later period is compared with (see the module docstring): distributions of
    the young leads (all rows without ``lead_age_days``), metrics and bands of all rows."""
    from predictive_leads.evaluation.metrics import band_table, classification_metrics

    max_age = YOUNG_LEAD_DAYS if "lead_age_days" in encoded else None
    young = young_leads(encoded, max_age)
    if not young.any():
        max_age, young = None, np.ones(len(encoded), dtype=bool)
    features = {}
    for col in encoded.columns:
        values = encoded.loc[young, col]
        if col in categories:
            features[col] = categorical_profile(values.astype("object"), categories[col])
        else:
            features[col] = numeric_profile(values.to_numpy(dtype=float))
    total = sum(importance.values()) or 1.0
    metrics = classification_metrics(y, p) if len(np.unique(y)) == 2 else {}
    bands = band_table(y, p, score, score_bands()) if len(y) else pd.DataFrame()
    return {
        "version": PROFILE_VERSION,
        "rows": len(y),
        "population": {"lead_age_days_max": max_age, "rows": int(young.sum())},
        "features": features,
        "importance": {k: float(v / total) for k, v in importance.items()},
        "score": {"edges": list(SCORE_EDGES), "shares": score_shares(np.asarray(score)[young]).tolist()},
        "roc_auc": metrics.get("roc_auc"),
        "ece": metrics.get("ece"),
        "bands": bands[["band", "n", "conversion_rate", "mean_p"]].to_dict("records") if len(bands) else [],
    }


def score_bands() -> list[tuple[int, int]]:
    lows = (1, *(e + 1 for e in SCORE_EDGES))
    highs = (*SCORE_EDGES, 100)
    return list(zip(lows, highs, strict=True))


def score_shares(score: np.ndarray) -> np.ndarray:
    score = np.asarray(score)
    counts = np.bincount(np.searchsorted(np.asarray(SCORE_EDGES), score, side="left"), minlength=len(SCORE_EDGES) + 1)
    return counts / len(score) if len(score) else counts.astype(float)
