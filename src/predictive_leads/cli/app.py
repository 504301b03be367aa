"""The ``predictive-leads`` command line (Typer + rich): the app, its commands in the order ``--help`` lists them,
and the README's command table generated from them.

Thin: each command (``cli/data.py``, ``train.py``, ``score.py``, ``monitor.py``, ``act.py``, ``summary.py``,
``serve.py``, ``rules.py``) parses its options, calls one function of :mod:`predictive_leads.jobs` and prints the
result. Nothing heavy is imported until a command runs, so ``predictive-leads --help`` is quick.
"""

from __future__ import annotations

from typing import Annotated

import typer

from predictive_leads.cli import act, data, monitor, score, serve, spec, summary, train
from predictive_leads.cli.rules import rules_app

app = typer.Typer(
    name="predictive-leads",
    help="Honest, explained B2B lead scoring: synthetic data, contracts, features, models, reasons.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

COMMANDS = (  # (name, function) in the order of --help
    ("generate", data.generate),
    ("init-spec", spec.init_spec),
    ("validate", data.validate),
    ("describe", data.describe),
    ("build-dataset", data.build_dataset),
    ("contracts", data.contracts),
    ("train", train.train),
    ("evaluate", train.evaluate),
    ("explain", score.explain),
    ("score", score.score),
    ("score-spark", score.score_spark),
    ("monitor", monitor.monitor),
    ("retrain", train.retrain),
    ("summary", summary.summary),
    ("route", act.route),
    ("report-segments", act.report_segments),
    ("register", train.register),
    ("promote", train.promote),
    ("serve", serve.serve),
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"predictive-leads {version('predictive-leads')}")
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[bool, typer.Option("--version", "-V", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True,
                                         help="-v: each step and MLflow's messages; -vv: debug.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress; only results, warnings and errors.")
                     ] = False,
) -> None:  # fmt: skip
    """Honest, explained B2B lead scoring: synthetic data, contracts, features, models, reasons."""
    from predictive_leads.cli.console import configure_logging

    configure_logging(-1 if quiet else verbose)


for _name, _command in COMMANDS:
    app.command(_name)(_command)
app.add_typer(rules_app, name="rules")


def cli_reference() -> str:
    """The README's command table, generated from the commands themselves (a test keeps the README in step)."""
    rows = ["| command | what it does | options |", "|---|---|---|"]

    def visit(command, path: list[str]) -> None:
        if hasattr(command, "commands"):  # a group (typer's own click types)
            for name in sorted(command.commands):
                if not command.commands[name].hidden:
                    visit(command.commands[name], [*path, name])
            return
        args = [p.name.upper() for p in command.params if p.param_type_name == "argument"]
        options = [p for p in command.params if p.param_type_name == "option" and p.name != "help" and not p.hidden]
        required = [f"{p.opts[0]} {p.name.upper()}" for p in options if p.required]
        optional = ", ".join(f"`{p.opts[0]}`" for p in options if not p.required)
        usage = " ".join(["predictive-leads", *path, *args, *required] + (["[options]"] if optional else []))
        summary = (command.help or "").split("\n\n")[0].replace("\n", " ").split(". ")[0].rstrip(".")
        rows.append(f"| `{usage}` | {summary.replace('|', '/')} | {optional} |")

    visit(typer.main.get_command(app), [])
    return "\n".join(rows)


@app.command("cli-reference", hidden=True)
def print_cli_reference() -> None:
    """Print the README's command table (Markdown)."""
    typer.echo(cli_reference())


def main() -> None:  # pragma: no cover - console entry point
    """Run the command line. SIGTERM ends it like Ctrl-C does (exit code 143), so cleanup code runs: temporary
    files are removed and output locks released."""
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
