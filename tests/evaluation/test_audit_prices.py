"""Pricing the audit's "too good" drops: strongest first, capped, paired, with the option that keeps each one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from predictive_leads.evaluation.audit_prices import keep_option, price_audit_drops, price_note
from predictive_leads.evaluation.leakage_audit import AUDIT_COLUMNS

N = 400


def _audit(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame([(c, f"{check} evidence", check, m, "drop") for c, check, m in rows], columns=AUDIT_COLUMNS)


def _data():
    rng = np.random.default_rng(3)
    y = (rng.random(N) < 0.3).astype(int)
    return y, y + rng.normal(0, 1.5, N), y + rng.normal(0, 0.3, N)  # outcomes, a weak model, a strong one


def test_keep_option_is_quoted_for_the_shell():
    assert keep_option("Tags") == "--keep Tags"
    assert keep_option("Lead Quality") == "--keep 'Lead Quality'"
    assert keep_option("rep's rating") == "--keep 'rep'\"'\"'s rating'"


def test_only_too_good_drops_are_priced_strongest_first_and_capped():
    y, weak, strong = _data()
    audit = _audit(("stage", "single_column_auc", 0.95), ("rating", "single_column_auc", 0.97),
                   ("filled_if_won", "missingness_predicts_label", 0.99), ("lead_number", "identifier", 1.0),
                   ("kept", "single_column_auc", 0.99), ("same", "constant", 1.0))  # fmt: skip
    asked: list[str] = []

    def fit_predict(column):
        asked.append(column)
        return strong

    dropped = ["stage", "rating", "filled_if_won", "lead_number", "same"]  # "kept" was kept by the user
    rows = price_audit_drops(audit, dropped, y, weak, fit_predict, max_priced=1, n_boot=50, seed=0)
    assert [r["column"] for r in rows] == ["rating", "stage"] and asked == ["rating"]
    priced, capped = rows
    assert priced["priced"] and priced["auc_with"] > priced["auc_without"] + 0.1
    d = priced["difference"]
    assert d["estimate"] == priced["auc_with"] - priced["auc_without"] and 0 < d["low"] < d["estimate"] < d["high"]
    assert priced["evidence"] == "single_column_auc evidence" and priced["audit_auc"] == 0.97
    assert priced["keep"] == "--keep rating" and price_note(priced).endswith("; to keep it: --keep rating")
    assert capped == {"column": "stage", "evidence": "single_column_auc evidence", "audit_auc": 0.95,
                      "keep": "--keep stage", "priced": False,
                      "note": "not priced: at most 1 drops are priced, strongest first"}  # fmt: skip


def test_the_same_seed_gives_the_same_interval():
    y, weak, strong = _data()
    audit = _audit(("stage", "single_column_auc", 0.95))
    first, again = (price_audit_drops(audit, ["stage"], y, weak, lambda _: strong, n_boot=50, seed=4) for _ in "ab")
    assert first == again


def test_switched_off_or_refused_drops_still_get_their_keep_option():
    y, weak, _ = _data()
    audit = _audit(("Lead Quality", "single_column_auc", 0.8))

    def refused(column):
        raise ValueError("the target has 1 class only")

    off = price_audit_drops(audit, ["Lead Quality"], y, weak, refused, max_priced=0)
    assert off[0]["note"] == "not priced: pricing is off" and off[0]["keep"] == "--keep 'Lead Quality'"
    failed = price_audit_drops(audit, ["Lead Quality"], y, weak, refused)
    assert not failed[0]["priced"] and failed[0]["note"] == "not priced: the target has 1 class only"
    assert price_audit_drops(audit.iloc[:0], [], y, weak, refused) == []
