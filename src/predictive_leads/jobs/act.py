"""From scores to action: join a batch output with its scoring frame, route the scored leads to reps, and report
conversion and the model's gain over the rule baseline by segment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

SEGMENT_ALIASES = {"source": "lead_source", "role": "seniority"}
OUTPUT_RULES = "output"  # report-segments --rules output: the rule_score the batch output already has


def scores_with_frame(scores: str | Path, frame: str | Path | None = None, columns: Iterable[str] = ()) -> pd.DataFrame:
    """A batch output (its first column, the lead id, as ``lead_id``) joined with the named columns of its scoring
    frame (default: the ``<stem>.scoring_frame.parquet`` that ``score --data`` writes beside it; or the input file a
    flat export was scored from, matched by the output's id column), where the frame has them."""
    from predictive_leads.data.files import read_raw

    scores = Path(scores)
    scored = read_raw(scores)
    id_name = scored.columns[0]  # a batch output's first column is the lead id, under the input's own name
    scored = scored.rename(columns={id_name: "lead_id"})
    frame = Path(frame) if frame is not None else scores.with_name(f"{scores.stem}.scoring_frame.parquet")
    if not frame.exists():
        return scored
    context = read_raw(frame)
    key = next((c for c in (id_name, "lead_id") if c in context), None)
    if key is None:
        raise ValueError(f"{frame.name}: no {id_name} or lead_id column to match the scored leads by")
    twice = context[key].astype(str).duplicated()
    if twice.any():
        raise ValueError(f"{frame.name}: {key} repeats, so a score cannot be matched to one row: "
                         f"{', '.join(context.loc[twice.to_numpy(), key].astype(str).unique()[:5])}")  # fmt: skip
    wanted = [c for c in dict.fromkeys(columns) if c in context and c not in scored and c != key]
    context = pd.DataFrame({"lead_id": context[key].astype(str), **{c: context[c] for c in wanted}})
    missing = sorted(set(scored["lead_id"].astype(str)) - set(context["lead_id"]))
    if missing:
        raise ValueError(f"{frame.name}: no row for scored lead(s) {', '.join(missing[:5])}")
    return scored.merge(context, on="lead_id", how="left", validate="one_to_one") if wanted else scored


# ------------------------------------------------------------------------------------------ route


@dataclass
class Routing:
    """Every scored lead assigned to a rep once or left unassigned with the reason; the load per rep."""

    assignments: pd.DataFrame = field(repr=False)
    out: Path
    mode: str
    per_rep: pd.DataFrame  # rep, team, leads, top_tier, expected_conversions, capacity_used
    spread: pd.DataFrame  # per team: spread of expected conversions vs the largest single lead
    rows_in: int
    assigned: int
    unassigned: dict[str, int]  # reason → leads, most frequent first

    @property
    def unassigned_total(self) -> int:
        return sum(self.unassigned.values())


def route(scores: str | Path, reps: str | Path, out: str | Path, *, mode: str = "balanced", seed: int = 0,
          frame: str | Path | None = None) -> Routing:  # fmt: skip
    """Hand the scored leads of ``scores`` (with the columns the rules use from ``frame``, see
    :func:`scores_with_frame`) to the reps of the YAML ``reps`` by ``mode`` (balanced, rules or round_robin);
    write the assignments to ``out``."""
    from predictive_leads.data.files import write_table
    from predictive_leads.ops.routing import MODES, REP_FILTERS, load_reps, rep_report, spread_summary
    from predictive_leads.ops.routing import route as route_leads

    if mode not in MODES:
        raise ValueError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    config = load_reps(reps)
    needed = [*REP_FILTERS.values(), *(col for rule in config.rules for col in rule.when)]
    leads = scores_with_frame(scores, frame, needed)
    assignments = route_leads(leads, config, mode=mode, seed=seed, id_col="lead_id")
    write_table(assignments, out)
    unassigned = {str(why): int(n) for why, n in assignments["unassigned_reason"].value_counts().items()}
    return Routing(assignments, Path(out), mode, rep_report(assignments, config), spread_summary(assignments, config),
                   len(leads), int(assignments["rep"].notna().sum()), unassigned)  # fmt: skip


# ------------------------------------------------------------------------------------------ segments


@dataclass
class SegmentReport:
    """Conversion, rates, deal value and the model's gain over the rule baseline per segment, with intervals;
    ``segments.csv`` and ``segments.html`` in ``out``."""

    table: pd.DataFrame = field(repr=False)
    out: Path
    dimensions: list[str]
    rule_baseline: str
    notes: list[str]

    @property
    def rows(self) -> int:
        return len(self.table)

    @property
    def files(self) -> tuple[Path, Path]:
        """``segments.csv`` and ``segments.html``."""
        return self.out / "segments.csv", self.out / "segments.html"

    def spend_lines(self, most: int = 10) -> list[str]:
        """With a cost table: a line per segment of its dimension that has a cost (``(all leads)`` first, then the
        ``most`` largest), with cost per lead, per conversion and ROI and their intervals; else none."""
        by = self.table.attrs.get("settings", {}).get("costs_by")
        rows = self.table[(self.table["dimension"] == by) & self.table["cost"].notna()] if by else self.table[:0]
        return [f"{by} {r.segment}: {r.leads:,} leads, cost {r.cost:,.0f}, per lead {r.cost_per_lead:,.2f}, per "
                f"conversion {_figure(r.cost_per_conversion, r.cost_per_conversion_low, r.cost_per_conversion_high)}"
                f", ROI {_figure(r.roi, r.roi_low, r.roi_high, percent=True)}"
                for r in rows.head(most + 1).itertuples()]  # fmt: skip


def _figure(value: float, low: float, high: float, *, percent: bool = False) -> str:
    """``12.50 [9.10, 17.00]`` (or ``+1,250 % [...]``); ∞ for an unbounded end, – for a figure there is none of (no
    deal values)."""

    def text(x: float) -> str:
        return "–" if pd.isna(x) else "∞" if x == float("inf") else f"{x:+,.0%}" if percent else f"{x:,.2f}"

    return text(value) if pd.isna(value) else f"{text(value)} [{text(low)}, {text(high)}]"


def _campaigns(leads: pd.DataFrame, events: Path, column: str, touch: str, dims: Sequence[str]) -> np.ndarray:
    """Each scored lead's campaign from the event file ``events``: its ``touch`` before it was scored (its scoring
    frame's ``as_of`` when the scores have one, else ``scored_at``)."""
    from predictive_leads.data.files import read_raw
    from predictive_leads.ops.batch import file_columns
    from predictive_leads.ops.campaigns import TOUCHES, campaign_touch

    if touch not in TOUCHES:
        raise ValueError(f"touch must be one of {', '.join(TOUCHES)}; got {touch!r}")
    if column not in dims:
        raise ValueError(f"campaign events give each lead a {column}: add {column} to by to report on it")
    if column in leads:
        raise ValueError(f"the scores already have a {column} column: report by it, without campaign events")
    when = next((c for c in ("as_of", "scored_at") if c in leads), None)
    if when is None:
        raise ValueError("the scores have no scored_at column: when each lead was scored decides its campaign")
    ids = leads["lead_id"].astype(str)
    if ids.duplicated().any():
        raise ValueError(f"scores must have one row per lead; lead_id repeats: {', '.join(ids[ids.duplicated()][:5])}")
    has = file_columns(events)
    need = [c for c in ("lead_id", "ts", column) if c not in has]
    if need:
        raise ValueError(f"{events.name}: no {', '.join(need)} column(s); it has {', '.join(has)}")
    cutoff = pd.Series(pd.to_datetime(leads[when], utc=True).array, index=ids)
    try:
        touches = campaign_touch(read_raw(events, ("lead_id", "ts", column)), cutoff, column=column, touch=touch)
    except ValueError as exc:
        raise ValueError(f"{events.name}: {exc}") from None
    return touches.to_numpy()


def segment_dimensions(by: str | Sequence[str]) -> list[str]:
    """Segment columns from ``"source,role"`` or a list (``source`` = lead_source, ``role`` = seniority)."""
    names = by.split(",") if isinstance(by, str) else by
    return [SEGMENT_ALIASES.get(d.strip(), d.strip()) for d in names if d.strip()]


def report_segments(
    scores: str | Path,
    outcomes: str | Path,
    out: str | Path = "segments",
    *,
    by: str | Sequence[str] = "source,role",
    rules: str | Path = "fit_and_engagement",
    frame: str | Path | None = None,
    horizon_days: int = 90,
    n_boot: int = 200,
    campaign_events: str | Path | None = None,
    campaign_column: str = "campaign",
    touch: str = "first",
    costs: str | Path | None = None,
    feedback: str | Path | None = None,
) -> SegmentReport:
    """The segment report of the scored leads in ``scores`` against the conversions in ``outcomes`` (counted within
    ``horizon_days`` of scoring), by the columns ``by`` (from ``frame``, see :func:`scores_with_frame`), with the
    rule preset or YAML ``rules`` scored alongside as the baseline (``output``: the batch output's own
    ``rule_score``, e.g. a flat export model's learned scorecard).

    ``campaign_events``: an event file whose ``campaign_column`` gives each lead the campaign of its ``touch``
    (first or last) before it was scored, as the segment column of that name
    (:func:`~predictive_leads.ops.campaigns.campaign_touch`). ``costs``: a cost table (``cost`` and the ``by``
    column it is keyed by) that adds cost per lead, MQL and conversion and ROI to that column's segments.
    ``feedback``: a sales feedback file, for the share of each segment's MQLs the reps gave feedback on."""
    from predictive_leads.data.files import read_feedback, read_raw, write_table, write_text
    from predictive_leads.models.rules import RuleScorer, load_table
    from predictive_leads.ops.segments import segment_report, segments_csv_frame
    from predictive_leads.reports.pages import segments_page

    dims = segment_dimensions(by)
    table = None if rules == OUTPUT_RULES else load_table(rules)
    wanted = [*dims, *([] if table is None else table.columns), *(["as_of"] if campaign_events else [])]
    leads = scores_with_frame(scores, frame, wanted)
    if table is not None:
        leads["rule_score"] = RuleScorer(table=table).fit(leads).predict_score(leads)
    elif "rule_score" not in leads:
        raise ValueError(f"--rules {OUTPUT_RULES}: the scores have no rule_score column (scored with --rules none); "
                         "name a rule preset or YAML")  # fmt: skip
    else:
        leads["rule_score"] = pd.to_numeric(leads["rule_score"], errors="coerce")  # a CSV output reads as text
    if campaign_events is not None:
        leads[campaign_column] = _campaigns(leads, Path(campaign_events), campaign_column, touch, dims)
    elif campaign_column in dims and campaign_column not in leads:
        raise ValueError(f"the scores have no {campaign_column} column: pass the events (--campaign-events) to give "
                         "each lead the campaign of its first touch")  # fmt: skip
    thrown_out = leads["stage"].eq("disqualified").to_numpy()  # the rule baseline disqualifies them too
    leads.loc[thrown_out, "rule_score"] = leads["rule_score"].min()
    told = None if feedback is None else read_feedback(feedback)
    report = segment_report(leads, read_raw(outcomes), by=dims, horizon_days=horizon_days, n_boot=n_boot,
                            costs=None if costs is None else read_raw(costs), feedback=told)  # fmt: skip
    baseline = "the batch output's rule_score" if table is None else table.name
    result = SegmentReport(report, Path(out), dims, baseline, list(report.attrs.get("notes", [])))
    csv_path, html_path = result.files
    write_table(segments_csv_frame(report), csv_path)
    write_text(segments_page(report), html_path)  # figures: reports.figures.segment_figures
    return result
