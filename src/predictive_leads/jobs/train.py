"""Training jobs: train from a file (optionally logged and registered in MLflow), evaluate a saved model on later
labelled rows, promote @challenger over @champion, and retrain from raw tables at a date behind the gate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from predictive_leads.models.funnel import FunnelPolicy, funnel_from_options
from predictive_leads.training.promotion import Promotion
from predictive_leads.training.segments import SegmentedResult
from predictive_leads.training.workflow import TrainResult

Stage = Callable[[str], None]


def _stage(on_stage: Stage | None) -> Stage:
    return on_stage or (lambda _what: None)


# ------------------------------------------------------------------------------------------ train


@dataclass
class TrainRun:
    """A model trained and saved to ``out``; with MLflow, its run (and registered version)."""

    result: TrainResult = field(repr=False)
    out: Path
    lines: list[str]  # the honest summary: split, AUC model vs rule presets, calibration
    notes: list[str] = field(default_factory=list)  # what reading a flat export did (duplicates, personal data)
    run_id: str | None = None
    experiment: str | None = None
    tracking_uri: str | None = None
    registered: str | None = None  # registered model name
    version: str | None = None
    alias: str | None = None  # the alias the new version got (challenger)
    segments: SegmentedResult | None = field(default=None, repr=False)  # with segment_by: the set and its comparison


def train(
    data: str | Path,
    out: str | Path,
    *,
    target: str = "converted",
    positive_label: str | None = None,
    id_col: str | None = None,
    time_col: str | None = None,
    drop: Sequence[str] = (),
    keep: Sequence[str] = (),
    rules: Sequence[str] | None = None,
    flat_export: bool = False,
    duplicate_ids: str = "error",
    safe_columns: Sequence[str] = (),
    n_boot: int = 200,
    mlflow: bool = False,
    experiment: str = "predictive-leads",
    register: str | None = None,
    force: bool = False,
    n_jobs: int | None = None,
    funnel: FunnelPolicy | str | Path | None = None,
    policy: str | None = None,
    sql: float | None = None,
    mql: float | None = None,
    engagement: Sequence[str] = (),
    feedback: str | Path | None = None,
    feedback_exclude: Sequence[str] = (),
    feedback_negative: Sequence[str] = (),
    segment_by: str | None = None,
    on_stage: Stage | None = None,
) -> TrainRun:
    """Audit, train and evaluate out of time against the rule presets (``rules``, default all) on the training set
    (or, with ``flat_export``, the one-row-per-lead export) in ``data``; write the model folder ``out``. With
    ``mlflow`` (or ``register``) the run is logged; ``register`` also registers it as @challenger under that name.
    An export's ``duplicate_ids`` rule and ``safe_columns`` are those of
    :func:`~predictive_leads.data.flat_export.read_flat_export`; what reading it did is in ``notes``. ``n_jobs``:
    LightGBM threads (:class:`~predictive_leads.models.lead_scorer.LeadScorer`). ``funnel`` (a policy or its
    YAML) and ``policy``/``sql``/``mql`` (which override it): the funnel policy (default: capacity, 200 SQL +
    1,000 MQL leads per run). ``engagement``: columns that describe what the lead
    did, for the engagement sub-score, besides the features built from events (e.g. a flat export's activity
    counts). ``feedback``: a sales feedback file whose leads saying one of ``feedback_exclude`` leave the data and
    those saying one of ``feedback_negative`` count as not converted before it
    (:func:`~predictive_leads.training.feedback.apply_feedback`), in training and evaluation alike; what it did is in
    the notes. ``segment_by``: also train a model per value of this column, each measured against the pooled model
    on the same test rows and kept only where it wins (:func:`~predictive_leads.training.segments.train_segments`;
    the comparison is in the report, ``segments.json`` and the printed lines); scoring then picks each lead's model.
    ``on_stage(what)`` is called as each stage starts."""
    from predictive_leads.data.files import output_lock
    from predictive_leads.features.account_rows import has_accounts
    from predictive_leads.training.account_model import train_account_model
    from predictive_leads.training.segments import comparison_lines, train_segments
    from predictive_leads.training.workflow import load_training_frame, summary_lines, train_model

    stage = _stage(on_stage)
    with output_lock(out):  # a second job training into the same folder is refused at its start
        frame, roles = load_training_frame(data, target=target, flat_export=flat_export,
                                           positive_label=positive_label, id_col=id_col, time_col=time_col,
                                           drop=tuple(drop), duplicate_ids=duplicate_ids,
                                           safe_columns=tuple(safe_columns))  # fmt: skip
        if feedback is not None:
            frame, notes = _with_feedback(frame, roles, Path(feedback), feedback_exclude, feedback_negative)
            roles["data_notes"] = [*roles.get("data_notes", ()), *notes]
        stage("auditing, training and evaluating")
        params = _scorer_params(n_jobs, funnel_from_options(policy, sql, mql, funnel), engagement)
        options = dict(keep=tuple(keep), drop=tuple(drop), scorer_params=params, **roles)
        result = train_model(frame, rules=rules, n_boot=n_boot, force=force, report=segment_by is None, **options)
        lines = summary_lines(result)
        segmented = None
        if segment_by is not None:
            stage(f"training a model per {segment_by} and comparing each with the pooled model")
            segmented = train_segments(frame, segment_by, pooled=result, n_boot=n_boot, force=force, **options)
            result.add_report_tables({f"Segment models by {segment_by} against the pooled model": segmented.comparison})
            lines += comparison_lines(segmented)
        if not flat_export and has_accounts(frame):
            stage("training the account score (the leads belong to accounts)")
            result.account = train_account_model(frame, n_boot=n_boot, force=force)
            lines += ["account score: " + line for line in summary_lines(result.account)[:2]]
        (segmented or result).save(out)
    run = TrainRun(result, Path(out), lines, list(roles.get("data_notes", ())), segments=segmented)
    if mlflow or register:
        from predictive_leads.serving import registry

        stage("logging to MLflow")
        run.run_id = registry.log_training_run(result, experiment=experiment, data_file=data, frame=frame,
                                               segments=segmented)  # fmt: skip
        run.experiment, run.tracking_uri = registry.run_location(run.run_id)
        if register:
            run.registered, run.alias = register, registry.CHALLENGER
            run.version = registry.register(run.run_id, register)
    return run


# ------------------------------------------------------------------------------------------ evaluate


@dataclass
class EvaluationRun:
    """A saved model measured against the rule presets on labelled rows; ``metrics.json`` and ``report.html`` in
    ``out``."""

    metrics: dict = field(repr=False)
    out: Path
    rows: int

    @property
    def model_auc(self) -> dict:
        """The model's ROC AUC: ``estimate``, ``low``, ``high``."""
        return self.metrics["headline"]["model"]["roc_auc"]

    @property
    def best_rule(self) -> dict | None:
        """The best rule preset's headline (``name``, ``roc_auc``), None when no preset could be scored."""
        return self.metrics["headline"]["best_rule"] or None


