"""Render an evaluation as pictures and one self-contained HTML page (rendering only: no metric is computed
here that :mod:`predictive_leads.evaluate` does not define).

- :func:`plots` draws the standard figures as base64 PNGs with matplotlib's Agg canvas. It never imports
  ``pyplot`` and never changes the global backend, so it is safe inside a notebook or a batch job, and it
  draws with matplotlib's default style whatever the caller's settings, so the same inputs give the same bytes.
- :func:`html_report` turns the dict of :func:`predictive_leads.evaluate.evaluation` (the ``metrics.json``
  shape) plus those plots into ONE HTML page: inline CSS, images as data URIs, no scripts, no external
  assets, every text escaped, and no timestamp unless the caller passes one in ``meta``.
- :func:`write_report` writes it atomically.
"""

from __future__ import annotations

import base64
import io
import os
import re
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .evaluate import MODEL, MODEL_SCORE, _outcome, _probabilities, _Ranking, _scores, reliability

PLOT_ALT = {
    "roc": "ROC curves: true positive rate against false positive rate for the model and each points score",
    "pr": "Precision–recall curves for the model and each points score, with the overall conversion rate",
    "gains": "Cumulative gains and lift: share of conversions captured and lift against share of leads "
    "contacted, in score order, for the model and each points score",
    "reliability": "Reliability diagram: observed conversion rate against mean predicted probability in "
    "equal-mass bins, with 95 % Wilson intervals and the diagonal of perfect calibration",
    "score_distribution": "Distribution of the model's score (or probability) for converted and not-converted "
    "leads, each as a share of its group",
}
PLOT_ALT |= {
    "shap_importance": "What drives the score overall: mean absolute SHAP contribution (log-odds) per attribute",
    "shap_beeswarm": "SHAP beeswarm: each dot is a lead; position is the feature's contribution to the log-odds, "
    "colour its value (high red, low blue)",
    "shap_waterfall": "One lead (the highest probability among the test rows): how each attribute moves the "
    "log-odds from the average lead E[f(X)] to this lead's f(x)",
}
EXPLANATION_PLOTS = ("shap_importance", "shap_beeswarm", "shap_waterfall")
PLOT_ORDER = ("roc", "pr", "gains", "reliability", "score_distribution", *EXPLANATION_PLOTS)
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_MODEL_COLOR = "#1f4e9c"
_RULE_COLORS = ("#d9822b", "#2a9d8f", "#8e44ad", "#c0392b", "#7f8c8d", "#b5a000", "#e377c2", "#17becf")
_DPI = 100

# ------------------------------------------------------------------------------------------ plots


def _figure(width: float, height: float, ncols: int = 1):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols)
    return fig, axes


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _curves(y: np.ndarray, scorers: Mapping[str, np.ndarray]):
    """Per scorer: tie-group cumulative counts (so ties are one step, as the metrics treat them)."""
    out = {}
    for name, s in scorers.items():
        total, pos = _Ranking(s).counts(y)
        out[name] = (np.cumsum(total), np.cumsum(pos), np.cumsum(total - pos))
    return out


def _color(i: int) -> str:
    return _MODEL_COLOR if i == 0 else _RULE_COLORS[(i - 1) % len(_RULE_COLORS)]


def plots(y, p, score=None, rule_scores: Mapping[str, object] | None = None, *, n_bins: int = 10) -> dict[str, str]:
    """Base64 PNGs keyed ``roc``, ``pr``, ``gains``, ``reliability``, ``score_distribution``.

    ROC, PR and gains/lift show the model's probability and every rule score; the reliability diagram uses the
    equal-mass bins of :func:`predictive_leads.evaluate.reliability`; the distribution shows ``score`` (the
    1–100 score) when given, else ``p``, for converted and not-converted leads.
    """
    import matplotlib
    import matplotlib.style

    y = _outcome(y)
    p = _probabilities(p, y.size)
    scorers = {MODEL: p}
    for name, s in (rule_scores or {}).items():
        scorers[str(name)] = _scores(s, y.size, name=f"rule score {name!r}")
    dist = _scores(score, y.size, name="score") if score is not None else None
    with matplotlib.rc_context(), matplotlib.style.context("default"):
        matplotlib.rcParams.update({"font.size": 9, "axes.grid": True, "grid.alpha": 0.3})
        return {
            "roc": _plot_roc(y, scorers),
            "pr": _plot_pr(y, scorers),
            "gains": _plot_gains(y, scorers),
            "reliability": _plot_reliability(y, p, n_bins),
            "score_distribution": _plot_distribution(y, p if dist is None else dist, is_score=dist is not None),
        }


