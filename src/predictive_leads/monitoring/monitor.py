"""Monitoring: has the score stopped meaning what it says? Input drift, matured outcomes, and a verdict.

* The **reference profile** (:mod:`predictive_leads.monitoring.profile`) is what the monitored period is
  compared with; the training workflow fits it and stores it as ``profile.json`` beside the model.
* **Like for like**: drift compares leads in their first ``YOUNG_LEAD_DAYS`` (30) days (by ``lead_age_days``) in
  the reference and now. The open book ages as a CRM fills up (lifetime counts grow, recency stretches), so
  comparing all open leads raises alarms every month without any change in who arrives or how they behave; new
  leads are also where a market change shows first, and a month of them is all that has arrived since the last
  monthly check. Data without ``lead_age_days`` (flat exports) compares all rows.
* **Drift** per feature and for the score: PSI = Σ (cur − ref) · ln(cur / ref) over the reference bins, shares
  floored at ``PSI_FLOOR`` so empty bins stay finite; plus, where PSI is weak (rare and new categories), the
  share of values never seen in training. Thresholds (``MonitorConfig``): PSI < 0.10 stable, 0.10–0.25 watch,
  > 0.25 act — and a PSI must also be beyond what sampling alone gives two samples of those sizes
  (:func:`psi_p_value`): a month of new leads in a small CRM is a few hundred rows. Hand-written (a dozen lines,
  tested against hand-computed values): the maintained drift libraries (evidently, nannyml, alibi-detect) each
  bring a heavy stack for this one formula.
* **Outcomes** only from rows whose label horizon has fully passed at the monitoring date: AUC and ECE per
  monthly cohort with bootstrap intervals, realized vs predicted conversion per score band and grade; for the
  cohorts still in the label gap, the performance their calibrated probabilities imply
  (:mod:`predictive_leads.monitoring.estimate`), kept beside the realized values once they mature.
* **Verdict** (:func:`verdict`): ``retrain``, ``watch`` or ``ok``, each reason a test with its evidence, held
  together to a false-alarm rate ``alpha`` (Bonferroni); the error rates are measured by simulation in
  ``benchmarks/monitor_error_rates.py``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from predictive_leads.monitoring.estimate import estimate_table
from predictive_leads.monitoring.feedback import feedback_shares
from predictive_leads.monitoring.profile import (
    categorical_profile,
    numeric_shares,
    score_bands,
    score_shares,
    young_leads,
)

PSI_FLOOR = 1e-4
NOISE_DRAWS = 2000  # simulated sample pairs behind a PSI's p-value
ECE_BINS = 10
Z_95 = 3.92  # width of a 95 % normal interval in standard errors: a bootstrap interval's width / Z_95 ≈ its SE


@dataclass(frozen=True)
class MonitorConfig:
    """Named thresholds of the verdict and the false-alarm rate it is held to."""

    psi_watch: float = 0.10
    psi_act: float = 0.25
    new_values_act: float = 0.05  # share of a categorical feature's values never seen in training
    driver_mass: float = 0.5  # drivers: the fewest features that hold half of the mean |SHAP|
    alpha: float = 0.05  # chance that a verdict on an unchanged world says retrain (Bonferroni over its tests)
    auc_drop_margin: float = 0.02  # retrain: a cohort's AUC drop below the first mature cohort's exceeds this…
    # …with confidence 1 − alpha/tests; a drop larger than ``auc_drop_watch`` without that evidence: watch
    auc_drop_watch: float = 0.05
    ece_act: float = 0.03  # expected calibration error beyond what sampling noise gives a calibrated model
    min_mature_positives: int = 20  # fewer positives (or negatives) in a cohort: its metrics are shown, not judged


# ------------------------------------------------------------------------------------------ drift


def psi(reference, current, floor: float = PSI_FLOOR) -> float:
    """Population stability index of two share vectors over the same bins (shares floored at ``floor``)."""
    ref = np.maximum(np.asarray(reference, dtype=float), floor)
    cur = np.maximum(np.asarray(current, dtype=float), floor)
    if ref.shape != cur.shape:
        raise ValueError(f"PSI needs the same bins: {ref.shape} vs {cur.shape}")
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def psi_p_value(reference, current, n_reference: int, n_current: int, *, draws: int = NOISE_DRAWS,
                seed: int = 0) -> float:  # fmt: skip
    """Chance of a PSI at least ``psi(reference, current)`` between two samples of ``n_reference`` and
    ``n_current`` rows drawn from ONE distribution (the two pooled): simulated with the same bins and floor, as
    the chi-square approximation fails exactly where it matters — small samples, rare categories, empty bins."""
    ref, cur = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    if min(n_reference, n_current) < 1:
        return 1.0
    pooled = (n_reference * ref + n_current * cur) / (n_reference + n_current)
    pooled = pooled / pooled.sum()
    rng = np.random.default_rng(seed)
    ref_drawn = rng.multinomial(n_reference, pooled, size=draws) / n_reference
    cur_drawn = rng.multinomial(n_current, pooled, size=draws) / n_current
    ref_drawn, cur_drawn = np.maximum(ref_drawn, PSI_FLOOR), np.maximum(cur_drawn, PSI_FLOOR)
    null = np.sum((cur_drawn - ref_drawn) * np.log(cur_drawn / ref_drawn), axis=1)
    return float((1 + np.sum(null >= psi(ref, cur) - 1e-12)) / (draws + 1))


def _with_missing(profile: dict) -> list[float]:
    extra = [profile.get("unseen", 0.0)] if profile["kind"] == "categorical" else []
    return [*profile["shares"], *extra, profile["missing"]]


def feature_drift(reference: dict, values, n_reference: int | None = None) -> dict:
    """PSI of one feature's current values against its reference profile (missing and unseen are bins too) and,
    given the reference's row count, its p-value against sampling noise (:func:`psi_p_value`)."""
    if reference["kind"] == "categorical":
        current = categorical_profile(pd.Series(values, dtype=object), reference["categories"])
    else:
        arr = np.asarray(values, dtype=float)
        current = {"kind": "numeric", "shares": numeric_shares(arr, reference["edges"]).tolist(),
                   "missing": float(np.isnan(arr).mean()) if len(arr) else 0.0}  # fmt: skip
    ref, cur = _with_missing(reference), _with_missing(current)
    out = {"psi": psi(ref, cur), "missing": current["missing"], "missing_ref": reference["missing"]}
    if n_reference is not None:
        out["psi_p"] = psi_p_value(ref, cur, n_reference, len(values))
    if reference["kind"] == "categorical":
        out["unseen"] = current["unseen"]
    return out


