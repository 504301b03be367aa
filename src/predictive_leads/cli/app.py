"""The ``predictive-leads`` command line (Typer + rich). Thin: parse arguments, call the package, print."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from predictive_leads.data.contracts import ContractError
from predictive_leads.models.rules import RuleError

app = typer.Typer(
    name="predictive-leads",
    help="Honest, explained B2B lead scoring: synthetic data, contracts, features, models, reasons.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

USER_ERRORS = (ContractError, RuleError, FileNotFoundError, ValueError)  # ModelError, LeakageError are ValueErrors


def _fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _run(fn: Callable[[], None]) -> None:
    """Run a command body; known user errors become one red line and a non-zero exit."""
    try:
        fn()
    except Exception as exc:
        if not isinstance(exc, USER_ERRORS) and not type(exc).__module__.startswith("mlflow"):
            raise
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
        from predictive_leads.synth import SynthConfig, generate_world, write_world

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
        from predictive_leads.data.files import read_lead_data

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
        from predictive_leads.data.files import find_table, read_lead_data, read_manifest, read_raw

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


def _as_of_dates(as_of: list[str] | None, every: str | None, start: str | None, end: str | None) -> list:
    from predictive_leads.features.spine import as_of_dates

    if as_of and (every or start or end):
        raise ValueError("give either --as-of dates or --every with --from/--to, not both")
    if as_of:
        return list(as_of)
    if not (every and start and end):
        raise ValueError("give --as-of DATE (repeatable) or --every month --from DATE --to DATE")
    return as_of_dates(start, end, every=every)


@app.command("build-dataset")
def build_dataset(
    data: Annotated[Path, typer.Option(help="Folder with leads, events and conversions (.parquet or .csv).")],
    out: Annotated[Path, typer.Option(help="Output file (.parquet keeps the point-in-time record; or .csv).")],
    as_of: Annotated[list[str] | None, typer.Option(help="As-of date (UTC midnight); repeatable.")] = None,
    every: Annotated[str | None, typer.Option(help="Snapshot rule: week, month or quarter.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First snapshot date (with --every).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last snapshot date (with --every).")] = None,
    horizon_days: Annotated[int, typer.Option(help="Label: converted within this many days after as_of.")] = 90,
    scoring: Annotated[bool, typer.Option("--scoring", help="Build a scoring frame (no labels).")] = False,
    config: Annotated[Path | None, typer.Option(help="YAML overriding the feature config.")] = None,
    engine: Annotated[str, typer.Option(help="duckdb (embedded) or pyspark (local[2]).")] = "duckdb",
) -> None:
    """Build a point-in-time training set (or scoring frame) and print what went in and what was skipped."""

    def body() -> None:
        from predictive_leads.data.contracts import CONVERSIONS, LEADS
        from predictive_leads.data.files import find_table, read_manifest, read_table, write_table
        from predictive_leads.features import build_scoring_frame, build_training_set, summary_of
        from predictive_leads.features.config import FeatureConfig

        dates = _as_of_dates(as_of, every, start, end)
        cfg = FeatureConfig.from_yaml(config) if config else FeatureConfig()
        leads = read_table(find_table(data, "leads"), LEADS)
        conversions = read_table(find_table(data, "conversions"), CONVERSIONS)
        events_path = find_table(data, "events")
        events = str(events_path) if events_path.suffix == ".parquet" else _read_events_csv(events_path)
        observed_until = read_manifest(data).get("observed_until")
        with console.status("building features"):
            if scoring:
                frame = build_scoring_frame(
                    leads, events, as_of=dates, conversions=conversions, config=cfg, engine=engine
                )
            else:
                frame = build_training_set(
                    leads, events, conversions, as_of=dates, horizon_days=horizon_days,
                    observed_until=observed_until, config=cfg, engine=engine,
                )  # fmt: skip
        write_table(frame, out)
        for line in summary_of(frame).lines():
            console.print(line, highlight=False, soft_wrap=True)
        console.print(f"wrote {out} ({len(frame.columns)} columns)", highlight=False)

    _run(body)


def _read_events_csv(path: Path):
    from predictive_leads.data.contracts import EVENTS, Column, TableContract
    from predictive_leads.data.files import read_table

    # unknown event types are counted and skipped by the pipeline, not rejected here
    lenient = TableContract(
        EVENTS.name,
        EVENTS.id_column,
        tuple(Column(c.name, c.dtype, c.description, c.required, c.nullable) for c in EVENTS.columns),
        EVENTS.description,
    )
    return read_table(path, lenient)


@app.command()
def contracts(
    table: Annotated[str, typer.Option(help="leads, events, conversions, truth or all.")] = "all",
) -> None:
    """Print the data contracts as Markdown tables (the README's tables are generated from this)."""
    from predictive_leads.data.contracts import CONTRACTS, contracts_markdown

    if table != "all" and table not in CONTRACTS:
        _fail(f"unknown table {table!r}; choose from {', '.join(CONTRACTS)} or all")
    names = list(CONTRACTS) if table == "all" else [table]
    typer.echo(contracts_markdown(names))


@app.command()
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
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals.")] = 200,
    mlflow: Annotated[bool, typer.Option("--mlflow/--no-mlflow", help="Log the run (params, out-of-time metrics, "
                                         "report, pyfunc model) to MLflow.")] = False,
    experiment: Annotated[str, typer.Option(help="MLflow experiment name.")] = "predictive-leads",
    register: Annotated[str | None, typer.Option(help="Register the logged model under this name (alias "
                                                       "challenger); implies --mlflow.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Train even below the cold-start minimum (the report "
                                        "says so).")] = False,
) -> None:
    """Audit, train and evaluate out of time against the rule presets; write the model and its report.

    MLflow: MLFLOW_TRACKING_URI if set, else an embedded SQLite store in models/mlflow/."""

    def body() -> None:
        from predictive_leads.training.workflow import load_training_frame, summary_lines, train_model

        frame, roles = load_training_frame(data, target=target, flat_export=flat_export,
                                           positive_label=positive_label, id_col=id_col, time_col=time_col,
                                           drop=tuple(drop or ()))  # fmt: skip
        with console.status("auditing, training and evaluating"):
            result = train_model(frame, rules=rules, keep=tuple(keep or ()), drop=tuple(drop or ()), n_boot=n_boot,
                                 force=force, **roles)  # fmt: skip
            result.save(out)
        for line in summary_lines(result):
            console.print(line, highlight=False, soft_wrap=True)
        console.print(f"model, metrics.json and report.html in {out}", highlight=False, soft_wrap=True)
        if mlflow or register:
            from predictive_leads.serving import registry

            with console.status("logging to MLflow"):
                run_id = registry.log_training_run(result, experiment=experiment, data_file=data)
            console.print(f"MLflow run {run_id} in experiment {experiment!r} ({registry.tracking_uri()})",
                          highlight=False, soft_wrap=True)  # fmt: skip
            if register:
                version = registry.register(run_id, register)
                console.print(f"registered {register} version {version} as @{registry.CHALLENGER}; next: "
                              f"predictive-leads promote --name {register} --data LATER_LABELLED_ROWS",
                              highlight=False, soft_wrap=True)  # fmt: skip

    _run(body)


