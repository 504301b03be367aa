"""The MLflow pyfunc face of a saved ``LeadScorer``: a raw lead (its record and events) or its derived features in;
scores, stage, sub-scores, reasons and the rule score out.

MLflow loads it by module (``loader_module``), not by unpickling: the model's data folder holds only
LightGBM's text model and JSON (``model.txt``, ``scorer.json``, ``pyfunc.json``, ``dataset.json``), and the package
travels with the model as code. :func:`signature_of` and :func:`input_example_of` derive the signature and a
synthetic input example from the scorer itself, so they cannot disagree with what it scores.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from predictive_leads.data.contracts import SMALL_ROWS, is_missing
from predictive_leads.explain.reasons import DEFAULT_TOP_K, REASON_CONTEXT, scored_columns, scored_with_reasons
from predictive_leads.models.lead_scorer import LeadScorer
from predictive_leads.models.saved_files import read_json
from predictive_leads.models.segment_models import SegmentModels, content_version, load_segment_models
from predictive_leads.monitoring.profile import PROFILE_FILE
from predictive_leads.serving.http_guard import OVER_HTTP

CONFIG_FILE = "pyfunc.json"
DATASET_FILE = "dataset.json"  # as training writes it (``training.workflow.DATASET_FILE``)
RULES_FILE = "rules.yaml"


class LeadScoringPyfunc:
    """What ``mlflow.pyfunc.load_model`` returns inside the wrapper: scores and explains a frame of leads — their
    derived features, or (for a model trained on a dataset spec) the raw lead as the CRM holds it, with its events."""

    def __init__(self, scorer: LeadScorer, top_k: int = DEFAULT_TOP_K, rules=None, dataset: dict | None = None,
                 model: tuple[str, str] = ("model", ""), segments: SegmentModels | None = None):  # fmt: skip
        self.scorer = scorer
        self.segments = segments  # the segment models around scorer (the pooled one), or None
        self.top_k = top_k
        self.rules = rules  # a fitted RuleScorer scored beside the model, or None
        self.dataset = dataset or {}  # dataset.json: the spec and feature config (or how a flat export was read)
        self.model = model  # (name, version) in every raw reply

    @functools.cached_property
    def spec(self):
        """The dataset spec a raw lead is read with: see :func:`raw_lead_spec`."""
        return raw_lead_spec(self.dataset)

    def predict(self, model_input, params=None) -> pd.DataFrame:
        """One row out per row in. Rows of derived features are scored as they are (:func:`served_columns`); for a
        model trained on a dataset spec, rows with events or an as_of, or without derived features, are raw leads
        (:mod:`.raw_request`) whose features the batch pipeline's code builds (:func:`raw_reply_columns`). A row
        that breaks the validity contract batch scoring applies is not scored — stage ``rejected``, score 0, and
        ``rejected`` naming the field and the problem, never the value — so one bad lead never fails a Spark job;
        over HTTP a request whose every row is refused is a 400 naming the first."""
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        frame = frame.reset_index(drop=True)
        if not len(frame) and OVER_HTTP.get():  # an empty Spark partition is an empty answer
            raise bad_request("no rows in the request")
        if self.spec is not None and self._is_raw(frame.columns):
            return self._score_raw(frame)
        return self._score_features(frame)

    @functools.cached_property
    def _feature_config(self):
        """The resolved feature config the model was trained with (read once, not per request)."""
        from predictive_leads.features.config import FeatureConfig

        return FeatureConfig.from_dict(self.dataset["feature_config"])

    @functools.cached_property
    def _feature_only_columns(self) -> frozenset[str]:
        from predictive_leads.serving.raw_request import request_fields

        return frozenset(self.scorer.feature_names_in_) - set(request_fields(self.spec))

    def _is_raw(self, columns) -> bool:
        """A raw request: it has events or an as_of, or no feature column that is not also a raw field."""
        from predictive_leads.serving.raw_request import AS_OF, EVENTS

        return EVENTS in columns or AS_OF in columns or not self._feature_only_columns & set(columns)

    def _score_features(self, frame: pd.DataFrame) -> pd.DataFrame:
        from predictive_leads.ops.batch import check_rows

        missing = [c for c in self.scorer.feature_names_in_ if c not in frame.columns]
        if "flat_export" in self.dataset:  # a raw export row: every column optional, placeholders missing
            frame = _as_exported(frame.assign(**dict.fromkeys(missing)), self.dataset["flat_export"],
                                 self.scorer.feature_names_in_)  # fmt: skip
        elif missing:
            raise bad_request(f"input lacks feature column(s): {', '.join(missing[:10])}")
        frame = _json_numbers(frame, [c for c, kind in self.scorer.input_types_.items() if kind != "string"])
        _typed, problem = check_rows(frame, self.scorer)
        _refuse_if_all_rejected(problem.to_numpy())
        ok = (problem == "").to_numpy()
        good = _missing_as_none(_domain_only(frame[ok]), self.scorer)
        if self.segments is not None:
            scored = self.segments.apply(good, lambda model, part: scored_with_reasons(model, part, self.top_k))
        else:
            scored = scored_with_reasons(self.scorer, good, self.top_k)
        if self.rules is not None:
            scored["rule_score"] = self.rules.predict_score(good)
        out = scored.reindex(frame.index).fillna({c: "" for c in scored.columns if c not in NUMBERS})
        out.loc[~ok, ["stage", "heat", "reasons_json"]] = ["rejected", "rejected", "[]"]
        out = out.assign(score=out["score"].fillna(0), rejected=problem.to_numpy())
        return out.astype({"score": "int64"} | {c: "string" for c in out.columns if c not in NUMBERS})

    def _score_raw(self, frame: pd.DataFrame) -> pd.DataFrame:
        from predictive_leads.data.contracts import ContractError
        from predictive_leads.data.spec_tables import apply_spec
        from predictive_leads.features.pipeline import features_for_spine
        from predictive_leads.ops.batch import output_rows, prepare_chunk
        from predictive_leads.serving.raw_request import read_request

        if self.spec.account is not None:  # its account roll-ups count the account's other leads, not in a request
            raise bad_request(f"this model's leads belong to accounts ({self.spec.account.table}): its account "
                              "features need the account's other leads; send derived features")  # fmt: skip
        now = pd.Timestamp.now(tz="UTC")
        request = read_request(frame, self.spec, now=now)
        problems = request.problems.copy()
        scored = None
        if request.ok.any():
            try:
                tables = apply_spec(request.tables, self.spec)
            except ContractError as exc:
                raise bad_request(_contract_problem(str(exc), frame.columns)) from None
            features, _ = features_for_spine(tables.leads, tables.events, request.spine,
                                             config=self._feature_config,
                                             now=request.spine["as_of"].max())  # fmt: skip
            keep = tuple(self.rules.table_.columns) if self.rules is not None else ()
            rows, reason = prepare_chunk(features, self.scorer, id_col="lead_id", keep=keep)
            problems[np.flatnonzero(request.ok)] = reason.to_numpy()
            fine = (reason == "").to_numpy()
            good = rows[fine]
            scored, _verdict = output_rows(self.scorer, good, id_col="lead_id", top_k=self.top_k,
                                           model_name=self.model[0], model_version=self.model[1],
                                           scored_at=now.floor("s"), rules=self.rules,
                                           segments=self.segments)  # fmt: skip
            scored.index = np.flatnonzero(request.ok)[fine]
        _refuse_if_all_rejected(problems)
        columns = raw_reply_columns(self.top_k, rules=self.rules is not None, segments=self.segments is not None)
        return _raw_reply(scored, columns, problems, self.model, now.floor("s"))


def raw_lead_spec(dataset: dict):
    """The dataset spec a model's raw leads are read with (our synthetic world's when it saved none); None for a
    model not built by the feature pipeline (a flat export: its raw row is its feature row)."""
    from predictive_leads.data.spec import spec_from_dict, synthetic_spec

    if "feature_config" not in dataset:
        return None
    return spec_from_dict(dataset["spec"], "dataset.json") if dataset.get("spec") else synthetic_spec()


def _raw_reply(scored: pd.DataFrame | None, columns: list[str], problems: np.ndarray, model: tuple[str, str],
               scored_at: pd.Timestamp) -> pd.DataFrame:  # fmt: skip
    """One JSON-ready row per request row (numbers or null, text) in ``columns`` (:func:`raw_reply_columns`), the
    same whether or not a row was scored; a refused row has stage ``rejected`` and score 0."""
    columns = columns[:-1]  # ``rejected`` is set below
    out = (scored[columns] if scored is not None else pd.DataFrame(columns=columns)).reindex(range(len(problems)))
    bad = problems != ""
    out.loc[bad, ["stage", "heat", "score", "reasons_json"]] = ["rejected", "rejected", 0, "[]"]
    out.loc[bad, ["model_name", "model_version"]] = list(model)
    out["scored_at"] = scored_at.isoformat()
    out["rejected"] = problems
    whole = [c for c in ("score", "fit_score", "engagement_score") if c in out.columns]
    out[whole] = out[whole].astype("Int64")
    return out.astype(object).where(out.notna(), None)


def raw_reply_columns(top_k: int = DEFAULT_TOP_K, *, rules: bool = False, segments: bool = False) -> list[str]:
    """The columns of a raw lead's reply: the batch output's (:func:`~predictive_leads.ops.batch.batch_output_schema`;
    with ``segments``, ``model_segment`` too) without the id, and ``rejected``."""
    from predictive_leads.ops.batch import batch_output_schema

    return [*batch_output_schema(top_k, rules=rules, segments=segments).names[1:], "rejected"]


def _json_numbers(frame: pd.DataFrame, numeric: list[str]) -> pd.DataFrame:
    """The ``numeric`` columns holding JSON numbers (or true/false) as numeric (boolean) columns: the signature takes
    any type, so they may arrive as Python objects, and the validity check would otherwise read each one as text."""
    kinds = {"integer": "float64", "floating": "float64", "mixed-integer-float": "float64", "boolean": "boolean"}
    typed = {}
    for col in numeric:
        if frame[col].dtype == object:
            kind = kinds.get(pd.api.types.infer_dtype(frame[col], skipna=True))
            if kind is not None:
                typed[col] = frame[col].astype(kind) if kind == "boolean" else pd.to_numeric(frame[col])
    return frame.assign(**typed) if typed else frame


def _refuse_if_all_rejected(problems: np.ndarray) -> None:
    """Over HTTP, a request none of whose rows can be scored is a 400 naming the first row's problem."""
    bad = np.flatnonzero(problems != "")
    if OVER_HTTP.get() and len(bad) and len(bad) == len(problems):
        more = f" (and {len(bad) - 1} more row(s) refused)" if len(bad) > 1 else ""
        raise bad_request(f"row {bad[0]}: {problems[bad[0]]}{more}")


