"""The flat-export path on a real lead file: read, audit for leakage, drop, train LightGBM, measure AUC.

Reads the X Education lead export (``../shared/datasets/x_education/Leads.csv`` from the repository root, or
``--path``), runs ``read_flat_export`` → ``leakage_audit`` → ``apply_audit``, prints the audit table, then
trains one LightGBM with fixed parameters (no tuning) on three feature sets and prints two AUCs for each:

* out of time: ``Lead Number`` is the only proxy for time order, so train on the lowest 80 % of lead
  numbers and test on the highest 20 %;
* 5-fold stratified cross-validation (shuffled, fixed seed), the protocol of the dataset README's figures.

Feature sets: every column but the ids (what the audit protects against), the audit's default drops, and,
for reference only, the dataset README's full list of documented leaks removed by name. This is a
benchmark, not a test: it asserts nothing.

    .venv/bin/python benchmarks/x_education.py
    .venv/bin/python benchmarks/x_education.py --path /elsewhere/Leads.csv
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from predictive_leads.data.flat_export import read_flat_export
from predictive_leads.evaluation.leakage_audit import apply_audit, leakage_audit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATH = ROOT / "../shared/datasets/x_education/Leads.csv"  # read where it is, never copied
TARGET, ID, SEQUENCE = "Converted", "Prospect ID", "Lead Number"

# the dataset README's documented leaks: used ONLY for the reference row, never by the audit
DOCUMENTED_LEAKS = (
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Last Activity",
    "Last Notable Activity",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
)
README_FIGURES = (
    ("every column but the IDs", 0.984),
    ("without Tags, Lead Quality", 0.936),
    ("without all documented leaks", 0.871),
)

PARAMS = dict(
    n_estimators=400,
    learning_rate=0.03,
    num_leaves=31,
    min_child_samples=20,
    subsample=0.8,
    subsample_freq=1,
    colsample_bytree=0.8,
    reg_lambda=1.0,
    random_state=0,
    n_jobs=1,  # small data: threads cost more than they save, and one thread is reproducible
    verbose=-1,
)
OOT_TEST_SHARE = 0.2
N_FOLDS = 5


def model_frame(X: pd.DataFrame) -> pd.DataFrame:
    """LightGBM inputs: text columns as categories, everything else as it is."""
    return X.apply(lambda s: s.astype("category") if pd.api.types.is_string_dtype(s.dtype) else s)


def audit_text(audit: pd.DataFrame) -> str:
    """The audit table, left-aligned: column, check, metric, action, then the reason."""
    width = max([len("column"), *map(len, audit["column"].astype(str))])
    lines = [f"{'column':<{width}}  {'check':<26}  {'metric':>6}  action  reason"]
    for row in audit.itertuples(index=False):
        lines.append(f"{row.column:<{width}}  {row.check:<26}  {row.metric:>6.3f}  {row.action:<6}  {row.reason}")
    return "\n".join(lines)


def out_of_time_auc(X: pd.DataFrame, y: np.ndarray, sequence: pd.Series) -> float:
    """Train on the lowest 80 % of ``sequence``, AUC on the highest 20 %."""
    order = np.argsort(sequence.to_numpy(), kind="stable")
    cut = round(len(order) * (1 - OOT_TEST_SHARE))
    train, test = order[:cut], order[cut:]
    model = LGBMClassifier(**PARAMS).fit(X.iloc[train], y[train])
    return float(roc_auc_score(y[test], model.predict_proba(X.iloc[test])[:, 1]))


def cv_auc(X: pd.DataFrame, y: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of the 5-fold stratified AUC."""
    aucs = []
    for train, test in StratifiedKFold(N_FOLDS, shuffle=True, random_state=0).split(X, y):
        model = LGBMClassifier(**PARAMS).fit(X.iloc[train], y[train])
        aucs.append(roc_auc_score(y[test], model.predict_proba(X.iloc[test])[:, 1]))
    return float(np.mean(aucs)), float(np.std(aucs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH, help="the X Education Leads.csv")
    args = parser.parse_args(argv)
    if not args.path.exists():
        print(f"X Education lead file not found at {args.path}; pass --path to point at Leads.csv. Nothing to do.")
        return 0

    start = time.perf_counter()
    data = read_flat_export(args.path, target=TARGET, id_col=ID)
    read_s = time.perf_counter() - start
    print("\n".join(data.notes))
    start = time.perf_counter()
    audit = leakage_audit(data.X, data.y)
    audit_s = time.perf_counter() - start
    kept, dropped = apply_audit(data.X, audit)
    print(f"\nleakage audit ({audit_s:.2f} s; reading took {read_s:.2f} s): {len(audit)} columns flagged")
    print(audit_text(audit))
    print("\n".join(audit.attrs.get("notes", [])))
    print(f"\ndropped by the audit: {', '.join(dropped)}")
    documented = [c for c in DOCUMENTED_LEAKS if c in data.X]
    kept_suspects = [c for c in documented if c not in dropped]
    print(f"documented leaks/suspects the audit kept: {', '.join(kept_suspects) or 'none'}")

    sequence = data.X[SEQUENCE]
    feature_sets = {
        "every column but the IDs": data.X.drop(columns=[SEQUENCE]),
        "audit's default drops": kept.drop(columns=[SEQUENCE], errors="ignore"),
        "reference: documented leaks removed by name": data.X.drop(columns=[SEQUENCE, *documented]),
    }
    print(f"\nLightGBM {PARAMS}")
    print(f"{'feature set':<46} {'columns':>7} {'out-of-time AUC':>16} {'5-fold CV AUC':>16}")
    for name, X in feature_sets.items():
        X = model_frame(X)
        oot = out_of_time_auc(X, data.y, sequence)
        mean, sd = cv_auc(X, data.y)
        print(f"{name:<46} {X.shape[1]:>7} {oot:>16.3f} {mean:>10.3f} ± {sd:.3f}")
    print("\nreference figures from the dataset README (5-fold stratified CV, LightGBM defaults-ish):")
    for name, auc in README_FIGURES:
        print(f"  {name:<44} {auc:.3f}")
    print(f"out of time = train on the lowest {1 - OOT_TEST_SHARE:.0%} of {SEQUENCE}, test on the rest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
