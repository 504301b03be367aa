"""The training workflow: guard → audit → out-of-time split → model, rules, scorecard → evaluation → report.

Every number it reports is measured on rows the model never saw: the most recent ``test_fraction`` of the
time column's values, separated from the training rows by the label horizon (a training row's outcome window
must end before the first test ``as_of``, so no label straddles the split). Data without a time column is
split randomly (stratified) and the report says so.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from predictive_leads.evaluation import audit_prices
from predictive_leads.evaluation.cold_start import (
    assess,
    random_split,
    require_trainable,
    small_data_params,
    time_split,
)
from predictive_leads.evaluation.leakage_audit import apply_audit, leakage_audit
from predictive_leads.evaluation.metrics import evaluation, fit_engagement_matrix, to_jsonable
from predictive_leads.features.guard import ATTRS_KEY, assert_point_in_time
from predictive_leads.features.pipeline import CONTEXT_COLUMNS
from predictive_leads.models.funnel import stage_outcomes
from predictive_leads.models.lead_scorer import LeadScorer, ModelError
from predictive_leads.models.learned_scorecard import LearnedScorecard
from predictive_leads.models.rules import RuleError, RuleScorer, preset_names
from predictive_leads.monitoring.profile import PROFILE_FILE, fit_profile

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.json"
REPORT_FILE = "report.html"
AUDIT_FILE = "audit.csv"
SCORECARD_FILE = "learned_scorecard.yaml"
SCORECARD_MISSING = "learned scorecard skipped: optbinning is not installed (pip install 'predictive-leads[scorecard]')"
ACCOUNT_FOLDER = "account"  # the account score's model files, inside the lead model's folder
DATASET_FILE = "dataset.json"  # the dataset spec and the resolved feature config: scoring rebuilds the same features
SEGMENT_COLUMNS = ("lead_source", "seniority", "industry", "region", "company_size_band")


@dataclass
class TrainResult:
    """What :func:`train_model` learned and measured. ``report_html`` is None when the report was not rendered."""

    model: LeadScorer
    evaluation: dict
    audit: pd.DataFrame
    dropped: list[str]
    report_html: str | None
    meta: dict
    profile: dict
    scorecard: LearnedScorecard | None = None
    notes: list[str] = field(default_factory=list)
    dataset: dict = field(default_factory=dict)  # spec (when built from one) and feature_config of the training set
    account: TrainResult | None = None  # the account score's model, when the leads belong to declared accounts
    split_rows: dict = field(default_factory=dict)  # "train"/"test": the positions of the frame's rows in each part
    render: Callable[[Mapping], str] | None = field(default=None, repr=False)  # the report with more tables

    def add_report_tables(self, tables: Mapping) -> None:
        """Render the report again with ``tables`` (``{title: rows}``) after the evaluation's own."""
        if self.render is None:
            raise ValueError("this result cannot render its report (it was loaded, not trained)")
        self.report_html = self.render(tables)

    def artifacts(self) -> dict[str, str]:
        """Every file of the model folder as text: the model (LightGBM text + JSON), its monitoring profile,
        ``metrics.json``, the learned scorecard YAML and (when rendered) ``report.html``."""
        from predictive_leads.data.files import json_text

        texts = self.model.to_artifacts() | {
            PROFILE_FILE: json_text(self.profile, indent=1),
            METRICS_FILE: json_text(self.evaluation | {"meta": self.meta}),
        }
        if self.dataset:
            texts[DATASET_FILE] = json_text(self.dataset)
        if self.scorecard is not None:
            texts[SCORECARD_FILE] = self.scorecard.table_.to_yaml()
        if self.report_html is not None:
            texts[REPORT_FILE] = self.report_html
        return texts

    def save(self, out: str | Path) -> Path:
        """:meth:`artifacts` and ``audit.csv`` into the folder ``out``, swapped in whole: a failed run leaves the
        previous folder as it was."""
        from predictive_leads.data.files import atomic_dir

        out = Path(out)
        with atomic_dir(out) as tmp:
            self._write(tmp)
        return out

    def _write(self, folder: Path) -> None:
        from predictive_leads.data.files import write_table, write_texts

        write_texts(self.artifacts(), folder)
        write_table(self.audit, folder / AUDIT_FILE)
        if self.account is not None:
            self.account._write(folder / ACCOUNT_FOLDER)


