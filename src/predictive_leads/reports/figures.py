"""The reports' figures as base64 PNGs: evaluation curves, monitoring drift and cohorts, conversion by segment.

Drawn with matplotlib's Agg canvas: ``pyplot`` is never imported and the global backend never changed, so this is
safe inside a notebook or a batch job; every figure is drawn in matplotlib's default style whatever the caller's
settings, so the same inputs give the same bytes. No metric is computed here that
:mod:`predictive_leads.evaluation.metrics` does not define.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from predictive_leads.evaluation.metrics import (
    MODEL,
    _outcome,
    _probabilities,
    _Ranking,
    _scores,
    reliability,
    to_jsonable,
)

PLOT_ALT = {
    "roc": "ROC curves: true positive rate against false positive rate for the model and each points score",
    "pr": "Precision–recall curves for the model and each points score, with the overall conversion rate",
    "gains": "Cumulative gains and lift: share of conversions captured and lift against share of leads "
    "contacted, in score order, for the model and each points score",
    "reliability": "Reliability diagram: observed conversion rate against mean predicted probability in "
    "equal-mass bins, with 95 % Wilson intervals and the diagonal of perfect calibration",
    "score_distribution": "Distribution of the model's score (or probability) for converted and not-converted "
    "leads, each as a share of its group",
    "shap_importance": "What drives the score overall: mean absolute SHAP contribution (log-odds) per attribute",
    "shap_beeswarm": "SHAP beeswarm: each dot is a lead; position is the feature's contribution to the log-odds, "
    "colour its value (high red, low blue)",
    "shap_waterfall": "One lead (the highest probability among the test rows): how each attribute moves the "
    "log-odds from the average lead E[f(X)] to this lead's f(x)",
    "estimates": "Conversion rate per monthly cohort since training: estimated from the calibrated probabilities "
    "with its 95 % interval, and realized where the cohort's labels have matured",
}
EXPLANATION_PLOTS = ("shap_importance", "shap_beeswarm", "shap_waterfall")
PLOT_ORDER = ("roc", "pr", "gains", "reliability", "score_distribution", *EXPLANATION_PLOTS)
ALL_LEADS = "(all leads)"  # the label of the overall row of each dimension of a segment table (ops.segments)
MAX_PLOTTED = 25  # segments per dimension in the conversion-rate figure (the largest first)
_MODEL_COLOR = "#1f4e9c"
_RULE_COLORS = ("#d9822b", "#2a9d8f", "#8e44ad", "#c0392b", "#7f8c8d", "#b5a000", "#e377c2", "#17becf")
_STATUS_COLORS = {"act": "#c0392b", "watch": "#d9822b"}
_RC = {"font.size": 9, "axes.grid": True, "grid.alpha": 0.3}
_DPI = 100

# ------------------------------------------------------------------------------------------ canvas


@contextmanager
def _style() -> Iterator[None]:
    """matplotlib's default style plus the reports' few settings, undone on exit."""
    import matplotlib
    import matplotlib.style

    with matplotlib.rc_context(), matplotlib.style.context("default"):
        matplotlib.rcParams.update(_RC)
        yield


def _figure(width: float, height: float, ncols: int = 1):
    """A figure on its own Agg canvas (no pyplot) and its axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, ncols)


def _png(fig) -> str:
    """The figure as a base64 PNG without a timestamp or software tag (same figure, same bytes)."""
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _color(i: int) -> str:
    return _MODEL_COLOR if i == 0 else _RULE_COLORS[(i - 1) % len(_RULE_COLORS)]


def _width(i: int) -> float:
    return 2.2 if i == 0 else 1.3


# ------------------------------------------------------------------------------------------ evaluation