@app.command()
def evaluate(
    model: Annotated[str, typer.Option(help="Model directory written by train, or models:/NAME@alias.")],
    data: Annotated[Path, typer.Option(help="Labelled rows to evaluate on (a later training set, .parquet).")],
    out: Annotated[Path, typer.Option(help="Folder for metrics.json and report.html.")],
    target: Annotated[str, typer.Option(help="Target column.")] = "converted",
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals.")] = 200,
) -> None:
    """Measure a saved model against the rule presets on new labelled rows; write metrics.json + report.html."""

    def body() -> None:
        from predictive_leads.data.files import read_raw, write_json
        from predictive_leads.reports.html import write_report
        from predictive_leads.serving.registry import load_scorer
        from predictive_leads.training.workflow import evaluate_saved_model

        scorer = load_scorer(model)
        frame = read_raw(data)
        if target not in frame:
            raise ValueError(f"{data.name}: no target column {target!r}")
        metrics, html = evaluate_saved_model(scorer, frame, target=target, n_boot=n_boot)
        write_json(metrics, out / "metrics.json")
        write_report(html, out / "report.html")
        head = metrics["headline"]
        auc = head["model"]["roc_auc"]
        console.print(f"model AUC {auc['estimate']:.3f} [{auc['low']:.3f}, {auc['high']:.3f}] on {len(frame):,} rows",
                      highlight=False)  # fmt: skip
        if head["best_rule"]:
            best = head["best_rule"]["roc_auc"]
            console.print(f"best points score ({head['best_rule']['name']}) AUC {best['estimate']:.3f} "
                          f"[{best['low']:.3f}, {best['high']:.3f}]", highlight=False)  # fmt: skip
        console.print(f"metrics.json and report.html in {out}", highlight=False, soft_wrap=True)

    _run(body)


