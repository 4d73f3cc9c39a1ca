"""The Ray executor: each job is a Ray task running rhcore's worker code in-process.

Ray schedules, places and accounts for resources; the task records the Run (logs, its
worker's identity, result, end) exactly as a forked job does on the local cluster, via
:func:`rhcore.execution.run_in_process`. Like every plugin, this one uses only rhcore's
public names, :mod:`rhcore.spec` and :mod:`rhcore.execution`.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from typing import Any

import attrs
import ray

from rhcore import Folder, RhcoreError, RunStatus
from rhcore.execution import (
    INTERRUPT_SIGNAL,
    STREAM_FILES,
    Executor,
    Job,
    LogEcho,
    Outcome,
    RunRecord,
    caller_registry,
    job_folder,
    liveness,
    log_names,
    pack_exception,
    read,
    request_cancel,
    run_in_process,
    settle,
    stream_worker,
    worker_of,
)

logger = logging.getLogger("rhcore")

DEFAULT_SCHEDULING_TIMEOUT = 300.0
"""Seconds a Run may wait for Ray to place it before it fails (``scheduling_timeout``)."""


TOTALS_MAX_AGE = 5.0
"""Seconds the cluster's resource totals are reused before Ray is asked again."""

PRUNE_SECONDS = 10.0
"""How often the watcher forgets tasks that finished."""


class UnschedulableError(RhcoreError, ValueError):
    """The Ray cluster cannot give a Run the resources it asks for."""


class SchedulingTimeoutError(RhcoreError, TimeoutError):
    """Ray could not place a call within its ``scheduling_timeout``."""


@ray.remote(max_retries=0)
def _execute(job: Job) -> Outcome:
    context = ray.get_runtime_context()
    identity = {"ray": {"task_id": context.get_task_id(), "node_id": context.get_node_id()}}
    return run_in_process(job, identity=identity)


class RayJobHandle:
    """A submitted Ray task, waited for like the local cluster's jobs."""

    def __init__(self, executor: RayExecutor, ref: ray.ObjectRef, job: Job, stream: bool,
                 scratch: Folder | None = None):
        self.executor, self.ref, self.stream = executor, ref, stream
        self.pid: int | None = None
        self.job, self.record, self.scratch = job, job.record, scratch

    @property
    def id(self) -> str:
        return self.ref.hex()

    @functools.cached_property
    def folder(self) -> Folder | None:
        """The job's Run folder (made when first needed: most tasks of a map never need it here)."""
        return job_folder(self.job)

    def done(self) -> bool:
        ready, _ = ray.wait([self.ref], timeout=0)
        return bool(ready)

    def wait(self, timeout: float | None = None) -> Outcome:
        """The job's outcome; with ``stream``, its logs are printed here as they grow."""
        deadline = None if timeout is None else time.monotonic() + timeout
        logs = None
        if self.stream and self.folder is not None:
            names = log_names(self.record) if self.record is not None else STREAM_FILES
            logs = LogEcho(self.folder, names, (sys.stdout, sys.stderr))
        while True:
            ready, _ = ray.wait([self.ref], timeout=0.1)
            if logs is not None:
                logs.show(final=bool(ready))
            if ready:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"Ray task {self.id} did not finish within {timeout} s")
        try:
            return ray.get(self.ref)
        except ray.exceptions.TaskCancelledError:
            unplaced = self.executor.unplaced.get(self.job.folder.path, (None,))[0]
            if unplaced is not None:  # the watcher gave up on it: its reason, not a cancel
                settle(self.folder, self.record, unplaced)
                return Outcome(ok=False, exc=pack_exception(SchedulingTimeoutError(unplaced)), error=unplaced,
                               traceback="")
            settle(self.folder, self.record, "cancelled")
            return Outcome(ok=False, cancelled=True, error="cancelled")
        except ray.exceptions.RayError as exc:
            reason = f"the Ray task failed: {type(exc).__name__}: {exc}"
            status = settle(self.folder, self.record, reason)
            return Outcome(ok=False, gone=True, cancelled=status is RunStatus.CANCELLED, error=reason)
        finally:
            self.executor.forget(self.job.folder.path)
            if self.scratch is not None:
                self.scratch.rm()