def drift_table(profile: dict, encoded: pd.DataFrame, score: np.ndarray, config: MonitorConfig) -> pd.DataFrame:
    """One row per feature (and the score): PSI, its p-value against sampling noise (:func:`psi_p_value`, with
    the reference's and these rows' counts), unseen share, importance share and status, worst first."""
    n_reference = profile.get("population", {}).get("rows") or profile["rows"]
    rows = []
    for col, ref in profile["features"].items():
        if col not in encoded:
            continue
        values = encoded[col].astype("object") if ref["kind"] == "categorical" else encoded[col]
        d = feature_drift(ref, values, n_reference)
        rows.append({"feature": col, **d, "importance": profile["importance"].get(col, 0.0)})
    ref_score, cur_score = profile["score"]["shares"], score_shares(score)
    rows.append({"feature": "score", "psi": psi(ref_score, cur_score), "missing": 0.0, "missing_ref": 0.0,
                 "psi_p": psi_p_value(ref_score, cur_score, n_reference, len(score)), "importance": 1.0})  # fmt: skip
    table = pd.DataFrame(rows)
    if "unseen" not in table:
        table["unseen"] = np.nan
    table["status"] = np.select([table["psi"] > config.psi_act, table["psi"] > config.psi_watch],
                                ["act", "watch"], "stable")  # fmt: skip
    new = table["unseen"].fillna(0) > config.new_values_act
    table.loc[new, "status"] = "act"
    table["driver"] = table["feature"].isin(drivers(profile["importance"], config.driver_mass) | {"score"})
    return table.sort_values(["psi", "feature"], ascending=[False, True], kind="stable").reset_index(drop=True)