@app.command()
def explain(
    model: Annotated[str, typer.Option(help="Model directory written by train, or models:/NAME@alias.")],
    input: Annotated[Path, typer.Option("--input", help="Scoring frame or training set (.parquet/.csv).")],
    lead_id: Annotated[str, typer.Option(help="The lead to explain.")],
    id_col: Annotated[str, typer.Option(help="Lead id column of the input.")] = "lead_id",
    as_of: Annotated[str | None, typer.Option(help="Snapshot to explain when the lead has several (default: latest).")]
    = None,
    top_k: Annotated[int, typer.Option(help="Reasons per direction.")] = 5,
    rules: Annotated[str | None, typer.Option(help="Rule preset or YAML shown side by side (default: the model's "
                                                   "learned scorecard, if saved with it).")] = None,
) -> None:
    """Print one lead's score, probability, grade, tier and the reasons behind them, next to the rule score."""

    def body() -> None:
        from predictive_leads.data.files import read_raw
        from predictive_leads.explain import top_reasons
        from predictive_leads.serving.registry import load_scorer

        scorer = load_scorer(model)
        row = _one_lead(read_raw(input), input.name, id_col, lead_id, as_of)
        scored = scorer.score_frame(row).iloc[0]
        when = f" as of {str(row['as_of'].iloc[0])[:10]}" if "as_of" in row else ""
        console.print(f"[bold]lead {lead_id}[/]{when}: score {scored.score} · grade {scored.grade} · tier "
                      f"{scored.tier} · probability {scored.probability:.1%}", highlight=False)  # fmt: skip
        reasons = top_reasons(scorer, row, top_k)
        table = Table("", "reason", "points", "log-odds", "code", title="model reasons")
        for r in reasons.itertuples(index=False):
            table.add_row("▲" if r.direction == "positive" else "▼", r.text, f"{r.points:+.1f}", f"{r.log_odds:+.3f}",
                          r.code)  # fmt: skip
        console.print(table)
        rule_table = _side_rules(rules, model)
        if rule_table is not None:
            from predictive_leads.models.rules import RuleScorer

            _print_rules_fired(RuleScorer(table=rule_table).fit(row), row, Path(str(rule_table)).stem, top_k)

    _run(body)


def _print_rules_fired(rule_scorer, row, name: str, top_k: int) -> None:
    fired, score = rule_scorer.table_.points(row)
    tier = rule_scorer.table_.tier_of(score)[0]
    hits = [r for r, hit in zip(rule_scorer.table_.rules, fired[0], strict=True) if hit]
    rules = sorted(hits, key=lambda r: -abs(r.points))
    table = Table("rule", "condition", "points", title=f"rule baseline: {name}, {score[0]:g} points, tier "
                  f"{tier or 'none'}")  # fmt: skip
    conditions = rule_scorer.table_.to_frame().set_index("rule")["condition"]
    for r in rules[: 2 * top_k]:
        table.add_row(r.id, conditions.get(r.id, ""), f"{r.points:+d}")
    if len(rules) > 2 * top_k:
        table.add_row(f"… {len(rules) - 2 * top_k} more", "", f"{sum(r.points for r in rules[2 * top_k:]):+d}")
    console.print(table)


def _one_lead(frame, source: str, id_col: str, lead_id: str, as_of: str | None):
    if id_col not in frame:
        raise ValueError(f"{source}: no id column {id_col!r} (use --id-col)")
    rows = frame[frame[id_col].astype("string") == lead_id]
    if as_of is not None and "as_of" in rows:
        rows = rows[rows["as_of"].astype("string").str[:10] == as_of[:10]]
    if rows.empty:
        raise ValueError(f"{source}: no row for {id_col} {lead_id}" + (f" at as_of {as_of}" if as_of else ""))
    if "as_of" in rows:
        rows = rows.sort_values("as_of", kind="stable")
    return rows.iloc[[-1]]


def _side_rules(rules: str | None, model: str):
    if rules is not None:
        return rules
    card = Path(model) / "learned_scorecard.yaml"
    return card if not model.startswith("models:/") and card.exists() else None


