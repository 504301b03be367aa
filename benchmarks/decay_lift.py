"""Do exponentially decayed event counts lift the demo model? Out-of-time AUC per set of half-lives.

For each set of half-lives (default: none, [7], [7, 30], [3, 14, 60]) it builds the demo's training set with the
CLI, exactly as ``make demo`` does but with a feature config that sets ``half_lives_days`` (``--config``), trains
it with ``predictive-leads train`` (no MLflow), and reads the out-of-time AUC and its interval from the model
folder's ``metrics.json``. The models' ``metrics.json`` compare each model with the rule presets only, so the
paired difference to the model without decayed counts is computed here: every model re-scores the test rows
of its own training set (``LeadScorer.load``), rows are matched on (lead_id, as_of), and
``evaluation.metrics.compare`` bootstraps all models on the same outcome-stratified resamples.

With ``--ceiling`` (the ``--save-scores`` file of ``observable_ceiling.py``) the same resamples also give each
model's gap to the observable ceiling, paired by row: the issue's goal is a gap ≥ −0.01.

It also prints what each set costs: extra feature columns, build and train wall seconds (the machine's other
load included), and the training set's size on disk. Everything it writes goes under ``--work`` (a folder in
the system's temporary directory by default), never into the repository.

    .venv/bin/python benchmarks/decay_lift.py                     # 4 builds + 4 trainings: ~11 min on 2 cores
    .venv/bin/python benchmarks/decay_lift.py --ceiling /tmp/ceiling_scores.parquet --reuse
    .venv/bin/python benchmarks/decay_lift.py --sets "none;7;7,30;3,14,60;1,7,30,90"
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from predictive_leads.evaluation.metrics import compare
from predictive_leads.models.lead_scorer import LeadScorer

WORLD = Path("data/raw/demo")
DEFAULT_SETS = "none;7;7,30;3,14,60"
SNAPSHOTS = ("--every", "month", "--from", "2025-03-01", "--to", "2026-06-01", "--horizon-days", "90")
KEYS = ["lead_id", "as_of"]


@dataclass
class Run:
    """One set of half-lives: its files, what it cost, and its out-of-time figures."""

    half_lives: tuple[float, ...]
    dataset: Path
    model: Path
    build_seconds: float = float("nan")
    train_seconds: float = float("nan")
    columns: int = 0
    metrics: dict | None = None

    @property
    def label(self) -> str:
        return "none" if not self.half_lives else "[" + ", ".join(f"{h:g}" for h in self.half_lives) + "]"


def parse_sets(text: str) -> list[tuple[float, ...]]:
    """``"none;7;7,30"`` → [(), (7.0,), (7.0, 30.0)]."""
    out = []
    for part in text.split(";"):
        part = part.strip()
        out.append(() if part in ("", "none") else tuple(float(h) for h in part.split(",")))
    return out


def cli() -> str:
    """The project's command next to this interpreter (the virtualenv's)."""
    return str(Path(sys.executable).with_name("predictive-leads"))


def timed(command: list[str], log: Path) -> float:
    """Run ``command`` with its output in ``log``; its wall seconds (an error shows the log's tail)."""
    started = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}\n{log.read_text()[-3000:]}")
    return time.perf_counter() - started


def build_and_train(run: Run, world: Path, work: Path, reuse: bool) -> None:
    """Build the training set and train the model of ``run`` (or, with ``reuse``, keep existing ones)."""
    config = work / f"features-{run.label.strip('[]').replace(', ', '-') or 'none'}.yaml"
    config.write_text(yaml.safe_dump({"half_lives_days": list(run.half_lives)}))
    if not (reuse and run.dataset.exists()):
        command = [cli(), "build-dataset", "--data", str(world), *SNAPSHOTS, "--config", str(config)]
        run.build_seconds = timed([*command, "--out", str(run.dataset)], run.dataset.with_suffix(".log"))
    if not (reuse and (run.model / "metrics.json").exists()):
        command = [cli(), "train", "--data", str(run.dataset), "--out", str(run.model)]
        run.train_seconds = timed(command, run.model.with_suffix(".log"))
    run.metrics = json.loads((run.model / "metrics.json").read_text())


def test_predictions(run: Run) -> pd.DataFrame:
    """The model's probability for each test row of its own training set (keys, outcome, probability)."""
    frame = pd.read_parquet(run.dataset)
    run.columns = frame.shape[1]
    split = run.metrics["meta"]["split"]
    as_of = pd.to_datetime(frame["as_of"], utc=True)
    test = frame[(as_of >= pd.Timestamp(split["test"][0])) & (as_of <= pd.Timestamp(split["test"][1]))]
    p = LeadScorer.load(run.model).predict_proba(test)[:, 1]
    return test[[*KEYS, "converted"]].assign(p=p).reset_index(drop=True)


