"""Data commands: generate, validate, describe, build-dataset, contracts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from predictive_leads.cli.console import MEMORY_BUDGET_HELP, console, one_line_errors, say, spinner, steps_progress


def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the world into.")] = Path("data/raw/demo"),
    n_leads: Annotated[int, typer.Option(help="Number of leads.", min=10)] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes).")] = 0,
    conversion_rate: Annotated[float, typer.Option(help="Share of leads that ever convert (0.02–0.10).")] = 0.06,
    drift: Annotated[bool, typer.Option("--drift", help="Change what drives conversion at 65 % of the span.")] = False,
    start: Annotated[str, typer.Option(help="First day of the world (UTC).")] = "2024-09-01",
    days: Annotated[int, typer.Option(help="Length of the world in days (≥ 540).")] = 730,
    csv: Annotated[bool, typer.Option("--csv", help="Also write CSV copies of every table.")] = False,
    product_lines: Annotated[
        int,
        typer.Option(
            help="2: two product lines whose converting profiles differ (product_line; spec.yaml beside).", min=1, max=2
        ),
    ] = 1,
    same_profiles: Annotated[
        bool, typer.Option("--same-profiles", help="With --product-lines 2: both lines convert alike.")
    ] = False,
    layout: Annotated[
        str | None,
        typer.Option(
            help="Write it as a CRM export instead: salesforce, hubspot or "
            "foreign (CSV files in that CRM's own layout)."
        ),
    ] = None,
) -> None:
    """Generate a synthetic B2B lead world: leads, events, conversions, truth."""
    from predictive_leads.jobs.data import generate as generate_world
    from predictive_leads.jobs.data import generate_steps

    with one_line_errors(), steps_progress() as progress:
        task = progress.add_task("generating world", total=generate_steps(csv))

        def step(what: str) -> None:
            progress.update(task, description=what)
            progress.advance(task)

        world = generate_world(out, n_leads=n_leads, seed=seed, conversion_rate=conversion_rate, drift=drift,
                               start=start, days=days, csv=csv, layout=layout, product_lines=product_lines,
                               profiles_differ=not same_profiles, on_step=step)  # fmt: skip
    table = Table(title=f"synthetic world → {world.out}", show_header=False)
    table.add_row("leads", f"{world.leads:,}")
    table.add_row("events", f"{world.events:,} ({world.events_per_lead:.1f} per lead)")
    table.add_row("conversions", f"{world.conversions:,} ({world.conversion_rate:.2%})")
    table.add_row("span", f"{world.start} → {world.observed_until}")
    table.add_row("planted", ", ".join(f"{flag} {n}" for flag, n in world.planted.items()))
    if world.drift_from:
        table.add_row("drift from", world.drift_from)
    if product_lines > 1:
        table.add_row("product lines", f"product_line; build with --spec {world.out / 'spec.yaml'}")
    table.add_row("time", f"{world.seconds:.1f} s ({world.events_per_second:,.0f} events/s)")
    console.print(table)


OBSERVED_HELP = "When the data was exported (labels past it are censored); default: the latest lead or outcome time."
SPEC_HELP = "Dataset spec YAML declaring your tables (predictive-leads init-spec drafts one); default: synthetic."


def validate(
    data: Annotated[Path, typer.Option(help="Folder with the tables (.parquet or .csv).")],
    spec: Annotated[Path | None, typer.Option(help=SPEC_HELP)] = None,
) -> None:
    """Check a data folder against its dataset spec; one line per problem, non-zero exit on failure. Lists every
    column: used (how), ignored (why) or refused as PII."""
    from predictive_leads.jobs.data import validate as validate_folder

    with one_line_errors():
        checked = validate_folder(data, spec)
    for name, rows in checked.rows.items():
        console.print(f"[green]ok[/] {name}: {rows:,} rows")
    columns = Table("table", "column", "use", "detail", title=f"columns ({checked.spec} spec)")
    for row in checked.columns.itertuples(index=False):
        columns.add_row(row.table, row.column, row.use, row.detail)
    console.print(columns)


def describe(
    data: Annotated[Path, typer.Option(help="Folder with leads, events and conversions.")],
) -> None:
    """Summarise a data folder: rows, time span, event mix, conversion rate (and planted truth if synthetic)."""
    from predictive_leads.jobs.data import describe as describe_folder

    with one_line_errors():
        found = describe_folder(data)
    table = Table(title=f"lead data in {found.folder}", show_header=False)
    table.add_row("leads", f"{found.leads:,}")
    table.add_row("created", f"{found.created_from:%Y-%m-%d} → {found.created_to:%Y-%m-%d}")
    table.add_row("events", f"{found.events:,} ({found.events_per_lead:.1f} per lead)")
    table.add_row("conversions", f"{found.conversions:,} ({found.conversion_rate:.2%} of leads)")
    console.print(table)
    types = Table("event type", "events", "share", title="event mix")
    for name, count in found.event_mix.items():
        types.add_row(name, f"{count:,}", f"{found.event_share(name):.1%}")
    console.print(types)
    if found.planted is not None:
        console.print("planted: " + ", ".join(f"{flag} {n}" for flag, n in found.planted.items()))


def build_dataset(
    data: Annotated[Path, typer.Option(help="Folder with leads, events and conversions (.parquet or .csv).")],
    out: Annotated[Path, typer.Option(help="Output file (.parquet keeps the point-in-time record; or .csv).")],
    as_of: Annotated[list[str] | None, typer.Option(help="As-of date (UTC midnight); repeatable.")] = None,
    every: Annotated[str | None, typer.Option(help="Snapshot rule: week, month or quarter.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First snapshot date (with --every).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last snapshot date (with --every).")] = None,
    horizon_days: Annotated[int, typer.Option(help="Label: converted within this many days after as_of.")] = 90,
    scoring: Annotated[bool, typer.Option("--scoring", help="Build a scoring frame (no labels).")] = False,
    spec: Annotated[Path | None, typer.Option(help=SPEC_HELP)] = None,
    config: Annotated[Path | None, typer.Option(help="YAML overriding the spec's feature config.")] = None,
    observed_until: Annotated[str | None, typer.Option(help=OBSERVED_HELP)] = None,
    engine: Annotated[str, typer.Option(help="duckdb (embedded) or pyspark (local[2]).")] = "duckdb",
    memory_budget: Annotated[str | None, typer.Option(help=MEMORY_BUDGET_HELP)] = None,
) -> None:
    """Build a point-in-time training set (or scoring frame) and print what went in and what was skipped."""
    from predictive_leads.jobs.data import build_dataset as build

    with one_line_errors(), spinner("building features"):
        built = build(data, out, as_of=as_of, every=every, start=start, end=end, horizon_days=horizon_days,
                      scoring=scoring, spec=spec, config=config, observed_until=observed_until,
                      engine=engine, memory_budget=memory_budget)  # fmt: skip
    for line in built.summary.lines():
        say(line)
    say(f"wrote {built.out} ({built.columns} columns)", wrap=False)


def contracts(
    table: Annotated[str, typer.Option(help="leads, events, conversions, truth or all.")] = "all",
) -> None:
    """Print the data contracts as Markdown tables (the README's tables are generated from this)."""
    from predictive_leads.jobs.data import contracts_markdown

    with one_line_errors():
        text = contracts_markdown(table)
    typer.echo(text)