def evaluation_figures(y, p, score=None, rule_scores: Mapping[str, object] | None = None, *,
                       n_bins: int = 10) -> dict[str, str]:  # fmt: skip
    """Base64 PNGs keyed ``roc``, ``pr``, ``gains``, ``reliability``, ``score_distribution``.

    ROC, PR and gains/lift show the model's probability and every rule score; the reliability diagram uses the
    equal-mass bins of :func:`predictive_leads.evaluation.metrics.reliability`; the distribution shows ``score`` (the
    1–100 score) when given, else ``p``, for converted and not-converted leads.
    """
    y = _outcome(y)
    p = _probabilities(p, y.size)
    scorers = {MODEL: p}
    for name, s in (rule_scores or {}).items():
        scorers[str(name)] = _scores(s, y.size, name=f"rule score {name!r}")
    dist = _scores(score, y.size, name="score") if score is not None else None
    curves = _curves(y, scorers)
    with _style():
        return {
            "roc": _plot_roc(y, curves),
            "pr": _plot_pr(y, curves),
            "gains": _plot_gains(y, curves),
            "reliability": _plot_reliability(y, p, n_bins),
            "score_distribution": _plot_distribution(y, p if dist is None else dist, is_score=dist is not None),
        }


def _curves(y: np.ndarray, scorers: Mapping[str, np.ndarray]) -> dict[str, tuple]:
    """Per scorer: tie-group cumulative (flagged, true positive, false positive) counts, so ties are one step."""
    out = {}
    for name, s in scorers.items():
        total, pos = _Ranking(s).counts(y)
        out[name] = (np.cumsum(total), np.cumsum(pos), np.cumsum(total - pos))
    return out


def _plot_roc(y, curves) -> str:
    fig, ax = _figure(5.5, 4.5)
    n_pos, n_neg = y.sum(), y.size - y.sum()
    for i, (name, (_, tp, fp)) in enumerate(curves.items()):
        fpr, tpr = np.r_[0, fp / n_neg], np.r_[0, tp / n_pos]
        auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
        ax.plot(fpr, tpr, color=_color(i), lw=_width(i), label=f"{name} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=0.8)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="false positive rate", ylabel="true positive rate (recall)", title="ROC")
    ax.legend(loc="lower right", fontsize=7.5)
    return _png(fig)


def _plot_pr(y, curves) -> str:
    fig, ax = _figure(5.5, 4.5)
    n_pos = y.sum()
    for i, (name, (flagged, tp, _)) in enumerate(curves.items()):
        recall, precision = tp / n_pos, tp / flagged
        ap = float(np.sum(np.diff(np.r_[0, recall]) * precision))
        ax.step(np.r_[0, recall], np.r_[precision[0], precision], where="pre", color=_color(i), lw=_width(i),
                label=f"{name} (AP {ap:.3f})")  # fmt: skip
    ax.axhline(y.mean(), color="grey", ls="--", lw=0.8, label=f"conversion rate {y.mean():.1%}")
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="recall", ylabel="precision", title="Precision–recall")
    ax.legend(loc="upper right", fontsize=7.5)
    return _png(fig)


def _plot_gains(y, curves) -> str:
    fig, (gain_ax, lift_ax) = _figure(9.5, 4.0, ncols=2)
    n, n_pos = y.size, y.sum()
    for i, (name, (flagged, tp, _)) in enumerate(curves.items()):
        gain_ax.plot(np.r_[0, flagged / n], np.r_[0, tp / n_pos], color=_color(i), lw=_width(i), label=name)
        shown = flagged / n >= 0.01  # the first few leads' lift is noise
        lift = (tp / flagged) / (n_pos / n)
        lift_ax.plot((flagged / n)[shown], lift[shown], color=_color(i), lw=_width(i), label=name)
    gain_ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=0.8, label="random")
    gain_ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="share of leads contacted (highest score first)",
                ylabel="share of conversions captured", title="Cumulative gains")  # fmt: skip
    lift_ax.axhline(1, color="grey", ls="--", lw=0.8)
    lift_ax.set(xlim=(0, 1), xlabel="share of leads contacted (highest score first, from 1 %)",
                ylabel="cumulative lift", title="Cumulative lift")  # fmt: skip
    gain_ax.legend(loc="lower right", fontsize=7.5)
    return _png(fig)


