"""Serving over HTTP with real components: ``mlflow models serve`` of the registered champion, and a registry round
trip through a real ``mlflow server``. Everything listens on 127.0.0.1 (a free port each); every server runs in
its own session and is stopped by its pid (process group: SIGTERM, bounded wait, SIGKILL)."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest

from predictive_leads.explain import scored_with_reasons
from predictive_leads.explain.reasons import scored_columns
from predictive_leads.features.pipeline import ATTRS_KEY
from predictive_leads.serving import registry
from predictive_leads.serving.pyfunc import served_columns, to_model_input

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_mlflow")]

NAME = "leads"
READY_TIMEOUT = 120.0  # seconds for a server to answer its health check
STOP_TIMEOUT = 20.0  # seconds per signal for a server's process group to exit
OFFLINE = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "NO_PROXY": "127.0.0.1,localhost",
           "no_proxy": "127.0.0.1,localhost"}  # fmt: skip
SERVER_ONLY = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # no background job runner in the tracking server
MLFLOW_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


# ------------------------------------------------------------------------------------------ process helpers


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tracking_uri: str | None = None) -> dict[str, str]:
    """This environment for a child: offline, this venv's bin/ first on PATH, no tracking URI but the one given."""
    env = {k: v for k, v in os.environ.items() if k not in MLFLOW_VARS} | OFFLINE | SERVER_ONLY
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    return env | ({"MLFLOW_TRACKING_URI": tracking_uri} if tracking_uri else {})


def _request(port: int, method: str, path: str, body: bytes | None = None, timeout: float = 60) -> tuple[int, str]:
    """One request on a fresh connection to 127.0.0.1 (http.client: no proxy can be involved)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _start(cmd: list[str], env: dict[str, str], ready_url: str, logs: Path) -> subprocess.Popen:
    """Start ``cmd`` in a new session (output to files in ``logs``) and poll ``ready_url`` until it answers 200."""
    url = urlsplit(ready_url)
    assert url.hostname == "127.0.0.1", ready_url
    with open(logs / "stdout.log", "wb") as out, open(logs / "stderr.log", "wb") as err:
        proc = subprocess.Popen(cmd, env=env, cwd=logs, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if _request(url.port, "GET", url.path, timeout=2)[0] == 200:
                return proc
        time.sleep(0.5)
    _stop(proc)
    tail = (logs / "stderr.log").read_text(errors="replace")[-3000:]
    pytest.fail(f"{' '.join(cmd[:3])} not ready at {ready_url} (exit code {proc.returncode}); stderr tail:\n{tail}")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group led by ``proc``, bounded wait, then SIGKILL; returns once the group is gone."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(STOP_TIMEOUT)
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if proc.returncode is not None and not _group_alive(proc.pid):
            return
    raise RuntimeError(f"process group {proc.pid} survived SIGKILL")


# ------------------------------------------------------------------------------------------ fixtures


def _log_and_promote(scorer, store, dataset: dict | None = None) -> str:
    """Log ``scorer`` in a run, register it and point ``champion`` at it; returns ``models:/NAME@champion``."""
    mlflow = registry._mlflow(store)
    with mlflow.start_run(experiment_id=registry._experiment_id(mlflow, "tests")) as run:
        registry.log_pyfunc(scorer, dataset=dataset)
    version = registry.register(run.info.run_id, NAME, store=store)
    mlflow.MlflowClient().set_registered_model_alias(NAME, registry.CHAMPION, version)
    return f"models:/{NAME}@{registry.CHAMPION}"


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    folder: Path

    def invoke(self, payload: dict) -> tuple[int, str]:
        return _request(self.port, "POST", "/invocations", json.dumps(payload).encode())


@pytest.fixture(scope="module")
def server(trained_world, tmp_path_factory, request) -> Server:
    """``predictive-leads serve`` (which becomes ``mlflow models serve``) of ``models:/leads@champion`` from an
    embedded store; it runs in its own folder, where it writes ``models/mlflow/example_request.json``."""
    store = tmp_path_factory.mktemp("serving-store")
    dataset = {"feature_config": trained_world.frame.attrs[ATTRS_KEY]["feature_config"]}  # as training saves it
    uri = _log_and_promote(trained_world.scorer, store, dataset)
    port, folder = _free_port(), tmp_path_factory.mktemp("serve")
    cli = [str(Path(sys.executable).parent / "predictive-leads"), "serve", "--model", uri, "--port", str(port)]
    proc = _start(cli, _env(registry.tracking_uri(store)), f"http://127.0.0.1:{port}/ping", folder)
    request.addfinalizer(lambda: _stop(proc))
    return Server(proc, port, folder)


# ------------------------------------------------------------------------------------------ payloads and checks


def _split(inputs: pd.DataFrame) -> dict:
    return json.loads(inputs.to_json(orient="split", index=False))


def _plain(value):
    """A cell as JSON gives it back: missing values (None, NaN, pd.NA) as None, numpy scalars as Python."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _assert_same(served: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(served.columns) == list(served_columns(3)) == [*scored_columns(3), "rejected"]
    assert len(served) == len(expected) and (served["rejected"] == "").all()
    np.testing.assert_allclose(served["probability"].to_numpy(float), expected["probability"].to_numpy(float),
                               rtol=0, atol=1e-12)  # fmt: skip
    for col in served.columns.drop(["probability", "rejected"]):
        assert [_plain(v) for v in served[col]] == [_plain(v) for v in expected[col]], col


