"""Any CRM, as it is: one generated world, read natively and as vendor exports, should score the same.

The world is written in our own tables and reshaped into a Salesforce-style, a HubSpot-style and an unfamiliar
("foreign") export. Each export goes the way a new user's data does — ``init-spec`` drafts the spec (used as
drafted: no edits), ``build-dataset`` builds the same monthly snapshots, ``train`` fits and evaluates out of time —
and the out-of-time AUC is printed beside the native path's, with the seconds each step took. This is a benchmark,
not a test: it asserts nothing (``tests/jobs/test_any_crm.py`` checks a small world).

    .venv/bin/python benchmarks/any_crm.py --n-leads 20000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

SNAPSHOTS = {"every": "month", "start": "2025-03-01", "end": "2026-06-01", "horizon_days": 90}


def run(n_leads: int, seed: int, layouts: list[str], folder: Path) -> list[dict]:
    from predictive_leads.jobs.data import build_dataset, generate
    from predictive_leads.jobs.spec import init_spec
    from predictive_leads.jobs.train import train

    world = generate(folder / "native", n_leads=n_leads, seed=seed).world
    end = world.meta["observed_until"]
    rows = []
    for layout in ["native", *layouts]:
        data, spec, t0 = folder / layout, None, time.perf_counter()
        if layout != "native":
            from predictive_leads.synth.vendor_layouts import LAYOUTS, write_layout

            write_layout(LAYOUTS[layout](world), data)
            spec = init_spec(data, folder / f"{layout}.yaml").path
        t1 = time.perf_counter()
        built = build_dataset(data, folder / f"{layout}.parquet", spec=spec, observed_until=end, **SNAPSHOTS)
        t2 = time.perf_counter()
        trained = train(folder / f"{layout}.parquet", folder / f"model-{layout}", n_boot=200)
        t3 = time.perf_counter()
        metrics = json.loads((folder / f"model-{layout}" / "metrics.json").read_text())
        auc = metrics["headline"]["model"]["roc_auc"]
        account = trained.result.account
        rows.append(
            {
                "layout": layout,
                "rows": built.summary.rows,
                "positives": built.summary.positives,
                "features": built.columns,
                "auc": auc,
                "spec_s": t1 - t0,
                "build_s": t2 - t1,
                "train_s": t3 - t2,
                "account_auc": account.evaluation["headline"]["model"]["roc_auc"] if account else None,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-leads", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--layouts", default="salesforce,hubspot,foreign")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="any-crm-") as tmp:
        rows = run(args.n_leads, args.seed, args.layouts.split(","), Path(tmp))
    native = rows[0]["auc"]["estimate"]
    print(f"\nany CRM: {args.n_leads:,} leads, seed {args.seed}, monthly 2025-03..2026-06, 90-day horizon")
    print(
        f"{'layout':<12}{'rows':>9}{'pos':>7}{'cols':>6}  {'AUC out of time':<24}{'vs native':>10}"
        f"{'spec s':>8}{'build s':>8}{'train s':>8}  account AUC"
    )
    for r in rows:
        a = r["auc"]
        acc = r["account_auc"]
        acc_text = f"{acc['estimate']:.3f} [{acc['low']:.3f}, {acc['high']:.3f}]" if acc else "-"
        print(
            f"{r['layout']:<12}{r['rows']:>9,}{r['positives']:>7,}{r['features']:>6}  "
            f"{a['estimate']:.3f} [{a['low']:.3f}, {a['high']:.3f}]  {a['estimate'] - native:>+10.4f}"
            f"{r['spec_s']:>8.1f}{r['build_s']:>8.1f}{r['train_s']:>8.1f}  {acc_text}"
        )


if __name__ == "__main__":
    main()
