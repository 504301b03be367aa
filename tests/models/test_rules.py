"""The rule engine and the shipped presets: exact points, caps, reasons, load-time errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks

from predictive_leads.features import build_training_set, feature_columns, feature_schema
from predictive_leads.models.rules import PointsTable, RuleError, RuleScorer, load_table, preset_names
from predictive_leads.synth import generate_world

SCHEMA = feature_schema()

# scikit-learn's checks pass plain matrices, which RuleScorer names x0, x1, …: a table over x0 shaped like the
# presets (score range 1-100, one tier above the floor, a rule on missing values)
CHECKS_TABLE = {
    "name": "checks",
    "score_range": [1, 100],
    "tiers": [{"name": "MQL", "min": 50}],
    "rules": [
        {"id": "x0_high", "points": 60, "when": {"column": "x0", "op": ">=", "value": 2}},
        {"id": "x0_missing", "points": -10, "when": {"column": "x0", "op": "is missing"}},
    ],
}

# The points are the team's, not learned: the tag poor_score skips the checks' accuracy bar. What still fails:
EXPECTED_FAILURES = {
    "check_classifiers_train": "decision_function is the points on the table's scale (1-100), not a margin around "
    "0: predict compares them with the lowest tier, so it is not decision_function > 0",
    "check_classifiers_one_label": "y is not learned from: fitted on one class, predict still says which leads "
    "reach the lowest tier",
}


@parametrize_with_checks([RuleScorer(table=CHECKS_TABLE)], expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def frame():
    world = generate_world(n_leads=2000, seed=4)
    dates = pd.date_range("2025-06-01", "2025-12-01", freq="3MS", tz="UTC")
    data = build_training_set(world.leads, world.events, world.conversions, as_of=dates,
                              observed_until=world.observed_until, now=world.observed_until)  # fmt: skip
    return data[feature_columns(data)]


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_loads_and_scores_a_generated_world(name, frame):
    scorer = RuleScorer(table=name).fit(frame)
    scores = scorer.predict_score(frame)
    lo, hi = scorer.table_.score_range
    assert scores.dtype.kind == "i" and scores.min() >= lo and scores.max() <= hi
    assert len(np.unique(scores)) > 3, "a preset that gives everyone the same score tells nothing"
    tiers = scorer.predict_tier(frame)
    assert set(tiers) <= {t.name for t in scorer.table_.tiers} | {""}


def test_presets_include_the_field_tables():
    assert {"behavioural", "engagement", "firmographic", "qualification", "negative"} <= set(preset_names())
    eng = {r.id: r.points for r in load_table("engagement").rules}
    assert eng == {"subscribed": 5, "opened_email": 5, "clicked_email": 10, "visited_pricing": 10,
                   "replied_to_email": 15, "scheduled_meeting": 25, "started_trial": 25, "cancelled_meeting": -5,
                   "no_opens_30d": -10, "unsubscribed": -25}  # fmt: skip
    tiers = {t.name: t.min_score for t in load_table("behavioural").tiers}
    assert tiers == {"SQL": 80, "MQL": 50}


def _row(**values) -> dict:
    base = {c: 0 for c in load_table("behavioural").columns}
    base.update({"has_unsubscribed": False})
    base.update(values)
    return base


def test_points_add_up_exactly_as_declared():
    X = pd.DataFrame(
        [
            _row(high_intent_form_total=1, email_open_90d=5, events_30d=3),  # 80 + 25 = 105 → clip 100
            _row(newsletter_subscribe_total=1, active_days_30d=2, events_30d=4),  # 15 + 10
            _row(has_unsubscribed=True),  # -25 - 10 (inactive) → clip 1
            _row(email_open_90d=4, events_30d=1),  # nothing fires
            _row(high_intent_form_total=2, has_unsubscribed=True, events_30d=0),  # 80 - 25 - 10
        ]
    )
    scorer = RuleScorer(table="behavioural").fit(X)
    assert scorer.predict_score(X).tolist() == [100, 25, 1, 1, 45]
    assert scorer.predict_tier(X).tolist() == ["SQL", "", "", "", ""]
    reasons = scorer.fired_rules(X)["rules_fired"].tolist()
    assert reasons == [
        "consultation_request(+80); opened_5_emails(+25)",
        "newsletter_subscriber(+15); repeat_visitor_30d(+10)",
        "unsubscribed(-25); inactive_30d(-10)",
        "",
        "consultation_request(+80); unsubscribed(-25); inactive_30d(-10)",
    ]


def test_group_caps_hold():
    table = load_table("fit_and_engagement")
    X = pd.DataFrame({c: [0] for c in table.columns})
    X = X.assign(
        demo_request_90d=1, free_trial_start_total=1, pricing_page_view_30d=2, email_reply_90d=1, active_days_30d=5,
        events_30d=9, is_ideal_industry=True, company_size_band="1000-9999", seniority="vp", department="sales",
        email_kind="corporate", in_service_area=True, has_unsubscribed=False,
    )  # fmt: skip
    fired, scores = table.points(X)
    # engagement 30+20+10+10+10 = 80 → capped at 50; fit 15+15+15+10 = 55 → capped at 50
    assert scores.tolist() == [100] and fired.sum() == 9
    X2 = X.assign(email_kind="competitor")
    assert table.points(X2)[1].tolist() == [1]


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(st.integers(-60, 60), min_size=1, max_size=6),
    cap=st.integers(1, 80),
    floor=st.integers(-80, 0),
    values=st.lists(st.lists(st.integers(0, 3), min_size=6, max_size=6), min_size=1, max_size=20),
)
def test_caps_and_clip_always_hold(points, cap, floor, values):
    rules = [
        {
            "id": f"r{i}",
            "points": p,
            "group": "g" if i % 2 else "h",
            "when": {"column": f"c{i}", "op": ">=", "value": 1},
        }
        for i, p in enumerate(points)
    ]
    table = PointsTable.from_dict(
        {"name": "t", "score_range": [0, 50], "groups": {"g": {"max": cap, "min": floor}, "h": {"max": cap}},
         "rules": rules}
    )  # fmt: skip
    X = pd.DataFrame(values, columns=[f"c{i}" for i in range(6)])
    fired, scores = table.points(X)
    pts = np.array(points)
    g = np.array([i % 2 == 1 for i in range(len(points))])
    sub_g = np.clip(fired[:, g] @ pts[g], floor, cap) if g.any() else 0
    sub_h = np.clip(fired[:, ~g] @ pts[~g], -np.inf, cap) if (~g).any() else 0
    expected = np.clip(np.round(sub_g + sub_h), 0, 50)
    assert (scores == expected).all() and scores.min() >= 0 and scores.max() <= 50
    for i in range(len(points)):
        assert (fired[:, i] == (X[f"c{i}"] >= 1).to_numpy()).all()


def test_yaml_round_trip_is_identical(tmp_path, frame):
    table = load_table("firmographic", columns=SCHEMA)
    path = tmp_path / "firmographic.yaml"
    path.write_text(table.to_yaml(), encoding="utf-8")
    again = PointsTable.from_yaml(path, columns=SCHEMA)
    assert again == table
    assert (again.points(frame)[1] == table.points(frame)[1]).all()


BAD = [
    ("rules:\n - {id: a, points: 5, when: {column: pricing_page_views_30d, op: '>=', value: 1}}",
     "rule 'a': unknown column 'pricing_page_views_30d' (did you mean 'pricing_page_view_30d'?)"),
    ("rules:\n - {id: a, points: 5, when: {column: events_30d, op: 'gte', value: 1}}", "rule 'a': unknown op 'gte'"),
    ("rules:\n - {id: a, points: 5, when: {column: events_30d, op: '>=', value: lots}}",
     "rule 'a': threshold for 'events_30d >=' must be a number, got 'lots'"),
    ("rules:\n - {id: a, points: 5, when: {column: events_30d, op: between, value: [10, 2]}}",
     "rule 'a': impossible condition events_30d between 10 and 2"),
    ("rules:\n - {id: a, points: 5, when: {column: seniority, op: '==', value: ceo}}",
     "rule 'a': impossible condition, seniority is never 'ceo'"),
    ("rules:\n - {id: a, points: 5, when: {column: seniority, op: in, value: []}}",
     "rule 'a': 'in' needs a non-empty list of values"),
    ("rules:\n - {id: a, points: 5, when: {column: industry, op: regex, value: '(soft'}}",
     "rule 'a': invalid regex '(soft'"),
    ("rules:\n - {id: a, points: 2.5, when: {column: events_30d, op: '>=', value: 1}}",
     "rule 'a': points must be a whole number, got 2.5"),
    ("groups: {fit: {max: 10}}\nrules:\n - {id: a, group: engagment, points: 5, "
     "when: {column: events_30d, op: '>=', value: 1}}",
     "rule 'a': group 'engagment' is not declared (groups: fit)"),
    ("rules:\n - {id: a, points: 5, when: {column: events_30d, op: '>=', value: 1}}\n"
     " - {id: a, points: 5, when: {column: events_7d, op: '>=', value: 1}}", "duplicate rule id(s): a"),
    ("tiers: [{name: MQL, min: fifty}]\nrules:\n - {id: a, points: 5, when: {column: events_30d, op: '>=', value: 1}}",
     "tier 'MQL': min must be a number, got 'fifty'"),
    ("rules: []", "the table needs a non-empty list of rules"),
    ("rules: [", "not valid YAML"),
    ("colour: red\nrules:\n - {id: a, points: 5, when: {column: events_30d, op: '>=', value: 1}}",
     "unknown top-level key(s) colour"),
    ("score_range: [100, 1]\nrules:\n - {id: a, points: 5, when: {column: events_30d, op: '>=', value: 1}}",
     "score_range must be [low, high] numbers with low < high"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), BAD)
def test_invalid_tables_fail_at_load_time_with_a_clear_message(tmp_path, body, message):
    path = tmp_path / "mine.yaml"
    text = body if body == "rules: [" else "name: mine\n" + body
    path.write_text(text)
    with pytest.raises(RuleError) as err:
        PointsTable.from_yaml(path, columns=SCHEMA)
    assert str(err.value).startswith("mine.yaml: ") and message in str(err.value)
    assert "\n" not in str(err.value)


def test_scoring_data_without_the_columns_is_a_clear_error():
    with pytest.raises(RuleError, match="needs column\\(s\\) the data lacks: qual_authority"):
        RuleScorer(table="qualification").fit(pd.DataFrame({"qual_money": [1]}))


def test_no_method_named_score():
    assert not hasattr(RuleScorer(), "score")


def test_a_plain_matrix_is_scored_by_column_position():
    X = np.array([[3.0, 0.0], [0.0, 1.0], [np.nan, 2.0]])
    scorer = RuleScorer(table=CHECKS_TABLE).fit(X, [1, 0, 0])
    assert scorer.n_features_in_ == 2 and not hasattr(scorer, "feature_names_in_")
    assert scorer.predict_score(X).tolist() == [60, 1, 1] and scorer.predict(X).tolist() == [1, 0, 0]
    assert scorer.fired_rules(X)["rules_fired"].tolist() == ["x0_high(+60)", "", "x0_missing(-10)"]
    with pytest.raises(ValueError, match="X has 1 features, but RuleScorer is expecting 2 features as input"):
        scorer.predict(X[:, :1])
    with pytest.raises(RuleError, match="lacks: x0"):
        RuleScorer(table=CHECKS_TABLE).fit(pd.DataFrame({"x1": [1.0]}))


def test_an_array_is_named_like_the_frame_fit_saw():
    X = pd.DataFrame([_row(high_intent_form_total=1), _row(has_unsubscribed=True), _row(newsletter_subscribe_total=1)])
    scorer = RuleScorer(table="behavioural").fit(X)
    assert list(scorer.feature_names_in_) == list(X.columns)
    assert (scorer.predict_score(X.to_numpy()) == scorer.predict_score(X)).all()
    assert (scorer.predict_score(X[X.columns[::-1]]) == scorer.predict_score(X)).all(), "frames: by name"


@pytest.mark.parametrize(
    ("y", "message"),
    [
        ([1, 0], "X has 3 rows but y has 2"),
        ([1, 0, np.nan], "y is missing for 1 row"),
        ([0, 1, 2], "Only binary classification is supported"),
        ([0.5, 0.2, 0.1], "Unknown label type: continuous"),
        (["yes", "yes", "yes"], "needs both converted and not-converted leads"),
    ],
)
def test_a_target_is_checked_though_the_points_do_not_learn_from_it(y, message):
    X = np.array([[3.0], [0.0], [1.0]])
    with pytest.raises(ValueError, match=message):
        RuleScorer(table=CHECKS_TABLE).fit(X, y)


def test_classes_come_from_y():
    X = np.array([[3.0], [0.0], [1.0]])
    scorer = RuleScorer(table=CHECKS_TABLE).fit(X, ["no", "yes", "no"])
    assert scorer.classes_.tolist() == ["no", "yes"] and scorer.predict(X).tolist() == ["yes", "no", "no"]
    assert RuleScorer(table=CHECKS_TABLE).fit(X).classes_.tolist() == [0, 1]
    assert RuleScorer(table=CHECKS_TABLE).fit(X, [0, 0, 0]).classes_.tolist() == [0, 1], "one 0/1 class is fine"