def _message(body: str) -> str:
    return json.loads(body)["message"]


# ------------------------------------------------------------------------------------------ mlflow models serve


def test_a_batch_of_leads_is_scored_and_explained_as_in_process(trained_world, server):
    scorer = trained_world.scorer
    leads = trained_world.frame.sample(200, random_state=11)
    status, body = server.invoke({"dataframe_split": _split(to_model_input(leads, scorer))})
    assert status == 200, body[:2000]
    served = pd.DataFrame(json.loads(body)["predictions"])
    _assert_same(served, scored_with_reasons(scorer, leads).reset_index(drop=True))
    assert served["stage"].nunique() > 1 and served["reason_3"].notna().all()


def test_the_example_request_serve_writes_is_answered_like_the_readme_curl(trained_world, server):
    example = server.folder / "models" / "mlflow" / "example_request.json"
    status, body = _request(server.port, "POST", "/invocations", example.read_bytes())
    assert status == 200, body
    answer = json.loads(body)["predictions"]
    assert len(answer) == len(json.loads(example.read_text())["dataframe_split"]["data"])
    assert all(1 <= row["score"] <= 100 and 0 < row["probability"] < 1 for row in answer)


def test_a_lead_breaking_the_validity_contract_is_rejected_in_its_row_and_the_others_are_scored(trained_world,
                                                                                                 server):  # fmt: skip
    scorer = trained_world.scorer
    leads = trained_world.frame.sample(6, random_state=16).reset_index(drop=True)
    inputs = to_model_input(leads, scorer)
    inputs.loc[1, "employees"] = -5.0  # validate refuses a negative head count; so does every door
    inputs.loc[4, "pricing_page_view_30d"] = 10**12  # a count beyond the contract's bound
    status, body = server.invoke({"dataframe_split": _split(inputs)})
    assert status == 200, body[:2000]
    served = pd.DataFrame(json.loads(body)["predictions"])
    assert served["rejected"].tolist() == ["", "employees: outside the range 0 to 1e+07", "", "",
                                           "pricing_page_view_30d: outside the range 0 to 1e+09", ""]  # fmt: skip
    bad = served.loc[[1, 4]]
    assert (bad["stage"] == "rejected").all() and (bad["score"] == 0).all() and bad["probability"].isna().all()
    good = [0, 2, 3, 5]
    _assert_same(served.loc[good].reset_index(drop=True),
                 scored_with_reasons(scorer, leads.loc[good]).reset_index(drop=True))  # fmt: skip
    assert "1000000000000" not in body and "-5.0" not in body


def test_a_missing_feature_column_is_refused_naming_it(trained_world, server):
    payload = _split(to_model_input(trained_world.frame.sample(3, random_state=12), trained_world.scorer))
    column = "pricing_page_view_30d"
    at = payload["columns"].index(column)
    payload["columns"].pop(at)
    for row in payload["data"]:
        row.pop(at)
    status, body = server.invoke({"dataframe_split": payload})
    assert 400 <= status < 500, body[:2000]
    assert _message(body) == f"input lacks feature column(s): {column}"


