"""Measuring honestly: out-of-time metrics with intervals, the leakage audit, the cold-start ladder."""
