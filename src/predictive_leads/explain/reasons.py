"""Per-lead reasons: exact TreeSHAP contributions grouped into attributes, in words, log-odds and score points.

* **Contributions** are LightGBM's exact TreeSHAP values in log-odds (``LeadScorer.contributions``): per lead
  they add up, with the base value, to the model's raw margin.
* **Groups**: features derived from one attribute (``pricing_page_view_7d/30d/90d/total`` and
  ``days_since_last_pricing_page_view``) are summed into one reason, so the sum over reasons is unchanged.
* **Points** share the lead's score difference to the *base score* (the score of a lead at the model's
  average margin) among the reasons in proportion to their log-odds: ``points_i = log_odds_i × (s(m) − s(b)) /
  (m − b)`` with ``s`` the continuous score of a margin. They add up to ``s(m) − s(b)`` and keep each reason's
  sign; they are approximate because the score is a percentile (flat where leads are rare).
* **Sentence**: the group's most influential feature (in the reason's direction) read out with its value.
* **Code**: ``<GROUP>_UP`` or ``<GROUP>_DOWN``, stable strings for CRM fields and reporting.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from predictive_leads.explain.phrases import FeatureText, _missing, feature_text
from predictive_leads.models.score_map import SCORE_COLUMNS

REASON_COLUMNS = ("lead", "row", "direction", "rank", "code", "attribute", "feature", "value", "log_odds", "points",
                  "text")  # fmt: skip
DEFAULT_TOP_K = 3  # reasons per lead (and per direction) unless the caller asks for another number
REASON_CONTEXT = ("email_domain",)  # not features: read into reason sentences when given ("... (gmail.com)")
_SLOPE_STEP = 0.05
_SUFFIX = {"positive": "UP", "negative": "DOWN"}


def feature_groups(features, vocabulary: dict | None = None) -> dict[str, list[str]]:
    """Attribute group code → its features, in the order the features come (``vocabulary``: see
    :func:`~predictive_leads.explain.phrases.feature_text`)."""
    out: dict[str, list[str]] = {}
    for f in features:
        out.setdefault(feature_text(f, vocabulary).group, []).append(f)
    return out


def group_contributions(contributions: pd.DataFrame) -> pd.DataFrame:
    """Sum feature contributions into attribute groups (the row sums are unchanged)."""
    groups = feature_groups(contributions.columns)  # our own vocabulary's words (no model at hand)
    return pd.DataFrame({g: contributions[cols].sum(axis=1) for g, cols in groups.items()}, index=contributions.index)


def points_per_log_odds(scorer, margin: np.ndarray, base: float) -> np.ndarray:
    """Score points per unit of log-odds for each lead (the chord of the score curve from the base margin)."""

    def score(m):
        return scorer.score_map_.continuous(scorer.calibrator_.transform(np.asarray(m, dtype=float)))

    margin = np.asarray(margin, dtype=float)
    diff = margin - base
    near = np.abs(diff) < _SLOPE_STEP
    chord = (score(margin) - score(base)) / np.where(near, 1.0, diff)
    tangent = (score(base + _SLOPE_STEP) - score(base - _SLOPE_STEP)) / (2 * _SLOPE_STEP)
    return np.where(near, tangent, chord)


def top_reasons(scorer, X: pd.DataFrame, top_k: int = DEFAULT_TOP_K, *,
                contributions: tuple[pd.DataFrame, float] | None = None) -> pd.DataFrame:  # fmt: skip
    """Top ``top_k`` positive and top ``top_k`` negative reasons per lead, one row per reason (long format).

    Columns: ``lead`` (the row's index label), ``row`` (its position), ``direction`` (``positive`` /
    ``negative``), ``rank`` (1 = strongest), ``code``, ``attribute``, ``feature`` and ``value`` (the feature the
    sentence reads), ``log_odds``, ``points`` and ``text``. ``contributions``: ``scorer.contributions(X)`` if
    already computed.
    """
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    phi, base = contributions if contributions is not None else scorer.contributions(X)
    if not len(phi):
        return pd.DataFrame({c: [] for c in REASON_COLUMNS})
    vocabulary = getattr(scorer, "event_vocabulary_", None)
    texts = {f: feature_text(f, vocabulary) for f in phi.columns}
    groups = feature_groups(phi.columns, vocabulary)
    codes = list(groups)
    values = phi.to_numpy()
    position = {f: i for i, f in enumerate(phi.columns)}
    members = [np.array([position[f] for f in groups[g]]) for g in codes]
    by_group = np.column_stack([values[:, idx].sum(axis=1) for idx in members])
    scale = points_per_log_odds(scorer, base + values.sum(axis=1), base)
    parts = [_pick(by_group, values, members, sign, min(top_k, len(codes))) for sign in (1, -1)]
    rows = np.concatenate([p[0] for p in parts])
    group_idx = np.concatenate([p[1] for p in parts])
    feature_idx = np.concatenate([p[2] for p in parts])
    rank = np.concatenate([p[3] for p in parts])
    direction = np.repeat(["positive", "negative"], [len(p[0]) for p in parts])
    log_odds = by_group[rows, group_idx]
    features = phi.columns.to_numpy()[feature_idx]
    raw_values = _gather(X, rows, features, getattr(scorer, "categories_", {}))
    shown = [_value_text(v) for v in raw_values]
    out = pd.DataFrame({
        "lead": X.index.to_numpy()[rows], "row": rows, "direction": direction, "rank": rank,
        "code": [f"{codes[g]}_{_SUFFIX[d]}" for g, d in zip(group_idx, direction, strict=True)],
        "attribute": [texts[groups[codes[g]][0]].label for g in group_idx], "feature": features,
        "value": shown, "log_odds": log_odds, "points": log_odds * scale[rows],
        "text": _sentences(X, rows, features, raw_values, shown, texts),
    })  # fmt: skip
    return out.sort_values(["row", "direction", "rank"], ascending=[True, False, True], kind="stable").reset_index(
        drop=True
    )


def _pick(by_group, values, members, sign: int, k: int):
    """(row, group, representative feature, rank) of each lead's k strongest groups in one direction."""
    signed = sign * by_group
    order = np.argsort(-signed, axis=1, kind="stable")[:, :k]
    strength = np.take_along_axis(signed, order, axis=1)
    keep = strength > 0
    rows = np.repeat(np.arange(len(by_group)), k).reshape(-1, k)[keep]
    groups = order[keep]
    ranks = np.tile(np.arange(1, k + 1), len(by_group)).reshape(-1, k)[keep]
    rep = np.empty(len(rows), dtype=int)
    for g in np.unique(groups):
        sel = groups == g
        idx = members[g]
        rep[sel] = idx[np.argmax(sign * values[np.ix_(rows[sel], idx)], axis=1)]
    return rows, groups, rep, ranks


