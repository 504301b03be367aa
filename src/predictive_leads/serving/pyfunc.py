"""The MLflow pyfunc face of a saved ``LeadScorer``: lead rows in, scores, stage, sub-scores, reasons and the rule
score out.

MLflow loads it by module (``loader_module``), not by unpickling: the model's data folder holds only
LightGBM's text model and JSON (``model.txt``, ``scorer.json``, ``pyfunc.json``), and the package travels with
the model as code. :func:`signature_of` and :func:`input_example_of` derive the signature and a synthetic input
example from the scorer itself, so they cannot disagree with what it scores.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd

from predictive_leads.explain.reasons import DEFAULT_TOP_K, REASON_CONTEXT, scored_columns, scored_with_reasons
from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.models.saved_files import read_json
from predictive_leads.monitoring.profile import PROFILE_FILE

CONFIG_FILE = "pyfunc.json"
RULES_FILE = "rules.yaml"


class LeadScoringPyfunc:
    """What ``mlflow.pyfunc.load_model`` returns inside the wrapper: scores and explains a frame of leads."""

    def __init__(self, scorer: LeadScorer, top_k: int = DEFAULT_TOP_K, rules=None):
        self.scorer = scorer
        self.top_k = top_k
        self.rules = rules  # a fitted RuleScorer scored beside the model, or None

    def predict(self, model_input, params=None) -> pd.DataFrame:
        """One row out per row in (:func:`served_columns`): a row that breaks the validity contract batch scoring
        applies (the same check) is not scored — stage ``rejected``, score 0, no probability, and ``rejected``
        naming the column and the problem, never the value — so one bad lead never fails a request or a Spark job."""
        from predictive_leads.ops.batch import check_rows

        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        missing = [c for c in self.scorer.feature_names_in_ if c not in frame.columns]
        if missing:
            raise _bad_request(f"input lacks feature column(s): {', '.join(missing[:10])}")
        frame = frame.reset_index(drop=True)
        _typed, problem = check_rows(frame, self.scorer)
        ok = (problem == "").to_numpy()
        good = _missing_as_none(frame[ok], self.scorer)
        scored = scored_with_reasons(self.scorer, good, self.top_k)
        if self.rules is not None:
            scored["rule_score"] = self.rules.predict_score(good)
        out = scored.reindex(frame.index).fillna({c: "" for c in scored.columns if c not in NUMBERS})
        out.loc[~ok, ["stage", "heat", "reasons_json"]] = ["rejected", "rejected", "[]"]
        out = out.assign(score=out["score"].fillna(0), rejected=problem.to_numpy())
        return out.astype({"score": "int64"} | {c: "string" for c in out.columns if c not in NUMBERS})


NUMBERS = ("probability", "score", "points", "fit_score", "engagement_score", "rule_score")
REJECTED = {"rejected": "string"}
"""The pyfunc's column beside the batch output's: why a row was not scored (``""`` when it was)."""


def served_columns(top_k: int = DEFAULT_TOP_K, *, rules: bool = False) -> dict[str, str]:
    """The pyfunc's output columns and their types: :func:`scored_columns`, [``rule_score``] and ``rejected``."""
    return scored_columns(top_k) | ({"rule_score": "double"} if rules else {}) | REJECTED


@functools.cache
def _refused_class() -> type:
    from mlflow.exceptions import MlflowException

    class Refused(MlflowException, ValueError):
        """A refusal whose message MLflow's scoring server cannot prefix with the request's data."""

        @property
        def message(self) -> str:
            return self.args[0]

        @message.setter
        def message(self, _prefixed: str) -> None:
            pass  # the server's prefix (``Failed to predict data '<the rows>'``) carries lead values: ignored

    return Refused


def _bad_request(message: str) -> Exception:
    """A 400 whose body is ``message`` alone when served by MLflow (a ValueError in-process)."""
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    return _refused_class()(message, error_code=INVALID_PARAMETER_VALUE)


def _missing_as_none(frame: pd.DataFrame, scorer: LeadScorer) -> pd.DataFrame:
    """Text columns with NaN for missing (as Spark and JSON hand them over) → None, so reasons say "unknown"."""
    text = [c for c in (*scorer.categories_, *REASON_CONTEXT) if c in frame.columns]
    if not text:
        return frame
    fixed = {c: frame[c].astype(object).where(frame[c].notna(), None) for c in text}
    return frame.assign(**fixed)


