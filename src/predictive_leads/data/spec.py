"""The dataset spec: a CRM's tables declared as they are (YAML, versioned), never renamed into our vocabulary.

A spec names the **entity** table (the leads or contacts scored: key, creation time, optional account key),
an optional **account** table, one or more **event sources** (key, timestamp, the column(s) whose values are
the event type, optional URL and numeric value columns), the **attributes** used as features (typed:
categorical, numeric, boolean, or a band with its order; from the entity or the account table; optionally
known only from a timestamp column, or a categorical cleaned by a parser's normaliser), the built-in **parsers**
that clean a raw column (a job title into seniority and department, an email into its domain's kind, …), the
**PII** columns (never features), the columns deliberately **ignored** (with why), user-written **value maps** and
one or more **outcomes** (a table, its time, a filter such as ``StageName: [Closed Won]`` and an optional deal
value), one of which is the ``target``. A ``features`` block overrides the feature config
(:class:`~predictive_leads.features.config`).

Example (a Salesforce-style export)::

    version: 1
    name: salesforce
    entity: {table: Lead, key: Id, created_at: CreatedDate}
    events:
      - {name: campaign, table: CampaignMember, key: LeadId, timestamp: CreatedDate, type: Status}
      - {name: task, table: Task, key: WhoId, timestamp: CreatedDate, type: [Type, Status]}
    attributes:
      - {column: Industry, kind: categorical}
      - {column: NumberOfEmployees, kind: numeric}
    parsers: {job_title: Title, email: Email}
    pii: [FirstName, LastName, Email, Phone]
    outcomes:
      won: {table: Opportunity, key: Id, link: ConvertedOpportunityId, time: CloseDate,
            where: {StageName: [Closed Won]}, value: Amount}
    target: won

:func:`load_spec` reads and checks a spec; every problem is one line naming the spec file and the field.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path

import yaml

SPEC_VERSION = 1
KINDS = ("categorical", "numeric", "boolean", "band")
# built-in parsers: role → what it reads (the feature columns it makes are listed by the feature stage)
PARSERS = {
    "job_title": "a free-text job title → seniority and department",
    "email": "an email address → its domain and the domain's kind (free, edu, disposable, competitor, …)",
    "industry": "an industry as typed → a canonical industry name and the ideal-industry flag",
    "employees": "a head count → the number and its size band",
    "annual_revenue": "an annual revenue in USD → the number and its band",
    "country": "a country as typed → canonical country, sales region, in-service-area flag",
    "lead_source": "an acquisition channel as typed → one of eight channels (or 'other')",
    "phone": "a phone number → has_phone (the number itself is never a feature)",
    "form_message": "a form's free text → has_form_message and is_spam_message",
    "first_name": "with last_name → has_test_name and the duplicate-contact fallback",
    "last_name": "with first_name → has_test_name and the duplicate-contact fallback",
    "company_name": "the company as typed → the duplicate-contact fallback",
}
# parsers whose value normaliser a categorical attribute may borrow (``normalise: country``)
NORMALISERS = ("country", "industry", "lead_source")
# parser roles whose raw values are personal data: read by the parser, never a feature themselves
PII_PARSERS = ("email", "phone", "first_name", "last_name", "form_message")
_SLUG = re.compile(r"[^0-9a-z]+")


class SpecError(ValueError):
    """A dataset spec is malformed: one line naming the spec and the field."""


def slug(text: str) -> str:
    """A feature-name-safe form of a name or value: lower case, runs of other characters → ``_``."""
    return _SLUG.sub("_", str(text).strip().lower()).strip("_")


@dataclass(frozen=True)
class EntitySpec:
    """The scored table: one row per lead (or contact)."""

    table: str
    key: str
    created_at: str
    account_key: str | None = None


@dataclass(frozen=True)
class AccountSpec:
    """The optional account (company) table the entity's ``account_key`` points at."""

    table: str
    key: str


@dataclass(frozen=True)
class EventSource:
    """One table of events: its lead key, time, type column(s) and numeric value columns.

    ``type`` lists the column(s) whose values, joined with a space, name the event type (``[Type, Status]`` →
    "Call Completed"; none: every row is one event type named after the source, e.g. a web session);
    ``prefix`` is put before every type of this source (to keep two sources' types apart);
    ``values`` maps a feature name to a numeric column, summed (and maxed) in windows.
    """

    name: str
    table: str
    key: str
    timestamp: str
    type: tuple[str, ...]
    prefix: str = ""
    url: str | None = None
    values: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.key, self.timestamp, *self.type, *([self.url] if self.url else []), *self.values.values())