def _contract_problem(message: str, fields) -> str:
    """A one-line refusal from a contract error, naming the field it names and never the values it quotes."""
    named = [f for f in fields if f"'{f}'" in message]
    if named:
        return f"{named[0]}: not valid for this model's dataset spec"
    return "the lead record does not match the model's dataset spec"


def _as_exported(frame: pd.DataFrame, how: dict, columns) -> pd.DataFrame:
    """A flat export's raw row read as training read the file: placeholders ("Select", "n/a", …) in the model's
    ``columns`` are missing."""
    from predictive_leads.data.flat_export import blank_placeholders

    blanked, _counts = blank_placeholders(frame[list(columns)], how.get("placeholders", ()), skip=set())
    return frame.assign(**{c: blanked[c] for c in columns})


_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


def _domain_only(frame: pd.DataFrame) -> pd.DataFrame:
    """The reason context reduced to what the model uses: an email domain (the part after ``@``, lower case) when it
    looks like one, else missing — so an address or a name sent there never reaches a reason sentence."""
    if "email_domain" not in frame.columns:
        return frame

    def domain(value):
        text = str(value).rsplit("@", 1)[-1].strip().lower() if isinstance(value, str) else ""
        return text if _DOMAIN.match(text) and len(text) <= 253 else None

    return frame.assign(email_domain=frame["email_domain"].map(domain).astype(object))


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

        one_line = True  # read by ``http_guard``: the message is the reply

        @property
        def message(self) -> str:
            return self.args[0]

        @message.setter
        def message(self, _prefixed: str) -> None:
            pass  # the server's prefix (``Failed to predict data '<the rows>'``) carries lead values: ignored

    return Refused