def _load_pyfunc(data_path: str) -> LeadScoringPyfunc:
    """MLflow's entry point for ``loader_module``: build the scorer from the model's data folder (a damaged
    file is a one-line :class:`~predictive_leads.models.lead_scorer.ModelError` naming it)."""
    path = Path(data_path)
    config = read_json(path / CONFIG_FILE, keys={"top_k": int})
    rules = None
    if (path / RULES_FILE).is_file():
        from predictive_leads.models.rules import RuleScorer, load_table

        table = load_table(path / RULES_FILE)
        rules = RuleScorer(table=table).fit(pd.DataFrame(columns=list(table.columns)))
    return LeadScoringPyfunc(LeadScorer.load(path), config["top_k"], rules)


def to_model_input(frame: pd.DataFrame, scorer: LeadScorer) -> pd.DataFrame:
    """The feature columns as the pyfunc's signature expects them (categories as plain strings, missing as None).

    MLflow's schema check refuses pandas categoricals for ``string`` columns; frames from the feature pipeline
    carry categoricals, so pass them through this before ``pyfunc.predict`` in-process.
    """
    extra = [c for c in REASON_CONTEXT if c in frame.columns and c not in scorer.feature_names_in_]
    out = frame[[*scorer.feature_names_in_, *extra]].copy()
    out.attrs = {}
    for col in [*scorer.categories_, *extra]:
        out[col] = pd.Series([None if pd.isna(v) else str(v) for v in out[col]], index=out.index, dtype=object)
    return out


def write_pyfunc_data(scorer: LeadScorer, folder: str | Path, top_k: int = DEFAULT_TOP_K, *,
                      profile: dict | None = None, rules: str | None = None) -> Path:  # fmt: skip
    """The pyfunc's data folder: the scorer's files, ``pyfunc.json`` (top-k reasons) and, when given, the
    monitoring ``profile.json`` and the rule table's YAML text scored beside the model (``rules.yaml``)."""
    from predictive_leads.data.files import json_text, write_texts

    texts = scorer.to_artifacts() | {CONFIG_FILE: json_text({"top_k": top_k})}
    if rules is not None:
        texts[RULES_FILE] = rules
    if profile is not None:
        texts[PROFILE_FILE] = json_text(profile, indent=1)
    return write_texts(texts, folder)


def signature_of(scorer: LeadScorer, top_k: int = DEFAULT_TOP_K, *, rules: bool = False):
    """MLflow signature: every feature (required, typed as at training) and the optional email domain in; scores
    and reasons out."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    optional = [ColSpec("string", c, required=False) for c in REASON_CONTEXT if c not in scorer.input_types_]
    inputs = Schema([ColSpec(t, name) for name, t in scorer.input_types_.items()] + optional)
    outputs = Schema([ColSpec(t, name) for name, t in served_columns(top_k, rules=rules).items()])
    return ModelSignature(inputs=inputs, outputs=outputs)


def input_example_of(scorer: LeadScorer) -> pd.DataFrame:
    """A synthetic two-row example (first and last category, 0 and 1 — or the two lowest whole numbers of a
    declared range —, False and True): never real lead data."""
    from predictive_leads.data.contracts import value_rules

    rules, columns = value_rules(), {}
    for name, kind in scorer.input_types_.items():
        if kind == "string":
            cats = scorer.categories_.get(name) or ["unknown"]
            columns[name] = [cats[0], cats[-1]]
        elif kind == "boolean":
            columns[name] = [False, True]
        elif kind == "long":
            columns[name] = [0, 1]
        else:
            low = getattr(rules.get(name), "low", None) or 0.0
            columns[name] = [float(low), float(low) + 1.0]
    return pd.DataFrame(columns)


def example_request(scorer: LeadScorer) -> str:
    """A JSON body for ``POST /invocations`` built from :func:`input_example_of` (synthetic values only)."""
    example = input_example_of(scorer)
    return json.dumps({"dataframe_split": json.loads(example.to_json(orient="split", index=False))}) + "\n"