def _gather(X: pd.DataFrame, rows: np.ndarray, features: np.ndarray, categories: dict) -> np.ndarray:
    """Each reason's feature value as the model read it: a category it never saw in training is missing (it was
    scored as missing), so text outside the training vocabulary never reaches a sentence."""
    out = np.empty(len(rows), dtype=object)
    for f in pd.unique(features):
        sel = features == f
        values = X[f].to_numpy(dtype=object)[rows[sel]]
        if f in categories:
            known = set(categories[f])
            values = np.array([v if v in known else None for v in values], dtype=object)
        out[sel] = values
    return out


def _sentences(X, rows, features, raw_values, value_texts, texts: dict[str, FeatureText]) -> list[str]:
    memo: dict[tuple[str, str], str] = {}
    wanted = {t.context_column for t in texts.values() if t.context_column and t.context_column in X.columns}
    context = {c: X[c].to_numpy(dtype=object) for c in wanted}
    out = []
    for row, f, v, shown in zip(rows, features, raw_values, value_texts, strict=True):
        text = memo.get((f, shown))
        if text is None:
            text = memo[(f, shown)] = texts[f].sentence(v)
        column = context.get(texts[f].context_column)
        if column is not None and not _missing(column[row]):
            text = f"{text} ({column[row]})"
        out.append(text)
    return out


