"""The Run's own files: inputs, result, logs, the files its user writes, and copies."""

from __future__ import annotations

import json
from collections.abc import Callable

import attrs

from rhcore import layout, trust
from rhcore.errors import (
    RunExistsError,
)
from rhcore.folder import Folder
from rhcore.logfiles import LogFile
from rhcore.records.ownership import clear_visible, keep_config, move_visible
from rhcore.records.store import (
    layout_of,
    log_names,
    publish,
    read,
    read_signature,
    text_of,
    where,
    write_value,
)
from rhcore.spec import RunRecord, RunStatus, RunType

# -- the Run's files ----------------------------------------------------------------------------


def read_inputs(folder: Folder, record: RunRecord) -> bytes:
    """A function Run's pickled inputs (FileNotFoundError naming the file if absent)."""
    name = layout_of(record).inputs
    try:
        return folder.read_bytes(name)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"Run {record.name!r} ({record.run_type.value}) recorded no inputs at {where(folder, name)}"
        ) from None


def write_result(folder: Folder, record: RunRecord, data: bytes) -> None:
    """Store a function Run's pickled result (before its end is published: a COMPLETED
    Run always has its result), signed when this process has a signing key."""
    write_value(folder, layout_of(record).result, record, "result", data)


def read_value(folder: Folder, record: RunRecord, role: str) -> tuple[bytes | None, bytes | None]:
    """A Run's pickled ``role`` (``inputs``, ``result``) and its signature; None for what
    is not stored."""
    name = layout_of(record).inputs if role == "inputs" else layout_of(record).result
    try:
        data = folder.read_bytes(name)
    except FileNotFoundError:
        return None, None
    return data, read_signature(folder, name)


def read_result(folder: Folder, record: RunRecord) -> bytes | None:
    """A Run's pickled result, or None if it stored none."""
    try:
        return folder.read_bytes(layout_of(record).result)
    except FileNotFoundError:
        return None


def has_result(folder: Folder, record: RunRecord) -> bool:
    return folder.has(layout_of(record).result)


def read_log(folder: Folder, record: RunRecord, stream: str) -> bytes:
    """What the Run wrote to ``stream`` (``"stdout"`` / ``"stderr"``), or b""."""
    name = log_names(record)[0 if stream == "stdout" else 1]
    try:
        return folder.read_bytes(name)
    except FileNotFoundError:
        return b""


def open_logs(folder: Folder, record: RunRecord, *, autosync: bool = True) -> tuple[LogFile, LogFile]:
    """The Run's two log files, opened for writing (on its system, or spooled and synced)."""
    stdout, stderr = log_names(record)
    return LogFile(folder, stdout, autosync=autosync), LogFile(folder, stderr, autosync=autosync)


def open_stream_logs(folder: Folder, identity: dict) -> tuple[LogFile, LogFile]:
    """For a job without a Run: log files its caller streams from, and its process named."""
    folder.mkdir()
    folder.write_bytes(layout.attempt_file(layout.WORKER_PREFIX, None), json.dumps(identity).encode())
    return LogFile(folder, layout.STREAM_FILES[0]), LogFile(folder, layout.STREAM_FILES[1])


def stream_worker(folder: Folder) -> dict | None:
    """The process named by a job without a Run, once it started."""
    text = text_of(folder, layout.attempt_file(layout.WORKER_PREFIX, None))
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def write_file(folder: Folder, relative: str, data: bytes) -> None:
    """Store a file the Run's user writes into its folder (``run.write``)."""
    folder.write_bytes(relative, data)


# -- copies --------------------------------------------------------------------------------------


def same_attempt(a: RunRecord, b: RunRecord) -> bool:
    """Whether two records describe the same attempt of the same Run (a copy of it)."""
    return (a.name, a.attempt, a.start_time, a.run_type) == (b.name, b.attempt, b.start_time, b.run_type)


def copy(source: Folder, record: RunRecord, dest: Folder, *,
         callback: Callable[[str, int, int], None] | None = None) -> RunRecord:
    """Copy the Run's current attempt into ``dest``, its config last (an interrupted copy
    is never seen as a Run). A copy of the same attempt there is brought up to date;
    another attempt of the same name there is kept as an earlier attempt, as a re-run
    keeps one; another Run there is left alone (RunExistsError)."""
    dest.check_writable()
    existing = read(dest)
    if existing is not None and existing.name != record.name:
        raise RunExistsError(f"{dest.system}:{dest.path} already holds another Run ({existing.name!r})")
    if existing is not None and not same_attempt(existing, record):
        slot = keep_config(dest)
        dest.remove(layout.CONFIG_FILE)
        if slot is not None:
            move_visible(dest, slot)
    elif existing is not None:
        clear_visible(dest)
    if trust.is_trusted(source):
        source.copy_to(dest, last=layout.CONFIG_FILE, callback=callback)
        copied = read(dest) or record
    else:  # the copy says where it came from, so its pickles stay as untrusted as they were
        source.copy_to(dest, exclude={layout.CONFIG_FILE}, callback=callback)
        copied = attrs.evolve(record, untrusted_origin=record.untrusted_origin or trust.url_of(source))
        publish(dest, copied)  # last: a reader sees the copy only once all it describes is there
    trust.vouch_run(dest)
    return copied


def is_function_result_missing(folder: Folder, record: RunRecord) -> bool:
    """A COMPLETED function Run without its result: nothing a copy could be made from."""
    return record.run_type is RunType.FUNCTION_RUN and record.status is RunStatus.COMPLETED and \
        not has_result(folder, record)
