"""What a run achieved, in a few lines, read back from the files it wrote (``metrics.json``, the scores).

The numbers are taken from ``metrics.json`` and nowhere else, so the terminal, the report and MLflow agree.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def _interval(row: Mapping, metric: str, digits: int = 3) -> str:
    return f"{row[metric]:.{digits}f} [{row[metric + '_low']:.{digits}f}, {row[metric + '_high']:.{digits}f}]"


def best_preset(comparison: list[dict]) -> dict | None:
    """The rule preset (``rules: …`` rows) with the highest out-of-time AUC."""
    presets = [row for row in comparison if str(row["scorer"]).startswith("rules: ")]
    return max(presets, key=lambda row: row["roc_auc"], default=None)


def evaluation_lines(metrics: Mapping) -> list[str]:
    """Split, model AUC and lift with intervals, the best rule preset and the learned scorecard beside it, the
    paired AUC difference, calibration, what the leakage audit dropped and what its "too good" drops cost."""
    meta, comparison = metrics["meta"], metrics["comparison"]
    rows = {row["scorer"]: row for row in comparison}
    model, split = rows["model"], meta["split"]
    period = f" on {split['test'][0][:10]} … {split['test'][1][:10]}" if split["method"] == "out_of_time" else ""
    lines = [
        f"evaluated {split['method'].replace('_', ' ')}{period}: {meta['rows']['test']:,} rows, "
        f"{meta['positives']['test']:,} conversions",
        f"model AUC {_interval(model, 'roc_auc')}, top-decile lift {model['lift_at_10']:.1f}× "
        f"[{model['lift_at_10_low']:.1f}, {model['lift_at_10_high']:.1f}]",
    ]
    others = [best_preset(comparison), rows.get("learned scorecard")]
    for row in (r for r in others if r is not None):
        label = "best rule preset" if row["scorer"].startswith("rules: ") else "learned scorecard"
        name = f" ({row['scorer'].removeprefix('rules: ')})" if label == "best rule preset" else ""
        lines.append(f"{label}{name} AUC {_interval(row, 'roc_auc')}, lift {row['lift_at_10']:.1f}×; model − it: "
                     f"{row['auc_diff']:+.3f} [{row['auc_diff_low']:+.3f}, {row['auc_diff_high']:+.3f}]")  # fmt: skip
    cal = metrics["classification"]
    lines.append(f"calibration: Brier {cal['brier']:.4f}, ECE {cal['ece']:.4f}, log loss {cal['log_loss']:.4f}")
    lines += funnel_lines(meta.get("funnel"))
    if meta.get("dropped_by_audit"):
        lines.append(f"leakage audit dropped: {', '.join(meta['dropped_by_audit'])}")
    for row in meta.get("audit_prices") or []:
        lines.append(_price_line(row))
    return lines


def funnel_lines(funnel: Mapping | None) -> list[str]:
    """The funnel policy and, per stage, what it held on the test rows (out of time) per scoring run."""
    if not funnel:
        return []
    rows = sorted(funnel["out_of_time"].items(), key=_funnel_order)
    stages = [f"{name} {row['leads_per_run']:,.0f} leads, {row['expected_conversions_per_run']:,.1f} expected / "
              f"{row['observed_rate'] * row['leads_per_run']:,.1f} observed conversions"
              for name, row in rows if row["leads_per_run"]]  # fmt: skip
    return [f"funnel {funnel['policy']}; per scoring run on the test rows: " + "; ".join(stages)]


def _funnel_order(item: tuple[str, Mapping]) -> tuple[int, str]:
    from predictive_leads.models.funnel import STAGES

    return (STAGES.index(item[0]) if item[0] in STAGES else len(STAGES), item[0])


def _price_line(row: Mapping) -> str:
    """What keeping one of the audit's "too good" drops would change, and the option that keeps it."""
    from predictive_leads.evaluation.audit_prices import difference_text

    if not row["priced"]:
        return f"  {row['column']}: {row['note']}; keep it with {row['keep']}"
    return (f"  {row['column']}: AUC {row['auc_without']:.3f} without, {row['auc_with']:.3f} with it "
            f"({difference_text(row)}); keep it with {row['keep']}")  # fmt: skip


def scores_line(scores: pd.DataFrame, rejected: int) -> str:
    """Leads scored by funnel stage, and the rejected rows."""
    stages = scores["stage"].value_counts()
    mix = ", ".join(f"{stage} {stages[stage]:,}" for stage in sorted(stages.index, key=str))
    return f"{len(scores):,} leads scored ({mix}); {rejected:,} rejected"
