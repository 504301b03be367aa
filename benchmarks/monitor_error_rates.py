"""How often does ``monitor`` cry wolf, and how fast does it see a real change? Error rates by simulation.

Each run generates a world (``generate_world``: 730 days from 2024-09-01; ``--drift`` worlds change what
drives conversion on 2025-12-19), builds monthly snapshots 2024-10 … 2026-08 with the feature pipeline (90-day
horizon), trains the model as ``train`` does (``train_model`` on the snapshots before 2025-09-01: audit,
out-of-time split, calibration, reference profile; forced where the cold-start ladder would refuse a small
world, with ``min_positives=20`` for the model's internal slices, and the ladder's level is recorded) and then
monitors it on the first of every month from 2025-11 to 2026-06, as a nightly job would: the latest snapshot
is checked for drift, every earlier snapshot
whose horizon has passed is judged for outcomes (the input ``monitor --data training-set.parquet`` uses).

Per check it records the verdict of the rule ``monitor`` uses (Bonferroni-controlled tests, see
``monitoring.monitor.verdict``) and, on the same tables, the **point-estimate rule** a team writes first and
``monitor`` used before: retrain when a driver's PSI > 0.25, a cohort's AUC is more than 0.05 below the first
mature cohort's, or a cohort's ECE > 0.03. It prints:

* **false alarms**: ``retrain`` on worlds without drift — the share of checks, and the share of worlds with
  at least one ``retrain`` in their eight checks; checks before the drift date of drift worlds are counted
  apart;
* **detection**: on drift worlds, the share whose first ``retrain`` after the drift date comes within the first
  two monthly checks after it (2026-01-01, 2026-02-01: only input drift can show by then), the share by the
  check at which the second monthly cohort after the drift has matured (2026-06-01: outcome evidence), and the
  delay in checks.

Runs are written as JSON lines to ``--out`` as they finish; a rerun skips the runs already there (resumable).

    .venv/bin/python benchmarks/monitor_error_rates.py                 # 2 × 20 runs, 5k–50k leads: ~60 min
    .venv/bin/python benchmarks/monitor_error_rates.py --sizes 5000:2  # quick look: ~3 min

It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

SNAPSHOTS = pd.date_range("2024-10-01", "2026-08-01", freq="MS", tz="UTC")
TRAIN_BEFORE = pd.Timestamp("2025-09-01", tz="UTC")
CHECKS = pd.date_range("2025-11-01", "2026-06-01", freq="MS", tz="UTC")
HORIZON_DAYS = 90
MIN_POSITIVES = 20  # LeadScorer's floor for its internal slices (default 50): the smallest worlds need it
DETECT_WITHIN = 2  # monthly checks after the drift date


def one_run(n_leads: int, seed: int, drift: bool, n_boot: int) -> dict:
    """Generate, build, train and monitor one world; the verdict of every monthly check under both rules."""
    from predictive_leads.features import build_training_set
    from predictive_leads.monitoring.monitor import run_monitor
    from predictive_leads.synth import generate_world
    from predictive_leads.training.workflow import train_model

    started = time.perf_counter()
    world = generate_world(n_leads=n_leads, seed=seed, drift=drift)
    frame = build_training_set(world.leads, world.events, world.conversions, as_of=SNAPSHOTS,
                               observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    history = frame[frame["as_of"] < TRAIN_BEFORE]
    trained = train_model(history, report=False, learned_scorecard=False, n_boot=20, force=True,
                          scorer_params={"min_positives": MIN_POSITIVES})  # fmt: skip
    checks = []
    for when in CHECKS:
        known = frame[frame["as_of"] <= when]
        current = known[known["as_of"] == known["as_of"].max()]
        result = run_monitor(trained.model, trained.profile, current, known, as_of=when, n_boot=n_boot)
        checks.append({"as_of": str(when.date()), "status": result.verdict.status,
                       "point_rule": point_estimate_rule(result), "reasons": result.verdict.reasons})  # fmt: skip
    return {"n_leads": n_leads, "seed": seed, "drift": drift, "drift_date": world.meta.get("drift_date"),
            "cold_start": trained.meta["cold_start"]["level"], "seconds": round(time.perf_counter() - started, 1),
            "checks": checks}  # fmt: skip


def point_estimate_rule(result) -> str:
    """The rule on point estimates alone (no intervals, no multiple-test control): retrain or ok."""
    drift = result.drift
    drifted = bool(((drift["psi"] > 0.25) & drift["driver"]).any())
    cohorts = result.cohorts
    if "auc" in cohorts:
        judged = cohorts[cohorts["positives"] >= 20].dropna(subset=["auc"])
        lost = len(judged) > 1 and bool((judged["auc"].iloc[1:] < judged["auc"].iloc[0] - 0.05).any())
        drifted = drifted or lost or bool((judged["ece"] > 0.03).any())
    return "retrain" if drifted else "ok"


def summarise(runs: list[dict]) -> pd.DataFrame:
    """Per world kind and size: false-alarm rates (per check, per world) and detection within two checks."""
    rows = []
    for run in runs:
        drift_at = pd.Timestamp(run["drift_date"]) if run["drift_date"] else None
        for rule in ("status", "point_rule"):
            calm = [c for c in run["checks"] if drift_at is None or pd.Timestamp(c["as_of"], tz="UTC") <= drift_at]
            after = [c for c in run["checks"] if drift_at is not None and pd.Timestamp(c["as_of"], tz="UTC") > drift_at]
            alarms = [c[rule] == "retrain" for c in calm]
            first = next((i + 1 for i, c in enumerate(after) if c[rule] == "retrain"), None)
            by_cohorts = (
                None
                if drift_at is None
                else first is not None and after[first - 1]["as_of"] <= str(second_cohort_matured(drift_at).date())
            )
            rows.append({"world": "drift" if run["drift"] else "no drift", "n_leads": run["n_leads"],
                         "rule": "monitor" if rule == "status" else "point estimates", "calm_checks": len(alarms),
                         "false_alarms": sum(alarms), "world_alarmed": any(alarms),
                         "detected": None if drift_at is None else first is not None and first <= DETECT_WITHIN,
                         "detected_by_cohorts": by_cohorts,
                         "delay": first, "seconds": run["seconds"]})  # fmt: skip
    return pd.DataFrame(rows)


def second_cohort_matured(drift_at: pd.Timestamp) -> pd.Timestamp:
    """The first check at which the second monthly snapshot after the drift date has a mature label window."""
    second = [s for s in SNAPSHOTS if s > drift_at][1]
    return next(c for c in CHECKS if c - second >= pd.Timedelta(days=HORIZON_DAYS))


def report(table: pd.DataFrame) -> str:
    lines = []
    for (rule, world), part in table.groupby(["rule", "world"], sort=False):
        checks, alarms = part["calm_checks"].sum(), part["false_alarms"].sum()
        line = (f"{rule:>16} | {world:>8} | {len(part):3d} worlds | false alarms {alarms}/{checks} checks "
                f"({alarms / max(checks, 1):.1%}), {part['world_alarmed'].sum()}/{len(part)} worlds "
                f"({part['world_alarmed'].mean():.0%})")  # fmt: skip
        if world == "drift":
            delays = part["delay"].dropna()
            line += (f" | detected within {DETECT_WITHIN} checks {part['detected'].sum()}/{len(part)} "
                     f"({part['detected'].mean():.0%}), once 2 post-drift cohorts matured "
                     f"{part['detected_by_cohorts'].sum()}/{len(part)} ({part['detected_by_cohorts'].mean():.0%}), "
                     f"median delay {delays.median():.0f} checks, never {part['delay'].isna().sum()}")  # fmt: skip
        lines.append(line)
    by_size = table[table["rule"] == "monitor"].groupby(["world", "n_leads"])
    lines.append("per size (monitor rule): " + "; ".join(
        f"{world} {n:,}: {g['false_alarms'].sum()}/{g['calm_checks'].sum()} false alarms"
        + (f", detected {g['detected'].sum()}/{len(g)} within {DETECT_WITHIN} checks, "
           f"{g['detected_by_cohorts'].sum()}/{len(g)} once 2 cohorts matured" if world == "drift" else "")
        for (world, n), g in by_size))  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000:6,10000:6,20000:5,50000:3",
                        help="comma-separated world sizes (leads), each optionally with :seeds")  # fmt: skip
    parser.add_argument("--seeds", type=int, default=5, help="seeds per size and world kind where a size has none")
    parser.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples per cohort (monitor's default)")
    parser.add_argument("--out", type=Path, default=Path("monitor_error_rates.jsonl"), help="JSON lines, resumable")
    args = parser.parse_args()
    done = [json.loads(line) for line in args.out.read_text().splitlines()] if args.out.exists() else []
    seen = {(r["n_leads"], r["seed"], r["drift"]) for r in done}
    started = time.perf_counter()
    for size in args.sizes.split(","):
        n_leads, _, seeds = size.partition(":")
        n_leads = int(n_leads)
        for seed in range(int(seeds or args.seeds)):
            for drift in (False, True):
                if (n_leads, seed, drift) in seen:
                    continue
                run = one_run(n_leads, seed, drift, args.n_boot)
                with args.out.open("a") as f:
                    f.write(json.dumps(run) + "\n")
                done.append(run)
                statuses = " ".join(c["status"][0] for c in run["checks"])
                print(f"{n_leads:>6} seed {seed} {'drift' if drift else 'none ':>5}: {statuses}  "
                      f"({run['seconds']:.0f} s)", flush=True)  # fmt: skip
    print(report(summarise(done)))
    print(f"wall {time.perf_counter() - started:.0f} s for the runs not already in {args.out.name}")


if __name__ == "__main__":
    main()