def _plot_roc(y, scorers) -> str:
    fig, ax = _figure(5.5, 4.5)
    n_pos, n_neg = y.sum(), y.size - y.sum()
    for i, (name, (_, tp, fp)) in enumerate(_curves(y, scorers).items()):
        fpr, tpr = np.r_[0, fp / n_neg], np.r_[0, tp / n_pos]
        auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
        ax.plot(fpr, tpr, color=_color(i), lw=2.2 if i == 0 else 1.3, label=f"{name} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=0.8)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="false positive rate", ylabel="true positive rate (recall)", title="ROC")
    ax.legend(loc="lower right", fontsize=7.5)
    return _png(fig)


def _plot_pr(y, scorers) -> str:
    fig, ax = _figure(5.5, 4.5)
    n_pos = y.sum()
    for i, (name, (flagged, tp, _)) in enumerate(_curves(y, scorers).items()):
        recall, precision = tp / n_pos, tp / flagged
        ap = float(np.sum(np.diff(np.r_[0, recall]) * precision))
        ax.step(np.r_[0, recall], np.r_[precision[0], precision], where="pre", color=_color(i),
                lw=2.2 if i == 0 else 1.3, label=f"{name} (AP {ap:.3f})")  # fmt: skip
    ax.axhline(y.mean(), color="grey", ls="--", lw=0.8, label=f"conversion rate {y.mean():.1%}")
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="recall", ylabel="precision", title="Precision–recall")
    ax.legend(loc="upper right", fontsize=7.5)
    return _png(fig)


def _plot_gains(y, scorers) -> str:
    fig, (gain_ax, lift_ax) = _figure(9.5, 4.0, ncols=2)
    n, n_pos = y.size, y.sum()
    for i, (name, (flagged, tp, _)) in enumerate(_curves(y, scorers).items()):
        share, captured = np.r_[0, flagged / n], np.r_[0, tp / n_pos]
        width = 2.2 if i == 0 else 1.3
        gain_ax.plot(share, captured, color=_color(i), lw=width, label=name)
        shown = flagged / n >= 0.01  # the first few leads' lift is noise
        lift = (tp / flagged) / (n_pos / n)
        lift_ax.plot((flagged / n)[shown], lift[shown], color=_color(i), lw=width, label=name)
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
    top = float(max(bins["mean_predicted"].max(), bins["ci_high"].max())) * 1.08 or 1.0
    top = min(1.0, top)
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


# ------------------------------------------------------------------------------------------ formatting


