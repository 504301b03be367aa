"""The rules commands: list the preset points tables, show one (or your own YAML)."""

from __future__ import annotations

import textwrap
from typing import Annotated

import typer
from rich.table import Table

from predictive_leads.cli.console import console, one_line_errors

rules_app = typer.Typer(help="Rule-based points tables: the presets and your own YAML.", no_args_is_help=True)


@rules_app.command("list")
def rules_list() -> None:
    """List the preset points tables shipped with the package."""
    from predictive_leads.jobs.rules import presets

    with one_line_errors():
        tables = presets()
    table = Table("preset", "rules", "tiers", "description", title="rule presets")
    for name, t in tables.items():
        tiers = ", ".join(f"{tier.name} ≥ {tier.min_score:g}" for tier in t.tiers)
        table.add_row(name, str(len(t.rules)), tiers, textwrap.shorten(t.description, 70))
    console.print(table)


@rules_app.command("show")
def rules_show(
    name: Annotated[str, typer.Argument(help="A preset name or a YAML file.")],
    yaml_out: Annotated[bool, typer.Option("--yaml", help="Print the table as YAML (to copy and edit).")] = False,
) -> None:
    """Print one points table: every rule with its condition, points and reason (checked against the features)."""
    from predictive_leads.jobs.rules import rule_table

    with one_line_errors():
        t = rule_table(name)
    if yaml_out:
        typer.echo(t.to_yaml(), nl=False)
        return
    console.print(f"[bold]{t.name}[/]: {t.description}", highlight=False)
    if t.source:
        console.print(f"source: {t.source}", highlight=False)
    caps = ", ".join(f"{g.name} {'≤ ' + format(g.max, 'g') if g.max is not None else ''}".strip() for g in t.groups)
    lo, hi = t.score_range
    console.print(f"score range {lo:g}–{hi:g}" + (f"; group caps: {caps}" if caps else ""), highlight=False)
    rows = Table("rule", "group", "condition", "points", "reason")
    for r in t.to_frame().itertuples(index=False):
        rows.add_row(r.rule, r.group, r.condition, f"{r.points:+d}", r.reason)
    console.print(rows)
    console.print("tiers: " + (", ".join(f"{x.name} ≥ {x.min_score:g}" for x in t.tiers) or "none"))