@pytest.mark.parametrize(("column", "value"), [("email_open_30d", "lots"), ("days_since_last_event", "a while")])
def test_a_value_of_the_wrong_type_is_refused_naming_the_column_and_row_not_the_value(trained_world, server, column,
                                                                                      value):  # fmt: skip
    assert trained_world.scorer.input_types_[column] in ("long", "double")
    payload = _split(to_model_input(trained_world.frame.sample(3, random_state=13), trained_world.scorer))
    at = payload["columns"].index(column)
    for row in payload["data"]:
        row[at] = value
    status, body = server.invoke({"dataframe_split": payload})
    assert 400 <= status < 500, body[:2000]
    assert _message(body) == f"row 0: {column}: not a number (and 2 more row(s) refused)"
    assert value not in body


def test_a_refused_request_does_not_echo_lead_values(trained_world, server):
    inputs = to_model_input(trained_world.frame.sample(3, random_state=14), trained_world.scorer)
    inputs["email_domain"] = "echo-marker.example"
    status, body = server.invoke({"dataframe_split": _split(inputs.drop(columns=["pricing_page_view_30d"]))})
    assert 400 <= status < 500
    assert "echo-marker.example" not in body


def test_fifty_concurrent_clients_get_every_answer_right(trained_world, server):
    scorer, clients, per_client = trained_world.scorer, 50, 4  # 200 requests, all 50 clients at once
    leads = trained_world.frame.sample(clients * per_client, random_state=15)
    expected = scored_with_reasons(scorer, leads).reset_index(drop=True)
    split = _split(to_model_input(leads, scorer))

    def client(c: int) -> list[tuple[int, int, str]]:
        answers = []
        for i in range(c * per_client, (c + 1) * per_client):
            payload = {"dataframe_split": {"columns": split["columns"], "data": [split["data"][i]]}}
            try:
                answers.append((i, *server.invoke(payload)))
            except (OSError, http.client.HTTPException) as exc:
                answers.append((i, -1, repr(exc)))
        return answers

    with ThreadPoolExecutor(max_workers=clients) as pool:
        answers = sorted(a for batch in pool.map(client, range(clients)) for a in batch)
    errors = [(i, status, body[:300]) for i, status, body in answers if status != 200]
    assert not errors, f"{len(errors)} of {len(answers)} requests failed, e.g. {errors[:3]}"
    served = pd.DataFrame([json.loads(body)["predictions"][0] for _, _, body in answers])
    _assert_same(served, expected)


# ------------------------------------------------------------------------------------------ raw leads over HTTP

AS_OF = "2026-06-01"
RAW_ONLY = ("model_name", "model_version", "scored_at")  # the run's and the model's names, not the lead's scores


@pytest.fixture(scope="module")
def quiet_world(trained_world):
    """The served model's world with every event of one open lead (created in April 2026) removed: a lead without
    events for the batch job and the server alike."""
    world = trained_world.world
    converted = set(world.conversions.loc[world.conversions["converted_at"] < AS_OF, "lead_id"])
    april = world.leads[(world.leads["created_at"] >= "2026-04-01") & (world.leads["created_at"] < "2026-05-01")]
    quiet = next(i for i in april["lead_id"] if i not in converted)
    return dataclasses.replace(world, events=world.events[world.events["lead_id"] != quiet]), quiet


@pytest.fixture(scope="module")
def batch_at_as_of(trained_world, quiet_world, tmp_path_factory) -> pd.DataFrame:
    """``score --data WORLD --as-of AS_OF`` with the served model's files (no rule score), indexed by lead id."""
    from predictive_leads.data.files import json_text
    from predictive_leads.jobs.score import score
    from predictive_leads.synth.world_files import write_world

    folder = tmp_path_factory.mktemp("batch")
    data = write_world(quiet_world[0], folder / "world")
    model = trained_world.scorer.save(folder / "model")
    dataset = {"feature_config": trained_world.frame.attrs[ATTRS_KEY]["feature_config"]}
    (model / "dataset.json").write_text(json_text(dataset))
    run = score(model, folder / "out.parquet", data=data, as_of=AS_OF, rules="none")
    return pd.read_parquet(run.output).set_index("lead_id")


