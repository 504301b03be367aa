"""Exact path-dependent TreeSHAP for LightGBM models made of small trees, by table lookup.

A tree's SHAP vector depends on a row only through the left/right decision at each of its internal nodes
(on the row's path or not). So for a tree with ``m <= max_nodes`` internal nodes, :meth:`TreeShap.from_booster`
tabulates ``phi[pattern, feature]`` for all ``2**m`` decision patterns once, by brute-force Shapley over the
tree's distinct features with ``v(S)`` the cover-weighted expectation of Lundberg et al.'s Algorithm 1 (the
game LightGBM's ``pred_contrib`` solves). :meth:`TreeShap.contributions` then computes every distinct node
decision once per row (vectorised, exactly as LightGBM decides), forms each tree's pattern index, gathers
from the tables and sums per feature. Iterations holding a bigger tree are left to LightGBM's
``pred_contrib`` (only those iterations), so results stay exact whatever the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import factorial
from typing import Any

import numpy as np
import pandas as pd

_KINDS = {"None": 0, "Zero": 1, "NaN": 2}  # numerical missing types; categorical decisions are kind 3
_CATEGORICAL = 3
_ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (a float literal)


@dataclass(frozen=True, eq=False)
class TreeShap:
    """SHAP contributions of a single-output LightGBM model, same layout as ``pred_contrib``.

    Build it with :meth:`from_booster`. The compiled state is plain numpy arrays (plus the booster itself only
    when some iterations are left to LightGBM)."""

    n_features: int
    expected_value: float  # sum of the tabulated trees' expected values
    pandas_categorical: list | None  # the booster's categories per categorical column (LightGBM remaps to them)
    # distinct node decisions, in blocks of one (feature, kind); kind: missing type, or 3 for categorical
    block_start: np.ndarray  # (n_blocks + 1,) decision offsets
    block_feature: np.ndarray
    block_kind: np.ndarray
    threshold: np.ndarray  # per decision (numerical)
    default_left: np.ndarray  # per decision (numerical)
    category_left: np.ndarray  # (n_decisions, n_codes + 2) bool: column c + 1 = code c goes left (categorical)
    # tabulated trees, most internal nodes first
    tree_nodes: np.ndarray  # (n_tabulated, max_nodes) decision of the tree's i-th internal node (pre-order), -1 pad
    n_with_bit: np.ndarray  # (max_nodes,) how many trees have an i-th internal node
    n_trees: int  # trees in the model
    tree_index: np.ndarray  # (n_tabulated,) index in the model
    pattern_leaf: np.ndarray  # (n_tabulated, 2**max_nodes) leaf reached per decision pattern
    # one slot per (tabulated tree, feature it splits on), sorted by feature
    slot_tree: np.ndarray
    slot_base: np.ndarray  # offset of the slot's column (one value per pattern) in ``table``
    table: np.ndarray
    feature_start: np.ndarray  # (n_used + 1,) slot offsets of each used feature
    used_features: np.ndarray  # (n_used,)
    fallback_runs: np.ndarray  # (n_runs, 2) first iteration and count of iterations left to LightGBM
    booster: Any = None

    # ---------------------------------------------------------------------------------- compiling

    @classmethod
    def from_booster(cls, booster, max_nodes: int = 4) -> TreeShap:
        """Compile ``booster`` (a ``lightgbm.Booster``); trees with more than ``max_nodes`` (<= 8) internal
        nodes are left to LightGBM."""
        if not 0 <= max_nodes <= 8:
            raise ValueError("max_nodes must be between 0 and 8")
        model = booster.dump_model()
        if model["num_tree_per_iteration"] != 1 or model.get("average_output"):
            raise ValueError("TreeShap handles single-output boosted models only (not multiclass nor random forest)")
        n_features = model["max_feature_idx"] + 1
        decisions: dict[tuple, int] = {}
        trees, fallback, expected = [], [], 0.0
        for info in model["tree_info"]:
            root = info["tree_structure"]
            internal = _internal_nodes(root)
            if len(internal) > max_nodes:
                fallback.append(info["tree_index"])
                continue
            if not internal:
                expected += root["leaf_value"]
                continue
            keys = [decisions.setdefault(_decision_key(n), len(decisions)) for n in internal]
            feats = sorted({n["split_feature"] for n in internal})
            trees.append((keys, feats, _shapley_table(root, internal, feats), info["tree_index"], _leaf_of(internal)))
            expected += _expected_value(root)

        # distinct decisions, sorted into blocks of one (feature, kind) each
        order = sorted(decisions, key=lambda k: k[:2])
        rank = {decisions[k]: i for i, k in enumerate(order)}
        d_feature = np.array([k[0] for k in order], dtype=np.int64)
        d_kind = np.array([k[1] for k in order], dtype=np.int64)
        starts = _starts(d_feature * 4 + d_kind)
        threshold = np.array([k[2] if k[1] != _CATEGORICAL else np.nan for k in order], dtype=np.float64)
        default_left = np.array([k[3] if k[1] != _CATEGORICAL else False for k in order], dtype=bool)
        n_codes = max([max(k[2], default=-1) + 1 for k in order if k[1] == _CATEGORICAL], default=0)
        # category lookup: column 0 = missing / negative, column c + 1 = code c, last column = code too large
        category_left = np.zeros((len(order), n_codes + 2), dtype=bool)
        for i, k in enumerate(order):
            if k[1] == _CATEGORICAL:
                category_left[i, np.asarray(k[2], dtype=np.int64) + 1] = True

        # trees sorted by node count (descending) so that bit i only touches a prefix of them
        trees.sort(key=lambda t: -len(t[0]))
        tree_nodes = np.full((len(trees), max_nodes), -1, dtype=np.int64)
        pattern_leaf = np.full((len(trees), 1 << max_nodes), -1, dtype=np.int64)
        for t, (keys, *_, leaf) in enumerate(trees):
            tree_nodes[t, : len(keys)] = [rank[k] for k in keys]
            pattern_leaf[t, : len(leaf)] = leaf
        n_with_bit = (tree_nodes >= 0).sum(axis=0)

        # one slot per (tree, feature): its column of the table; slots sorted by feature
        slots = sorted(((f, t, j) for t, (_, feats, *_) in enumerate(trees) for j, f in enumerate(feats)))
        columns = [trees[t][2][:, j] for _, t, j in slots]
        slot_base = np.cumsum([0] + [len(c) for c in columns[:-1]]).astype(np.intp)
        slot_feature = np.array([f for f, _, _ in slots], dtype=np.int64)
        feature_start = _starts(slot_feature)
        fallback_runs = _runs(fallback)
        return cls(
            n_features=n_features,
            expected_value=expected,
            pandas_categorical=model.get("pandas_categorical"),
            block_start=np.r_[starts, len(order)].astype(np.int64),
            block_feature=d_feature[starts],
            block_kind=d_kind[starts],
            threshold=threshold,
            default_left=default_left,
            category_left=category_left,
            tree_nodes=tree_nodes,
            n_with_bit=n_with_bit,
            n_trees=len(model["tree_info"]),
            tree_index=np.array([t[3] for t in trees], dtype=np.intp),
            pattern_leaf=pattern_leaf,
            slot_tree=np.array([t for _, t, _ in slots], dtype=np.intp),
            slot_base=slot_base,
            table=np.concatenate(columns) if columns else np.zeros(0),
            feature_start=np.r_[feature_start, len(slots)].astype(np.intp),
            used_features=slot_feature[feature_start],
            fallback_runs=fallback_runs,
            booster=booster if len(fallback_runs) else None,
        )

    # ---------------------------------------------------------------------------------- predicting

    def contributions(self, data: pd.DataFrame | np.ndarray, chunk_rows: int = 2048) -> np.ndarray:
        """SHAP values, shape ``(n_rows, n_features + 1)``, last column the expected value (as ``pred_contrib``).

        ``data``: the frame LightGBM was given (numeric and pandas categorical columns, in training order) or
        a float array with categorical codes (NaN = missing). Rows go in chunks of ``chunk_rows`` so that the
        working arrays stay in cache."""
        out = np.zeros((len(data), self.n_features + 1))
        out[:, -1] = self.expected_value
        bounds = list(zip(self.feature_start[:-1], self.feature_start[1:], strict=True))
        phi = np.empty((len(bounds), max(min(chunk_rows, len(data)), 2)))
        for start, stop, block in self._blocks(data, chunk_rows):
            # numpy adds a single column's entries pairwise but several columns' entries one after the other: a
            # lone row goes in twice, so that a lead explained alone gets the bits it gets in a batch
            block = np.repeat(block, 2, axis=1) if stop - start == 1 else block
            patterns = self._patterns(self._decisions(block))
            for u, (lo, hi) in enumerate(bounds):  # per feature: gather its slots' table entries and add them up
                index = self.slot_base[lo:hi, None] + patterns[self.slot_tree[lo:hi]]
                np.take(self.table, index).sum(axis=0, out=phi[u, : block.shape[1]])
            out[start:stop, self.used_features] = phi[:, : stop - start].T
        for first, count in self.fallback_runs:
            out += self.booster.predict(data, pred_contrib=True, start_iteration=first, num_iteration=count)
        return out

    def leaves(self, data: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Leaf index per row and tree implied by the decisions (``pred_leaf`` layout; -1 for trees not tabulated:
        single leaves and those left to LightGBM). A check of :meth:`contributions`' decisions."""
        out = np.full((len(data), self.n_trees), -1, dtype=np.int64)
        trees = np.arange(len(self.tree_nodes))[:, None]
        for start, stop, block in self._blocks(data, 4096):
            out[start:stop, self.tree_index] = self.pattern_leaf[trees, self._patterns(self._decisions(block))].T
        return out

    def _blocks(self, data: pd.DataFrame | np.ndarray, chunk_rows: int) -> Iterator[tuple[int, int, np.ndarray]]:
        """(start, stop, features of those rows as a (n_features, rows) float64 array), as LightGBM sees them:
        categorical codes (NaN = missing), near-zero values read as 0."""
        if isinstance(data, pd.DataFrame):
            features = []
            categories = iter(self.pandas_categorical or [])
            for _, col in data.items():
                if isinstance(col.dtype, pd.CategoricalDtype):
                    known = next(categories, None)
                    if known is not None and list(col.cat.categories) != list(known):
                        col = col.cat.set_categories(known)
                    codes = col.cat.codes.to_numpy()
                    features.append(np.where(codes < 0, np.nan, codes))
                elif isinstance(col.dtype, np.dtype):
                    features.append(col.to_numpy(dtype=np.float64))
                else:  # nullable extension types: <NA> -> NaN
                    features.append(col.to_numpy(dtype=np.float64, na_value=np.nan))
        else:
            features = list(np.asarray(data, dtype=np.float64).T)
        if len(features) != self.n_features:
            raise ValueError(f"expected {self.n_features} features, got {len(features)}")
        for start in range(0, len(data), chunk_rows):
            stop = min(start + chunk_rows, len(data))
            block = np.stack([f[start:stop] for f in features])
            np.putmask(block, np.abs(block) <= _ZERO, 0.0)  # LightGBM drops near-zero values from a row
            yield start, stop, block

    def _decisions(self, columns: np.ndarray) -> np.ndarray:
        """(n_decisions, n_rows) uint8: 1 where the row goes left, as LightGBM's Numerical/CategoricalDecision."""
        out = np.empty((len(self.threshold), columns.shape[1]), dtype=bool)
        for b, (feature, kind) in enumerate(zip(self.block_feature, self.block_kind, strict=True)):
            lo, hi = self.block_start[b], self.block_start[b + 1]
            x = columns[feature]
            missing = np.isnan(x)
            if kind == _CATEGORICAL:
                # static_cast<int>: truncation toward zero; NaN and negatives go right (column 0)
                code = np.trunc(np.clip(np.where(missing, -1.0, x), -1, self.category_left.shape[1])).astype(np.int64)
                np.take(self.category_left[lo:hi], code + 1, axis=1, out=out[lo:hi], mode="clip")
                continue
            if kind != _KINDS["NaN"]:
                x = np.where(missing, 0.0, x)
            np.less_equal(x, self.threshold[lo:hi, None], out=out[lo:hi])
            special = missing if kind == _KINDS["NaN"] else x == 0.0 if kind == _KINDS["Zero"] else None
            if special is not None and special.any():
                out[lo:hi, special] = self.default_left[lo:hi, None]
        return out.view(np.uint8)

    def _patterns(self, decisions: np.ndarray) -> np.ndarray:
        """(n_trees, n_rows) pattern index: bit i = decision at the tree's i-th internal node (pre-order)."""
        patterns = np.zeros((len(self.tree_nodes), decisions.shape[1]), dtype=np.uint8)
        for bit, n in enumerate(self.n_with_bit):
            patterns[:n] |= decisions[self.tree_nodes[:n, bit]] << bit
        return patterns


