"""File I/O at the edge: read tables through their contracts, write outputs atomically.

Every write goes to a temporary file in the target folder and is renamed into place on success, so a
reader never sees a half-written file and a killed job leaves nothing behind. Parquet is written with
fixed settings, so the same frame gives the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from predictive_leads.data.contracts import (
    CONVERSIONS,
    EVENTS,
    LEADS,
    ContractError,
    TableContract,
    check_not_before_creation,
    check_references,
    validate,
)
from predictive_leads.data.feedback import sales_feedback

MANIFEST = "manifest.json"
OUTPUT_MODE = 0o644
SUFFIXES = (".parquet", ".csv")


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path`` (``.<name>.<pid>.<random>.tmp``, unique per job); rename it onto
    ``path`` only if the block succeeds, remove it otherwise (errors, Ctrl-C, and SIGTERM under the CLI)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, OUTPUT_MODE)  # mkstemp makes 0600 files; outputs are meant to be shared
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def remove_stale_partials(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files killed jobs left beside ``path`` (exactly ``.<name>.<pid>.<random>.tmp``, whose
    process is gone). Called by a job holding :func:`output_lock` before it writes, so a temporary file carrying
    the caller's own pid is a dead namesake's (containers reuse pids); another live job's is never touched.
    Returns what was removed."""
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d{{1,9}})\.[^.]+\.tmp")
    removed = []
    for partial in path.parent.iterdir() if path.parent.is_dir() else ():
        match = pattern.fullmatch(partial.name)
        if match and not _alive_other(int(match.group(1))):
            partial.unlink(missing_ok=True)
            removed.append(partial)
    return removed


def _alive_other(pid: int) -> bool:
    """Is ``pid`` a live process other than this one?"""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


class OutputLockedError(FileExistsError):
    """Another live job holds the lock of an output path."""


_HELD: dict[Path, int] = {}


@contextmanager
def output_lock(path: str | os.PathLike):
    """Hold an exclusive lock on ``.<name>.lock`` beside ``path`` for the block, so a second job writing the same
    output is refused at its start with :class:`OutputLockedError` (naming the holder's pid) instead of racing the
    first. The lock is the kernel's (``flock``): it dies with its process, so a killed job's lock file never
    blocks the next run. Re-entrant within one process (threads of one process are not kept apart)."""
    lock = Path(path).with_name(f".{Path(path).name}.lock").absolute()
    if lock in _HELD:
        _HELD[lock] += 1
        try:
            yield lock
        finally:
            _HELD[lock] -= 1
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = _take(lock, Path(path).name)
    _HELD[lock] = 1
    try:
        yield lock
    finally:
        del _HELD[lock]
        lock.unlink(missing_ok=True)  # before the lock is released: a waiting job then finds no file, or its own
        os.close(fd)


def _take(lock: Path, name: str) -> int:
    """The open, locked file descriptor of ``lock``, with this job's pid written in it."""
    import fcntl

    while True:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            who = f"pid {holder}" if holder.isdigit() else "a job that has just started"
            raise OutputLockedError(f"{name}: another job ({who}) is writing this output; wait for it to finish or "
                                    f"choose another output path") from None  # fmt: skip
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:  # removed by the job that held it, between our open and our lock
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)


@contextmanager
def atomic_dir(path: str | os.PathLike):
    """Yield a temporary folder beside ``path``; swap it in for ``path`` only if the block succeeds, so a failed
    or interrupted run leaves the previous folder whole (the swap is two renames)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o755)
    old = path.with_name(f".{path.name}.old")
    try:
        yield tmp
        shutil.rmtree(old, ignore_errors=True)
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def _csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str.slice(0, 23) + "Z"
        elif s.dtype == object and s.map(lambda v: hasattr(v, "tolist")).any():
            out[col] = [json.dumps(v.tolist()) if hasattr(v, "tolist") else v for v in s]
    return out


def write_table(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` to ``.parquet`` or ``.csv`` atomically and deterministically."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ValueError(f"{path.name}: unsupported output type {path.suffix!r}; use .parquet or .csv")
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            table = pa.Table.from_pandas(df, preserve_index=False)
            if df.attrs:  # where pandas' read_parquet finds them (older pyarrow does not store them itself)
                attrs = {b"PANDAS_ATTRS": json.dumps(df.attrs, sort_keys=True).encode()}
                table = table.replace_schema_metadata({**(table.schema.metadata or {}), **attrs})
            pq.write_table(table, tmp, compression="zstd", row_group_size=1_000_000)
        else:
            _csv_ready(df).to_csv(tmp, index=False, lineterminator="\n")
    return path


def write_texts(texts: dict[str, str], folder: str | os.PathLike) -> Path:
    """Write each ``{file name: text}`` into ``folder`` atomically (UTF-8; a name may hold a subfolder); returns the
    folder. The one place models, profiles and tables are saved through."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / name) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return folder


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8); returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def read_texts(folder: str | os.PathLike, names) -> dict[str, str]:
    """``{file name: text}`` of the named files in ``folder`` (FileNotFoundError naming the first missing one)."""
    folder = Path(folder)
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: no {missing[0]}")
    return {n: (folder / n).read_text(encoding="utf-8") for n in names}