@pytest.fixture(scope="module")
def raw_records(quiet_world) -> list[dict]:
    from predictive_leads.data.spec import synthetic_spec
    from predictive_leads.serving.raw_request import request_records

    world = quiet_world[0]
    return request_records({"leads": world.leads, "events": world.events}, synthetic_spec(), as_of=AS_OF)


def _served(server, rows: list[dict]) -> pd.DataFrame:
    status, body = server.invoke({"dataframe_records": rows})
    assert status == 200, body[:2000]
    return pd.DataFrame(json.loads(body)["predictions"])


def test_raw_leads_without_events_and_a_batch_of_100_are_scored_as_the_batch_job_scores_them(
    server, batch_at_as_of, raw_records, quiet_world
):
    open_leads = [r for r in raw_records if r["lead_id"] in batch_at_as_of.index]
    without_events = [r for r in open_leads if r["lead_id"] == quiet_world[1]]
    assert without_events[0]["events"] == []
    hundred = [r for r in open_leads if r["events"]][:100]
    assert len(without_events) == 1 and len(hundred) == 100
    for rows in (without_events, hundred):
        served = _served(server, rows)
        expected = batch_at_as_of.loc[[r["lead_id"] for r in rows]].reset_index(drop=True)
        assert (served["rejected"] == "").all() and (served["model_name"] == NAME).all()
        for col in expected.columns.drop(list(RAW_ONLY)):
            assert [_plain(v) for v in expected[col]] == [_plain(v) for v in served[col]], col


def test_a_raw_lead_with_200_events_is_answered_as_in_process(trained_world, server, raw_records):
    from predictive_leads.serving.pyfunc import LeadScoringPyfunc

    lead = max(raw_records, key=lambda r: len(r["events"]))
    extra = [{"ts": (pd.Timestamp("2026-05-01", tz="UTC") + pd.Timedelta(minutes=7 * i)).isoformat(),
              "type": "page_view"} for i in range(200 - len(lead["events"]))]  # fmt: skip
    lead = lead | {"events": lead["events"][-200:] + extra}
    assert len(lead["events"]) == 200
    served = _served(server, [lead])
    dataset = {"feature_config": trained_world.frame.attrs[ATTRS_KEY]["feature_config"]}
    local = LeadScoringPyfunc(trained_world.scorer, dataset=dataset).predict(pd.DataFrame([lead]))
    for col in local.columns.drop(list(RAW_ONLY)):
        assert [_plain(v) for v in local[col]] == [_plain(v) for v in served[col]], col


def test_an_unknown_event_type_is_counted_as_the_batch_counts_it_not_refused(server, raw_records, batch_at_as_of):
    lead = next(r for r in raw_records if r["lead_id"] in batch_at_as_of.index and r["events"])
    odd = lead | {"events": [*lead["events"], {"ts": "2026-05-30T10:00:00Z", "type": "fax_received"}]}
    served = _served(server, [odd])
    assert served["rejected"].tolist() == [""]
    assert served["probability"].iloc[0] == batch_at_as_of.loc[lead["lead_id"], "probability"]


