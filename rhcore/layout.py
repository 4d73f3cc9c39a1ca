"""Where things live: the files of a Run's folder, default folders, and valid names.

A Run's folder holds ``config_for_run.json``, ``inputs.pkl``, ``result.pkl`` and its
logs ``<name>.out`` / ``<name>.err``. Defaults are read from the environment at call
time (not import time), so a process that changes ``HOME`` or its working directory —
as tests do — gets folders under the new ones.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import re
import secrets
import threading
import unicodedata
from pathlib import Path

from rhcore.errors import InvalidNameError

CONFIG_FILE = "config_for_run.json"
"""The Run's record: the one file every Run folder has, whatever its type."""
INPUTS_FILE = "inputs.pkl"
RESULT_FILE = "result.pkl"
LATE_RESULT_FILE = "late_result.pkl"
"""What a function returned after its Run had already ended (it was cancelled, or judged
dead): kept beside the final record instead of passing for the Run's result."""
STDOUT_SUFFIX = ".out"
STDERR_SUFFIX = ".err"
LOCAL_RUN_DIR = "rh"
"""Folder under the working directory that holds local Runs (``./rh/<name>``)."""
ATTEMPTS_DIR = ".attempts"
"""Where a Run folder keeps its earlier attempts, one sub-folder each (``.attempts/1``, …)."""
STREAM_FILES = ("stdout", "stderr")
"""Where a job without a Run writes its output for its caller to stream."""

# rhcore's own per-attempt files live beside the Run's folder, in ``.<name>.rhcore/``
# (:data:`BOOK_SUFFIX`), so the folder holds only what the Run is. ``<n>`` is the attempt,
# so nothing one attempt leaves behind can be mistaken for the next one's.
BOOK_SUFFIX = ".rhcore"
LEASE_PREFIX = "lease-"
"""``lease-<n>``: who took attempt ``n`` (exclusive create: one taker per attempt)."""
END_PREFIX = "end-"
"""``end-<n>``: attempt ``n``'s final record (exclusive create: it ends once)."""
WORKER_PREFIX = "worker-"
"""``worker-<n>``: the process executing attempt ``n``, once it has run a moment."""
CANCEL_PREFIX = "cancel-"
"""``cancel-<n>``: present once someone asked to cancel attempt ``n``."""
HEARTBEAT_PREFIX = "heartbeat-"
"""``heartbeat-<n>``: when attempt ``n``'s worker last said it is alive."""
LATE_PREFIX = "late-"
"""``late-<n>``: how attempt ``n`` would have ended, had it not ended already."""


def attempt_file(prefix: str, attempt: int | None) -> str:
    """The name of one of rhcore's per-attempt files (``lease-3``); a record without an
    attempt (written by an older rhcore) counts as attempt 0."""
    return f"{prefix}{attempt or 0}"


MAX_NAME_BYTES = 200
"""Longest name, in UTF-8 bytes: leaves room under the usual 255-byte file-name limit for
the suffixes and temporary names rhcore adds."""


def home() -> str:
    """The user's home directory, ``~`` (``HOME``, else the password database)."""
    return os.environ.get("HOME") or os.path.expanduser("~")


def rh_home() -> Path:
    """``~/.rh``: per-user state (cluster run folders, the default registry)."""
    return _under_home(home())


@functools.lru_cache(maxsize=16)
def _under_home(home: str, *parts: str) -> Path:
    """``<home>/.rh/<parts>``, built once per home (every Run sent to a cluster asks)."""
    return Path(home, ".rh", *parts)


def cluster_logs_dir() -> Path:
    """Where a cluster keeps the folders of the Runs it executes: ``~/.rh/logs``."""
    return _under_home(home(), "logs")


def local_runs_dir() -> Path:
    """Where Runs created in this process live by default: ``./rh`` under the working dir."""
    return Path.cwd() / LOCAL_RUN_DIR


def default_registry_path() -> Path:
    """The registry folder used when ``RHCORE_REGISTRY`` is not set: ``~/.rh/registry``."""
    return _under_home(home(), "registry")


def stdout_file(name: str) -> str:
    """File name of a Run's captured stdout."""
    return name + STDOUT_SUFFIX


def stderr_file(name: str) -> str:
    """File name of a Run's captured stderr."""
    return name + STDERR_SUFFIX


def validate_name(name: object, *, kind: str = "run") -> str:
    """Return ``name``, in Unicode's composed form (NFC), if it can safely name a folder or
    registry entry, else raise.

    Refused: non-strings, empty or blank names, surrounding whitespace, path separators
    (``/`` and ``\\``), ``..`` anywhere, a leading ``.`` (hidden from every listing),
    control characters, invisible formatting characters (bidi controls, zero-width
    characters: a name must read as what it is), and names longer than
    :data:`MAX_NAME_BYTES` bytes. Checked before anything is written.
    """
    if not isinstance(name, str):
        raise InvalidNameError(f"A {kind} name must be a string, not {type(name).__name__}")
    name = unicodedata.normalize("NFC", name)
    problem = _name_problem(name)
    if problem:
        raise InvalidNameError(f"Invalid {kind} name {name!r}: {problem}")
    return name


_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Unicode's control characters (category Cc), which no name may hold."""


def _name_problem(name: str) -> str:
    if not name or not name.strip():
        return "it is empty"
    if name != name.strip():
        return "it starts or ends with whitespace"
    if "/" in name or "\\" in name:
        return "it contains a path separator ('/' or '\\')"
    if ".." in name:
        return "it contains '..'"
    if name.startswith("."):
        return "it starts with '.' (such names are hidden from listings)"
    if _CONTROL_CHARACTER.search(name):
        return "it contains a control character"
    invisible = next((c for c in name if unicodedata.category(c) == "Cf"), None)
    if invisible is not None:
        what = unicodedata.name(invisible, "unnamed")
        return f"it contains an invisible formatting character (U+{ord(invisible):04X}, {what})"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes"
    return ""


_last_stamp = _dt.datetime.min.replace(tzinfo=_dt.timezone.utc)
_stamp_lock = threading.Lock()


def new_run_name() -> str:
    """A unique name that sorts by creation time, e.g. ``run-20261124-230102-123456-9f3a1c``.

    The timestamp is UTC and strictly increasing within a process; the random suffix keeps
    names from different processes or machines apart.
    """
    global _last_stamp
    with _stamp_lock:
        stamp = _dt.datetime.now(_dt.timezone.utc)
        if stamp <= _last_stamp:
            stamp = _last_stamp + _dt.timedelta(microseconds=1)
        _last_stamp = stamp
    return f"run-{stamp:%Y%m%d-%H%M%S-%f}-{secrets.token_hex(3)}"


def now_iso() -> str:
    """The current time, ISO 8601 in UTC with microseconds (sortable as text)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


def parse_iso(stamp: str) -> _dt.datetime:
    """Parse a timestamp written by :func:`now_iso`."""
    return _dt.datetime.fromisoformat(stamp)
