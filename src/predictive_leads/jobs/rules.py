"""Rule jobs: the preset points tables shipped with the package, and one table checked against the features."""

from __future__ import annotations

from pathlib import Path

from predictive_leads.models.rules import PointsTable


def presets() -> dict[str, PointsTable]:
    """Every preset points table shipped with the package, by preset name."""
    from predictive_leads.models.rules import load_table, preset_names

    return {name: load_table(name) for name in preset_names()}


def rule_table(name: str | Path) -> PointsTable:
    """The preset ``name`` or the YAML file ``name``, checked against the columns the feature pipeline produces
    (RuleError naming the rule and the column if not)."""
    from predictive_leads.features import feature_schema
    from predictive_leads.models.rules import load_table

    return load_table(str(name) if isinstance(name, Path) else name, columns=feature_schema())
