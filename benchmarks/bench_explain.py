"""Benchmark per-lead SHAP explanations: table-lookup TreeShap against LightGBM's pred_contrib and shap.

Builds a default ``LeadScorer`` on a generated world (monthly snapshots), then at ``--rows`` scoring rows
(the training rows, sampled with replacement when there are fewer) times, on the same encoded frame:

* score only       ``scorer.score_frame(X)`` (encoding, margin, calibration, score, grade, tier);
* pred_contrib     ``booster.predict(encoded, pred_contrib=True)``;
* shap             ``shap.TreeExplainer(booster).shap_values(encoded)`` (which calls pred_contrib);
* treeshap         ``TreeShap.from_booster(booster).contributions(encoded)`` (compiling timed apart);
* score + reasons  ``predictive_leads.explain.scored_with_reasons(scorer, X, top_k=3)``, when it exists;

and prints rows/s (wall; CPU seconds too: LightGBM uses both cores, numpy one), the max abs difference of
TreeShap to shap and to pred_contrib, and TreeShap's speed-up over shap. It asserts nothing.

    .venv/bin/python benchmarks/bench_explain.py                    # 20k leads, 100k rows: about a minute
    .venv/bin/python benchmarks/bench_explain.py --repeat 3         # fastest of 3 per method
"""

from __future__ import annotations

import argparse
import os
import warnings

import numpy as np
import pandas as pd
from _common import Timer, synthetic_training_set

from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.models.tree_contributions import TreeShap


def timed(fn, repeat: int):
    """(result, fastest wall seconds, its CPU seconds) of ``repeat`` calls."""
    best = None
    for _ in range(repeat):
        with Timer() as t:
            result = fn()
        if best is None or t.wall < best[1]:
            best = (result, t.wall, t.cpu)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-leads", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    with Timer() as t_data:
        data, features = synthetic_training_set(args.n_leads, args.seed)
    with Timer() as t_fit:
        scorer = LeadScorer(time_column="as_of").fit(data[[*features, "as_of"]], data["converted"])
    booster = scorer.booster_
    rows = np.random.default_rng(0).choice(len(data), args.rows, replace=args.rows > len(data))
    X = data[features].iloc[rows].reset_index(drop=True)
    encoded = scorer.encode(X)
    n_cat = sum(isinstance(d, pd.CategoricalDtype) for d in encoded.dtypes)
    print(f"world: {args.n_leads} leads, {len(data)} training rows ({t_data.wall:.1f} s); model: {booster.num_trees()} "
          f"trees, {len(features)} features ({n_cat} categorical), fit {t_fit.wall:.1f} s; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")  # fmt: skip

    with Timer() as t_compile:
        ts = TreeShap.from_booster(booster)
    fallback = int(ts.fallback_runs[:, 1].sum())
    print(f"TreeShap compile: {t_compile.wall:.2f} s; {len(ts.tree_index)} trees tabulated, {fallback} to LightGBM")

    import shap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shap's note on the LightGBM binary output format
        explainer = shap.TreeExplainer(booster)
        runs = {
            "score only": timed(lambda: scorer.score_frame(X), args.repeat),
            "pred_contrib": timed(lambda: booster.predict(encoded, pred_contrib=True), args.repeat),
            "shap": timed(lambda: np.asarray(explainer.shap_values(encoded)), args.repeat),
            "treeshap": timed(lambda: ts.contributions(encoded), args.repeat),
        }
    try:
        from predictive_leads.explain import scored_with_reasons
    except ImportError:
        print("score + reasons: skipped (no predictive_leads.explain.scored_with_reasons)")
    else:
        runs["score + reasons"] = timed(lambda: scored_with_reasons(scorer, X, top_k=3), args.repeat)

    print(f"\n{'method':<18}{'rows/s':>12}{'wall s':>9}{'CPU s':>8}")
    for name, (_, wall, cpu) in runs.items():
        print(f"{name:<18}{args.rows / wall:>12,.0f}{wall:>9.2f}{cpu:>8.2f}")
    ours = runs["treeshap"][0]
    diff_shap = float(np.abs(ours[:, :-1] - runs["shap"][0]).max())
    diff_lgb = float(np.abs(ours - runs["pred_contrib"][0]).max())
    ratio = runs["shap"][1] / runs["treeshap"][1]
    print(f"\nmax |treeshap - shap| = {diff_shap:.2e}; max |treeshap - pred_contrib| = {diff_lgb:.2e}")
    print(f"treeshap / shap speed: {ratio:.1f}x (goal >= 5x, max abs diff <= 1e-9)")
    speed = {name.replace(" only", "").replace(" + ", "_"): args.rows / wall for name, (_, wall, _) in runs.items()}
    print(f"SUMMARY rows={args.rows} trees={booster.num_trees()} fallback_trees={fallback} "
          + " ".join(f"{name}_rows_s={value:.0f}" for name, value in speed.items())
          + f" speedup_vs_shap={ratio:.1f} max_abs_diff={max(diff_shap, diff_lgb):.1e}")  # fmt: skip


if __name__ == "__main__":
    main()