def bad_request(message: str) -> Exception:
    """A 400 whose body is ``message`` alone when served by MLflow (a ValueError in-process)."""
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    return _refused_class()(message, error_code=INVALID_PARAMETER_VALUE)


def _missing_as_none(frame: pd.DataFrame, scorer: LeadScorer) -> pd.DataFrame:
    """Text columns with NaN for missing (as Spark and JSON hand them over) → None, so reasons say "unknown"."""
    text = [c for c in (*scorer.categories_, *REASON_CONTEXT) if c in frame.columns]
    if not text:
        return frame
    if len(frame) <= SMALL_ROWS:  # a served lead or a few: plain Python
        fixed = {c: pd.Series([None if is_missing(v) else v for v in frame[c].tolist()], index=frame.index,
                              dtype=object) for c in text}  # fmt: skip
    else:
        fixed = {c: frame[c].astype(object).where(frame[c].notna(), None) for c in text}
    return frame.assign(**fixed)


def _load_pyfunc(data_path: str) -> LeadScoringPyfunc:
    """MLflow's entry point for ``loader_module``: build the scorer from the model's data folder (a damaged
    file is a one-line :class:`~predictive_leads.models.lead_scorer.ModelError` naming it). Inside
    ``mlflow models serve`` it also guards the server's replies (:mod:`.http_guard`)."""
    from predictive_leads.serving.http_guard import guard_scoring_server

    path = Path(data_path)
    config = read_json(path / CONFIG_FILE, keys={"top_k": int})
    dataset = read_json(path / DATASET_FILE, keys={}) if (path / DATASET_FILE).is_file() else {}
    rules = None
    if (path / RULES_FILE).is_file():
        from predictive_leads.models.rules import RuleScorer, load_table

        table = load_table(path / RULES_FILE)
        rules = RuleScorer(table=table).fit(pd.DataFrame(columns=list(table.columns)))
    guard_scoring_server()
    scorer = LeadScorer.load(path)
    return LeadScoringPyfunc(scorer, config["top_k"], rules, dataset, _served_model(path),
                             load_segment_models(path, scorer))  # fmt: skip


