"""Draft a dataset spec from the tables themselves: keys, links, the entity, event sources, outcomes, attributes, PII.

:func:`draft_spec` reads raw tables (CSV values as strings, as :func:`~predictive_leads.data.files.read_raw` gives
them) and guesses a spec (:mod:`predictive_leads.data.spec`) from the values: keys are unique and complete, foreign
keys are (≥ 95 %) contained in another table's key, timestamps parse as dates, the **entity** is the table most event
tables refer to, **event sources** refer to it with many rows per entity, the **outcome** is a table with a win-like
value (``Closed Won``, ``closedwon``, ``IsWon = true``, …) or, failing that, a dated one-row-per-entity table with an
amount; the rest of the entity (and account) columns become typed attributes, parser inputs, PII or ignored columns.
Column names are weak hints only (a parser's role, a country or industry normaliser, a tie). Every guess is one
line of :attr:`SpecDraft.guessed` with its evidence; what the user should check is in :attr:`SpecDraft.unsure`.
Pure: frames in, plain data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from predictive_leads.data.spec import slug, spec_from_dict

SHARE = 0.95  # timestamps, numbers and foreign keys: share of the non-null values
TYPE_MAX = 100  # distinct values of an event type column
CATEGORICAL_MAX, CATEGORICAL_SHARE = 200, 0.05
EVENTS_PER_ENTITY = 1.5  # rows per referenced entity that make a table an event table
LEAK_WITH, LEAK_WITHOUT = 0.8, 0.2  # set for ≥ 80 % of the entities with an outcome, ≤ 20 % of the others

_BOOL_WORDS = {"true", "false", "1", "0", "yes", "no"}
_TRUE_WORDS = {"true", "1", "yes"}
_WIN_WORDS = {"won", "win", "wins", "converted", "conversion", "customer", "purchased"}
_WIN_FILLER = {"closed", "deal", "stage", "status", "is", "has", "lead", "opportunity", "to", "a"}
_ROLE_WORDS = {"manager", "director", "engineer", "head", "vp", "chief", "officer", "analyst", "specialist",
               "coordinator", "administrator", "developer", "consultant", "lead", "president", "founder", "owner",
               "ceo", "cto", "cfo", "cmo", "coo", "intern", "assistant", "executive", "architect", "designer",
               "scientist", "representative", "associate", "accountant", "student", "marketing", "sales"}  # fmt: skip
_SIZE_LADDER = {"xxs": 0, "xs": 1, "s": 2, "small": 2, "m": 3, "mid": 3, "medium": 3, "l": 4, "large": 4,
                "xl": 5, "xxl": 6, "xxxl": 7}  # fmt: skip
# weak hints: a word is matched as a name token, or (5+ letters) inside the squashed name
_HINTS = {
    "first_name": ("firstname", "fname", "givenname", "forename", "vorname", "prenom"),
    "last_name": ("lastname", "lname", "surname", "familyname", "nachname"),
    "job_title": ("title", "jobtitle", "position"),
    "company_name": ("company", "companyname", "firma", "organisation", "organization", "employer", "firm"),
    "employees": ("employ", "headcount", "staff", "mitarbeiter", "fte", "workforce"),
    "annual_revenue": ("revenue", "umsatz", "turnover"),
    "country": ("country", "land", "nation", "pays", "pais"),
    "industry": ("industry", "industries", "branche", "sector", "vertical", "branch"),
    "lead_source": ("source", "channel", "quelle", "origin", "herkunft", "utm"),
    "phone": ("phone", "tel", "mobile", "telefon", "fon", "cell"),
    "created": ("created", "creation", "createdate", "signup", "registered"),
    "id": ("id", "key", "uuid", "pk"),
    "amount": ("amount", "value", "revenue", "price", "total", "betrag", "wert"),
}
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_PHONE = r"^\+?[\d\s().\-/]{7,}$"
_URL = r"^(?:https?://|www\.|/)\S*$"
_PERSON = r"^[A-Z][a-z]+(?:[-' ][A-Za-z][a-z]+)?$"
_RANGE = r"^[<>]?\s*\d[\d,.]*\s*(?:[kKmM])?\s*(?:(?:-|–|to)\s*\d[\d,.]*\s*(?:[kKmM])?|\+)?$"
_DATE = r"^\d{4}-\d{1,2}-\d{1,2}|^\d{4}/\d{1,2}/\d{1,2}|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}"


@dataclass
class SpecDraft:
    """A drafted spec (plain data :func:`~predictive_leads.data.spec.spec_from_dict` reads), each guess with its
    evidence and what the user should check."""

    spec: dict
    guessed: list[str] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)

    def to_yaml(self, source: str | None = None) -> str:
        """The spec as YAML, headed by comments listing what to check."""
        head = [f"# drafted by predictive-leads init-spec{f' from {source}' if source else ''}: check it, then edit"]
        head += [f"# check: {line}" for line in self.unsure]
        return "\n".join(head) + "\n" + spec_from_dict(self.spec, "draft").to_yaml()


# ------------------------------------------------------------------------------------------ words and hints


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return [w for w in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if w]


def _hinted(name: str, role: str, *, whole_words: bool = False) -> bool:
    """A hint word of ``role`` is a word of the name, or (unless ``whole_words``) a long enough part of it."""
    tokens = _words(name)
    squashed = "".join(tokens)
    return any(w in tokens or (not whole_words and len(w) >= 5 and w in squashed) for w in _HINTS[role])


def _pct(x: float) -> str:
    return f"{x:.0%}" if x < 0.995 or x == 1 else f"{x:.1%}"


def _isin(values: pd.Series, allowed) -> pd.Series:
    """``values.isin(allowed)`` through a Python set (Arrow strings' isin is slow); missing values are never in."""
    wanted = set(allowed) - {None}
    plain = values.to_numpy(dtype=object, na_value=None)
    return pd.Series(np.fromiter((v in wanted for v in plain), bool, len(plain)), index=values.index)


def _is_win_value(value: str) -> bool:
    words = [w for w in _words(value) if w not in _WIN_FILLER]
    squashed = "".join(_words(value))
    return (bool(words) and set(words) <= _WIN_WORDS) or squashed in {"closedwon", "wonclosed", "dealwon"}


# ------------------------------------------------------------------------------------------ column profiles


class _Col:
    """One raw column: its values as stripped text and what they look like (computed once, on distinct values)."""

    def __init__(self, table: str, name: str, values: pd.Series) -> None:
        self.table, self.name, self.raw = table, str(name), values.reset_index(drop=True)
        self.rows = len(values)

    @cached_property
    def text(self) -> pd.Series:
        raw = self.raw
        if pd.api.types.is_float_dtype(raw.dtype) and raw.dropna().mod(1).eq(0).all():
            raw = raw.astype("Int64")
        text = raw.astype("string").str.strip()
        return text.mask(text == "")

    @cached_property
    def counts(self) -> pd.Series:
        return self.text.value_counts(dropna=True)

    @cached_property
    def values(self) -> np.ndarray:
        """The distinct values as plain objects (in :attr:`counts` order)."""
        return self.counts.index.to_numpy(dtype=object)

    @cached_property
    def value_set(self) -> frozenset:
        return frozenset(self.values)

    def contained_in(self, other: _Col) -> float:
        """Share of this column's non-null values that are values of ``other`` (a quick look at 50 first)."""
        inside = other.value_set
        if sum(v in inside for v in self.values[:50]) < 0.5 * min(50, self.distinct):
            return 0.0
        hit = np.fromiter((v in inside for v in self.values), bool, self.distinct)
        return float(self.counts.to_numpy()[hit].sum() / self.present)

    @cached_property
    def present(self) -> int:
        return int(self.counts.sum())

    @property
    def distinct(self) -> int:
        return len(self.counts)

    @property
    def filled(self) -> float:
        return self.present / self.rows if self.rows else 0.0

    def share(self, pattern: str | None = None, test=None) -> float:
        """Share of the non-null values matching ``pattern`` (or passing ``test`` on the distinct values)."""
        if not self.present:
            return 0.0
        values = pd.Series(self.counts.index, dtype="string")
        hit = values.str.contains(pattern, regex=True) if pattern else test(values)
        return float(self.counts.to_numpy()[hit.fillna(False).to_numpy(bool)].sum() / self.present)

    @cached_property
    def number_share(self) -> float:
        if pd.api.types.is_numeric_dtype(self.raw.dtype) and not pd.api.types.is_bool_dtype(self.raw.dtype):
            return 1.0
        return self.share(test=lambda v: pd.to_numeric(v, errors="coerce").notna())

    @cached_property
    def integral(self) -> bool:
        numbers = pd.to_numeric(pd.Series(self.counts.index), errors="coerce").dropna()
        return bool(len(numbers)) and bool((numbers % 1 == 0).all())

    @cached_property
    def times(self) -> pd.Series:
        """The values as UTC timestamps (NaT where they do not parse)."""
        if isinstance(self.raw.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(self.raw.dtype):
            return pd.to_datetime(self.raw, utc=True)
        parsed = pd.to_datetime(self.text, errors="coerce", utc=True, format="ISO8601")
        if parsed.notna().sum() < SHARE * self.present:
            parsed = pd.to_datetime(self.text, errors="coerce", utc=True, format="mixed")
        return parsed

    @cached_property
    def kind(self) -> str:
        """empty, boolean, number, timestamp or text."""
        if not self.present:
            return "empty"
        if pd.api.types.is_bool_dtype(self.raw.dtype) or (
            self.distinct <= 2 and set(self.counts.index.str.lower()) <= _BOOL_WORDS
        ):
            return "boolean"
        if self.number_share >= SHARE:
            return "number"
        if isinstance(self.raw.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(self.raw.dtype):
            return "timestamp"
        if self.share(_DATE) >= SHARE and self.times.notna().sum() >= SHARE * self.present:
            return "timestamp"
        return "text"

    @cached_property
    def sentences(self) -> float:
        def sentence(v: pd.Series) -> pd.Series:
            spaces = v.str.count(r"\s+")
            return (spaces >= 3) | ((spaces >= 2) & v.str.contains(r"\w[.?!]$", regex=True))

        return self.share(test=sentence)

    @cached_property
    def idlike(self) -> float:
        return self.share(test=lambda v: ~v.str.contains(r"\s", regex=True) & v.str.contains(r"\d", regex=True))

    @property
    def decimal(self) -> bool:
        return self.kind == "number" and not self.integral

    @property
    def key_like(self) -> bool:
        """Unique and complete: a candidate key."""
        complete = self.rows >= 2 and self.present == self.rows == self.distinct
        return complete and self.kind not in ("timestamp", "boolean") and not self.decimal and self.sentences < 0.5

    def entropy(self) -> float:
        p = self.counts.to_numpy(float) / max(self.present, 1)
        return float(-(p * np.log2(p)).sum())


@dataclass(frozen=True)
class _Link:
    """``table.column`` values are (≥ 95 %) ``target.key`` values."""

    table: str
    column: str
    target: str
    key: str
    share: float
    per_key: float  # rows per distinct referenced value

    def __str__(self) -> str:
        return f"{self.table}.{self.column} → {self.target}.{self.key} ({_pct(self.share)})"


# ------------------------------------------------------------------------------------------ the drafter


class _Drafter:
    """Builds a :class:`SpecDraft` step by step; ``used`` and ``reasons`` track every column's fate."""

    def __init__(self, tables: dict[str, pd.DataFrame], name: str) -> None:
        if not tables:
            raise ValueError("no tables to draft a spec from")
        self.frames = {str(t): f for t, f in tables.items()}
        self.cols = {t: {str(c): _Col(t, str(c), f[c]) for c in f.columns} for t, f in self.frames.items()}
        self.name = name
        self.guessed: list[str] = []
        self.unsure: list[str] = []
        self.used: set[tuple[str, str]] = set()
        self.reasons: dict[tuple[str, str], str] = {}
        self.skipped_tables: dict[str, str] = {}
        self.spec: dict = {"version": 1, "name": name}

    # ---- relations

    def col(self, table: str, column: str) -> _Col:
        return self.cols[table][column]

    def timestamps(self, table: str) -> list[_Col]:
        return [c for c in self.cols[table].values() if c.kind == "timestamp"]

    @cached_property
    def links(self) -> list[_Link]:
        targets = [c for cols in self.cols.values() for c in cols.values() if c.key_like]
        out = []
        for cols in self.cols.values():
            for c in cols.values():
                if c.kind in ("timestamp", "boolean", "empty") or c.decimal or c.distinct < 2 or c.sentences >= 0.5:
                    continue
                for k in targets:
                    if k.table == c.table or (c.distinct < 10 and k.rows > 20) or c.distinct > k.rows:
                        continue
                    share = c.contained_in(k)
                    if share >= SHARE:
                        out.append(_Link(c.table, c.name, k.table, k.name, share, c.present / c.distinct))
        return out

    def links_to(self, table: str, key: str | None = None) -> list[_Link]:
        return [x for x in self.links if x.target == table and (key is None or x.key == key)]

    @cached_property
    def keys(self) -> dict[str, str]:
        """Each table's key: the unique column most tables refer to (then id-like values, an id-like name)."""
        out = {}
        for table, cols in self.cols.items():
            candidates = [(i, c) for i, c in enumerate(cols.values()) if c.key_like]
            if candidates:
                out[table] = min(candidates, key=lambda ic: self.key_rank(*ic))[1].name
        return out

    def key_rank(self, position: int, c: _Col) -> tuple:
        refs = len({x.table for x in self.links_to(c.table, c.name)})
        return (-refs, -c.idlike, not _hinted(c.name, "id"), position)

    def event_tables(self, table: str) -> list[_Link]:
        """Links into ``table``'s key from dated tables with many rows per referenced row (one link per table)."""
        best: dict[str, _Link] = {}
        for x in self.links_to(table, self.keys.get(table)):
            better = x.table not in best or (x.share, x.per_key) > (best[x.table].share, best[x.table].per_key)
            if self.timestamps(x.table) and x.per_key >= EVENTS_PER_ENTITY and better:
                best[x.table] = x
        return list(best.values())

    # ---- the entity

    def created_column(self, table: str) -> _Col | None:
        """The creation timestamp: complete ones first, a created-like name, then the earliest median."""
        stamps = self.timestamps(table)
        if not stamps:
            return None
        return min(stamps, key=lambda c: (-round(c.filled, 2), not _hinted(c.name, "created"), c.times.median()))

    def created_with(self, table: str, created: _Col) -> tuple[str, float] | None:
        """Another table's timestamp (not of this table's events) the creation times coincide with."""
        own = {x.table for x in self.event_tables(table)}
        values = created.times.dropna()
        best = None
        for other, cols in self.cols.items():
            if other in own or other == table or not len(values):
                continue
            for c in cols.values():
                if c.kind == "timestamp" and c.present >= 20:
                    share = float(values.isin(c.times.dropna()).mean())
                    if share >= 0.5 and (best is None or share > best[1]):
                        best = (f"{other}.{c.name}", share)
        return best

    def choose_entity(self) -> None:
        ranked = []
        for table in self.keys:
            created = self.created_column(table)
            if created is None:
                continue
            coincide = self.created_with(table, created)
            if coincide:
                where, share = coincide
                self.skipped_tables[table] = (f"created when {where} happens ({created.name} = {where} for "
                                              f"{_pct(share)} of rows): a leak if used")  # fmt: skip
                self.guessed.append(f"not the entity: {table} ({self.skipped_tables[table]})")
                continue
            ranked.append((len(self.event_tables(table)), self.frames[table].shape[0], table, created))
        if not ranked:
            raise ValueError("no table has both a unique key and a timestamp: cannot tell which table holds the leads")
        refs, rows, table, created = max(ranked, key=lambda r: (r[0], r[1]))
        self.entity, self.entity_key, self.created = table, self.keys[table], created.name
        names = ", ".join(x.table for x in self.event_tables(table))
        self.guessed.append(f"entity: {table} (key {self.entity_key}, {rows:,} rows; {refs} event table(s) refer to "
                            f"it{': ' + names if names else ''})")  # fmt: skip
        if not refs:
            self.unsure.append(f"entity {table}: no event table refers to it; check the entity and the event keys")
        n_stamps = len(self.timestamps(table))
        self.guessed.append(f"entity created_at: {created.name} ({_pct(created.filled)} filled; "
                            f"{n_stamps} timestamp column(s) in {table})")  # fmt: skip
        if created.present < created.rows:
            self.unsure.append(f"{table}.{created.name}: {created.rows - created.present:,} rows have no creation "
                               "time; the spec needs one for every row")  # fmt: skip
        self.use(table, self.entity_key, created.name)
        self.spec["entity"] = {"table": table, "key": self.entity_key, "created_at": created.name}

    def use(self, table: str, *columns: str) -> None:
        self.used |= {(table, c) for c in columns}

    def ignore(self, table: str, column: str, reason: str) -> None:
        if (table, column) not in self.used:
            self.reasons.setdefault((table, column), reason)

    # ---- outcomes

    def win_filters(self) -> list[tuple[str, str, tuple[str, ...], bool]]:
        """(table, column, win-like values, is a flag) of every dated table."""
        out = []
        for table, cols in self.cols.items():
            if not self.timestamps(table):
                continue
            for c in cols.values():
                if c.kind == "boolean" and any(w in _WIN_WORDS for w in _words(c.name)):
                    true = [v for v in c.counts.index if v.lower() in _TRUE_WORDS]
                    if true:
                        out.append((table, c.name, tuple(true), True))
                elif c.kind == "text" and c.distinct <= TYPE_MAX:
                    wins = tuple(v for v in c.counts.index if _is_win_value(v))
                    if wins:
                        out.append((table, c.name, wins, False))
        return out

    def outcome_link(self, table: str) -> dict | None:
        """How ``table`` reaches the entity: its own column holding the entity key, or an entity column holding
        one of its keys."""
        if table == self.entity:
            return {"lead_key": self.entity_key}
        own = [x for x in self.links_to(self.entity, self.entity_key) if x.table == table]
        if own:
            return {"lead_key": max(own, key=lambda x: x.share).column}
        back = [x for x in self.links if x.table == self.entity and x.target == table]
        if back:
            best = max(back, key=lambda x: (x.key == self.keys.get(table), x.share))
            return {"key": best.key, "link": best.column}
        return None

    def passing(self, table: str, column: str | None, values: tuple[str, ...]) -> np.ndarray:
        if column is None:
            return np.ones(self.frames[table].shape[0], dtype=bool)
        text = self.col(table, column).text.str.lower()
        return _isin(text, [v.lower() for v in values]).to_numpy(bool)

    def outcome_time(self, table: str, rows: np.ndarray) -> _Col | None:
        """The outcome's time: filled for the outcome rows, the latest on median; on the entity table it must be
        set only for the outcome rows (not the creation time)."""
        stamps = [c for c in self.timestamps(table) if c.times[rows].notna().mean() >= 0.9]
        if table == self.entity:
            stamps = [c for c in stamps if c.name != self.created and c.times[~rows].notna().mean() <= 0.2]
        return max(stamps, key=lambda c: c.times[rows].median(), default=None)

    def outcome_value(self, table: str, skip: set[str]) -> str | None:
        numbers = [c for c in self.cols[table].values()
                   if c.kind == "number" and c.number_share == 1 and c.name not in skip
                   and not (c.key_like and c.integral) and not any(x.table == table and x.column == c.name
                                                                   for x in self.links)]  # fmt: skip
        hinted = [c for c in numbers if _hinted(c.name, "amount")]
        pick = hinted or (numbers if len(numbers) == 1 else [])
        return pick[0].name if pick else None

    def entity_hits(self, table: str, rows: np.ndarray, link: dict) -> pd.Series:
        """Which entity rows have an outcome row."""
        entity = self.col(self.entity, self.entity_key).text
        if "lead_key" in link:
            keys = self.col(table, link["lead_key"]).text[rows]
            return _isin(entity, keys.dropna())
        keys = self.col(table, link["key"]).text[rows]
        return _isin(self.col(self.entity, link["link"]).text, keys.dropna())

    def find_outcomes(self) -> None:
        found = []
        for table, column, values, flag in self.win_filters():
            link = self.outcome_link(table)
            rows = self.passing(table, column, values)
            time = self.outcome_time(table, rows) if link else None
            if link and time is not None:
                found.append(dict(table=table, column=column, values=values, flag=flag, link=link, time=time.name,
                                  hits=self.entity_hits(table, rows, link),
                                  distinct=self.col(table, column).distinct))  # fmt: skip
        if not found:
            found = self.unfiltered_outcomes()
        if not found:
            raise ValueError("no outcome found: no dated table with a win-like value (won, closed won, converted, …) "
                             "or one row per lead reaches the entity; declare the outcome by hand")  # fmt: skip
        self.declare_outcomes(found)

    def unfiltered_outcomes(self) -> list[dict]:
        """Tables whose every row is an outcome: at most one row per entity, dated, with an amount or a win-like
        name."""
        out = []
        for x in self.links_to(self.entity, self.entity_key):
            if x.table == self.entity or x.per_key > 1.05 or not self.timestamps(x.table):
                continue
            value = self.outcome_value(x.table, {x.column})
            if value is None and not set(_words(x.table)) & _WIN_WORDS:
                continue
            rows = self.passing(x.table, None, ())
            time = self.outcome_time(x.table, rows)
            link = {"lead_key": x.column}
            if time is not None:
                out.append(dict(table=x.table, column=None, values=(), flag=False, link=link, time=time.name,
                                hits=self.entity_hits(x.table, rows, link), distinct=0))  # fmt: skip
        return out

    def declare_outcomes(self, found: list[dict]) -> None:
        found.sort(key=lambda o: (int(o["hits"].sum()) or 10**12, o["flag"], -o["distinct"]))
        outcomes = {}
        for o in found:
            name = slug(o["column"] if o["flag"] else o["values"][0]) if o["column"] else slug(o["table"])
            name = name or "outcome"
            while name in outcomes:
                name += "_2"
            o["name"] = name
            body = {"table": o["table"], "time": o["time"], **o["link"]}
            if o["column"]:
                body["where"] = {o["column"]: list(o["values"])}
            value = self.outcome_value(o["table"], {o["time"], *(o["link"].values())})
            if value and o["table"] != self.entity:
                body["value"] = value
            outcomes[name] = body
            self.note_outcome(o, body)
        self.spec["outcomes"], self.spec["target"] = outcomes, found[0]["name"]
        self.target_hits = found[0]["hits"]
        self.outcome_tables = {o["table"] for o in found}
        if len(found) > 1:
            names = ", ".join(o["name"] for o in found)
            self.unsure.append(f"target: {found[0]['name']} is the most specific of {len(found)} outcome filters "
                               f"({names}); pick the one you mean to predict")  # fmt: skip

    def note_outcome(self, o: dict, body: dict) -> None:
        table = o["table"]
        self.use(table, o["time"], *(c for c in (o["column"], body.get("value"), body.get("lead_key"),
                                                 body.get("key")) if c))  # fmt: skip
        if body.get("link"):
            self.use(self.entity, body["link"])
        what = f" where {o['column']} = {', '.join(o['values'])}" if o["column"] else " (every row)"
        how = (f"{self.entity}.{body['link']} → {table}.{body['key']}" if body.get("link")
               else f"{table}.{body['lead_key']} → {self.entity}.{self.entity_key}")  # fmt: skip
        value = f", value {body['value']}" if body.get("value") else ", no value column"
        self.guessed.append(f"outcome {o['name']}: {table}{what} ({int(o['hits'].sum()):,} entities), at "
                            f"{o['time']}{value}; linked by {how}")  # fmt: skip
        if not o["column"]:
            self.unsure.append(f"outcome {o['name']}: every row of {table} counts as an outcome (no win-like value "
                               "found); add a where filter if some rows are not wins")  # fmt: skip

    # ---- event sources

    def find_sources(self) -> None:
        sources = []
        for x in sorted(self.event_tables(self.entity), key=lambda x: list(self.frames).index(x.table)):
            if x.table in self.outcome_tables and x.per_key < EVENTS_PER_ENTITY:
                continue
            sources.append(self.source(x))
        for x in self.links_to(self.entity, self.entity_key):
            known = {s["table"] for s in sources} | self.outcome_tables | set(self.skipped_tables)
            if x.table not in known:
                why = "no timestamp" if not self.timestamps(x.table) else f"{x.per_key:.2f} rows per entity"
                self.skipped_tables[x.table] = f"refers to {self.entity} but is not an event table ({why})"
        if not sources:
            raise ValueError(f"no event table found: none has a timestamp and many rows per {self.entity} row")
        self.prefix(sources)
        self.spec["events"] = sources

    def source(self, x: _Link) -> dict:
        stamps = self.timestamps(x.table)
        ts = max(stamps, key=lambda c: (round(c.filled, 2), _hinted(c.name, "created")))
        types, why = self.type_columns(x.table, ts, skip={x.column})
        url = self.url_column(x.table, skip={x.column, ts.name, *types})
        values = self.value_columns(x.table, skip={x.column, ts.name})
        body = {"name": slug(x.table) or "events", "table": x.table, "key": x.column, "timestamp": ts.name}
        if types:
            body["type"] = types if len(types) > 1 else types[0]
        if url:
            body["url"] = url
        if values:
            body["values"] = {slug(v): v for v in values}
        self.use(x.table, x.column, ts.name, *types, *([url] if url else []), *values)
        extras = (f", url {url}" if url else "") + (f", values {', '.join(values)}" if values else "")
        self.guessed.append(f"events {body['name']}: {x.table} (key {x.column} → {x.target}.{x.key} {_pct(x.share)}, "
                            f"{x.per_key:.1f} rows per entity; time "
                            f"{ts.name}; type {' + '.join(types)}: {why}{extras})")  # fmt: skip
        return body

    def type_candidates(self, table: str, ts: _Col, skip: set[str]) -> tuple[list[_Col], dict[str, str]]:
        """Low-cardinality text columns, nearly always filled, whose values occur across the whole time span (names
        of campaigns or webinars come and go; types stay); why the others are not."""
        out, why = [], {}
        linked = {x.column for x in self.links if x.table == table}
        for c in self.cols[table].values():
            if c.name in skip or c.kind != "text" or c.name in linked or c.key_like:
                continue
            if c.distinct == 1:
                why[c.name] = f"one value only ({c.counts.index[0]})"
            elif c.distinct > TYPE_MAX:
                why[c.name] = f"{c.distinct:,} distinct values: not an event type"
            elif c.filled < 0.9:
                why[c.name] = f"mostly empty ({_pct(c.filled)} filled)"
            elif c.share(_URL) >= 0.8 or c.sentences >= 0.5:
                why[c.name] = "a URL or free text: not an event type"
            elif self.persistence(c, ts) < 0.9:
                why[c.name] = "its values come and go over time (names of campaigns or the like): not an event type"
            else:
                out.append(c)
        return out, why

    @staticmethod
    def persistence(c: _Col, ts: _Col) -> float:
        """Share of rows whose value occurs over at least half of the table's time span."""
        times = ts.times
        lo, hi = times.quantile(0.01), times.quantile(0.99)
        if pd.isna(lo) or hi <= lo:
            return 1.0
        spans = times.groupby(c.text).agg(["min", "max", "size"])
        wide = (spans["max"] - spans["min"]) >= (hi - lo) / 2
        return float(spans["size"][wide].sum() / max(spans["size"].sum(), 1))

    def type_columns(self, table: str, ts: _Col, skip: set[str]) -> tuple[list[str], str]:
        candidates, why = self.type_candidates(table, ts, skip)
        for name, reason in why.items():
            self.ignore(table, name, reason)
        if not candidates:
            return self.fallback_type(table, skip | {ts.name})
        main = max(candidates, key=lambda c: c.entropy())
        pair = self.partner(main, [c for c in candidates if c is not main])
        for c in candidates:
            if c not in (main, pair):
                self.ignore(table, c.name, f"type-like, but adds nothing to {main.name} as the event type")
        evidence = f"{main.distinct} values"
        if pair is None:
            return [main.name], evidence
        combos = len(self.frames[table][[main.name, pair.name]].drop_duplicates())
        return [main.name, pair.name], (f"{main.distinct} × {pair.distinct} values make {combos} pairs, "
                                        f"more than either alone")  # fmt: skip

    def partner(self, main: _Col, others: list[_Col]) -> _Col | None:
        """A second type column when the pair tells events apart that the main one lumps together (Type + Status):
        few values, more information, and few pairs (not a cross of two unrelated columns)."""
        best, gain = None, 0.1
        frame = self.frames[main.table]
        for c in others:
            if c.distinct > 20:
                continue
            both = frame[[main.name, c.name]].astype("string").fillna("").value_counts(normalize=True).to_numpy()
            joint = float(-(both * np.log2(both)).sum())
            if len(both) <= 2 * max(main.distinct, c.distinct) and joint - main.entropy() > gain:
                best, gain = c, joint - main.entropy()
        return best

    def fallback_type(self, table: str, skip: set[str]) -> tuple[list[str], str]:
        """No column names the type: every row is one kind of event, named after its table (e.g. a web session)."""
        del skip
        self.unsure.append(f"{table}: no text column names an event type; each row counts as one "
                           f"'{slug(table)}' event")  # fmt: skip
        return [], "no type column: one event type, the table's name"

    def url_column(self, table: str, skip: set[str]) -> str | None:
        cols = [c for c in self.cols[table].values() if c.name not in skip and c.kind == "text"]
        urls = [c for c in cols if c.share(_URL) >= 0.8]
        return max(urls, key=lambda c: c.present).name if urls else None

    def value_columns(self, table: str, skip: set[str]) -> list[str]:
        linked = {x.column for x in self.links if x.table == table}
        return [c.name for c in self.cols[table].values()
                if c.name not in skip | linked and c.kind == "number" and c.number_share == 1
                and not (c.key_like and c.integral)]  # fmt: skip

    def prefix(self, sources: list[dict]) -> None:
        """Give a prefix to every source whose type names another source also has."""
        vocab = {}
        for s in sources:
            if "type" not in s:  # one event type: the source's name
                vocab[s["name"]] = {slug(s["name"])}
                continue
            cols = s["type"] if isinstance(s["type"], list) else [s["type"]]
            pairs = self.frames[s["table"]][cols].astype("string").fillna("").drop_duplicates()
            vocab[s["name"]] = {slug(" ".join(row)) for row in pairs.itertuples(index=False)} - {""}
        for s in sources:
            shared = sorted(n for n, v in vocab.items() if n != s["name"] and v & vocab[s["name"]])
            if shared:
                s["prefix"] = s["name"]
                self.guessed.append(f"events {s['name']}: prefix {s['name']} (type names shared with "
                                    f"{', '.join(shared)})")  # fmt: skip

    # ---- the account

    def find_account(self) -> None:
        busy = {s["table"] for s in self.spec["events"]} | self.outcome_tables | {self.entity}
        sources = {s["table"] for s in self.spec["events"]}
        options = [x for x in self.links if x.table == self.entity and x.target not in busy
                   and (self.entity, x.column) not in self.used
                   and not any(y.table in sources and y.target == x.target for y in self.links)]  # fmt: skip
        if not options:
            self.account = None
            return
        x = max(options, key=lambda x: (self.col(x.target, x.key).idlike, x.key == self.keys.get(x.target), x.share))
        self.account = x.target
        self.spec["entity"]["account_key"] = x.column
        self.spec["account"] = {"table": x.target, "key": x.key}
        self.use(self.entity, x.column)
        self.use(x.target, x.key)
        self.guessed.append(f"account: {x.target} (key {x.key}; {x}; no event table refers to it)")
        if self.col(x.target, x.key).idlike < 0.5:
            self.unsure.append(f"account {x.target} is joined on names ({self.entity}.{x.column} = {x.target}.{x.key}),"
                               " not ids: check they are spelled the same")  # fmt: skip


# ------------------------------------------------------------------------------------------ entity columns


class _Columns:
    """The entity's (and account's) remaining columns: leak suspects, PII, parser inputs, typed attributes."""

    def __init__(self, d: _Drafter) -> None:
        self.d = d
        self.parsers: dict[str, str] = {}
        self.pii: list[str] = []
        self.attributes: list[dict] = []

    def free(self, table: str) -> list[_Col]:
        return [c for c in self.d.cols[table].values() if (table, c.name) not in self.d.used]

    def run(self) -> None:
        d = self.d
        self.leaks()
        self.personal()
        self.roles()
        self.typed(d.entity)
        if d.account:
            self.typed(d.account)
        if self.parsers:
            d.spec["parsers"] = self.parsers
        if self.attributes:
            d.spec["attributes"] = self.attributes
        if self.pii:
            d.spec["pii"] = list(dict.fromkeys(self.pii))

    def leaks(self) -> None:
        """Entity columns set (or true) for nearly only the entities that later have the target outcome."""
        d, hits = self.d, self.d.target_hits.to_numpy(bool)
        if hits.sum() < 5 or (~hits).sum() < 5:
            return
        for c in self.free(d.entity):
            is_set = (_isin(c.text.str.lower(), _TRUE_WORDS) if c.kind == "boolean" else c.text.notna()).to_numpy(bool)
            with_, without = is_set[hits].mean(), is_set[~hits].mean()
            if with_ >= LEAK_WITH and without <= LEAK_WITHOUT:
                reason = (f"leak suspect: set for {_pct(with_)} of the entities with the outcome "
                          f"{d.spec['target']}, {_pct(without)} of the others")  # fmt: skip
                d.ignore(d.entity, c.name, reason)
                d.use(d.entity, c.name)
                d.guessed.append(f"ignored {c.name}: {reason}")
                d.unsure.append(f"{d.entity}.{c.name}: {reason}; ignored (keep it only if it is known before the "
                                "outcome)")  # fmt: skip

    def personal(self) -> None:
        """Emails, phone numbers and person names: PII (the first of each read by its parser)."""
        d = self.d
        for c in self.free(d.entity):
            if c.kind != "text":
                continue
            if c.share(_EMAIL) >= 0.8:
                self.pii_column(c, "email", f"{_pct(c.share(_EMAIL))} of values are email addresses")
            elif self.phone_share(c) >= 0.8:
                self.pii_column(c, "phone", f"{_pct(self.phone_share(c))} of values are phone numbers")
            elif _hinted(c.name, "first_name") or _hinted(c.name, "last_name"):
                role = "first_name" if _hinted(c.name, "first_name") else "last_name"
                self.pii_column(c, role, "its name says so")
            elif c.sentences >= 0.5:
                self.pii_column(c, "form_message", f"{_pct(c.sentences)} of values are sentences (free text)")
            elif self.person_like(c):
                self.pii_column(c, None, f"{_pct(c.share(_PERSON))} of values look like personal names")
                d.unsure.append(f"{d.entity}.{c.name}: declared PII because its values look like personal names")

    @staticmethod
    def phone_share(c: _Col) -> float:
        if c.kind == "number" and not _hinted(c.name, "phone"):
            return 0.0
        return c.share(test=lambda v: v.str.contains(_PHONE, regex=True) & (v.str.count(r"\d") >= 7))

    def person_like(self, c: _Col) -> bool:
        roles = ("job_title", "company_name", "country", "industry", "lead_source")
        return c.distinct >= 20 and c.share(_PERSON) >= SHARE and not any(_hinted(c.name, r) for r in roles)

    def pii_column(self, c: _Col, role: str | None, evidence: str) -> None:
        d = self.d
        self.pii.append(c.name)
        d.use(d.entity, c.name)
        if role and role not in self.parsers:
            self.parsers[role] = c.name
            d.guessed.append(f"parser {role}: {c.name} ({evidence}; PII)")
        else:
            d.guessed.append(f"pii: {c.name} ({evidence})")

    def roles(self) -> None:
        """Parser inputs known by their values (job titles, company names) or by a hinted name and fitting values."""
        d = self.d
        names = {x.column for x in d.links if x.table == d.entity and d.col(x.target, x.key).idlike < 0.5}
        for c in self.free(d.entity) + [d.col(d.entity, x) for x in names if (d.entity, x) in d.used]:
            role, evidence = self.role_of(c, names)
            if role and role not in self.parsers:
                self.parsers[role] = c.name
                d.use(d.entity, c.name)
                d.guessed.append(f"parser {role}: {c.name} ({evidence})")

    def role_of(self, c: _Col, names: set[str]) -> tuple[str | None, str]:
        if c.kind == "number" and c.number_share == 1:
            for role in ("employees", "annual_revenue"):
                if _hinted(c.name, role):
                    return role, f"numbers, and the name reads like {role.replace('_', ' ')}"
            return None, ""
        if c.kind != "text":
            return None, ""
        roles = self.role_words(c)
        if c.distinct >= 20 and _hinted(c.name, "job_title"):
            return "job_title", f"free text, the name reads like a job title; {_pct(roles)} of values hold job words"
        if c.name in names or _hinted(c.name, "company_name"):
            why = "its values are another table's names" if c.name in names else "the name reads like a company"
            return "company_name", why
        for role in ("country", "industry", "lead_source"):
            if _hinted(c.name, role) and c.distinct <= CATEGORICAL_MAX:
                return role, f"{c.distinct} distinct values, and the name reads like {role.replace('_', ' ')}"
        if c.distinct >= 20 and roles >= 0.3:
            return "job_title", f"free text, {_pct(roles)} of values hold job words (manager, engineer, …)"
        return None, ""

    @staticmethod
    def role_words(c: _Col) -> float:
        return c.share(test=lambda v: v.map(lambda t: bool(set(_words(t)) & _ROLE_WORDS)).astype(bool))

    # ---- typed attributes

    def typed(self, table: str) -> None:
        d = self.d
        account = table != d.entity
        stamps = [c for c in self.free(table) if c.kind == "timestamp"]
        for c in self.free(table):
            if c.kind == "timestamp":
                continue
            kind, extra, reason = self.attribute_kind(c)
            if kind is None:
                d.ignore(table, c.name, reason)
                continue
            body = {"column": c.name, "kind": kind, **extra}
            spelled = self.spelled_as(c) if kind == "categorical" else None
            if spelled:
                body["normalise"] = spelled
                reason += f"; normalised as a {spelled}: its name reads like one"
            if account:
                body["table"] = table
            known = None if account else self.known_from(c, stamps)
            if known:
                body["known_from"] = known.name
                d.use(table, known.name)
            self.attributes.append(body)
            d.use(table, c.name)
            detail = f", order {' < '.join(extra['order'])}" if "order" in extra else ""
            since = f", known from {known.name} (filled on the same rows)" if known else ""
            d.guessed.append(f"attribute {table}.{c.name}: {kind} ({reason}{detail}{since})")
        for c in stamps:
            d.ignore(table, c.name, "a timestamp, not a feature (name it as an attribute's known_from to use it)")
        self.unique_names()

    @staticmethod
    def spelled_as(c: _Col) -> str | None:
        """A country or industry column (by its name) cleaned by that parser's normaliser, so "DE", "Germany" and
        "Deutschland" are one value; channels (lead source) are the user's vocabulary and stay as they are. A whole word
        of the name must say so (``BillingCountry``, ``Land``), not a fragment (``Designation``)."""
        return next((role for role in ("country", "industry") if _hinted(c.name, role, whole_words=True)), None)

    def attribute_kind(self, c: _Col) -> tuple[str | None, dict, str]:
        """(kind, extra fields, evidence) or (None, {}, why not)."""
        if c.kind == "empty":
            return None, {}, "always empty"
        if c.distinct == 1:
            return None, {}, f"one value only ({c.counts.index[0]})"
        if c.kind == "boolean":
            return "boolean", {}, "two values: " + " / ".join(c.counts.index)
        if c.kind == "number" and c.number_share == 1:
            if c.key_like and c.integral:
                return None, {}, "unique per row: an id"
            return "numeric", {}, f"{_pct(c.number_share)} numbers"
        if c.kind == "number":
            self.d.unsure.append(f"{c.table}.{c.name}: {_pct(c.number_share)} numbers, the rest not; ignored "
                                 "(clean the rest or declare it categorical)")  # fmt: skip
            return None, {}, f"{_pct(c.number_share)} numbers, the others do not parse"
        order = self.band_order(c)
        if order:
            return "band", {"order": order}, f"{c.distinct} ordered values"
        return self.text_kind(c)

    def text_kind(self, c: _Col) -> tuple[str | None, dict, str]:
        if c.sentences >= 0.5:
            return None, {}, "free text"
        if c.present == c.distinct:
            return None, {}, "unique per row: an id or a name"
        if c.distinct <= CATEGORICAL_MAX or c.distinct <= CATEGORICAL_SHARE * c.present:
            return "categorical", {}, f"{c.distinct} distinct values"
        what = "ids" if c.idlike >= 0.9 else "high cardinality"
        return None, {}, f"{what}: {c.distinct:,} distinct values"

    @staticmethod
    def band_order(c: _Col) -> list[str] | None:
        """Values ordered by their leading number (ranges like 1-10, 11-50, 5000+), or a size ladder (S < M < L)."""
        values = list(c.counts.index)
        if isinstance(c.raw.dtype, pd.CategoricalDtype) and c.raw.cat.ordered:
            return [str(v) for v in c.raw.cat.categories if str(v) in set(values)]
        if c.distinct > 30:
            return None
        if c.share(_RANGE) == 1 and sum(bool(re.search(r"\d\s*(?:-|–|to|\+)", v)) for v in values) >= 2:
            lead = {v: float(re.match(r"[<>]?\s*(\d[\d,]*(?:\.\d+)?)", v).group(1).replace(",", "")) for v in values}
            return sorted(values, key=lambda v: (lead[v], v.startswith(">") or v.endswith("+")))
        if c.distinct >= 3 and {v.lower() for v in values} <= set(_SIZE_LADDER):
            return sorted(values, key=lambda v: _SIZE_LADDER[v.lower()])
        return None

    def known_from(self, c: _Col, stamps: list[_Col]) -> _Col | None:
        """An entity timestamp filled on (nearly) exactly the rows this column is: the value is known from then."""
        if c.present == c.rows:
            return None
        has = c.text.notna().to_numpy(bool)
        for t in stamps:
            when = t.times.notna().to_numpy(bool)
            if when.all() or not has.any():
                continue
            if when[has].mean() >= 0.99 and has[when].mean() >= 0.9:
                return t
        return None

    def unique_names(self) -> None:
        seen: set[str] = set()
        for a in self.attributes:
            base = ("account_" if a.get("table") else "") + slug(a["column"])
            name, i = base, 2
            while name in seen:
                name, i = f"{base}_{i}", i + 1
            if name != base:
                a["name"] = name
            seen.add(name)


# ------------------------------------------------------------------------------------------ the rest: ignored


def _ignore_rest(d: _Drafter) -> None:
    """Give every column not used a reason; tables not read get one ``Table.*`` entry."""
    read = {d.entity, *(s["table"] for s in d.spec["events"]), *d.outcome_tables, *([d.account] if d.account else [])}
    for table, cols in d.cols.items():
        if table not in read:
            continue
        for c in cols.values():
            d.ignore(table, c.name, _why_not(d, table, c, read))
    ignore: dict[str, dict[str, list[str]]] = {}
    for (table, column), reason in d.reasons.items():
        if table in read and ((table, column) not in d.used or reason.startswith("leak suspect")):
            ignore.setdefault(column, {}).setdefault(reason, []).append(table)
    out = {}
    for column, by_reason in ignore.items():
        shared = sum(column in d.cols[t] for t in read) > 1  # keys are bare names: say which table is meant
        if len(by_reason) == 1 and not shared:
            out[column] = next(iter(by_reason))
        else:
            out[column] = "; ".join(f"{', '.join(tables)}: {reason}" for reason, tables in by_reason.items())
    for table in d.frames:
        if table not in read:
            out[f"{table}.*"] = "table not read: " + d.skipped_tables.get(table, _why_unread(d, table))
    if out:
        d.spec["ignore"] = out


def _why_not(d: _Drafter, table: str, c: _Col, read: set[str]) -> str:
    if d.keys.get(table) == c.name:
        return "the row id of an event or outcome table"
    out = [x for x in d.links if x.table == table and x.column == c.name]
    if out:
        if out[0].target == d.entity:
            return f"another column referring to {d.entity}"
        return f"refers to {out[0].target}" + ("" if out[0].target in read else " (not read)")
    if c.kind == "empty":
        return "always empty"
    if c.distinct == 1:
        return f"one value only ({c.counts.index[0]})"
    if table in d.outcome_tables:
        times = {o["time"] for o in d.spec["outcomes"].values() if o["table"] == table}
        if c.kind == "timestamp":
            return f"another time than the outcome's ({', '.join(sorted(times))})"
        return "in the outcome table, not used by the outcome"
    if c.kind == "boolean":
        return "a flag beside the event type"
    return "not an event type, URL or value column"


def _why_unread(d: _Drafter, table: str) -> str:
    refs = sorted({x.table for x in d.links_to(table)})
    if refs:
        return f"describes rows that {', '.join(refs)} refer to, not the entity"
    return f"not linked to {d.entity}"


def draft_spec(tables: dict[str, pd.DataFrame], name: str = "dataset") -> SpecDraft:
    """Guess a dataset spec from raw tables (table name → frame): see the module docstring."""
    d = _Drafter(tables, name)
    d.choose_entity()
    d.find_outcomes()
    d.find_sources()
    d.find_account()
    _Columns(d).run()
    _ignore_rest(d)
    spec = {k: d.spec[k] for k in ("version", "name", "entity", "account", "events", "attributes", "parsers", "pii",
                                   "ignore", "outcomes", "target") if k in d.spec}  # fmt: skip
    spec_from_dict(spec, "draft")  # the draft must be a valid spec
    return SpecDraft(spec, d.guessed, list(dict.fromkeys(d.unsure)))