def _split(frame: pd.DataFrame, y: np.ndarray, time_col: str | None, horizon_days: int | None, test_fraction: float,
           seed: int):  # fmt: skip
    if time_col is None:
        train, test = random_split(y, test_fraction=test_fraction, seed=seed)
        return train, test, {"method": "random_stratified", "note": "no time column"}
    time = pd.to_datetime(frame[time_col], utc=True)
    train_mask, test_mask, test_start = time_split(time, horizon_days=horizon_days, test_fraction=test_fraction)
    if test_mask.all():
        raise ModelError(f"{time_col} has {time.nunique()} distinct value(s): too few for an out-of-time test")
    train, test = np.flatnonzero(train_mask), np.flatnonzero(test_mask)
    if not len(train):
        raise ModelError("no training rows are left before the test period once the label horizon is respected")
    split = {
        "method": "out_of_time",
        "train": [time.iloc[train].min().isoformat(), time.iloc[train].max().isoformat()],
        "test": [test_start.isoformat(), time.iloc[test].max().isoformat()],
        "gap_days": horizon_days or 0,
    }
    return train, test, split


def _rule_scores(X_train: pd.DataFrame, X_test: pd.DataFrame, rules=None) -> tuple[dict, list[str]]:
    """Each points table's scores on the test rows (all presets when ``rules`` is None)."""
    scores, notes = {}, []
    for name in preset_names() if rules is None else rules:
        try:
            scores[f"rules: {Path(str(name)).stem}"] = RuleScorer(table=name).fit(X_train).predict_score(X_test)
        except RuleError as exc:
            notes.append(f"rule table {name} not scored: {exc}")
    return scores, notes


def _measure(scored: pd.DataFrame, y, X: pd.DataFrame, rule_scores: dict, *, n_boot: int, seed: int,
             thresholds: dict | None = None) -> dict:  # fmt: skip
    """Evaluation of the rows ``X`` the model scored (``scored``): the model against every points score, overall
    and per segment."""
    segment_cols = [c for c in SEGMENT_COLUMNS if c in X]
    return evaluation(y, scored["probability"].to_numpy(), score=scored["score"].to_numpy(),
                      grade=scored["grade"].to_numpy(), rule_scores=rule_scores,
                      segments=X[segment_cols] if segment_cols else None, thresholds=thresholds, n_boot=n_boot,
                      seed=seed)  # fmt: skip


def _report(model: LeadScorer, scored: pd.DataFrame, y, X: pd.DataFrame, rule_scores: dict, result: dict, *,
            title: str, meta: dict, seed: int) -> str:  # fmt: skip
    """The HTML report of an evaluation: its figures (the SHAP ones included) and the page."""
    from predictive_leads.explain.plots import explanation_plots
    from predictive_leads.reports.figures import evaluation_figures
    from predictive_leads.reports.pages import evaluation_page

    p, score = scored["probability"].to_numpy(), scored["score"].to_numpy()
    figures = evaluation_figures(y, p, score, rule_scores)
    figures |= explanation_plots(model, X[list(model.feature_names_in_)], seed=seed)
    return evaluation_page(result, figures, title=title, meta=meta)


def scorecard_installed() -> bool:
    """optbinning, the learned scorecard's library, is an optional extra (``predictive-leads[scorecard]``)."""
    return importlib.util.find_spec("optbinning") is not None


