"""Model commands: train, evaluate, register, promote, retrain."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from predictive_leads.cli.console import one_line_errors, say, spinner

if TYPE_CHECKING:
    from predictive_leads.training.promotion import Promotion


def train(
    data: Annotated[Path, typer.Option(help="Training set from build-dataset (.parquet) or a flat CRM export.")],
    out: Annotated[Path, typer.Option(help="Model directory to write (model, metrics.json, report.html).")],
    target: Annotated[str, typer.Option(help="Target column (0/1, yes/no, true/false).")] = "converted",
    positive_label: Annotated[str | None, typer.Option(help="Value of the target that means converted.")] = None,
    id_col: Annotated[str | None, typer.Option(help="Lead id column (never a feature).")] = None,
    time_col: Annotated[str | None, typer.Option(help="Time column for the out-of-time split.")] = None,
    drop: Annotated[list[str] | None, typer.Option(help="Column to leave out; repeatable.")] = None,
    keep: Annotated[list[str] | None, typer.Option(help="Column to keep although the audit flags it.")] = None,
    rules: Annotated[list[str] | None, typer.Option(help="Rule preset or YAML to compare with (default: all).")] = None,
    flat_export: Annotated[
        bool, typer.Option("--flat-export", help="State the data is a one-row-per-lead export.")
    ] = False,
    duplicate_ids: Annotated[
        str, typer.Option(help="Flat export: an id on rows that differ is an error, or keep its first|last row.")
    ] = "error",
    safe_column: Annotated[
        list[str] | None,
        typer.Option(help="Flat export: a column found to hold personal data that may be used anyway; repeatable."),
    ] = None,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals.")] = 200,
    mlflow: Annotated[
        bool,
        typer.Option(
            "--mlflow/--no-mlflow", help="Log the run (params, out-of-time metrics, report, pyfunc model) to MLflow."
        ),
    ] = False,
    experiment: Annotated[str, typer.Option(help="MLflow experiment name.")] = "predictive-leads",
    register: Annotated[
        str | None, typer.Option(help="Register the logged model under this name (alias challenger); implies --mlflow.")
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Train below the cold-start minimum, down to 50 rows per class (report says so)."),
    ] = False,
    n_jobs: Annotated[
        int | None,
        typer.Option(help="LightGBM threads (0: all cores or OMP_NUM_THREADS; default: 2 to fit, all to score)."),
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option(help="Funnel policy: capacity (default), precision, f1, probability, score or points."),
    ] = None,
    sql: Annotated[
        float | None, typer.Option(help="SQL setting in the policy's unit (capacity: leads per run, default 200).")
    ] = None,
    mql: Annotated[
        float | None, typer.Option(help="MQL setting in the policy's unit (capacity: more leads per run, 1000).")
    ] = None,
    funnel: Annotated[Path | None, typer.Option(help="Funnel policy YAML (policy, sql, mql).")] = None,
    engagement: Annotated[
        list[str] | None,
        typer.Option(
            help="Column describing what the lead did (engagement sub-score), besides the event features; repeatable."
        ),
    ] = None,
    feedback: Annotated[
        Path | None, typer.Option(help="Sales feedback (lead_id, disposition, reason, date) to apply as declared.")
    ] = None,
    feedback_exclude: Annotated[
        str, typer.Option(help="Comma-separated feedback words (disposition or reason) whose leads leave training.")
    ] = "",
    feedback_negative: Annotated[
        str,
        typer.Option(help="Comma-separated feedback words whose leads count as not converted before the feedback."),
    ] = "",
    segment_by: Annotated[
        str | None,
        typer.Option(
            help="Also train a model per value of this column; each is kept only where it beats the pooled "
            "model out of time."
        ),
    ] = None,
) -> None:
    """Audit, train and evaluate out of time against the rule presets; write the model and its report.

    MLflow: MLFLOW_TRACKING_URI if set, else an embedded SQLite store in models/mlflow/."""
    from predictive_leads.jobs.train import train as train_model

    with one_line_errors(), spinner("auditing, training and evaluating") as status:
        run = train_model(data, out, target=target, positive_label=positive_label, id_col=id_col, time_col=time_col,
                          drop=drop or (), keep=keep or (), rules=rules, flat_export=flat_export,
                          duplicate_ids=duplicate_ids, safe_columns=safe_column or (), n_boot=n_boot,
                          mlflow=mlflow, experiment=experiment, register=register, force=force, n_jobs=n_jobs,
                          funnel=funnel, policy=policy, sql=sql, mql=mql, engagement=engagement or (),
                          feedback=feedback, feedback_exclude=feedback_exclude.split(","),
                          feedback_negative=feedback_negative.split(","), segment_by=segment_by,
                          on_stage=status.update)  # fmt: skip
    for line in [*run.notes, *run.lines]:
        say(line)
    say(f"model, metrics.json and report.html in {run.out}")
    if run.run_id is not None:
        say(f"MLflow run {run.run_id} in experiment {run.experiment!r} ({run.tracking_uri})")
    if run.version is not None:
        say(f"registered {run.registered} version {run.version} as @{run.alias}; next: "
            f"predictive-leads promote --name {run.registered} --data LATER_LABELLED_ROWS")  # fmt: skip


def evaluate(
    model: Annotated[str, typer.Option(help="Model directory written by train, or models:/NAME@alias.")],
    data: Annotated[Path, typer.Option(help="Labelled rows to evaluate on (a later training set, .parquet).")],
    out: Annotated[Path, typer.Option(help="Folder for metrics.json and report.html.")],
    target: Annotated[str, typer.Option(help="Target column.")] = "converted",
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals.")] = 200,
) -> None:
    """Measure a saved model against the rule presets on new labelled rows; write metrics.json + report.html."""
    from predictive_leads.jobs.train import evaluate as evaluate_model

    with one_line_errors():
        run = evaluate_model(model, data, out, target=target, n_boot=n_boot)
    auc = run.model_auc
    say(f"model AUC {auc['estimate']:.3f} [{auc['low']:.3f}, {auc['high']:.3f}] on {run.rows:,} rows", wrap=False)
    if run.best_rule:
        best = run.best_rule["roc_auc"]
        say(f"best points score ({run.best_rule['name']}) AUC {best['estimate']:.3f} "
            f"[{best['low']:.3f}, {best['high']:.3f}]", wrap=False)  # fmt: skip
    say(f"metrics.json and report.html in {run.out}")


def register(
    run_id: Annotated[str, typer.Option(help="MLflow run that logged the model (train --mlflow prints it).")],
    name: Annotated[str, typer.Option(help="Registered model name.")],
    alias: Annotated[str, typer.Option(help="Alias to point at the new version.")] = "challenger",
) -> None:
    """Register a logged model as a new version and point an alias (default: challenger) at it."""
    from predictive_leads.serving.registry import register as register_model

    with one_line_errors():
        version = register_model(run_id, name, alias=alias)
    say(f"{name} version {version} is @{alias}", wrap=False)


def promote(
    name: Annotated[str, typer.Option(help="Registered model name.")],
    data: Annotated[Path, typer.Option(help="Labelled rows later than both models' training data (.parquet).")],
    target: Annotated[str, typer.Option(help="Target column.")] = "converted",
    max_auc_drop: Annotated[float, typer.Option(help="Largest AUC loss vs the champion that still passes.")] = 0.005,
    max_ece_increase: Annotated[float, typer.Option(help="Largest calibration-error increase that passes.")] = 0.005,
) -> None:
    """Compare @challenger with @champion out of time; move @champion only if the gate passes (exit 3 if not)."""
    from predictive_leads.jobs.train import promote as promote_model

    with one_line_errors():
        decision = promote_model(name, data, target=target, max_auc_drop=max_auc_drop,
                                 max_ece_increase=max_ece_increase)  # fmt: skip
    report_promotion(name, decision)


def retrain(
    data: Annotated[Path, typer.Option(help="Raw data folder (leads, events, conversions).")],
    as_of: Annotated[str, typer.Option(help="Today: labels are used up to as_of minus the horizon.")],
    name: Annotated[
        str | None,
        typer.Option(
            help="Registered model: champion from @champion, challenger registered and promoted through the gate."
        ),
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Champion model directory (without a registry).")] = None,
    out: Annotated[Path | None, typer.Option(help="Where the challenger is written (model directory mode).")] = None,
    months: Annotated[int, typer.Option(help="Monthly snapshots to train on.")] = 12,
    horizon_days: Annotated[int, typer.Option(help="Label horizon.")] = 90,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the report's intervals.")] = 200,
    force: Annotated[
        bool, typer.Option("--force", help="Train below the cold-start minimum, down to 50 rows per class.")
    ] = False,
) -> None:
    """Train a challenger on the newest mature labels with the champion's settings; promote only through the gate
    (exit 3 if refused). Registry (--name) or model directories (--model, --out)."""
    from predictive_leads.jobs.train import retrain as retrain_model

    with one_line_errors(), spinner("loading the champion and the data") as status:
        run = retrain_model(data, as_of, name=name, model=model, out=out, months=months, horizon_days=horizon_days,
                            n_boot=n_boot, force=force, on_stage=status.update)  # fmt: skip
    report_promotion(f"challenger {run.where}", run.decision)


def report_promotion(what: str, decision: Promotion) -> None:
    """One line with the gate's decision and reason; exit 3 when the challenger was refused."""
    verdict = "promoted" if decision.promoted else "not promoted"
    say(f"{what}: {verdict} — {decision.reason} ({decision.rows:,} rows)")
    if not decision.promoted:
        raise typer.Exit(3)
