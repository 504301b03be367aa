"""The ``predictive-leads`` command line (Typer + rich). Thin: parse arguments, call the package, print."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .contracts import ContractError

app = typer.Typer(
    name="predictive-leads",
    help="Honest, explained B2B lead scoring: synthetic data, contracts, features, models, reasons.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

USER_ERRORS = (ContractError, FileNotFoundError, ValueError)


def _fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _run(fn: Callable[[], None]) -> None:
    """Run a command body; known user errors become one red line and a non-zero exit."""
    try:
        fn()
    except USER_ERRORS as exc:
        _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not sys.stderr.isatty(),
    )


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the world into.")] = Path("data/raw/demo"),
    n_leads: Annotated[int, typer.Option(help="Number of leads.", min=10)] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes).")] = 0,
    conversion_rate: Annotated[float, typer.Option(help="Share of leads that ever convert (0.02–0.10).")] = 0.06,
    drift: Annotated[bool, typer.Option("--drift", help="Change what drives conversion at 65 % of the span.")] = False,
    start: Annotated[str, typer.Option(help="First day of the world (UTC).")] = "2024-09-01",
    days: Annotated[int, typer.Option(help="Length of the world in days (≥ 540).")] = 730,
    csv: Annotated[bool, typer.Option("--csv", help="Also write CSV copies of every table.")] = False,
) -> None:
    """Generate a synthetic B2B lead world: leads, events, conversions, truth."""

    def body() -> None:
        from .io import write_world
        from .synth import SynthConfig, generate_world

        cfg = SynthConfig(
            n_leads=n_leads, seed=seed, conversion_rate=conversion_rate, drift=drift, start=start, days=days
        )
        t0 = time.perf_counter()
        with _progress() as progress:
            task = progress.add_task("generating world", total=1 + (8 if csv else 4))
            world = generate_world(cfg)
            progress.advance(task)

            def step(name: str) -> None:
                progress.update(task, description=f"writing {name}")
                progress.advance(task)

            write_world(world, out, csv=csv, on_file=step)
        seconds = time.perf_counter() - t0
        _print_world_summary(world, out, seconds)

    _run(body)


def _print_world_summary(world, out: Path, seconds: float) -> None:
    truth = world.truth
    table = Table(title=f"synthetic world → {out}", show_header=False)
    table.add_row("leads", f"{len(world.leads):,}")
    table.add_row("events", f"{len(world.events):,} ({len(world.events) / len(world.leads):.1f} per lead)")
    table.add_row("conversions", f"{len(world.conversions):,} ({len(world.conversions) / len(world.leads):.2%})")
    table.add_row("span", f"{world.meta['start'][:10]} → {world.meta['observed_until'][:10]}")
    planted = ", ".join(
        f"{c[3:]} {int(truth[c].sum())}" for c in ("is_bot", "is_spam", "is_duplicate", "is_internal", "is_competitor")
    )
    table.add_row("planted", planted)
    if world.meta.get("drift_date"):
        table.add_row("drift from", world.meta["drift_date"][:10])
    table.add_row("time", f"{seconds:.1f} s ({len(world.events) / seconds:,.0f} events/s)")
    console.print(table)


@app.command()
def validate(
    data: Annotated[Path, typer.Option(help="Folder with leads, events and conversions (.parquet or .csv).")],
) -> None:
    """Check a data folder against the data contracts; one line per problem, non-zero exit on failure."""

    def body() -> None:
        from .io import read_lead_data

        tables = read_lead_data(data)
        for name, frame in tables.items():
            console.print(f"[green]ok[/] {name}: {len(frame):,} rows")

    _run(body)


@app.command()
def describe(
    data: Annotated[Path, typer.Option(help="Folder with leads, events and conversions.")],
) -> None:
    """Summarise a data folder: rows, time span, event mix, conversion rate (and planted truth if synthetic)."""

    def body() -> None:
        from .io import find_table, read_lead_data, read_manifest, read_raw

        tables = read_lead_data(data)
        leads, events, conv = tables["leads"], tables["events"], tables["conversions"]
        table = Table(title=f"lead data in {data}", show_header=False)
        table.add_row("leads", f"{len(leads):,}")
        table.add_row("created", f"{leads['created_at'].min():%Y-%m-%d} → {leads['created_at'].max():%Y-%m-%d}")
        table.add_row("events", f"{len(events):,} ({len(events) / max(len(leads), 1):.1f} per lead)")
        table.add_row("conversions", f"{len(conv):,} ({len(conv) / max(len(leads), 1):.2%} of leads)")
        console.print(table)
        mix = events["event_type"].value_counts()
        types = Table("event type", "events", "share", title="event mix")
        for name, count in mix.items():
            types.add_row(str(name), f"{count:,}", f"{count / len(events):.1%}")
        console.print(types)
        if read_manifest(data).get("kind") == "synthetic":
            truth = read_raw(find_table(data, "truth"))
            flags = [c for c in truth.columns if c.startswith("is_")]
            console.print("planted: " + ", ".join(f"{c[3:]} {int(truth[c].sum())}" for c in flags))

    _run(body)


@app.command()
def contracts(
    table: Annotated[str, typer.Option(help="leads, events, conversions, truth or all.")] = "all",
) -> None:
    """Print the data contracts as Markdown tables (the README's tables are generated from this)."""
    from .contracts import CONTRACTS, contracts_markdown

    if table != "all" and table not in CONTRACTS:
        _fail(f"unknown table {table!r}; choose from {', '.join(CONTRACTS)} or all")
    names = list(CONTRACTS) if table == "all" else [table]
    typer.echo(contracts_markdown(names))


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