# ------------------------------------------------------------------------------------------ compile helpers


def _internal_nodes(node: dict) -> list[dict]:
    if "split_index" not in node:
        return []
    return [node, *_internal_nodes(node["left_child"]), *_internal_nodes(node["right_child"])]


def _leaf_of(internal: list[dict]) -> list[int]:
    """Leaf index reached for each decision pattern (bit i = go left at ``internal[i]``)."""
    bit = {id(node): i for i, node in enumerate(internal)}
    out = []
    for pattern in range(1 << len(internal)):
        node = internal[0]
        while "split_index" in node:
            node = node["left_child"] if pattern >> bit[id(node)] & 1 else node["right_child"]
        out.append(node["leaf_index"])
    return out


def _decision_key(node: dict) -> tuple:
    if node["decision_type"] == "==":
        categories = tuple(sorted(int(c) for c in str(node["threshold"]).split("||")))
        return (node["split_feature"], _CATEGORICAL, categories, False)
    return (node["split_feature"], _KINDS[node["missing_type"]], float(node["threshold"]), bool(node["default_left"]))


def _count(node: dict) -> float:
    return node["internal_count"] if "split_index" in node else node["leaf_count"]


def _expected_value(root: dict) -> float:
    """As LightGBM's Tree::ExpectedValue: leaf values weighted by leaf count / root count."""
    leaves, stack = [], [root]
    while stack:
        node = stack.pop()
        stack.extend([node["left_child"], node["right_child"]] if "split_index" in node else [])
        leaves += [] if "split_index" in node else [node]
    total = root["internal_count"]
    return sum(leaf["leaf_count"] / total * leaf["leaf_value"] for leaf in leaves)


