"""Scoring jobs: batch-score a scoring frame (file or folder) or the open leads of a raw data folder at a date,
build that scoring frame, and explain one lead next to the rule baseline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from predictive_leads.explain.reasons import DEFAULT_TOP_K
from predictive_leads.features.spine import to_utc
from predictive_leads.models.funnel import FunnelPolicy, funnel_from_options
from predictive_leads.ops.batch import BatchSummary
from predictive_leads.ops.crm_export import CRM_TARGETS

# ------------------------------------------------------------------------------------------ scoring frame


@dataclass
class ScoringFrame:
    """The open leads of a data folder at ``as_of``, as features (written to ``path`` when one was given)."""

    frame: pd.DataFrame = field(repr=False)
    as_of: pd.Timestamp
    path: Path | None = None

    @property
    def rows(self) -> int:
        return len(self.frame)


def scoring_frame_path(output: str | Path) -> Path:
    """Where ``score --data`` writes the scoring frame of ``output``: ``<stem>.scoring_frame.parquet`` beside it."""
    output = Path(output)
    return output.with_name(f"{output.stem}.scoring_frame.parquet")


def scoring_frame(data: str | Path, as_of: str | pd.Timestamp | None, out: str | Path | None = None, *,
                  model: str | Path | None = None, memory_budget: str | None = None) -> ScoringFrame:  # fmt: skip
    """The scoring frame of the leads open in the raw data folder ``data`` at ``as_of`` (features known then), read
    and built the way ``model``'s training set was (its dataset spec and feature config); written to ``out``."""
    from predictive_leads.data.files import write_table
    from predictive_leads.features import build_scoring_frame
    from predictive_leads.jobs.data import read_for_model

    if not as_of:
        raise ValueError("--data needs --as-of (the date to score the open leads at)")
    leads, events, conversions = (read := read_for_model(data, model)).frames()
    when = to_utc(as_of)
    frame = build_scoring_frame(leads, events, as_of=when, conversions=conversions, config=read.config,
                                now=when, memory_budget=memory_budget)  # fmt: skip
    if out is not None:
        write_table(frame, out)
    return ScoringFrame(frame, when, Path(out) if out is not None else None)


# ------------------------------------------------------------------------------------------ batch scoring


@dataclass
class ScoreRun:
    """A batch scoring run: what was read, scored and rejected, and where the outputs are."""

    summary: BatchSummary
    output: Path
    rejects: Path  # written only when a row was rejected
    model_name: str
    model_version: str
    funnel: str = ""  # the funnel policy in words
    rules: str | None = None  # the rule baseline scored beside the model, if any
    scoring_frame: ScoringFrame | None = None  # built from raw data (``data``), else None
    accounts: Path | None = None  # the account scores (when the model has an account score), else None
    crm: Path | None = None  # with a CRM format: the full batch output beside the import file at ``output``
    summary_json: Path | None = None
    notes: list[str] = field(default_factory=list)  # e.g. a capacity plan this run's leads do not fit

    def to_dict(self) -> dict:
        """The run as JSON-ready data for a scheduler: counts, stages, files, model (no lead data)."""
        files = {"output": self.output, "rejects": self.rejects if self.summary.rejected else None,
                 "full_output": self.crm, "accounts": self.accounts,
                 "scoring_frame": self.scoring_frame.path if self.scoring_frame else None}  # fmt: skip
        return {"model": {"name": self.model_name, "version": self.model_version}, "funnel": self.funnel,
                "rules": self.rules, **self.summary.to_dict(), "notes": self.notes,
                "files": {k: v.name for k, v in files.items() if v is not None}}  # fmt: skip

    @property
    def lines(self) -> list[str]:
        """rows in = scored + rejected, the reasons for rejects, unseen values, disqualifications, stages, notes."""
        return self.summary.lines() + [f"  note: {note}" for note in self.notes]


