"""Lead routing: every lead routed once or told why, capacity, determinism, the balanced spread bound, YAML errors."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import predictive_leads.ops.routing as routing
from predictive_leads.ops.routing import (
    CAPACITY_FULL,
    DISQUALIFIED,
    MODES,
    NO_ELIGIBLE_REP,
    Rep,
    RoutingConfig,
    Rule,
    load_reps,
    rep_report,
    route,
    spread_summary,
)

TIERS = ("SQL", "MQL", "nurture", "disqualified")
REGIONS = ("Europe", "North America", "Asia", None)
REASONS = {DISQUALIFIED, NO_ELIGIBLE_REP, CAPACITY_FULL}
FEW = settings(max_examples=60, deadline=None)

# ---------------------------------------------------------------------------------------------- strategies

probabilities = st.one_of(st.floats(0, 1, allow_nan=False), st.sampled_from([0.0, 0.125, 0.25, 0.5, 0.75, 1.0]))


@st.composite
def score_frames(draw, max_leads: int = 24) -> pd.DataFrame:
    n = draw(st.integers(0, max_leads))
    ids = draw(st.lists(st.integers(0, 999), min_size=n, max_size=n, unique=True))
    return pd.DataFrame({
        "id": ids,
        "probability": draw(st.lists(probabilities, min_size=n, max_size=n)),
        "score": draw(st.lists(st.integers(1, 5).map(lambda s: 20 * s), min_size=n, max_size=n)),
        "stage": draw(st.lists(st.sampled_from(TIERS), min_size=n, max_size=n)),
        "region": pd.Series(draw(st.lists(st.sampled_from(REGIONS), min_size=n, max_size=n)), dtype=object),
    })  # fmt: skip


@st.composite
def configs(draw, *, plain: bool = False, capacity: int | None = None) -> RoutingConfig:
    """Random reps (teams east/west/none) and region rules; ``plain``: no filters and ``capacity`` for all."""
    n = draw(st.integers(1, 5))
    reps = []
    for i in range(n):
        team = draw(st.sampled_from([None, "east", "west"]))
        if plain:
            reps.append(Rep(name=f"r{i}", team=team, capacity=capacity))
            continue
        cap = draw(st.one_of(st.none(), st.integers(0, 6)))
        territories = tuple(draw(st.lists(st.sampled_from(REGIONS[:3]), max_size=2, unique=True)))
        reps.append(Rep(name=f"r{i}", team=team, capacity=cap, territories=territories))
    teams = list(dict.fromkeys(r.team for r in reps if r.team))
    rules = []
    for region in REGIONS[:3]:
        if teams and draw(st.booleans()):
            rules.append(Rule(team=draw(st.sampled_from(teams)), when={"region": (region,)}))
    default = draw(st.sampled_from([None, *teams]))
    return RoutingConfig(reps=tuple(reps), rules=tuple(rules), default_team=default)


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("id").reset_index(drop=True)


def expected_per_rep(out: pd.DataFrame, names: list[str]) -> pd.Series:
    return out.groupby("rep")["probability"].sum().reindex(names, fill_value=0.0)


# ---------------------------------------------------------------------------------------------- properties


@FEW
@given(scores=score_frames(), config=configs(), mode=st.sampled_from(MODES), seed=st.integers(0, 10))
def test_every_lead_is_routed_once_or_says_why(scores, config, mode, seed):
    out = route(scores, config, mode=mode, seed=seed)
    assert len(out) == len(scores) and out["id"].tolist() == scores["id"].tolist()
    assigned, unassigned = out["rep"].notna(), out["unassigned_reason"].notna()
    assert (assigned ^ unassigned).all() and assigned.sum() + unassigned.sum() == len(scores)
    assert set(out.loc[unassigned, "unassigned_reason"]) <= REASONS
    disq = out["stage"].eq("disqualified")
    assert out.loc[disq, "rep"].isna().all() and out.loc[disq, "unassigned_reason"].eq(DISQUALIFIED).all()
    assert not out.loc[~disq, "unassigned_reason"].eq(DISQUALIFIED).any()
    taken = out["rep"].value_counts()
    for rep in config.reps:
        assert rep.capacity is None or taken.get(rep.name, 0) <= rep.capacity
    reps = {rep.name: rep for rep in config.reps}
    region = dict(zip(scores["id"], scores["region"], strict=True))
    for row in out[assigned].itertuples():
        rep = reps[row.rep]
        assert not rep.territories or region[row.id] in rep.territories
        assert mode == "round_robin" or row.team is None or rep.team == row.team


@FEW
@given(scores=score_frames(), config=configs(), mode=st.sampled_from(MODES), seed=st.integers(0, 10), data=st.data())
def test_deterministic_and_independent_of_row_order(scores, config, mode, seed, data):
    first = route(scores, config, mode=mode, seed=seed)
    pd.testing.assert_frame_equal(first, route(scores, config, mode=mode, seed=seed))
    permutation = data.draw(st.permutations(range(len(scores))))
    shuffled = route(scores.iloc[list(permutation)], config, mode=mode, seed=seed)
    pd.testing.assert_frame_equal(by_id(first), by_id(shuffled))


@FEW
@given(scores=score_frames(), config=configs(plain=True), seed=st.integers(0, 10))
def test_balanced_spread_is_at_most_the_largest_lead_with_unlimited_capacity(scores, config, seed):
    out = route(scores, config, mode="balanced", seed=seed)
    assigned = out[out["rep"].notna()]
    assert out["rep"].notna().sum() == (out["stage"] != "disqualified").sum()
    for team, pool in assigned.groupby("team", dropna=False):
        names = [r.name for r in config.members(None if pd.isna(team) else team)]
        sums = expected_per_rep(pool, names)
        assert sums.max() - sums.min() <= pool["probability"].max() + 1e-9
        tops = pool.groupby("rep")["top_tier"].sum().reindex(names, fill_value=0)
        assert tops.max() - tops.min() <= 1
    summary = spread_summary(out, config)
    assert summary["within_bound"].all() and (summary["top_tier_spread"] <= 1).all()
    assert summary["leads"].sum() == len(assigned)


@FEW
@given(scores=score_frames(), capacity=st.integers(1, 12), n_reps=st.integers(1, 4), seed=st.integers(0, 10))
def test_balanced_bound_holds_with_equal_capacities_that_never_fill(scores, capacity, n_reps, seed):
    reps = [Rep(name=f"r{i}", capacity=capacity) for i in range(n_reps)]
    out = route(scores, reps, mode="balanced", seed=seed)
    report = rep_report(out, reps)
    assert (report["leads"] <= capacity).all()
    if (report["leads"] < capacity).all():  # no rep was ever full, so none was ever skipped
        summary = spread_summary(out, reps)
        assert summary["within_bound"].all() and (summary["top_tier_spread"] <= 1).all()


@FEW
@given(scores=score_frames(), n_reps=st.integers(1, 5), seed=st.integers(0, 20))
def test_round_robin_counts_differ_by_at_most_one(scores, n_reps, seed):
    reps = [Rep(name=f"r{i}", team="t" if i % 2 else None) for i in range(n_reps)]
    out = route(scores, reps, mode="round_robin", seed=seed)
    counts = out["rep"].value_counts().reindex([r.name for r in reps], fill_value=0)
    assert counts.max() - counts.min() <= 1
    assert counts.sum() == (scores["stage"] != "disqualified").sum()


# ---------------------------------------------------------------------------------------------- exact examples


@pytest.fixture
def six_leads() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [6, 2, 5, 1, 4, 3],
        "probability": [0.125, 0.5, 0.25, 0.75, 0.5, 0.25],
        "score": [20, 60, 30, 80, 60, 40],
        "stage": ["disqualified", "SQL", "nurture", "SQL", "MQL", "SQL"],
    })  # fmt: skip


def test_round_robin_exact(six_leads):
    ab = [Rep(name="A"), Rep(name="B")]
    # order by score desc, ties by id: 1 (80), 2 (60), 4 (60), 3 (40), 5 (30); 6 is disqualified
    out = by_id(route(six_leads, ab, mode="round_robin", seed=0))
    assert out["rep"].tolist() == ["A", "B", "B", "A", "A", None]
    assert out["unassigned_reason"].tolist() == [None] * 5 + [DISQUALIFIED]
    assert out["team"].isna().all()
    seed_1 = by_id(route(six_leads, ab, mode="round_robin", seed=1))  # starts with B
    assert seed_1["rep"].tolist() == ["B", "A", "A", "B", "B", None]
    capped = by_id(route(six_leads, [Rep(name="A", capacity=1), Rep(name="B", capacity=2)], mode="round_robin"))
    assert capped["rep"].tolist() == ["A", "B", None, "B", None, None]
    assert capped["unassigned_reason"].tolist() == [None, None, CAPACITY_FULL, None, CAPACITY_FULL, DISQUALIFIED]


def test_balanced_exact(six_leads):
    ab = [Rep(name="A"), Rep(name="B")]
    # top tier by p desc: 1 (.75) → A; 2 (.5) → B (fewer top-tier); 3 (.25) → B (lower E: .5 < .75)
    # then 4 (.5): E equal at .75, A has fewer leads → A (1.25); 5 (.25) → B (1.0)
    out = by_id(route(six_leads, ab, mode="balanced", seed=0))
    assert out["rep"].tolist() == ["A", "B", "B", "A", "B", None]
    report = rep_report(out, ab)
    assert report["expected_conversions"].tolist() == [1.25, 1.0]
    assert report["top_tier"].tolist() == [1, 2] and report["leads"].tolist() == [2, 3]
    assert report["mean_score"].tolist() == [70.0, pytest.approx(130 / 3)]
    summary = spread_summary(out, ab)
    assert summary.iloc[0].to_dict() == {
        "team": None, "reps": 2, "leads": 5, "spread": 0.25, "largest_lead": 0.75, "top_tier_spread": 1,
        "within_bound": True,
    }  # fmt: skip


def test_balanced_evens_out_what_round_robin_does_not():
    leads = pd.DataFrame({"id": range(8), "probability": [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1], "score": 50,
                          "stage": ["SQL"] * 4 + ["nurture"] * 4})  # fmt: skip
    ab = [Rep(name="A"), Rep(name="B")]
    rr = spread_summary(route(leads, ab, mode="round_robin"), ab)["spread"].iloc[0]  # A gets 0, 2, 4, 6
    bal = spread_summary(route(leads, ab, mode="balanced"), ab)["spread"].iloc[0]
    assert rr == pytest.approx(0.4) and bal == pytest.approx(0.0)


def test_rules_exact():
    config = RoutingConfig(
        reps=(Rep(name="Ent1", team="enterprise"), Rep(name="Eu1", team="emea"), Rep(name="Eu2", team="emea"),
              Rep(name="Any", team="smb")),
        rules=(Rule(team="enterprise", when={"company_size_band": ("10000+",)}),
               Rule(team="emea", when={"region": ("Europe",), "stage": ("SQL", "MQL")})),
    )  # fmt: skip
    leads = pd.DataFrame({
        "id": ["a", "b", "c", "d", "e", "f"],
        "probability": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
        "score": [90, 80, 70, 60, 50, 40],
        "stage": ["SQL", "SQL", "MQL", "nurture", "SQL", "disqualified"],
        "region": ["Europe", "Europe", "Europe", "Europe", "Asia", "Europe"],
        "company_size_band": ["10000+", "50-199", "1-9", None, "10000+", "10000+"],
    })  # fmt: skip
    out = route(leads, config, mode="rules")
    # a: first rule wins over the second; d: Europe but nurture → no rule → all reps (round robin from Ent1)
    assert out["team"].tolist() == ["enterprise", "emea", "emea", None, "enterprise", "enterprise"]
    assert out["rep"].tolist() == ["Ent1", "Eu1", "Eu2", "Ent1", "Ent1", None]
    with_default = route(leads, RoutingConfig(reps=config.reps, rules=config.rules, default_team="smb"), mode="rules")
    assert with_default.loc[3, ["team", "rep"]].tolist() == ["smb", "Any"]
    assert route(leads, config, mode="round_robin")["team"].isna().all()


def test_filters_and_reasons():
    reps = [Rep(name="Eu", territories=("Europe",), capacity=1), Rep(name="Na", territories=("North America",))]
    leads = pd.DataFrame({"id": [1, 2, 3, 4], "probability": [0.4, 0.3, 0.2, 0.1], "score": [4, 3, 2, 1],
                          "stage": ["SQL", "SQL", "MQL", "MQL"],
                          "region": ["Europe", "Europe", "Asia", None]})  # fmt: skip
    for mode in MODES:
        out = route(leads, reps, mode=mode)
        assert out["rep"].tolist() == ["Eu", None, None, None]
        assert out["unassigned_reason"].tolist() == [None, CAPACITY_FULL, NO_ELIGIBLE_REP, NO_ELIGIBLE_REP]


def test_capacity_binding_can_break_the_bound():
    """The documented limitation: a full rep is skipped, so the other rep takes a large lead on top of its own."""
    leads = pd.DataFrame({"id": [1, 2, 3, 4], "probability": [0.5, 0.1, 0.1, 0.5], "score": 50,
                          "stage": ["SQL", "SQL", "SQL", "MQL"]})  # fmt: skip
    reps = [Rep(name="A", capacity=2), Rep(name="B", capacity=2)]
    summary = spread_summary(route(leads, reps, mode="balanced"), reps)
    assert summary["spread"].iloc[0] == pytest.approx(0.8) and not summary["within_bound"].iloc[0]
    report = rep_report(route(leads, reps, mode="balanced"), reps)
    assert report["capacity"].tolist() == [2, 2] and report["capacity_used"].tolist() == [1.0, 1.0]


def test_empty_scores():
    empty = pd.DataFrame({"id": pd.Series([], dtype=object), "probability": [], "score": [], "stage": []})
    for mode in MODES:
        out = route(empty, [Rep(name="A")], mode=mode)
        assert out.empty and list(out.columns)[:4] == ["id", "rep", "team", "unassigned_reason"]
    assert spread_summary(route(empty, [Rep(name="A")], mode="balanced"), [Rep(name="A")]).empty
    assert math.isnan(rep_report(route(empty, [Rep(name="A")], mode="balanced"), [Rep(name="A")])["mean_score"][0])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.drop(columns="stage"), "scores lack column"),
        (lambda s: pd.concat([s, s.iloc[:1]]), "duplicate id"),
        (lambda s: s.assign(probability=np.r_[1.5, s["probability"].iloc[1:]]), "probability must be a number"),
    ],
)
def test_bad_scores_are_clear_errors(six_leads, change, message):
    with pytest.raises(ValueError, match=message):
        route(change(six_leads), [Rep(name="A")], mode="balanced")


def test_route_errors_for_mode_and_missing_segment_columns(six_leads):
    with pytest.raises(ValueError, match="unknown routing mode 'fair'"):
        route(six_leads, [Rep(name="A")], mode="fair")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rep 'A' filters on 'region'"):
        route(six_leads, [Rep(name="A", territories=("Europe",))], mode="round_robin")
    config = RoutingConfig(reps=(Rep(name="A", team="t"),), rules=(Rule(team="t", when={"industry": ("X",)}),))
    with pytest.raises(ValueError, match="rules #1 needs column 'industry'"):
        route(six_leads, config, mode="rules")
    assert route(six_leads, config, mode="round_robin")["rep"].notna().sum() == 5  # rules unused


# ---------------------------------------------------------------------------------------------- load_reps

SAMPLE = """\
reps:
  - {name: Ana, team: enterprise, capacity: 20, territories: [Europe, North America]}
  - {name: Ben, team: enterprise, capacity: 20, industries: [Software]}
  - {name: Cleo, team: smb, company_sizes: [1-9, 10-49], countries: [DE, 'NO']}