def evaluate(model: str | Path, data: str | Path, out: str | Path, *, target: str = "converted",
             n_boot: int = 200) -> EvaluationRun:  # fmt: skip
    """Score the labelled rows in ``data`` with ``model`` (a model folder or ``models:/NAME@alias``; each lead by its
    segment's model when it has segment models) and measure it against the rule presets; write ``metrics.json``
    and ``report.html`` into ``out``."""
    from predictive_leads.data.files import read_raw, write_json, write_text
    from predictive_leads.serving.registry import load_scorers
    from predictive_leads.training.workflow import evaluate_saved_model

    scorer, segments = load_scorers(model)
    frame = read_raw(data)
    if target not in frame:
        raise ValueError(f"{Path(data).name}: no target column {target!r}")
    metrics, html = evaluate_saved_model(scorer, frame, target=target, n_boot=n_boot, segments=segments)
    write_json(metrics, Path(out) / "metrics.json")
    write_text(html, Path(out) / "report.html")
    return EvaluationRun(metrics, Path(out), len(frame))


# ------------------------------------------------------------------------------------------ promote


def promote(name: str, data: str | Path, *, target: str = "converted", max_auc_drop: float = 0.005,
            max_ece_increase: float = 0.005) -> Promotion:  # fmt: skip
    """Compare ``name@challenger`` with ``name@champion`` on the labelled rows in ``data`` and move @champion only
    if the gate passes; the decision (recorded on the challenger version either way)."""
    from predictive_leads.data.files import read_raw
    from predictive_leads.serving.registry import promote as promote_model
    from predictive_leads.training.promotion import Gate

    gate = Gate(max_auc_drop=max_auc_drop, max_ece_increase=max_ece_increase)
    return promote_model(name, read_raw(data), target=target, gate=gate)