MODEL_NAME_VAR, MODEL_VERSION_VAR = "PREDICTIVE_LEADS_MODEL_NAME", "PREDICTIVE_LEADS_MODEL_VERSION"


def _served_model(path: Path) -> tuple[str, str]:
    """(name, version) for replies: as ``predictive-leads serve`` set them, else "model" and the content hash."""
    version = os.environ.get(MODEL_VERSION_VAR) or content_version(path)
    return os.environ.get(MODEL_NAME_VAR) or "model", version


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
                      profile: dict | None = None, rules: str | None = None, dataset: dict | None = None,
                      segments: SegmentModels | None = None) -> Path:  # fmt: skip
    """The pyfunc's data folder: the scorer's files, ``pyfunc.json`` (top-k reasons) and, when given, the
    monitoring ``profile.json``, the rule table's YAML text scored beside the model (``rules.yaml``), the
    training set's ``dataset.json`` (its spec and feature config: raw leads are read and built with them) and the
    segment models (``segments.json`` and their folders)."""
    from predictive_leads.data.files import json_text, write_texts

    texts = scorer.to_artifacts() | {CONFIG_FILE: json_text({"top_k": top_k})}
    if dataset:
        texts[DATASET_FILE] = json_text(dataset)
    if rules is not None:
        texts[RULES_FILE] = rules
    if profile is not None:
        texts[PROFILE_FILE] = json_text(profile, indent=1)
    if segments is not None:
        texts |= segments.to_artifacts()
    return write_texts(texts, folder)


def signature_of(scorer: LeadScorer, top_k: int = DEFAULT_TOP_K, *, rules: bool = False,
                 dataset: dict | None = None):  # fmt: skip
    """MLflow signature: every feature, the optional email domain and, for a model trained on a dataset spec, the raw
    lead's fields (:func:`~predictive_leads.serving.raw_request.request_fields`) in; scores and reasons out.

    Every input is optional and of any type: MLflow's own enforcement would refuse a wrong type by quoting the
    request's values, so ``predict`` checks each field itself (the batch's validity contract) and names the field
    and the row, never the value."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema
    from mlflow.types.schema import AnyType

    names = [*scorer.input_types_, *REASON_CONTEXT]
    if dataset and "feature_config" in dataset:
        from predictive_leads.serving.raw_request import request_fields

        names += request_fields(raw_lead_spec(dataset))
    inputs = Schema([ColSpec(AnyType(), name, required=False) for name in dict.fromkeys(names)])
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


def example_raw_request(dataset: dict, today: pd.Timestamp) -> str | None:
    """A JSON body for ``POST /invocations`` with one synthetic raw lead — an id, a creation date two weeks before
    ``today`` and two events of the model's vocabulary — or None for a model that reads no raw leads."""
    from predictive_leads.features.config import FeatureConfig

    spec = raw_lead_spec(dataset)
    if spec is None:
        return None
    day = today.normalize()
    lead = {spec.entity.key: "L-example-1", spec.entity.created_at: (day - pd.Timedelta(days=14)).isoformat()}
    source = spec.events[0] if spec.events else None
    if source is not None and len(source.type) <= 1:
        kinds = list(FeatureConfig.from_dict(dataset["feature_config"]).types)[:2]
        lead["events"] = [{"ts": (day - pd.Timedelta(days=2 - i)).isoformat(), **({"type": k} if source.type else {})}
                          for i, k in enumerate(kinds)]  # fmt: skip
    return json.dumps({"dataframe_records": [lead]}) + "\n"


def example_request(scorer: LeadScorer) -> str:
    """A JSON body for ``POST /invocations`` built from :func:`input_example_of` (synthetic values only)."""
    example = input_example_of(scorer)
    return json.dumps({"dataframe_split": json.loads(example.to_json(orient="split", index=False))}) + "\n"
