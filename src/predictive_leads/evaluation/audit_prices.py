"""The price of the leakage audit's "too good" drops: the test AUC with and without each column, and how to keep it.

The audit drops a column whose single-column AUC stands far above the rest. That protects against a leak, but
drops a genuinely strong signal the same way, so the user needs the price to decide. For each such drop (the
strongest :data:`MAX_PRICED` first) the caller refits its model with that one column added back, on the same
training and test rows, and :func:`price_audit_drops` measures the test AUC with and without it, the paired
bootstrap interval of the difference, and the ``--keep`` option that keeps it. Identifiers, constants, timestamps
and missingness leaks are never priced: they stay automatic. If the column is a real leak (filled after the
outcome), the AUC with it is optimistic: the historical rows hold a value that a lead being scored does not have.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Hashable, Sequence

import numpy as np
import pandas as pd

from predictive_leads.evaluation.leakage_audit import auc_score
from predictive_leads.evaluation.metrics import bootstrap_ci

PRICED_CHECK = "single_column_auc"
"""The audit check whose drops are priced (the others are not a matter of judgement)."""

MAX_PRICED = 5
"""At most this many drops are priced (one model fit each), the strongest single-column AUC first."""


def keep_option(column: Hashable) -> str:
    """The command-line option that keeps ``column`` despite the audit, quoted for a POSIX shell."""
    return f"--keep {shlex.quote(str(column))}"


def price_audit_drops(
    audit: pd.DataFrame,
    dropped: Sequence[Hashable],
    y,
    p_without,
    fit_predict: Callable[[Hashable], np.ndarray],
    *,
    max_priced: int = MAX_PRICED,
    n_boot: int = 200,
    seed: int = 0,
) -> list[dict]:
    """One dict per column in ``dropped`` that the audit flagged as too good, strongest first.

    ``y`` and ``p_without`` are the test outcomes and the scores of the model trained without the drops;
    ``fit_predict(column)`` refits that model with ``column`` added back and returns its scores on the same test
    rows. A priced row holds ``column``, ``evidence`` (the audit's reason), ``audit_auc``, ``auc_without``,
    ``auc_with``, ``difference`` (``estimate``, ``low``, ``high``: with minus without, paired bootstrap on the
    test rows) and ``keep``; beyond ``max_priced``, or when the refit fails, ``priced`` is False and ``note``
    says why."""
    if audit.empty:
        return []
    y = np.asarray(y).astype(int)
    p_without = np.asarray(p_without, dtype="float64")
    flagged = audit[(audit["check"] == PRICED_CHECK) & audit["column"].isin(list(dropped))]
    auc_without = auc_score(p_without, y)
    rows = []
    for i, found in enumerate(flagged.sort_values("metric", ascending=False, kind="stable").itertuples(index=False)):
        column = found.column
        row = {
            "column": column,
            "evidence": found.reason,
            "audit_auc": float(found.metric),
            "keep": keep_option(column),
        }
        if i >= max_priced:
            why = "pricing is off" if max_priced <= 0 else f"at most {max_priced} drops are priced, strongest first"
            rows.append(row | {"priced": False, "note": f"not priced: {why}"})
            continue
        try:
            p_with = np.asarray(fit_predict(column), dtype="float64")
        except ValueError as exc:  # ModelError included: the refit is refused, the drop stays unpriced
            rows.append(row | {"priced": False, "note": f"not priced: {exc}"})
            continue
        estimate, low, high = bootstrap_ci(_auc_difference, y, p_with, p_without, n_boot=n_boot, seed=seed)
        difference = {"estimate": estimate, "low": low, "high": high}
        rows.append(row | {"priced": True, "auc_without": auc_without, "auc_with": auc_score(p_with, y),
                           "difference": difference})  # fmt: skip
    return rows


def price_note(row: dict) -> str:
    """One line for a priced drop: column names and numbers only."""
    return (
        f"audit dropped {row['column']} (single-column AUC {row['audit_auc']:.2f}): test AUC {row['auc_without']:.3f} "
        f"without it, {row['auc_with']:.3f} with it ({difference_text(row)}); to keep it: {row['keep']}"
    )


def difference_text(row: dict) -> str:
    """A priced drop's AUC difference (with minus without) and its interval: ``+0.045 [+0.036, +0.055]``."""
    d = row["difference"]
    return f"{d['estimate']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"


def _auc_difference(y: np.ndarray, p_with: np.ndarray, p_without: np.ndarray) -> float:
    return auc_score(p_with, y) - auc_score(p_without, y)