def drivers(importance: dict[str, float], mass: float) -> set[str]:
    """The fewest features, by importance share, that together hold at least ``mass`` of it."""
    ranked = sorted(importance.items(), key=lambda kv: (-kv[1], kv[0]))
    cumulative = np.cumsum([share for _, share in ranked])
    return {name for (name, _), before in zip(ranked, np.r_[0.0, cumulative[:-1]], strict=True) if before < mass}


# ------------------------------------------------------------------------------------------ outcomes


def mature_rows(frame: pd.DataFrame, as_of: pd.Timestamp, horizon_days: int) -> pd.Series:
    """True for rows whose whole label window (as_of, as_of + horizon] has passed by the monitoring date."""
    when = pd.to_datetime(frame["as_of"], utc=True)
    return (when + pd.Timedelta(days=horizon_days)) <= as_of


def cohort_table(frame: pd.DataFrame, y: np.ndarray, p: np.ndarray, *, n_boot: int = 200, seed: int = 0,
                 min_positives: int = 20) -> pd.DataFrame:  # fmt: skip
    """Per monthly cohort of mature rows: n, positives, realized and predicted rate, AUC and ECE with 95 % CIs,
    and (:func:`calibration_noise`) the ECE a calibrated model would show on the cohort and the p-value of its
    ECE against that. Cohorts with fewer than ``min_positives`` positives or negatives get counts only."""
    from predictive_leads.evaluation.leakage_audit import auc_score
    from predictive_leads.evaluation.metrics import _ece, bootstrap_ci

    month = pd.to_datetime(frame["as_of"], utc=True).dt.strftime("%Y-%m").to_numpy()
    rows = []
    for m in sorted(set(month)):
        sel = month == m
        ys, ps = y[sel], p[sel]
        row = {"cohort": m, "n": int(sel.sum()), "positives": int(ys.sum()), "realized": float(ys.mean()),
               "predicted": float(ps.mean())}  # fmt: skip
        if min(ys.sum(), (1 - ys).sum()) >= max(min_positives, 2):
            auc = bootstrap_ci(lambda a, b: auc_score(b, a), ys, ps, n_boot=n_boot, seed=seed)
            ece = bootstrap_ci(lambda a, b: _ece(a, b, ECE_BINS), ys, ps, n_boot=n_boot, seed=seed)
            noise, p_value = calibration_noise(ps, ece[0], seed=seed)
            row |= {"auc": auc[0], "auc_low": auc[1], "auc_high": auc[2], "ece": ece[0], "ece_low": ece[1],
                    "ece_high": ece[2], "ece_noise": noise, "ece_p": p_value}  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def calibration_noise(p: np.ndarray, ece: float, *, draws: int = 4000, seed: int = 0) -> tuple[float, float]:
    """(the mean ECE a perfectly calibrated model shows on probabilities ``p`` by sampling noise alone, the chance
    of an ECE of at least ``ece`` then). Outcomes are drawn as if ``p`` were true: per equal-mass bin a binomial
    at the bin's mean probability — a little wider than the exact Poisson-binomial, so the p-value errs high."""
    from predictive_leads.evaluation.metrics import _equal_mass_bins

    p = np.asarray(p, dtype=float)
    bins = _equal_mass_bins(p, ECE_BINS)
    n = np.bincount(bins, minlength=ECE_BINS)
    expected = np.bincount(bins, weights=p, minlength=ECE_BINS)
    mean_p = np.divide(expected, n, out=np.zeros(ECE_BINS), where=n > 0)
    drawn = np.random.default_rng(seed).binomial(n, mean_p, size=(draws, ECE_BINS))
    null = np.abs(drawn - expected).sum(axis=1) / p.size
    return float(null.mean()), float((1 + (null >= ece - 1e-12).sum()) / (draws + 1))


