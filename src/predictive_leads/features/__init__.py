"""Point-in-time features: lead attributes (pandas) and behaviour (Ibis on DuckDB or PySpark)."""

from .guard import LeakageError, assert_point_in_time
from .pipeline import (
    DatasetSummary,
    build_scoring_frame,
    build_training_set,
    feature_columns,
    output_schema,
    summary_of,
)

__all__ = [
    "DatasetSummary",
    "LeakageError",
    "assert_point_in_time",
    "build_scoring_frame",
    "build_training_set",
    "feature_columns",
    "output_schema",
    "summary_of",
]