@app.command()
def score(
    model: Annotated[str, typer.Option(help="Model directory written by train, or models:/NAME@alias.")],
    output: Annotated[Path, typer.Option(help="Scores to write (.parquet or .csv), atomically.")],
    input: Annotated[Path | None, typer.Option("--input", help="Scoring frame file or folder (.parquet/.csv).")]
    = None,
    data: Annotated[Path | None, typer.Option(help="Raw data folder (leads, events, conversions): build the "
                                                   "scoring frame of the open leads at --as-of first.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Date to score the open leads at (with --data).")] = None,
    rejects: Annotated[Path | None, typer.Option(help="Where rejected rows go (default: OUTPUT stem + "
                                                      ".rejects.csv).")] = None,
    explain: Annotated[int, typer.Option("--explain", help="Reasons per lead (0 = scores only).")] = 3,
    chunk_rows: Annotated[int, typer.Option(help="Rows per chunk (bounds memory).")] = 100_000,
    id_col: Annotated[str, typer.Option(help="Lead id column.")] = "lead_id",
    scored_at: Annotated[str | None, typer.Option(help="Pin the scored_at timestamp (repeatable outputs).")] = None,
    allow_rejects: Annotated[bool, typer.Option("--allow-rejects", help="Exit 0 even if rows were rejected.")]
    = False,
    b2b_only: Annotated[bool, typer.Option("--b2b-only", help="Also disqualify free and edu email addresses.")]
    = False,
    out_of_area: Annotated[bool, typer.Option("--disqualify-out-of-area", help="Also disqualify leads outside "
                                              "the service area.")] = False,
    no_disqualify: Annotated[bool, typer.Option("--no-disqualify", help="Run no disqualification check.")] = False,
) -> None:
    """Score a file or folder of leads in chunks: every row scored or rejected with a reason (exit 4 on rejects).

    Bots, spam, test names, disposable, competitor and internal addresses are disqualified: scored and kept, with
    tier 'disqualified', score 1 and the reason."""

    def body() -> None:
        import pandas as pd

        from predictive_leads.ops.batch import score_files
        from predictive_leads.ops.disqualify import DisqualifyConfig
        from predictive_leads.serving.registry import describe_model, load_scorer

        checks = DisqualifyConfig.off() if no_disqualify else DisqualifyConfig(
            free_email=b2b_only, edu_email=b2b_only, out_of_service_area=out_of_area)
        if (input is None) == (data is None):
            raise ValueError("give either --input (a scoring frame) or --data with --as-of (raw lead data)")
        scorer = load_scorer(model)
        name, version = describe_model(model)
        source = input if input is not None else _scoring_frame_file(data, as_of, output)
        pinned = pd.Timestamp(scored_at, tz="UTC") if scored_at else None
        with _rows_progress() as progress:
            task = progress.add_task("scoring", total=None, rows="")
            summary = score_files(scorer, source, output, rejects=rejects, id_col=id_col, top_k=explain,
                                  chunk_rows=chunk_rows, model_name=name, model_version=version, scored_at=pinned,
                                  checks=checks,
                                  progress=lambda done, bad: _report_rows(progress, task, done, bad))  # fmt: skip
        for line in summary.lines():
            console.print(line, highlight=False, soft_wrap=True)
        console.print(f"scores in {output}", highlight=False, soft_wrap=True)
        if summary.rejected:
            where = rejects or output.with_name(f"{output.stem}.rejects.csv")
            console.print(f"rejected rows and reasons in {where}", highlight=False, soft_wrap=True)
            if not allow_rejects:
                raise typer.Exit(4)

    _run(body)


def _scoring_frame_file(data: Path, as_of: str | None, output: Path) -> Path:
    """Build the scoring frame of the open leads at ``as_of`` from raw data, next to the output."""
    import pandas as pd

    from predictive_leads.data.files import read_lead_data, write_table
    from predictive_leads.features import build_scoring_frame

    if not as_of:
        raise ValueError("--data needs --as-of (the date to score the open leads at)")
    tables = read_lead_data(data)
    when = pd.Timestamp(as_of, tz="UTC")
    with console.status(f"building the scoring frame as of {when.date()}"):
        frame = build_scoring_frame(tables["leads"], tables["events"], as_of=when,
                                    conversions=tables["conversions"], now=when)  # fmt: skip
    path = output.with_name(f"{output.stem}.scoring_frame.parquet")
    write_table(frame, path)
    console.print(f"scoring frame: {len(frame):,} open leads as of {when.date()} ({path.name})", highlight=False)
    return path


def _rows_progress() -> Progress:
    from rich.progress import TaskProgressColumn

    return Progress(TextColumn("[progress.description]{task.description}"), TextColumn("{task.fields[rows]}"),
                    TaskProgressColumn(), TimeElapsedColumn(), console=err_console,
                    disable=not sys.stderr.isatty())  # fmt: skip


def _report_rows(progress: Progress, task, done: int, rejected: int) -> None:
    elapsed = progress.tasks[task].elapsed or 1e-9
    text = f"{done:,} rows ({done / elapsed:,.0f} rows/s), {rejected:,} rejected"
    progress.update(task, rows=text)
    if progress.disable:
        err_console.print(f"read {text}", highlight=False)


MONITOR_EXIT = {"ok": 0, "watch": 10, "retrain": 20}


