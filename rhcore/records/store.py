"""Reading a Run's record, and where rhcore keeps its own files for it (the *book*)."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from typing import Any

from rhcore import layout, signing
from rhcore.errors import (
    CorruptConfigError,
    RunNotFoundError,
)
from rhcore.folder import Folder
from rhcore.plugins import get_plugins
from rhcore.spec import RunLayout, RunRecord, RunStatus

Ask = Callable[[dict], "bool | None"]


def write_value(folder: Folder, name: str, record: RunRecord, role: str, data: bytes) -> None:
    """Store a pickle of the Run (its ``role``: ``inputs``, ``result``) as file ``name``,
    and its signature beside it when this process has a signing key."""
    folder.write_bytes(name, data)
    signature = signing.sign(record.name, role, data)
    if signature is not None:
        folder.write_bytes(name + signing.SUFFIX, signature)


def read_signature(folder: Folder, name: str) -> bytes | None:
    """The signature stored beside file ``name``, or None."""
    try:
        return folder.read_bytes(name + signing.SUFFIX)
    except FileNotFoundError:
        return None

# -- reading ------------------------------------------------------------------------------


def where(folder: Folder, name: str = layout.CONFIG_FILE) -> str:
    """``system:path`` of a file of the folder, for messages."""
    return f"{folder.system}:{folder.join(name)}"


def read(folder: Folder) -> RunRecord | None:
    """The record of the Run in ``folder``, or None if there is none. An attempt that reads
    RUNNING but has ended (its end was decided, its config not yet published) reads as
    ended. CorruptConfigError, naming the file, if the config is not a Run's."""
    try:
        data = folder.read_bytes(layout.CONFIG_FILE)
    except (FileNotFoundError, NotADirectoryError):
        return None
    record = RunRecord.from_bytes(data, where(folder), name=posixpath.basename(folder.path))
    if record.status is RunStatus.RUNNING:
        ended = end_record(folder, record.attempt)
        if ended is not None:
            return ended
    return record


def require(folder: Folder) -> RunRecord:
    """The record of the Run in ``folder``; RunNotFoundError saying why there is none."""
    record = read(folder)
    if record is None:
        if folder.exists():
            raise RunNotFoundError(
                f"{folder.system}:{folder.path} holds no Run (no {layout.CONFIG_FILE} in it)"
            )
        raise RunNotFoundError(f"No Run at {folder.system}:{folder.path}: the folder does not exist")
    return record


def book(folder: Folder) -> Folder:
    """Where rhcore keeps its per-attempt files for the Run in ``folder``: beside it."""
    return folder.sibling(f".{posixpath.basename(folder.path.rstrip('/'))}{layout.BOOK_SUFFIX}")


def end_record(folder: Folder, attempt: int | None) -> RunRecord | None:
    kept, name = book(folder), layout.attempt_file(layout.END_PREFIX, attempt)
    try:
        data = kept.read_bytes(name)
    except FileNotFoundError:
        return None
    try:
        return RunRecord.from_bytes(data, where(kept, name), name=posixpath.basename(folder.path))
    except CorruptConfigError:  # being written (exclusive create is an open, then a write)
        return None


def layout_of(record: RunRecord) -> RunLayout:
    """The file names of the record's folder."""
    return get_plugins().layout(record.run_type)


def log_names(record: RunRecord) -> tuple[str, str]:
    """The record's stdout and stderr files (from the layout, never from stored data)."""
    names = layout_of(record)
    return names.stdout_file(record.name), names.stderr_file(record.name)


def stored_json(record: RunRecord) -> dict[str, Any]:
    """``config_for_run.json`` for ``record``, as a dict (its log files named for readers)."""
    stdout, stderr = log_names(record)
    return record.to_json(stdout_file=stdout, stderr_file=stderr)


def stored_form(record: RunRecord) -> bytes:
    """The bytes of ``config_for_run.json`` for ``record``."""
    return json.dumps(stored_json(record), default=str).encode()


def publish(folder: Folder, record: RunRecord) -> None:
    folder.publish(layout.CONFIG_FILE, stored_form(record))


def text_of(folder: Folder, name: str) -> str | None:
    try:
        return folder.read_bytes(name).decode()
    except FileNotFoundError:
        return None
