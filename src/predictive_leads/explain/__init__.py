"""Per-lead explanations: exact TreeSHAP grouped into attributes, read out in words, log-odds and points."""

from predictive_leads.explain.phrases import FeatureText, feature_text
from predictive_leads.explain.reasons import (
    DEFAULT_TOP_K,
    compare_with_rules,
    feature_groups,
    group_contributions,
    points_per_log_odds,
    reason_columns,
    scored_with_reasons,
    top_reasons,
)

__all__ = [
    "DEFAULT_TOP_K",
    "FeatureText",
    "compare_with_rules",
    "feature_groups",
    "feature_text",
    "group_contributions",
    "points_per_log_odds",
    "reason_columns",
    "scored_with_reasons",
    "top_reasons",
]