# ------------------------------------------------------------------------------------------ verdict


@dataclass
class Verdict:
    status: str  # ok | watch | retrain
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def verdict(drift: pd.DataFrame, cohorts: pd.DataFrame, config: MonitorConfig) -> Verdict:
    """ok / watch / retrain with the reasons and the evidence, each a test held to ``config.alpha / tests``
    (Bonferroni over every test of the verdict), so a world where nothing changed gets ``retrain`` with at most
    that chance:

    * a *driver* (or the score) past the PSI act threshold whose PSI is beyond sampling noise
      (:func:`psi_p_value`), or with too many never-seen values: retrain; past the watch threshold beyond it:
      watch; within noise: listed as information; any other feature past the act threshold beyond noise:
      retrain too — who arrives changed, and the model was fitted on another population (a retrain must still
      beat the champion to replace it, so a needless one costs a training run, not a worse model);
    * a mature cohort whose AUC drop below the first mature cohort after training exceeds ``auc_drop_margin``
      with confidence (one-sided, from the cohorts' bootstrap standard errors, treated as independent — cohorts
      share leads, so this errs on the side of no alarm): retrain; a drop above ``auc_drop_watch`` that is
      beyond zero at ``alpha`` (not corrected for the number of tests) but not beyond the margin: watch;
    * a cohort whose ECE exceeds a calibrated model's noise (:func:`calibration_noise`) by more than
      ``ece_act`` and significantly: retrain; by that much with an uncorrected p below ``alpha``: watch. (A relative
      margin — ECE as a share of the mean prediction — said retrain on most small worlds without drift: the
      conversion rate of open leads moves by a third from month to month as the book ages.)

    Cohorts with fewer than ``min_mature_positives`` positives or negatives are shown, not judged."""
    from scipy.stats import norm

    judged = _judged(cohorts, config)
    drivers_ = drift[drift["driver"]] if len(drift) else drift
    tests = len(drivers_) + max(len(judged) - 1, 0) + len(judged)
    level = config.alpha / max(tests, 1)
    act, watch, shifted, info = [], [], [], []
    for r in drift.itertuples(index=False):
        label = "score distribution" if r.feature == "score" else r.feature
        unseen = f", {r.unseen:.0%} unseen values" if r.unseen == r.unseen and r.unseen >= 0.005 else ""
        text = f"{label}: PSI {r.psi:.2f}{unseen}" + ("" if r.feature == "score" else f" (weight {r.importance:.1%})")
        new_values = r.unseen == r.unseen and r.unseen > config.new_values_act
        beyond_noise = r.psi_p < level
        if r.status == "act" and r.driver and (beyond_noise or new_values):
            act.append(f"drifted driver {text}; p {_p(r.psi_p)} against sampling noise")
        elif r.status == "watch" and r.driver and beyond_noise:
            watch.append(f"driver moving {text}; p {_p(r.psi_p)} against sampling noise")
        elif r.status == "act" and beyond_noise:
            shifted.append(text)
        elif r.status == "act":
            info.append(text)
    cohort_act, cohort_watch = _cohort_problems(judged, config, norm.isf(level), level, norm.isf(config.alpha))
    act, watch = act + cohort_act, watch + cohort_watch
    if shifted:
        act.append("who arrives changed, beyond sampling noise, in features the model barely uses (it was fitted "
                   "on a different population): " + _listed(shifted))  # fmt: skip
    if info:
        info = ["also past the PSI act threshold, but within sampling noise: " + _listed(info)]
    rule = (f"{tests} tests, each at {level:.2g} (alpha {config.alpha:g} over the verdict); cohorts judged with "
            f"≥ {config.min_mature_positives} positives and negatives: {len(judged)} of {len(cohorts)}")  # fmt: skip
    if act:
        return Verdict("retrain", act + watch + info + [rule])
    if watch:
        return Verdict("watch", watch + info + [rule])
    return Verdict("ok", ["no driver of the model drifted beyond noise and no mature cohort lost AUC or calibration "
                          "beyond its margin", *info, rule])  # fmt: skip


