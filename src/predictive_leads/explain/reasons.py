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

from predictive_leads.data.contracts import is_missing
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
    shown, text = _phrased(X, rows, features, getattr(scorer, "categories_", {}), texts)
    code_of = [f"{c}_{_SUFFIX[d]}" for c in codes for d in ("positive", "negative")]
    negative = (direction == "negative").astype(np.int64)
    order = np.lexsort((rank, negative, rows))  # by lead, positive first, strongest first (stable)
    return pd.DataFrame({
        "lead": X.index.to_numpy()[rows][order], "row": rows[order],
        "direction": _strings(["positive", "negative"], negative[order]), "rank": rank[order],
        "code": _strings(code_of, (2 * group_idx + negative)[order]),
        "attribute": _strings([texts[groups[c][0]].label for c in codes], group_idx[order]),
        "feature": features[order], "value": _strings(shown[0], shown[1][order]), "log_odds": log_odds[order],
        "points": (log_odds * scale[rows])[order], "text": _strings(text[0], text[1][order]),
    })  # fmt: skip


def _strings(distinct: list[str], index: np.ndarray):
    """``distinct[index]`` as a pandas ``str`` array built by Arrow, without a Python string object per row."""
    import pyarrow as pa

    return pd.array(pa.array(distinct, pa.string()).take(pa.array(index)), dtype=_STR)


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # what pandas makes of a column of Python strings
_Indexed = tuple[list[str], np.ndarray]  # distinct strings, and each row's index into them


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


def _phrased(X: pd.DataFrame, rows: np.ndarray, features: np.ndarray, categories: dict,
             texts: dict[str, FeatureText]) -> tuple[_Indexed, _Indexed]:  # fmt: skip
    """Each reason's value as shown and its sentence, as (distinct strings, each reason's index into them): formatted
    once per distinct value of a feature (a batch of 100k leads has 600k reasons, but few distinct counts and
    categories). A category the model never saw in training reads as missing (it was scored as missing), so text
    outside the training vocabulary never reaches a sentence. Values shown alike read alike: the sentence of the
    first such value in reason order."""
    shown, shown_at = [], np.empty(len(rows), dtype=np.int64)
    said, said_at = [], np.empty(len(rows), dtype=np.int64)
    for f in pd.unique(features):
        at = np.flatnonzero(features == f)
        first, inverse = _distinct(X[f], rows[at], categories.get(f))
        value_text = [_value_text(v) for v in first]
        sentence_of: dict[str, str] = {}
        for i in np.argsort(_first_positions(inverse, len(first)), kind="stable"):  # in reason order
            sentence_of.setdefault(value_text[i], texts[f].sentence(first[i]))
        shown_at[at] = len(shown) + inverse
        shown += value_text
        context = texts[f].context_column
        if context and context in X.columns:  # a sentence of its own per reason: "... (gmail.com)"
            extra = X[context].to_numpy(dtype=object)[rows[at]]
            sentences = [sentence_of[value_text[i]] for i in inverse]
            said_at[at] = len(said) + np.arange(len(at))
            said += [t if _missing(c) else f"{t} ({c})" for t, c in zip(sentences, extra, strict=True)]
        else:
            said_at[at] = len(said) + inverse
            said += [sentence_of[v] for v in value_text]
    return (shown, shown_at), (said, said_at)


