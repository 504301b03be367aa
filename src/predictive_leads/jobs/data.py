"""Data jobs: generate a synthetic world, validate and describe a data folder, build a point-in-time dataset."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from predictive_leads.features.pipeline import DatasetSummary

PLANTED = ("is_bot", "is_spam", "is_duplicate", "is_internal", "is_competitor")


def _planted(truth: pd.DataFrame, flags: Sequence[str]) -> dict[str, int]:
    return {flag[3:]: int(truth[flag].sum()) for flag in flags}


# ------------------------------------------------------------------------------------------ generate


@dataclass
class GeneratedWorld:
    """A synthetic world written to ``out``: its sizes, span, planted junk and how long it took."""

    out: Path
    leads: int
    events: int
    conversions: int
    start: str  # first day, YYYY-MM-DD
    observed_until: str  # last day, YYYY-MM-DD
    planted: dict[str, int]  # bot, spam, duplicate, internal, competitor → leads
    drift_from: str | None
    seconds: float
    world: object = field(repr=False, default=None)  # the generated World (tables in memory)

    @property
    def events_per_lead(self) -> float:
        return self.events / self.leads

    @property
    def conversion_rate(self) -> float:
        return self.conversions / self.leads

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


PRODUCT_LINE_SPEC = "spec.yaml"


def _write_product_line_spec(out: Path) -> Path:
    """Our synthetic world's spec with the leads' ``product_line`` declared as a categorical attribute."""
    from dataclasses import replace

    from predictive_leads.data.files import write_text
    from predictive_leads.data.spec import Attribute, synthetic_spec

    spec = synthetic_spec()
    spec = replace(spec, name="synthetic_product_lines",
                   attributes=(*spec.attributes, Attribute("product_line", "categorical")))  # fmt: skip
    return write_text(spec.to_yaml(), out / PRODUCT_LINE_SPEC)


def generate_steps(csv: bool = False) -> int:
    """How many times :func:`generate` calls ``on_step``: once for the world, once per file it writes."""
    from predictive_leads.synth.world_files import TABLES

    return 1 + len(TABLES) * (2 if csv else 1)


def generate(
    out: str | Path,
    *,
    n_leads: int = 20_000,
    seed: int = 0,
    conversion_rate: float = 0.06,
    drift: bool = False,
    start: str = "2024-09-01",
    days: int = 730,
    csv: bool = False,
    layout: str | None = None,
    product_lines: int = 1,
    profiles_differ: bool = True,
    on_step: Callable[[str], None] | None = None,
) -> GeneratedWorld:
    """Generate a synthetic B2B lead world and write its tables (+ CSV copies) and manifest to ``out`` — or, with
    ``layout`` (salesforce, hubspot or foreign), the same world reshaped into that CRM's export as CSV files, the
    way a real team's data arrives (``init-spec`` drafts its spec). ``product_lines=2``: two product lines whose
    converting profiles differ (the leads' ``product_line`` column), with ``spec.yaml`` beside the tables declaring
    it as an attribute (``build-dataset --spec``), for segment models (``train --segment-by product_line``);
    ``profiles_differ=False`` gives both lines the same profile (segment models should then show no gain).

    ``on_step(what)`` is called after the world is generated (``"generating world"``) and before each file is
    written (``"writing leads.parquet"``, …): :func:`generate_steps` calls in all."""
    from predictive_leads.synth import SynthConfig, generate_world, write_world

    cfg = SynthConfig(n_leads=n_leads, seed=seed, conversion_rate=conversion_rate, drift=drift, start=start, days=days,
                      product_lines=product_lines, profiles_differ=profiles_differ)  # fmt: skip
    if layout and product_lines > 1:
        raise ValueError("--product-lines writes our own tables with their spec.yaml; a CRM --layout does not carry "
                         "the product line")  # fmt: skip
    step = on_step or (lambda _what: None)
    t0 = time.perf_counter()
    world = generate_world(cfg)
    step("generating world")
    if layout:
        from predictive_leads.synth.vendor_layouts import LAYOUTS, write_layout

        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; choose from {', '.join(LAYOUTS)}")
        write_layout(LAYOUTS[layout](world), out)
    else:
        write_world(world, out, csv=csv, on_file=lambda name: step(f"writing {name}"))
        if product_lines > 1:
            _write_product_line_spec(Path(out))
    seconds = time.perf_counter() - t0
    meta = world.meta
    drift_from = meta["drift_date"][:10] if meta.get("drift_date") else None
    return GeneratedWorld(Path(out), len(world.leads), len(world.events), len(world.conversions), meta["start"][:10],
                          meta["observed_until"][:10], _planted(world.truth, PLANTED), drift_from, seconds,
                          world)  # fmt: skip


# ------------------------------------------------------------------------------------------ validate, describe


@dataclass
class ValidatedData:
    """A data folder that passed its spec's contracts: rows per table, and how every column is used."""

    folder: Path
    rows: dict[str, int]
    columns: pd.DataFrame | None = None  # table, column, use, detail
    spec: str = "synthetic"


def validate(data: str | Path, spec: str | Path | None = None) -> ValidatedData:
    """Check the tables of ``data`` against the dataset spec (default: our synthetic world's; ContractError or
    SpecError if not), and report every column: used (how), ignored (why) or refused as PII."""
    from predictive_leads.data.files import read_dataset

    declared = _spec(spec)
    tables = read_dataset(data, declared, events_as_paths=False)
    rows = {"leads": len(tables.leads)}
    for source, table in tables.events.tables.items():  # each event source by its name
        rows[source] = len(table) if isinstance(table, pd.DataFrame) else _parquet_rows(table)
    rows["conversions"] = len(tables.conversions)
    return ValidatedData(Path(data), rows, tables.columns, declared.name)


def _spec(spec):
    """A loaded dataset spec: the given file, or our synthetic world's."""
    from predictive_leads.data.spec import load_spec, synthetic_spec

    return load_spec(spec) if spec else synthetic_spec()


@dataclass
class ModelData:
    """Raw tables read the way a model's training set was built: its spec, its feature config, the tables."""

    spec: object
    config: object  # FeatureConfig: the model's resolved one (same vocabulary), or the spec's for a retrain
    tables: object  # SpecTables

    def frames(self) -> tuple:
        """(leads, events, conversions) for the feature pipeline."""
        return self.tables.leads, self.tables.events, self.tables.conversions


def read_for_model(data: str | Path, model: str | Path | None, *, relearn: bool = False) -> ModelData:
    """The tables of ``data`` read through the dataset spec ``model`` was trained with (our synthetic world's when
    it saved none, or without a model), with the model's feature config — or, with ``relearn``, the spec's own
    (a retrain learns the vocabulary again)."""
    from predictive_leads.data.files import read_dataset
    from predictive_leads.data.spec import spec_from_dict, synthetic_spec
    from predictive_leads.features.config import FeatureConfig, spec_config
    from predictive_leads.serving.registry import load_dataset

    saved = load_dataset(model) if model is not None else {}
    spec = spec_from_dict(saved["spec"], source=f"{model}: dataset.json") if saved.get("spec") else synthetic_spec()
    config = spec_config(spec)
    if saved.get("feature_config") and not relearn:
        config = FeatureConfig.from_dict(saved["feature_config"])
    return ModelData(spec, config, read_dataset(data, spec))


def _parquet_rows(path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


@dataclass
class DataDescription:
    """A data folder in numbers: rows, creation span, event mix and, for a synthetic world, the planted truth."""

    folder: Path
    leads: int
    events: int
    conversions: int
    created_from: pd.Timestamp
    created_to: pd.Timestamp
    event_mix: dict[str, int]  # event type → events, most frequent first
    planted: dict[str, int] | None  # synthetic worlds only: truth flag (without ``is_``) → leads

    @property
    def events_per_lead(self) -> float:
        return self.events / max(self.leads, 1)

    @property
    def conversion_rate(self) -> float:
        return self.conversions / max(self.leads, 1)

    def event_share(self, event_type: str) -> float:
        """Share of all events that are of ``event_type``."""
        return self.event_mix[event_type] / self.events


def describe(data: str | Path) -> DataDescription:
    """Summarise the data folder ``data`` (checked against the contracts first)."""
    from predictive_leads.data.files import find_table, read_lead_data, read_manifest, read_raw

    tables = read_lead_data(data)
    leads, events, conv = tables["leads"], tables["events"], tables["conversions"]
    mix = {str(name): int(count) for name, count in events["event_type"].value_counts().items()}
    planted = None
    if read_manifest(data).get("kind") == "synthetic":
        truth = read_raw(find_table(data, "truth"))
        planted = _planted(truth, [c for c in truth.columns if c.startswith("is_")])
    return DataDescription(Path(data), len(leads), len(events), len(conv), leads["created_at"].min(),
                           leads["created_at"].max(), mix, planted)  # fmt: skip


# ------------------------------------------------------------------------------------------ build-dataset


def snapshot_dates(as_of: Sequence[str] | None = None, every: str | None = None, start: str | None = None,
                   end: str | None = None) -> list:  # fmt: skip
    """The as-of dates of a dataset: the ``as_of`` dates as given, or every week/month/quarter from ``start`` to
    ``end`` — one or the other."""
    from predictive_leads.features.spine import as_of_dates

    if as_of and (every or start or end):
        raise ValueError("give either --as-of dates or --every with --from/--to, not both")
    if as_of:
        return list(as_of)
    if not (every and start and end):
        raise ValueError("give --as-of DATE (repeatable) or --every month --from DATE --to DATE")
    return as_of_dates(start, end, every=every)


@dataclass
class BuiltDataset:
    """A point-in-time training set (or scoring frame) written to ``out``, with what went in and was skipped."""

    frame: pd.DataFrame = field(repr=False)
    out: Path
    summary: DatasetSummary

    @property
    def columns(self) -> int:
        return len(self.frame.columns)


def build_dataset(
    data: str | Path,
    out: str | Path,
    *,
    as_of: Sequence[str] | None = None,
    every: str | None = None,
    start: str | None = None,
    end: str | None = None,
    horizon_days: int = 90,
    scoring: bool = False,
    spec: str | Path | None = None,
    config: str | Path | None = None,
    observed_until: str | None = None,
    engine: str = "duckdb",
    memory_budget: str | None = None,
) -> BuiltDataset:
    """Build the training set (labelled within ``horizon_days``) or, with ``scoring``, the scoring frame of the
    tables in ``data`` as the dataset ``spec`` declares them (default: our synthetic world's), at the dates of
    :func:`snapshot_dates`; write it to ``out`` (.parquet or .csv). ``config`` is a YAML file overriding the
    spec's feature config. ``observed_until`` is when the data was exported (default: the folder's manifest, else
    the latest lead or outcome time): labels whose horizon runs past it are censored. ``memory_budget`` (e.g. 2GB)
    builds the behaviour in lead partitions when the events would not fit in it: the same frame. The summary lists
    every column read: used, ignored (why) or refused as PII."""
    from predictive_leads.data.files import output_lock, read_dataset, read_manifest, write_table
    from predictive_leads.features import build_scoring_frame, build_training_set, summary_of
    from predictive_leads.features.config import FeatureConfig, spec_config
    from predictive_leads.features.pipeline import with_provenance

    with output_lock(out):  # a second job building the same file is refused at its start
        dates = snapshot_dates(as_of, every, start, end)
        declared = _spec(spec)
        cfg = spec_config(declared)
        if config:
            cfg = FeatureConfig.from_yaml(config, base=cfg)
        tables = read_dataset(data, declared)
        observed_until = observed_until or read_manifest(data).get("observed_until")
        if scoring:
            frame = build_scoring_frame(tables.leads, tables.events, as_of=dates, conversions=tables.conversions,
                                        config=cfg, engine=engine, memory_budget=memory_budget)  # fmt: skip
        else:
            frame = build_training_set(tables.leads, tables.events, tables.conversions, as_of=dates,
                                       horizon_days=horizon_days, observed_until=observed_until, config=cfg,
                                       engine=engine, memory_budget=memory_budget)  # fmt: skip
        if frame.empty and not scoring:
            raise _no_training_rows(data, len(tables.leads), dates, horizon_days)
        frame = with_provenance(frame, tables, declared)
        write_table(frame, out)
    return BuiltDataset(frame, Path(out), summary_of(frame))


def _no_training_rows(data, leads: int, dates: list, horizon_days: int) -> Exception:
    from predictive_leads.data.contracts import ContractError

    return ContractError(f"{Path(data).name}: no training rows: {leads:,} leads, none open and labelled at the "
                         f"{len(dates)} as_of date(s) from {str(dates[0])[:10]} to {str(dates[-1])[:10]} with a "
                         f"{horizon_days}-day horizon; nothing written")  # fmt: skip


# ------------------------------------------------------------------------------------------ contracts


def contracts_markdown(table: str = "all") -> str:
    """The data contracts of ``table`` (leads, events, conversions, truth or all) as Markdown tables."""
    from predictive_leads.data.contracts import CONTRACTS
    from predictive_leads.data.contracts import contracts_markdown as markdown

    if table != "all" and table not in CONTRACTS:
        raise ValueError(f"unknown table {table!r}; choose from {', '.join(CONTRACTS)} or all")
    return markdown(list(CONTRACTS) if table == "all" else [table])