def json_text(obj, indent: int = 2) -> str:
    """``obj`` as stable JSON text (sorted keys, one trailing newline; unknown types as their text)."""
    return json.dumps(obj, indent=indent, sort_keys=True, default=str) + "\n"


def write_json(obj, path: str | os.PathLike) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(json_text(obj))
    return Path(path)


def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sniff_delimiter(path: str | os.PathLike, default: str = ",") -> str:
    """The CSV delimiter (comma, semicolon, tab or pipe) guessed from the first 64 KiB."""
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        sample = f.read(1 << 16)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return default


def read_raw(path: str | os.PathLike, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Read a ``.parquet`` or ``.csv`` file as it is (CSV values as strings; contracts coerce them); with
    ``columns``, only those of them the file has."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    wanted = None if columns is None else set(columns)
    if path.suffix == ".parquet":
        try:
            names = None if wanted is None else [c for c in pq.read_schema(path).names if c in wanted]
            return pd.read_parquet(path, columns=names)
        except (pa.ArrowException, OSError) as exc:
            raise ContractError(f"{path.name}: not a readable Parquet file ({exc})") from None
    if path.suffix == ".csv":
        try:
            return pd.read_csv(path, dtype="string", keep_default_na=False, na_values=[""], sep=sniff_delimiter(path),
                               usecols=None if wanted is None else lambda c: c in wanted)  # fmt: skip
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ContractError(f"{path.name}: not a readable CSV file ({exc})") from None
    raise ContractError(f"{path.name}: unsupported file type {path.suffix!r}; use .parquet or .csv")


def read_table(path: str | os.PathLike, contract: TableContract) -> pd.DataFrame:
    """Read a file and validate it against ``contract`` (errors name the file)."""
    return validate(read_raw(path), contract, source=Path(path).name)


def read_feedback(path: str | os.PathLike) -> pd.DataFrame:
    """Read a sales feedback file and check it (:func:`~predictive_leads.data.feedback.sales_feedback`; errors name
    the file)."""
    return sales_feedback(read_raw(path), Path(path).name)


def find_table(folder: str | os.PathLike, name: str) -> Path:
    """``folder/name.parquet`` or, failing that, ``folder/name.csv``."""
    folder = Path(folder)
    for suffix in SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{folder}: no {name}.parquet or {name}.csv")


def read_lead_data(folder: str | os.PathLike) -> dict[str, pd.DataFrame]:
    """Read and check leads, events and conversions from a data folder (with cross-table checks)."""
    leads = read_table(find_table(folder, "leads"), LEADS)
    events_path = find_table(folder, "events")
    events = read_table(events_path, EVENTS)
    conv_path = find_table(folder, "conversions")
    conversions = read_table(conv_path, CONVERSIONS)
    check_references(events, leads["lead_id"], source=events_path.name)
    check_references(conversions, leads["lead_id"], source=conv_path.name)
    check_not_before_creation(conversions, leads, source=conv_path.name)
    return {"leads": leads, "events": events, "conversions": conversions}


def read_manifest(folder: str | os.PathLike) -> dict:
    path = Path(folder) / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {}


def exported_at(folder: str | os.PathLike, events: pd.DataFrame) -> pd.Timestamp:
    """When the data in ``folder`` was exported: its manifest's ``observed_until``, else the midnight after its
    last event (``events`` as :func:`read_lead_data` reads them)."""
    stated = read_manifest(folder).get("observed_until")
    return pd.Timestamp(stated) if stated else events["ts"].max().normalize() + pd.Timedelta(days=1)


def read_dataset(folder: str | os.PathLike, spec=None, *, events_as_paths: bool = True):
    """The tables of ``folder`` as the dataset spec declares them (default: our synthetic world's spec), checked:
    :class:`~predictive_leads.data.spec_tables.SpecTables`. Event tables stored as Parquet are left for the query
    engine to read (it counts and skips bad events) unless not ``events_as_paths`` (read and checked here)."""
    from predictive_leads.data.spec import synthetic_spec
    from predictive_leads.data.spec_tables import apply_spec

    spec = spec or synthetic_spec()
    other = {spec.entity.table, *(o.table for o in spec.outcomes.values())}
    other |= {spec.account.table} if spec.account else set()
    raw, names = {}, {}
    for table in spec.tables:
        path = find_table(folder, table)
        names[table] = path.name
        lazy = events_as_paths and path.suffix == ".parquet" and table not in other
        raw[table] = str(path) if lazy else read_raw(path)
    return apply_spec(raw, spec, source_names=names)
