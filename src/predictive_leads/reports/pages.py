"""The reports' HTML pages, rendered from Jinja2 templates: an evaluation, a monitoring run, results by segment.

Each page is ONE self-contained HTML string: inline CSS, images as data URIs, no scripts, no external files, every
text escaped, and no timestamp unless the caller passes one. Wording and markup live in ``reports/templates``
(``base.html`` is the layout every page extends, ``macros.html`` the shared pieces); numbers are written by the
filters of :mod:`predictive_leads.reports.formats`. ``templates=`` names a folder whose templates are used before
the package's (e.g. a team's own ``base.html``). This module prepares the data for the templates and writes no file.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import jinja2
import pandas as pd

from predictive_leads import __version__
from predictive_leads.evaluation.metrics import MODEL, MODEL_SCORE
from predictive_leads.reports.figures import (
    EXPLANATION_PLOTS,
    MAX_PLOTTED,
    PLOT_ALT,
    PLOT_ORDER,
    segment_dimensions,
    segment_figures,
)
from predictive_leads.reports.formats import FILTERS

TEMPLATES = ("base.html", "macros.html", "evaluation.html", "monitoring.html", "segments.html")
MONITOR_TITLE = "Lead scoring model — monitoring"
SEGMENTS_TITLE = "Lead scoring by segment"
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_SCORER_LABELS = {MODEL: "model (probability)", MODEL_SCORE: "model (1–100 score)"}
_METRICS = ("roc_auc", "pr_auc", "ks", "lift_at_10", "capture_at_10", "capture_at_20", "auc_diff")
_COMPARISON_KEYS = (*(f"{m}{end}" for m in _METRICS for end in ("", "_low", "_high")), "share_first_better")
_CLASSIFICATION_KEYS = ("brier", "log_loss", "ece", "ece_bins", "mean_predicted", "base_rate")
_COHORT_COLUMNS = ("cohort", "n", "positives", "realized", "predicted", "auc", "auc_low", "auc_high", "ece",
                   "ece_noise", "ece_p")  # fmt: skip
_SEGMENT_SETTINGS = ("horizon_days", "mql", "sql", "n_boot", "seed", "min_leads", "costs_by", "feedback")
_META_KEYS = ("split", "horizon_days", "generated_at", "notes", "tables", "audit_prices")

Folder = str | os.PathLike

# ------------------------------------------------------------------------------------------ templates


def environment(templates: Folder | None = None) -> jinja2.Environment:
    """The Jinja2 environment of the pages: the package's templates, after those in ``templates`` when given;
    autoescaped, strict about undefined names, with the number filters of :mod:`predictive_leads.reports.formats`.
    Made on first use and kept (one per folder)."""
    if templates is None:
        return _environment(None)
    folder = Path(templates)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such templates folder")
    return _environment(str(folder.resolve()))


@functools.cache
def _environment(folder: str | None) -> jinja2.Environment:
    package = jinja2.PackageLoader("predictive_leads.reports", "templates")
    loader = package if folder is None else jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder), package])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)  # fmt: skip
    env.filters.update(FILTERS)
    env.globals["version"] = __version__
    return env


def _render(name: str, templates: Folder | None, figures: Mapping[str, str], **context) -> str:
    """Template ``name`` with ``context``, the figures (checked to be base64) and their alt texts."""
    for key, data in figures.items():
        if not isinstance(data, str) or not _BASE64.match(data):
            raise ValueError(f"plot {key!r} is not a base64 string")
    alt = {key: PLOT_ALT.get(key, str(key).replace("_", " ")) for key in figures}
    return environment(templates).get_template(name).render(figures=figures, alt=alt, **context)


def _filled(row: Mapping, keys: Sequence[str]) -> dict:
    """``row`` with every key of ``keys`` present (None when missing), so a template can name it."""
    return {**dict.fromkeys(keys), **row}


# ------------------------------------------------------------------------------------------ evaluation


def evaluation_page(evaluation: Mapping, figures: Mapping[str, str], *, title: str, meta: Mapping | None = None,
                    templates: Folder | None = None) -> str:  # fmt: skip
    """ONE self-contained HTML page for an evaluation (:func:`predictive_leads.evaluation.metrics.evaluation`).

    ``figures`` are base64 PNGs (:func:`predictive_leads.reports.figures.evaluation_figures`, plus any SHAP plots);
    known keys go to their section, others to "More plots". ``meta`` (all optional): ``split`` — a sentence, or
    ``{"method": "out_of_time" | "random_stratified", "train": [from, to], "test": [from, to], ...}`` (``kind``,
    ``train_span``, ``test_span`` are accepted too; other keys are listed); ``horizon_days``; ``generated_at``
    (shown only when given); ``notes`` — a string or list of strings; ``tables`` — ``{title: rows}`` with rows a
    list of dicts or a DataFrame (e.g. the leakage audit); ``audit_prices`` — the rows of
    :func:`predictive_leads.evaluation.audit_prices.price_audit_drops`; any other key is listed under "Run details".
    """
    ev, meta = evaluation, dict(meta or {})
    settings = _filled(ev.get("settings") or {}, ("n_boot", "seed", "min_segment_n"))
    classification = ev.get("classification")
    return _render(
        "evaluation.html", templates, figures, title=title, generated_at=meta.get("generated_at"),
        ci_level=_ci_level(settings), settings=settings, n=ev.get("n", 0), positives=ev.get("positives", 0),
        base_rate=ev.get("base_rate"), headline=_headline(ev.get("headline") or {}), split=_split(meta.get("split")),
        horizon_days=meta.get("horizon_days"),
        comparison=[{**_filled(r, _COMPARISON_KEYS), "label": _label(r["scorer"])} for r in ev.get("comparison") or []],
        thresholds=[{"label": _label(name), "rows": r["thresholds"]}
                    for name, r in (ev.get("ranking") or {}).items() if r.get("thresholds")],
        classification=_filled(classification, _CLASSIFICATION_KEYS) if classification else None,
        reliability=ev.get("reliability") or [], bands=ev.get("bands") or [], grades=ev.get("grades") or [],
        segments=_by_segment(ev.get("segments") or []), explanation_plots=EXPLANATION_PLOTS,
        more=[k for k in figures if k not in PLOT_ORDER], notes=_notes(meta), tables=_tables(meta),
        audit_prices=list(meta.get("audit_prices") or []), details=_details(meta),
    )  # fmt: skip


def _label(scorer: str) -> str:
    return _SCORER_LABELS.get(scorer, scorer)


def _ci_level(settings: Mapping) -> str:
    alpha = settings.get("alpha", 0.05)
    return f"{round((1 - alpha) * 100):d} %"


def _headline(head: Mapping) -> dict | None:
    """The model's AUC, lift and capture; the best points score and the difference to it, when there is one."""
    model = head.get("model")
    if not model:
        return None
    diff = head.get("auc_diff") or {}
    return {"auc": model["roc_auc"], "lift": model.get("lift_at_10"), "capture": model.get("capture_at_10"),
            "best": head.get("best_rule") or None, "diff": diff if diff.get("estimate") is not None else None,
            "share": diff.get("share_model_better")}  # fmt: skip