def score(
    model: str | Path,
    output: str | Path,
    *,
    input: str | Path | None = None,
    data: str | Path | None = None,
    as_of: str | pd.Timestamp | None = None,
    rejects: str | Path | None = None,
    top_k: int = DEFAULT_TOP_K,
    chunk_rows: int = 100_000,
    id_col: str = "lead_id",
    scored_at: str | pd.Timestamp | None = None,
    b2b_only: bool = False,
    out_of_area: bool = False,
    disqualify: bool = True,
    n_jobs: int | None = None,
    funnel: FunnelPolicy | str | Path | None = None,
    policy: str | None = None,
    sql: float | None = None,
    mql: float | None = None,
    rules: str | Path | None = None,
    previous: str | Path | None = None,
    feedback: str | Path | None = None,
    recycle_on: Sequence[str] = (),
    recycle_days: int = 90,
    output_format: str = "auto",
    crm_mapping: str | Path | None = None,
    summary_json: str | Path | None = None,
    subscores: bool = True,
    memory_budget: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
    on_frame: Callable[[ScoringFrame], None] | None = None,
) -> ScoreRun:
    """Score ``input`` (a scoring frame file or folder) or — with ``data`` and ``as_of`` — the open leads of a raw
    data folder, whose scoring frame is written beside ``output`` first (:func:`scoring_frame_path`).

    Every row is scored (with ``top_k`` reasons) or rejected into ``rejects`` (default ``<stem>.rejects.csv``)
    with a reason. Bots, spam, test, disposable, competitor and internal addresses are disqualified (with
    ``b2b_only`` free and edu addresses too, with ``out_of_area`` leads outside the service area; none when not
    ``disqualify``). ``n_jobs``: LightGBM threads (default: all cores). ``funnel`` (a policy or its YAML)
    and ``policy``/``sql``/``mql`` (which override it): a fixed funnel policy (probability, score or points)
    instead of the model's. ``rules``: the rule preset or YAML scored beside the
    model (default: the model's learned scorecard when saved with it; ``"none"``: no rule score). ``previous``: the
    previous run's batch output, for each lead's score change, momentum, stage moves and the recycled stage.
    ``feedback``: a sales feedback file whose words in ``recycle_on`` recycle a lead for ``recycle_days``
    (:class:`~predictive_leads.ops.lifecycle.RecycleOn`). ``output_format``:
    ``auto`` (from the suffix), ``parquet``, ``csv``, or a CRM import layout (``salesforce``, ``hubspot``: a CSV
    at ``output``, renamed by ``crm_mapping``, with the full batch output beside it, :func:`full_output_path`).
    ``memory_budget``: with ``data``, as for :func:`~predictive_leads.features.build_scoring_frame`.
    ``summary_json``: write :meth:`ScoreRun.to_dict` there. Without ``subscores`` (and with ``top_k=0``) the fit
    and engagement columns stay empty and scoring runs about twice as fast. ``progress(rows_done,
    rows_rejected)`` is called after each chunk, ``on_stage(what)`` as each stage starts, ``on_frame(scoring_frame)``
    once a scoring frame was built from ``data``. A second job writing the same ``output`` is refused while this one
    runs."""
    from predictive_leads.data.files import output_lock, remove_stale_partials
    from predictive_leads.ops.batch import score_files
    from predictive_leads.ops.disqualify import DisqualifyConfig
    from predictive_leads.serving.registry import describe_model, load_dataset, load_scorers

    target = _output_format(output_format, output)

    with output_lock(output):  # the scoring frame and account scores beside the output are this job's too
        checks = DisqualifyConfig.off()
        if disqualify:
            checks = DisqualifyConfig(free_email=b2b_only, edu_email=b2b_only, out_of_service_area=out_of_area)
        stage = on_stage or (lambda _what: None)
        if (input is None) == (data is None):
            raise ValueError("give either --input (a scoring frame) or --data with --as-of (raw lead data)")
        if memory_budget is not None and data is None:
            raise ValueError("--memory-budget applies to --data (building the scoring frame); --input is read in "
                             "chunks already (--chunk-rows)")  # fmt: skip
        scorer, segments = load_scorers(model)
        funnel = funnel_from_options(policy, sql, mql, funnel)
        for each in segments.each() if segments else [scorer]:
            if n_jobs is not None:
                each.n_jobs = n_jobs
            if funnel is not None:
                each.thresholds_ = fixed_funnel(each, funnel)
        name, version = describe_model(model)
        for side in (scoring_frame_path(output), accounts_path(output)):  # what killed runs of this output left
            remove_stale_partials(side)
        built = None
        if data is not None:
            if as_of:
                stage(f"building the scoring frame as of {to_utc(as_of).date()}")
            built = scoring_frame(data, as_of, scoring_frame_path(output), model=model, memory_budget=memory_budget)
            if on_frame:
                on_frame(built)
        source = input if input is not None else built.path
        pinned = to_utc(scored_at) if scored_at else None
        by_lead, accounts_file = _accounts(model, built.frame if built else source, output, top_k, stage)
        rule_scorer, rule_name = _rule_scorer(rules, model)
        before = read_previous(previous, id_col) if previous is not None else None
        turned_back = _recycle_on(feedback, recycle_on, recycle_days)
        full = full_output_path(output) if target in CRM_TARGETS else Path(output)
        stage("scoring")
        summary = score_files(scorer, source, full, rejects=rejects, id_col=id_col, top_k=top_k,
                              chunk_rows=chunk_rows, model_name=name, model_version=version, scored_at=pinned,
                              checks=checks, rules=rule_scorer, previous=before, accounts=by_lead,
                              subscores=subscores, placeholders=_placeholders(load_dataset(model)),
                              recycle_on=turned_back, segments=segments, progress=progress)  # fmt: skip
        if target in CRM_TARGETS:
            stage(f"writing the {target} import file")
            write_crm(full, output, target, id_col=id_col, mapping=crm_mapping)
    where = Path(rejects) if rejects else Path(output).with_name(f"{Path(output).stem}.rejects.csv")
    run = ScoreRun(summary, Path(output), where, name, version, scorer.thresholds_.funnel().describe(), rule_name,
                   built, accounts_file, full if target in CRM_TARGETS else None,
                   notes=capacity_notes(scorer.thresholds_, summary))  # fmt: skip
    if summary_json is not None:
        from predictive_leads.data.files import json_text, write_text

        run.summary_json = write_text(json_text(run.to_dict()), summary_json)
    return run


