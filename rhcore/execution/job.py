"""A job, executed: the function call or commands of a :class:`~rhcore.spec.Job`, and the
Run around it.

:func:`execute` runs the work in this process and reports an
:class:`~rhcore.spec.Outcome`; :func:`finish` turns an outcome into the Run's end, through
the records layer (so a job that ends after its Run was cancelled or judged dead is
recorded beside that end, never over it). :func:`run_in_process` is both with the Run's
lifecycle — logs, heartbeat, cancel — for a long-lived process that runs one job at a
time (a Ray task); the worker server (:mod:`rhcore.execution.server`) gives forked jobs
the same lifecycle.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import pickle
import selectors
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import cloudpickle

from rhcore import context, liveness, records, settings
from rhcore.errors import RunFailedError
from rhcore.execution.remote import pack_exception
from rhcore.folder import Folder
from rhcore.logfiles import LogFile
from rhcore.spec import Job, Outcome, RunRecord, RunStatus

INLINE_RESULT_LIMIT = 1 << 20
"""Results up to this size travel back to a waiting caller with the outcome; larger ones
are read from the Run's folder."""
INTERRUPT_SIGNAL = signal.SIGUSR2
"""What a plain cancel sends a long-lived process running a job (a Ray task): the job gets
``KeyboardInterrupt``, as from SIGINT, which Ray workers block. Unlike the flag Ray's own
cancel sets, a signal also interrupts a blocking system call (a sleep, a wait for a child)."""


def job_folder(job: Job) -> Folder | None:
    """The folder a job records into or streams through (None: neither)."""
    return Folder.from_ref(job.folder) if job.folder is not None else None


# -- the work ----------------------------------------------------------------------------


def execute(job: Job, *, report_imports: bool = False, folder: Folder | None = None) -> Outcome:
    """Run ``job`` in this process and return its outcome (never raises).

    Output goes wherever this process's stdout/stderr go. A function Run's result is
    stored in ``folder`` before the outcome says so. With ``report_imports``, the outcome
    lists the modules the job imported (a forking server preloads them for the jobs after).
    """
    recording = folder is not None and job.record is not None
    active = context.ActiveRun(job.record.name) if recording else None
    modules_before = set(sys.modules) if report_imports else set()
    if active is not None:
        context.push(active)
    try:
        outcome = _run_commands(job) if job.kind == "commands" else \
            _call_function(job, folder if recording else None)
    finally:
        if active is not None:
            context.pop(active)
        sys.stdout.flush()
        sys.stderr.flush()
    if active is not None:
        outcome.upstream_artifacts = active.upstream_artifacts
        outcome.downstream_artifacts = active.downstream_artifacts
    if report_imports:
        outcome.imported = sorted(m for m in set(sys.modules) - modules_before if not m.startswith("_"))
    return outcome


@functools.lru_cache(maxsize=64)
def _function(pickled: bytes) -> Any:
    """The function a job runs, unpickled once per process that runs many jobs."""
    return cloudpickle.loads(pickled)


def _call_function(job: Job, folder: Folder | None) -> Outcome:
    try:
        fn = _function(job.fn)
        args, kwargs = cloudpickle.loads(job.inputs)
        try:
            value = fn(*args, **kwargs)
        except SystemExit as stop:  # an outcome of the Run, never an exit of its caller
            if stop.code not in (0, None):
                raise RunFailedError(f"The function called sys.exit({stop.code!r})") from None
            value = None
        data = cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if folder is not None:
            records.write_result(folder, job.record, data)
    except BaseException as exc:
        return Outcome(ok=False, exc=pack_exception(exc), error=f"{type(exc).__name__}: {exc}",
                       traceback=_user_traceback(exc))
    inline = data if folder is None or len(data) <= INLINE_RESULT_LIMIT else None
    return Outcome(ok=True, result=inline, result_in_folder=folder is not None)


