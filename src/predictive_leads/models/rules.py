"""Rule-based points scoring: the tables marketers use today, as data you can print, diff and export.

A :class:`PointsTable` is a list of rules (conditions on feature/attribute columns with positive or negative
points), optional groups with caps (fit vs engagement, as HubSpot does), a score range to clip to, and tiers
(MQL ≥ 50, SQL ≥ 80, …). It is loaded from YAML (or a dict), checked when loaded — an unknown column, an
impossible condition or a non-numeric threshold is a one-line error naming the rule — and written back to
the same YAML, so a learned table and a hand-written one are interchangeable.

**Score decay.** Rules on windowed features (``pricing_page_view_30d >= 1``) stop firing when the activity
ages out of the window, so inactivity lowers the score without any special mechanism; pair them with a
negative rule on the lack of recent activity (``events_30d == 0``) for an explicit decay.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.base import BaseEstimator
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

NUMERIC_OPS = (">=", "<=", ">", "<", "between")
OPS = ("==", "!=", "in", "not in", *NUMERIC_OPS, "contains", "regex", "is missing", "is present")
PRESET_PACKAGE = "predictive_leads.models.presets"


class RuleError(ValueError):
    """A points table that cannot be right: the message names the rule and the problem."""


@dataclass(frozen=True)
class Condition:
    """``column op value``; a rule fires when all its conditions hold (missing values never satisfy a test)."""

    column: str
    op: str
    value: object = None

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        col = frame[self.column]
        missing = col.isna().to_numpy()
        if self.op == "is missing":
            return missing
        if self.op == "is present":
            return ~missing
        if self.op in NUMERIC_OPS:
            x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                if self.op == "between":
                    lo, hi = self.value
                    return (x >= lo) & (x <= hi)
                return {">=": x >= self.value, "<=": x <= self.value, ">": x > self.value, "<": x < self.value}[self.op]
        text = col.astype("string")
        if self.op == "contains":
            return text.str.contains(str(self.value), case=False, regex=False).fillna(False).to_numpy(bool)
        if self.op == "regex":
            return text.str.contains(str(self.value), case=False, regex=True).fillna(False).to_numpy(bool)
        values = [self.value] if self.op in ("==", "!=") else list(self.value)
        hit = _isin(col, values)
        return (hit if self.op in ("==", "in") else ~hit) & ~missing

    def to_dict(self) -> dict:
        out = {"column": self.column, "op": self.op}
        if self.op not in ("is missing", "is present"):
            out["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
        return out


def _isin(col: pd.Series, values: list) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
        return col.isin(values).to_numpy(bool)
    return col.astype("string").isin([str(v) for v in values]).fillna(False).to_numpy(bool)


@dataclass(frozen=True)
class Rule:
    id: str
    when: tuple[Condition, ...]
    points: int
    group: str | None = None
    reason: str = ""

    def to_dict(self) -> dict:
        out = {"id": self.id, "points": self.points}
        if self.group:
            out["group"] = self.group
        out["when"] = [c.to_dict() for c in self.when]
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Group:
    name: str
    max: float | None = None
    min: float | None = None


@dataclass(frozen=True)
class Tier:
    name: str
    min_score: float


@dataclass(frozen=True)
class PointsTable:
    """A complete points system: rules, group caps, score range and tiers."""

    name: str
    rules: tuple[Rule, ...]
    groups: tuple[Group, ...] = ()
    tiers: tuple[Tier, ...] = ()
    score_range: tuple[float, float] = (1, 100)
    description: str = ""
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def columns(self) -> list[str]:
        return sorted({c.column for r in self.rules for c in r.when})

    @classmethod
    def from_dict(cls, data: Mapping, *, columns=None) -> PointsTable:
        """Build and check a table. ``columns``: the column names (or name → allowed values) it will score."""
        return _parse_table(data, columns)

    @classmethod
    def from_yaml(cls, path: str | Path, *, columns=None) -> PointsTable:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise RuleError(f"{path.name}: not valid YAML ({str(exc).splitlines()[0]})") from None
        if not isinstance(data, Mapping):
            raise RuleError(f"{path.name}: expected a mapping with name, rules, tiers")
        try:
            return cls.from_dict(data, columns=columns)
        except RuleError as exc:
            raise RuleError(f"{path.name}: {exc}") from None

    def to_dict(self) -> dict:
        out: dict = {"name": self.name}
        if self.description:
            out["description"] = self.description
        if self.source:
            out["source"] = self.source
        out["score_range"] = list(self.score_range)
        if self.groups:
            out["groups"] = {
                g.name: {k: v for k, v in (("max", g.max), ("min", g.min)) if v is not None} for g in self.groups
            }
        out["tiers"] = [{"name": t.name, "min": t.min_score} for t in self.tiers]
        out["rules"] = [r.to_dict() for r in self.rules]
        if self.meta:
            out["meta"] = self.meta
        return out

    def to_yaml(self) -> str:
        """The table as YAML text (what :meth:`from_yaml` reads back; write it with ``data.files.write_text``)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=110)

    def to_frame(self) -> pd.DataFrame:
        """The points table as rows: rule, group, condition, points, reason."""
        return pd.DataFrame(
            {
                "rule": [r.id for r in self.rules],
                "group": [r.group or "" for r in self.rules],
                "condition": [" and ".join(_describe(c) for c in r.when) for r in self.rules],
                "points": [r.points for r in self.rules],
                "reason": [r.reason for r in self.rules],
            }
        )

    # ----------------------------------------------------------------------------------- scoring

    def points(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(fired matrix rows × rules, clipped integer scores)."""
        _require_columns(self, frame.columns)
        fired = np.column_stack([_fires(r, frame) for r in self.rules]) if self.rules else np.zeros((len(frame), 0))
        pts = np.array([r.points for r in self.rules], dtype=float)
        total = np.zeros(len(frame))
        for group in self._group_names():
            members = np.array([(r.group or "") == group for r in self.rules])
            subtotal = fired[:, members].astype(float) @ pts[members] if members.any() else np.zeros(len(frame))
            g = self._group(group)
            if g is not None:
                subtotal = np.clip(
                    subtotal, g.min if g.min is not None else -np.inf, g.max if g.max is not None else np.inf
                )
            total += subtotal
        lo, hi = self.score_range
        return fired, np.clip(np.round(total), lo, hi).astype(int)

    def tier_of(self, scores: np.ndarray) -> np.ndarray:
        """Name of the highest tier whose minimum each score reaches ('' when none)."""
        out = np.full(len(scores), "", dtype=object)
        for tier in sorted(self.tiers, key=lambda t: t.min_score):
            out[scores >= tier.min_score] = tier.name
        return out

    def _group_names(self) -> list[str]:
        return sorted({r.group or "" for r in self.rules})

    def _group(self, name: str) -> Group | None:
        return next((g for g in self.groups if g.name == name), None)


def _fires(rule: Rule, frame: pd.DataFrame) -> np.ndarray:
    hit = np.ones(len(frame), dtype=bool)
    for cond in rule.when:
        hit &= cond.mask(frame)
    return hit


def _describe(c: Condition) -> str:
    if c.op in ("is missing", "is present"):
        return f"{c.column} {c.op}"
    value = f"[{c.value[0]}, {c.value[1]}]" if c.op == "between" else c.value
    return f"{c.column} {c.op} {value}"


def _require_columns(table: PointsTable, available) -> None:
    missing = [c for c in table.columns if c not in set(available)]
    if missing:
        raise RuleError(f"points table '{table.name}' needs column(s) the data lacks: {', '.join(missing)}")


# ------------------------------------------------------------------------------------------ parsing


def _parse_table(data: Mapping, columns) -> PointsTable:
    known = {"name", "description", "source", "score_range", "groups", "tiers", "rules", "meta"}
    extra = sorted(set(data) - known)
    if extra:
        raise RuleError(f"unknown top-level key(s) {', '.join(extra)}; expected {', '.join(sorted(known))}")
    name = str(data.get("name") or "").strip()
    if not name:
        raise RuleError("the table needs a name")
    groups = tuple(_parse_group(k, v) for k, v in (data.get("groups") or {}).items())
    rng = data.get("score_range", [1, 100])
    if not (isinstance(rng, Sequence) and len(rng) == 2 and all(_is_number(x) for x in rng) and rng[0] < rng[1]):
        raise RuleError(f"score_range must be [low, high] numbers with low < high, got {rng!r}")
    tiers = tuple(_parse_tier(t) for t in data.get("tiers") or [])
    if len({t.name for t in tiers}) != len(tiers):
        raise RuleError("tier names must be unique")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RuleError("the table needs a non-empty list of rules")
    rules = tuple(_parse_rule(r, i, {g.name for g in groups}, columns) for i, r in enumerate(raw_rules))
    ids = [r.id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise RuleError(f"duplicate rule id(s): {', '.join(dup)}")
    return PointsTable(
        name=name,
        rules=rules,
        groups=groups,
        tiers=tiers,
        score_range=(float(rng[0]), float(rng[1])),
        description=str(data.get("description") or ""),
        source=str(data.get("source") or ""),
        meta=dict(data.get("meta") or {}),
    )


def _is_number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and np.isfinite(x)


def _parse_group(name, spec) -> Group:
    spec = spec or {}
    if not isinstance(spec, Mapping) or set(spec) - {"max", "min"}:
        raise RuleError(f"group '{name}': expected a mapping with max and/or min")
    for key in ("max", "min"):
        if key in spec and not _is_number(spec[key]):
            raise RuleError(f"group '{name}': {key} must be a number, got {spec[key]!r}")
    if "max" in spec and "min" in spec and spec["min"] > spec["max"]:
        raise RuleError(f"group '{name}': min {spec['min']} is above max {spec['max']}")
    return Group(str(name), spec.get("max"), spec.get("min"))


def _parse_tier(spec) -> Tier:
    if not isinstance(spec, Mapping) or "name" not in spec or "min" not in spec:
        raise RuleError(f"each tier needs a name and a min, got {spec!r}")
    if not _is_number(spec["min"]):
        raise RuleError(f"tier '{spec['name']}': min must be a number, got {spec['min']!r}")
    return Tier(str(spec["name"]), float(spec["min"]))


def _parse_rule(spec, index: int, groups: set[str], columns) -> Rule:
    if not isinstance(spec, Mapping):
        raise RuleError(f"rule #{index + 1}: expected a mapping with id, points and when")
    rid = str(spec.get("id") or f"rule_{index + 1}")
    where = f"rule '{rid}'"
    extra = sorted(set(spec) - {"id", "points", "group", "when", "reason"})
    if extra:
        raise RuleError(f"{where}: unknown key(s) {', '.join(extra)}")
    points = spec.get("points")
    if not _is_number(points) or points != int(points):
        raise RuleError(f"{where}: points must be a whole number, got {points!r}")
    group = spec.get("group")
    if group is not None and groups and group not in groups:
        raise RuleError(f"{where}: group '{group}' is not declared (groups: {', '.join(sorted(groups))})")
    when = spec.get("when")
    when = [when] if isinstance(when, Mapping) else when
    if not when:
        raise RuleError(f"{where}: needs a condition under 'when'")
    conditions = tuple(_parse_condition(c, where, columns) for c in when)
    return Rule(rid, conditions, int(points), group, str(spec.get("reason") or ""))


def _parse_condition(spec, where: str, columns) -> Condition:
    if not isinstance(spec, Mapping) or "column" not in spec or "op" not in spec:
        raise RuleError(f"{where}: each condition needs a column and an op, got {spec!r}")
    column, op, value = str(spec["column"]), str(spec["op"]).strip().lower(), spec.get("value")
    if op not in OPS:
        raise RuleError(f"{where}: unknown op '{op}'; use one of {', '.join(OPS)}")
    _check_column(column, where, columns)
    if op in (">=", "<=", ">", "<") and not _is_number(value):
        raise RuleError(f"{where}: threshold for '{column} {op}' must be a number, got {value!r}")
    if op == "between":
        if not (isinstance(value, Sequence) and len(value) == 2 and all(_is_number(v) for v in value)):
            raise RuleError(f"{where}: 'between' needs [low, high] numbers, got {value!r}")
        if value[0] > value[1]:
            raise RuleError(f"{where}: impossible condition {column} between {value[0]} and {value[1]}")
        value = (value[0], value[1])
    if op in ("in", "not in"):
        if not isinstance(value, Sequence) or isinstance(value, str) or not value:
            raise RuleError(f"{where}: '{op}' needs a non-empty list of values, got {value!r}")
        value = tuple(value)
    if op in ("==", "!=", "contains", "regex") and value is None:
        raise RuleError(f"{where}: '{op}' needs a value")
    if op == "regex":
        try:
            re.compile(str(value))
        except re.error as exc:
            raise RuleError(f"{where}: invalid regex {value!r} ({exc})") from None
    _check_values(column, op, value, where, columns)
    return Condition(column, op, value)


def _check_column(column: str, where: str, columns) -> None:
    if columns is None or column in columns:
        return
    close = difflib.get_close_matches(column, list(columns), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise RuleError(f"{where}: unknown column '{column}'{hint}")


def _check_values(column: str, op: str, value, where: str, columns) -> None:
    """Equality tests on a closed set of values must name a value that can occur."""
    allowed = columns.get(column) if isinstance(columns, Mapping) else None
    if not allowed or op not in ("==", "in"):
        return
    wanted = [value] if op == "==" else list(value)
    impossible = [v for v in wanted if str(v) not in {str(a) for a in allowed}]
    if impossible:
        raise RuleError(
            f"{where}: impossible condition, {column} is never {', '.join(map(repr, impossible))} "
            f"(values: {', '.join(map(str, allowed))})"
        )


# ------------------------------------------------------------------------------------------ presets


def preset_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files(PRESET_PACKAGE).iterdir() if p.name.endswith(".yaml"))


def load_table(table, *, columns=None) -> PointsTable:
    """A preset name, a YAML path, a dict or a :class:`PointsTable`, checked against ``columns``."""
    if isinstance(table, PointsTable):
        return table if columns is None else PointsTable.from_dict(table.to_dict(), columns=columns)
    if isinstance(table, Mapping):
        return PointsTable.from_dict(table, columns=columns)
    if isinstance(table, str) and table in preset_names():
        text = resources.files(PRESET_PACKAGE).joinpath(f"{table}.yaml").read_text()
        try:
            return PointsTable.from_dict(yaml.safe_load(text), columns=columns)
        except RuleError as exc:
            raise RuleError(f"preset {table}: {exc}") from None
    path = Path(table)
    if not path.exists():
        raise RuleError(f"no preset or file named {str(table)!r}; presets: {', '.join(preset_names())}")
    return PointsTable.from_yaml(path, columns=columns)


# ------------------------------------------------------------------------------------------ estimator


def classifier_tags(tags):
    """scikit-learn's tags of a binary classifier (``is_classifier``; ``roc_auc`` scoring uses
    ``decision_function``/``predict_proba``) whose ``y`` is optional, for estimators that skip ``ClassifierMixin``
    because its ``score`` (accuracy) would be mistaken for the lead score."""
    from sklearn.utils import ClassifierTags

    tags.estimator_type = "classifier"
    tags.classifier_tags = ClassifierTags(multi_class=False)
    tags.target_tags.required = False
    return tags


def lead_frame(X, estimator, *, fitting: bool) -> pd.DataFrame:
    """``X`` as the frame a points table scores. A DataFrame with named columns as it is (the table finds its
    columns by name). An array, or a frame whose columns are not all names (``pd.DataFrame(array)``), is checked
    like scikit-learn checks it and named like the frame the estimator was fitted on, or ``x0, x1, …`` when it
    was fitted on an array (or is being fitted on one)."""
    name = type(estimator).__name__
    if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
        return X
    if not isinstance(X, pd.DataFrame):
        X = check_array(X, dtype=None, ensure_all_finite=False, estimator=name)
    width = X.shape[1]
    if fitting:
        columns = [f"x{i}" for i in range(width)]
    else:
        if width != estimator.n_features_in_:
            raise ValueError(f"X has {width} features, but {name} is expecting {estimator.n_features_in_} features "
                             "as input")  # fmt: skip
        names = getattr(estimator, "feature_names_in_", None)
        columns = list(names) if names is not None else [f"x{i}" for i in range(width)]
    if isinstance(X, pd.DataFrame):
        return X.set_axis(columns, axis=1)
    frame = pd.DataFrame(X, columns=columns)
    return frame.infer_objects() if X.dtype == object else frame  # numbers held as objects are numbers


def record_features(estimator, X, frame: pd.DataFrame) -> None:
    """``n_features_in_``, and ``feature_names_in_`` when ``X`` came with column names (scikit-learn's rule)."""
    estimator.n_features_in_ = frame.shape[1]
    if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
        estimator.feature_names_in_ = np.asarray(frame.columns, dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_  # refitted on an array: the names of an earlier fit no longer apply


def binary_classes(y, n: int, *, who: str, both: bool) -> tuple[np.ndarray, np.ndarray]:
    """(``classes_``, ``y`` as 0/1 with ``classes_[1]`` the conversion) of a binary target of ``n`` rows. Labels
    may be 0/1, booleans or any two values (the larger, e.g. ``"yes"`` over ``"no"``, is the conversion). With
    ``both=False`` a 0/1 target with one class only is accepted (the classes stay 0 and 1)."""
    y = column_or_1d(y, warn=True)
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)}")
    if pd.isna(y).any():
        raise ValueError(f"y is missing for {int(pd.isna(y).sum())} row(s): label every lead 0/1 (converted or not)")
    kind = type_of_target(y, input_name="y")
    if kind.startswith("multiclass"):
        raise ValueError(f"Only binary classification is supported. The type of the target is {kind}: {who} needs "
                         "0/1 (converted or not)")  # fmt: skip
    if kind != "binary":
        raise ValueError(f"Unknown label type: {kind}. {who} needs a binary target, 0/1 (converted or not)")
    classes = np.unique(y)
    if len(classes) < 2:
        zero_one = y.dtype.kind in "biuf" and set(classes) <= {0, 1}
        if both or not zero_one:
            raise ValueError(f"{who} needs both converted and not-converted leads in the training data "
                             f"(y has one class only: {', '.join(map(repr, classes))})")  # fmt: skip
        classes = np.array([0, 1], dtype=y.dtype)
    return classes, (y == classes[1]).astype(int)


