"""The worker: what every executor starts where a cluster is.

``python -m rhcore.worker serve`` is a warm *server* speaking :mod:`rhcore.protocol` on
its stdin/stdout. For each job it forks a job process — cheap, because the server has
already imported everything — in its own process group, so cancelling a job stops it
and everything it started. The job process runs the function (or the commands), with its
file descriptors 1 and 2 on pipes to the server, writes the result into the Run's folder
and reports its outcome. The server owns the Run's lifecycle: it writes the logs (and
relays them to a caller who streams), publishes the config (the job process's identity
once it has run a moment, then COMPLETED / ERROR / CANCELLED once the logs are complete), reaps job
processes, notices those that die, and writes a heartbeat for Runs others watch from
afar. The server is single-threaded, so forking it is safe.

:func:`execute` is the job itself, usable in-process by executors that have their own
process management (a Ray task).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import ctypes
import functools
import importlib
import io
import json
import os
import pickle
import selectors
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import cloudpickle

from rhcore import context, layout, liveness, settings
from rhcore.folder import Folder
from rhcore.heartbeat import HEARTBEAT_SECONDS, beat, beating
from rhcore.logfiles import LogFile, sync_interval
from rhcore.protocol import PROTOCOL_VERSION, FrameBuffer, encode
from rhcore.remote import pack_exception
from rhcore.run import read_run_config
from rhcore.status import RunStatus, check_transition

INLINE_RESULT_LIMIT = 1 << 20
"""Results up to this size travel back to a waiting caller with the outcome; larger ones
are read from the Run's folder."""

PR_SET_PDEATHSIG = 1
IDENTITY_DELAY = 0.05
"""A job's process is named in its Run's config once it has run this long (seconds): a
short job ends first, which saves every short Run one publish of its config. Until then
the Run names the server, which answers for it."""
INTERRUPT_SIGNAL = signal.SIGUSR2
"""What a plain cancel sends a long-lived process running a job (a Ray task): the job gets
``KeyboardInterrupt``, as from SIGINT, which Ray workers block. Unlike the flag Ray's own
cancel sets, a signal also interrupts a blocking system call (a sleep, a wait for a child)."""
CANCEL_GRACE_SECONDS = 5.0
CANCEL_MARKER = layout.CANCEL_MARKER
STREAM_FILES = ("stdout", "stderr")
"""Where :func:`run_in_process` writes a Run-less job's output for its caller to stream."""


# -- the job ---------------------------------------------------------------------------


def job_folder(job: dict[str, Any]) -> Folder | None:
    """The Run folder a job records into (None for a call without a run name)."""
    spec = job.get("folder")
    if not spec:
        return None
    if spec["path"].startswith("/"):  # as the caller's Folder held it: no normalising again
        return Folder.normalised(spec["path"], spec["system"], spec.get("data_config"))
    return Folder(spec["path"], spec["system"], spec.get("data_config"))


def execute(
    job: dict[str, Any], *, report_imports: bool = False, folder: Folder | None = None
) -> dict[str, Any]:
    """Run ``job`` in this process and return its outcome (never raises).

    Output goes wherever this process's stdout/stderr go. For a function, the result is
    written into the Run's folder (when there is one) before the outcome says so. With
    ``report_imports``, the outcome lists the modules the job imported (a forking server
    preloads them for the jobs after). ``folder``: the job's folder, when the caller has it.
    """
    folder = folder or job_folder(job)
    run = context.ActiveRun(job["config"]["name"]) if folder is not None and job.get("config") else None
    modules_before = set(sys.modules) if report_imports else set()
    if run is not None:
        context.push(run)
    try:
        outcome = _execute_commands(job) if job["kind"] == "commands" else _execute_function(job, folder)
    finally:
        if run is not None:
            context.pop(run)
        sys.stdout.flush()
        sys.stderr.flush()
    if run is not None:
        outcome["upstream_artifacts"] = run.upstream_artifacts
        outcome["downstream_artifacts"] = run.downstream_artifacts
    if report_imports:
        outcome["imported"] = sorted(m for m in set(sys.modules) - modules_before if not m.startswith("_"))
    return outcome