def _recycle_on(feedback: str | Path | None, words: Sequence[str], days: int):
    """The :class:`~predictive_leads.ops.lifecycle.RecycleOn` of a feedback file and its declared words, or None."""
    from predictive_leads.data.feedback import feedback_words
    from predictive_leads.data.files import read_feedback
    from predictive_leads.ops.lifecycle import RecycleOn

    words = feedback_words(words)
    if feedback is None:
        if words:
            raise ValueError("--recycle-on names feedback words: give the sales feedback file too (--feedback)")
        return None
    return RecycleOn(read_feedback(feedback), words, days)


def _placeholders(dataset: dict) -> tuple[str, ...]:
    """What a flat-export model's training read as missing ("Select", "n/a", …): its scoring rows are read alike."""
    return tuple(dataset.get("flat_export", {}).get("placeholders", ()))


OUTPUT_FORMATS = ("auto", "parquet", "csv", *CRM_TARGETS)


def _output_format(output_format: str, output: str | Path) -> str:
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"--format must be one of {', '.join(OUTPUT_FORMATS)}, got {output_format!r}")
    suffix = Path(output).suffix
    wanted = {"parquet": ".parquet", "csv": ".csv", "salesforce": ".csv", "hubspot": ".csv"}.get(output_format)
    if wanted and suffix != wanted:
        raise ValueError(f"{Path(output).name}: --format {output_format} writes a {wanted} file")
    return output_format


def capacity_notes(thresholds, summary: BatchSummary, tolerance: float = 0.25) -> list[str]:
    """A note when a capacity policy's SQL plan and this run's SQL count differ by more than ``tolerance``: the
    cut-offs are probabilities fixed at training, so a bigger or better run fills more than the plan."""
    policy = thresholds.funnel()
    got = summary.stages.get("SQL", 0)
    if policy.policy != "capacity" or abs(got - policy.sql) <= tolerance * policy.sql:
        return []
    return [
        f"the capacity plan is {policy.sql:,.0f} SQL leads per run and this run has {got:,} (the cut-off is the "
        f"probability {dict(thresholds.cutoffs)['SQL']:.3g} fixed at training, and this run's leads differ from "
        "a training run's in number or quality): set this run's bar with --policy probability, or retrain"
    ]


def full_output_path(output: str | Path) -> Path:
    """Where a CRM-format run keeps the full batch output: ``<stem>.full.parquet`` beside the import file."""
    output = Path(output)
    return output.with_name(f"{output.stem}.full.parquet")


