"""Is the process behind a Run still there?

A Run that claims RUNNING names the processes responsible for it (its worker server and
job process) by *identity*: host, boot id, pid and the process's start time. A pid alone
is not enough — pids are reused — and a reboot kills every process while leaving configs
that say RUNNING; the boot id tells a reboot apart. On another host nothing can be
checked from here: the answer is None and the caller asks that host (its cluster) or
falls back to the Run's heartbeat.

On Linux the facts come from /proc: the kernel's boot id, and start times in clock ticks
since boot (``"start"``). Where there is no /proc (macOS), or with ``RHCORE_NO_PROC=1`` in
the environment when this module is imported (how the tests take that path on Linux),
they come from psutil: start times in seconds since the epoch (``"created"``) and a boot
id made of the boot time. A record says by its keys which kind of start time it holds,
and is judged by that kind wherever it is read.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import time
from typing import Any

import psutil

Identity = dict[str, Any]

BOOT_TIME_PREFIX = "boot-time:"
"""How a boot id made of the boot time (where the kernel has no boot id) begins."""
CREATED_SLACK = 1.0
"""How far apart (seconds) two readings of one process's start time may be. Where it is
kept in seconds since the epoch (psutil), some systems derive it from a boot time counted
in whole seconds, which a clock adjustment can move by one."""
REBOOT_SLACK = 60.0
"""How far apart (seconds) two boot times must be to say the machine rebooted: a boot
time read from the clock moves with the clock."""


def _switched_off(variable: str) -> bool:
    return os.environ.get(variable, "") not in ("", "0")


_use_proc = os.path.isdir("/proc/self") and not _switched_off("RHCORE_NO_PROC")


def use_proc(on: bool) -> None:
    """Read processes from /proc (where there is one) or, with False, through psutil as
    where there is none — for tests, in this process; ``RHCORE_NO_PROC=1`` in the
    environment does the same for a process started with it."""
    global _use_proc
    _use_proc = on and os.path.isdir("/proc/self")
    boot_id.cache_clear()
    _own_identity.cache_clear()


def proc_in_use() -> bool:
    """Whether processes are read from /proc here."""
    return _use_proc


@functools.cache
def this_host() -> str:
    """This machine's host name, as identities record it."""
    return socket.gethostname()


@functools.cache
def boot_id() -> str:
    """An id that changes on every boot: the kernel's (Linux), else the boot time (see
    :data:`BOOT_TIME_PREFIX`), or "" where there is neither. Read once: a process does not
    outlive the boot it started in."""
    if _use_proc:
        try:
            with open("/proc/sys/kernel/random/boot_id") as f:
                return f.read().strip()
        except OSError:
            pass
    try:
        return f"{BOOT_TIME_PREFIX}{int(psutil.boot_time())}"
    except Exception:  # psutil knows no boot time here
        return ""


def _rebooted(recorded: str | None, *, certain: bool = True) -> bool:
    """Whether the boot id ``recorded`` is from an earlier boot than this one. A kernel's
    boot id tells for certain; a boot time read from the clock only when it moved by more
    than :data:`REBOOT_SLACK`, and never ``certain`` (the start time decides then)."""
    current = boot_id()
    if not recorded or not current:
        return False
    by_time = recorded.startswith(BOOT_TIME_PREFIX), current.startswith(BOOT_TIME_PREFIX)
    if by_time == (False, False):
        return recorded != current
    if by_time == (True, True) and not certain:
        try:
            then = float(recorded[len(BOOT_TIME_PREFIX) :])
            return abs(then - float(current[len(BOOT_TIME_PREFIX) :])) > REBOOT_SLACK
        except ValueError:
            return False
    return False  # ids of two kinds: nothing can be told from them


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


def _created(pid: int) -> float | None:
    """The process's start time in seconds since the epoch (psutil), to the hundredth;
    None if it is gone (or a zombie: exited, not yet reaped), -1 if it cannot be read."""
    try:
        process = psutil.Process(pid)
        if process.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return None
        return round(process.create_time(), 2)
    except psutil.NoSuchProcess:  # a ZombieProcess too
        return None
    except psutil.Error:  # not ours to read: it is there
        return -1.0


def identify(pid: int | None = None) -> Identity:
    """The identity of process ``pid`` (default: this one) on this machine."""
    if pid is None:
        return dict(_own_identity(os.getpid()))
    identity: Identity = {"host": this_host(), "boot_id": boot_id(), "pid": pid}
    if _use_proc:
        identity["start"] = _start_ticks(pid)
    else:
        created = _created(pid)
        identity["created"] = None if created == -1 else created
    return identity


@functools.lru_cache(maxsize=4)
def _own_identity(pid: int) -> Identity:
    return identify(pid)


def alive(identity: Identity | None) -> bool | None:
    """True if the process is running, False if it is gone, None if it cannot be told here
    (another host, or no identity)."""
    if not identity or identity.get("host") != this_host():
        return None
    if _rebooted(identity.get("boot_id")):
        return False
    pid = int(identity["pid"])
    if "created" in identity or not _use_proc:  # seconds since the epoch, from psutil
        created = _created(pid)
        if created is None:
            return False
        recorded = identity.get("created")
        return recorded is None or created == -1 or abs(created - recorded) <= CREATED_SLACK
    start = _start_ticks(pid)
    if start is None:
        return False
    recorded = identity.get("start")
    return recorded is None or start == -1 or start == recorded


def death_reason(identity: Identity) -> str:
    """Why ``identity`` is not running, in words for an error message."""
    if _rebooted(identity.get("boot_id"), certain=False):
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


def ticks_now() -> float:
    """Now, in the unit :func:`descendants` counts start times in: clock ticks since boot
    (/proc), else seconds since the epoch."""
    if not _use_proc:
        return time.time()
    try:
        return int(time.clock_gettime(time.CLOCK_BOOTTIME) * os.sysconf("SC_CLK_TCK"))
    except (AttributeError, OSError):  # no boot-time clock
        return 0


def descendants(pid: int, *, started_since: float = 0) -> list[int]:
    """The pids of every process below ``pid`` (children, their children, …) on this
    machine — only those started at or after ``started_since`` (see :func:`ticks_now`) —
    read from /proc, else through psutil."""
    if not _use_proc:
        return _descendants_by_psutil(pid, started_since)
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


def _descendants_by_psutil(pid: int, started_since: float) -> list[int]:
    try:
        below = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    found = []
    for child in below:
        try:
            if child.create_time() >= started_since - CREATED_SLACK:
                found.append(child.pid)
        except psutil.Error:  # gone meanwhile
            continue
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