def _plot_reliability(y, p, n_bins) -> str:
    fig, ax = _figure(5.5, 4.5)
    bins = reliability(y, p, n_bins=n_bins)
    top = min(1.0, float(max(bins["mean_predicted"].max(), bins["ci_high"].max())) * 1.08 or 1.0)
    ax.plot([0, top], [0, top], color="grey", ls="--", lw=0.8, label="perfect calibration")
    err = np.vstack([bins["observed_rate"] - bins["ci_low"], bins["ci_high"] - bins["observed_rate"]])
    ax.errorbar(bins["mean_predicted"], bins["observed_rate"], yerr=err, fmt="o-", color=_MODEL_COLOR, ms=4,
                capsize=2, lw=1.3, label="model (95 % Wilson interval)")  # fmt: skip
    ax.set(xlim=(0, top), ylim=(0, top), xlabel="mean predicted probability", ylabel="observed conversion rate",
           title=f"Reliability ({len(bins)} equal-mass bins)")  # fmt: skip
    ax.legend(loc="upper left", fontsize=7.5)
    return _png(fig)


def _plot_distribution(y, values, *, is_score: bool) -> str:
    fig, ax = _figure(5.5, 4.0)
    if is_score:
        edges = np.arange(0.5, 101.0, 5.0) if values.min() >= 0.5 and values.max() <= 100.5 else 20
        label = "score"
    else:
        edges = np.linspace(0.0, float(values.max()) or 1.0, 21)
        label = "predicted probability"
    for cls, name, color in ((0, "not converted", "#9aa5b1"), (1, "converted", _MODEL_COLOR)):
        v = values[y == cls]
        ax.hist(v, bins=edges, weights=np.full(v.size, 1 / v.size), histtype="step", lw=1.8, color=color,
                label=f"{name} (n = {v.size:,})")  # fmt: skip
    ax.set(xlabel=label, ylabel="share of the group", title=f"{label.capitalize()} by outcome")
    ax.legend(loc="upper right", fontsize=7.5)
    return _png(fig)


# ------------------------------------------------------------------------------------------ monitoring


def monitor_figures(result) -> dict[str, str]:
    """Base64 PNGs for a :class:`predictive_leads.monitoring.monitor.MonitorResult`: ``psi`` (drift per feature),
    ``cohort_auc`` (AUC of each mature cohort), ``bands`` (predicted against realized per score band) and
    ``estimates`` (estimated against realized conversion per cohort since training), each when there is data."""
    out = {}
    with _style():
        out["psi"] = _plot_psi(result.drift.head(15).iloc[::-1])
        if len(result.cohorts) and "auc" in result.cohorts:
            out["cohort_auc"] = _plot_cohort_auc(result.cohorts.dropna(subset=["auc"]))
        if len(result.bands):
            out["bands"] = _plot_bands(result.bands)
        if len(result.estimates):
            out["estimates"] = _plot_estimates(result.estimates)
    return out


def _plot_psi(top: pd.DataFrame) -> str:
    fig, ax = _figure(6.5, 4.2)
    colors = [_STATUS_COLORS.get(s, "#7f8c8d") for s in top["status"]]
    labels = [f"{f}{' ★' if d else ''}" for f, d in zip(top["feature"], top["driver"], strict=True)]
    ax.barh(labels, top["psi"], color=colors)
    for x in (0.1, 0.25):
        ax.axvline(x, color="#333", lw=0.8, ls="--")
    ax.set_xlabel("PSI against the reference (★ = driver)")
    return _png(fig)


def _plot_cohort_auc(judged: pd.DataFrame) -> str:
    fig, ax = _figure(6.5, 3.4)
    err = [judged["auc"] - judged["auc_low"], judged["auc_high"] - judged["auc"]]
    ax.errorbar(judged["cohort"], judged["auc"], yerr=err, marker="o", color=_MODEL_COLOR, capsize=3)
    ax.set_ylabel("AUC (mature rows, 95 % CI)")
    ax.tick_params(axis="x", rotation=45)
    return _png(fig)


def _plot_estimates(table: pd.DataFrame) -> str:
    fig, ax = _figure(6.5, 3.4)
    rate = table["conversions_est"] / table["n"]
    err = [rate - table["conversions_low"] / table["n"], table["conversions_high"] / table["n"] - rate]
    ax.errorbar(table["cohort"], rate, yerr=err, fmt="o", color=_MODEL_COLOR, capsize=3, label="estimated (95 %)")
    if "conversions" in table:
        realized = table.dropna(subset=["conversions"])
        ax.plot(realized["cohort"], realized["conversions"] / realized["n"], "s", color=_RULE_COLORS[0],
                label="realized")  # fmt: skip
    ax.set_ylabel("conversion rate")
    ax.tick_params(axis="x", rotation=45)
    ax.legend()
    return _png(fig)


