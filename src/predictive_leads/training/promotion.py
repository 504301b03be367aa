"""The promotion gate: does a challenger replace the champion? Judged on the same later, labelled rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass
class Gate:
    """A challenger replaces the champion only if, on the same rows later than both models' training data, its
    AUC is at most ``max_auc_drop`` below the champion's and its ECE at most ``max_ece_increase`` above it.
    With ``must_beat`` (retraining) it must also be better: its AUC higher than the champion's in at least
    ``confidence`` of ``n_boot`` paired bootstrap resamples of those rows. Fewer than ``min_positives``
    conversions in those rows: no judgement (refused, with the reason)."""

    max_auc_drop: float = 0.005
    max_ece_increase: float = 0.005
    min_positives: int = 30
    must_beat: bool = False
    confidence: float = 0.95
    n_boot: int = 200


@dataclass
class Promotion:
    promoted: bool
    reason: str
    challenger: dict
    champion: dict | None
    rows: int

    def to_dict(self) -> dict:
        return asdict(self)


def later_than_training(frame: pd.DataFrame, scorers) -> pd.DataFrame:
    """Rows after the last ``as_of`` any of the models was fitted or calibrated on (all rows without ``as_of``)."""
    if "as_of" not in frame:
        return frame
    ends = [end for end in (s.trained_until() for s in scorers) if end is not None]
    if not ends:
        return frame
    later = frame[pd.to_datetime(frame["as_of"], utc=True) > max(ends)]
    if later.empty:
        raise ValueError(f"no evaluation rows after {max(ends).date()}, the last date the models were trained on: "
                         "give later, labelled rows (out of time)")  # fmt: skip
    return later


def judge(challenger, champion, frame: pd.DataFrame, *, target: str = "converted", gate: Gate | None = None,
          versions: tuple[str | None, str | None] = (None, None)) -> Promotion:  # fmt: skip
    """Measure both models on ``frame``'s rows later than both trainings and apply the gate (no champion: pass)."""
    from predictive_leads.evaluation.metrics import classification_metrics

    gate = gate or Gate()
    models = {"challenger": challenger} | ({"champion": champion} if champion is not None else {})
    rows = later_than_training(frame, models.values())
    if target not in rows:
        raise ValueError(f"no target column {target!r} in the evaluation data")
    y = rows[target].to_numpy().astype(int)
    both_classes = len(np.unique(y)) == 2
    p = {name: model.predict_proba(rows)[:, 1] for name, model in models.items()}
    measured = {}
    for name, version in zip(models, versions, strict=False):
        m = classification_metrics(y, p[name]) if both_classes else {"roc_auc": np.nan, "ece": np.nan,
                                                                     "brier": np.nan}  # fmt: skip
        measured[name] = {"version": version, "roc_auc": m["roc_auc"], "ece": m["ece"], "brier": m["brier"]}
    if gate.must_beat and champion is not None and both_classes:
        measured["challenger"]["share_better"] = _share_better(y, p, gate)
    promoted, reason = _decide(measured.get("champion"), measured["challenger"], gate, int(y.sum()))
    return Promotion(promoted, reason, measured["challenger"], measured.get("champion"), len(rows))


def _share_better(y: np.ndarray, p: dict[str, np.ndarray], gate: Gate) -> float:
    """Share of paired bootstrap resamples in which the challenger's AUC is above the champion's."""
    from predictive_leads.evaluation.metrics import compare

    scores = {name: p[name] for name in ("challenger", "champion")}
    return float(compare(y, scores, n_boot=gate.n_boot, top=()).iloc[1]["share_first_better"])


def _decide(champion: dict | None, challenger: dict, gate: Gate, positives: int) -> tuple[bool, str]:
    if champion is None:
        return True, "first model: no champion to compare with"
    if positives < gate.min_positives:
        return False, (f"refused: only {positives} conversions in the evaluation rows (< {gate.min_positives}); "
                       "too few to judge")  # fmt: skip
    problems = []
    if challenger["roc_auc"] < champion["roc_auc"] - gate.max_auc_drop:
        problems.append(f"AUC {challenger['roc_auc']:.4f} < champion {champion['roc_auc']:.4f} − "
                        f"{gate.max_auc_drop:g}")  # fmt: skip
    if challenger["ece"] > champion["ece"] + gate.max_ece_increase:
        problems.append(f"ECE {challenger['ece']:.4f} > champion {champion['ece']:.4f} + {gate.max_ece_increase:g}")
    share = challenger.get("share_better")
    if gate.must_beat and share is not None and share < gate.confidence:
        problems.append(f"not better: AUC {challenger['roc_auc']:.4f} vs champion {champion['roc_auc']:.4f}, higher "
                        f"in {share:.0%} of paired resamples (needs {gate.confidence:.0%})")  # fmt: skip
    if problems:
        return False, "refused: " + "; ".join(problems)
    better = "" if share is None else f", higher in {share:.0%} of paired resamples"
    return True, (f"passed: AUC {challenger['roc_auc']:.4f} vs champion {champion['roc_auc']:.4f}{better}, "
                  f"ECE {challenger['ece']:.4f} vs {champion['ece']:.4f}")  # fmt: skip