def _judged(cohorts: pd.DataFrame, config: MonitorConfig) -> list[dict]:
    rows = cohorts.to_dict("records")
    return [r for r in rows if r["positives"] >= config.min_mature_positives and r.get("auc", np.nan) == r.get("auc")]


def _listed(texts: list[str], most: int = 8) -> str:
    return "; ".join(texts[:most]) + ("; …" if len(texts) > most else "")


def _p(value: float) -> str:
    return f"{value:.2g}" if value >= 1e-4 else "< 1e-4"


def _cohort_problems(judged: list[dict], config: MonitorConfig, z: float, level: float,
                     z_watch: float) -> tuple[list, list]:  # fmt: skip
    act, watch = [], []
    first = judged[0] if judged else None
    for r in judged[1:]:
        drop = first["auc"] - r["auc"]
        se = np.hypot(first["auc_high"] - first["auc_low"], r["auc_high"] - r["auc_low"]) / Z_95
        bound = drop - z * se
        text = (f"cohort {r['cohort']}: AUC {r['auc']:.3f} vs {first['auc']:.3f} in {first['cohort']}, the first "
                f"mature cohort after training (drop {drop:.3f}, lower bound {bound:.3f}")  # fmt: skip
        if bound > config.auc_drop_margin:
            act.append(f"{text} > margin {config.auc_drop_margin:g})")
        elif drop > config.auc_drop_watch and drop - z_watch * se > 0:  # a drop, though not proven beyond margin
            watch.append(f"{text}: not beyond the margin {config.auc_drop_margin:g} with confidence)")
    for r in judged:
        excess = r["ece"] - r["ece_noise"]
        text = (f"cohort {r['cohort']}: calibration off (ECE {r['ece']:.3f} vs {r['ece_noise']:.3f} from noise, "
                f"p {_p(r['ece_p'])}; realized {r['realized']:.2%} vs predicted {r['predicted']:.2%})")  # fmt: skip
        if excess > config.ece_act and r["ece_p"] < level:
            act.append(text)
        elif excess > config.ece_act and r["ece_p"] < config.alpha:
            watch.append(f"{text}: not significant after the {len(judged)} cohorts")
    return act, watch


# ------------------------------------------------------------------------------------------ one monitoring run


@dataclass
class MonitorResult:
    as_of: str
    horizon_days: int
    verdict: Verdict
    drift: pd.DataFrame
    score_trend: pd.DataFrame
    cohorts: pd.DataFrame
    bands: pd.DataFrame
    grades: pd.DataFrame
    facts: dict
    estimates: pd.DataFrame = field(default_factory=pd.DataFrame)  # label gap: estimated, then realized
    feedback: pd.DataFrame = field(default_factory=pd.DataFrame)  # sales feedback on MQLs, by month and score band

    def to_dict(self) -> dict:
        from predictive_leads.evaluation.metrics import to_jsonable

        return to_jsonable({
            "as_of": self.as_of, "horizon_days": self.horizon_days, "verdict": self.verdict.to_dict(),
            "facts": self.facts, "drift": self.drift.to_dict("records"),
            "score_trend": self.score_trend.to_dict("records"), "cohorts": self.cohorts.to_dict("records"),
            "bands": self.bands.to_dict("records"), "grades": self.grades.to_dict("records"),
            "estimates": self.estimates.to_dict("records"), "feedback": self.feedback.to_dict("records"),
        })  # fmt: skip


