"""Scoring commands: score (batch, with reasons) and explain (one lead, next to the rule baseline)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from predictive_leads.cli.console import (
    MEMORY_BUDGET_HELP,
    TOP_K,
    console,
    one_line_errors,
    report_rows,
    rows_progress,
    say,
)

if TYPE_CHECKING:
    from predictive_leads.jobs.score import ScoringFrame


def score(
    *,
    model: Annotated[str, typer.Option(help="Model directory written by train, or models:/NAME@alias.")],
    output: Annotated[Path, typer.Option(help="Scores to write (.parquet or .csv), atomically.")],
    input: Annotated[Path | None, typer.Option("--input", help="Scoring frame file or folder (.parquet/.csv).")] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            help="Raw data folder (leads, events, conversions): build the "
            "scoring frame of the open leads at --as-of first."
        ),
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Date to score the open leads at (with --data).")] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Where rejected rows go (default: OUTPUT stem + .rejects.csv).")
    ] = None,
    reasons: Annotated[
        int, typer.Option("--reasons", "--explain", default_factory=TOP_K, help="Reasons per lead (0 = scores only).")
    ],
    chunk_rows: Annotated[int, typer.Option(help="Rows per chunk (bounds memory).")] = 100_000,
    id_col: Annotated[str, typer.Option(help="Lead id column.")] = "lead_id",
    scored_at: Annotated[str | None, typer.Option(help="Pin the scored_at timestamp (repeatable outputs).")] = None,
    allow_rejects: Annotated[bool, typer.Option("--allow-rejects", help="Exit 0 even if rows were rejected.")] = False,
    b2b_only: Annotated[bool, typer.Option("--b2b-only", help="Also disqualify free and edu email addresses.")] = False,
    out_of_area: Annotated[
        bool, typer.Option("--disqualify-out-of-area", help="Also disqualify leads outside the service area.")
    ] = False,
    no_disqualify: Annotated[bool, typer.Option("--no-disqualify", help="Run no disqualification check.")] = False,
    n_jobs: Annotated[
        int | None,
        typer.Option(help="LightGBM threads (0: all cores or OMP_NUM_THREADS; default: 2 to fit, all to score)."),
    ] = None,
    policy: Annotated[
        str | None, typer.Option(help="Fixed funnel policy for this run: probability, score or points (see --sql).")
    ] = None,
    sql: Annotated[float | None, typer.Option(help="SQL cut-off in the policy's unit (score policy: 80).")] = None,
    mql: Annotated[float | None, typer.Option(help="MQL cut-off in the policy's unit (score policy: 50).")] = None,
    funnel: Annotated[Path | None, typer.Option(help="Funnel policy YAML (policy, sql, mql).")] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            help="Rule preset or YAML scored beside the model (default: the model's learned scorecard; "
            "'none': no rule score)."
        ),
    ] = None,
    feedback: Annotated[
        Path | None, typer.Option(help="Sales feedback (lead_id, disposition, reason, date): see --recycle-on.")
    ] = None,
    recycle_on: Annotated[
        str, typer.Option(help="Comma-separated feedback words (disposition or reason) that recycle a lead.")
    ] = "",
    recycle_days: Annotated[int, typer.Option(help="Days a lead stays recycled after such feedback.")] = 90,
    previous: Annotated[
        Path | None, typer.Option(help="The previous run's output: score change, momentum and stage moves.")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="auto (from the suffix), parquet, csv, salesforce or hubspot.")
    ] = "auto",
    crm_mapping: Annotated[
        Path | None, typer.Option(help="YAML renaming the CRM layout's fields to your own (fields: {ours: yours}).")
    ] = None,
    no_subscores: Annotated[
        bool,
        typer.Option("--no-subscores", help="With --reasons 0: leave fit and engagement empty (1.2-1.4x faster)."),
    ] = False,
    summary_json: Annotated[
        Path | None, typer.Option(help="Write the run summary (counts, stages, files; no lead data) as JSON.")
    ] = None,
    memory_budget: Annotated[str | None, typer.Option(help="With --data: " + MEMORY_BUDGET_HELP)] = None,
) -> None:
    """Score a file or folder of leads in chunks: every row scored or rejected with a reason (exit 4 on rejects).

    Each lead gets one funnel stage (SQL, MQL, nurture, by the model's policy or --policy) and its heat label.
    Bots, spam, test names, disposable, competitor and internal addresses are disqualified: scored and kept, with
    stage 'disqualified', score 1 and the reason."""
    from predictive_leads.jobs.score import score as score_leads

    with one_line_errors(), rows_progress() as progress:
        task = progress.add_task("scoring", total=None, rows="")
        run = score_leads(model, output, input=input, data=data, as_of=as_of, rejects=rejects, top_k=reasons,
                          chunk_rows=chunk_rows, id_col=id_col, scored_at=scored_at, b2b_only=b2b_only,
                          out_of_area=out_of_area, disqualify=not no_disqualify, n_jobs=n_jobs,
                          funnel=funnel, policy=policy, sql=sql, mql=mql, rules=rules, previous=previous,
                          feedback=feedback, recycle_on=recycle_on.split(","), recycle_days=recycle_days,
                          output_format=output_format, crm_mapping=crm_mapping, summary_json=summary_json,
                          subscores=not no_subscores, memory_budget=memory_budget,
                          progress=lambda done, bad: report_rows(progress, task, done, bad),
                          on_stage=lambda what: progress.update(task, description=what),
                          on_frame=_print_scoring_frame)  # fmt: skip
    say(f"funnel {run.funnel}" + (f"; rule score beside: {run.rules}" if run.rules else ""))
    for line in run.lines:
        say(line)
    say(f"scores in {run.output}" + (f" (full batch output in {run.crm})" if run.crm else ""))
    if run.summary_json:
        say(f"run summary in {run.summary_json}")
    if run.summary.rejected:
        say(f"rejected rows and reasons in {run.rejects}")
        if not allow_rejects:
            raise typer.Exit(4)


def _print_scoring_frame(frame: ScoringFrame) -> None:
    say(f"scoring frame: {frame.rows:,} open leads as of {frame.as_of.date()} ({frame.path.name})", wrap=False)


def explain(
    *,
    model: Annotated[str, typer.Option(help="Model directory written by train, or models:/NAME@alias.")],
    input: Annotated[Path, typer.Option("--input", help="Scoring frame or training set (.parquet/.csv).")],
    lead_id: Annotated[str, typer.Option(help="The lead to explain.")],
    id_col: Annotated[str, typer.Option(help="Lead id column of the input.")] = "lead_id",
    as_of: Annotated[
        str | None, typer.Option(help="Snapshot to explain when the lead has several (default: latest).")
    ] = None,
    top_k: Annotated[int, typer.Option(default_factory=TOP_K, help="Reasons per direction.")],
    rules: Annotated[
        str | None,
        typer.Option(
            help="Rule preset or YAML shown side by side (default: the model's learned scorecard, if saved with it)."
        ),
    ] = None,
) -> None:
    """Print one lead's score, probability, grade, stage and the reasons behind them, next to the rule score."""
    from predictive_leads.jobs.score import explain as explain_lead

    with one_line_errors():
        lead = explain_lead(model, input, lead_id, id_col=id_col, as_of=as_of, top_k=top_k, rules=rules)
    when = f" as of {lead.as_of}" if lead.as_of is not None else ""
    by = f" · scored by the {lead.segment} segment model" if lead.segment else ""
    say(f"[bold]lead {lead.lead_id}[/]{when}: score {lead.score} · grade {lead.grade} · stage {lead.stage} · "
        f"probability {lead.probability:.1%}{by}", wrap=False)  # fmt: skip
    table = Table("", "reason", "points", "log-odds", "code", title="model reasons")
    for r in lead.reasons.itertuples(index=False):
        table.add_row("▲" if r.direction == "positive" else "▼", r.text, f"{r.points:+.1f}", f"{r.log_odds:+.3f}",
                      r.code)  # fmt: skip
    console.print(table)
    baseline = lead.rules
    if baseline is None:
        return
    shown, more, more_points = baseline.split(2 * top_k)
    table = Table("rule", "condition", "points", title=f"rule baseline: {baseline.name}, {baseline.score:g} points, "
                  f"tier {baseline.tier or 'none'}")  # fmt: skip
    for r in shown:
        table.add_row(r.rule, r.condition, f"{r.points:+d}")
    if more:
        table.add_row(f"… {more} more", "", f"{more_points:+d}")
    console.print(table)


def score_spark(
    *,
    model: Annotated[str, typer.Option(help="Registered model: models:/NAME@alias.")],
    data: Annotated[Path, typer.Option(help="Raw data folder (leads, events, conversions).")],
    as_of: Annotated[str, typer.Option(help="Date to score the open leads at.")],
    output: Annotated[str, typer.Option(help="Where Spark writes the scores (Parquet; replaced).")],
    reasons: Annotated[
        int, typer.Option("--reasons", "--explain", default_factory=TOP_K, help="Reasons per lead (0 = scores only).")
    ],
    submitted: Annotated[bool, typer.Option("--submitted", hidden=True)] = False,
) -> None:
    """Score the open leads on Spark: features built by Spark, scores through the model's spark_udf.

    Runs on a loopback local[2] session; spark-submit runs the same job on a cluster (see the README)."""
    from predictive_leads.jobs.score_spark import score_spark as run_job

    with one_line_errors(), console.status("scoring on Spark"):
        run = run_job(data, output, as_of=as_of, model=model, top_k=reasons, submitted=submitted)
    say(f"scored {run.rows:,} open leads on Spark ({run.master}); wrote {run.output}", wrap=False)