def check_sample_weight(sample_weight, n: int) -> np.ndarray | None:
    """Non-negative finite weights, one per row (a scalar applies to every row)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=float)
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"sample_weight.shape == {w.shape}, expected {(n,)}!")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("sample_weight must be finite and non-negative")
    if n and not w.any():
        raise ValueError("sample_weight is zero for every row: nothing to fit on")
    return w


class RuleScorer(BaseEstimator):
    """Score leads with a points table. ``fit`` only checks the table against the data's columns (``y`` and
    ``sample_weight`` are checked but not used: the points are the team's, not learned).

    ``predict_score`` returns the clipped points, ``predict_tier`` the tier names and ``fired_rules`` which rules
    fired with their points (the rule baseline's own reasons). For scikit-learn (``cross_val_score(...,
    scoring="roc_auc")``, pipelines): ``decision_function`` is the points, ``predict_proba`` the points rescaled
    to [0, 1] by the table's score range — rank-preserving, **not** a calibrated probability —, and ``predict``
    the positive class (``classes_[1]``, 1 for a 0/1 target) where the points reach the table's lowest tier. A
    classifier for scikit-learn, but without ``score``: in lead scoring "score" means the points, not accuracy.

    The table finds its columns by name: a DataFrame may have more columns, in any order. An array is named like
    the frame ``fit`` saw (``feature_names_in_``), or ``x0, x1, …`` when fitted on an array, so a table over
    ``x0`` scores a plain matrix.
    """

    def __init__(self, *, table="behavioural"):
        self.table = table

    def __sklearn_tags__(self):
        tags = classifier_tags(super().__sklearn_tags__())
        tags.classifier_tags.poor_score = True  # the points are not learned from y
        tags.input_tags.allow_nan = True  # a missing value never satisfies a test; "is missing" rules score it
        tags.input_tags.categorical = tags.input_tags.string = True  # rules test categories and text too
        return tags

    def fit(self, X, y=None, sample_weight=None) -> RuleScorer:
        from predictive_leads.data.contracts import closed_values

        frame = lead_frame(X, self, fitting=True)
        if y is None:
            self.classes_ = np.array([0, 1])
        else:
            self.classes_, _ = binary_classes(y, len(frame), who="RuleScorer", both=False)
        check_sample_weight(sample_weight, len(frame))
        table = load_table(self.table)
        _require_columns(table, frame.columns)
        self.table_ = load_table(table, columns={c: closed_values(frame[c]) for c in table.columns})
        record_features(self, X, frame)
        return self

    def predict_score(self, X) -> np.ndarray:
        check_is_fitted(self, "table_")
        return self.table_.points(lead_frame(X, self, fitting=False))[1]

    def predict_tier(self, X) -> np.ndarray:
        return self.table_.tier_of(self.predict_score(X))

    def decision_function(self, X) -> np.ndarray:
        """The points (higher: more likely to convert)."""
        return self.predict_score(X).astype(float)

    def predict_proba(self, X) -> np.ndarray:
        """``[[1 - s, s]]`` with ``s`` the points rescaled to [0, 1] by the score range: for rank metrics, not a
        calibrated probability (train a model for that)."""
        points = self.decision_function(X)
        low, high = self.table_.score_range
        s = np.clip((points - low) / (high - low), 0.0, 1.0)
        return np.column_stack([1.0 - s, s])

    def predict(self, X) -> np.ndarray:
        """``classes_[1]`` (1 for a 0/1 target) where the points reach the table's lowest tier above the score
        floor (e.g. MQL, or warm when cold starts at the floor), else ``classes_[0]``."""
        scores = self.predict_score(X)
        floor, top = self.table_.score_range
        lowest = min((t.min_score for t in self.table_.tiers if t.min_score > floor), default=top)
        return self.classes_[(scores >= lowest).astype(int)]

    def fired_rules(self, X) -> pd.DataFrame:
        """Per lead: score, tier and the rules that fired, e.g. ``demo_request(+80); unsubscribed(-25)``."""
        check_is_fitted(self, "table_")
        X = lead_frame(X, self, fitting=False)
        fired, scores = self.table_.points(X)
        labels = np.array([f"{r.id}({r.points:+d})" for r in self.table_.rules], dtype=object)
        reasons = ["; ".join(labels[row]) for row in fired]
        return pd.DataFrame(
            {"rule_score": scores, "rule_tier": self.table_.tier_of(scores), "rules_fired": reasons}, index=X.index
        )