def paired(runs: list[Run], scores: list[pd.DataFrame], ceiling: pd.DataFrame | None, n_boot: int, seed: int):
    """AUC per model re-scored, the paired difference to the first (no decay) and to the ceiling when given."""
    merged = scores[0][[*KEYS, "converted"]]
    for run, s in zip(runs, scores, strict=True):
        merged = merged.merge(s[[*KEYS, "p"]].rename(columns={"p": run.label}), on=KEYS, how="inner")
    if ceiling is not None:
        ceiling = ceiling.assign(as_of=pd.to_datetime(ceiling["as_of"], utc=True))
        merged = merged.merge(ceiling[[*KEYS, "ceiling"]], on=KEYS, how="inner")
    y = merged["converted"].to_numpy(int)
    labels = [r.label for r in runs]
    table = compare(y, {name: merged[name].to_numpy() for name in labels}, n_boot=n_boot, seed=seed)
    table = table.set_index("scorer")
    out = pd.DataFrame({
        "auc": table["roc_auc"],
        "diff": -table["auc_diff"], "diff_low": -table["auc_diff_high"], "diff_high": -table["auc_diff_low"],
    })  # fmt: skip
    if ceiling is not None:
        scores_c = {"ceiling": merged["ceiling"].to_numpy()} | {n: merged[n].to_numpy() for n in labels}
        gap = compare(y, scores_c, n_boot=n_boot, seed=seed).set_index("scorer")
        out.attrs["ceiling_auc"] = float(gap.loc["ceiling", "roc_auc"])
        gap = gap.loc[labels]
        out["gap"], out["gap_low"], out["gap_high"] = -gap["auc_diff"], -gap["auc_diff_high"], -gap["auc_diff_low"]
    out.attrs["rows"], out.attrs["positives"] = len(y), int(y.sum())
    return out


def print_report(runs: list[Run], table: pd.DataFrame, ceiling_auc: float | None) -> None:
    """The cost table and the AUC table, as Markdown."""
    base = runs[0].columns
    print("| half-lives (days) | feature columns | extra | build s | train s | training set MiB |")
    print("|---|---|---|---|---|---|")
    for r in runs:
        size = r.dataset.stat().st_size / 2**20
        print(f"| {r.label} | {r.columns} | {r.columns - base:+d} | {r.build_seconds:.0f} | {r.train_seconds:.0f} "
              f"| {size:.1f} |")  # fmt: skip
    first, last = (t[:10] for t in runs[0].metrics["meta"]["split"]["test"])
    print(f"\nout of time: {table.attrs['rows']:,} test rows, {table.attrs['positives']:,} positives "
          f"(as_of {first} … {last})")  # fmt: skip
    gap_head = " | Δ vs ceiling (paired) [95 % CI]" if "gap" in table else ""
    print(f"\n| half-lives | ROC AUC (metrics.json) [95 % CI] | re-scored | Δ vs none (paired) [95 % CI]{gap_head} |")
    print("|---|---|---|---|" + ("---|" if gap_head else ""))
    for r in runs:
        head = r.metrics["headline"]["model"]["roc_auc"]
        row = table.loc[r.label]
        diff = "—" if r is runs[0] else f"{row['diff']:+.4f} [{row['diff_low']:+.4f}, {row['diff_high']:+.4f}]"
        gap = f" | {row['gap']:+.4f} [{row['gap_low']:+.4f}, {row['gap_high']:+.4f}]" if gap_head else ""
        print(f"| {r.label} | {head['estimate']:.4f} [{head['low']:.4f}, {head['high']:.4f}] | {row['auc']:.4f} "
              f"| {diff}{gap} |")  # fmt: skip
    if ceiling_auc is not None:
        print(f"\nobservable ceiling on these rows: ROC AUC {ceiling_auc:.4f}; goal: Δ vs ceiling ≥ −0.01")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=WORLD, help="the world (make demo's)")
    parser.add_argument("--sets", default=DEFAULT_SETS, help="half-life sets, ';'-separated, e.g. 'none;7;7,30'")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "predictive-leads-decay-lift")
    parser.add_argument("--ceiling", type=Path, default=None, help="observable_ceiling.py --save-scores file")
    parser.add_argument("--reuse", action="store_true", help="keep training sets and models already in --work")
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if not (args.data / "manifest.json").exists():
        raise SystemExit(f"{args.data}: no world; run `make demo` (or observable_ceiling.py, which generates it)")
    args.work.mkdir(parents=True, exist_ok=True)
    runs = []
    for half_lives in parse_sets(args.sets):
        run = Run(half_lives, args.work / f"train-{len(runs)}.parquet", args.work / f"model-{len(runs)}")
        print(f"== {run.label}: build and train", flush=True)
        build_and_train(run, args.data, args.work, args.reuse)
        runs.append(run)
    scores = [test_predictions(r) for r in runs]
    ceiling = pd.read_parquet(args.ceiling) if args.ceiling else None
    table = paired(runs, scores, ceiling, args.n_boot, args.seed)
    print()
    print_report(runs, table, table.attrs.get("ceiling_auc"))
    result = {"runs": [{"half_lives": list(r.half_lives), "columns": r.columns, "build_seconds": r.build_seconds,
                        "train_seconds": r.train_seconds, "auc": r.metrics["headline"]["model"]["roc_auc"]}
                       for r in runs], "paired": table.reset_index().to_dict(orient="records")}  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