def _split(split) -> dict:
    """How the test rows were chosen, for the template: ``kind`` is ``unrecorded``, ``text``, ``out_of_time``,
    ``random`` or ``other``; ``train``/``test`` the spans; ``details`` the other keys as (label, value)."""
    out = {"kind": "unrecorded", "text": None, "method": "", "train": None, "test": None, "details": []}
    if split is None:
        return out
    if isinstance(split, str):
        return {**out, "kind": "text", "text": split}
    split = dict(split)
    method = str(split.pop("method", split.pop("kind", ""))).lower()
    train = split.pop("train", split.pop("train_span", None))
    test = split.pop("test", split.pop("test_span", None))
    if method.replace("-", "_").replace(" ", "_") in ("out_of_time", "time"):
        kind = "out_of_time"
    else:
        kind = "random" if method.startswith("random") else "other"
    details = [(k.replace("_", " "), v) for k, v in split.items() if v is not None]
    return {**out, "kind": kind, "method": method, "train": train, "test": test, "details": details}


def _by_segment(rows: Sequence[Mapping]) -> list[dict]:
    """The segment rows of an evaluation grouped by column, in order of first appearance."""
    return [{"name": col, "rows": [r for r in rows if r["segment"] == col]}
            for col in dict.fromkeys(r["segment"] for r in rows)]  # fmt: skip


