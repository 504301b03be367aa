"""The observable ceiling: the generator's own conversion model applied to what a CRM can see.

On the standard world (``data/raw/demo``: 50k leads, seed 42, as ``make demo`` builds it; generated here if it
is missing) and on the **same out-of-time test rows** as the demo model's evaluation (the rows of
``data/processed/demo_train.parquet`` whose as_of lies in ``models/demo/metrics.json`` → ``meta.split.test``), it
scores every row three ways and prints their AUCs with paired, outcome-stratified bootstrap intervals
(``evaluation.metrics.compare``: the same resamples for every scorer):

* **oracle**: ``synth.oracle_probability``, the exact probability given the latent state (true fit with its
  noise, true intent state at as_of): what no model can beat.
* **observable ceiling**: the generator's formulas applied to observable data only:

  - *fit* (``synth.world._fit``, before drift) from the **parsed** attributes the pipeline publishes
    (``industry``, ``company_size_band``, ``region``, ``lead_source``, ``seniority``, ``department``,
    ``email_kind``) instead of the true ones, with the ICP × size interaction and **without** the unexplained
    noise (``fit_noise_sd``). Company, region and source terms: the effect of the parsed value; an unknown
    value (blanked at random by the generator) gets the mean effect of the leads whose value is known, an
    unknown source the mean over the sources whose creation event matches the lead's (a form, an e-book
    download or an email reply). Person terms: a title parses to the wrong seniority now and then, and an
    unparsed title is mostly a student's, so the seniority + department term is E[true term | parsed
    seniority, parsed department] and the email term E[true term | parsed email kind, parsed seniority],
    both measured on the regular leads of an independent world from the same generator (seed 7);
  - *intent*: the posterior of the latent daily Markov state on the day before as_of, by an exact forward
    filter of ``synth.intent.TRANSITIONS`` from the lead's creation day, started from the source's initial
    state distribution (``vocab.LEAD_SOURCES``). Each day multiplies in the Poisson likelihood of that day's
    events of every emitted type under each state (``world.EMISSION_RATES`` × activity; the creation day
    counts only the hours after creation), the form URL's probability given the state (``world._details``:
    ``/consultation`` only in *buying*, ``/resources`` never in it), the first two bounces as emails of unknown
    type, and the survival term ``1 − daily_hazard`` (a row exists only while the lead has not converted);
    the creation form's URL informs the initial state, and the rep's ``qual_interest`` and ``qual_timing``
    (``world._qualification``: rounded normal, sd 0.8, around the state at the first meeting) inform the
    state on the day they are recorded. Types that can no longer be observed (one-time events after their
    first, email after an unsubscribe or a second bounce) drop out of the likelihood from the next day;
  - then ``intent.forward_conversion_probability`` from each state, mixed with the posterior: the exact
    horizon probability given the fit estimate and the filtered state;
  - leads the data marks as junk, which the generator never lets convert: a disposable domain, a test name,
    a spam message, a bot-like burst, a competitor or internal email domain → 0. ``is_duplicate_contact``
    is not clean (it also flags regular leads), so flagged rows get the ceiling times one factor: the
    training part's conversions over its expected conversions among flagged rows.

* **demo model**: ``models/demo`` (``LeadScorer.load``) re-scored on the test rows; its AUC in
  ``metrics.json`` is printed next to it (they must agree).

What is approximated (so the "ceiling" is the best the generator's own model does with the observable data,
not a proven upper bound): the fit is a plug-in estimate (no noise, conditional means for unknown or
ambiguous values) instead of a posterior over the fit: averaging the horizon probability over the
calibration world's residuals instead changed the AUC by less than 0.001 in a check; the survival term uses
the estimate; ``qual_money`` / ``qual_need`` (noisy readings of the true fit),
derived events (webinar attendance, meeting cancellations: their probabilities depend on the state weakly)
and the exact time of day of a one-time event are ignored; the qualification scores inform the state on the
day they are recorded rather than on the meeting's day (at most three days earlier). The duplicate factor is
the only number estimated from labels (training part only). Worlds generated with ``drift=True`` are refused.

``--ablations`` adds rows for the ceiling without the form URLs and qualification scores (event counts only)
and without the survival term, and two diagnostics that are not observable: the true fit with the filtered
intent, and the estimated fit with the true state (where the gap to the oracle comes from).

    .venv/bin/python benchmarks/observable_ceiling.py                        # ~1 min, ~2.5 GB
    .venv/bin/python benchmarks/observable_ceiling.py --ablations --save-scores /tmp/ceiling_scores.parquet

``--save-scores`` writes lead_id, as_of, converted, oracle and ceiling per test row (``decay_lift.py
--ceiling`` pairs its models with them); ``--json`` every figure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

from predictive_leads.evaluation.metrics import compare
from predictive_leads.features.attributes import lead_attributes
from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.synth import generate_world, intent, oracle_probability, read_world, vocab
from predictive_leads.synth.world import EMAIL_EVENTS, EMISSION_RATES, ONE_TIME_EVENTS, World

WORLD = Path("data/raw/demo")
TRAIN_SET = Path("data/processed/demo_train.parquet")
MODEL = Path("models/demo")
DAY = pd.Timedelta(days=1)
US_PER_DAY = 86_400_000_000

# world._details: a form's URL is drawn uniformly from four slots whose mix depends on buying vs not
FORM_URL_PROBABILITY = {  # url → P(url | state) for dormant, researching, engaged, buying
    "/contact": (0.25, 0.25, 0.25, 0.25),
    "/resources": (0.5, 0.5, 0.5, 0.0),
    "/assessment": (0.25, 0.25, 0.25, 0.25),
    "/consultation": (0.0, 0.0, 0.0, 0.5),
}
# world._qualification: round(3 + driver + N(0, 0.8)) clipped to 1…5, driver linear in the meeting's state
QUAL_SD = 0.8
QUAL_SLOPES = {"qual_interest": 1.0, "qual_timing": 1.2}  # driver = slope × (state − 1.5)
JUNK_FLAGS = ("is_disposable_domain", "has_test_name", "is_spam_message", "bot_like_burst")
JUNK_EMAIL_KINDS = ("competitor", "internal")
SIZE_EFFECTS = {"1-9": -1.0, "10-49": -0.4, "50-199": 0.0, "200-999": 0.4, "1000-9999": 0.6, "10000+": 0.3}
BIG_BANDS = ("200-999", "1000-9999", "10000+")  # employees ≥ 200: the ICP × size interaction
EMAIL_KIND_EFFECTS = {"corporate": 0.0, "free": -0.7, "edu": -1.4}
MIN_CELL = 50  # calibration leads a cell of parsed values needs before its mean is used


@dataclass(frozen=True)
class FilterOptions:
    """Which observations the intent filter multiplies in (all by default)."""

    form_urls: bool = True
    qualification: bool = True
    survival: bool = True


# ------------------------------------------------------------------------------------------ inputs


def ensure_world(folder: Path) -> None:
    """Generate the standard world into ``folder`` when it is missing (as ``make demo`` does)."""
    if (folder / "manifest.json").exists():
        return
    cli = Path(sys.executable).with_name("predictive-leads")
    print(f"{folder} is missing: generating the standard world (50k leads, seed 42)", flush=True)
    subprocess.run([str(cli), "generate", "--out", str(folder), "--n-leads", "50000", "--seed", "42"], check=True)


def demo_split(model_dir: Path) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, dict]:
    """(first test as_of, last test as_of, last training as_of, metrics) of the demo model's evaluation."""
    metrics = json.loads((model_dir / "metrics.json").read_text())
    split = metrics["meta"]["split"]
    if split.get("method") != "out_of_time":
        raise SystemExit(f"{model_dir}: the evaluation is not out of time ({split.get('method')})")
    test_from, test_to = (pd.Timestamp(t) for t in split["test"])
    return test_from, test_to, pd.Timestamp(split["train"][1]), metrics