def fixed_funnel(scorer, funnel: FunnelPolicy):
    """The scorer's stage cut-offs under a fixed ``funnel`` policy (probability, score or points)."""
    from predictive_leads.models.funnel import choose_thresholds
    from predictive_leads.models.score_map import OddsScale

    if not funnel.fixed:
        raise ValueError(f"the {funnel.policy} policy needs outcomes: it is set when training (train --policy "
                         f"{funnel.policy}); when scoring, use probability, score or points")  # fmt: skip
    return choose_thresholds(
        funnel, None, None, score_map=scorer.score_map_, odds_scale=OddsScale(*scorer.points_scale)
    )


def read_previous(path: str | Path, id_col: str) -> pd.DataFrame:
    """A previous run's batch output as ``score`` and ``stage`` indexed by lead id (text); its id column is
    ``id_col`` or, for outputs written before the id kept its name, ``id``."""
    from predictive_leads.data.files import read_raw

    frame = read_raw(path)
    key = id_col if id_col in frame else "id" if "id" in frame else None
    missing = [c for c in ("score", "stage") if c not in frame] + ([id_col] if key is None else [])
    if missing:
        raise ValueError(f"{Path(path).name}: not a batch output of this version (no {', '.join(missing)} column)")
    return frame.set_index(frame[key].astype(str))[["score", "stage"]]


def write_crm(full: Path, output: str | Path, target: str, *, id_col: str, mapping: str | Path | None = None) -> Path:
    """The CRM import file of a batch output (the layout of :func:`~predictive_leads.ops.crm_export.crm_fields`,
    renamed by the YAML ``mapping``), checked against the layout before it is written."""
    import yaml

    from predictive_leads.data.files import read_raw, write_table
    from predictive_leads.ops.crm_export import load_mapping, to_crm

    renames = load_mapping(yaml.safe_load(Path(mapping).read_text(encoding="utf-8")) or {}) if mapping else None
    try:
        frame = to_crm(read_raw(full), target, id_col=id_col, mapping=renames, check=True)
    except ValueError as exc:
        raise ValueError(f"{Path(output).name}: {exc}") from None
    return write_table(frame, output)


def _rule_scorer(rules: str | Path | None, model: str | Path):
    """The fitted rule scorer to put beside the model (``rules``, else the model's learned scorecard), and its
    name; (None, None) for ``"none"`` or when there is neither."""
    from predictive_leads.models.rules import RuleScorer, load_table

    table = None if rules == "none" else _side_rules(rules, model)
    if table is None:
        return None, None
    points = load_table(table)
    return RuleScorer(table=points).fit(pd.DataFrame(columns=list(points.columns))), points.name


def accounts_path(output: str | Path) -> Path:
    """Where ``score`` writes the account scores of ``output``: ``<stem>.accounts.parquet`` beside it."""
    output = Path(output)
    return output.with_name(f"{output.stem}.accounts.parquet")


def _accounts(model, frame, output, top_k: int, stage) -> tuple[pd.DataFrame | None, Path | None]:
    """With an account score in the model: score the accounts of the scoring frame (read whole when given as a
    file), write them beside the output, and return them per lead for the batch output."""
    from predictive_leads.data.files import read_raw, write_table
    from predictive_leads.features.account_rows import has_accounts
    from predictive_leads.ops.account_scores import account_scores
    from predictive_leads.serving.registry import load_account_scorer

    account_scorer = load_account_scorer(model)
    if account_scorer is None:
        accounts_path(output).unlink(missing_ok=True)  # a previous run's account scores would describe another model
        return None, None
    if not isinstance(frame, pd.DataFrame):
        if Path(frame).is_dir():
            raise ValueError(f"{Path(frame).name}: the model has an account score; give the scoring frame as one file")
        frame = read_raw(frame)
    if not has_accounts(frame):
        accounts_path(output).unlink(missing_ok=True)
        return None, None
    stage("scoring the accounts")
    by_lead, table = account_scores(account_scorer, frame, top_k)
    return by_lead, write_table(table, accounts_path(output))


# ------------------------------------------------------------------------------------------ explain one lead