@app.command()
def monitor(
    model: Annotated[str, typer.Option(help="Model directory written by train, or models:/NAME@alias.")],
    data: Annotated[Path, typer.Option(help="Raw data folder (leads, events, conversions) or a training-set "
                                            "file (.parquet) with as_of and converted.")],
    as_of: Annotated[str, typer.Option(help="The monitoring date (today, for a nightly job).")],
    out: Annotated[Path, typer.Option(help="Folder for monitor.json and monitor.html.")] = Path("monitoring"),
    horizon_days: Annotated[int, typer.Option(help="Label horizon the model predicts.")] = 90,
    months: Annotated[int, typer.Option(help="Monthly cohorts to judge (raw data).")] = 12,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the cohort intervals.")] = 200,
    mlflow: Annotated[bool | None, typer.Option("--mlflow/--no-mlflow", help="Log the run to MLflow, linked to the "
                                                "model version (default: on for models:/ references).")] = None,
) -> None:
    """Drift, matured outcomes and a verdict (exit 0 ok, 10 watch, 20 retrain) with an HTML report."""

    def body() -> None:
        import pandas as pd

        from predictive_leads.data.files import write_json
        from predictive_leads.monitoring.monitor import check_monitorable, run_monitor
        from predictive_leads.reports.html import monitor_html, monitor_plots, write_report
        from predictive_leads.serving.registry import is_model_uri, load_scorer, log_monitor_run

        scorer = load_scorer(model)
        when = check_monitorable(scorer, pd.Timestamp(as_of, tz="UTC"))
        with console.status("building the monitoring frames"):
            current, labelled = _monitoring_frames(data, when, horizon_days, months)
        result = run_monitor(scorer, current, labelled, as_of=when, horizon_days=horizon_days, n_boot=n_boot)
        write_json(result.to_dict(), out / "monitor.json")
        write_report(monitor_html(result, monitor_plots(result)), out / "monitor.html")
        console.print(f"verdict: [bold]{result.verdict.status}[/]", highlight=False)
        for reason in result.verdict.reasons:
            console.print(f"  - {reason}", highlight=False, soft_wrap=True)
        console.print(f"monitor.json and monitor.html in {out}", highlight=False, soft_wrap=True)
        if mlflow or (mlflow is None and is_model_uri(model)):
            console.print(f"MLflow run {log_monitor_run(result, out, model)}", highlight=False)
        raise typer.Exit(MONITOR_EXIT[result.verdict.status])

    _run(body)


def _monitoring_frames(data: Path, when, horizon_days: int, months: int):
    """(rows to check for drift, labelled rows) from raw data or from a training-set file."""
    import pandas as pd

    from predictive_leads.data.files import read_lead_data, read_raw

    if data.is_file():
        frame = read_raw(data)
        if "as_of" not in frame or "converted" not in frame:
            raise ValueError(f"{data.name}: needs as_of and converted columns (a training set from build-dataset)")
        dates = pd.to_datetime(frame["as_of"], utc=True)
        known = (dates <= when).to_numpy()
        if not known.any():
            raise ValueError(f"{data.name}: no rows at or before {when.date()}")
        latest = (dates == dates[known].max()).to_numpy()
        return frame[latest], frame[known]
    from predictive_leads.monitoring.monitor import monitoring_frames

    tables = read_lead_data(data)
    return monitoring_frames(tables["leads"], tables["events"], tables["conversions"], as_of=when,
                             horizon_days=horizon_days, months=months)  # fmt: skip


@app.command()
def retrain(
    data: Annotated[Path, typer.Option(help="Raw data folder (leads, events, conversions).")],
    as_of: Annotated[str, typer.Option(help="Today: labels are used up to as_of minus the horizon.")],
    name: Annotated[str | None, typer.Option(help="Registered model: champion from @champion, challenger "
                                                  "registered and promoted through the gate.")] = None,
    model: Annotated[Path | None, typer.Option(help="Champion model directory (without a registry).")] = None,
    out: Annotated[Path | None, typer.Option(help="Where the challenger is written (model directory mode).")] = None,
    months: Annotated[int, typer.Option(help="Monthly snapshots to train on.")] = 12,
    horizon_days: Annotated[int, typer.Option(help="Label horizon.")] = 90,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the report's intervals.")] = 200,
    force: Annotated[bool, typer.Option("--force", help="Train even below the cold-start minimum.")] = False,
) -> None:
    """Train a challenger on the newest mature labels with the champion's settings; promote only through the gate
    (exit 3 if refused). Registry (--name) or model directories (--model, --out)."""

    def body() -> None:
        import pandas as pd

        from predictive_leads.data.files import read_lead_data, write_json
        from predictive_leads.features import build_training_set
        from predictive_leads.features.spine import mature_snapshot_dates
        from predictive_leads.serving.registry import load_scorer
        from predictive_leads.training.retrain import RETRAIN_GATE, test_window
        from predictive_leads.training.retrain import retrain as retrain_model

        if (name is None) == (model is None) or (model is not None and out is None):
            raise ValueError("give --name (registry) or --model with --out (model directories)")
        champion = load_scorer(f"models:/{name}@champion" if name else model)
        when = pd.Timestamp(as_of, tz="UTC")
        tables = read_lead_data(data)
        dates = mature_snapshot_dates(when, horizon_days, months)
        with console.status(f"building {len(dates)} monthly snapshots up to {dates[-1].date()}"):
            frame = build_training_set(tables["leads"], tables["events"], tables["conversions"], as_of=dates,
                                       horizon_days=horizon_days, observed_until=when, now=when)  # fmt: skip
        with console.status("training the challenger and judging it against the champion"):
            result, decision = retrain_model(champion, frame, n_boot=n_boot, force=force)
        if name:
            from predictive_leads.serving import registry

            run_id = registry.log_training_run(result)
            version = registry.register(run_id, name)
            decision = registry.promote(name, test_window(result, frame), gate=RETRAIN_GATE)
            where = f"{name} version {version}"
        else:
            result.save(out)
            write_json(decision.to_dict(), out / "promotion.json")
            where = str(out)
        _report_promotion(f"challenger {where}", decision)

    _run(body)


