"""The worker server: what every executor that keeps a warm worker starts where its
cluster is (``python -m rhcore.worker serve``).

The server speaks :mod:`rhcore.execution.protocol` on its stdin/stdout. For each job it
forks a job process — cheap, because the server has already imported everything — in its
own process group, so cancelling a job stops it and everything it started. The job
process runs the work (:func:`rhcore.execution.job.execute`) with its file descriptors 1
and 2 on pipes to the server, stores the result and reports its outcome. The server owns
the Run's lifecycle, through :mod:`rhcore.records`: it writes the logs (and relays them
to a caller who streams), names the job's process once it has run a moment, records the
end once the logs are complete, reaps job processes, notices those that die, and beats
for Runs others watch from afar. The server is single-threaded, so forking it is safe.

Where there is no ``os.fork`` (or with ``RHCORE_NO_FORK=1`` in the server's environment)
a job process is a new interpreter instead (``python -m rhcore.worker job``) that reads its
job from its stdin; where there is no ``os.pidfd_open`` (macOS; or ``RHCORE_NO_PIDFD=1``)
the server learns that a job process exited from SIGCHLD, through a wakeup pipe in its
selector, and collects it with ``waitpid``. The tests take both paths on Linux.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import importlib
import io
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable
from typing import Any

import attrs

from rhcore import liveness, records, settings
from rhcore.execution.job import execute, finish, job_folder, settle, text_stream
from rhcore.execution.protocol import PROTOCOL_VERSION, FrameBuffer, encode, read_message
from rhcore.execution.remote import pack_exception
from rhcore.folder import Folder
from rhcore.logfiles import LogFile, close_all, sync_interval
from rhcore.spec import FolderRef, Job, Outcome, RunStatus

PR_SET_PDEATHSIG = 1
IDENTITY_DELAY = 0.05
"""A job's process is named in its Run's folder once it has run this long (seconds): a
short job ends first, which saves every short Run a file. Until then the Run names the
server, which answers for it."""
CANCEL_GRACE_SECONDS = 5.0
JOB_COMMAND = ("-m", "rhcore.worker", "job")
"""How a job process starts where the server cannot fork (``--status-fd N`` follows)."""


def _switched_off(variable: str) -> bool:
    return os.environ.get(variable, "") not in ("", "0")


FORK = hasattr(os, "fork") and not _switched_off("RHCORE_NO_FORK")
"""Whether job processes are forked from the server (else started as new interpreters)."""
PIDFD = hasattr(os, "pidfd_open") and not _switched_off("RHCORE_NO_PIDFD")
"""Whether job processes are watched through pidfds (else through SIGCHLD and waitpid)."""


# -- the job process ---------------------------------------------------------------------


def _job_process(job: Job, out_w: int, err_w: int, status_w: int) -> None:
    """Body of a forked job process. Never returns."""
    code = 0
    try:
        os.setpgid(0, 0)  # its own process group (the server sets it too: no race with a cancel)
        _die_with_parent()
        signal.set_wakeup_fd(-1)  # the server's, if it watches SIGCHLD: not the job's business
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.closerange(3, status_w)
        os.closerange(status_w + 1, 1 << 16)
        code = _run_job(job, status_w)
    except BaseException:
        code = 70
        _report_failure()
    finally:
        os._exit(code)


def spawned_job_process(status_fd: int) -> None:
    """Body of a job process started as a new interpreter (``python -m rhcore.worker job``),
    where the server does not fork: its job comes framed on stdin, its output goes to
    file descriptors 1 and 2 and its outcome to ``status_fd``. It leads its own session,
    so its process group is its own. Never returns."""
    code = 0
    try:
        _die_with_parent()
        with open(0, "rb", closefd=False) as stdin:
            message = read_message(stdin)
        if message is None:
            raise RuntimeError("no job on stdin")
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        code = _run_job(message["job"], status_fd)
    except BaseException:
        code = 70
        _report_failure()
    finally:
        os._exit(code)


def _run_job(job: Job, status_w: int) -> int:
    """Run ``job`` in its job process, whose descriptors 0-2 are set; report its outcome on
    ``status_w``. The process's exit code."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = text_stream(1)
    sys.stderr = text_stream(2)
    if job.cwd:
        try:
            os.chdir(job.cwd)
        except OSError:
            pass
    os.environ.update(job.env)
    if job.registry is not None:
        settings.configure(registry=job.registry[0], data_config=job.registry[1])
    outcome = execute(job, report_imports=True, folder=job_folder(job))
    _write_all(status_w, encode(outcome))
    return 0 if outcome.ok else 1


