"""Which places' pickles may be loaded.

Unpickling runs whatever code a pickle names, so a value stored in a Run folder is only
loaded from a place where whoever can write is trusted by the user. Trusted by default:
the local disk, the registry the user configured, the run stores of the user's clusters,
and Run folders reached through them or written by this process. Trusted on request:
``rh.configure(trusted=[...])``, ``RHCORE_TRUSTED``, or ``"trusted": True`` in a place's
``data_config``. Any other place — a path or URL given ad hoc, someone's GitHub
repository — is not: its Runs can be looked at, copied and listed, but their pickles load
only with a valid signature (:mod:`rhcore.signing`).
"""

from __future__ import annotations

import functools
import os
import posixpath
import threading

import fsspec.core

from rhcore import settings
from rhcore.errors import UnknownSystemError
from rhcore.folder import Folder
from rhcore.plugins import TRUSTED_KEY, get_plugins

ANYWHERE = "*"

_stores: set[tuple[str, str]] = set()
_runs: set[tuple[str, str]] = set()
_lock = threading.Lock()


def vouch_store(folder: Folder) -> None:
    """Trust ``folder`` and everything under it for the rest of this process: a place the
    user's own configuration names (a cluster's run store)."""
    _add(_stores, folder)


def vouch_run(folder: Folder) -> None:
    """Trust the Run folder ``folder`` itself for the rest of this process: one the user's
    trusted registry points at, or one this process wrote a Run into (its own bytes, read
    back). Its earlier attempts are not included: they are someone else's."""
    _add(_runs, folder)


def _key(folder: Folder) -> tuple[str, str]:
    """How places are compared: a system, and a path without its edge slashes (a local
    path keeps its leading one)."""
    path = folder.path.rstrip("/") if folder.system == "file" else folder.path.strip("/")
    return folder.system, path


def _add(places: set[tuple[str, str]], folder: Folder) -> None:
    key = _key(folder)
    if key not in places:
        with _lock:
            places.add(key)


def forget() -> None:
    """Forget the places vouched for in this process (for tests that start afresh)."""
    with _lock:
        _stores.clear()
        _runs.clear()


def is_trusted(folder: Folder) -> bool:
    """Whether pickles in ``folder`` may be loaded without a signature."""
    if folder.data_config.get(TRUSTED_KEY) is True:
        return True
    return _trusted(*_key(folder))


def place_is_trusted(url: str) -> bool:
    """Whether the place a URL names (``s3://bucket/runs/x``) is trusted."""
    place = _place(url)
    return place is not None and place[0] != ANYWHERE and bool(place[1]) and _trusted(*place)


def _trusted(system: str, path: str) -> bool:
    if system == "file" or (system, path) in _runs:
        return True
    stores = [*_stores, *_configured(tuple(settings.trusted_places())), _registry(settings.registry_url())]
    return any(place in (system, ANYWHERE) and _under(path, prefix) for place, prefix in stores)


def url_of(folder: Folder) -> str:
    """How a user names ``folder`` in ``trusted=[...]``."""
    return folder.path if folder.system == "file" else f"{folder.system}://{folder.path}"


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix + "/")


@functools.lru_cache(maxsize=8)
def _registry(url: str) -> tuple[str, str]:
    return _place(url) or ("file", "")


@functools.lru_cache(maxsize=32)
def _configured(entries: tuple[str, ...]) -> list[tuple[str, str]]:
    return [place for place in map(_place, entries) if place is not None]


def _place(entry: str) -> tuple[str, str] | None:
    """(system, path prefix) of a trusted-place entry; "" as the prefix is the whole system."""
    if entry == ANYWHERE:
        return ANYWHERE, ""
    plugins = get_plugins()
    protocol, path = fsspec.core.split_protocol(entry)
    if protocol is None and "/" not in entry and os.sep not in entry:
        try:  # a system's name: all of it
            return plugins.system(entry).name, ""
        except UnknownSystemError:
            pass  # a local folder's name
    try:
        system = plugins.system(protocol).name if protocol else "file"
    except UnknownSystemError:
        return None  # a place on a system not installed here holds nothing this process reads
    if system == "file":
        return system, os.path.abspath(os.path.expanduser(path)).rstrip("/")
    path = posixpath.normpath(path).strip("/")
    return system, "" if path == "." else path