def _report_promotion(what: str, decision) -> None:
    """One line with the gate's decision and reason; exit 3 when the challenger was refused."""
    verdict = "promoted" if decision.promoted else "not promoted"
    console.print(f"{what}: {verdict} — {decision.reason} ({decision.rows:,} rows)", highlight=False, soft_wrap=True)
    if not decision.promoted:
        raise typer.Exit(3)


@app.command()
def summary(
    model: Annotated[Path, typer.Option(help="Model directory written by train (its metrics.json).")],
    scores: Annotated[Path | None, typer.Option(help="Batch output of score (and its .rejects.csv).")] = None,
    name: Annotated[str | None, typer.Option(help="Registered model name (for the next commands).")] = None,
    data: Annotated[Path | None, typer.Option(help="Raw data folder (for the monitor command).")] = None,
    as_of: Annotated[str | None, typer.Option(help="Date the scores were made (for the monitor command).")] = None,
) -> None:
    """What a run achieved, read back from its files: AUC model vs rule presets with intervals, lift, where the
    report, model and scores are, and the next commands to try."""

    def body() -> None:
        import json

        import pandas as pd

        from predictive_leads.reports.summary import evaluation_lines, scores_line

        metrics = json.loads((model / "metrics.json").read_text())
        ref = f"models:/{name}@champion" if name else str(model)
        lines = ["[bold]out of time[/]", *evaluation_lines(metrics), "", "[bold]where[/]",
                 f"report   {model / 'report.html'}", f"model    {model}" + (f" (registered: {ref})" if name else "")]
        if name:
            lines.append(f"MLflow   mlflow ui --backend-store-uri {_tracking_for_humans()}")
        if scores is not None:
            scored = pd.read_parquet(scores, columns=["id", "score", "tier"])
            bad = scores.with_name(f"{scores.stem}.rejects.csv")
            rejected = len(pd.read_csv(bad)) if bad.exists() else 0
            lines += [f"scores   {scores}: {scores_line(scored, rejected)}", "", "[bold]next[/]"]
            top = scored.sort_values(["score", "id"], ascending=[False, True])["id"].iloc[0]
            frame = scores.with_name(f"{scores.stem}.scoring_frame.parquet")
            lines.append(f"predictive-leads explain --model {ref} --input {frame} --lead-id {top}")
        lines.append(f"predictive-leads serve --model {ref}")
        if data is not None and as_of:
            lines.append(f"predictive-leads monitor --model {ref} --data {data} --as-of {as_of} --out monitoring")
        for line in lines:
            console.print(line, highlight=False, soft_wrap=True)

    _run(body)


def _tracking_for_humans() -> str:
    """The tracking URI to paste into ``mlflow ui``, relative to the working directory when it is embedded."""
    import os

    from predictive_leads.serving.registry import DEFAULT_STORE

    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{DEFAULT_STORE / 'mlflow.db'}"


def _scores_with_frame(scores: Path, frame: Path | None, columns):
    """A batch output (``id`` → ``lead_id``) joined with the named columns of its scoring frame (default: the
    ``<stem>.scoring_frame.parquet`` that ``score --data`` writes beside it), where the frame has them."""
    from predictive_leads.data.files import read_raw

    scored = read_raw(scores).rename(columns={"id": "lead_id"})
    frame = frame or scores.with_name(f"{scores.stem}.scoring_frame.parquet")
    if not frame.exists():
        return scored
    context = read_raw(frame)
    wanted = [c for c in dict.fromkeys(columns) if c in context and c not in scored]
    missing = sorted(set(scored["lead_id"].astype(str)) - set(context["lead_id"].astype(str)))
    if missing:
        raise ValueError(f"{frame.name}: no row for scored lead(s) {', '.join(missing[:5])}")
    return scored.merge(context[["lead_id", *wanted]].astype({"lead_id": str}), on="lead_id", how="left",
                        validate="one_to_one") if wanted else scored  # fmt: skip