@dataclass
class FiredRule:
    """One rule of the baseline's points table that fired for the lead."""

    rule: str
    condition: str
    points: int


@dataclass
class RuleBaseline:
    """The rule baseline's verdict on the lead: points, tier and the rules that fired (largest points first)."""

    name: str
    score: float
    tier: str  # '' when the score reaches no tier
    fired: list[FiredRule]

    def split(self, limit: int) -> tuple[list[FiredRule], int, int]:
        """(the first ``limit`` fired rules, how many more fired, the sum of their points)."""
        rest = self.fired[limit:]
        return self.fired[:limit], len(rest), sum(r.points for r in rest)


@dataclass
class LeadExplanation:
    """One lead's score, grade, funnel stage and probability, the reasons behind them and the rule baseline beside
    them."""

    lead_id: str
    as_of: str | None  # YYYY-MM-DD of the explained snapshot, None when the input has no as_of
    score: int
    grade: str
    stage: str
    probability: float
    reasons: pd.DataFrame = field(repr=False)  # explain.top_reasons: direction, text, points, log_odds, code, …
    rules: RuleBaseline | None = None
    row: pd.DataFrame = field(repr=False, default=None)  # the lead's input row
    segment: str | None = None  # the segment whose own model scored the lead; None: the (pooled) model


def explain(
    model: str | Path,
    input: str | Path,
    lead_id: str,
    *,
    id_col: str = "lead_id",
    as_of: str | None = None,
    top_k: int = DEFAULT_TOP_K,
    rules: str | Path | None = None,
) -> LeadExplanation:
    """Explain the lead ``lead_id`` of ``input`` (a scoring frame or training set; its latest snapshot, or the one
    at ``as_of``) with ``model``: scores and ``top_k`` reasons per direction, next to the rule baseline ``rules``
    (a preset or YAML; default the model's learned scorecard, if saved with it). A lead of a segment with its own
    model is explained by that model, as the batch scores it."""
    from predictive_leads.data.files import read_raw
    from predictive_leads.explain import top_reasons
    from predictive_leads.serving.registry import load_scorers

    scorer, segments = load_scorers(model)
    row = one_lead(read_raw(input), Path(input).name, id_col, lead_id, as_of)
    segment = None
    if segments is not None:
        scorer, segment = segments.scorer_of(row)
    scored = scorer.score_frame(row).iloc[0]
    when = str(row["as_of"].iloc[0])[:10] if "as_of" in row else None
    reasons = top_reasons(scorer, row, top_k)
    table = _side_rules(rules, model)
    baseline = _rule_baseline(table, row) if table is not None else None
    return LeadExplanation(lead_id, when, int(scored.score), str(scored.grade), str(scored.stage),
                           float(scored.probability), reasons, baseline, row, segment)  # fmt: skip


def one_lead(frame: pd.DataFrame, source: str, id_col: str, lead_id: str, as_of: str | None = None) -> pd.DataFrame:
    """The row of ``lead_id`` in ``frame`` (its latest snapshot, or the one at ``as_of``) as a one-row frame."""
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


def _side_rules(rules: str | Path | None, model: str | Path) -> str | Path | None:
    """``rules``, else the learned scorecard saved with the model (``train`` writes it into the model folder and
    logs it into the registered model's data folder), else None."""
    from predictive_leads.serving.pyfunc import RULES_FILE
    from predictive_leads.serving.registry import model_folder

    if rules is not None:
        return rules
    folder = model_folder(model)
    return next((folder / name for name in ("learned_scorecard.yaml", RULES_FILE) if (folder / name).exists()), None)


def _rule_baseline(table: str | Path, row: pd.DataFrame) -> RuleBaseline:
    from predictive_leads.models.rules import RuleScorer

    points_table = RuleScorer(table=table).fit(row).table_
    fired, score = points_table.points(row)
    hits = [r for r, hit in zip(points_table.rules, fired[0], strict=True) if hit]
    conditions = points_table.to_frame().set_index("rule")["condition"]
    ordered = sorted(hits, key=lambda r: -abs(r.points))
    return RuleBaseline(Path(str(table)).stem, float(score[0]), str(points_table.tier_of(score)[0] or ""),
                        [FiredRule(r.id, str(conditions.get(r.id, "")), r.points) for r in ordered])  # fmt: skip