def _esc(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(x, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _pct(x, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f} %"


def _signed(x) -> str:
    return "–" if x is None else f"{x:+.3f}"


def _times(x) -> str:
    return "–" if x is None else f"{x:.2f}×"


def _range(low, high, fmt) -> str:
    return "" if low is None or high is None else f"{fmt(low)} – {fmt(high)}"


def _with_ci(entry: Mapping, fmt, label: str = "CI ") -> str:
    """``estimate (CI low – high)``, or the estimate alone when there is no interval."""
    interval = _range(entry.get("low"), entry.get("high"), fmt)
    return f"{fmt(entry.get('estimate'))} ({label}{interval})" if interval else fmt(entry.get("estimate"))


def _plain(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _cell(value) -> str:
    """A table cell: text, or ``(main, interval)`` shown with the interval in smaller type."""
    if isinstance(value, tuple):
        main, sub = value
        return f'{_esc(main)}<span class="ci">{_esc(sub)}</span>' if sub else _esc(main)
    return _esc(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence], *, numeric: Sequence[int] | None = None) -> str:
    """An HTML table; columns in ``numeric`` (default: all but the first) are right-aligned."""
    numeric = set(range(1, len(headers)) if numeric is None else numeric)
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_cell(v)}</td>' if j in numeric else f"<td>{_cell(v)}</td>" for j, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(key: str, data: str, alt: str | None = None) -> str:
    alt = alt or PLOT_ALT.get(key, key.replace("_", " "))
    caption = f"<figcaption>{_esc(alt)}</figcaption>"
    return f'<figure><img src="data:image/png;base64,{data}" alt="{_esc(alt)}">{caption}</figure>'


def _figures(keys: Sequence[str], plots: Mapping[str, str]) -> str:
    imgs = [_img(k, plots[k]) for k in keys if k in plots]
    return f'<div class="figs">{"".join(imgs)}</div>' if imgs else ""


def _display(name: str) -> str:
    return {MODEL: "model (probability)", MODEL_SCORE: "model (1–100 score)"}.get(name, name)


def _ci_level(evaluation: Mapping) -> str:
    alpha = evaluation.get("settings", {}).get("alpha", 0.05)
    return f"{round((1 - alpha) * 100):d} %"


# ------------------------------------------------------------------------------------------ sections


def _headline(ev: Mapping) -> str:
    head = ev.get("headline") or {}
    model = head.get("model")
    if not model:
        return ""
    level = _ci_level(ev)
    n_boot = ev.get("settings", {}).get("n_boot")
    parts = [f"Model ROC AUC {_with_ci(model['roc_auc'], _num, f'{level} CI ')}"]
    best, diff = head.get("best_rule"), head.get("auc_diff")
    if best:
        parts.append(f" against {_with_ci(best['roc_auc'], _num, '')} for the best points score, “{best['name']}”")
        if diff and diff.get("estimate") is not None:
            parts.append(f": a difference of {_with_ci(diff, _signed)}")
            share = diff.get("share_model_better")
            if share is not None:
                parts.append(f"; the model ranked better in {_pct(share, 0)} of {n_boot} bootstrap resamples")
    lines = [f'<p class="lead">{_esc("".join(parts) + ".")}</p>']
    lift, capture = model.get("lift_at_10"), model.get("capture_at_10")
    if lift and capture:
        text = (
            f"Top decile: the 10 % of leads the model ranks highest convert at {_with_ci(lift, _times)} the "
            f"average rate and hold {_with_ci(capture, _pct)} of all conversions."
        )
        lines.append(f'<p class="lead">{_esc(text)}</p>')
    return '<section id="headline"><h2>Headline</h2>' + "".join(lines) + "</section>"


def _when(value) -> str:
    """A date or timestamp as text; UTC midnights (as_of dates) shown as the date alone."""
    text = str(value)
    for suffix in ("T00:00:00+00:00", "T00:00:00Z", " 00:00:00+00:00", "T00:00:00"):
        text = text.removesuffix(suffix)
    return text


def _span(value) -> str:
    return " to ".join(_when(x) for x in value) if isinstance(value, (list, tuple)) else _when(value)


def _split_text(split) -> list[str]:
    """Sentences on how the test rows were chosen (see :func:`html_report` for the accepted shapes)."""
    if split is None:
        return ["How the test rows were chosen was not recorded: read these figures with care."]
    if isinstance(split, str):
        return [split]
    split = dict(split)
    method = str(split.pop("method", split.pop("kind", ""))).lower()
    train = split.pop("train", split.pop("train_span", None))
    test = split.pop("test", split.pop("test_span", None))
    if method.replace("-", "_").replace(" ", "_") in ("out_of_time", "time"):
        text = "Out of time: "
        text += f"trained on as_of {_span(train)}; " if train is not None else ""
        text += f"measured on as_of {_span(test)}, " if test is not None else "measured on "
        text += "a later period the model never saw."
        lines = [text]
    elif method.startswith("random"):
        lines = ["Random stratified split — no time column. Test rows come from the same period as the training "
                 "rows, so these figures are likely optimistic compared with scoring future leads."]  # fmt: skip
    else:
        lines = [f"Split: {method or 'unspecified'}" + (f"; train {_span(train)}" if train is not None else "")
                 + (f"; test {_span(test)}" if test is not None else "")]  # fmt: skip
    lines += [f"{k.replace('_', ' ')}: {_span(v)}" for k, v in split.items() if v is not None]
    return lines


def _measured(ev: Mapping, meta: Mapping) -> str:
    settings = ev.get("settings", {})
    items = _split_text(meta.get("split"))
    if meta.get("horizon_days") is not None:
        items.append(f"Outcome: converted within {meta['horizon_days']} days after as_of.")
    items.append(
        f"Test rows: {ev.get('n', 0):,}; conversions: {ev.get('positives', 0):,} "
        f"(conversion rate {_pct(ev.get('base_rate'), 2)})."
    )
    if settings.get("n_boot") is not None:
        items.append(
            f"Intervals: {_ci_level(ev)} percentile bootstrap, {settings['n_boot']} resamples stratified by outcome "
            f"(seed {settings.get('seed')}); the AUC differences are paired (all scorers on the same resamples)."
        )
    items.append("Tied scores share the cut: lift and capture count a tied group at the cut by its average rate.")
    lis = "".join(f"<li>{_esc(t)}</li>" for t in items)
    return f'<section id="measured"><h2>How it was measured</h2><ul>{lis}</ul></section>'


def _comparison(ev: Mapping, plots: Mapping[str, str]) -> str:
    rows = ev.get("comparison") or []
    if not rows:
        return ""

    def metric(r, key, fmt):
        return (fmt(r.get(key)), _range(r.get(f"{key}_low"), r.get(f"{key}_high"), fmt))

    body = []
    for i, r in enumerate(rows):
        if i == 0:
            diff, share = ("–", ""), "–"
        else:
            diff = (_signed(r["auc_diff"]), _range(r.get("auc_diff_low"), r.get("auc_diff_high"), _signed))
            share = _pct(r.get("share_first_better"), 0)
        body.append([_display(r["scorer"]), metric(r, "roc_auc", _num), metric(r, "pr_auc", _num),
                     metric(r, "ks", _num), metric(r, "lift_at_10", _times), metric(r, "capture_at_10", _pct),
                     metric(r, "capture_at_20", _pct), diff, share])  # fmt: skip
    first = rows[0]["scorer"]
    headers = ["scorer", "ROC AUC", "PR AUC", "KS", "lift, top 10 %", "capture, top 10 %", "capture, top 20 %",
               f"AUC: {first} minus this", f"{first} better in"]  # fmt: skip
    intro = (
        f"Every scorer on the same test rows; each figure with its {_ci_level(ev)} bootstrap interval. "
        "Capture is the share of all conversions among the highest-scored leads; lift is their conversion rate "
        "over the average."
    )
    return (
        '<section id="comparison"><h2>Model against the points scores</h2>'
        f"<p>{_esc(intro)}</p>{_table(headers, body)}{_figures(('roc', 'pr', 'gains'), plots)}</section>"
    )


def _thresholds(ev: Mapping) -> str:
    blocks = []
    for name, r in (ev.get("ranking") or {}).items():
        rows = r.get("thresholds") or []
        if not rows:
            continue
        body = [[t["label"], _num(t["threshold"], 4).rstrip("0").rstrip("."), f"{t['flagged']:,}",
                 _pct(t["share_flagged"]), _pct(t["precision"]), _pct(t["recall"]), _times(t["lift"])]
                for t in rows]  # fmt: skip
        headers = ["threshold", "value", "leads flagged", "share flagged", "precision", "recall", "lift"]
        blocks.append(f"<h3>{_esc(_display(name))}</h3>{_table(headers, body)}")
    if not blocks:
        return ""
    return '<section id="thresholds"><h2>At the thresholds in use</h2>' + "".join(blocks) + "</section>"


def _calibration(ev: Mapping, plots: Mapping[str, str]) -> str:
    c = ev.get("classification")
    if not c:
        return ""
    summary = [
        ["Brier score", _num(c.get("brier"), 4), "mean squared error of the probability (lower is better)"],
        ["log loss", _num(c.get("log_loss"), 4), "lower is better"],
        [f"ECE ({c.get('ece_bins')} equal-mass bins)", _num(c.get("ece"), 4),
         "average gap between predicted and observed conversion rate, weighted by bin size"],
        ["mean predicted", _pct(c.get("mean_predicted"), 2), "should be close to the observed rate"],
        ["observed rate", _pct(c.get("base_rate"), 2), ""],
    ]  # fmt: skip
    table = _table(["measure", "value", "meaning"], summary, numeric=(1,))
    bins = ev.get("reliability") or []
    bin_rows = [[str(b["bin"] + 1), f"{b['n']:,}", _range(b["p_min"], b["p_max"], lambda x: _pct(x, 2)),
                 _pct(b["mean_predicted"], 2), (_pct(b["observed_rate"], 2), _range(b["ci_low"], b["ci_high"], _pct))]
                for b in bins]  # fmt: skip
    bin_table = _table(["bin", "leads", "probability range", "mean predicted", "observed (Wilson 95 %)"], bin_rows)
    return (
        '<section id="calibration"><h2>Calibration</h2>'
        "<p>Does a predicted 23 % mean 23 out of 100 such leads convert?</p>"
        f"{table}{_figures(('reliability',), plots)}{bin_table if bins else ''}</section>"
    )


def _rate_rows(rows: Sequence[Mapping], label: str) -> list[list]:
    return [[r[label], f"{r['n']:,}", _pct(r["share"]), f"{r['conversions']:,}",
             (_pct(r["conversion_rate"]), _range(r["ci_low"], r["ci_high"], _pct)), _pct(r["mean_p"]),
             _times(r["lift"])] for r in rows]  # fmt: skip


_RATE_HEADERS = ["leads", "share", "conversions", "conversion rate (Wilson 95 %)", "mean predicted", "lift"]


def _bands(ev: Mapping, plots: Mapping[str, str]) -> str:
    parts = []
    if ev.get("bands"):
        parts.append(f"<h3>By score band</h3>{_table(['score band', *_RATE_HEADERS], _rate_rows(ev['bands'], 'band'))}")
    if ev.get("grades"):
        parts.append(f"<h3>By grade</h3>{_table(['grade', *_RATE_HEADERS], _rate_rows(ev['grades'], 'group'))}")
    figs = _figures(("score_distribution",), plots)
    if not parts and not figs:
        return ""
    return '<section id="bands"><h2>Conversion by score band and grade</h2>' + "".join(parts) + figs + "</section>"


def _segments(ev: Mapping) -> str:
    rows = ev.get("segments") or []
    if not rows:
        return ""
    blocks = []
    for col in dict.fromkeys(r["segment"] for r in rows):
        sub = [r for r in rows if r["segment"] == col]
        body = [[*row, _num(r["roc_auc"])] for row, r in zip(_rate_rows(sub, "value"), sub, strict=True)]
        blocks.append(f"<h3>{_esc(col)}</h3>{_table(['value', *_RATE_HEADERS, 'ROC AUC'], body)}")
    min_n = ev.get("settings", {}).get("min_segment_n")
    note = f"Values with fewer than {min_n} leads are pooled as “(other)”. " if min_n else ""
    note += "AUC is “–” where a segment has a single outcome."
    return f'<section id="segments"><h2>Segments</h2><p>{_esc(note)}</p>{"".join(blocks)}</section>'


def _explanations(plots: Mapping[str, str]) -> str:
    if not any(k in plots for k in EXPLANATION_PLOTS):
        return ""
    intro = ("Exact TreeSHAP contributions on the test rows, grouped into the attributes people know; every scored "
             "lead gets its own top reasons in words and score points.")  # fmt: skip
    return (f'<section id="explanations"><h2>What drives the score</h2><p>{_esc(intro)}</p>'
            f"{_figures(EXPLANATION_PLOTS, plots)}</section>")  # fmt: skip


def _records(rows) -> list[Mapping]:
    if isinstance(rows, pd.DataFrame):
        return rows.to_dict(orient="records")
    return [dict(r) for r in rows]


def _notes(meta: Mapping) -> str:
    parts = []
    notes = meta.get("notes")
    if notes:
        notes = [notes] if isinstance(notes, str) else list(notes)
        parts.append("<ul>" + "".join(f"<li>{_esc(n)}</li>" for n in notes) + "</ul>")
    for title, rows in (meta.get("tables") or {}).items():
        records = _records(rows)
        columns = list(dict.fromkeys(k for r in records for k in r))
        body = [[_plain(r.get(c)) for c in columns] for r in records]
        parts.append(f"<h3>{_esc(title)}</h3>{_table(columns, body, numeric=())}")
    details = {k: v for k, v in meta.items() if k not in _META_KEYS}
    if details:
        rows = [[k.replace("_", " "), v if isinstance(v, str) else repr(v)] for k, v in details.items()]
        parts.append(f"<h3>Run details</h3>{_table(['detail', 'value'], rows, numeric=())}")
    if not parts:
        return ""
    return '<section id="notes"><h2>Notes</h2>' + "".join(parts) + "</section>"


_META_KEYS = ("split", "horizon_days", "generated_at", "notes", "tables")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;margin:0;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px 32px;background:#fff}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.25em;border-bottom:2px solid #e3e7ec;padding-bottom:4px;
margin-top:32px}h3{font-size:1.05em;margin:20px 0 6px}
.sub{color:#5b6775;margin:0 0 8px}.lead{font-size:1.08em;line-height:1.5}
table{border-collapse:collapse;margin:8px 0 16px;font-size:.9em}
th,td{padding:4px 10px;border-bottom:1px solid #e3e7ec;text-align:left;vertical-align:top}
th{background:#f0f3f6;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ci{display:block;color:#6b7785;font-size:.82em}
.figs{display:flex;flex-wrap:wrap;gap:12px}figure{margin:8px 0;max-width:100%}
figure img{max-width:100%;height:auto;border:1px solid #e3e7ec}
figcaption{font-size:.8em;color:#5b6775;max-width:520px}
footer{color:#8a94a0;font-size:.8em;margin-top:32px}
"""


def html_report(evaluation: Mapping, plots: Mapping[str, str], *, title: str, meta: Mapping | None = None) -> str:
    """ONE self-contained HTML page for an evaluation (the dict of :func:`predictive_leads.evaluate.evaluation`).

    ``plots`` are base64 PNGs (from :func:`plots`); known keys go to their section, others to "More plots".
    ``meta`` (all optional): ``split`` — a sentence, or ``{"method": "out_of_time" | "random_stratified",
    "train": [from, to], "test": [from, to], ...}`` (``kind``, ``train_span``, ``test_span`` are accepted too;
    other keys are listed); ``horizon_days``; ``generated_at`` (shown only when
    given); ``notes`` — a string or list of strings; ``tables`` — ``{title: rows}`` with rows a list of dicts
    or a DataFrame (e.g. the leakage audit); any other key is listed under "Run details".
    """
    meta = dict(meta or {})
    for key, data in plots.items():
        if not isinstance(data, str) or not _BASE64.match(data):
            raise ValueError(f"plot {key!r} is not a base64 string")
    subtitle = f"Lead scoring evaluation · predictive_leads {__version__}"
    if meta.get("generated_at") is not None:
        subtitle += f" · {meta['generated_at']}"
    others = [k for k in plots if k not in PLOT_ORDER]
    more = f'<section id="more"><h2>More plots</h2>{_figures(others, plots)}</section>' if others else ""
    sections = [
        _headline(evaluation),
        _measured(evaluation, meta),
        _comparison(evaluation, plots),
        _thresholds(evaluation),
        _calibration(evaluation, plots),
        _bands(evaluation, plots),
        _segments(evaluation),
        _explanations(plots),
        more,
        _notes(meta),
    ]
    body = "\n".join(s for s in sections if s)
    footer = f"Generated by predictive_leads {__version__}. Self-contained: no scripts, no external files."
    return page(title, body, subtitle=subtitle, footer=footer)


def page(title: str, body: str, *, subtitle: str | None = None, footer: str | None = None) -> str:
    """One self-contained HTML page in the reports' style (no scripts, no external files)."""
    sub = f'<p class="sub">{_esc(subtitle)}</p>\n' if subtitle else ""
    foot = f"<footer>{_esc(footer)}</footer>\n" if footer else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_esc(title)}</h1>\n{sub}{body}\n{foot}</main>\n</body>\n</html>\n"
    )


def write_report(html: str, path: str | os.PathLike) -> Path:
    """Write the page to ``path`` atomically (UTF-8); returns the path."""
    from .io import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ monitoring report


def monitor_plots(result) -> dict[str, str]:
    """Base64 PNGs for a :class:`predictive_leads.monitor.MonitorResult`: PSI bars, cohort AUC, bands."""
    import matplotlib
    import matplotlib.style

    out = {}
    with matplotlib.rc_context(), matplotlib.style.context("default"):
        matplotlib.rcParams.update({"font.size": 9, "axes.grid": True, "grid.alpha": 0.3})
        top = result.drift.head(15).iloc[::-1]
        fig, ax = _figure(6.5, 4.2)
        colors = [{"act": "#c0392b", "watch": "#d9822b"}.get(s, "#7f8c8d") for s in top["status"]]
        ax.barh([f"{f}{' ★' if d else ''}" for f, d in zip(top["feature"], top["driver"], strict=True)], top["psi"],
                color=colors)  # fmt: skip
        for x in (0.1, 0.25):
            ax.axvline(x, color="#333", lw=0.8, ls="--")
        ax.set_xlabel("PSI against the reference (★ = driver)")
        out["psi"] = _png(fig)
        cohorts = result.cohorts
        if len(cohorts) and "auc" in cohorts:
            judged = cohorts.dropna(subset=["auc"])
            fig, ax = _figure(6.5, 3.4)
            ax.errorbar(judged["cohort"], judged["auc"], yerr=[judged["auc"] - judged["auc_low"],
                        judged["auc_high"] - judged["auc"]], marker="o", color=_MODEL_COLOR, capsize=3)  # fmt: skip
            ax.set_ylabel("AUC (mature rows, 95 % CI)")
            ax.tick_params(axis="x", rotation=45)
            out["cohort_auc"] = _png(fig)
        if len(result.bands):
            bands = result.bands
            fig, ax = _figure(6.5, 3.4)
            x = np.arange(len(bands))
            ax.bar(x - 0.2, bands["mean_p"], 0.4, label="predicted", color=_MODEL_COLOR)
            ax.bar(x + 0.2, bands["conversion_rate"], 0.4, label="realized", color=_RULE_COLORS[0])
            ax.set_xticks(x, bands["band"], rotation=45)
            ax.set_ylabel("conversion rate")
            ax.legend()
            out["bands"] = _png(fig)
    return out


def monitor_html(result, plots: Mapping[str, str], *, title: str = "Lead scoring model — monitoring") -> str:
    """ONE self-contained HTML page for a monitoring run: verdict and reasons, drift, cohorts, bands."""
    data = result.to_dict()
    v = data["verdict"]
    reasons = "".join(f"<li>{_esc(r)}</li>" for r in v["reasons"])
    drift = result.drift.head(25)
    drift_rows = [[r.feature, _num(r.psi), _pct(r.unseen) if r.unseen == r.unseen else "", _pct(r.importance),
                   "yes" if r.driver else "", r.status] for r in drift.itertuples(index=False)]  # fmt: skip
    parts = [
        f'<section id="verdict"><h2>Verdict: {_esc(v["status"])}</h2><ul>{reasons}</ul>'
        f"<p>Monitored as of {_esc(data['as_of'][:10])}; outcomes only from rows whose {data['horizon_days']}-day "
        f"horizon had passed ({data['facts']['mature_rows']:,} mature rows; "
        f"{data['facts']['immature_rows_left_out']:,} not yet mature left out).</p></section>",
        '<section id="drift"><h2>Input drift</h2>'
        f"<p>Compared like for like: {_esc(data['facts']['drift_population'])} now "
        f"({data['facts']['drift_rows']:,} rows) against the same population in the reference.</p>"
        + _figures(["psi"], plots)
        + _table(["feature", "PSI", "unseen", "weight", "driver", "status"], drift_rows, numeric=(1, 2, 3))
        + "</section>",
    ]
    if len(result.cohorts):
        cols = [c for c in ("cohort", "n", "positives", "realized", "predicted", "auc", "auc_low", "auc_high", "ece")
                if c in result.cohorts]  # fmt: skip
        rows = [[_plain(r[c]) if c in ("cohort", "n", "positives") else _num(r[c], 4) for c in cols]
                for r in result.cohorts.to_dict("records")]  # fmt: skip
        parts.append('<section id="cohorts"><h2>Mature cohorts</h2>' + _figures(["cohort_auc"], plots)
                     + _table(cols, rows, numeric=tuple(range(1, len(cols)))) + "</section>")  # fmt: skip
    if len(result.bands):
        parts.append('<section id="bands"><h2>Predicted vs realized per score band</h2>'
                     + _figures(["bands"], plots) + "</section>")  # fmt: skip
    return page(title, "\n".join(parts))
