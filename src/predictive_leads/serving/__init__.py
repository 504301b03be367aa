"""MLflow and Spark at the edge: the pickle-free pyfunc, tracking and registry, Spark scoring."""