def _user_traceback(exc: BaseException) -> str:
    """The traceback from the user's code on: this module's own frames are left out."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _run_commands(job: Job) -> Outcome:
    results: list[tuple[int, str, str]] = []
    failed = None
    for command in job.cmds or []:
        code, out, err = _run_command(command)
        results.append((code, out, err))
        if code != 0 and failed is None:
            failed = f"command {command!r} exited with code {code}"
    return Outcome(ok=True, result=cloudpickle.dumps(results), returncodes=[code for code, _, _ in results],
                   run_error=failed)


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


# -- the Run's end ---------------------------------------------------------------------------


def finish(folder: Folder, record: RunRecord, outcome: Outcome | None, *, death: str = "",
           cancelled: bool | None = None, late: bool = True) -> records.Ended:
    """End a job's Run from its ``outcome`` (None: the job process died; ``death`` says
    how). A cancel asked for meanwhile (looked up unless ``cancelled`` says) makes it
    CANCELLED. Whoever ended the Run first keeps it: this outcome is then kept beside it
    (unless ``late`` is off) and :attr:`records.Ended.won` is False."""
    changes: dict[str, Any] = {}
    if outcome is not None and outcome.completed:
        status = RunStatus.COMPLETED
    elif cancelled or (cancelled is None and records.cancel_requested(folder, record.attempt)):
        status, changes["error"] = RunStatus.CANCELLED, "Cancelled"
    elif outcome is not None:
        status = RunStatus.ERROR
        changes.update(error=outcome.run_error or outcome.error, error_traceback=outcome.traceback)
    else:
        status, changes["error"] = RunStatus.ERROR, f"The worker died: {death}"
    if outcome is not None:
        if outcome.returncodes is not None:
            changes["returncodes"] = outcome.returncodes
        if outcome.upstream_artifacts is not None:
            changes["upstream_artifacts"] = outcome.upstream_artifacts
            changes["downstream_artifacts"] = outcome.downstream_artifacts
    return records.end(folder, record, status, late=late, **changes)


def settle(folder: Folder | None, record: RunRecord | None, reason: str, *,
           cancelled: bool | None = None) -> RunStatus | None:
    """End a Run whose job ended without recording it (cancelled before it started,
    killed, never scheduled), if it still runs; return its final status."""
    if folder is None or record is None:
        return None
    current = records.read(folder) or record
    if current.status is RunStatus.RUNNING and current.attempt == record.attempt:
        current = finish(folder, current, None, death=reason, cancelled=cancelled, late=False).record
    return current.status


# -- a job with its Run's lifecycle, in this process --------------------------------------------


def run_in_process(job: Job, *, identity: dict[str, Any] | None = None) -> Outcome:
    """Execute ``job`` here with the Run lifecycle the worker server gives forked jobs —
    for a long-lived process that runs one job at a time (a Ray task).

    This process is named as the job's (plus ``identity``) at once, file descriptors 1
    and 2 point at the Run's logs while the job runs, a cancel asked for interrupts it, and
    its end is recorded after the logs are complete. A job with a folder but no Run only
    writes its output there, for its caller to stream. A job executed again in its folder
    (its executor retried it after its worker died) is its Run's next attempt.
    """
    folder = job_folder(job)
    if folder is None:
        return execute(job)
    worker = {"job": liveness.identify(), **(identity or {})}
    if job.record is None:  # a call without a Run: logs only, for its caller
        logs = records.open_stream_logs(folder, worker)
        try:
            with _output_to(logs), _registry_of(job):
                return execute(job)
        finally:
            for log in logs:
                log.close()
    record = job.record
    if records.cancel_requested(folder, record.attempt):
        finish(folder, record, None, death="cancelled before it started", cancelled=True)
        return Outcome(ok=False, cancelled=True, error="cancelled before it started")
    if not records.record_worker(folder, record.attempt, worker, exclusive=True):
        record = _attempt_again(folder, record, worker)
        if record is None:
            return Outcome(ok=False, gone=True, error="executed again after its worker died, but "
                                                      "another caller had started it anew")
    record = attrs.evolve(record, worker={**(record.worker or {}), **worker})  # its end names who ran it
    logs = records.open_logs(folder, record)
    started = liveness.ticks_now()
    outcome: Outcome | None = None
    try:
        with _output_to(logs), _registry_of(job), records.beating(folder, record.attempt), \
                _interruptible(folder, record.attempt):
            outcome = execute(job, folder=folder)
        if outcome.traceback:
            logs[1].write(outcome.traceback.encode("utf-8", "backslashreplace"))
    finally:
        def wrap_up() -> bool:
            for log in logs:
                log.close()
            if outcome is not None and outcome.completed:  # a cancel after the end changes nothing
                return False
            cancelled = records.cancel_requested(folder, record.attempt)
            if cancelled:  # a cancel stops what the job started, too
                started_by_job = liveness.descendants(os.getpid(), started_since=started)
                liveness.kill_all(started_by_job)
                liveness.reap(started_by_job)
            return cancelled

        cancelled = shielded(wrap_up)
    ended = finish(folder, record, outcome, cancelled=cancelled)
    if not ended.won:
        outcome = attrs.evolve(outcome, late=ended.record.status.value)
    return outcome


def _attempt_again(folder: Folder, record: RunRecord, worker: dict) -> RunRecord | None:
    """The Run's next attempt, published RUNNING, for a job executing where it executed
    before (its worker died) — or None if another caller already started one."""
    if records.current_attempt(folder) != record.attempt:
        return None
    attempt = records.try_take(folder, ask=lambda identity: False)  # its worker died: that is why
    if attempt is None:
        return None
    fresh = attrs.evolve(record, status=RunStatus.NOT_STARTED, start_time=None)
    running = records.start(folder, fresh, attempt)
    records.record_worker(folder, attempt, worker)
    return running


_interruptible_job: tuple[Folder, int | None] | None = None
"""The Run attempt :data:`INTERRUPT_SIGNAL` would interrupt now, if any."""
_handling_interrupts = False


@contextlib.contextmanager
def _interruptible(folder: Folder, attempt: int | None) -> Iterator[None]:
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
    _interruptible_job = (folder, attempt)
    try:
        yield
    finally:
        _interruptible_job = None


def _interrupt_job(signum: int, frame: Any) -> None:
    """Raise KeyboardInterrupt in the running job — only if its Run was asked to cancel: a
    signal that arrives late, after its job ended, must not stop the next one."""
    current = _interruptible_job
    if current is not None and records.cancel_requested(*current):
        raise KeyboardInterrupt


def shielded(step: Callable[[], Any]) -> Any:
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
    sys.stdout, sys.stderr = job_streams()
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

        shielded(restore)
        os.close(saved[0])
        os.close(saved[1])


def _registry_of(job: Job) -> contextlib.AbstractContextManager:
    """Use the caller's registry for the job (lineage records go where the caller looks)."""
    if job.registry is None:
        return contextlib.nullcontext()
    url, data_config = job.registry
    return settings.using(registry=url, data_config=data_config)


def text_stream(fd: int) -> io.TextIOWrapper:
    """A line-buffered UTF-8 text stream on descriptor ``fd``."""
    return io.TextIOWrapper(
        io.FileIO(fd, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )


_streams: list[io.TextIOWrapper] = []


def job_streams() -> tuple[io.TextIOWrapper, io.TextIOWrapper]:
    """Text streams on descriptors 1 and 2 for a job's ``sys.stdout``/``sys.stderr``, made
    once per process (the descriptors are repointed, not the streams) unless a job closed them."""
    if not _streams or any(stream.closed for stream in _streams):
        _streams[:] = [text_stream(1), text_stream(2)]
    return _streams[0], _streams[1]