def _distinct(column: pd.Series, rows: np.ndarray, known) -> tuple[list, np.ndarray]:
    """The distinct values of ``column`` at ``rows`` (as Python objects, as ``to_numpy(dtype=object)`` gives them;
    outside ``known`` → None) and each row's index into them. Floats are told apart by their bits (0.0 from -0.0),
    missing values by their kind (None, NaN, ``pd.NA``)."""
    if known is None and isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":  # no missing but NaN
        values = column.to_numpy()[rows]
        keys = values.view(f"i{values.itemsize}") if values.dtype.kind == "f" else values
        _, index, inverse = np.unique(keys, return_index=True, return_inverse=True)
        return values[index].tolist(), inverse
    if known is not None:  # a category: its training value, or None for anything else (missing too)
        codes, uniques = pd.factorize(column.take(rows), use_na_sentinel=True)
        allowed = set(known)
        first = [u if u in allowed else None for u in np.asarray(uniques, dtype=object).tolist()] + [None]
        return first, np.where(codes < 0, len(first) - 1, codes)
    values = column.to_numpy(dtype=object)[rows]
    key: dict[tuple, int] = {}
    first: list = []
    inverse = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values.tolist()):
        k = (type(v), None if is_missing(v) else v)
        j = key.get(k)
        if j is None:
            j = key[k] = len(first)
            first.append(v)
        inverse[i] = j
    return first, inverse


def _first_positions(inverse: np.ndarray, n: int) -> np.ndarray:
    first = np.full(n, len(inverse))
    np.minimum.at(first, inverse, np.arange(len(inverse)))
    return first


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
    ``reason_code_1..k``, and ``reasons_json`` with every reason (code, text, points, log-odds). Strings are
    joined by Arrow, and each distinct number and text formatted once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    code_order = pd.factorize(reasons["code"], sort=True)[0]
    by_lead = reasons["row"].to_numpy(dtype=np.int64)
    strongest_first = np.lexsort((code_order, -reasons["log_odds"].abs().to_numpy(), by_lead))
    ordered = reasons[["row", "code", "text", "points", "log_odds"]].iloc[strongest_first]
    rows = ordered["row"].to_numpy(dtype=np.int64)
    slot = np.arange(len(rows)) - np.searchsorted(rows, rows)  # place among the lead's reasons
    codes = pa.array(ordered["code"]).cast(pa.string())
    texts = ordered["text"]
    points = np.round(ordered["points"].to_numpy(dtype=float), 1)
    log_odds = np.round(ordered["log_odds"].to_numpy(dtype=float), 4)
    sentences = pa.array(texts).cast(pa.string())
    shown = pc.binary_join_element_wise(_formatted(points, lambda p: f"{p:+.0f} pts: "), sentences, "")
    items = pc.binary_join_element_wise(
        '{"code":"', codes, '","text":', _formatted(texts, lambda t: json.dumps(t, ensure_ascii=False)),
        ',"points":', _formatted(points, repr), ',"log_odds":', _formatted(log_odds, repr), "}", "",
    )  # fmt: skip
    per_lead = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(index)))]).astype(np.int32)
    listed = pc.binary_join(pa.ListArray.from_arrays(pa.array(per_lead), items), ",")
    takes = []
    for i in range(top_k):  # the lead's i-th reason, or none
        at = np.full(len(index), -1)
        at[rows[slot == i]] = np.flatnonzero(slot == i)
        takes.append(pa.array(at, mask=at < 0))
    columns = {f"reason_{i + 1}": pc.take(shown, take) for i, take in enumerate(takes)}
    columns |= {f"reason_code_{i + 1}": pc.take(codes, take) for i, take in enumerate(takes)}
    columns["reasons_json"] = pc.binary_join_element_wise("[", listed, "]", "")
    return pd.DataFrame({c: pd.array(pc.fill_null(v, ""), dtype="string") for c, v in columns.items()}, index=index)


def _formatted(values: np.ndarray | pd.Series, fmt):
    """``fmt`` of each value as an Arrow string array, called once per distinct value (floats told apart by their
    bits: -0.0 is not 0.0)."""
    import pyarrow as pa

    if isinstance(values, pd.Series):  # text
        codes, distinct = pd.factorize(values)
        distinct = distinct.tolist()
    else:
        distinct, codes = _distinct(pd.Series(values), np.arange(len(values)), None)
    return pa.array([fmt(v) for v in distinct], pa.string()).take(pa.array(codes))


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