@functools.lru_cache(maxsize=64)
def _function(pickled: bytes) -> Any:
    """The function a job runs, unpickled once per process that runs many jobs."""
    return cloudpickle.loads(pickled)


def _execute_function(job: dict[str, Any], folder: Folder | None) -> dict[str, Any]:
    try:
        fn = _function(job["fn"])
        args, kwargs = cloudpickle.loads(job["inputs"])
        value = fn(*args, **kwargs)
        data = cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if folder is not None:
            folder.write_bytes(layout.RESULT_FILE, data)
    except BaseException as exc:
        text = _user_traceback(exc)
        return {
            "ok": False,
            "exc": pack_exception(exc),
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": text,
        }
    inline = data if folder is None or len(data) <= INLINE_RESULT_LIMIT else None
    return {"ok": True, "result": inline, "result_in_folder": folder is not None}


def _user_traceback(exc: BaseException) -> str:
    """The traceback from the user's code on: this module's own frames are left out."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _execute_commands(job: dict[str, Any]) -> dict[str, Any]:
    results: list[tuple[int, str, str]] = []
    failed = None
    for command in job["cmds"]:
        code, out, err = _run_command(command)
        results.append((code, out, err))
        if code != 0 and failed is None:
            failed = f"command {command!r} exited with code {code}"
    return {
        "ok": True,
        "result": cloudpickle.dumps(results),
        "result_in_folder": False,
        "returncodes": [code for code, _, _ in results],
        "run_error": failed,
    }


def _run_command(command: str) -> tuple[int, str, str]:
    """Run one shell command, echoing its output to ours while collecting it."""
    process = subprocess.Popen(
        command, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    collected = {process.stdout: bytearray(), process.stderr: bytearray()}
    echo = {process.stdout: sys.stdout, process.stderr: sys.stderr}
    with selectors.DefaultSelector() as sel:
        for stream in collected:
            sel.register(stream, selectors.EVENT_READ)
        while sel.get_map():
            for key, _ in sel.select():
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                collected[key.fileobj] += chunk
                target = echo[key.fileobj]
                target.buffer.write(chunk)
                target.flush()
    code = process.wait()
    return (
        code,
        collected[process.stdout].decode("utf-8", "replace"),
        collected[process.stderr].decode("utf-8", "replace"),
    )


# -- the Run's lifecycle ------------------------------------------------------------------


def publish(folder: Folder, config: dict[str, Any]) -> None:
    """Publish a Run config dict into its folder."""
    folder.publish(layout.CONFIG_FILE, json.dumps(config, default=str).encode())


def finish(
    folder: Folder,
    config: dict[str, Any],
    outcome: dict[str, Any] | None,
    *,
    death: str = "",
    cancelled: bool | None = None,
) -> dict[str, Any]:
    """Publish the final config of a job's Run from its ``outcome`` (None: the job process
    died; ``death`` says how). A cancel request recorded in the folder (looked up unless
    ``cancelled`` says) makes it CANCELLED."""
    config = dict(config)
    if _completed(outcome):
        status = RunStatus.COMPLETED
    elif cancelled or (cancelled is None and folder.has(CANCEL_MARKER)):
        status = RunStatus.CANCELLED
        config["error"] = "Cancelled"
    elif outcome is not None:
        status = RunStatus.ERROR
        config["error"] = outcome.get("run_error") or outcome.get("error")
        config["error_traceback"] = outcome.get("traceback")
    else:
        status = RunStatus.ERROR
        config["error"] = f"The worker died: {death}"
    check_transition(config.get("status", RunStatus.RUNNING), status, run_name=config.get("name", ""))
    config["status"] = status.value
    config["end_time"] = layout.now_iso()
    if outcome is not None:
        for key in ("returncodes", "upstream_artifacts", "downstream_artifacts"):
            if outcome.get(key) is not None:
                config[key] = outcome[key]
    publish(folder, config)
    return config


def _completed(outcome: dict[str, Any] | None) -> bool:
    """Whether a job's outcome makes its Run COMPLETED."""
    return outcome is not None and bool(outcome.get("ok")) and not outcome.get("run_error")