@app.command()
def route(
    scores: Annotated[Path, typer.Option(help="Batch output of score (.parquet/.csv).")],
    reps: Annotated[Path, typer.Option(help="Reps, teams, capacities and routing rules (YAML).")],
    out: Annotated[Path, typer.Option(help="Assignments to write (.parquet/.csv).")],
    mode: Annotated[str, typer.Option(help="balanced, rules or round_robin.")] = "balanced",
    seed: Annotated[int, typer.Option(help="Seed of the rotation (same seed, same assignment).")] = 0,
    frame: Annotated[Path | None, typer.Option(help="Scoring frame with the columns rules use (default: the one "
                                                    "score --data wrote beside the scores).")] = None,
) -> None:
    """Hand the scored leads to reps: every lead assigned once or left unassigned with the reason."""

    def body() -> None:
        from predictive_leads.data.files import write_table
        from predictive_leads.ops.routing import MODES, REP_FILTERS, load_reps, rep_report, spread_summary
        from predictive_leads.ops.routing import route as route_leads

        if mode not in MODES:
            raise ValueError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
        config = load_reps(reps)
        needed = [*REP_FILTERS.values(), *(col for rule in config.rules for col in rule.when)]
        leads = _scores_with_frame(scores, frame, needed)
        assignments = route_leads(leads, config, mode=mode, seed=seed, id_col="lead_id")
        write_table(assignments, out)
        table = Table("rep", "team", "leads", "top tier", "expected conversions", "capacity used", title=f"{mode}")
        for r in rep_report(assignments, config).itertuples():
            used = "" if r.capacity_used != r.capacity_used else f"{r.capacity_used:.0%}"
            table.add_row(r.rep, r.team or "", f"{r.leads:,}", f"{r.top_tier:,}", f"{r.expected_conversions:.2f}", used)
        console.print(table)
        for r in spread_summary(assignments, config).itertuples():
            sign = "≤" if r.within_bound else ">"
            console.print(f"{r.team or 'all reps'}: spread of expected conversions {r.spread:.2f} {sign} largest "
                          f"single lead {r.largest_lead:.2f}", highlight=False)  # fmt: skip
        unassigned = assignments["unassigned_reason"].value_counts()
        console.print(f"rows in {len(leads):,} = assigned {int(assignments['rep'].notna().sum()):,} + unassigned "
                      f"{int(unassigned.sum()):,}" + "".join(f"; {n:,} {why}" for why, n in unassigned.items())
                      + f"; assignments in {out}", highlight=False, soft_wrap=True)  # fmt: skip

    _run(body)


SEGMENT_ALIASES = {"source": "lead_source", "role": "seniority"}


@app.command("report-segments")
def report_segments(
    scores: Annotated[Path, typer.Option(help="Batch output of score (.parquet/.csv).")],
    outcomes: Annotated[Path, typer.Option(help="Conversions (lead_id, converted_at, deal_value).")],
    out: Annotated[Path, typer.Option(help="Folder for segments.csv and segments.html.")] = Path("segments"),
    by: Annotated[str, typer.Option(help="Comma-separated columns (source = lead_source, role = seniority).")]
    = "source,role",
    rules: Annotated[str, typer.Option(help="Rule preset or YAML scored alongside (the rule baseline).")]
    = "fit_and_engagement",
    frame: Annotated[Path | None, typer.Option(help="Scoring frame with the segment and rule columns (default: "
                                                    "the one score --data wrote beside the scores).")] = None,
    horizon_days: Annotated[int, typer.Option(help="A conversion counts within this many days of scoring.")] = 90,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals.")] = 200,
) -> None:
    """Conversion, MQL/SQL rates, days to convert, deal value and the model's gain over the rule score, by
    segment, with intervals (HTML + CSV)."""

    def body() -> None:
        from predictive_leads.data.files import read_raw, write_table
        from predictive_leads.models.rules import RuleScorer, load_table
        from predictive_leads.ops.segments import segment_report, segments_csv_frame, segments_html
        from predictive_leads.reports.html import write_report

        dims = [SEGMENT_ALIASES.get(d.strip(), d.strip()) for d in by.split(",") if d.strip()]
        table = load_table(rules)
        leads = _scores_with_frame(scores, frame, [*dims, *table.columns])
        leads["rule_score"] = RuleScorer(table=table).fit(leads).predict_score(leads)
        thrown_out = leads["tier"].eq("disqualified").to_numpy()  # the rule baseline disqualifies them too
        leads.loc[thrown_out, "rule_score"] = leads["rule_score"].min()
        report = segment_report(leads, read_raw(outcomes), by=dims, horizon_days=horizon_days, n_boot=n_boot)
        write_table(segments_csv_frame(report), out / "segments.csv")
        write_report(segments_html(report, title="Lead scoring by segment"), out / "segments.html")
        for note in report.attrs.get("notes", []):
            console.print(f"note: {note}", highlight=False, soft_wrap=True)
        console.print(f"{len(report):,} segment rows ({', '.join(dims)}; rule baseline {table.name}) in {out}",
                      highlight=False, soft_wrap=True)  # fmt: skip

    _run(body)