def to_us(values: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 microseconds since 1970 (missing → the int64 of NaT)."""
    return pd.to_datetime(values, utc=True).dt.as_unit("us").astype("int64").to_numpy()


# ------------------------------------------------------------------------------------------ fit


def _known_mean(effect: pd.Series) -> float:
    """Mean effect among the leads whose value is known (the fill value for unknown ones)."""
    return float(effect.dropna().mean())


def _effect(values: pd.Series, table: dict) -> pd.Series:
    """Effect of each parsed value (NaN where unknown), filled with the mean of the known ones."""
    effect = values.astype("object").map(table).astype(float)
    return effect.fillna(_known_mean(effect))


def source_weights(leads: pd.DataFrame) -> np.ndarray:
    """Per lead, a distribution over ``vocab.LEAD_SOURCES``: one-hot when parsed, else the observed mix of the
    sources whose creation event has the lead's creation event type."""
    names = list(vocab.LEAD_SOURCES)
    source = leads["lead_source"].astype("object")
    weights = np.zeros((len(leads), len(names)))
    known = source.isin(names).to_numpy()
    weights[np.flatnonzero(known), [names.index(s) for s in source[known]]] = 1.0
    creation = leads["creation_type"].to_numpy()
    for kind in pd.unique(creation[~known]):
        same = creation == kind
        mix = weights[same & known].sum(axis=0)
        if mix.sum() == 0:
            mix = np.array([vocab.LEAD_SOURCES[s][0] for s in names])
        weights[same & ~known] = mix / mix.sum()
    return weights


def calibration_world(n_leads: int, seed: int) -> pd.DataFrame:
    """Regular leads of an independent world from the same generator: their parsed person attributes and the
    true person terms of their fit (``role``: seniority + department; ``email``: email kind)."""
    world = generate_world(n_leads=n_leads, seed=seed)
    parsed = lead_attributes(world.leads).reset_index(drop=True)
    truth = world.truth
    seniority = truth["seniority"].map({k: v[1] for k, v in vocab.SENIORITY.items()})
    department = truth["department"].map({k: v[1] for k, v in vocab.DEPARTMENT.items()}).fillna(0.2)
    table = parsed[["seniority", "department", "email_kind"]].astype("object").fillna("unknown")
    table["role"] = (seniority + department).to_numpy(float)
    table["email"] = truth["email_kind"].map(EMAIL_KIND_EFFECTS).fillna(0.0).to_numpy(float)
    return table[np.isfinite(truth["fit"].to_numpy(float))]


def conditional_term(leads: pd.DataFrame, calibration: pd.DataFrame, term: str, keys: tuple[str, ...]) -> np.ndarray:
    """E[term | parsed keys] per lead from the calibration world; a cell with fewer than ``MIN_CELL`` leads
    falls back to fewer keys (dropped from the right), then to the overall mean."""
    values = leads[list(keys)].astype("object").fillna("unknown")
    out = np.full(len(leads), np.nan)
    for depth in range(len(keys), 0, -1):
        by = list(keys[:depth])
        cells = calibration.groupby(by)[term].agg(["mean", "count"])
        cells = cells[cells["count"] >= MIN_CELL]
        found = values[by].merge(cells, left_on=by, right_index=True, how="left")["mean"].to_numpy(float)
        out = np.where(np.isnan(out), found, out)
    return np.where(np.isnan(out), calibration[term].mean(), out)


def person_terms(leads: pd.DataFrame, calibration: pd.DataFrame) -> np.ndarray:
    """Seniority, department and email kind terms of the fit given the parsed title and address."""
    role = conditional_term(leads, calibration, "role", ("seniority", "department"))
    return role + conditional_term(leads, calibration, "email", ("email_kind", "seniority"))


def parsed_fit(leads: pd.DataFrame, weights: np.ndarray, person: np.ndarray) -> np.ndarray:
    """``world._fit`` (period 0, no noise) from the parsed attributes: company and source terms from the parsed
    values (unknown → the mean effect of the known ones), person terms from :func:`person_terms`."""
    industry = _effect(leads["industry"], {k: v[1] for k, v in vocab.INDUSTRIES.items()})
    ideal_known = leads["industry"].astype("object").map(lambda i: vocab.INDUSTRIES[i][1] >= 0.4
                                                        if i in vocab.INDUSTRIES else np.nan)  # fmt: skip
    ideal = ideal_known.astype(float).fillna(_known_mean(ideal_known.astype(float)))
    band = leads["company_size_band"].astype("object")
    big_known = band.map(lambda b: float(b in BIG_BANDS) if b in SIZE_EFFECTS else np.nan).astype(float)
    big = big_known.fillna(_known_mean(big_known))
    region = _effect(leads["region"], {k: -1.4 * (not v[1]) for k, v in vocab.REGIONS.items()})
    source = weights @ np.array([v[1] for v in vocab.LEAD_SOURCES.values()])
    fit = industry + _effect(band, SIZE_EFFECTS) + 0.4 * ideal * big + region + source + person
    return fit.to_numpy(float)


def junk_rows(rows: pd.DataFrame) -> np.ndarray:
    """Rows the data marks as leads the generator never lets convert (bots, spam, competitors, staff)."""
    junk = rows["email_kind"].astype("object").isin(JUNK_EMAIL_KINDS).to_numpy().copy()
    for flag in JUNK_FLAGS:
        junk |= rows[flag].fillna(False).to_numpy(bool)
    return junk


# ------------------------------------------------------------------------------------------ observations


def pseudo_types() -> tuple[list[str], np.ndarray]:
    """Observation kinds and their daily rates per state (kind × state): the emitted types, forms split by
    URL (rate × P(url | state)), and ``email_any`` (a bounce: an email of unknown type)."""
    names, rates = [], []
    for event_type, rate in EMISSION_RATES.items():
        names.append(event_type)
        rates.append(np.array(rate))
        if event_type == "form_submit":
            for url, p in FORM_URL_PROBABILITY.items():
                names.append(f"form_submit@{url}")
                rates.append(np.array(rate) * np.array(p))
    names.append("email_any")
    rates.append(sum(np.array(EMISSION_RATES[t]) for t in EMAIL_EVENTS))
    return names, np.array(rates)


@dataclass
class Observations:
    """What the filter reads, per lead (index = position in the leads table) and per world day."""

    created_day: np.ndarray  # int
    first_exposure: np.ndarray  # share of the creation day after creation
    cutoff: dict[str, np.ndarray]  # rate group → last day its types are observable (inclusive)
    sparse_lead: np.ndarray  # per (lead, day) with evidence: the log-likelihood of each state
    sparse_day: np.ndarray
    sparse_loglik: np.ndarray  # (m, 4)
    creation_type: np.ndarray


def _first_day(lead: np.ndarray, day: np.ndarray, mask: np.ndarray, n: int, nth: int = 1) -> np.ndarray:
    """Per lead, the day of its ``nth`` event among ``mask`` (events sorted by lead and time); a large number
    when it has fewer."""
    out = np.full(n, np.iinfo(np.int32).max, dtype=np.int64)
    sel = np.flatnonzero(mask)
    rank = np.arange(len(sel)) - np.searchsorted(lead[sel], lead[sel], side="left")
    hit = sel[rank == nth - 1]
    out[lead[hit]] = day[hit]
    return out


def _qual_loglik(values: np.ndarray, slope: float) -> np.ndarray:
    """log P(score | state) of ``world._qualification``'s rounded, clipped normal (rows × 4)."""
    mean = 3 + slope * (np.arange(intent.N_STATES) - 1.5)
    v = values[:, None].astype(float)
    upper = np.where(v >= 5, np.inf, v + 0.5)
    lower = np.where(v <= 1, -np.inf, v - 0.5)
    prob = ndtr((upper - mean) / QUAL_SD) - ndtr((lower - mean) / QUAL_SD)
    with np.errstate(divide="ignore"):
        return np.log(prob)


def observations(world: World, last_day: int, options: FilterOptions) -> Observations:
    """Events before ``last_day`` (exclusive) turned into per-day state likelihoods (see the module doc)."""
    leads, events, n = world.leads, world.events, len(world.leads)
    start_us = int(pd.Timestamp(world.meta["start"]).value // 1000)
    created_us = to_us(leads["created_at"])
    created_day = (created_us - start_us) // US_PER_DAY
    index = pd.Index(leads["lead_id"].astype(str))
    codes, uniques = pd.factorize(events["lead_id"])
    lead = index.get_indexer(pd.Index(uniques).astype(str))[codes]
    ts = to_us(events["ts"])
    day = (ts - start_us) // US_PER_DAY
    etype = events["event_type"].astype("object").to_numpy()
    url = events["url"].astype("object").to_numpy()
    order = np.lexsort((ts, lead))
    lead, ts, day, etype, url = lead[order], ts[order], day[order], etype[order], url[order]
    creation = ts == created_us[lead]
    creation_type = np.full(n, None, dtype=object)
    creation_type[lead[creation]] = etype[creation]

    cutoff = {t: _first_day(lead, day, etype == t, n) for t in ONE_TIME_EVENTS}
    unsub = cutoff["unsubscribe"]
    cutoff["newsletter_subscribe"] = np.minimum(cutoff["newsletter_subscribe"], unsub)
    cutoff["email"] = np.minimum(unsub, _first_day(lead, day, etype == "email_bounce", n, nth=2))

    names, rates = pseudo_types()
    with np.errstate(divide="ignore"):
        logr = np.log(rates * world.meta["config"]["activity"])
    kind = pd.Series(etype).replace({"email_bounce": "email_any"}).to_numpy(object)
    forms = etype == "form_submit"
    if options.form_urls:
        kind[forms] = [f"form_submit@{u}" if f"form_submit@{u}" in names else "form_submit" for u in url[forms]]
    keep = ~creation & pd.Series(kind).isin(names).to_numpy() & (day < last_day)
    parts = [(lead[keep], day[keep], logr[pd.Categorical(kind[keep], categories=names).codes])]
    if options.form_urls:  # the creation form's URL tells the initial state
        first_form = creation & forms & pd.Series(url).isin(list(FORM_URL_PROBABILITY)).to_numpy()
        with np.errstate(divide="ignore"):
            url_loglik = np.log(np.array([FORM_URL_PROBABILITY[u] for u in url[first_form]]).reshape(-1, 4))
        parts.append((lead[first_form], day[first_form], url_loglik))
    if options.qualification:
        parts.append(_qualification_evidence(leads, start_us, last_day))
    sparse_lead, sparse_day, loglik = _sum_by_lead_day(parts)
    first_exposure = 1 - ((created_us - start_us) % US_PER_DAY) / US_PER_DAY
    return Observations(created_day, first_exposure, cutoff, sparse_lead, sparse_day, loglik, creation_type)


def _qualification_evidence(leads: pd.DataFrame, start_us: int, last_day: int):
    """(lead, day, log-likelihood) of the qualification scores on the day they are recorded."""
    known = leads["qualified_at"].notna().to_numpy() & leads[list(QUAL_SLOPES)].notna().all(axis=1).to_numpy()
    who = np.flatnonzero(known)
    q_day = (to_us(leads["qualified_at"].iloc[who]) - start_us) // US_PER_DAY
    loglik = sum(_qual_loglik(leads[c].to_numpy()[who].astype(float), s) for c, s in QUAL_SLOPES.items())
    inside = q_day < last_day
    return who[inside], q_day[inside], loglik[inside]


def _sum_by_lead_day(parts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The log-likelihoods of every part added up per (lead, day), sorted by day."""
    lead = np.concatenate([p[0] for p in parts])
    day = np.concatenate([p[1] for p in parts])
    loglik = np.concatenate([p[2] for p in parts])
    order = np.lexsort((lead, day))
    lead, day, loglik = lead[order], day[order], loglik[order]
    start = np.flatnonzero(np.r_[True, (np.diff(lead) != 0) | (np.diff(day) != 0)])
    return lead[start], day[start], np.add.reduceat(loglik, start, axis=0)


# ------------------------------------------------------------------------------------------ filter


def rate_groups(activity: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Total daily rate per state of every emitted type, and per group of types that can stop being observed."""
    rate = {t: np.array(r) * activity for t, r in EMISSION_RATES.items()}
    total = sum(rate.values())
    groups = {t: rate[t] for t in ONE_TIME_EVENTS} | {"email": sum(rate[t] for t in EMAIL_EVENTS)}
    return total, groups


def forward_filter(obs: Observations, initial: np.ndarray, survival: np.ndarray, snapshot_days: list[int],
                   activity: float) -> dict[int, np.ndarray]:  # fmt: skip
    """P(state on day d − 1 | everything observed before day d) per lead, for every d in ``snapshot_days``.

    ``initial``: (lead, 4) state distribution on the creation day; ``survival``: (lead, 4) probability of
    not converting on a day in each state (ones to leave the conversion evidence out).
    """
    total, groups = rate_groups(activity)
    alpha = initial.copy()
    bounds = np.searchsorted(obs.sparse_day, np.arange(max(snapshot_days) + 1))
    out = {}
    for d in range(max(snapshot_days)):
        moved = obs.created_day < d
        alpha[moved] = alpha[moved] @ intent.TRANSITIONS
        alive = obs.created_day <= d
        exposure = np.where(obs.created_day == d, obs.first_exposure, 1.0) * alive
        mass = np.broadcast_to(total, alpha.shape).copy()
        for group, rate in groups.items():
            mass -= (d > obs.cutoff[group])[:, None] * rate
        alpha *= np.exp(-exposure[:, None] * mass) * np.where(alive[:, None], survival, 1.0)
        lo, hi = bounds[d], bounds[d + 1]
        who = obs.sparse_lead[lo:hi]
        loglik = obs.sparse_loglik[lo:hi]
        top = loglik.max(axis=1, keepdims=True)
        alpha[who] *= np.exp(loglik - np.where(np.isfinite(top), top, 0.0))
        alpha /= alpha.sum(axis=1, keepdims=True)
        if d + 1 in snapshot_days:
            out[d + 1] = alpha.copy()
    return out


def horizon_probability(posterior: np.ndarray, fit: np.ndarray, first_day: np.ndarray, world: World,
                        horizon_days: int) -> np.ndarray:  # fmt: skip
    """Σ_s P(state s on as_of − 1) × P(convert within the horizon | s, fit): the exact forward computation."""
    n = len(fit)
    states = np.repeat(np.arange(intent.N_STATES), n)
    tiled = np.tile(fit, intent.N_STATES)
    per_state = intent.forward_conversion_probability(states, np.tile(first_day, intent.N_STATES), horizon_days,
                                                      world.meta["intercept"], tiled, tiled, None)  # fmt: skip
    return (posterior * per_state.reshape(intent.N_STATES, n).T).sum(axis=1)


# ------------------------------------------------------------------------------------------ the ceiling


def lead_table(world: World, frame: pd.DataFrame, obs: Observations) -> pd.DataFrame:
    """One row per lead of the world: its parsed attributes (from its latest row in ``frame``) and creation type."""
    columns = ["lead_id", "industry", "company_size_band", "seniority", "department", "email_kind", "region",
               "lead_source", *JUNK_FLAGS]  # fmt: skip
    latest = frame[columns].drop_duplicates("lead_id", keep="last").set_index("lead_id")
    table = latest.reindex(world.leads["lead_id"].astype(str)).reset_index()
    table["creation_type"] = obs.creation_type
    return table


@dataclass
class Estimate:
    """Per row of a frame: the filtered intent, the fit estimate, and the day after the state (as_of's)."""

    posterior: np.ndarray  # (row, state)
    fit: np.ndarray
    first_day: np.ndarray
    lead: np.ndarray  # position in the world's leads table


def estimate(world: World, frame: pd.DataFrame, options: FilterOptions, calibration: pd.DataFrame) -> Estimate:
    """Fit and filtered intent of every row of ``frame`` (a point-in-time training set) from observable data."""
    as_of = pd.to_datetime(frame["as_of"], utc=True)
    start = pd.Timestamp(world.meta["start"])
    first_day = ((as_of - start) // DAY).to_numpy().astype(np.int64)
    snapshot_days = sorted(set(first_day.tolist()))
    obs = observations(world, max(snapshot_days), options)
    leads = lead_table(world, frame, obs)
    weights = source_weights(leads)
    fit = parsed_fit(leads, weights, person_terms(leads, calibration))
    initial = weights @ np.array([v[2] for v in vocab.LEAD_SOURCES.values()])
    survival = 1 - intent.daily_hazard(world.meta["intercept"], np.arange(intent.N_STATES)[None, :], fit[:, None])
    if not options.survival:
        survival = np.ones_like(survival)
    posteriors = forward_filter(obs, initial, survival, snapshot_days, world.meta["config"]["activity"])
    lead = pd.Index(world.leads["lead_id"].astype(str)).get_indexer(frame["lead_id"].astype(str))
    posterior = np.empty((len(frame), intent.N_STATES))
    for d, alpha in posteriors.items():
        rows = first_day == d
        posterior[rows] = alpha[lead[rows]]
    return Estimate(posterior, fit[lead], first_day, lead)


def probability(world: World, est: Estimate, frame: pd.DataFrame, horizon_days: int) -> np.ndarray:
    """The horizon probability of each row from its estimate; junk rows get 0 (before the duplicate factor)."""
    p = horizon_probability(est.posterior, est.fit, est.first_day, world, horizon_days)
    return np.where(junk_rows(frame), 0.0, p)


def with_latent(world: World, est: Estimate, *, true_fit: bool = False, true_state: bool = False) -> Estimate:
    """``est`` with the true fit (noise included) or the true state on as_of − 1 from the truth table: the
    decomposition of the gap to the oracle (diagnostics, not observable)."""
    truth = world.truth
    posterior = est.posterior
    if true_state:
        seg = intent.Segments.from_lists(truth["intent_start"], truth["intent_state"])
        posterior = np.eye(intent.N_STATES)[seg.state[seg.locate(est.lead, est.first_day - 1)]]
    fit = truth["fit"].to_numpy(float)[est.lead] if true_fit else est.fit
    return Estimate(posterior, fit, est.first_day, est.lead)


def duplicate_factor(y: np.ndarray, p: np.ndarray, flagged: np.ndarray) -> float:
    """Observed over expected conversions among the flagged training rows (the share that are genuine leads)."""
    expected = p[flagged].sum()
    return float(y[flagged].sum() / expected) if expected > 0 else 1.0


def ablations(world: World, rows: pd.DataFrame, est: Estimate, calibration: pd.DataFrame, horizon: int,
              finish) -> dict[str, np.ndarray]:  # fmt: skip
    """The ceiling with less evidence, and with the true fit or the true state in place of the estimate."""
    counts_only = estimate(world, rows, FilterOptions(form_urls=False, qualification=False), calibration)
    no_survival = estimate(world, rows, replace(FilterOptions(), survival=False), calibration)
    return {
        "ceiling: event counts only (no form URLs, no qualification)": finish(
            probability(world, counts_only, rows, horizon)
        ),
        "ceiling: no survival term": finish(probability(world, no_survival, rows, horizon)),
        "diagnostic: true fit + filtered intent": finish(
            probability(world, with_latent(world, est, true_fit=True), rows, horizon)
        ),
        "diagnostic: parsed fit + true intent": finish(
            probability(world, with_latent(world, est, true_state=True), rows, horizon)
        ),
    }


# ------------------------------------------------------------------------------------------ report


def auc_table(y: np.ndarray, scores: dict[str, np.ndarray], n_boot: int, seed: int) -> pd.DataFrame:
    """AUC with its interval per scorer, and the paired difference to the first one (scorer − first)."""
    table = compare(y, scores, n_boot=n_boot, seed=seed).set_index("scorer")
    return pd.DataFrame({
        "auc": table["roc_auc"], "low": table["roc_auc_low"], "high": table["roc_auc_high"],
        "diff": -table["auc_diff"], "diff_low": -table["auc_diff_high"], "diff_high": -table["auc_diff_low"],
        "pr_auc": table["pr_auc"],
    })  # fmt: skip


def print_table(table: pd.DataFrame, reference: str) -> None:
    """The AUC table as Markdown."""
    print(f"| scorer | ROC AUC [95 % CI] | Δ vs {reference} (paired) [95 % CI] | PR AUC |")
    print("|---|---|---|---|")
    for name, r in table.iterrows():
        diff = "—" if name == reference else f"{r['diff']:+.4f} [{r['diff_low']:+.4f}, {r['diff_high']:+.4f}]"
        print(f"| {name} | {r['auc']:.4f} [{r['low']:.4f}, {r['high']:.4f}] | {diff} | {r['pr_auc']:.4f} |")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, default=WORLD)
    parser.add_argument("--train-set", type=Path, default=TRAIN_SET)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--calibration-seed", type=int, default=7, help="seed of the independent world that maps "
                        "parsed person attributes to fit terms")  # fmt: skip
    parser.add_argument("--calibration-leads", type=int, default=50_000)
    parser.add_argument("--ablations", action="store_true", help="also the ceiling without URLs/qualification, "
                        "and without the survival term")  # fmt: skip
    parser.add_argument("--save-scores", type=Path, default=None, help="Parquet of the test rows' scores")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()

    ensure_world(args.world)
    world = read_world(args.world)
    if world.meta.get("drift_day") is not None:
        raise SystemExit("this script handles worlds without drift only")
    test_from, test_to, train_to, metrics = demo_split(args.model)
    horizon = int(metrics["meta"]["horizon_days"])
    frame = pd.read_parquet(args.train_set)
    as_of = pd.to_datetime(frame["as_of"], utc=True)
    test = ((as_of >= test_from) & (as_of <= test_to)).to_numpy()
    flagged = frame["is_duplicate_contact"].fillna(False).to_numpy(bool) & ~junk_rows(frame)
    train_flagged = flagged & (as_of <= train_to).to_numpy()
    scope = test | train_flagged  # the filter is per lead; only these rows need a horizon probability
    rows = frame[scope].reset_index(drop=True)
    in_test, rows_flagged = test[scope], flagged[scope]
    y_all = rows["converted"].to_numpy(int)

    t0 = time.perf_counter()
    calibration = calibration_world(args.calibration_leads, args.calibration_seed)
    est = estimate(world, rows, FilterOptions(), calibration)
    raw = probability(world, est, rows, horizon)
    seconds_ceiling = time.perf_counter() - t0
    factor = duplicate_factor(y_all[~in_test], raw[~in_test], rows_flagged[~in_test])

    def finish(p: np.ndarray) -> np.ndarray:
        return np.where(rows_flagged, factor * p, p)[in_test]

    test_rows = rows[in_test].reset_index(drop=True)
    y = y_all[in_test]
    oracle = oracle_probability(world, test_rows[["lead_id", "as_of"]], horizon)
    model = LeadScorer.load(args.model).predict_proba(test_rows)[:, 1]
    scores = {"observable ceiling": finish(raw), "oracle": oracle, "demo model (re-scored)": model}
    if args.ablations:
        scores |= ablations(world, rows, est, calibration, horizon, finish)
    table = auc_table(y, scores, args.n_boot, args.seed)

    headline = metrics["headline"]["model"]["roc_auc"]
    print(
        f"world {args.world} ({len(world.leads):,} leads, seed {world.meta['config']['seed']}), horizon "
        f"{horizon} days; test rows: as_of {test_from.date()} … {test_to.date()} (models/demo metrics.json split)"
    )
    print(
        f"rows {len(y):,}, positives {int(y.sum()):,} (base rate {y.mean():.4f}); oracle NaN rows: "
        f"{int(np.isnan(oracle).sum())}; duplicate factor {factor:.3f} "
        f"({int(rows_flagged[~in_test].sum()):,} flagged training rows)"
    )
    print(f"ceiling computed in {seconds_ceiling:.1f} s; {args.n_boot} stratified bootstrap resamples, paired by row\n")
    print_table(table, "observable ceiling")
    print(
        f"\ndemo model in {args.model}/metrics.json: ROC AUC {headline['estimate']:.4f} "
        f"[{headline['low']:.4f}, {headline['high']:.4f}]"
    )
    gap = table.loc["demo model (re-scored)", "diff"]
    print(f"issue goal (model ≥ ceiling − 0.01): gap {gap:+.4f} → {'MET' if gap >= -0.01 else 'NOT MET'}")
    print(f"total {time.perf_counter() - started:.0f} s")

    if args.save_scores:
        out = test_rows[["lead_id", "as_of", "converted"]].assign(oracle=oracle, ceiling=scores["observable ceiling"])
        out.to_parquet(args.save_scores, index=False)
    result = {"rows": len(y), "positives": int(y.sum()), "duplicate_factor": factor,
              "test": [str(test_from), str(test_to)], "metrics_json_auc": headline,
              "table": table.reset_index().to_dict(orient="records")}  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
