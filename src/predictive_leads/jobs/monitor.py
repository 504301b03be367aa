"""The monitoring job: assemble the input (from raw tables or a training-set file), judge drift and matured
outcomes against the model's reference profile, write ``monitor.json`` and ``monitor.html``, log to MLflow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from predictive_leads.monitoring.monitor import MonitorResult, Verdict

JSON_FILE, HTML_FILE = "monitor.json", "monitor.html"


def monitoring_input(data: str | Path, as_of: pd.Timestamp, *, horizon_days: int = 90, months: int = 12,
                     model: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """(rows to check for drift, labelled rows) at ``as_of``: from a raw data folder (the open leads' scoring frame
    and ``months`` monthly snapshots whose labels matured, read and built the way ``model``'s training set was),
    or from a training-set file with ``as_of`` and
    ``converted`` (its latest snapshot at or before ``as_of``, and every row up to then)."""
    from predictive_leads.data.files import read_raw
    from predictive_leads.jobs.data import read_for_model
    from predictive_leads.monitoring.monitor import monitoring_frames

    data = Path(data)
    if data.is_file():
        frame = read_raw(data)
        if "as_of" not in frame or "converted" not in frame:
            raise ValueError(f"{data.name}: needs as_of and converted columns (a training set from build-dataset)")
        dates = pd.to_datetime(frame["as_of"], utc=True)
        known = (dates <= as_of).to_numpy()
        if not known.any():
            raise ValueError(f"{data.name}: no rows at or before {as_of.date()}")
        latest = (dates == dates[known].max()).to_numpy()
        return frame[latest], frame[known]
    read = read_for_model(data, model)
    return monitoring_frames(*read.frames(), as_of=as_of, horizon_days=horizon_days, months=months,
                             config=read.config)  # fmt: skip


@dataclass
class MonitorRun:
    """A monitoring run: the result (verdict, drift, cohorts), the files written and the MLflow run, if logged."""

    result: MonitorResult = field(repr=False)
    out: Path
    run_id: str | None = None

    @property
    def verdict(self) -> Verdict:
        return self.result.verdict

    @property
    def files(self) -> tuple[Path, Path]:
        """``monitor.json`` and ``monitor.html``."""
        return self.out / JSON_FILE, self.out / HTML_FILE


def monitor(
    model: str | Path,
    data: str | Path,
    as_of: str | pd.Timestamp,
    *,
    out: str | Path = "monitoring",
    horizon_days: int = 90,
    months: int = 12,
    n_boot: int = 200,
    mlflow: bool | None = None,
    feedback: str | Path | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> MonitorRun:
    """Monitor ``model`` (a model folder or ``models:/NAME@alias``) at ``as_of`` on ``data`` (see
    :func:`monitoring_input`) against its reference profile; write ``monitor.json`` and ``monitor.html`` into
    ``out``. With ``mlflow`` (default: for ``models:/`` references) the run is logged, linked to the version.
    ``feedback``: a sales feedback file, for the share of the model's MQLs the reps gave each disposition and
    reason over time."""
    from predictive_leads.data.files import read_feedback, write_json, write_text
    from predictive_leads.monitoring.monitor import check_monitorable, run_monitor
    from predictive_leads.reports.figures import monitor_figures
    from predictive_leads.reports.pages import monitor_page
    from predictive_leads.serving.registry import is_model_uri, load_model, load_profile, log_monitor_run, model_folder

    folder = model_folder(model)  # a registry model is downloaded once
    scorer, profile = load_model(folder), load_profile(folder)  # a set of segment models is monitored as one
    when = check_monitorable(scorer, profile, as_of)
    if on_stage:
        on_stage("building the monitoring frames")
    current, labelled = monitoring_input(data, when, horizon_days=horizon_days, months=months, model=model)
    if on_stage:
        on_stage("judging drift and matured outcomes")
    told = None if feedback is None else read_feedback(feedback)
    result = run_monitor(scorer, profile, current, labelled, as_of=when, horizon_days=horizon_days, n_boot=n_boot,
                         feedback=told)  # fmt: skip
    run = MonitorRun(result, Path(out))
    json_path, html_path = run.files
    write_json(result.to_dict(), json_path)
    write_text(monitor_page(result, monitor_figures(result)), html_path)
    if mlflow or (mlflow is None and is_model_uri(model)):
        if on_stage:
            on_stage("logging to MLflow")
        run.run_id = log_monitor_run(result, out, model)
    return run