def _report_failure() -> None:
    try:
        os.write(2, traceback.format_exc().encode())
    except OSError:
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _die_with_parent() -> None:
    """A job dies with its server (Linux): a killed worker takes its Runs with it, and their
    Runs are seen as ERROR, rather than living on with no one to record how they end."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: jobs outlive a killed server
        return
    if os.getppid() == 1:  # the server died before the line above
        os._exit(1)


# -- the server ---------------------------------------------------------------------------


class _Job:
    """A job the server has accepted: queued, then running in a job process."""

    def __init__(self, job_id: int, job: Job, stream: bool):
        self.id, self.job, self.stream = job_id, job, stream
        self.folder = job_folder(job) if job.record is not None else None
        self.record = job.record
        self.pid: int | None = None
        self.process: subprocess.Popen | None = None
        """Its job process, where it was not forked (then it is reaped through this)."""
        self.identity: dict | None = None
        self.pidfd: int | None = None
        self.fds: dict[int, str] = {}
        self.status_frames = FrameBuffer()
        self.outcome: Outcome | None = None
        self.logs: dict[str, LogFile] = {}
        self.log_failure: OSError | None = None
        """Why writing a log failed, if it did (the Run then ends saying so)."""
        self.finished = False
        self.cancel_deadline: float | None = None
        self.cancel_replies: list[int] = []
        self.identify_at: float | None = None


class _ForeignCancel:
    """A cancel of a job another server on this host runs: signalled, then watched."""

    def __init__(self, target: dict, folder: Folder, record: Any, grace: float, reply_id: int):
        self.target, self.folder, self.record, self.reply_id = target, folder, record, reply_id
        self.deadline: float | None = time.monotonic() + grace


class Server:
    """The warm worker server: jobs in, outcomes and output out, on two file descriptors."""

    def __init__(self, read_fd: int, write_fd: int, max_parallel: int):
        self.read_fd, self.write_fd = read_fd, write_fd
        self.max_parallel = max(1, max_parallel)
        self.identity = liveness.identify()
        self.sel = selectors.DefaultSelector()
        self.frames = FrameBuffer()
        self.queue: collections.deque[_Job] = collections.deque()
        self.running: dict[int, _Job] = {}
        self.client_open = True
        self.foreign_cancels: list[_ForeignCancel] = []
        self.unrecorded: list[tuple[_Job, Outcome | None, str]] = []
        """Ends that could not be written (a full disk), tried again every tick."""
        self.unwatched: dict[int, _Job] = {}
        """Job processes not yet reaped that no pidfd watches, by pid: polled on SIGCHLD."""
        self.sigchld_r: int | None = None
        self.next_heartbeat = time.monotonic() + records.HEARTBEAT_SECONDS

    # -- sending --

    def send(self, message: dict[str, Any]) -> None:
        if self.write_fd < 0:
            return
        try:
            _write_all(self.write_fd, encode(message))
        except OSError:  # the client is gone; jobs still finish and record themselves
            self.write_fd = -1

    # -- the loop --

    def serve(self) -> None:
        os.set_blocking(self.read_fd, False)
        self.sel.register(self.read_fd, selectors.EVENT_READ, ("client", None))
        self.send({"op": "hello", "identity": self.identity, "version": PROTOCOL_VERSION,
                   "home": os.path.expanduser("~")})
        interval = min(sync_interval(), 1.0)
        while self.client_open or self.queue or self.running:
            exited = []
            for key, _ in self.sel.select(timeout=self._timeout(interval)):
                kind, job = key.data
                if kind == "client":
                    self._read_client()
                elif kind == "pidfd":
                    exited.append((job, None))  # after this round's output, which came first
                elif kind == "sigchld":
                    _drain(key.fd)
                elif key.fd in job.fds:
                    self._read_pipe(job, key.fd, kind)
            exited.extend(self._exited_unwatched())
            for job, code in exited:
                self._reap(job, code)
            self._identify()
            self._tick()

    def _read_client(self) -> None:
        try:
            data = os.read(self.read_fd, 1 << 20)
        except BlockingIOError:
            return
        if not data:
            self.sel.unregister(self.read_fd)
            self.client_open = False
            return
        for message in self.frames.feed(data):
            self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "submit":
            self.queue.append(_Job(message["id"], message["job"], message.get("stream", False)))
            self._pump()
        elif op == "cancel":
            self._cancel(message)
        elif op == "alive":
            self.send({"op": "reply", "id": message["id"], "alive": liveness.alive(message["identity"])})
        elif op == "ping":
            self.send({"op": "reply", "id": message["id"], "identity": self.identity})

    def _pump(self) -> None:
        while self.queue and len(self.running) < self.max_parallel:
            job = self.queue.popleft()
            if job.folder is not None and records.cancel_requested(job.folder, job.record.attempt):
                self._complete(job, None, death="cancelled before it started")
                continue
            self._start(job)

    def _start(self, job: _Job) -> None:
        if job.folder is not None:
            try:  # before the job starts: a Run whose logs cannot be written does not run
                out, err = records.open_logs(job.folder, job.record, autosync=False)
            except OSError as exc:
                reason = f"its logs could not be opened: {type(exc).__name__}: {exc}"
                self._complete(job, Outcome(ok=False, exc=pack_exception(exc), error=reason, traceback=""),
                               death="")
                return
            job.logs = {"out": out, "err": err}
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        status_r, status_w = os.pipe()
        if not PIDFD:  # before the job process exists: its SIGCHLD is not missed
            self._watch_sigchld()
        try:
            if FORK:
                pid = os.fork()
                if pid == 0:
                    _job_process(job.job, out_w, err_w, status_w)
            else:
                job.process = _spawn(job.job, out_w, err_w, status_w)
                pid = job.process.pid
        except Exception as exc:  # no process could be made (out of memory, of processes)
            for fd in (out_r, out_w, err_r, err_w, status_r, status_w):
                os.close(fd)
            reason = f"its job process could not be started: {type(exc).__name__}: {exc}"
            self._complete(job, Outcome(ok=False, exc=pack_exception(exc), error=reason, traceback=""),
                           death="")
            return
        try:
            os.setpgid(pid, pid)
        except OSError:  # the child did it first, leads its own session, or is already gone
            pass
        for fd in (out_w, err_w, status_w):
            os.close(fd)
        job.pid = pid
        job.identity = liveness.identify(pid)
        self.running[job.id] = job
        for fd, kind in ((out_r, "out"), (err_r, "err"), (status_r, "status")):
            os.set_blocking(fd, False)
            job.fds[fd] = kind
            self.sel.register(fd, selectors.EVENT_READ, (kind, job))
        try:
            job.pidfd = os.pidfd_open(pid) if PIDFD else None
        except OSError:  # a kernel without pidfds
            job.pidfd = None
        if job.pidfd is not None:
            self.sel.register(job.pidfd, selectors.EVENT_READ, ("pidfd", job))
        else:
            self._watch_sigchld()
            self.unwatched[pid] = job
        if job.folder is not None:
            job.identify_at = time.monotonic() + IDENTITY_DELAY
            job.record = attrs.evolve(job.record, worker={"server": self.identity, "job": job.identity})
        self.send({"op": "started", "id": job.id, "pid": pid})

    def _identify(self) -> None:
        """Name the job process in the folder of Runs that have gone on for a while — or,
        when a cancel was asked for meanwhile (by a process that could not yet see whom to
        stop), stop it."""
        now = time.monotonic()
        for job in list(self.running.values()):
            if job.identify_at is None or now < job.identify_at or job.finished:
                continue
            job.identify_at = None
            if records.cancel_requested(job.folder, job.record.attempt):
                liveness.kill_group(job.identity, signal.SIGTERM)
                job.cancel_deadline = now + CANCEL_GRACE_SECONDS
            else:
                try:
                    records.record_worker(job.folder, job.record.attempt, job.record.worker)
                except Exception:  # a full disk: the server still answers for the job
                    pass

    def _timeout(self, interval: float) -> float:
        """How long the loop may wait for events: at most ``interval``, less when a job is
        due to be named."""
        due = [j.identify_at for j in self.running.values() if j.identify_at is not None]
        return max(0.0, min([interval, *(d - time.monotonic() for d in due)]))

    def _read_pipe(self, job: _Job, fd: int, kind: str) -> None:
        while fd in job.fds:
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            if not data:
                self._close_fd(job, fd)
                return
            if kind == "status":
                for message in job.status_frames.feed(data):
                    job.outcome = message
                if job.outcome is not None:
                    self._settle(job, job.outcome, death="")
            else:
                log = job.logs.get(kind)
                if log is not None:
                    try:
                        log.write(data)
                    except OSError as exc:  # a full disk: this job's log stops, nothing else does
                        job.logs.pop(kind)
                        job.log_failure = job.log_failure or exc
                        log.give_up(f"{type(exc).__name__}: {exc}")
                if job.stream:
                    self.send({"op": kind, "id": job.id, "data": data})

    def _close_fd(self, job: _Job, fd: int) -> None:
        self.sel.unregister(fd)
        os.close(fd)
        del job.fds[fd]

    def _settle(self, job: _Job, outcome: Outcome | None, *, death: str) -> None:
        """End the job's Run: its process reported (or died). What it printed before is
        already in its pipes, so drain them first; its exit is reaped separately."""
        if job.finished:
            return
        job.finished = True
        for fd, kind in list(job.fds.items()):
            if kind != "status":
                self._read_pipe(job, fd, kind)
        for fd in list(job.fds):
            self._close_fd(job, fd)
        self._complete(job, outcome, death=death)
        self._pump()

    def _watch_sigchld(self) -> None:
        """Wake the selector when a child exits (where no pidfd says so): SIGCHLD writes to a
        pipe it watches."""
        if self.sigchld_r is not None:
            return
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        signal.signal(signal.SIGCHLD, _ignore_signal)
        signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        self.sigchld_r = read_fd
        self.sel.register(read_fd, selectors.EVENT_READ, ("sigchld", None))

    def _exited_unwatched(self) -> list[tuple[_Job, int]]:
        """The job processes no pidfd watches that have exited, collected, with their exit
        codes (checked every round: a SIGCHLD wakes the loop, and signals merge)."""
        exited = []
        for pid, job in list(self.unwatched.items()):
            code = _exit_code(job, block=False)
            if code is not None:
                del self.unwatched[pid]
                exited.append((job, code))
        return exited

    def _reap(self, job: _Job, code: int | None = None) -> None:
        """The job process exited (with exit code ``code``, if collected already): collect
        it; if it never reported, its Run ends here."""
        for fd, kind in list(job.fds.items()):
            self._read_pipe(job, fd, kind)
        if code is None:
            code = _exit_code(job, block=True)
        if job.pidfd is not None:
            self.sel.unregister(job.pidfd)
            os.close(job.pidfd)
            job.pidfd = None
        if not job.finished:
            self._settle(job, job.outcome, death="" if job.outcome else _describe_exit(job.pid, code))
        if job.outcome is not None and FORK:
            _preload(job.outcome.imported)

    def _complete(self, job: _Job, outcome: Outcome | None, *, death: str) -> None:
        """Close the job's logs, record its Run's end and tell the caller. Storage that
        fails here (a full disk) ends the Run in ERROR saying so, and fails the caller's
        call, never the server or another job; an end that cannot be written yet is
        tried again every second while the server runs."""
        self.running.pop(job.id, None)
        unsaved: BaseException | None = job.log_failure
        try:
            if outcome is not None and outcome.traceback and "err" in job.logs:
                job.logs["err"].write(outcome.traceback.encode("utf-8", "backslashreplace"))
        except OSError as exc:
            unsaved = exc
        closing = close_all(job.logs.values())
        unsaved = unsaved or closing
        if outcome is not None and unsaved is not None and outcome.ok:
            reason = f"its output could not be saved: {type(unsaved).__name__}: {unsaved}"
            outcome = Outcome(ok=False, exc=pack_exception(unsaved), traceback="", error=reason)
        final = None
        if job.folder is not None:
            try:
                ended = finish(job.folder, job.record, outcome, death=death)
                final = ended.record.status
                if not ended.won and outcome is not None:
                    outcome.late = final.value
            except Exception as exc:
                self.unrecorded.append((job, outcome, death))
                if outcome is None or outcome.ok:
                    reason = f"the Run could not be recorded: {type(exc).__name__}: {exc}"
                    outcome = Outcome(ok=False, exc=pack_exception(exc), traceback="", error=reason)
        if outcome is None:
            cancelled = final is RunStatus.CANCELLED or bool(job.cancel_replies)
            outcome = Outcome(ok=False, cancelled=cancelled, gone=not cancelled,
                              error=f"The worker died: {death}")
        self.send({"op": "done", "id": job.id, "outcome": outcome})
        for reply_id in job.cancel_replies:
            self.send({"op": "reply", "id": reply_id, "ok": True, "message": "cancelled"})

    # -- cancelling --

    def _cancel(self, message: dict[str, Any]) -> None:
        ref: FolderRef = message["folder"]
        force, reply_id = message.get("force", False), message["id"]
        folder = Folder.from_ref(ref)
        record = records.read(folder)
        if record is None:
            self.send({"op": "reply", "id": reply_id, "ok": False,
                       "message": f"No Run at {folder.system}:{folder.path}"})
            return
        if record.status.is_final:
            message = f"Run {record.name!r} already ended ({record.status.value}); nothing to cancel"
            self.send({"op": "reply", "id": reply_id, "ok": False, "message": message})
            return
        records.request_cancel(folder, record)
        mine = next((j for j in [*self.queue, *self.running.values()]
                     if _same(j.folder, folder) and j.record.attempt == record.attempt), None)
        if mine is not None and mine in self.queue:
            self.queue.remove(mine)
            self._complete(mine, None, death="cancelled before it started")
            self.send({"op": "reply", "id": reply_id, "ok": True, "message": "cancelled before it started"})
            return
        if mine is not None:
            mine.cancel_replies.append(reply_id)
            liveness.kill_group(mine.identity, signal.SIGKILL if force else signal.SIGTERM)
            mine.cancel_deadline = time.monotonic() + (0 if force else CANCEL_GRACE_SECONDS)
            return
        target = records.worker_of(folder, record).get("job")
        if target is None:  # queued in another server: the request keeps it from starting
            self.send({"op": "reply", "id": reply_id, "ok": True, "message": "cancel requested"})
            return
        if liveness.alive(target) is None:
            self.send({"op": "reply", "id": reply_id, "ok": False,
                       "message": f"Run {record.name!r} runs on {target.get('host')}, not here"})
            return
        liveness.kill_group(target, signal.SIGKILL if force else signal.SIGTERM)
        self.foreign_cancels.append(
            _ForeignCancel(target, folder, record, 0 if force else CANCEL_GRACE_SECONDS, reply_id)
        )

    def _tick(self) -> None:
        now = time.monotonic()
        for job in self.running.values():
            if job.cancel_deadline is not None and now >= job.cancel_deadline:
                liveness.kill_group(job.identity, signal.SIGKILL)
                job.cancel_deadline = None
            for log in job.logs.values():
                try:
                    log.sync()
                except Exception:  # the final sync at close reports real failures
                    pass
        pending = []
        for cancel in self.foreign_cancels:
            if liveness.alive(cancel.target):
                if cancel.deadline is not None and now >= cancel.deadline:
                    liveness.kill_group(cancel.target, signal.SIGKILL)
                    cancel.deadline = None
                pending.append(cancel)
                continue
            try:  # its own server records the end; this is for one that died with it
                settle(cancel.folder, cancel.record, "cancelled", cancelled=True)
            except Exception:
                pass
            self.send({"op": "reply", "id": cancel.reply_id, "ok": True, "message": "cancelled"})
        self.foreign_cancels = pending
        self._record_again()
        if now >= self.next_heartbeat:
            self.next_heartbeat = now + records.HEARTBEAT_SECONDS
            for job in self.running.values():
                if job.folder is not None:
                    try:
                        records.beat(job.folder, job.record.attempt)
                    except Exception:
                        pass


    def _record_again(self) -> None:
        """Try again to record the ends that could not be written (space may have been freed)."""
        waiting, self.unrecorded = self.unrecorded, []
        for job, outcome, death in waiting:
            try:  # an end decided before the failure is published as it is; else decided now
                if not records.repair(job.folder):
                    finish(job.folder, job.record, outcome, death=death)
            except Exception:
                self.unrecorded.append((job, outcome, death))


def _spawn(job: Job, out_w: int, err_w: int, status_w: int) -> subprocess.Popen:
    """Start a job process as a new interpreter (where the server does not fork), its job
    on its stdin: a file, so a large job never blocks the server on a pipe."""
    with tempfile.TemporaryFile() as job_file:
        _write_all(job_file.fileno(), encode({"op": "job", "job": job}))
        job_file.seek(0)
        return subprocess.Popen(
            [sys.executable, *JOB_COMMAND, "--status-fd", str(status_w)],
            stdin=job_file, stdout=out_w, stderr=err_w, pass_fds=(status_w,), start_new_session=True,
        )


def _exit_code(job: _Job, *, block: bool) -> int | None:
    """Collect the job's exited process: its exit code (minus the signal that killed it),
    or None if it is still running (when not ``block``)."""
    if job.process is not None:
        return job.process.wait() if block else job.process.poll()
    pid, status = os.waitpid(job.pid, 0 if block else os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if pid else None


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def _ignore_signal(signum: int, frame: Any) -> None:
    """A handler that does nothing: the signal's use is to wake the selector."""


