"""Learning curve for the cold-start ladder: out-of-time AUC against the number of positive training rows.

Generates a synthetic world (default 50k leads, seed 42), builds monthly snapshots 2025-06 … 2026-03 with the
feature pipeline (90-day horizon) and splits them as ``train`` does
(``predictive_leads.evaluation.cold_start.time_split``:
the latest 20 % of the as_of dates are the test, training rows whose label window reaches into it are left out).
The test part is the same for every run. The training part is then subsampled **by lead** (a lead's snapshots
stay together; leads in random order until the target number of positive rows is reached, so the natural
positive rate is kept) to 10, 20, 40, … 1 280 positives, several times per size, and on each subsample it fits:

* ``default``    ``LeadScorer(time_column="as_of")`` with its default parameters;
* ``small``      ``LeadScorer`` with ``coldstart.small_data_params()``;
* ``scorecard``  ``LearnedScorecard()`` (optbinning + logistic regression, integer points);
* ``preset (picked on train)``  the rule preset with the best AUC on the subsample's own training rows — what a
  team with that much history could choose — scored on the test.

The best preset on the test itself (``best preset``) does not depend on the subsample: a flat reference line
(an oracle choice, so it flatters the rules). AUC is that of the shipped output: the calibrated probability
for the models (``predict_proba``), the integer points for scorecard and presets. Runs where calibration
reversed the model's ranking (raw-margin AUC > 0.5 > calibrated AUC) are counted. Both models get
``min_positives=1`` so they can be measured below the ladder's floor; a fit that fails counts as a failure.

A second experiment (``--periods``) holds the positives fixed (160) and draws them from the last 1, 2, 3 or
all 6 training months, to see whether the number of ``as_of`` periods matters beyond the number of positives.

    .venv/bin/python benchmarks/learning_curve.py             # 50k leads, 5 subsamples per size: ~4 min, 2.5 GB
    .venv/bin/python benchmarks/learning_curve.py --quick     # 20k leads, 2 subsamples, 4 sizes: ~35 s

It asserts nothing; it prints the tables, wall time and peak RSS, and (``--json PATH``) every run.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import numpy as np
import pandas as pd
from _common import Timer, peak_rss_mib, synthetic_training_set
from sklearn.metrics import roc_auc_score

from predictive_leads.evaluation import cold_start as coldstart
from predictive_leads.evaluation.leakage_audit import apply_audit, leakage_audit
from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.models.learned_scorecard import LearnedScorecard
from predictive_leads.models.rules import RuleScorer, preset_names

HORIZON_DAYS = 90
METHODS = ("default", "small", "scorecard", "preset (picked on train)")


def subsample(train: pd.DataFrame, per_lead: pd.Series, target: int | None, rng) -> np.ndarray:
    """Row positions of ``train`` for a random set of whole leads holding ``target`` positive rows (all: None)."""
    if target is None:
        return np.arange(len(train))
    leads = rng.permutation(per_lead.index.to_numpy())
    cumulative = per_lead.reindex(leads).cumsum().to_numpy()
    chosen = leads[: int(np.searchsorted(cumulative, target)) + 1]
    return np.flatnonzero(train["lead_id"].isin(chosen).to_numpy())


def fit_scorer(params: dict, X: pd.DataFrame, y: np.ndarray, test: tuple, seed: int) -> dict:
    X_test, y_test = test
    try:
        model = LeadScorer(**({"time_column": "as_of", "random_state": seed} | params | {"min_positives": 1}))
        model.fit(X, y)
    except Exception as exc:  # a failed fit is a result here
        return {"auc": np.nan, "raw_auc": np.nan, "error": f"{type(exc).__name__}: {exc}"[:200]}
    return {"auc": roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]),
            "raw_auc": roc_auc_score(y_test, model.decision_function(X_test)),
            "trees": model.booster_.num_trees(), "calibration": model.calibrator_.method}  # fmt: skip


def fit_scorecard(X: pd.DataFrame, y: np.ndarray, test: tuple) -> dict:
    X_test, y_test = test
    try:
        card = LearnedScorecard().fit(X, y)
        return {"auc": roc_auc_score(y_test, card.predict_score(X_test))}
    except Exception as exc:
        return {"auc": np.nan, "error": f"{type(exc).__name__}: {exc}"[:200]}


def one_run(train, features, rows, test, preset_train, preset_test, seed, *, methods=METHODS) -> dict:
    sub = train.iloc[rows]
    y = sub["converted"].to_numpy()
    out = {"rows": len(rows), "positives": int(y.sum()), "leads": int(sub["lead_id"].nunique())}
    if "default" in methods:
        out["default"] = fit_scorer({}, sub[[*features, "as_of"]], y, test, seed)
    if "small" in methods:
        out["small"] = fit_scorer(coldstart.small_data_params(), sub[[*features, "as_of"]], y, test, seed)
    if "scorecard" in methods:
        out["scorecard"] = fit_scorecard(sub[features], y, test)
    if "preset (picked on train)" in methods:
        on_train = {name: roc_auc_score(y, s[rows]) for name, s in preset_train.items()}
        best = max(on_train, key=on_train.get)
        out["preset (picked on train)"] = {"auc": preset_test[best], "preset": best}
    return out


def mean_sd(values) -> str:
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    if not len(v):
        return "—"
    return f"{v.mean():.3f}" if len(v) == 1 else f"{v.mean():.3f} ± {v.std(ddof=1):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-leads", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42, help="the world's seed")
    parser.add_argument("--reps", type=int, default=5, help="subsamples per size")
    parser.add_argument("--targets", default="10,20,40,80,160,320,640,1280", help="positive training rows per size")
    parser.add_argument("--no-all", action="store_true", help="skip the run on the whole training part")
    parser.add_argument("--periods", action=argparse.BooleanOptionalAction, default=True,
                        help="the periods experiment (160 positives from the last 1, 2, 3, 6 months)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="20k leads, 2 subsamples, sizes 20,40,160,640")
    parser.add_argument("--json", help="write every run as JSON")
    args = parser.parse_args()
    if args.quick:
        args.n_leads, args.reps, args.targets, args.periods = 20_000, 2, "20,40,160,640", False
    targets = [int(t) for t in args.targets.split(",")]
    warnings.filterwarnings("ignore")  # optbinning / sklearn chatter on tiny subsamples
    started = time.perf_counter()

    with Timer() as t_data:
        data, features = synthetic_training_set(args.n_leads, args.seed)
    audit = leakage_audit(data[features], data["converted"].to_numpy(), time=data["as_of"])
    kept, dropped = apply_audit(data[features], audit)
    features = list(kept.columns)
    train_mask, test_mask, test_start = coldstart.time_split(data["as_of"], horizon_days=HORIZON_DAYS)
    train, test = data[train_mask].reset_index(drop=True), data[test_mask].reset_index(drop=True)
    X_test, y_test = test[features], test["converted"].to_numpy()
    readiness = coldstart.assess(data["converted"], as_of=data["as_of"], horizon_days=HORIZON_DAYS)
    print(f"world: {args.n_leads:,} leads, seed {args.seed}; {len(data):,} snapshot rows, {len(features)} features "
          f"(audit dropped {len(dropped)}), built in {t_data.wall:.1f} s; load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores")  # fmt: skip
    print(f"training part: {readiness.training_part}: {len(train):,} rows, {readiness.positives:,} positives "
          f"({readiness.positives / len(train):.2%}), {train['lead_id'].nunique():,} leads")  # fmt: skip
    print(f"test part: as_of from {test_start:%Y-%m-%d}: {len(test):,} rows, {int(y_test.sum()):,} positives")

    preset_train, preset_test = {}, {}
    for name in preset_names():
        scorer = RuleScorer(table=name).fit(train[features])
        preset_train[name] = scorer.predict_score(train[features])
        preset_test[name] = roc_auc_score(y_test, scorer.predict_score(X_test))
    best_preset = max(preset_test, key=preset_test.get)
    print("rule presets on the test: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(preset_test.items())))

    per_lead = train.groupby("lead_id", sort=True)["converted"].sum()
    sizes = [*targets, *([] if args.no_all else [None])]
    runs: list[dict] = []
    for target in sizes:
        reps = 1 if target is None else args.reps
        with Timer() as t_size:
            for rep in range(reps):
                rows = subsample(train, per_lead, target, np.random.default_rng(10_000 + rep))
                run = one_run(train, features, rows, (X_test, y_test), preset_train, preset_test, rep)
                runs.append({"target": target if target is not None else "all", "rep": rep, **run})
        label = "all" if target is None else str(target)
        done = [r for r in runs if r["target"] == (target if target is not None else "all")]
        print(f"  {label:>4} positives: {reps} run(s) in {t_size.wall:5.1f} s; "
              + ", ".join(f"{m} {mean_sd([r[m]['auc'] for r in done])}" for m in METHODS), flush=True)  # fmt: skip

    print()
    print(f"Out-of-time AUC (mean ± sd over subsamples); best preset on the test: {best_preset} "
          f"{preset_test[best_preset]:.3f}")  # fmt: skip
    header = ["positives", "rows", "default", "small", "scorecard", "preset (train-picked)", "small > default",
              "small > best preset", "default > best preset", "default failed / inverted",
              "small failed / inverted"]  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    summary = []
    for target in sizes:
        key = target if target is not None else "all"
        done = [r for r in runs if r["target"] == key]
        auc = {m: np.array([r[m]["auc"] for r in done], dtype=float) for m in METHODS}
        n = len(done)
        failed = {m: int(np.isnan(auc[m]).sum()) for m in ("default", "small")}
        inverted = {m: sum(1 for r in done if r[m].get("raw_auc", np.nan) > 0.5 > r[m]["auc"])
                    for m in ("default", "small")}  # fmt: skip
        # a failed default fit is a loss for it
        small_wins = int(np.sum(np.isfinite(auc["small"]) & ~(auc["default"] >= auc["small"])))
        row = {
            "target": key,
            "positives": float(np.mean([r["positives"] for r in done])),
            "rows": float(np.mean([r["rows"] for r in done])),
            **{m: (float(np.nanmean(a)) if np.isfinite(a).any() else None) for m, a in auc.items()},
            "small_beats_default": f"{small_wins}/{n}",
            "small_beats_best_preset": f"{int(np.nansum(auc['small'] > preset_test[best_preset]))}/{n}",
            "default_beats_best_preset": f"{int(np.nansum(auc['default'] > preset_test[best_preset]))}/{n}",
            "failed": failed,
            "inverted": inverted,
        }
        summary.append(row)
        cells = [f"{key} ({row['positives']:.0f})", f"{row['rows']:,.0f}", *(mean_sd(auc[m]) for m in METHODS),
                 row["small_beats_default"], row["small_beats_best_preset"], row["default_beats_best_preset"],
                 *(f"{failed[m]} / {inverted[m]}" for m in ("default", "small"))]  # fmt: skip
        print("| " + " | ".join(cells) + " |")

    periods_rows = []
    if args.periods:
        months = np.sort(train["as_of"].unique())
        print()
        print("Periods at equal positives (160 positive rows from the last k training months; small / default):")
        for k in (1, 2, 3, len(months)):
            recent = train[train["as_of"] >= months[-k]].reset_index(drop=True)
            recent_leads = recent.groupby("lead_id", sort=True)["converted"].sum()
            results = []
            for rep in range(3):
                rows = subsample(recent, recent_leads, 160, np.random.default_rng(20_000 + rep))
                results.append(
                    one_run(recent, features, rows, (X_test, y_test), {}, {}, rep, methods=("default", "small"))
                )
            periods_rows.append({"months": k, "runs": results})
            rows_mean = np.mean([r["rows"] for r in results])
            print(
                f"  {k} month(s): small {mean_sd([r['small']['auc'] for r in results])}, default "
                f"{mean_sd([r['default']['auc'] for r in results])}; rows {rows_mean:,.0f}"
            )

    wall = time.perf_counter() - started
    print()
    print(f"SUMMARY learning_curve n_leads={args.n_leads} seed={args.seed} reps={args.reps} wall={wall:.0f}s "
          f"peak_rss={peak_rss_mib():.0f}MiB best_preset={best_preset}:{preset_test[best_preset]:.3f} "
          f"thresholds=min_pos:{coldstart.MIN_POSITIVES},min_neg:{coldstart.MIN_NEGATIVES},"
          f"periods:{coldstart.MIN_TRAIN_PERIODS},small_below:{coldstart.SMALL_DATA_POSITIVES}")  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "presets": preset_test, "summary": summary, "runs": runs,
                       "periods": periods_rows, "wall_s": wall, "peak_rss_mib": peak_rss_mib()}, f, indent=1,
                      default=lambda o: o.item() if hasattr(o, "item") else str(o))  # fmt: skip


if __name__ == "__main__":
    main()