class RayExecutor(Executor):
    """Runs a cluster's jobs as tasks of the Ray cluster at ``address``."""

    option_names = frozenset({"num_cpus", "num_gpus", "memory", "resources", "max_retries",
                              "scheduling_timeout"})
    python = sys.executable
    pickle_by_value = True  # Ray workers import installed packages, not the caller's modules

    def __init__(self, cluster):
        super().__init__(cluster)
        self.address = cluster.settings.get("address", "auto")
        self._tasks: dict[str, tuple[ray.ObjectRef, float, dict]] = {}
        self.unplaced: dict[str, tuple[str, float]] = {}
        """Why and when the watcher gave up on a task it could not place, by the job's
        folder path (kept a while for the task's waiter, if it has one)."""
        self._totals_cache: dict[str, float] = {}
        self._totals_at = -TOTALS_MAX_AGE
        self._remotes: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._connect()
        self._watcher = threading.Thread(target=self._watch, name="rhcore-ray-scheduling", daemon=True)
        self._watcher.start()

    def _connect(self) -> None:
        if ray.is_initialized():
            return
        self._check_reachable()
        try:
            ray.init(address=self.address, log_to_driver=False, logging_level="WARNING",
                     ignore_reinit_error=True)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RhcoreError(
                f"Cannot reach the Ray cluster of {self.cluster.name!r} at {self.address!r}: {exc}"
            ) from None

    def _check_reachable(self) -> None:
        """Fail in seconds on an address nothing listens at (Ray itself retries for minutes)."""
        host, _, port = str(self.address).rpartition(":")
        if not host or not port.isdigit() or "://" in host:
            return
        try:
            socket.create_connection((host, int(port)), timeout=5).close()
        except OSError as exc:
            raise RhcoreError(
                f"Cannot reach the Ray cluster of {self.cluster.name!r} at {self.address!r}: {exc}"
            ) from None

    def job_context(self) -> dict[str, Any]:
        return {"registry": caller_registry()}

    # -- submitting --

    def check(self, job: Job) -> None:
        chosen, _ = self._ray_options(job.options)
        self._fits(chosen)
        self._remote(chosen)  # Ray refuses options it cannot take (a negative count...) here

    def _ray_options(self, options: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """Ray's options for a call, and how long it may wait for a place."""
        chosen = {"max_retries": options.get("max_retries", 0)}
        for key in ("num_cpus", "num_gpus", "memory", "resources"):
            if options.get(key) is not None:
                chosen[key] = options[key]
        timeout = options.get("scheduling_timeout",
                              self.cluster.settings.get("scheduling_timeout", DEFAULT_SCHEDULING_TIMEOUT))
        return chosen, float(timeout)

    def _fits(self, chosen: dict[str, Any]) -> None:
        """Refuse what asks for more than the whole Ray cluster has."""
        wanted = {"CPU": chosen.get("num_cpus", 1), "GPU": chosen.get("num_gpus", 0),
                  "memory": chosen.get("memory", 0), **(chosen.get("resources") or {})}
        totals = self._totals()
        for resource, amount in wanted.items():
            if amount and amount > totals.get(resource, 0):
                raise UnschedulableError(
                    f"Cluster {self.cluster.name!r} cannot run this: it asks for {amount} {resource} "
                    f"and the Ray cluster has {totals.get(resource, 0):g} in all"
                )

    def _totals(self) -> dict[str, float]:
        """The cluster's resources in all, re-read at most every few seconds (asking Ray
        costs more than submitting a task)."""
        now = time.monotonic()
        if now - self._totals_at > TOTALS_MAX_AGE:
            self._totals_cache, self._totals_at = ray.cluster_resources(), now
        return self._totals_cache

    def submit(self, job: Job, *, stream: bool) -> RayJobHandle:
        ray_options, timeout = self._ray_options(job.options)
        job = attrs.evolve(job, options={}, **self.job_context())
        scratch = None
        if job.folder is None:  # a call without a Run: where its output and start show
            scratch = self.store().child(".streams").child(uuid.uuid4().hex)
            job.folder = self.worker_folder(scratch)
        ref = self._remote(ray_options).remote(job)
        handle = RayJobHandle(self, ref, job, stream, scratch)
        with self._lock:
            self._tasks[job.folder.path] = (ref, time.monotonic() + timeout, job)
        return handle

    def forget(self, path: str) -> None:
        """Stop watching the task of the job whose folder is ``path`` (it was waited for)."""
        with self._lock:
            self._tasks.pop(path, None)
            self.unplaced.pop(path, None)

    def _remote(self, ray_options: dict[str, Any]) -> Any:
        """The task with these options, made once per distinct options (Ray builds a new
        wrapper class on every ``options`` call)."""
        key = repr(sorted(ray_options.items()))
        remote = self._remotes.get(key)
        if remote is None:
            remote = self._remotes[key] = _execute.options(**ray_options)
        return remote

    # -- watching, cancelling --

    def _watch(self) -> None:
        """Fail Runs Ray could not place within their timeout; forget finished tasks now
        and then (asking Ray about every task costs, with thousands under way). A round
        that fails (storage that failed, Ray shutting down) does not end the watching."""
        pruned = time.monotonic()
        while True:
            time.sleep(0.5)
            try:
                pruned = self._watch_round(pruned)
            except Exception:
                logger.warning("The Ray scheduling watcher of %r failed a round", self.cluster.name,
                               exc_info=True)

    def _watch_round(self, pruned: float) -> float:
        """One look at the watched tasks; returns when they were last pruned."""
        now = time.monotonic()
        with self._lock:
            if now - pruned > PRUNE_SECONDS:
                watched, pruned = dict(self._tasks), now
                self.unplaced = {path: entry for path, entry in self.unplaced.items()
                                 if now - entry[1] < PRUNE_SECONDS}
            else:
                watched = {path: task for path, task in self._tasks.items() if task[1] <= now}
        if not watched or not ray.is_initialized():  # after ray.shutdown(): ray.wait would start Ray
            return pruned
        refs = [ref for ref, _, _ in watched.values()]
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        ready_ids = {ref.hex() for ref in ready}
        for path, (ref, deadline, job) in watched.items():
            if ref.hex() in ready_ids:
                with self._lock:
                    self._tasks.pop(path, None)
            elif now >= deadline:
                self._fail_unplaced(path, ref, job)
        return pruned

    def _fail_unplaced(self, path: str, ref: ray.ObjectRef, job: Job) -> None:
        folder = job_folder(job)
        record = read(folder) if job.record is not None else None
        started = _started(folder, record) if job.record is None or record is not None else True
        if started:
            return  # it started: the timeout only bounds the wait for a place
        reason = ("Ray could not place it within its scheduling timeout "
                  f"(available now: {_resources(ray.available_resources())})")
        with self._lock:
            self.unplaced[path] = (reason, time.monotonic())  # before the cancel its waiter sees
            self._tasks.pop(path, None)
        ray.cancel(ref, force=True)
        settle(folder, record, reason)

    def cancel(self, folder: Folder, force: bool) -> dict[str, Any]:
        record = read(folder)
        if record is None:
            return {"ok": False, "message": f"No Run at {folder.system}:{folder.path}"}
        if record.status.is_final:
            return {"ok": False, "message": f"Run {record.name!r} already ended ({record.status.value})"}
        request_cancel(folder, record)
        worker = worker_of(folder, record).get("job")
        with self._lock:
            ref = self._tasks.get(folder.path, (None,))[0]
        if force and worker and liveness.alive(worker):
            pid = int(worker["pid"])  # the task first: killed children would let it finish
            liveness.kill_all([pid, *liveness.descendants(pid)])
        if ref is not None:
            ray.cancel(ref, force=force, recursive=True)
            if not force and worker and not ray.wait([ref], timeout=0.2)[0] and liveness.alive(worker):
                # Ray's cancel flags the task's thread, which a blocking system call (a sleep,
                # a wait for a child) does not see until it returns; a signal interrupts it
                os.kill(int(worker["pid"]), INTERRUPT_SIGNAL)
            ray.wait([ref], timeout=30)
        elif worker and liveness.alive(worker):
            os.kill(int(worker["pid"]), signal.SIGKILL if force else INTERRUPT_SIGNAL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if (read(folder) or record).status.is_final:
                break
            if worker is None or not liveness.alive(worker):
                settle(folder, record, "cancelled", cancelled=True)
                break
            time.sleep(0.05)
        return {"ok": True, "message": "cancelled"}

    def alive(self, identity: dict[str, Any]) -> bool | None:
        return liveness.alive(identity)


def _started(folder: Folder, record: RunRecord | None) -> bool:
    """Whether the task of a job has begun executing (named its process)."""
    if record is None:
        return stream_worker(folder) is not None
    return bool(worker_of(folder, record).get("job"))


def _resources(resources: dict[str, float]) -> str:
    shown = {k: v for k, v in resources.items() if not k.startswith(("node:", "object_store"))}
    return ", ".join(f"{k}={v:g}" for k, v in sorted(shown.items())) or "nothing"