def test_a_served_segmented_model_scores_each_raw_lead_with_its_segments_model_as_the_batch_does(
    product_line_worlds, tmp_path_factory
):
    """The set registered as one version, served over HTTP: raw leads of both product lines get the batch's scores."""
    from predictive_leads.data.spec import load_spec
    from predictive_leads.jobs.score import score
    from predictive_leads.serving.raw_request import request_records
    from predictive_leads.synth.world_files import read_world

    world = product_line_worlds["differ"]
    folder = tmp_path_factory.mktemp("segmented")
    batch = pd.read_parquet(score(world.model_dir, folder / "out.parquet", data=world.raw, as_of="2026-03-01",
                                  rules="none").output).set_index("lead_id")  # fmt: skip
    store = folder / "store"
    scorer, segments = registry.load_scorers(world.model_dir)
    mlflow = registry._mlflow(store)
    with mlflow.start_run(experiment_id=registry._experiment_id(mlflow, "tests")) as run:
        registry.log_pyfunc(scorer, dataset=registry.load_dataset(world.model_dir), segments=segments)
    version = registry.register(run.info.run_id, "lines", store=store)
    port = _free_port()
    cli = [str(Path(sys.executable).parent / "predictive-leads"), "serve", "--model", f"models:/lines/{version}",
           "--port", str(port)]  # fmt: skip
    proc = _start(cli, _env(registry.tracking_uri(store)), f"http://127.0.0.1:{port}/ping", folder)
    try:
        tables = read_world(world.raw)
        records = request_records({"leads": tables.leads, "events": tables.events}, load_spec(world.raw / "spec.yaml"),
                                  as_of="2026-03-01")  # fmt: skip
        by_line = batch.groupby("model_segment", dropna=False).head(50)  # leads of every model in the set
        rows = [r for r in records if r["lead_id"] in set(by_line.index)]
        status, body = _request(port, "POST", "/invocations", json.dumps({"dataframe_records": rows}).encode())
    finally:
        _stop(proc)
    assert status == 200, body[:2000]
    served = pd.DataFrame(json.loads(body)["predictions"])
    expected = batch.loc[[r["lead_id"] for r in rows]]
    assert expected["model_segment"].notna().any() and expected["model_segment"].isna().any()  # both kinds of model
    np.testing.assert_array_equal(served["probability"].to_numpy(float), expected["probability"].to_numpy(float))
    assert served["score"].tolist() == expected["score"].tolist()
    assert served["model_segment"].fillna("").tolist() == expected["model_segment"].fillna("").tolist()


def _records(*rows: dict) -> bytes:
    return json.dumps({"dataframe_records": list(rows)}).encode()


def _derived(trained_world, column: str, value) -> bytes:
    inputs = to_model_input(trained_world.frame.sample(1, random_state=21), trained_world.scorer)
    inputs[column] = value
    return json.dumps({"dataframe_split": _split(inputs)}).encode()


