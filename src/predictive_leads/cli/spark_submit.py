"""The file ``spark-submit`` (or a Databricks Python-script task) runs: ``predictive-leads score-spark`` with the
arguments given, on the session the cluster made. Its path: ``python -c "import predictive_leads.cli.spark_submit
as job; print(job.__file__)"``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from predictive_leads.cli.app import app

    app(["score-spark", "--submitted", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
