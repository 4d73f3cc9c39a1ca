"""Leases: at most one caller executes a named Run at a time — the mechanism behind
``get_or_call``'s "never compute the same step twice".

A Run folder's leases are files ``.lease-<n>``, created with exclusive create (never an
OS lock: object stores have none), each naming its holder process. Generation ``n+1`` can
be taken only once lease ``n`` is *spent*: its attempt ended, or its holder died before
finishing. Because taking over also goes through exclusive create, of many callers that
see a dead holder at once exactly one takes its place. A Run's config records the
generation of the attempt it describes (``attempt``), which tells waiters whether what
they read is the attempt they are waiting for.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from rhcore import layout, liveness
from rhcore.folder import Folder
from rhcore.status import RunStatus

LEASE_PREFIX = ".lease-"
STALE_SECONDS = 120.0
"""A lease whose holder is on another host, and whose attempt shows no sign of life, is
taken over after this long."""


def generations(folder: Folder) -> list[int]:
    """The lease generations present in ``folder``, ascending."""
    names = (n[len(LEASE_PREFIX):] for n in folder.files(hidden=True) if n.startswith(LEASE_PREFIX))
    return sorted(int(n) for n in names if n.isdigit())


UNREADABLE_SECONDS = 10.0
"""A lease file still unreadable after this long was left by a taker that died writing it."""

_unreadable_since: dict[tuple[str, str, int], float] = {}
_BEING_WRITTEN: dict[str, Any] = {}
"""What :func:`_holder` answers for a lease file that exists but cannot be read yet: its
taker created it and is still writing (exclusive create is an open, then a write)."""


def _holder(folder: Folder, generation: int) -> dict[str, Any] | None:
    """The record of lease ``generation``: None if there is no such lease,
    :data:`_BEING_WRITTEN` if it is there but not readable yet."""
    try:
        data = folder.read_bytes(f"{LEASE_PREFIX}{generation}")
    except FileNotFoundError:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return _BEING_WRITTEN


def _take(folder: Folder, generation: int) -> bool:
    record = {"holder": liveness.identify(), "taken": layout.now_iso()}
    return folder.create(f"{LEASE_PREFIX}{generation}", json.dumps(record).encode())


def next_attempt(folder: Folder) -> int:
    """Take the next generation unconditionally (a plain call runs whatever else runs).
    A new Run's first lease costs one exclusive create, without a listing."""
    if _take(folder, 1):
        return 1
    while True:
        generation = (generations(folder) or [0])[-1] + 1
        if _take(folder, generation):
            return generation


def release(folder: Folder, generation: int) -> None:
    """Give back lease ``generation`` whose attempt was never recorded (its cluster refused
    the job), so the next caller takes it instead of waiting for this one's holder."""
    folder.remove(f"{LEASE_PREFIX}{generation}")


def try_acquire(
    folder: Folder, config: dict[str, Any] | None, worker_alive: Callable[[dict], bool | None]
) -> int | None:
    """Take the next lease if the current one is spent; return its generation, or None
    if another caller holds a live lease (or won the race for the next one)."""
    current = (generations(folder) or [0])[-1]
    if current and not spent(folder, config, current, worker_alive):
        return None
    return current + 1 if _take(folder, current + 1) else None


def current(folder: Folder) -> int:
    """The newest lease generation (0 if none)."""
    return (generations(folder) or [0])[-1]


def spent(
    folder: Folder,
    config: dict[str, Any] | None,
    generation: int,
    worker_alive: Callable[[dict], bool | None],
) -> bool:
    """Whether lease ``generation`` no longer protects a live attempt."""
    if config is not None and config.get("attempt") == generation:
        if RunStatus(config["status"]).is_final:
            return True
        return worker_alive(config.get("worker") or {}) is False
    holder = _holder(folder, generation)
    if holder is None:
        return True
    if holder is _BEING_WRITTEN:  # just taken — unless it stays unreadable: its taker died
        first_seen = _unreadable_since.setdefault((folder.system, folder.path, generation), time.monotonic())
        return time.monotonic() - first_seen > UNREADABLE_SECONDS
    alive = liveness.alive(holder.get("holder"))
    if alive is None:
        age = (layout.parse_iso(layout.now_iso()) - layout.parse_iso(holder["taken"])).total_seconds()
        return age > STALE_SECONDS
    return not alive
