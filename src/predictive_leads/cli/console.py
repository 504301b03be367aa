"""Printing and errors for the command line: the two rich consoles, one red line per user error, progress bars."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn

console = Console()
err_console = Console(stderr=True)

# ContractError, RuleError, ModelError, LeakageError are ValueErrors; OutputLockedError is a FileExistsError
USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError)


def fail(message: str, code: int = 1) -> None:
    """Print ``error: message`` in red on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Known user errors (and MLflow's) raised inside become one red line and exit code 1; others propagate."""
    try:
        yield
    except Exception as exc:
        if not isinstance(exc, USER_ERRORS) and not type(exc).__module__.startswith("mlflow"):
            raise
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def say(text: str, *, wrap: bool = True) -> None:
    """Print one line as it is (no highlighting; long lines not cut when ``wrap``)."""
    console.print(text, highlight=False, soft_wrap=wrap)


# ------------------------------------------------------------------------------------------ verbosity

_SETTINGS = {"progress": True}
THIRD_PARTY = ("mlflow", "alembic", "py4j", "urllib3", "numba", "shap", "matplotlib", "optbinning", "lightgbm")
"""Libraries whose INFO messages are noise in a user's terminal: shown from ``-v`` on."""


def configure_logging(verbosity: int = 0) -> None:
    """Route the standard ``logging`` to stderr for one CLI run. ``verbosity``: -1 (``--quiet``: warnings and errors
    only, no progress), 0 (default: the package's warnings; third parties' warnings), 1 (``-v``: the package's
    steps and the third parties' INFO, MLflow's included), 2 (``-vv``: debug)."""
    ours = {-1: logging.WARNING, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    theirs = logging.INFO if verbosity >= 1 else logging.WARNING
    handler = _Stderr()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(ours)
    package = logging.getLogger("predictive_leads")
    package.handlers[:] = [handler]
    package.setLevel(min(ours, logging.INFO))  # the steps reach the spinner (below) whatever is printed
    package.propagate = False
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(theirs)
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", logging.getLevelName(theirs))  # read when MLflow is imported
    _SETTINGS["progress"] = verbosity >= 0


class _Stderr(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is when a record comes (test runners swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


@contextmanager
def spinner(text: str):
    """A spinner with ``text`` on the terminal, showing each step the package logs at INFO meanwhile (``.update``
    changes it too); nothing under ``--quiet``."""
    if not _SETTINGS["progress"]:
        yield _Silent()
        return
    package = logging.getLogger("predictive_leads")
    with console.status(text) as status:
        steps = _StepsTo(status, text)
        package.addHandler(steps)
        try:
            yield status
        finally:
            package.removeHandler(steps)


class _StepsTo(logging.Handler):
    """Shows the message of each INFO record on a spinner, after its first text."""

    def __init__(self, status, text: str) -> None:
        super().__init__(logging.INFO)
        self.status, self.text = status, text

    def emit(self, record: logging.LogRecord) -> None:
        self.status.update(f"{self.text}: {record.getMessage()}")


class _Silent:
    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *_exc) -> None:
        return None

    def update(self, *_args, **_kwargs) -> None:
        pass


def steps_progress() -> Progress:
    """A progress bar over a known number of steps (on stderr, only in a terminal)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not (sys.stderr.isatty() and _SETTINGS["progress"]),
    )


def rows_progress() -> Progress:
    """A progress line over rows read (on stderr; outside a terminal, one plain line per update)."""
    return Progress(TextColumn("[progress.description]{task.description}"), TextColumn("{task.fields[rows]}"),
                    TaskProgressColumn(), TimeElapsedColumn(), console=err_console,
                    disable=not (sys.stderr.isatty() and _SETTINGS["progress"]))  # fmt: skip


def report_rows(progress: Progress, task: TaskID, done: int, rejected: int) -> None:
    """Show ``done`` rows read and ``rejected`` on the rows progress line."""
    elapsed = progress.tasks[task].elapsed or 1e-9
    text = f"{done:,} rows ({done / elapsed:,.0f} rows/s), {rejected:,} rejected"
    progress.update(task, rows=text)
    if progress.disable and _SETTINGS["progress"]:
        err_console.print(f"read {text}", highlight=False)


class PackageDefault:
    """An option default read from the package when it is needed (parsing, or that command's ``--help``), so that
    ``predictive-leads --help`` does not import the package's heavy modules to learn it."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self) -> object:
        return getattr(import_module(self.module), self.name)

    def __str__(self) -> str:
        return str(self())


TOP_K = PackageDefault("predictive_leads.explain.reasons", "DEFAULT_TOP_K")  # reasons per lead
MEMORY_BUDGET_HELP = (
    "Peak memory to stay within, e.g. 2GB: the events are aggregated a share of the leads at a time when they "
    "would not fit (the same output)."
)
