"""Any CRM, as it is: one generated world exported as Salesforce, HubSpot and an unfamiliar CRM goes through
init-spec (no edits) → validate → build-dataset → train → score like our own tables do, and scores as well."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from predictive_leads.data.spec import slug
from predictive_leads.jobs import data as data_jobs
from predictive_leads.jobs.score import score
from predictive_leads.jobs.spec import init_spec
from predictive_leads.jobs.train import train
from predictive_leads.synth.vendor_layouts import LAYOUTS, foreign_types, write_layout

pytestmark = pytest.mark.slow
SNAPSHOTS = {"every": "month", "start": "2025-03-01", "end": "2026-06-01", "horizon_days": 90}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("any-crm")
    generated = data_jobs.generate(folder / "native", n_leads=4000, seed=11)
    return folder, generated.world


def _through(folder, world, layout: str) -> dict:
    """The whole path for one layout: the folder, spec, training-set summary, metrics and scores."""
    data, spec = folder / layout, None
    if layout != "native":
        write_layout(LAYOUTS[layout](world), data)
        spec = init_spec(data, folder / f"{layout}.yaml").path
    checked = data_jobs.validate(data, spec)
    built = data_jobs.build_dataset(data, folder / f"{layout}.parquet", spec=spec,
                                    observed_until=world.meta["observed_until"], **SNAPSHOTS)  # fmt: skip
    model = folder / f"model-{layout}"
    trained = train(folder / f"{layout}.parquet", model, n_boot=50)
    run = score(model, folder / f"{layout}-scores.parquet", data=data, as_of="2026-07-01", scored_at="2026-07-01")
    return {"checked": checked, "built": built, "trained": trained, "run": run, "model": model,
            "metrics": json.loads((model / "metrics.json").read_text()),
            "scores": pd.read_parquet(folder / f"{layout}-scores.parquet")}  # fmt: skip


@pytest.fixture(scope="module")
def through(world):
    """Each layout's run, done once for the module."""
    done: dict[str, dict] = {}

    def get(layout: str) -> dict:
        if layout not in done:
            done[layout] = _through(*world, layout)
        return done[layout]

    return get


@pytest.mark.parametrize("layout", ["salesforce", "hubspot", "foreign"])
def test_a_vendor_export_scores_like_our_own_tables(through, layout):
    done, native = through(layout), through("native")
    auc = done["metrics"]["headline"]["model"]["roc_auc"]["estimate"]
    native_auc = native["metrics"]["headline"]["model"]["roc_auc"]["estimate"]
    # the same world read through its drafted spec: the goal is 0.005, measured on 20k leads by
    # benchmarks/any_crm.py (+0.0029 to +0.0049); a 4k world's single split is noisier, so this guards regressions
    assert abs(auc - native_auc) < 0.03, (layout, auc, native_auc)
    summary = done["built"].summary
    assert summary.rows == native["built"].summary.rows and summary.positives == native["built"].summary.positives
    raw_columns = {(t, c) for t in done["checked"].columns["table"].unique()
                   for c in done["checked"].columns.loc[done["checked"].columns["table"] == t, "column"]}  # fmt: skip
    assert {(c["table"], c["column"]) for c in summary.columns} == raw_columns  # every column read is reported
    assert (done["model"] / "dataset.json").exists()
    run = done["run"].summary
    assert run.rows_in == run.scored + run.rejected == len(done["scores"])


def test_reasons_speak_the_users_vocabulary(through):
    done = through("foreign")
    from predictive_leads.explain import feature_text
    from predictive_leads.serving.registry import load_scorer

    made_up = {slug(name) for name in foreign_types(0).values()}
    vocabulary = load_scorer(done["model"]).event_vocabulary_
    assert made_up <= set(vocabulary["event_types"])  # the user's own types, learned from the data
    name = sorted(made_up)[0]
    assert feature_text(f"{name}_30d", vocabulary).sentence(3) == f"3 × {name.replace('_', ' ')} in the last 30 days"
    said = " ".join(done["scores"]["reasons_json"].dropna())
    assert any(n.replace("_", " ") in said for n in made_up)  # batch reasons name them too, not column names
    assert "account_score" in done["scores"] and done["run"].accounts.exists()  # the foreign CRM has accounts
    accounts = pd.read_parquet(done["run"].accounts)
    assert accounts["account_id"].is_unique and accounts["score"].between(1, 100).all()