def check_monitorable(scorer, profile: dict | None, as_of) -> pd.Timestamp:
    """The monitoring date as UTC, or a clear error: no reference profile, or a date inside the training data."""
    as_of = pd.Timestamp(as_of, tz="UTC") if pd.Timestamp(as_of).tzinfo is None else pd.Timestamp(as_of)
    if not profile:
        raise ValueError("the model has no reference profile (trained before monitoring existed): retrain it with "
                         "this version of predictive_leads")  # fmt: skip
    end = scorer.trained_until()
    if end is not None and as_of <= end:
        raise ValueError(f"as_of {as_of.date()} is not after the model's training data (up to {end.date()}): "
                         "monitor a later period")  # fmt: skip
    return as_of


def run_monitor(scorer, profile: dict, current: pd.DataFrame, labelled: pd.DataFrame, *, as_of,
                horizon_days: int = 90, config: MonitorConfig | None = None, n_boot: int = 200,
                feedback: pd.DataFrame | None = None) -> MonitorResult:  # fmt: skip
    """Drift of ``current`` (the rows scored now) against the model's reference ``profile``
    (:func:`~predictive_leads.monitoring.profile.fit_profile`); outcomes of the rows of ``labelled`` whose horizon
    has passed at ``as_of`` (and that the model never trained on); the verdict. With sales ``feedback``, the
    share of the MQLs among those rows that reps gave each disposition and reason
    (:func:`~predictive_leads.monitoring.feedback.feedback_shares`)."""
    from predictive_leads.evaluation.metrics import band_table, group_table

    config = config or MonitorConfig()
    as_of = check_monitorable(scorer, profile, as_of)
    end = scorer.trained_until()
    recent = _drift_rows(current, profile)
    score = scorer.score_frame(recent)["score"].to_numpy()
    drift = drift_table(profile, scorer.encode(recent), score, config)
    trend = _score_trend(profile, recent, score)
    post = labelled
    if end is not None and len(labelled):
        post = labelled[(pd.to_datetime(labelled["as_of"], utc=True) > end).to_numpy()]
    ready = mature_rows(post, as_of, horizon_days).to_numpy() if len(post) else np.zeros(0, dtype=bool)
    ready = ready & (post["converted"].notna().to_numpy() if "converted" in post else False)  # labelled only
    mature = post[ready]
    cohorts = bands = grades = estimates = told = pd.DataFrame()
    if len(post):
        scored = scorer.score_frame(post)
        if feedback is not None:
            if "lead_id" not in post:
                raise ValueError("sales feedback names leads by id: the monitoring rows have no lead_id column")
            rows = post[["lead_id", "as_of"]].assign(score=scored["score"].to_numpy(), stage=scored["stage"].to_numpy())
            told = feedback_shares(rows, feedback, as_of=as_of, horizon_days=horizon_days)
        y_post = pd.to_numeric(post["converted"], errors="coerce").to_numpy() if "converted" in post else None
        estimates = estimate_table(post, scored["probability"].to_numpy(), ready, y_post)
        scored = scored[ready]
    if len(mature) and mature["converted"].nunique() == 2:
        y = y_post[ready].astype(int)  # the labels already read for the estimates
        p = scored["probability"].to_numpy()
        cohorts = cohort_table(mature, y, p, n_boot=n_boot, min_positives=config.min_mature_positives)
        bands = band_table(y, p, scored["score"].to_numpy(), score_bands())
        grades = group_table(y, p, scored["grade"].to_numpy())
    result = verdict(drift, cohorts, config)
    if not len(mature):
        first = _first_mature(end, horizon_days)
        result.reasons.append(f"no mature labels yet: rows count for outcomes once as_of + {horizon_days} days "
                              f"has passed (the first after training matures {first})")  # fmt: skip
    facts = {"current_rows": len(current), "drift_rows": len(recent),
             "drift_population": _population_text(profile), "labelled_rows": len(labelled), "mature_rows": len(mature),
             "immature_rows_left_out": len(labelled) - len(mature), "reference_rows": profile["rows"],
             "reference_auc": profile.get("roc_auc"), "reference_ece": profile.get("ece"),
             "training_end": None if end is None else end.isoformat(), "config": asdict(config)}  # fmt: skip
    return MonitorResult(as_of.isoformat(), horizon_days, result, drift, trend, cohorts, bands, grades, facts,
                         estimates, told)  # fmt: skip


