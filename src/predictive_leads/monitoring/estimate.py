"""Performance during the label gap: what the calibrated probabilities say a cohort will show, and later whether
it did.

For the first ``horizon_days`` after a snapshot nobody knows who converted. If the model is still calibrated,
its probabilities are the estimate (confidence-based performance estimation, as NannyML's CBPE): outcomes
drawn as if each ``p`` were true give the expected conversions and the expected AUC of the cohort, with the
interval sampling alone would give. The same estimate is kept for cohorts whose labels have matured, beside the
realized values, so the table shows how far the estimate can be trusted on this data — it is only as good as the
calibration: a change in what converts (not in who arrives) moves the realized values outside the interval,
which is the point of showing both. The estimate of a cohort depends only on its rows' probabilities, so it is
the same whenever it is computed: no state is stored between monitoring runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DRAWS = 400  # simulated label sets per cohort
CHUNK = 50  # draws held in memory at once


Interval = tuple[float, float, float]  # (estimate, 2.5 %, 97.5 %)


def expected_performance(p: np.ndarray, *, draws: int = DRAWS, seed: int = 0) -> tuple[Interval, Interval]:
    """(conversions, AUC) the probabilities ``p`` imply if they are true, each as (expected, 2.5 %, 97.5 %):
    labels drawn ``draws`` times as Bernoulli(p) — exact where a normal approximation fails (a handful of
    expected conversions). The ranks of ``p`` are fixed, so each draw's AUC is one matrix product (chunked)."""
    p = np.asarray(p, dtype=float)
    ranks = pd.Series(p).rank(method="average").to_numpy()
    rng = np.random.default_rng(seed)
    rank_sums, counts = [], []
    for size in np.diff(np.r_[0:draws:CHUNK, draws]):
        drawn = rng.random((size, p.size)) < p
        rank_sums.append(drawn @ ranks)
        counts.append(drawn.sum(axis=1))
    rank_sum, n_pos = np.concatenate(rank_sums), np.concatenate(counts)
    conversions = (float(p.sum()), float(np.quantile(n_pos, 0.025)), float(np.quantile(n_pos, 0.975)))
    n_neg = p.size - n_pos
    ok = (n_pos > 0) & (n_neg > 0)
    if not ok.any():
        return conversions, (np.nan, np.nan, np.nan)
    auc = (rank_sum[ok] - n_pos[ok] * (n_pos[ok] + 1) / 2) / (n_pos[ok] * n_neg[ok])
    return conversions, (float(auc.mean()), float(np.quantile(auc, 0.025)), float(np.quantile(auc, 0.975)))


def estimate_table(frame: pd.DataFrame, p: np.ndarray, mature: np.ndarray, y: np.ndarray | None = None, *,
                   seed: int = 0) -> pd.DataFrame:  # fmt: skip
    """Per monthly cohort (``frame["as_of"]``): rows, estimated conversions and AUC with 95 % intervals from
    ``p`` and, where the cohort's labels have matured (``mature``, every row of it), the realized values from
    ``y`` and whether they fall inside the intervals. ``status`` is ``estimated`` or ``realized``."""
    from predictive_leads.evaluation.leakage_audit import auc_score

    p, mature = np.asarray(p, dtype=float), np.asarray(mature, dtype=bool)
    month = pd.to_datetime(frame["as_of"], utc=True).dt.strftime("%Y-%m").to_numpy()
    rows = []
    for m in sorted(set(month)):
        sel = month == m
        conversions, auc = expected_performance(p[sel], seed=seed)
        row = {"cohort": m, "n": int(sel.sum()), "status": "estimated", "conversions_est": conversions[0],
               "conversions_low": conversions[1], "conversions_high": conversions[2], "auc_est": auc[0],
               "auc_low": auc[1], "auc_high": auc[2]}  # fmt: skip
        if y is not None and mature[sel].all():
            ys = np.asarray(y, dtype=float)[sel]
            realized_auc = auc_score(p[sel], ys) if 0 < ys.sum() < ys.size else np.nan
            auc_inside = None if np.isnan(realized_auc) else bool(auc[1] <= realized_auc <= auc[2])
            row |= {"status": "realized", "conversions": int(ys.sum()), "auc": realized_auc,
                    "conversions_inside": bool(conversions[1] <= ys.sum() <= conversions[2]),
                    "auc_inside": auc_inside}  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)
