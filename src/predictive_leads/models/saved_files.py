"""A saved model's files read back safely: one ModelError line for any missing, damaged or mis-typed file.

Every problem (unreadable, not UTF-8, not JSON, a missing key, a wrong type, a truncated LightGBM text) names the
file and what to do, and is raised before LightGBM's parser (which aborts the process on a damaged model) sees
anything."""

from __future__ import annotations

import json
from pathlib import Path


class ModelError(ValueError):
    """The data cannot give an honest model (too few positives, one class, …) or a saved model is unusable."""


REDO = "re-save or retrain the model"  # what to do about a damaged model file
JSON_TYPES = {dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number",
               bool: "true or false"}  # fmt: skip
# "holds a string, not only numbers": the plural for lists of one type
JSON_TYPES_PLURAL = {str: "strings", float: "numbers"}


def read_json(path: str | Path, *, keys: dict[str, type] | None = None, optional: dict[str, type] | None = None):
    """The JSON in ``path`` (a file of a saved model: ``scorer.json``, ``pyfunc.json``, ``profile.json``, …).

    With ``keys`` (and ``optional``) it must be an object holding each of ``keys`` with a value of that type
    (``optional`` ones may be absent or null). Any problem — missing, unreadable, not UTF-8, not JSON, a missing
    key, a wrong type — is a one-line :class:`ModelError` naming the file and what to do."""
    path = Path(path)
    return parse_json(read_text(path), str(path), keys=keys, optional=optional)


def parse_json(text: str, where: str, *, keys: dict[str, type] | None = None,
               optional: dict[str, type] | None = None):  # fmt: skip
    """:func:`read_json` for text already read (``where`` names it in errors)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(
            f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); {REDO}"
        ) from None
    if keys is not None or optional is not None:
        check_keys(value, where, keys or {}, optional or {})
    return value


def check_keys(value, where: str, keys: dict[str, type], optional: dict[str, type] | None = None) -> None:
    """``value`` is a JSON object with each of ``keys`` of its type (and each of ``optional`` absent, null or of
    its type); else a one-line :class:`ModelError`."""
    if not isinstance(value, dict):
        raise ModelError(f"{where}: holds {json_type(value)}, not an object; {REDO}")
    missing = next((key for key in keys if key not in value), None)
    if missing is not None:
        raise ModelError(f"{where}: missing key {missing!r}; {REDO}")
    for key, kind in {**(optional or {}), **keys}.items():
        found = value.get(key)
        if (key in keys or found is not None) and not is_json(found, kind):
            raise ModelError(f"{where}: {key!r} is {json_type(found)}, not {JSON_TYPES[kind]}; {REDO}")


def is_json(value, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


def json_type(value) -> str:
    if value is None:
        return "null"
    return next((name for kind, name in JSON_TYPES.items() if is_json(value, kind)), type(value).__name__)


def read_text(path: Path, *, strict: bool = True) -> str:
    """The text of ``path``; ModelError when it is missing, unreadable or (``strict``) not UTF-8."""
    try:
        return path.read_text(encoding="utf-8", errors="strict" if strict else "surrogateescape")
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file; {REDO}") from None
    except UnicodeDecodeError as exc:
        raise ModelError(f"{path}: not UTF-8 text (byte {exc.start}); {REDO}") from None
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc}); {REDO}") from None


def complete_model_text(text: str) -> bool:
    """Whether ``text`` has every part of a model LightGBM saved: the ``tree`` header, ``end of trees``, the
    parameters section, and the final ``pandas_categorical:<JSON>`` line that LightGBM's Python package appends
    (any truncation removes at least the end of that line)."""
    head, end, tail = text.rpartition("\nend of parameters\n")
    if not (end and text.startswith("tree\n") and "\nend of trees\n" in head and "\nparameters:\n" in head):
        return False
    last = tail.strip()
    if "\n" in last or not last.startswith("pandas_categorical:"):
        return False
    try:
        json.loads(last.removeprefix("pandas_categorical:"))
    except json.JSONDecodeError:
        return False
    return True


def first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