def monitoring_frames(leads: pd.DataFrame, events, conversions: pd.DataFrame, *, as_of, horizon_days: int = 90,
                      months: int = 12, config=None) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """(the open leads' scoring frame at ``as_of``, monthly snapshots): the two inputs of :func:`run_monitor`, built
    point in time from raw tables as a nightly job would. The snapshots are the last ``months`` month starts whose
    horizon has passed (with their labels), then those of the label gap and ``as_of`` itself (``converted``
    missing: their performance is estimated)."""
    from predictive_leads.features import build_scoring_frame, build_training_set
    from predictive_leads.features.spine import mature_snapshot_dates, to_utc

    as_of = pd.Timestamp(as_of)
    dates = mature_snapshot_dates(as_of, horizon_days, months)
    gap = pd.date_range(dates[-1] + pd.DateOffset(months=1), to_utc(as_of), freq="MS", inclusive="left")
    gap = gap[gap.strftime("%Y-%m") != to_utc(as_of).strftime("%Y-%m")]  # one snapshot per monthly cohort
    unlabelled = build_scoring_frame(leads, events, as_of=[*gap, as_of], conversions=conversions, now=as_of,
                                     config=config)  # fmt: skip
    at = pd.to_datetime(unlabelled["as_of"], utc=True)
    current = unlabelled[(at == to_utc(as_of)).to_numpy()]
    labelled = build_training_set(leads, events, conversions, as_of=dates, horizon_days=horizon_days,
                                  observed_until=as_of, now=as_of, config=config)  # fmt: skip
    return current, pd.concat([labelled, unlabelled], ignore_index=True)


def _drift_rows(current: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """The rows compared with the reference: the same population (young leads) the reference was profiled on."""
    max_age = profile.get("population", {}).get("lead_age_days_max")
    if max_age is not None and "lead_age_days" not in current:
        raise ValueError("the reference profile compares leads by lead_age_days; the rows to monitor have none")
    rows = current[young_leads(current, max_age)]
    if rows.empty:
        what = "rows" if max_age is None else f"leads in their first {max_age} days"
        raise ValueError(f"no {what} to check for drift at this as_of")
    return rows


def _population_text(profile: dict) -> str:
    max_age = profile.get("population", {}).get("lead_age_days_max")
    return "all rows" if max_age is None else f"leads in their first {max_age} days"


def _first_mature(end: pd.Timestamp | None, horizon_days: int) -> str:
    return "—" if end is None else str((end + pd.Timedelta(days=horizon_days)).date())


def _score_trend(profile: dict, current: pd.DataFrame, score: np.ndarray) -> pd.DataFrame:
    if "as_of" not in current:
        return pd.DataFrame([{"period": "current", "rows": len(score),
                              "score_psi": psi(profile["score"]["shares"], score_shares(score))}])  # fmt: skip
    period = pd.to_datetime(current["as_of"], utc=True).dt.strftime("%Y-%m-%d").to_numpy()
    rows = [{"period": p, "rows": int((period == p).sum()),
             "score_psi": psi(profile["score"]["shares"], score_shares(score[period == p]))}
            for p in sorted(set(period))]  # fmt: skip
    return pd.DataFrame(rows)