def _value_text(v) -> str:
    if _missing(v):
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, float | np.floating):
        return f"{float(v):.6g}"
    return str(v)


def reason_columns(reasons: pd.DataFrame, index: pd.Index, top_k: int = DEFAULT_TOP_K) -> pd.DataFrame:
    """Wide CRM columns per lead: ``reason_1..k`` (strongest first, either sign, with points), the matching
    ``reason_code_1..k``, and ``reasons_json`` with every reason (code, text, points, log-odds)."""
    n = len(index)
    text = np.full((n, top_k), "", dtype=object)
    code = np.full((n, top_k), "", dtype=object)
    items: list[list[str]] = [[] for _ in range(n)]
    if len(reasons):
        ordered = reasons.assign(strength=-reasons["log_odds"].abs()).sort_values(
            ["row", "strength", "code"], kind="stable"
        )
        rows = ordered["row"].to_numpy()
        slot = ordered.groupby("row").cumcount().to_numpy()
        codes = ordered["code"].tolist()
        texts = ordered["text"].tolist()
        points = np.round(ordered["points"].to_numpy(dtype=float), 1).tolist()
        log_odds = np.round(ordered["log_odds"].to_numpy(dtype=float), 4).tolist()
        first = slot < top_k
        text[rows[first], slot[first]] = [f"{p:+.0f} pts: {t}" for p, t, f in zip(points, texts, first, strict=True)
                                          if f]  # fmt: skip
        code[rows[first], slot[first]] = np.asarray(codes, dtype=object)[first]
        quoted = {t: json.dumps(t, ensure_ascii=False) for t in set(texts)}
        for r, c, t, p, lo in zip(rows.tolist(), codes, texts, points, log_odds, strict=True):
            items[r].append(f'{{"code":"{c}","text":{quoted[t]},"points":{p!r},"log_odds":{lo!r}}}')
    columns = {f"reason_{i + 1}": text[:, i] for i in range(top_k)}
    columns |= {f"reason_code_{i + 1}": code[:, i] for i in range(top_k)}
    columns["reasons_json"] = ["[" + ",".join(row) + "]" for row in items]
    return pd.DataFrame(columns, index=index).astype("string")


def scored_columns(top_k: int = DEFAULT_TOP_K) -> dict[str, str]:
    """Columns of :func:`scored_with_reasons` and their types: scores, ``reason_1..k``, codes, ``reasons_json``."""
    reasons = {f"reason_{i + 1}": "string" for i in range(top_k)}
    codes = {f"reason_code_{i + 1}": "string" for i in range(top_k)}
    return SCORE_COLUMNS | reasons | codes | {"reasons_json": "string"}


def scored_with_reasons(scorer, X: pd.DataFrame, top_k: int = DEFAULT_TOP_K) -> pd.DataFrame:
    """``score_frame`` (probability, score, points, grade, stage, heat, sub-scores) plus ``reason_1..k``, codes
    and ``reasons_json``."""
    X = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    scores, phi, base = scorer.scores_and_contributions(X)
    reasons = top_reasons(scorer, X, top_k, contributions=(phi, base))
    return pd.concat([scores, reason_columns(reasons, X.index, top_k)], axis=1)


def compare_with_rules(scorer, rules, X: pd.DataFrame, top_k: int = DEFAULT_TOP_K) -> pd.DataFrame:
    """Model score and reasons next to the rule baseline's score, tier and the rules that fired, per lead."""
    model = scored_with_reasons(scorer, X, top_k)
    keep = ["probability", "score", "grade", "stage", *[f"reason_{i + 1}" for i in range(top_k)]]
    return pd.concat([model[keep], rules.fired_rules(X)], axis=1)
