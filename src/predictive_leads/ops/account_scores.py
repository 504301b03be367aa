"""Account scores for a scoring frame: each account's probability of producing a conversion within the horizon,
its score, grade and reasons, and the same figures joined onto its leads for the batch output."""

from __future__ import annotations

import pandas as pd

from predictive_leads.features.account_rows import ACCOUNT_KEY, KEYS, account_rows


def account_scores(scorer, frame: pd.DataFrame, top_k: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per lead id: account_id, account_probability, account_score; per account: its keys, scores and ``top_k``
    reasons) for the leads of ``frame`` that belong to an account, scored by the account model ``scorer``."""
    from predictive_leads.explain import scored_with_reasons

    rows = account_rows(frame)
    scored = scored_with_reasons(scorer, rows, top_k) if top_k else scorer.score_frame(rows)
    table = pd.concat([rows[KEYS].reset_index(drop=True), scored.reset_index(drop=True)], axis=1)
    leads = frame.loc[frame[ACCOUNT_KEY].notna(), ["lead_id", *KEYS]].astype({"lead_id": str})
    joined = leads.merge(table[[*KEYS, "probability", "score"]], on=KEYS, how="left")
    by_lead = joined.rename(columns={"probability": "account_probability", "score": "account_score"})
    by_lead = by_lead.drop_duplicates("lead_id", keep="last").set_index("lead_id")
    return by_lead[[ACCOUNT_KEY, "account_probability", "account_score"]], table