def _shapley_table(root: dict, internal: list[dict], feats: list[int]) -> np.ndarray:
    """phi[pattern, j] for feature ``feats[j]``; bit i of pattern = go left at ``internal[i]``."""
    n_patterns, m = 1 << len(internal), len(feats)
    bit = {id(node): i for i, node in enumerate(internal)}
    position = {f: j for j, f in enumerate(feats)}
    left = (np.arange(n_patterns)[:, None] >> np.arange(len(internal))) & 1 == 1

    def value(node: dict, subset: int) -> np.ndarray:  # Algorithm 1 EXPVALUE, for every pattern at once
        if "split_index" not in node:
            return np.full(n_patterns, node["leaf_value"])
        lo, hi = node["left_child"], node["right_child"]
        a, b = value(lo, subset), value(hi, subset)
        if subset >> position[node["split_feature"]] & 1:
            return np.where(left[:, bit[id(node)]], a, b)
        return (_count(lo) * a + _count(hi) * b) / node["internal_count"]

    v = [value(root, s) for s in range(1 << m)]
    weight = [factorial(s) * factorial(m - s - 1) / factorial(m) for s in range(m)]
    phi = np.zeros((n_patterns, m))
    for j in range(m):
        for s in range(1 << m):
            if not s >> j & 1:
                phi[:, j] += weight[s.bit_count()] * (v[s | 1 << j] - v[s])
    return phi


def _starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts."""
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, dtype=np.int64)


def _runs(indices: list[int]) -> np.ndarray:
    """Sorted iteration indices -> (first, count) rows of consecutive runs."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1][1] += 1
        else:
            runs.append([i, 1])
    return np.array(runs, dtype=np.int64).reshape(-1, 2)