def _notes(meta: Mapping) -> list[str]:
    notes = meta.get("notes")
    if not notes:
        return []
    return [notes] if isinstance(notes, str) else list(notes)


def _tables(meta: Mapping) -> list[dict]:
    """``meta["tables"]`` as ``{title, columns, rows}`` (rows as lists of values in column order)."""
    out = []
    for title, rows in (meta.get("tables") or {}).items():
        records = rows.to_dict(orient="records") if isinstance(rows, pd.DataFrame) else [dict(r) for r in rows]
        columns = list(dict.fromkeys(k for r in records for k in r))
        out.append({"title": title, "columns": columns, "rows": [[r.get(c) for c in columns] for r in records]})
    return out


def _details(meta: Mapping) -> list[tuple[str, str]]:
    """The other keys of ``meta`` as (label, text)."""
    return [(k.replace("_", " "), v if isinstance(v, str) else repr(v)) for k, v in meta.items() if k not in _META_KEYS]


# ------------------------------------------------------------------------------------------ monitoring


def monitor_page(result, figures: Mapping[str, str], *, title: str = MONITOR_TITLE,
                 templates: Folder | None = None) -> str:  # fmt: skip
    """ONE self-contained HTML page for a monitoring run (a :class:`predictive_leads.monitoring.monitor.MonitorResult`):
    verdict and reasons, input drift, mature cohorts, estimated against realized performance per cohort after
    training, predicted against realized per score band, sales feedback on the MQLs. ``figures`` from
    :func:`predictive_leads.reports.figures.monitor_figures`."""
    data = result.to_dict()
    columns = [c for c in _COHORT_COLUMNS if c in result.cohorts]
    return _render(
        "monitoring.html", templates, figures, title=title, verdict=data["verdict"], as_of=data["as_of"][:10],
        horizon_days=data["horizon_days"], facts=data["facts"], drift=data["drift"][:25],
        cohorts={"columns": columns, "rows": data["cohorts"]}, has_bands=bool(data["bands"]),
        estimates=data["estimates"], feedback=data.get("feedback", []),
    )  # fmt: skip


# ------------------------------------------------------------------------------------------ segments


def segments_page(table: pd.DataFrame, figures: Mapping[str, str] | None = None, *, title: str = SEGMENTS_TITLE,
                  templates: Folder | None = None) -> str:  # fmt: skip
    """ONE self-contained HTML page for a table of :func:`predictive_leads.ops.segments.segment_report`: per
    dimension a figure of the conversion rate per segment and a table; the definitions; the notes.

    ``figures`` (keyed by dimension) default to :func:`predictive_leads.reports.figures.segment_figures`. Aggregates
    only: no lead-level row or lead id is written. Uses ``table.attrs`` (settings, notes) when present, so pass the
    table as :func:`~predictive_leads.ops.segments.segment_report` returned it. Deterministic for the same table.
    """
    figures = segment_figures(table) if figures is None else figures
    settings = {**dict.fromkeys(_SEGMENT_SETTINGS), "model_ranked_by": "probability",
                **(table.attrs.get("settings") or {})}  # fmt: skip
    return _render(
        "segments.html", templates, figures, title=title, dimensions=segment_dimensions(table), settings=settings,
        notes=list(table.attrs.get("notes") or []), max_plotted=MAX_PLOTTED,
    )  # fmt: skip