BAD_REQUESTS = {
    "wrong type": (
        lambda w: _records({"lead_id": "a", "employees": "many", "first_name": "Zelda"}),
        "row 0: employees: not a number",
        ["many", "Zelda"],
    ),
    "missing id": (
        lambda w: _records({"employees": 5, "email": "zelda@hyrule.example"}),
        "row 0: lead_id: missing",
        ["zelda", "hyrule"],
    ),
    "NaN": (
        lambda w: b'{"dataframe_records": [{"lead_id": "a", "employees": NaN}]}',
        "row 0: employees: NaN and Infinity are not JSON numbers (send null for a missing value)",
        [],
    ),
    "Infinity": (
        lambda w: b'{"dataframe_split": {"columns": ["lead_id", "employees"], "data": [["a", Infinity]]}}',
        "row 0: employees: NaN and Infinity are not JSON numbers (send null for a missing value)",
        [],
    ),
    "1e30": (
        lambda w: _records({"lead_id": "a", "employees": 1e30}),
        "row 0: employees: outside the range 0 to 1e+07",
        ["1e+30", "1e30"],
    ),
    "negative count": (
        lambda w: _derived(w, "email_open_30d", -3),
        "row 0: email_open_30d: outside the range 0 to 1e+09",
        ["-3"],
    ),
    "x.5 in a count": (
        lambda w: _derived(w, "email_open_30d", 2.5),
        "row 0: email_open_30d: not a whole number",
        ["2.5"],
    ),
    "events not a list": (
        lambda w: _records({"lead_id": "a", "events": "opened twice"}),
        "row 0: events: not a list of events",
        ["twice"],
    ),
    "bad event time": (
        lambda w: _records({"lead_id": "a", "events": [{"ts": "last tuesday", "type": "demo"}]}),
        "row 0: events[0].ts: not a timestamp",
        ["tuesday"],
    ),
    "no rows": (lambda w: _records(), "no rows in the request", []),
    "1 MB of garbage": (lambda w: b"{garbage " + b"zq" * 2**19, "the request body is not valid JSON", ["zqzq"]),
    "not an object": (
        lambda w: b"[1, 2, 3]",
        "the request body must be a JSON object with one of the keys "
        "dataframe_split, dataframe_records, instances, inputs",
        [],
    ),
    "empty body": (lambda w: b"", "empty request body", []),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_a_bad_request_gets_a_4xx_with_one_line_naming_the_field_and_no_input_value(trained_world, server, case):
    make, message, secrets = BAD_REQUESTS[case]
    status, body = _request(server.port, "POST", "/invocations", make(trained_world))
    assert 400 <= status < 500, body[:500]
    assert _message(body) == message
    assert len(body) < 1_000 and "Traceback" not in body and 'File "' not in body
    assert not [s for s in secrets if s in body]


def test_a_body_without_a_json_content_type_is_refused_in_one_line(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("POST", "/invocations", body=b"lead_id\nL1\n", headers={"Content-Type": "text/plain"})
        response = conn.getresponse()
        status, body = response.status, response.read().decode()
    finally:
        conn.close()
    assert status == 415 and _message(body) == "Content-Type must be application/json (or text/csv)"


def test_stopping_the_server_leaves_no_process(server):
    """Runs last among the serving tests: stops the module's server the way its finalizer does."""
    _stop(server.proc)
    assert server.proc.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(server.proc.pid, 0)
    with pytest.raises(ProcessLookupError):  # nor any child (uvicorn) in its process group
        os.killpg(server.proc.pid, 0)
    with pytest.raises(ConnectionRefusedError):
        _request(server.port, "GET", "/ping", timeout=5)


# ------------------------------------------------------------------------------------------ tracking server


@pytest.fixture(scope="module")
def tracking_server(tmp_path_factory, request) -> str:
    """``mlflow server`` on a SQLite store with proxied artifacts in a temporary folder; returns its URI."""
    root = tmp_path_factory.mktemp("tracking-server")
    port = _free_port()
    cmd = ["mlflow", "server", "--backend-store-uri", f"sqlite:///{root / 'server.db'}",
           "--artifacts-destination", str(root / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
           "--workers", "1"]  # fmt: skip
    proc = _start(cmd, _env(), f"http://127.0.0.1:{port}/health", root)
    request.addfinalizer(lambda: _stop(proc))
    return f"http://127.0.0.1:{port}"


def test_registry_round_trip_through_a_tracking_server(trained_world, tracking_server, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_server)
    uri = _log_and_promote(trained_world.scorer, tmp_path / "unused-store")
    assert not (tmp_path / "unused-store").exists(), "the embedded store must not be used with a server URI"
    leads = trained_world.frame.sample(300, random_state=16)
    to_model_input(leads, trained_world.scorer).to_parquet(tmp_path / "in.parquet")
    code = ("import sys, mlflow, pandas as pd; "
            "m = mlflow.pyfunc.load_model(sys.argv[1]); "
            "m.predict(pd.read_parquet(sys.argv[2])).to_parquet(sys.argv[3])")  # fmt: skip
    args = [sys.executable, "-c", code, uri, str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet")]
    done = subprocess.run(args, env=_env(tracking_server), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    served = pd.read_parquet(tmp_path / "out.parquet")
    _assert_same(served, scored_with_reasons(trained_world.scorer, leads).reset_index(drop=True))


def test_the_rule_table_logged_with_the_model_is_scored_beside_it_in_every_reply(trained_world, tmp_path):
    from predictive_leads.models.rules import RuleScorer, load_table
    from predictive_leads.serving.pyfunc import _load_pyfunc, signature_of, write_pyfunc_data

    scorer, leads = trained_world.scorer, trained_world.frame.sample(100, random_state=5)
    folder = write_pyfunc_data(scorer, tmp_path / "data", rules=load_table("behavioural").to_yaml())
    served = _load_pyfunc(str(folder)).predict(to_model_input(leads, scorer))
    expected = RuleScorer(table="behavioural").fit(leads).predict_score(leads)
    np.testing.assert_array_equal(served["rule_score"].to_numpy(float), np.asarray(expected, dtype=float))
    assert list(served.columns) == list(served_columns(3, rules=True))
    assert [c.name for c in signature_of(scorer, rules=True).outputs.inputs] == list(served.columns)
