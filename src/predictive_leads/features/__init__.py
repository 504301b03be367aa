"""Point-in-time features: lead attributes (pandas) and behaviour (Ibis on DuckDB or PySpark)."""

from predictive_leads.features.config import FeatureConfig
from predictive_leads.features.feature_builder import FeatureBuilder
from predictive_leads.features.guard import LeakageError, assert_point_in_time
from predictive_leads.features.pipeline import (
    DatasetSummary,
    build_scoring_frame,
    build_training_set,
    feature_columns,
    feature_schema,
    features_for_spine,
    summary_of,
)

__all__ = [
    "DatasetSummary",
    "FeatureBuilder",
    "FeatureConfig",
    "LeakageError",
    "assert_point_in_time",
    "build_scoring_frame",
    "build_training_set",
    "feature_columns",
    "feature_schema",
    "features_for_spine",
    "summary_of",
]