def train_model(
    frame: pd.DataFrame,
    *,
    target: str = "converted",
    id_col: str | None = "lead_id",
    time_col: str | None = "as_of",
    flat_export: bool = False,
    horizon_days: int | None = None,
    rules=None,
    keep: tuple[str, ...] = (),
    drop: tuple[str, ...] = (),
    test_fraction: float = 0.2,
    learned_scorecard: bool = True,
    n_boot: int = 200,
    scorer_params: dict | None = None,
    seed: int = 0,
    force: bool = False,
    report: bool = True,
    price_audit_drops: int = audit_prices.MAX_PRICED,
    data_notes: Sequence[str] = (),
    split: tuple[np.ndarray, np.ndarray, dict] | None = None,
) -> TrainResult:
    """Train and evaluate a lead scorer on a training set (feature pipeline output, or a flat export).

    The cold-start ladder (:mod:`~predictive_leads.evaluation.cold_start`) decides first: below the documented
    minimum of the training part it refuses (``ColdStartError``, recommending the rule presets) unless ``force``;
    with little data the small, regularised model is fitted and the report says so. The monitoring profile is
    fitted on the model's reference rows. ``report=False`` skips the HTML report and its figures (the slow part
    of a notebook's retrain); the metrics are the same. Each column the audit dropped as too good is priced
    (:mod:`~predictive_leads.evaluation.audit_prices`): the model is refitted with it added back, at most
    ``price_audit_drops`` of them (0: none), and ``meta["audit_prices"]`` holds the test AUC with and without it.
    ``data_notes`` (what reading the data did, from :func:`load_training_frame`) open ``meta["notes"]``.
    ``split``: (training positions, test positions, its description) to use instead of making one — a segment
    model takes its share of the pooled model's split, so both are measured on the same rows."""
    assert_point_in_time(frame, flat_export=flat_export)
    meta_in = frame.attrs.get(ATTRS_KEY, {}).get("summary", {})
    horizon_days = horizon_days or meta_in.get("horizon_days")
    if target not in frame:
        raise ValueError(f"target column {target!r} is not in the data")
    y = frame[target].to_numpy().astype(int)
    time_col = time_col if time_col in frame else None
    readiness = assess(y, as_of=frame[time_col] if time_col else None, horizon_days=horizon_days,
                       test_fraction=test_fraction, seed=seed, parts=split[:2] if split else None)  # fmt: skip
    if not force:
        require_trainable(readiness)  # ColdStartError below the documented minimum: use the rules instead
    level_params = small_data_params() if readiness.level != "full" else {}
    context = {target, *(c for c in (id_col, time_col) if c), *CONTEXT_COLUMNS, *drop}
    X = frame[[c for c in frame.columns if c not in context]]
    set_aside = [c for c in CONTEXT_COLUMNS if c in frame and c not in {target, id_col, time_col, *drop}]
    logger.info("auditing %d columns for leaks", X.shape[1])
    audit = leakage_audit(X, y, time=frame[time_col] if time_col else None)
    X_audited = X
    X, dropped = apply_audit(X, audit, keep=keep)
    if dropped and X.shape[1] == 0:
        why = audit.loc[audit["column"] == dropped[0], "reason"].iloc[0]
        raise ValueError(f"the leakage audit dropped every feature column ({len(dropped)}: {', '.join(dropped[:5])}); "
                         f"{dropped[0]!r}: {why}. Nothing is left to train on; keep a column you know is "
                         "recorded before the outcome with --keep")  # fmt: skip
    train, test, split = split or _split(frame, y, time_col, horizon_days, test_fraction, seed)
    logger.info("audit dropped %d of %d columns; fitting on %d rows, testing on %d (%s)", len(dropped),
                X_audited.shape[1], len(train), len(test), split["method"])  # fmt: skip
    fit_time = {time_col: frame[time_col].iloc[train].to_numpy()} if time_col else {}
    fit_frame = X.iloc[train].assign(**fit_time)
    params = {"time_column": time_col, "horizon_days": horizon_days if time_col else None} | level_params
    params |= scorer_params or {}
    params["engagement_features"], lost = _declared_engagement(params.get("engagement_features", ()), X, X_audited)
    model = LeadScorer(**params).fit(fit_frame, y[train])
    profile = fit_profile(model, fit_frame, y[train])
    X_test, y_test = X.iloc[test], y[test]
    logger.info("scoring the test rows with the rule presets")
    rule_scores, notes = _rule_scores(X.iloc[train], X_test, rules)
    notes = [*data_notes, *notes]
    notes += [f"declared engagement column(s) the audit left out: {', '.join(lost)}"] if lost else []
    notes += [model.split_["gap_note"]] if "gap_note" in model.split_ else []
    if readiness.level != "full":
        forced = " — trained below the documented minimum only because it was forced" if not readiness.trainable else ""
        notes.append(f"{readiness.message()}: fitted with the small-data parameters{forced}")
    if flat_export and set_aside:
        notes.append(f"not used as features (names the feature pipeline reserves for context): {', '.join(set_aside)}")
    card = None
    if learned_scorecard and not scorecard_installed():
        notes.append(SCORECARD_MISSING)
        logger.warning(SCORECARD_MISSING)
    elif learned_scorecard:
        logger.info("fitting the learned scorecard")
        card = LearnedScorecard().fit(X.iloc[train], y[train])
        rule_scores["learned scorecard"] = card.predict_score(X_test)
    logger.info("evaluating out of time (%d bootstrap draws)", n_boot)
    cutoffs = dict(model.thresholds_.cutoffs)
    scored = model.score_frame(X_test)
    test_runs = int(frame[time_col].iloc[test].nunique()) if time_col else 1
    funnel = {"policy": model.thresholds_.funnel().describe(), "cutoffs": cutoffs,
              "reference": model.thresholds_.expected,
              "out_of_time": stage_outcomes(scored["stage"].to_numpy(), y_test, scored["probability"].to_numpy(),
                                            test_runs)}  # fmt: skip
    result = _measure(scored, y_test, X_test, rule_scores, thresholds={"model": cutoffs}, n_boot=n_boot, seed=seed)

    def refit_with(column) -> np.ndarray:
        """The test probabilities of the same model fitted with ``column`` added back (in its place: as ``keep``)."""
        with_it = X_audited[[c for c in X_audited.columns if c in X.columns or c == column]]
        fitted = LeadScorer(**params).fit(with_it.iloc[train].assign(**fit_time), y[train])
        return fitted.predict_proba(with_it.iloc[test])[:, 1]

    if dropped and price_audit_drops:
        logger.info("pricing the audit's drops (a refit for each, up to %d)", price_audit_drops)
    prices = audit_prices.price_audit_drops(audit, dropped, y_test, scored["probability"].to_numpy(), refit_with,
                                            max_priced=price_audit_drops, n_boot=n_boot, seed=seed)  # fmt: skip
    notes += [audit_prices.price_note(row) for row in prices if row["priced"]]
    meta = {
        "split": split,
        "horizon_days": horizon_days,
        "rows": {"train": len(train), "test": len(test)},
        "positives": {"train": int(y[train].sum()), "test": int(y_test.sum())},
        "data": "flat export (no point-in-time record)" if flat_export else "feature pipeline (point in time)",
        "dropped_by_audit": dropped,
        "kept_despite_audit": [c for c in keep if c in audit.get("column", pd.Series(dtype=str)).tolist()],
        "audit_prices": prices,
        "model_internal_split": model.split_,
        "calibration": model.calibrator_.method,
        "thresholds": model.thresholds_.to_dict(),
        "funnel": funnel,
        "trees": model.booster_.num_trees(),
        "rules": [str(r) for r in (preset_names() if rules is None else rules)],
        "notes": notes,
        "cold_start": readiness.to_dict() | {"forced": force and not readiness.trainable, "params": level_params},
    }
    matrix = fit_engagement_matrix(y_test, scored["fit_grade"], scored["engagement_grade"])

    def render(tables: Mapping) -> str:
        logger.info("rendering the report (figures and SHAP plots)")
        return _report(model, scored, y_test, X_test, rule_scores, result,
                       title="Lead scoring model — out-of-time evaluation",
                       meta={**meta, "tables": {"Fit × engagement (test rows: leads · conversion rate)": matrix,
                                                **tables, "Leakage audit": audit}}, seed=seed)  # fmt: skip

    provenance = frame.attrs.get(ATTRS_KEY, {})
    dataset = {k: provenance[k] for k in ("spec", "feature_config") if k in provenance}
    if flat_export:  # serving reads a raw export row the way training read the file
        from predictive_leads.data.flat_export import DEFAULT_PLACEHOLDERS

        dataset["flat_export"] = {"placeholders": list(DEFAULT_PLACEHOLDERS)}
    return TrainResult(model, to_jsonable(result), audit, dropped, render({}) if report else None, to_jsonable(meta),
                       profile, card, notes, to_jsonable(dataset), split_rows={"train": train, "test": test},
                       render=render)  # fmt: skip