@app.command()
def register(
    run_id: Annotated[str, typer.Option(help="MLflow run that logged the model (train --mlflow prints it).")],
    name: Annotated[str, typer.Option(help="Registered model name.")],
    alias: Annotated[str, typer.Option(help="Alias to point at the new version.")] = "challenger",
) -> None:
    """Register a logged model as a new version and point an alias (default: challenger) at it."""

    def body() -> None:
        from predictive_leads.serving.registry import register as register_model

        version = register_model(run_id, name, alias=alias)
        console.print(f"{name} version {version} is @{alias}", highlight=False)

    _run(body)


@app.command()
def promote(
    name: Annotated[str, typer.Option(help="Registered model name.")],
    data: Annotated[Path, typer.Option(help="Labelled rows later than both models' training data (.parquet).")],
    target: Annotated[str, typer.Option(help="Target column.")] = "converted",
    max_auc_drop: Annotated[float, typer.Option(help="Largest AUC loss vs the champion that still passes.")] = 0.005,
    max_ece_increase: Annotated[float, typer.Option(help="Largest calibration-error increase that passes.")] = 0.005,
) -> None:
    """Compare @challenger with @champion out of time; move @champion only if the gate passes (exit 3 if not)."""

    def body() -> None:
        from predictive_leads.data.files import read_raw
        from predictive_leads.serving.registry import promote as promote_model
        from predictive_leads.training.promotion import Gate

        gate = Gate(max_auc_drop=max_auc_drop, max_ece_increase=max_ece_increase)
        _report_promotion(name, promote_model(name, read_raw(data), target=target, gate=gate))

    _run(body)


@app.command()
def serve(
    model: Annotated[str, typer.Option(help="models:/NAME@alias (or a logged model URI).")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 5001,
    workers: Annotated[int, typer.Option(help="Server worker processes.")] = 1,
) -> None:
    """Serve the model over REST with `mlflow models serve` on 127.0.0.1 (POST /invocations).

    Writes a synthetic example request to models/mlflow/example_request.json and prints a curl line for it."""
    from predictive_leads.data.files import atomic_path
    from predictive_leads.serving.pyfunc import example_request
    from predictive_leads.serving.registry import DEFAULT_STORE, load_scorer, offline_env, serve_command, tracking_uri

    example = DEFAULT_STORE / "example_request.json"

    def write_example() -> None:
        with atomic_path(example) as tmp:
            tmp.write_text(example_request(load_scorer(model)))

    _run(write_example)
    console.print(f"try: curl -s 127.0.0.1:{port}/invocations -H 'Content-Type: application/json' -d @{example}",
                  highlight=False, soft_wrap=True)  # fmt: skip
    env = os.environ | offline_env() | {"MLFLOW_TRACKING_URI": tracking_uri(), "MLFLOW_REGISTRY_URI": tracking_uri(),
                                        "PATH": _with_venv_bin(os.environ.get("PATH", ""))}
    os.execvpe("mlflow", serve_command(model, port, workers=workers), env)


def _with_venv_bin(path: str) -> str:
    """`mlflow models serve` starts uvicorn by name: put this interpreter's bin/ first on PATH."""
    return os.pathsep.join([str(Path(sys.executable).parent), path])


rules_app = typer.Typer(help="Rule-based points tables: the presets and your own YAML.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def rules_list() -> None:
    """List the preset points tables shipped with the package."""

    def body() -> None:
        from predictive_leads.models.rules import load_table, preset_names

        table = Table("preset", "rules", "tiers", "description", title="rule presets")
        for name in preset_names():
            t = load_table(name)
            tiers = ", ".join(f"{tier.name} ≥ {tier.min_score:g}" for tier in t.tiers)
            table.add_row(name, str(len(t.rules)), tiers, textwrap.shorten(t.description, 70))
        console.print(table)

    _run(body)


@rules_app.command("show")
def rules_show(
    name: Annotated[str, typer.Argument(help="A preset name or a YAML file.")],
    yaml_out: Annotated[bool, typer.Option("--yaml", help="Print the table as YAML (to copy and edit).")] = False,
) -> None:
    """Print one points table: every rule with its condition, points and reason (checked against the features)."""

    def body() -> None:
        from predictive_leads.features import feature_schema
        from predictive_leads.models.rules import load_table

        t = load_table(name, columns=feature_schema())
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

    _run(body)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()


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
        options = [p for p in command.params if p.param_type_name == "option" and p.name != "help"]
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