def run_in_process(job: dict[str, Any], *, identity: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute ``job`` here with the Run lifecycle the server gives forked jobs — for a
    long-lived process that runs one job at a time (a Ray task).

    The Run is published RUNNING with this process's identity (plus ``identity``), file
    descriptors 1 and 2 point at the Run's logs while the job runs, and the final config is
    published after the logs are complete. A folder without a Run config only receives the
    output (:data:`STREAM_FILES`) for a caller to stream, and the process's identity as the
    job starts; without a folder, output stays where this process's goes. A job executed
    again in its folder (its executor retried it) is its Run's next attempt.
    """
    folder = job_folder(job)
    if folder is None:
        return execute(job)
    if not job.get("config"):  # a call without a Run: logs only, for its caller
        folder.mkdir()
        worker = {"job": liveness.identify(), **(identity or {})}
        folder.write_bytes(layout.WORKER_FILE, json.dumps(worker).encode())
        logs = (LogFile(folder, STREAM_FILES[0]), LogFile(folder, STREAM_FILES[1]))
        try:
            with _output_to(logs), _registry_of(job):
                return execute(job, folder=folder)
        finally:
            for log in logs:
                log.close()
    config = dict(job["config"])
    if folder.has(CANCEL_MARKER):
        finish(folder, config, None, death="cancelled before it started")
        return {"ok": False, "cancelled": True, "error": "cancelled before it started"}
    config["worker"] = {**(config.get("worker") or {}), "job": liveness.identify(), **(identity or {})}
    # at once: this process is whom a cancel from elsewhere stops, and whose death ends the Run
    if not folder.create(layout.WORKER_FILE, json.dumps(config["worker"]).encode()):
        config = _attempt_again(folder, config)
        if config is None:
            return {"ok": False, "gone": True,
                    "error": "executed again after its worker died, but another caller had started it anew"}
    logs = (LogFile(folder, config["stdout_file"]), LogFile(folder, config["stderr_file"]))
    started = liveness.ticks_now()
    outcome: dict[str, Any] | None = None
    try:
        with _output_to(logs), _registry_of(job), beating(folder), _interruptible(folder):
            outcome = execute(job, folder=folder)
        if outcome.get("traceback"):
            logs[1].write(outcome["traceback"].encode("utf-8", "backslashreplace"))
    finally:
        def wrap_up() -> bool:
            for log in logs:
                log.close()
            if _completed(outcome):  # a cancel that comes after the end changes nothing
                return False
            cancelled = folder.has(CANCEL_MARKER)
            if cancelled:  # a cancel stops what the job started, too
                started_by_job = liveness.descendants(os.getpid(), started_since=started)
                liveness.kill_all(started_by_job)
                liveness.reap(started_by_job)
            return cancelled

        cancelled = _shielded(wrap_up)
    finish(folder, config, outcome, cancelled=cancelled)
    return outcome


def _attempt_again(folder: Folder, config: dict[str, Any]) -> dict[str, Any] | None:
    """A job executing where it executed before: its executor retries it because its worker
    died (Ray's ``max_retries``). Return its Run's next attempt, published RUNNING — or None
    if another caller (a ``get_or_call`` that saw the death) already started one."""
    from rhcore import leases

    if leases.current(folder) != config.get("attempt"):
        return None
    attempt = leases.try_acquire(folder, read_run_config(folder), lambda worker: False)  # it died
    if attempt is None:
        return None
    for stale in (layout.RESULT_FILE, layout.HEARTBEAT_FILE):
        folder.remove(stale)
    folder.write_bytes(layout.WORKER_FILE, json.dumps(config["worker"]).encode())  # before it runs
    config = {**config, "attempt": attempt, "status": RunStatus.RUNNING.value, "start_time": layout.now_iso(),
              "end_time": None, "error": None, "error_traceback": None}
    publish(folder, config)
    return config


_interruptible_job: Folder | None = None
"""The folder of the job :data:`INTERRUPT_SIGNAL` would interrupt now, if any."""
_handling_interrupts = False


@contextlib.contextmanager
def _interruptible(folder: Folder) -> Iterator[None]:
    """Let :data:`INTERRUPT_SIGNAL` stop the job for the block's duration, when the job runs
    in the main thread (where Python runs signal handlers); elsewhere only the executor's
    own cancel reaches it."""
    global _interruptible_job, _handling_interrupts
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if not _handling_interrupts:
        signal.signal(INTERRUPT_SIGNAL, _interrupt_job)
        _handling_interrupts = True
    _interruptible_job = folder
    try:
        yield
    finally:
        _interruptible_job = None


def _interrupt_job(signum: int, frame: Any) -> None:
    """Raise KeyboardInterrupt in the running job — only if its Run was asked to cancel: a
    signal that arrives late, after its job ended, must not stop the next one."""
    folder = _interruptible_job
    if folder is not None and folder.has(CANCEL_MARKER):
        raise KeyboardInterrupt


def _shielded(step: Callable[[], Any]) -> Any:
    """Run an idempotent clean-up ``step`` to its end even if an interrupt (a cancel's
    KeyboardInterrupt, delivered late) lands in it: a long-lived worker must be left as it
    was found."""
    for _ in range(3):
        try:
            return step()
        except KeyboardInterrupt:
            continue
    return step()


@contextlib.contextmanager
def _output_to(logs: tuple[LogFile, LogFile]) -> Iterator[None]:
    """Point fds 1 and 2 — and sys.stdout/stderr — at the logs, and back afterwards."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2), sys.stdout, sys.stderr)
    os.dup2(logs[0].fileno(), 1)
    os.dup2(logs[1].fileno(), 2)
    sys.stdout, sys.stderr = _job_streams()
    try:
        yield
    finally:
        def restore() -> None:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except ValueError:  # already closed
                    pass
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            sys.stdout, sys.stderr = saved[2], saved[3]

        _shielded(restore)
        os.close(saved[0])
        os.close(saved[1])


def _registry_of(job: dict[str, Any]) -> contextlib.AbstractContextManager:
    """Use the caller's registry for the job (lineage records go where the caller looks)."""
    if not job.get("registry"):
        return contextlib.nullcontext()
    return settings.using(registry=job["registry"]["url"], data_config=job["registry"]["data_config"])


# -- the job process ---------------------------------------------------------------------


def _job_process(job: dict[str, Any], out_w: int, err_w: int, status_w: int) -> None:
    """Body of a forked job process. Never returns."""
    code = 0
    try:
        os.setpgid(0, 0)  # its own process group (the server sets it too: no race with a cancel)
        _die_with_parent()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.closerange(3, status_w)
        os.closerange(status_w + 1, 1 << 16)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
        sys.stdout = _text_stream(1)
        sys.stderr = _text_stream(2)
        if job.get("cwd"):
            try:
                os.chdir(job["cwd"])
            except OSError:
                pass
        os.environ.update(job.get("env") or {})
        if job.get("registry"):
            settings.configure(registry=job["registry"]["url"], data_config=job["registry"]["data_config"])
        outcome = execute(job, report_imports=True)
        code = 0 if outcome["ok"] else 1
        _write_all(status_w, encode(outcome))
    except BaseException:
        code = 70
        try:
            os.write(2, traceback.format_exc().encode())
        except OSError:
            pass
    finally:
        os._exit(code)


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


def _text_stream(fd: int) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        io.FileIO(fd, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )


_streams: list[io.TextIOWrapper] = []


def _job_streams() -> tuple[io.TextIOWrapper, io.TextIOWrapper]:
    """Text streams on descriptors 1 and 2 for a job's ``sys.stdout``/``sys.stderr``, made
    once per process (the descriptors are repointed, not the streams) unless a job closed them."""
    if not _streams or any(stream.closed for stream in _streams):
        _streams[:] = [_text_stream(1), _text_stream(2)]
    return _streams[0], _streams[1]


# -- the server ---------------------------------------------------------------------------


class _Job:
    """A job the server has accepted: queued, then running in a job process."""

    def __init__(self, job_id: int, job: dict[str, Any], stream: bool):
        self.id, self.job, self.stream = job_id, job, stream
        self.folder = job_folder(job)
        self.config: dict[str, Any] | None = dict(job["config"]) if job.get("config") else None
        self.pid: int | None = None
        self.identity: dict | None = None
        self.pidfd: int | None = None
        self.fds: dict[int, str] = {}
        self.status_frames = FrameBuffer()
        self.outcome: dict[str, Any] | None = None
        self.logs: dict[str, LogFile] = {}
        self.finished = False
        self.cancel_deadline: float | None = None
        self.cancel_replies: list[int] = []
        self.identify_at: float | None = None


class _ForeignCancel:
    """A cancel of a job another server on this host runs: signalled, then watched."""

    def __init__(self, target: dict, folder: Folder, grace: float, reply_id: int):
        self.target, self.folder, self.reply_id = target, folder, reply_id
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
        self.next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS

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
                    exited.append(job)  # after this round's output, which came first
                elif key.fd in job.fds:
                    self._read_pipe(job, key.fd, kind)
            for job in exited:
                self._reap(job)
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
            if job.folder is not None and job.folder.has(CANCEL_MARKER):
                self._complete(job, None, death="cancelled before it started")
                continue
            self._start(job)

    def _start(self, job: _Job) -> None:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        status_r, status_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            _job_process(job.job, out_w, err_w, status_w)
        try:
            os.setpgid(pid, pid)
        except OSError:  # the child did it first, or is already gone
            pass
        for fd in (out_w, err_w, status_w):
            os.close(fd)
        job.pid = pid
        job.identity = liveness.identify(pid)
        job.pidfd = os.pidfd_open(pid)
        self.running[job.id] = job
        for fd, kind in ((out_r, "out"), (err_r, "err"), (status_r, "status")):
            os.set_blocking(fd, False)
            job.fds[fd] = kind
            self.sel.register(fd, selectors.EVENT_READ, (kind, job))
        self.sel.register(job.pidfd, selectors.EVENT_READ, ("pidfd", job))
        if job.folder is not None and job.config is not None:
            job.logs = {
                "out": LogFile(job.folder, job.config["stdout_file"], autosync=False),
                "err": LogFile(job.folder, job.config["stderr_file"], autosync=False),
            }
            job.config["worker"] = {"server": self.identity, "job": job.identity}
            job.identify_at = time.monotonic() + IDENTITY_DELAY
        self.send({"op": "started", "id": job.id, "pid": pid})

    def _identify(self) -> None:
        """Name the job process in the config of Runs that have gone on for a while — or,
        when a cancel was asked for meanwhile (by a process that could not yet see whom to
        stop), stop it."""
        now = time.monotonic()
        for job in list(self.running.values()):
            if job.identify_at is None or now < job.identify_at or job.finished:
                continue
            job.identify_at = None
            if job.folder.has(CANCEL_MARKER):
                liveness.kill_group(job.identity, signal.SIGTERM)
                job.cancel_deadline = now + CANCEL_GRACE_SECONDS
            else:
                publish(job.folder, job.config)

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
                    log.write(data)
                if job.stream:
                    self.send({"op": kind, "id": job.id, "data": data})

    def _close_fd(self, job: _Job, fd: int) -> None:
        self.sel.unregister(fd)
        os.close(fd)
        del job.fds[fd]

    def _settle(self, job: _Job, outcome: dict[str, Any] | None, *, death: str) -> None:
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

    def _reap(self, job: _Job) -> None:
        """The job process exited: collect it; if it never reported, its Run ends here."""
        for fd, kind in list(job.fds.items()):
            self._read_pipe(job, fd, kind)
        _, status = os.waitpid(job.pid, 0)
        self.sel.unregister(job.pidfd)
        os.close(job.pidfd)
        job.pidfd = None
        if not job.finished:
            self._settle(job, job.outcome, death="" if job.outcome else _describe_exit(job.pid, status))
        if job.outcome is not None:
            _preload(job.outcome.get("imported") or ())

    def _complete(self, job: _Job, outcome: dict[str, Any] | None, *, death: str) -> None:
        """Close the job's logs, publish its Run's end and tell the caller. Storage that
        fails here (a full disk) fails the caller's call, never the server."""
        self.running.pop(job.id, None)
        unrecorded = None
        try:
            if outcome is not None and outcome.get("traceback") and "err" in job.logs:
                job.logs["err"].write(outcome["traceback"].encode("utf-8", "backslashreplace"))
        except OSError as exc:
            unrecorded = exc
        for log in job.logs.values():
            try:
                log.close()
            except OSError as exc:
                unrecorded = unrecorded or exc
        if job.folder is not None and job.config is not None:
            try:
                job.config = finish(job.folder, job.config, outcome, death=death)
            except Exception as exc:
                unrecorded = unrecorded or exc
        message = {"op": "done", "id": job.id}
        if outcome is not None and unrecorded is not None and outcome.get("ok"):
            outcome = {"ok": False, "exc": pack_exception(unrecorded), "traceback": "",
                       "error": f"the Run could not be recorded: {type(unrecorded).__name__}: {unrecorded}"}
        if outcome is not None:
            message.update(outcome)
        else:
            cancelled = job.config is not None and job.config.get("status") == RunStatus.CANCELLED.value
            message.update(ok=False, cancelled=cancelled or bool(job.cancel_replies),
                           error=f"The worker died: {death}")
        self.send(message)
        for reply_id in job.cancel_replies:
            self.send({"op": "reply", "id": reply_id, "ok": True, "message": "cancelled"})

    # -- cancelling --

    def _cancel(self, message: dict[str, Any]) -> None:
        spec, force, reply_id = message["folder"], message.get("force", False), message["id"]
        folder = Folder(spec["path"], spec["system"], spec.get("data_config"))
        config = read_run_config(folder)
        if config is None:
            self.send({"op": "reply", "id": reply_id, "ok": False,
                       "message": f"No Run at {folder.system}:{folder.path}"})
            return
        status = RunStatus(config["status"])
        if status.is_final:
            message = f"Run {config.get('name')!r} already ended ({status.value}); nothing to cancel"
            self.send({"op": "reply", "id": reply_id, "ok": False, "message": message})
            return
        folder.write_bytes(CANCEL_MARKER, layout.now_iso().encode())
        mine = next((j for j in [*self.queue, *self.running.values()] if _same(j.folder, folder)), None)
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
        target = (config.get("worker") or {}).get("job")
        if target is None:  # queued in another server: the marker keeps it from starting
            self.send({"op": "reply", "id": reply_id, "ok": True, "message": "cancel requested"})
            return
        if liveness.alive(target) is None:
            self.send({"op": "reply", "id": reply_id, "ok": False,
                       "message": f"Run {config.get('name')!r} runs on {target.get('host')}, not here"})
            return
        liveness.kill_group(target, signal.SIGKILL if force else signal.SIGTERM)
        self.foreign_cancels.append(
            _ForeignCancel(target, folder, 0 if force else CANCEL_GRACE_SECONDS, reply_id)
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
            config = read_run_config(cancel.folder)
            if config is not None and config.get("status") == RunStatus.RUNNING.value:
                config.update(status=RunStatus.CANCELLED.value, end_time=layout.now_iso(), error="Cancelled")
                publish(cancel.folder, config)
            self.send({"op": "reply", "id": cancel.reply_id, "ok": True, "message": "cancelled"})
        self.foreign_cancels = pending
        if now >= self.next_heartbeat:
            self.next_heartbeat = now + HEARTBEAT_SECONDS
            for job in self.running.values():
                if job.folder is not None:
                    try:
                        beat(job.folder)
                    except Exception:
                        pass


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


def _describe_exit(pid: int, status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return f"the job process {pid} was killed by signal {sig} ({name})"
    return f"the job process {pid} exited with code {os.WEXITSTATUS(status)} without reporting"


def serve(max_parallel: int) -> None:
    """Serve on stdin/stdout; move them off fds 0/1 so nothing else can write into the
    protocol stream."""
    read_fd, write_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the server's lifetime
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    Server(read_fd, write_fd, max_parallel).serve()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rhcore.worker", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve_parser = sub.add_parser("serve", help="serve jobs on stdin/stdout")
    serve_parser.add_argument("--max-parallel", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.max_parallel)


if __name__ == "__main__":
    main()
