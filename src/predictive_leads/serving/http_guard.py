"""What a client of ``mlflow models serve`` gets when a request is not scored: a 4xx with one line naming the field
(never a value, never a stack trace) and no reply larger than a few kB.

MLflow's scoring server echoes a body it cannot parse, prefixes a refusal with the request's rows and sends
stack traces. The model carries its own guard: loaded inside the server, it wraps the server's ``invocations``
(:func:`guard_scoring_server`) so the body is checked first and every refusal is rewritten to one line.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
from contextvars import ContextVar

logger = logging.getLogger(__name__)

OVER_HTTP: ContextVar[bool] = ContextVar("predictive_leads_over_http", default=False)
"""True while a request of the scoring server is being answered (a request whose every row is refused is a 4xx)."""
MAX_BODY_BYTES = 16 * 2**20
FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
SERVER_MODULE = "mlflow.pyfunc.scoring_server"


def guard_scoring_server() -> bool:
    """Wrap the scoring server's ``invocations`` when this process runs one (the server imported it before loading
    the model); a no-op elsewhere (a notebook, a Spark UDF) and when already wrapped. Returns whether it is guarded."""
    server = sys.modules.get(SERVER_MODULE)
    if server is None or not hasattr(server, "invocations"):
        return False
    if not getattr(server.invocations, "guarded", False):
        server.invocations = _guarded(server.invocations, server.InvocationsResponse)
    return True


def _guarded(invocations, response):
    @functools.wraps(invocations)
    def guarded(data, content_type, model, input_schema):
        token = OVER_HTTP.set(True)
        try:
            problem = body_problem(data, content_type)
            if problem:
                return _refusal(response, *problem)
            return invocations(data, content_type, model, input_schema)
        except Exception as exc:  # every failure becomes one line; the trace stays in the server's log
            status, message = refusal_of(exc, input_schema)
            if status >= 500:
                logger.error("scoring failed: %s", getattr(exc, "stack_trace", None) or repr(exc))
            return _refusal(response, status, message)
        finally:
            OVER_HTTP.reset(token)

    guarded.guarded = True
    return guarded


def _refusal(response, status: int, message: str):
    code = "BAD_REQUEST" if status < 500 else "INTERNAL_ERROR"
    return response(json.dumps({"error_code": code, "message": message}), status, "application/json")


def body_problem(data: bytes | str, content_type: str | None) -> tuple[int, str] | None:
    """(status, message) when the body cannot be a request: wrong content type, empty, too large, not a JSON object
    with one of MLflow's input keys; None when it can."""
    if not data or not data.strip():
        return 400, "empty request body"
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime not in ("application/json", "text/csv"):
        return 415, "Content-Type must be application/json (or text/csv)"
    if len(data) > MAX_BODY_BYTES:
        return 413, f"request body larger than {MAX_BODY_BYTES // 2**20} MB: send fewer leads per request"
    if mime == "text/csv":
        return None
    try:
        body = json.loads(data, parse_constant=_NotANumber)
    except (ValueError, RecursionError):
        return 400, "the request body is not valid JSON"
    if not isinstance(body, dict) or len(set(body) & set(FORMATS)) != 1:
        return 400, f"the request body must be a JSON object with one of the keys {', '.join(FORMATS)}"
    where = _first_constant(body)
    if where:
        return 400, f"{where}: NaN and Infinity are not JSON numbers (send null for a missing value)"
    return None


class _NotANumber(str):
    """What ``NaN``, ``Infinity`` and ``-Infinity`` parse to while the body is checked (JSON has no such numbers)."""


def _first_constant(body: dict) -> str:
    """Where the first NaN/Infinity sits, as ``row N: field`` (``""``: none)."""
    if isinstance(body.get("dataframe_split"), dict):
        split = body["dataframe_split"]
        columns, rows = split.get("columns") or [], split.get("data") or []
        for i, row in enumerate(rows if isinstance(rows, list) else []):
            for j, value in enumerate(row if isinstance(row, list) else []):
                inner = _path(value)
                if inner is not None:
                    name = columns[j] if j < len(columns) and isinstance(columns[j], str) else f"column {j}"
                    return f"row {i}: {name}{inner}"
        return ""
    rows = next((body[k] for k in FORMATS if k in body), None)
    for i, row in enumerate(rows if isinstance(rows, list) else [rows]):
        inner = _path(row)
        if inner is not None:
            return f"row {i}: {inner.lstrip('.')}"
    return ""


def _path(value) -> str | None:
    """The path of the first NaN/Infinity inside ``value`` (``""``: the value itself), None when there is none."""
    if isinstance(value, _NotANumber):
        return ""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        found = _path(inner)
        if found is not None:
            return (f".{key}" if isinstance(key, str) else f"[{key}]") + found
    return None


_MISSING = re.compile(r"missing inputs?:? *\[([^\]]*)\]", re.IGNORECASE)


def refusal_of(exc: Exception, input_schema) -> tuple[int, str]:
    """(status, one line) for a failure while answering: our own refusals as they are, MLflow's rewritten without
    the values it quotes, anything else a 500 without a trace."""
    message = str(getattr(exc, "message", "") or exc)
    if getattr(exc, "one_line", False):  # the pyfunc's own refusal (see ``pyfunc.bad_request``)
        return 400, exc.args[0]
    if message.startswith("Encountered an unexpected error"):
        return 500, "the model failed on this request (the server log has the details)"
    known = set(input_schema.input_names()) if input_schema is not None else set()
    found = _MISSING.search(message)
    if found:
        names = [n.strip(" '\"") for n in found.group(1).split(",")]
        return 400, f"missing field(s): {', '.join(n for n in names if n in known) or 'required fields'}"
    return 400, "the request's rows could not be read as a table of leads (see the model's signature)"