def _same(a: Folder | None, b: Folder) -> bool:
    return a is not None and a.system == b.system and a.path == b.path


def _preload(modules: Iterable[str]) -> None:
    """Import what a job had to import, so later job processes — forked from here — start
    with it loaded (a warm worker also means warm imports)."""
    for name in modules:
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except BaseException:  # a module that cannot load here stays the job's business
                pass


def _describe_exit(pid: int, code: int) -> str:
    """Words for a job process's exit code as :func:`os.waitstatus_to_exitcode` gives it
    (minus the signal that killed it)."""
    if code < 0:
        sig = -code
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return f"the job process {pid} was killed by signal {sig} ({name})"
    return f"the job process {pid} exited with code {code} without reporting"


def serve(max_parallel: int) -> None:
    """Serve on stdin/stdout; move them off fds 0/1 so nothing else can write into the
    protocol stream."""
    read_fd, write_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    # On fd 1 itself (/dev/null now), never closing it: a job process closes the server's
    # other descriptors and replaces sys.stdout, and a stream on a closed descriptor would
    # report the failed close when it goes (Python 3.13 prints it to the job's stderr).
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - for the server's lifetime
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    Server(read_fd, write_fd, max_parallel).serve()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rhcore.worker", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve_parser = sub.add_parser("serve", help="serve jobs on stdin/stdout")
    serve_parser.add_argument("--max-parallel", type=int, default=os.cpu_count() or 1)
    job_parser = sub.add_parser("job", help="run one job from stdin (a job process the server started)")
    job_parser.add_argument("--status-fd", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.max_parallel)
    elif args.command == "job":
        spawned_job_process(args.status_fd)


if __name__ == "__main__":
    main()
