"""From scores to action: route (scored leads to reps) and report-segments (results by segment)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from predictive_leads.cli.console import console, one_line_errors, say


def route(
    scores: Annotated[Path, typer.Option(help="Batch output of score (.parquet/.csv).")],
    reps: Annotated[Path, typer.Option(help="Reps, teams, capacities and routing rules (YAML).")],
    out: Annotated[Path, typer.Option(help="Assignments to write (.parquet/.csv).")],
    mode: Annotated[str, typer.Option(help="balanced, rules or round_robin.")] = "balanced",
    seed: Annotated[int, typer.Option(help="Seed of the rotation (same seed, same assignment).")] = 0,
    frame: Annotated[
        Path | None,
        typer.Option(
            help="Scoring frame with the columns rules use (default: the one score --data wrote beside the scores)."
        ),
    ] = None,
) -> None:
    """Hand the scored leads to reps: every lead assigned once or left unassigned with the reason."""
    from predictive_leads.jobs.act import route as route_leads

    with one_line_errors():
        routed = route_leads(scores, reps, out, mode=mode, seed=seed, frame=frame)
    table = Table("rep", "team", "leads", "top tier", "expected conversions", "capacity used", title=f"{routed.mode}")
    for r in routed.per_rep.itertuples():
        used = "" if r.capacity_used != r.capacity_used else f"{r.capacity_used:.0%}"  # NaN: no capacity
        table.add_row(r.rep, r.team or "", f"{r.leads:,}", f"{r.top_tier:,}", f"{r.expected_conversions:.2f}", used)
    console.print(table)
    for r in routed.spread.itertuples():
        sign = "≤" if r.within_bound else ">"
        say(f"{r.team or 'all reps'}: spread of expected conversions {r.spread:.2f} {sign} largest single lead "
            f"{r.largest_lead:.2f}", wrap=False)  # fmt: skip
    say(
        f"rows in {routed.rows_in:,} = assigned {routed.assigned:,} + unassigned {routed.unassigned_total:,}"
        + "".join(f"; {n:,} {why}" for why, n in routed.unassigned.items())
        + f"; assignments in {routed.out}"
    )


def report_segments(
    scores: Annotated[Path, typer.Option(help="Batch output of score (.parquet/.csv).")],
    outcomes: Annotated[Path, typer.Option(help="Conversions (lead_id, converted_at, deal_value).")],
    out: Annotated[Path, typer.Option(help="Folder for segments.csv and segments.html.")] = Path("segments"),
    by: Annotated[
        str, typer.Option(help="Comma-separated columns (source = lead_source, role = seniority).")
    ] = "source,role",
    rules: Annotated[
        str, typer.Option(help="Rule preset or YAML scored alongside (the rule baseline); output: the scores' own.")
    ] = "fit_and_engagement",
    frame: Annotated[
        Path | None,
        typer.Option(
            help="Scoring frame with the segment and rule columns (default: "
            "the one score --data wrote beside the scores)."
        ),
    ] = None,
    horizon_days: Annotated[int, typer.Option(help="A conversion counts within this many days of scoring.")] = 90,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals.")] = 200,
    campaign_events: Annotated[
        Path | None,
        typer.Option(
            help="Events (lead_id, ts, campaign column) that give each lead its campaign: the campaign "
            "of its first (or last, --touch) event before scoring."
        ),
    ] = None,
    campaign_column: Annotated[str, typer.Option(help="The events' campaign column.")] = "campaign",
    touch: Annotated[str, typer.Option(help="Which touch gives a lead its campaign: first or last.")] = "first",
    costs: Annotated[
        Path | None,
        typer.Option(
            help="Cost table (cost and the --by column it is keyed by, e.g. campaign): adds cost per "
            "lead, MQL and conversion and ROI, with intervals."
        ),
    ] = None,
    feedback: Annotated[
        Path | None,
        typer.Option(help="Sales feedback (lead_id, disposition, reason, date): its share of each segment's MQLs."),
    ] = None,
) -> None:
    """Conversion, MQL/SQL rates, days to convert, deal value and the model's gain over the rule score, by
    segment, with intervals (HTML + CSV); with a cost table, cost per lead, MQL, conversion and ROI."""
    from predictive_leads.jobs.act import report_segments as segment_report

    with one_line_errors():
        report = segment_report(scores, outcomes, out, by=by, rules=rules, frame=frame, horizon_days=horizon_days,
                                n_boot=n_boot, campaign_events=campaign_events, campaign_column=campaign_column,
                                touch=touch, costs=costs, feedback=feedback)  # fmt: skip
    for note in report.notes:
        say(f"note: {note}")
    for line in report.spend_lines():
        say(line)
    say(f"{report.rows:,} segment rows ({', '.join(report.dimensions)}; rule baseline {report.rule_baseline}) in "
        f"{report.out}")  # fmt: skip
