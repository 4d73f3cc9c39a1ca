"""Turning a Run's stored bytes back into values: the one place rhcore unpickles what a
store holds (a result, inputs, a cache hit), so that what cannot be read back is a
:class:`~rhcore.errors.CorruptRunError` naming the file, not a bare unpickling error;
that nothing is unpickled from a place the user has not trusted (:mod:`rhcore.trust`)
unless its signature verifies (:mod:`rhcore.signing`); and a *look* at a Run
(``rh show``) that never runs code a pickle names."""

from __future__ import annotations

import io
import pickle
import pickletools
import posixpath
from typing import Any

from rhcore import records, settings, signing, trust
from rhcore.errors import CorruptRunError, RhcoreError, UntrustedStoreError
from rhcore.folder import Folder
from rhcore.places import url_folder
from rhcore.registry import get_registry
from rhcore.spec import RunRecord


def load(folder: Folder, record: RunRecord, role: str) -> tuple[bool, Any]:
    """The Run's stored ``role`` (``"inputs"``, ``"result"``) as ``(True, value)``, or
    ``(False, None)`` when it stored none. UntrustedStoreError, before anything is
    unpickled, when the place is not trusted and the value carries no valid signature, or
    when its signature shows it was changed."""
    data, signature = records.read_value(folder, record, role)
    if data is None:
        return False, None
    layout = records.layout_of(record)
    where = records.where(folder, layout.inputs if role == "inputs" else layout.result)
    _check_trusted(folder, record, role, data, signature, where)
    return True, unpickle(data, where)


def _check_trusted(folder: Folder, record: RunRecord, role: str, data: bytes, signature: bytes | None,
                   where: str) -> None:
    verdict = signing.check(record.name, role, data, signature)
    if verdict.valid:
        return
    if verdict.tampered:
        raise UntrustedStoreError(f"Refusing to unpickle {where}: {verdict.reason}")
    if settings.signature_required():
        raise UntrustedStoreError(
            f"Refusing to unpickle {where}: only signed values are loaded (require_signature is on), "
            f"and {verdict.reason}"
        )
    origin = record.untrusted_origin
    here = trust.is_trusted(folder) or _kept_by_a_saved_cluster(folder)
    if here and (origin is None or trust.place_is_trusted(origin)):
        return
    place = origin if here else trust.url_of(folder)
    suggestion = posixpath.dirname(place.rstrip("/")) or place
    came = f"it was copied from {origin}, which" if here else "that place"
    raise UntrustedStoreError(
        f"Refusing to unpickle {where}: {came} is not trusted, and unpickling runs whatever code "
        f"a pickle names. If you trust everyone who can write there, trust it: "
        f"rh.configure(trusted=[{suggestion!r}]) (or RHCORE_TRUSTED, or \"trusted\": True in its "
        f"data_config); or have its writers sign Runs with {signing.KEY_VARIABLE}. Looking at the Run "
        f"(rh show) needs no trust."
    )


def _kept_by_a_saved_cluster(folder: Folder) -> bool:
    """Whether a cluster saved in the (trusted) registry keeps its Runs where ``folder`` is:
    a run store the user configured, even in a process that has not made that cluster.
    Asked only before refusing, so a trusted load never lists the registry."""
    registry = get_registry()
    for name in registry.names():
        entry = registry.get(name) or {}
        store = entry.get("run_store") if entry.get("resource_type") == "cluster" else None
        if isinstance(store, str) and store:
            try:
                trust.vouch_store(url_folder(store, entry.get("data_config")))
            except RhcoreError:  # a store on a system not installed here keeps nothing of ours
                continue
    return trust.is_trusted(folder)


def unpickle(data: bytes, where: str) -> Any:
    """The value pickled in ``data``, read from ``where`` (``system:path``, for the error)."""
    try:
        return pickle.loads(data)
    except Exception as exc:  # truncated, not a pickle, or needing what is not installed here
        raise CorruptRunError(f"{where} cannot be read back ({type(exc).__name__}: {exc})") from exc


class _DataOnly(pickle.Unpickler):
    """An unpickler that builds plain data (numbers, text, bytes, lists, tuples, dicts,
    sets) and refuses anything that names code: every class and function a pickle uses
    comes through ``find_class``, so refusing it there runs nothing."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"it names {module}.{name}")


def peek(data: bytes) -> tuple[bool, Any]:
    """(True, the value) for a pickle of plain data, read without running anything;
    (False, the name of the first class or function it refers to) otherwise."""
    try:
        return True, _DataOnly(io.BytesIO(data)).load()
    except Exception:
        return False, _first_name(data)


def _first_name(data: bytes) -> str:
    """The first class or function a pickle names, read from its opcodes (not run)."""
    texts: list[str] = []
    try:
        for opcode, arg, _ in pickletools.genops(data):
            if opcode.name == "GLOBAL":
                return str(arg).replace(" ", ".")
            if opcode.name == "STACK_GLOBAL" and len(texts) >= 2:
                return f"{texts[-2]}.{texts[-1]}"
            if isinstance(arg, str):
                texts.append(arg)
    except Exception:  # not a pickle at all
        return "not a pickle"
    return "unknown"


def describe(value: Any, limit: int = 200) -> str:
    """A value as a look shows it: its type and its repr, cut at ``limit`` characters."""
    text = repr(value)
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text)} characters)"
    return f"{type(value).__name__} {text}"


def summary(data: bytes, *, inputs: bool = False) -> str:
    """What a stored pickle holds, for a look at a Run: the value itself when it is plain
    data, else the class it names and its size — never by running it. ``inputs``: the
    ``(args, kwargs)`` a function Run stores, shown as ``{"args": ..., "kwargs": ...}``."""
    plain, value = peek(data)
    if not plain:
        return f"{value} ({len(data)} bytes, not loaded: a look runs no code; ask result() or inputs())"
    if inputs and isinstance(value, tuple) and len(value) == 2:
        value = {"args": list(value[0]), "kwargs": dict(value[1])}
    return describe(value)