def _plot_bands(bands: pd.DataFrame) -> str:
    fig, ax = _figure(6.5, 3.4)
    x = np.arange(len(bands))
    ax.bar(x - 0.2, bands["mean_p"], 0.4, label="predicted", color=_MODEL_COLOR)
    ax.bar(x + 0.2, bands["conversion_rate"], 0.4, label="realized", color=_RULE_COLORS[0])
    ax.set_xticks(x, bands["band"], rotation=45)
    ax.set_ylabel("conversion rate")
    ax.legend()
    return _png(fig)


# ------------------------------------------------------------------------------------------ segments


@dataclass(frozen=True)
class SegmentDimension:
    """One dimension of a segment table: all its rows (the ``(all leads)`` row included), its overall conversion
    rate (None without that row) and its segments (the other rows, largest first)."""

    name: str
    rows: list[dict]
    overall: float | None
    segments: list[dict]


def segment_dimensions(table: pd.DataFrame) -> list[SegmentDimension]:
    """The rows of a table of :func:`predictive_leads.ops.segments.segment_report` per dimension, in table order,
    as plain values (NaN as None)."""
    records = to_jsonable(table)
    for record, raw in zip(records, table.to_dict(orient="records"), strict=True):  # unbounded ends stay ∞
        record |= {k: v for k, v in raw.items() if isinstance(v, float) and math.isinf(v)}
    out = []
    for name in dict.fromkeys(r["dimension"] for r in records):
        rows = [r for r in records if r["dimension"] == name]
        overall = next((r["conversion_rate"] for r in rows if r["segment"] == ALL_LEADS), None)
        out.append(SegmentDimension(str(name), rows, overall, [r for r in rows if r["segment"] != ALL_LEADS]))
    return out


def segment_figures(table: pd.DataFrame) -> dict[str, str]:
    """Base64 PNGs keyed by dimension: conversion rate per segment with its Wilson interval (the
    :data:`MAX_PLOTTED` largest segments) against the rate of all leads."""
    horizon = (table.attrs.get("settings") or {}).get("horizon_days")
    with _style():
        return {d.name: _plot_rates(d.segments, d.overall, d.name, horizon) for d in segment_dimensions(table)}


def _plot_rates(rows: Sequence[Mapping], overall: float | None, dim: str, horizon: int | None) -> str:
    """Horizontal bars: conversion rate per segment with its Wilson interval (the largest segments first)."""
    from matplotlib.ticker import PercentFormatter

    shown = list(rows[:MAX_PLOTTED])
    fig, ax = _figure(7.0, 1.3 + 0.32 * len(shown))
    rate = np.array([r["conversion_rate"] for r in shown], dtype=float)
    low = np.array([r["conversion_rate_low"] for r in shown], dtype=float)
    high = np.array([r["conversion_rate_high"] for r in shown], dtype=float)
    pos = np.arange(len(shown))[::-1]
    names = [_tex_safe(f"{_short(r['segment'])} (n = {r['leads']:,})") for r in shown]
    ax.barh(pos, rate, color=_MODEL_COLOR, alpha=0.75, height=0.6)
    ax.errorbar(rate, pos, xerr=np.vstack([rate - low, high - rate]), fmt="none", ecolor="#1d2733", capsize=3, lw=1)
    heading = f"Conversion rate by {dim}"
    if overall is not None:
        ax.axvline(overall, color=_RULE_COLORS[0], ls="--", lw=1.2)
        heading += f" (dashed: all leads, {overall:.1%})"
    ax.set_yticks(pos, names)
    ax.set_xlim(0, min(1.0, max(float(np.nanmax(high)) if len(high) else 0.0, overall or 0.0) * 1.1 or 1.0))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    within = f" within {horizon} days" if horizon else ""
    ax.set_xlabel(f"conversion rate{within} (95 % Wilson interval)")
    ax.set_title(_tex_safe(heading))
    return _png(fig)


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _tex_safe(text: str) -> str:
    """Text with ``$`` escaped, so matplotlib does not read it as mathtext."""
    return text.replace("$", r"\$")