def _declared_engagement(declared, X: pd.DataFrame, audited: pd.DataFrame) -> tuple[tuple[str, ...], list[str]]:
    """The declared engagement columns the model keeps, and those the audit left out (an unknown one: an error)."""
    unknown = [c for c in declared if c not in audited.columns]
    if unknown:
        raise ValueError(f"--engagement: no feature column {', '.join(map(repr, unknown[:5]))} in the data")
    return tuple(c for c in declared if c in X.columns), [c for c in declared if c not in X.columns]


def summary_lines(result: TrainResult) -> list[str]:
    """A short, honest summary for the terminal (the same lines ``predictive-leads summary`` prints)."""
    from predictive_leads.reports.summary import evaluation_lines

    return evaluation_lines(result.evaluation | {"meta": result.meta})


def load_training_frame(
    path: str | Path,
    *,
    target: str,
    flat_export: bool = False,
    positive_label: str | None = None,
    id_col: str | None = None,
    time_col: str | None = None,
    drop: tuple[str, ...] = (),
    duplicate_ids: str = "error",
    safe_columns: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, dict]:
    """A training frame from a feature-pipeline Parquet file, or (``flat_export=True``) from a CRM export.

    Returns the frame and the column roles (target, id, time, flat_export, and for an export the notes on what
    reading it did: duplicates, personal data left out) to pass to :func:`train_model`. ``duplicate_ids`` and
    ``safe_columns`` are those of :func:`~predictive_leads.data.flat_export.read_flat_export`.
    """
    from predictive_leads.data.flat_export import read_flat_export

    path = Path(path)
    if not flat_export:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else None
        if frame is None or not frame.attrs.get(ATTRS_KEY, {}).get("point_in_time"):
            raise ValueError(
                f"{path.name}: not built by the feature pipeline, so it cannot be shown to be point in time; "
                "build it with `predictive-leads build-dataset`, or pass --flat-export to state it is a "
                "one-row-per-lead CRM export"
            )
        return frame, {"target": target, "id_col": id_col or "lead_id", "time_col": time_col or "as_of"}
    data = read_flat_export(path, target=target, positive_label=positive_label, id_col=id_col, time_col=time_col,
                            drop=drop, duplicate_ids=duplicate_ids, safe_columns=safe_columns)  # fmt: skip
    frame = data.X.copy()
    frame["__target__"] = data.y
    roles = {"target": "__target__", "id_col": None, "time_col": None, "flat_export": True, "data_notes": data.notes}
    if id_col:
        frame["__id__"] = data.ids.to_numpy()
        roles["id_col"] = "__id__"
    if data.time is not None:
        frame["__time__"] = data.time.to_numpy()
        roles["time_col"] = "__time__"
    return frame, roles


