"""Results broken down by segment (lead source, campaign, role, …): does scoring work *there*?

Pure functions: frames in, a frame out; no file I/O, no printing, no globals changed. The page of a table is
drawn by :func:`predictive_leads.reports.pages.segments_page`.

Definitions (the same in the table and on the page):

- **Leads** are the rows of ``scored``, one per ``lead_id``, each counted once in every dimension. Every
  dimension starts with an ``(all leads)`` row (the same figures in each dimension), so each dimension's
  rows can be read, filtered or exported on their own. Missing and blank values are their own segment,
  ``(missing)``.
- A lead **converted** when a conversion falls in ``(scored_at, scored_at + horizon_days]``. A conversion
  before ``scored_at`` is a data error (``ValueError``); conversions exactly at ``scored_at``, after the
  horizon, without a timestamp or of leads not in ``scored`` are not counted, and are counted in
  ``table.attrs["notes"]`` / ``table.attrs["counts"]``. A lead with several conversions in its window counts
  once (days from its first; deal values summed).
- ``mql_rate`` / ``sql_rate``: share of leads whose funnel ``stage`` is MQL or SQL / SQL (the batch output's
  stage: one funnel rule everywhere).
- ``conversion_rate`` = conversions / leads, with its Wilson 95 % interval (:func:`evaluate.wilson_interval`).
- ``median_days_to_convert``: over converted leads, in (fractional) days after ``scored_at``.
- ``deal_value_total`` / ``deal_value_mean``: sum / mean of the known deal values of converted leads
  (``0`` / NaN with no conversions; NaN when no converted lead has a value or there is no ``deal_value``).
- ``model_auc`` / ``rule_auc``: ROC AUC *within the segment* of the model (``probability`` when that column
  is there, since the 1–100 ``score`` has ties; else ``score``) and of ``rule_score``. ``auc_gain`` = model −
  rule with a paired percentile bootstrap interval: :func:`evaluate.compare`, both scorers on the same
  resamples, stratified by outcome, ``n_boot`` resamples, ``seed``. ``*_lift_at_10``: conversion rate of the
  segment's top 10 % by that scorer over the segment's rate (ties shared out, as in :mod:`evaluate`).
  These are NaN when the segment has fewer than ``min_leads`` leads or a single outcome; ``note`` says which.
- With sales feedback (:mod:`predictive_leads.data.feedback`): ``mqls`` (leads at stage MQL or SQL), how many of
  them the reps gave feedback in (scored_at, scored_at + horizon_days] (``mqls_with_feedback``), that share with
  its Wilson interval (``feedback_rate``) and the most frequent ``disposition: reason`` with its count
  (``top_feedback``).
- With a cost table, the segments of the dimension it is keyed by (e.g. ``campaign``) also get their cost, cost
  per lead, per MQL and per conversion, and ROI, with intervals (:mod:`predictive_leads.ops.campaigns`); every
  other row has NaN there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from predictive_leads.data.feedback import feedback_within
from predictive_leads.evaluation.metrics import MISSING, compare, wilson_interval
from predictive_leads.features.spine import to_utc
from predictive_leads.ops.campaigns import SPEND_COLUMNS, cost_by_segment, spend

ALL_LEADS = "(all leads)"
FEEDBACK_COLUMNS = ("mqls", "mqls_with_feedback", "feedback_rate", "feedback_rate_low", "feedback_rate_high",
                    "top_feedback")  # fmt: skip
MODEL = "model"
RULE = "rule"
SEGMENT_COLUMNS = (
    "dimension",
    "segment",
    "leads",
    "mql_rate",
    "sql_rate",
    "conversions",
    "conversion_rate",
    "conversion_rate_low",
    "conversion_rate_high",
    "median_days_to_convert",
    "deal_value_total",
    "deal_value_mean",
    "model_auc",
    "rule_auc",
    "auc_gain",
    "auc_gain_low",
    "auc_gain_high",
    "model_lift_at_10",
    "rule_lift_at_10",
    *FEEDBACK_COLUMNS,
    *SPEND_COLUMNS,
    "note",
)
ONE_CLASS = "one class only: no AUC"
_SHOWN_IDS = 5

__all__ = ["ALL_LEADS", "SEGMENT_COLUMNS", "segment_report", "segments_csv_frame"]


# ------------------------------------------------------------------------------------------ inputs


def _some(ids) -> str:
    ids = list(dict.fromkeys(str(i) for i in ids))
    more = f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else ""
    return ", ".join(ids[:_SHOWN_IDS]) + more


def _count(k, thing: str) -> str:
    k = int(k)
    return f"{k:,} {thing}" + ("" if k == 1 else "s")


def _dimensions(scored: pd.DataFrame, by: Sequence[str]) -> list[str]:
    dims = [by] if isinstance(by, str) else list(by)
    if not dims:
        raise ValueError("by needs at least one column to break results down by")
    dims = list(dict.fromkeys(str(d) for d in dims))
    if "lead_id" in dims:
        raise ValueError("cannot break results down by lead_id: segments must be groups of leads")
    missing = [d for d in dims if d not in scored.columns]
    if missing:
        what = "column" if len(missing) == 1 else "columns"
        raise ValueError(
            f"by {what} {', '.join(repr(m) for m in missing)} not in the scores; available columns: "
            f"{', '.join(map(str, scored.columns))}"
        )
    return dims


def _numeric(scored: pd.DataFrame, ids: pd.Series, col: str) -> np.ndarray:
    values = pd.to_numeric(scored[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"{col} is missing or not a finite number for {int(bad.sum())} leads: {_some(ids[bad])}")
    return values


def _leads(scored: pd.DataFrame, scored_at) -> tuple[pd.DataFrame, str]:
    """id (str), scored_at (UTC), score, model (the model's ranking score), rule; and what ranks the model."""
    need = [c for c in ("lead_id", "score", "stage", "rule_score") if c not in scored.columns]
    if need:
        raise ValueError(f"scores need column(s) {', '.join(need)}; found {', '.join(map(str, scored.columns))}")
    if len(scored) == 0:
        raise ValueError("the scores are empty: there are no leads to report on")
    raw_ids = scored["lead_id"]
    if raw_ids.isna().any():
        raise ValueError(f"{int(raw_ids.isna().sum())} scored rows have no lead_id")
    ids = raw_ids.astype(str).reset_index(drop=True)
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise ValueError(f"scores must have one row per lead; {dup.sum()} rows share a lead_id: {_some(ids[dup])}")
    score = _numeric(scored, ids, "score")
    rule = _numeric(scored, ids, "rule_score")
    if "probability" in scored.columns:
        model = _numeric(scored, ids, "probability")
        if (model < 0).any() or (model > 1).any():
            raise ValueError(f"probability must be in [0, 1]; found {model.min():g} to {model.max():g}")
        ranked_by = "probability"
    else:
        model, ranked_by = score, "score"
    fallback = None if scored_at is None else to_utc(scored_at)
    if "scored_at" in scored.columns:
        when = pd.Series(pd.to_datetime(scored["scored_at"], utc=True).array)
        if fallback is not None:
            when = when.fillna(fallback)
        if when.isna().any():
            raise ValueError(f"scored_at is missing for {int(when.isna().sum())} leads: {_some(ids[when.isna()])} "
                             "(pass scored_at= to fill it in)")  # fmt: skip
    elif fallback is not None:
        when = pd.Series(pd.DatetimeIndex([fallback] * len(ids)))
    else:
        raise ValueError("when were the leads scored? The scores have no scored_at column; pass scored_at=")
    frame = pd.DataFrame({"id": ids, "scored_at": when, "score": score, "model": model, "rule": rule})
    return frame, ranked_by


def _outcomes(leads: pd.DataFrame, outcomes: pd.DataFrame, horizon_days: int) -> tuple[pd.DataFrame, dict, list]:
    """Per lead (aligned with ``leads``): converted (0/1), days to convert, deal value; counts; notes."""
    need = [c for c in ("lead_id", "converted_at") if c not in outcomes.columns]
    if need:
        raise ValueError(f"outcomes need column(s) {', '.join(need)}; found {', '.join(map(str, outcomes.columns))}")
    has_deal = "deal_value" in outcomes.columns
    conv = pd.DataFrame({
        "id": outcomes["lead_id"].astype(str).to_numpy(),
        "at": pd.to_datetime(outcomes["converted_at"], utc=True).array,
        "deal": pd.to_numeric(outcomes["deal_value"], errors="raise").to_numpy(dtype=float, na_value=np.nan)
        if has_deal else np.full(len(outcomes), np.nan),
    })  # fmt: skip
    notes: list[str] = []
    counts = {"conversion_rows": len(conv)}
    no_time = conv["at"].isna()
    counts["conversions_without_time"] = int(no_time.sum())
    if no_time.any():
        notes.append(f"{_count(no_time.sum(), 'conversion row')} without converted_at: not counted.")
    known = set(leads["id"])
    unmatched = ~conv["id"].isin(known) & ~no_time
    counts["conversions_of_unscored_leads"] = int(unmatched.sum())
    if unmatched.any():
        leads_out = _count(conv.loc[unmatched, "id"].nunique(), "lead")
        notes.append(f"{_count(unmatched.sum(), 'conversion')} ({leads_out}) of leads not in the scores: not counted.")
    conv = conv.loc[~unmatched & ~no_time].reset_index(drop=True)
    start = conv["id"].map(leads.set_index("id")["scored_at"])
    end = start + pd.Timedelta(days=horizon_days)
    before = (conv["at"] < start).to_numpy()
    if before.any():
        raise ValueError(
            f"{int(before.sum())} conversions happened before their lead was scored (converted_at < scored_at), "
            f"e.g. leads {_some(conv.loc[before, 'id'])}: those leads were already customers when scored; "
            "drop them from the scores or check the timestamps"
        )
    at_start = (conv["at"] == start).to_numpy()
    late = (conv["at"] > end).to_numpy()
    counts["conversions_at_scored_at"] = int(at_start.sum())
    counts["conversions_after_horizon"] = int(late.sum())
    if at_start.any():
        notes.append(f"{_count(at_start.sum(), 'conversion')} at exactly scored_at: not counted "
                     f"(the window is (scored_at, scored_at + {horizon_days} days]).")  # fmt: skip
    if late.any():
        notes.append(f"{_count(late.sum(), 'conversion')} more than {horizon_days} days after scoring: not counted.")
    inside = conv.loc[~at_start & ~late].assign(days=lambda d: (d["at"] - start[d.index]) / pd.Timedelta(days=1))
    per_lead = inside.groupby("id").agg(days=("days", "min"), deal=("deal", lambda s: s.sum(min_count=1)),
                                        n=("days", "size"))  # fmt: skip
    several = int((per_lead["n"] > 1).sum())
    counts["leads_with_several_conversions"] = several
    if several:
        notes.append(f"{_count(several, 'lead')} converted more than once in the window: counted once, from the "
                     "first conversion, with the deal values summed.")  # fmt: skip
    aligned = per_lead.reindex(leads["id"])
    result = pd.DataFrame({
        "y": aligned["n"].notna().to_numpy().astype(np.int8),
        "days": aligned["days"].to_numpy(dtype=float, na_value=np.nan),
        "deal": aligned["deal"].to_numpy(dtype=float, na_value=np.nan),
    })  # fmt: skip
    if has_deal:
        unknown = int((result["y"].astype(bool) & result["deal"].isna()).sum())
        counts["conversions_without_deal_value"] = unknown
        if unknown:
            notes.append(f"{_count(unknown, 'converted lead')} without a deal value: left out of deal values.")
    else:
        notes.append("The outcomes have no deal_value column: deal values are not reported.")
    observed = pd.to_datetime(outcomes["converted_at"], utc=True).max()
    window_end = leads["scored_at"] + pd.Timedelta(days=horizon_days)
    open_ = int((window_end > observed).sum()) if pd.notna(observed) else 0
    counts["leads_with_window_after_last_conversion"] = open_
    if open_:
        notes.append(f"{_count(open_, 'lead')} with a {horizon_days}-day window ending after the latest conversion "
                     f"in the outcomes ({observed:%Y-%m-%d}): if the outcomes were exported before those windows "
                     "closed, conversion rates are understated.")  # fmt: skip
    return result, counts, notes


def _labels(values: pd.Series) -> pd.Series:
    """Segment names as text; missing and blank values become ``(missing)``."""
    s = values.reset_index(drop=True)
    text = s.astype(object).where(s.notna(), None).map(lambda v: None if v is None else str(v))
    blank = text.isna() | (text.fillna("").str.strip() == "")
    return text.where(~blank, MISSING).astype(object)


# ------------------------------------------------------------------------------------------ metrics


def _metrics(a: Mapping[str, np.ndarray], mask: np.ndarray, *, has_deal: bool, min_leads: int, n_boot: int,
             seed: int) -> dict:  # fmt: skip
    n = int(mask.sum())
    y = a["y"][mask]
    k = int(y.sum())
    low, high = wilson_interval(k, n)
    won = mask & (a["y"] == 1)
    days = a["days"][won]
    deals = a["deal"][won]
    deals = deals[~np.isnan(deals)]
    if not has_deal:
        total = mean = math.nan
    else:
        total = float(deals.sum()) if deals.size or k == 0 else math.nan
        mean = float(deals.mean()) if deals.size else math.nan
    row = {
        "leads": n,
        "mql_rate": float(np.mean(a["mql"][mask])),
        "sql_rate": float(np.mean(a["stage"][mask] == "SQL")),
        "conversions": k,
        "conversion_rate": k / n,
        "conversion_rate_low": low,
        "conversion_rate_high": high,
        "median_days_to_convert": float(np.median(days)) if days.size else math.nan,
        "deal_value_total": total,
        "deal_value_mean": mean,
        "model_auc": math.nan,
        "rule_auc": math.nan,
        "auc_gain": math.nan,
        "auc_gain_low": math.nan,
        "auc_gain_high": math.nan,
        "model_lift_at_10": math.nan,
        "rule_lift_at_10": math.nan,
        "note": "",
    }
    if n < min_leads:
        row["note"] = f"too few leads (n < {min_leads})"
    elif k in (0, n):
        row["note"] = ONE_CLASS
    else:
        both = compare(y, {MODEL: a["model"][mask], RULE: a["rule"][mask]}, n_boot=n_boot, seed=seed, top=(0.1,))
        model, rule = both.iloc[0], both.iloc[1]
        row.update(
            model_auc=float(model["roc_auc"]),
            rule_auc=float(rule["roc_auc"]),
            auc_gain=float(rule["auc_diff"]),  # compare: first scorer (the model) minus this one (the rule)
            auc_gain_low=float(rule["auc_diff_low"]),
            auc_gain_high=float(rule["auc_diff_high"]),
            model_lift_at_10=float(model["lift_at_10"]),
            rule_lift_at_10=float(rule["lift_at_10"]),
        )
    return row


def segment_report(
    scored: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    by: Sequence[str],
    scored_at: str | pd.Timestamp | None = None,
    horizon_days: int = 90,
    min_leads: int = 30,
    n_boot: int = 200,
    seed: int = 0,
    costs: pd.DataFrame | None = None,
    feedback: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (dimension, segment) with the columns of :data:`SEGMENT_COLUMNS` (see the module docstring).

    ``scored``: one row per lead with ``lead_id``, ``score`` (1–100), ``rule_score`` (any scale), optionally
    ``probability`` (ranks the model when present) and ``scored_at`` (per lead; missing values and a missing
    column are filled from the ``scored_at`` argument), and every column named in ``by``. ``outcomes``:
    ``lead_id``, ``converted_at`` and optionally ``deal_value``. Ids are matched as text. ``costs``: a cost table,
    ``cost`` and the one ``by`` column it is keyed by (:func:`~predictive_leads.ops.campaigns.cost_by_segment`).
    ``feedback``: sales feedback as :func:`~predictive_leads.data.feedback.sales_feedback` returns it.

    Rows: per dimension in the order of ``by``, first ``(all leads)``, then its segments by leads (most
    first), then name. No row is ever dropped: small or one-outcome segments keep their counts and get a
    ``note`` and NaN AUCs. ``attrs``: ``notes`` (sentences, no lead ids), ``counts`` (what was not counted and
    why) and ``settings``. Deterministic for a given ``seed``. Raises ``ValueError`` for a ``by`` column that
    is not in ``scored``, duplicated or missing ids, non-numeric scores, no ``scored_at``, and conversions
    before their lead was scored (naming up to five lead ids).
    """
    if int(horizon_days) != horizon_days or horizon_days <= 0:
        raise ValueError(f"horizon_days must be a positive whole number of days, got {horizon_days}")
    if min_leads < 1:
        raise ValueError(f"min_leads must be at least 1, got {min_leads}")
    if n_boot < 0:
        raise ValueError(f"n_boot must be zero or more, got {n_boot}")
    horizon_days = int(horizon_days)
    dims = _dimensions(scored, by)
    leads, ranked_by = _leads(scored, scored_at)
    outcome, counts, notes = _outcomes(leads, outcomes, horizon_days)
    arrays = {
        "y": outcome["y"].to_numpy(),
        "days": outcome["days"].to_numpy(),
        "deal": outcome["deal"].to_numpy(),
        "score": leads["score"].to_numpy(),
        "stage": scored["stage"].astype(str).to_numpy(),
        "mql": scored["stage"].isin(("MQL", "SQL")).to_numpy(),  # MQL or SQL: the rates, feedback and spend read it
        "model": leads["model"].to_numpy(),
        "rule": leads["rule"].to_numpy(),
    }
    settings = {"has_deal": "deal_value" in outcomes.columns, "min_leads": min_leads, "n_boot": n_boot,
                "seed": seed}  # fmt: skip
    everyone = np.ones(len(leads), dtype=bool)
    heard = None
    if feedback is not None:
        ends = leads["scored_at"] + pd.Timedelta(days=horizon_days)
        heard = feedback_within(leads["id"], leads["scored_at"], ends, feedback)
    overall = _metrics(arrays, everyone, **settings) | _feedback(arrays, everyone, heard)
    costs_by, cost = cost_by_segment(costs, dims, _labels) if costs is not None else (None, None)
    rows = []
    for dim in dims:
        labels = _labels(scored[dim])
        masks = {value: (labels == value).to_numpy() for value in labels.unique()}
        parts = [{"dimension": dim, "segment": value, **_metrics(arrays, mask, **settings),
                  **_feedback(arrays, mask, heard)} for value, mask in masks.items()]  # fmt: skip
        parts.sort(key=lambda r: (-r["leads"], r["segment"]))
        top = {"dimension": dim, "segment": ALL_LEADS, **overall}
        if dim == costs_by:
            top |= _spend(arrays, everyone, float(cost.sum()), settings)
            for part in parts:
                part |= _spend(arrays, masks[part["segment"]], cost.get(part["segment"]), settings)
            notes += _cost_notes(dim, cost, labels)
        rows += [top, *parts]
        if len(parts) > 1 and len(parts) >= 0.5 * len(leads):
            notes.append(f"{dim} has {len(parts):,} values for {len(leads):,} leads: it looks like an identifier, "
                         "not a segment.")  # fmt: skip
    table = pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))
    table.attrs["notes"] = notes
    table.attrs["counts"] = counts
    table.attrs["settings"] = {
        "by": dims,
        "horizon_days": horizon_days,
        "scored_at": "per lead (scored_at column)" if "scored_at" in scored.columns else str(to_utc(scored_at)),
        "min_leads": min_leads,
        "n_boot": n_boot,
        "seed": seed,
        "model_ranked_by": ranked_by,
        "deal_value": settings["has_deal"],
        "costs_by": costs_by,
        "feedback": heard is not None,
    }
    return table


def _feedback(arrays: Mapping[str, np.ndarray], mask: np.ndarray, heard: pd.DataFrame | None) -> dict:
    """The feedback columns of the leads in ``mask``; ``heard``: (row, label) of the feedback in each lead's window."""
    if heard is None:
        return {}
    mqls = np.flatnonzero(mask & arrays["mql"])
    told = heard[heard["row"].isin(mqls)]
    k = told["row"].nunique()
    low, high = wilson_interval(k, len(mqls))
    counts = told["label"].value_counts()
    top = "" if counts.empty else f"{sorted(counts.index, key=lambda t: (-counts[t], t))[0]} ({counts.max():,})"
    return {"mqls": len(mqls), "mqls_with_feedback": k, "feedback_rate": k / len(mqls) if len(mqls) else math.nan,
            "feedback_rate_low": low, "feedback_rate_high": high, "top_feedback": top}  # fmt: skip


def _spend(arrays: Mapping[str, np.ndarray], mask: np.ndarray, cost: float | None, settings: Mapping) -> dict:
    """The spend columns of the leads in ``mask`` at ``cost`` (NaN without a cost)."""
    if cost is None:
        return {}
    return spend(cost, arrays["y"][mask], arrays["deal"][mask], arrays["mql"][mask], has_deal=settings["has_deal"],
                 n_boot=settings["n_boot"], seed=settings["seed"])  # fmt: skip


def _cost_notes(dim: str, cost: pd.Series, labels: pd.Series) -> list[str]:
    """What the cost table and the segments of ``dim`` do not share."""
    notes = []
    unpaid = sorted(set(labels) - set(cost.index))
    if unpaid:
        notes.append(f"{_count(len(unpaid), dim)} with leads but no row in the cost table ({_some(unpaid)}): no "
                     "spend figures for them.")  # fmt: skip
    idle = sorted(set(cost.index) - set(labels))
    if idle:
        notes.append(f"{_count(len(idle), dim)} in the cost table without a scored lead ({_some(idle)}): their "
                     f"cost ({cost[idle].sum():,.0f}) counts only in {ALL_LEADS}.")  # fmt: skip
    return notes


def segments_csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The table with exactly the columns of :data:`SEGMENT_COLUMNS`, in that order (a stable CSV layout)."""
    missing = [c for c in SEGMENT_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"not a segment table: missing column(s) {', '.join(missing)}")
    return table.loc[:, list(SEGMENT_COLUMNS)].reset_index(drop=True)


# ------------------------------------------------------------------------------------------ page
