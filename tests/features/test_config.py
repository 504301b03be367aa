"""Feature config: defaults, YAML override, clear errors."""

from __future__ import annotations

import pytest

from predictive_leads.features.config import FeatureConfig


def test_yaml_overrides_a_subset(tmp_path):
    path = tmp_path / "features.yaml"
    path.write_text("features:\n  windows_days: [14, 60]\n  ideal_industries: [Healthcare]\n")
    cfg = FeatureConfig.from_yaml(path)
    assert cfg.windows_days == (14, 60) and cfg.ideal_industries == ("Healthcare",)
    assert cfg.service_regions == FeatureConfig().service_regions
    assert FeatureConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("windows: [7]\n", "unknown feature config key(s): windows"),
        ("windows_days: [0, 7]\n", "windows_days must be positive days"),
        ("windows_days: [7, 7]\n", "windows_days has duplicates"),
        ("- 1\n- 2\n", "expected a mapping of config keys"),
        ("recency_event_types: [demo_requested]\n", "recency_event_types names unknown event type(s) demo_requested"),
        ("burst_event_types: [Page_View]\n", "burst_event_types names unknown event type(s) Page_View"),
    ],
)
def test_bad_yaml_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FeatureConfig.from_yaml(path)


def test_a_declared_normaliser_must_be_one_the_package_has():
    with pytest.raises(ValueError, match="attribute\\(s\\) land: normalise must be one of country, industry"):
        FeatureConfig(attributes={"land": {"kind": "categorical", "normalise": "city"}})