# ------------------------------------------------------------------------------------------ retrain


@dataclass
class RetrainRun:
    """A challenger trained on the newest mature labels and the gate's decision; ``where`` it went (the registered
    version, or the model folder with its ``promotion.json``)."""

    result: TrainResult = field(repr=False)
    decision: Promotion
    where: str  # "NAME version N" or the model folder
    snapshots: list[pd.Timestamp]
    run_id: str | None = None
    version: str | None = None


def retrain(
    data: str | Path,
    as_of: str | pd.Timestamp,
    *,
    name: str | None = None,
    model: str | Path | None = None,
    out: str | Path | None = None,
    months: int = 12,
    horizon_days: int = 90,
    n_boot: int = 200,
    force: bool = False,
    on_stage: Stage | None = None,
) -> RetrainRun:
    """Train a challenger with the champion's settings on ``months`` monthly snapshots of the raw tables in
    ``data`` whose labels have matured by ``as_of``, and judge it against the champion.

    Registry mode (``name``): the champion is ``name@champion``; the challenger is logged, registered and promoted
    through the retrain gate. Folder mode (``model`` with ``out``): the challenger and ``promotion.json`` are
    written to ``out``."""
    from predictive_leads.data.files import write_json
    from predictive_leads.features import build_training_set
    from predictive_leads.features.guard import ATTRS_KEY
    from predictive_leads.features.spine import mature_snapshot_dates, to_utc
    from predictive_leads.jobs.data import read_for_model
    from predictive_leads.serving.registry import load_scorers
    from predictive_leads.training.retrain import RETRAIN_GATE, test_window
    from predictive_leads.training.retrain import retrain as retrain_model

    if (name is None) == (model is None) or (model is not None and out is None):
        raise ValueError("give --name (registry) or --model with --out (model directories)")
    stage = _stage(on_stage)
    champion, segments = load_scorers(f"models:/{name}@champion" if name else model)
    if segments is not None:
        raise ValueError(f"the champion has segment models by {segments.column}: retrain does not re-segment yet; "
                         f"build the new snapshots, train --segment-by {segments.column} and promote it")  # fmt: skip
    when = to_utc(as_of)
    read = read_for_model(data, f"models:/{name}@champion" if name else model, relearn=True)
    dates = mature_snapshot_dates(when, horizon_days, months)
    stage(f"building {len(dates)} monthly snapshots up to {dates[-1].date()}")
    frame = build_training_set(*read.frames(), as_of=dates, horizon_days=horizon_days, observed_until=when, now=when,
                               config=read.config)  # fmt: skip
    frame.attrs[ATTRS_KEY]["spec"] = read.spec.to_dict()
    stage("training the challenger and judging it against the champion")
    result, decision = retrain_model(champion, frame, n_boot=n_boot, force=force)
    if name:
        from predictive_leads.serving import registry

        stage("registering the challenger and promoting it through the gate")
        run_id = registry.log_training_run(result, data_file=data, frame=frame)  # its snapshots as datasets
        version = registry.register(run_id, name)
        decision = registry.promote(name, test_window(result, frame), gate=RETRAIN_GATE)
        return RetrainRun(result, decision, f"{name} version {version}", list(dates), run_id, version)
    result.save(out)
    write_json(decision.to_dict(), Path(out) / "promotion.json")
    return RetrainRun(result, decision, str(out), list(dates))


def _with_feedback(frame: pd.DataFrame, roles: dict, path: Path, exclude: Sequence[str],
                   negative: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:  # fmt: skip
    """The training frame with the sales feedback in ``path`` applied, and the notes saying what it did."""
    from predictive_leads.data.files import read_feedback
    from predictive_leads.training.feedback import apply_feedback

    if roles.get("id_col") is None:
        raise ValueError("sales feedback names leads by id: pass the export's lead id column (--id-col)")
    frame, effect = apply_feedback(frame, read_feedback(path), id_col=roles["id_col"], target=roles["target"],
                                   time_col=roles.get("time_col"), exclude=exclude, negative=negative)  # fmt: skip
    return frame, effect.notes()


def _scorer_params(n_jobs: int | None, funnel: FunnelPolicy | None, engagement: Sequence[str]) -> dict:
    params = {} if n_jobs is None else {"n_jobs": n_jobs}
    if funnel is not None:
        params["funnel"] = funnel.to_dict()
    if engagement:
        params["engagement_features"] = tuple(engagement)
    return params