def evaluate_saved_model(
    model: LeadScorer,
    frame: pd.DataFrame,
    *,
    target: str,
    rules=None,
    n_boot: int = 200,
    seed: int = 0,
    segments=None,
) -> tuple[dict, str]:
    """Score ``frame`` with a saved model (each row by its segment's model when ``segments``, the
    :class:`~predictive_leads.models.segment_models.SegmentModels` around ``model``, are given) and measure it
    against the rule presets on the same rows.

    Returns (metrics, report HTML). The caller is responsible for ``frame`` being later than the model's
    training data; the report shows the span of ``as_of`` it was given. The SHAP plots explain ``model``.
    """
    y = frame[target].to_numpy().astype(int)
    X = frame[[c for c in frame.columns if c != target]]
    rule_scores, notes = _rule_scores(frame, frame, rules)
    scored = (segments or model).score_frame(X)
    if segments is not None:
        notes.append(f"each lead scored by its own segment model where it has one ({segments.column} = "
                     f"{', '.join(segments.models)}), else by the pooled model; the SHAP plots explain the pooled "
                     "model")  # fmt: skip
    result = _measure(scored, y, X, rule_scores, n_boot=n_boot, seed=seed)
    split = "rows as given"
    if "as_of" in frame:
        times = pd.to_datetime(frame["as_of"], utc=True)
        split = {"method": "out_of_time", "test": [times.min().isoformat(), times.max().isoformat()]}
    meta = {
        "split": split,
        "rows": len(frame),
        "positives": int(y.sum()),
        "unseen_categories": model.unseen_categories(X),
        "notes": notes,
    }
    html = _report(
        model, scored, y, X, rule_scores, result, title="Lead scoring model — evaluation", meta=meta, seed=seed
    )
    return to_jsonable(result | {"meta": meta}), html
