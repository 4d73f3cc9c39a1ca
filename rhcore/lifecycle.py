"""The built-in plugins around a ``with`` block's Run: its log sinks and output capture,
and its heartbeat. Each is a wrapper of ``rhcore_run_start`` / ``rhcore_run_end``, acting
after the core has started the Run and before it publishes the end, exactly as a
third-party plugin would (``rh plugins`` lists them). Lineage is the third such plugin,
in :mod:`rhcore.provenance`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Generator
from typing import Any

from rhcore import capture, records
from rhcore.logfiles import LogFile, close_all
from rhcore.plugins import get_plugins, hookimpl
from rhcore.spec import LogSinkSpec, LogWriter
from rhcore.status import ending


def _open_file_logs(run: Any) -> tuple[LogFile, LogFile]:
    return records.open_logs(run.folder, run.record)


def _open_no_logs(run: Any) -> None:
    return None


class LogCapture:
    """Sends what a block prints to its Run's log sink (``log_dest``), while still showing
    it; closes the sink at the end, the error's traceback written to stderr first."""

    @hookimpl
    def rhcore_register_log_sinks(self, register: Callable[[LogSinkSpec], None]) -> None:
        register(LogSinkSpec("file", _open_file_logs, "stdout/stderr saved in the Run's folder, and shown"))
        register(LogSinkSpec("stream", _open_no_logs, "stdout/stderr shown on the terminal only"))

    @hookimpl(wrapper=True)
    def rhcore_run_start(self, run: Any) -> Generator[None, Any, Any]:
        result = yield
        streams = get_plugins().log_sink(run.log_dest).open(run)
        if streams is not None:
            out, err = streams
            run.plugin_state["logs"] = (out, err)
            lost = functools.partial(_lost_output, run)
            run.plugin_state["capture"] = capture.attach(out, err, lost)
        return result

    @hookimpl(wrapper=True)
    def rhcore_run_end(self, run: Any, error: BaseException | None) -> Generator[None, Any, Any]:
        token = run.plugin_state.pop("capture", None)
        if token is not None:
            capture.detach(token)
        logs: tuple[LogWriter, ...] = run.plugin_state.pop("logs", ())
        failure = None
        try:
            _, _, text = ending(error)
            if text and len(logs) > 1:
                logs[1].write(text.encode("utf-8", "backslashreplace"))
        except OSError as exc:
            failure = exc
        except ValueError:  # the log gave up while the block ran: its failure is recorded
            pass
        closing = close_all(logs)  # the Run ends all the same, saying what was lost
        failure = failure or closing
        if failure is not None and "failure" not in run.plugin_state:
            reason = f"Its output could not be saved: {type(failure).__name__}: {failure}"
            run.plugin_state["failure"] = reason
        return (yield)


def _lost_output(run: Any, log: Any, error: OSError) -> None:
    """A log of a running block cannot be written (a full disk): it gives back room for the
    Run's record now; the block goes on, its output still shown; the Run will end in ERROR
    saying so, and this is said once now."""
    give_up = getattr(log, "give_up", None)
    if give_up is not None:
        give_up(f"{type(error).__name__}: {error}")
    if "failure" not in run.plugin_state:
        run.plugin_state["failure"] = f"Its output could not be saved: {type(error).__name__}: {error}"
        warnings.warn(f"Run {run.name!r} can no longer save its output ({error}): it goes on, shown "
                      "here only, and will end in ERROR", RuntimeWarning, stacklevel=2)


class Heartbeat:
    """Beats for a running block every ten seconds, so a watcher on another machine — who
    cannot see this process — knows it lives (and, once the beats stop, that it died)."""

    @hookimpl(wrapper=True)
    def rhcore_run_start(self, run: Any) -> Generator[None, Any, Any]:
        result = yield
        beating = records.beating(run.folder, run.attempt)
        beating.__enter__()
        run.plugin_state["heartbeat"] = beating
        return result

    @hookimpl(wrapper=True)
    def rhcore_run_end(self, run: Any, error: BaseException | None) -> Generator[None, Any, Any]:
        beating = run.plugin_state.pop("heartbeat", None)
        if beating is not None:
            beating.__exit__(None, None, None)
        return (yield)
