"""How well the fit and engagement sub-scores recover the generator's latent fit and intent (the README's AUCs).

    python benchmarks/subscores_vs_truth.py [--n-leads 20000] [--seed 1]

Trains on the monthly snapshots before 2025-12 of a generated world and scores those from 2026-03 (out of time,
a gap longer than the 90-day horizon); prints the AUC of each score for high latent fit (above the median) and
for high latent intent (engaged or buying on the day before as_of), next to the model's own score.
"""

from __future__ import annotations

import argparse

import pandas as pd

from predictive_leads.features import build_training_set, feature_columns
from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.synth import generate_world
from predictive_leads.synth.latent import latent_state, recovery_aucs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-leads", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    world = generate_world(n_leads=args.n_leads, seed=args.seed)
    data = build_training_set(world.leads, world.events, world.conversions,
                              as_of=pd.date_range("2025-03-01", "2026-06-01", freq="MS", tz="UTC"),
                              observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    X = feature_columns(data)
    train, test = data[data["as_of"] < "2025-12-01"], data[data["as_of"] >= "2026-03-01"]
    model = LeadScorer(time_column="as_of").fit(train[[*X, "as_of"]], train["converted"])
    scored = model.score_frame(test[X])
    columns = {"fit score": "fit_score", "engagement score": "engagement_score", "model score": "score"}
    aucs = recovery_aucs(latent_state(world, test), {name: scored[col] for name, col in columns.items()})
    print(
        f"{args.n_leads:,} leads (seed {args.seed}); {len(test):,} test rows; "
        f"{len(model.families_['fit'])} fit and {len(model.families_['engagement'])} engagement features"
    )
    print(aucs.round(3).to_string())


if __name__ == "__main__":
    main()
