"""What the generator knows and no model sees: each lead's latent fit and intent at a date, and how well a score
recovers them (for measuring the fit and engagement sub-scores; never a feature)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from predictive_leads.synth import intent

HIGH_INTENT = ("engaged", "buying")


def latent_state(world, spine: pd.DataFrame) -> pd.DataFrame:
    """Per ``spine`` row (``lead_id``, ``as_of``): the lead's latent ``fit`` (after the world's drift when the date
    is past it) and ``intent_state`` on the day before ``as_of`` (dormant, researching, engaged or buying)."""
    truth = world.truth
    lead = pd.Index(truth["lead_id"].astype(str)).get_indexer(spine["lead_id"].astype(str))
    if (lead < 0).any():
        raise ValueError(f"spine has {int((lead < 0).sum())} lead_ids that are not in the world")
    start = pd.Timestamp(world.meta["start"])
    as_of = pd.to_datetime(spine["as_of"], utc=True)
    day = np.ceil((as_of - start) / pd.Timedelta(days=1)).to_numpy(float).astype(np.int64) - 1
    seg = intent.Segments.from_lists(truth["intent_start"], truth["intent_state"])
    state = seg.state[seg.locate(lead, day)]
    drift = world.meta.get("drift_day")
    after = day >= drift if drift is not None else np.zeros(len(day), dtype=bool)
    fit = np.where(after, truth["fit_after_drift"].to_numpy(float)[lead], truth["fit"].to_numpy(float)[lead])
    return pd.DataFrame({"fit": fit, "intent_state": np.asarray(intent.STATE_NAMES)[state]}, index=spine.index)


def recovery_aucs(latent: pd.DataFrame, scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """AUC of each score for high latent fit (above the median) and for high intent (engaged or buying)."""
    from sklearn.metrics import roc_auc_score

    targets = {"high fit": latent["fit"].to_numpy() > np.median(latent["fit"]),
               "high intent": latent["intent_state"].isin(HIGH_INTENT).to_numpy()}  # fmt: skip
    return pd.DataFrame({name: {target: roc_auc_score(y, np.asarray(s, dtype=float)) for target, y in targets.items()}
                         for name, s in scores.items()}).T  # fmt: skip
