"""Is the process behind a Run still there?

A Run that claims RUNNING names the processes responsible for it (its worker server and
job process) by *identity*: host, boot id, pid and the process's start time. A pid alone
is not enough — pids are reused — and a reboot kills every process while leaving configs
that say RUNNING; the boot id tells a reboot apart. On another host nothing can be
checked from here: the answer is None and the caller asks that host (its cluster) or
falls back to the Run's heartbeat.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import time
from typing import Any

Identity = dict[str, Any]


@functools.cache
def this_host() -> str:
    """This machine's host name, as identities record it."""
    return socket.gethostname()


@functools.cache
def boot_id() -> str:
    """An id that changes on every boot (Linux), or "" where there is none. Read once: a
    process does not outlive the boot it started in."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks after boot, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        return None
    except OSError:
        return _start_ticks_unknown(pid)
    fields = stat[stat.rindex(b")") + 2 :].split()
    if fields[0] in (b"Z", b"X"):  # zombie or dead: exited, not yet reaped
        return None
    return int(fields[19])


def _start_ticks_unknown(pid: int) -> int | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return -1


def identify(pid: int | None = None) -> Identity:
    """The identity of process ``pid`` (default: this one) on this machine."""
    if pid is None:
        return dict(_own_identity(os.getpid()))
    return {"host": this_host(), "boot_id": boot_id(), "pid": pid, "start": _start_ticks(pid)}


@functools.lru_cache(maxsize=4)
def _own_identity(pid: int) -> Identity:
    return identify(pid)


def alive(identity: Identity | None) -> bool | None:
    """True if the process is running, False if it is gone, None if it cannot be told here
    (another host, or no identity)."""
    if not identity or identity.get("host") != this_host():
        return None
    recorded_boot = identity.get("boot_id")
    if recorded_boot and boot_id() and recorded_boot != boot_id():
        return False
    start = _start_ticks(int(identity["pid"]))
    if start is None:
        return False
    recorded = identity.get("start")
    return recorded is None or start == -1 or start == recorded


def death_reason(identity: Identity) -> str:
    """Why ``identity`` is not running, in words for an error message."""
    recorded_boot = identity.get("boot_id")
    if recorded_boot and boot_id() and recorded_boot != boot_id():
        return f"the machine {identity.get('host')} rebooted while the Run was going"
    return f"its worker process {identity.get('pid')} on {identity.get('host')} is gone"


def kill_group(identity: Identity, sig: int = signal.SIGTERM) -> bool:
    """Send ``sig`` to the process group led by ``identity`` (a job: it and everything it
    started). Return False if it is not running."""
    if alive(identity) is not True:
        return False
    try:
        os.killpg(int(identity["pid"]), sig)
    except ProcessLookupError:
        return False
    return True


def ticks_now() -> int:
    """Now, in the clock ticks since boot that process start times are counted in."""
    try:
        return int(time.clock_gettime(time.CLOCK_BOOTTIME) * os.sysconf("SC_CLK_TCK"))
    except (AttributeError, OSError):  # no boot-time clock: not Linux
        return 0


def descendants(pid: int, *, started_since: int = 0) -> list[int]:
    """The pids of every process below ``pid`` (children, their children, …) on this
    machine — only those started at or after ``started_since`` ticks (see
    :func:`ticks_now`) — read from /proc; [] where there is no /proc."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append((int(entry), int(fields[19])))
    found, frontier = [], [pid]
    while frontier:
        below = [child for parent in frontier for child in children.get(parent, [])]
        found.extend(child for child, start in below if start >= started_since)
        frontier = [child for child, _ in below]
    return found


def kill_all(pids: list[int], sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to each of ``pids`` that still exists."""
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def reap(pids: list[int], timeout: float = 1.0) -> None:
    """Collect the exit status of those of ``pids`` that are this process's children, once
    they end (within ``timeout`` seconds): a long-lived process that killed its children
    must, or they linger as zombies that still look alive to ``kill -0``."""
    waiting = set(pids)
    deadline = time.monotonic() + timeout
    while waiting:
        for pid in list(waiting):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    continue  # still running
            except ChildProcessError:  # not ours, or reaped already
                pass
            waiting.discard(pid)
        if not waiting or time.monotonic() > deadline:
            return
        time.sleep(0.01)