rules:
  - when: {company_size_band: [1000-9999, 10000+], stage: SQL}
    team: enterprise
default_team: smb
"""


def test_load_reps_reads_the_documented_shape(tmp_path):
    path = tmp_path / "reps.yaml"
    path.write_text(SAMPLE)
    config = load_reps(path)
    assert [r.name for r in config.reps] == ["Ana", "Ben", "Cleo"] and config.teams == ("enterprise", "smb")
    assert config.reps[0] == Rep(name="Ana", team="enterprise", capacity=20, territories=("Europe", "North America"))
    assert config.reps[2].countries == ("DE", "NO")
    assert config.reps[2].filters() == {"country": ("DE", "NO"), "company_size_band": ("1-9", "10-49")}
    rule = Rule(team="enterprise", when={"company_size_band": ("1000-9999", "10000+"), "stage": ("SQL",)})
    assert config.rules == (rule,)
    assert config.default_team == "smb"


def test_the_module_docstring_example_loads(tmp_path):
    doc = routing.__doc__
    block = textwrap.dedent(doc[doc.index("::") + 2 :]).strip()
    path = tmp_path / "reps.yaml"
    path.write_text(block + "\n")
    config = load_reps(path)
    assert config.teams == ("enterprise", "smb") and len(config.rules) == 1 and config.default_team == "smb"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("reps:\n  - {name: Ana, territory: [Europe]}\n", "rep 'Ana': unknown key(s) territory"),
        ("reps:\n  - {name: Ana}\n  - {name: Ana}\n", "duplicate rep name 'Ana'"),
        ("reps:\n  - {name: Ana, capacity: -1}\n", "rep 'Ana': capacity must be a whole number >= 0"),
        ("reps:\n  - {name: Ana, capacity: 2.5}\n", "rep 'Ana': capacity must be a whole number"),
        ("reps:\n  - {name: Ana, team: a}\nrules:\n  - {when: {region: [Europe]}, team: b}\n",
         "rules #1: team 'b' has no reps (teams: a)"),
        ("reps:\n  - {name: Ana, team: a}\nrules:\n  - {when: {region: [Europe]}, team: a, name: x}\n",
         "rules #1: unknown key(s) name"),
        ("reps:\n  - {name: Ana, team: a}\nrules:\n  - {when: {region: []}, team: a}\n",
         "rules #1: when.region: needs at least one value"),
        ("reps:\n  - {name: Ana, team: a}\ndefault_team: b\n", "default_team: team 'b' has no reps"),
        ("reps:\n  - {name: Ana}\nteams: [a]\n", "top level: unknown key(s) teams"),
        ("reps:\n  - {name: Ana, countries: [NO]}\n", "rep 'Ana': countries: False was read as a yes/no value"),
        ("reps: []\n", "reps: expected a non-empty list"),
        ("reps:\n  - {team: a}\n", "reps #1: needs a name"),
        ("- Ana\n", "expected a mapping with 'reps'"),
        ("reps: [\n", "not valid YAML"),
    ],
)  # fmt: skip
def test_load_reps_errors_name_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "team_reps.yaml"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        load_reps(path)
    assert str(info.value).startswith("team_reps.yaml: ")
    assert message in str(info.value) and "\n" not in str(info.value)