@dataclass(frozen=True)
class Attribute:
    """A declared column used as a feature (named ``slug(column)``, or ``account_<slug>`` from the account table)."""

    column: str
    kind: str
    table: str | None = None  # None: the entity table
    order: tuple[str, ...] = ()  # band: its values from lowest to highest
    known_from: str | None = None  # an entity timestamp column: the value counts only from then on
    name: str | None = None  # feature name (default: derived from the column)
    normalise: str | None = None  # a categorical cleaned by this parser's normaliser (after value_maps)

    def feature(self, spec: DatasetSpec) -> str:
        if self.name:
            return self.name
        prefix = "account_" if spec.account and self.table == spec.account.table else ""
        return prefix + slug(self.column)


@dataclass(frozen=True)
class Outcome:
    """Conversions from any table: rows passing ``where`` convert their lead at ``time``.

    The lead is found by ``lead_key`` (a column of the outcome table holding the entity key) or by ``link`` (a
    column of the entity table holding this table's ``key``, e.g. Salesforce's ``ConvertedOpportunityId``).
    """

    table: str
    time: str
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lead_key: str | None = None
    key: str | None = None
    link: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """A CRM's tables as they are (see the module docstring)."""

    entity: EntitySpec
    events: tuple[EventSource, ...]
    outcomes: dict[str, Outcome]
    target: str
    name: str = "dataset"
    version: int = SPEC_VERSION
    account: AccountSpec | None = None
    attributes: tuple[Attribute, ...] = ()
    parsers: dict[str, str] = field(default_factory=dict)
    pii: tuple[str, ...] = ()
    ignore: dict[str, str] = field(default_factory=dict)
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    features: dict = field(default_factory=dict)
    source: str = "spec"  # where it was read from (for messages)

    @property
    def outcome(self) -> Outcome:
        return self.outcomes[self.target]

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table the spec reads, entity first, each once."""
        names = [self.entity.table, *(self.account.table for _ in [0] if self.account),
                 *(s.table for s in self.events), *(o.table for o in self.outcomes.values())]  # fmt: skip
        return tuple(dict.fromkeys(names))

    def with_target(self, target: str) -> DatasetSpec:
        """The same spec predicting another of its outcomes."""
        if target not in self.outcomes:
            raise SpecError(f"{self.source}: target {target!r} is not an outcome; outcomes: {', '.join(self.outcomes)}")
        return replace(self, target=target)

    def to_dict(self) -> dict:
        """The spec as plain data (what :func:`spec_from_dict` reads; YAML/JSON-ready)."""
        out = {"version": self.version, "name": self.name, "entity": _plain(self.entity)}
        if self.account:
            out["account"] = _plain(self.account)
        out["events"] = [_plain(s) for s in self.events]
        for key in ("attributes", "parsers", "pii", "ignore", "value_maps", "features"):
            value = getattr(self, key)
            if value:
                out[key] = [_plain(a) for a in value] if key == "attributes" else as_lists(value)
        out["outcomes"] = {k: _plain(o) for k, o in self.outcomes.items()}
        out["target"] = self.target
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=120)


def as_lists(value):
    """Tuples as lists, inside mappings too: plain data for YAML and JSON."""
    if isinstance(value, tuple):
        return [as_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: as_lists(v) for k, v in value.items()}
    return value


def _plain(obj) -> dict:
    """A spec dataclass as a dict without the fields left at their defaults (tuples as lists)."""
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        if (f.default is MISSING and f.default_factory is MISSING) or value != default:
            out[f.name] = as_lists(value)
    return out


# ------------------------------------------------------------------------------------------ reading


class _Reader:
    """Pulls typed fields out of a YAML mapping; every error names the spec and the field path."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, problem: str) -> SpecError:
        return SpecError(f"{self.source}: {where}: {problem}")

    def mapping(self, value, where: str, *, allowed: tuple[str, ...] | None = None, required: tuple = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {type(value).__name__}")
        if allowed is not None:
            unknown = [k for k in value if k not in allowed]
            if unknown:
                raise self.fail(where, f"unknown key(s) {', '.join(map(str, unknown))}; known: {', '.join(allowed)}")
        missing = [k for k in required if value.get(k) in (None, "")]
        if missing:
            raise self.fail(where, f"missing {', '.join(missing)}")
        return value

    def text(self, value, where: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            raise self.fail(where, f"expected a name, got {value!r}")
        return str(value)

    def texts(self, value, where: str) -> tuple[str, ...]:
        items = value if isinstance(value, list | tuple) else [value]
        if not items:
            raise self.fail(where, "is empty")
        return tuple(self.text(v, f"{where}[{i}]") for i, v in enumerate(items))


_ENTITY = ("table", "key", "created_at", "account_key")
_SOURCE = ("name", "table", "key", "timestamp", "type", "prefix", "url", "values")
_ATTRIBUTE = ("column", "kind", "table", "order", "known_from", "name", "normalise")
_OUTCOME = ("table", "time", "where", "lead_key", "key", "link", "value")
_TOP = ("version", "name", "entity", "account", "events", "attributes", "parsers", "pii", "ignore", "value_maps",
        "outcomes", "target", "features")  # fmt: skip


def spec_from_dict(data, source: str = "spec") -> DatasetSpec:
    """A checked :class:`DatasetSpec` from plain data (a parsed YAML file)."""
    r = _Reader(source)
    data = r.mapping(data, "top level", allowed=_TOP, required=("entity", "events", "outcomes"))
    version = data.get("version", SPEC_VERSION)
    if version != SPEC_VERSION:
        raise r.fail("version", f"this package reads spec version {SPEC_VERSION}, got {version!r}")
    e = r.mapping(data["entity"], "entity", allowed=_ENTITY, required=("table", "key", "created_at"))
    entity = EntitySpec(*(r.text(e.get(k), f"entity.{k}", optional=k == "account_key") for k in _ENTITY))
    account = None
    if data.get("account") is not None:
        a = r.mapping(data["account"], "account", allowed=("table", "key"), required=("table", "key"))
        account = AccountSpec(r.text(a["table"], "account.table"), r.text(a["key"], "account.key"))
        if not entity.account_key:
            raise r.fail("entity.account_key", "an account table needs the entity column that holds its key")
    events = _sources(r, data["events"])
    outcomes = _outcomes(r, data["outcomes"])
    target = r.text(data.get("target", next(iter(outcomes))), "target")
    if target not in outcomes:
        raise r.fail("target", f"{target!r} is not one of the outcomes ({', '.join(outcomes)})")
    spec = DatasetSpec(
        entity=entity,
        events=events,
        outcomes=outcomes,
        target=target,
        name=r.text(data.get("name", "dataset"), "name"),
        account=account,
        attributes=_attributes(r, data.get("attributes") or [], account),
        parsers=_parsers(r, data.get("parsers") or {}),
        pii=r.texts(data["pii"], "pii") if data.get("pii") else (),
        ignore={str(k): str(v) for k, v in r.mapping(data.get("ignore") or {}, "ignore").items()},
        value_maps=_value_maps(r, data.get("value_maps") or {}),
        features=r.mapping(data.get("features") or {}, "features"),
        source=source,
    )
    _check_names(r, spec)
    return spec


def _sources(r: _Reader, value) -> tuple[EventSource, ...]:
    if not isinstance(value, list) or not value:
        raise r.fail("events", "expected a list of at least one event source")
    out = []
    for i, item in enumerate(value):
        where = f"events[{i}]"
        s = r.mapping(item, where, allowed=_SOURCE, required=("table", "key", "timestamp"))
        values = s.get("values") or {}
        if isinstance(values, list):
            values = {slug(c): c for c in values}
        values = {slug(k): r.text(v, f"{where}.values.{k}") for k, v in r.mapping(values, f"{where}.values").items()}
        out.append(EventSource(
            name=r.text(s.get("name", s["table"]), f"{where}.name"),
            table=r.text(s["table"], f"{where}.table"),
            key=r.text(s["key"], f"{where}.key"),
            timestamp=r.text(s["timestamp"], f"{where}.timestamp"),
            type=r.texts(s["type"], f"{where}.type") if s.get("type") else (),
            prefix=str(s.get("prefix") or ""),
            url=r.text(s.get("url"), f"{where}.url", optional=True),
            values=values,
        ))  # fmt: skip
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise r.fail("events", f"event source names must differ: {', '.join(names)}")
    return tuple(out)


def _attributes(r: _Reader, value, account: AccountSpec | None) -> tuple[Attribute, ...]:
    if not isinstance(value, list):
        raise r.fail("attributes", "expected a list")
    out = []
    for i, item in enumerate(value):
        where = f"attributes[{i}]"
        a = r.mapping(item, where, allowed=_ATTRIBUTE, required=("column", "kind"))
        kind = r.text(a["kind"], f"{where}.kind")
        if kind not in KINDS:
            raise r.fail(f"{where}.kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        order = r.texts(a["order"], f"{where}.order") if a.get("order") else ()
        if (kind == "band") != bool(order):
            raise r.fail(f"{where}.order", "a band needs its order (lowest first); only a band has one")
        table = r.text(a.get("table"), f"{where}.table", optional=True)
        if table is not None and (account is None or table != account.table):
            raise r.fail(f"{where}.table", f"{table!r}: attributes come from the entity or the declared account table")
        known_from = r.text(a.get("known_from"), f"{where}.known_from", optional=True)
        if known_from and table is not None:
            raise r.fail(f"{where}.known_from", "only entity attributes can be known from an entity timestamp")
        normalise = r.text(a.get("normalise"), f"{where}.normalise", optional=True)
        if normalise is not None and (kind != "categorical" or normalise not in NORMALISERS):
            raise r.fail(f"{where}.normalise", f"{normalise!r}: a categorical attribute may be normalised as one of "
                                               f"{', '.join(NORMALISERS)}")  # fmt: skip
        out.append(Attribute(r.text(a["column"], f"{where}.column"), kind, table, order, known_from,
                             r.text(a.get("name"), f"{where}.name", optional=True), normalise))  # fmt: skip
    return tuple(out)


def _parsers(r: _Reader, value) -> dict[str, str]:
    parsers = r.mapping(value, "parsers", allowed=tuple(PARSERS))
    return {role: r.text(column, f"parsers.{role}") for role, column in parsers.items()}


def _value_maps(r: _Reader, value) -> dict[str, dict[str, str]]:
    maps = r.mapping(value, "value_maps")
    return {str(col): {str(k): str(v) for k, v in r.mapping(m, f"value_maps.{col}").items()} for col, m in maps.items()}


def _outcomes(r: _Reader, value) -> dict[str, Outcome]:
    outcomes = r.mapping(value, "outcomes")
    if not outcomes:
        raise r.fail("outcomes", "declare at least one outcome")
    out = {}
    for name, item in outcomes.items():
        where = f"outcomes.{name}"
        o = r.mapping(item, where, allowed=_OUTCOME, required=("table", "time"))
        if bool(o.get("lead_key")) == bool(o.get("link")):
            raise r.fail(where, "give either lead_key (a column of this table) or link (an entity column) + key")
        if o.get("link") and not o.get("key"):
            raise r.fail(where, "link needs key: the column of this table the entity's link column holds")
        where_ = {str(c): r.texts([str(v) for v in (vals if isinstance(vals, list) else [vals])], f"{where}.where.{c}")
                  for c, vals in r.mapping(o.get("where") or {}, f"{where}.where").items()}  # fmt: skip
        out[str(name)] = Outcome(
            table=r.text(o["table"], f"{where}.table"),
            time=r.text(o["time"], f"{where}.time"),
            where=where_,
            lead_key=r.text(o.get("lead_key"), f"{where}.lead_key", optional=True),
            key=r.text(o.get("key"), f"{where}.key", optional=True),
            link=r.text(o.get("link"), f"{where}.link", optional=True),
            value=r.text(o.get("value"), f"{where}.value", optional=True),
        )
    return out


def _check_names(r: _Reader, spec: DatasetSpec) -> None:
    """Feature names from attributes are unique; PII is never an attribute."""
    names = [a.feature(spec) for a in spec.attributes]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise r.fail("attributes", f"two attributes make the same feature name(s) {', '.join(twice)}; set name:")
    pii = set(spec.pii) | {c for role, c in spec.parsers.items() if role in PII_PARSERS}
    leaking = [a.column for a in spec.attributes if a.table is None and a.column in pii]
    if leaking:
        raise r.fail("attributes", f"PII column(s) {', '.join(leaking)} cannot be features (declared pii)")


def load_spec(path: str | Path) -> DatasetSpec:
    """Read and check a dataset spec YAML file (:class:`SpecError` names the file and the field)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such spec file")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SpecError(f"{path.name}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return spec_from_dict(data, source=path.name)


def synthetic_spec() -> DatasetSpec:
    """The spec of our own synthetic lead world (``predictive-leads generate``): one spec among others."""
    return load_spec(Path(__file__).with_name("specs") / "synthetic.yaml")
