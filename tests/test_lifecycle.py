"""The Run lifecycle as hooks: plugins wrap a block's start and end, lay out its folder,
veto transitions (never making a final status non-final), name clusters, observe
deletions; log sinks that return plain binary writers work."""

from __future__ import annotations

import io
import os
import warnings

import pytest

import rhcore as rh
from rhcore import hookimpl, plugins
from rhcore.spec import LogSinkSpec, RunLayout, RunStatus, RunType
from rhcore.testing import LogSinkContract


@pytest.fixture
def plugin():
    """Register plugin objects for one test."""
    names = []

    def add(obj, name):
        plugins.register(obj, name=name)
        names.append(name)
        return obj

    yield add
    for name in names:
        plugins.unregister(name)


class Wrapper:
    """Sees the Run around the core's start and end."""

    def __init__(self):
        self.seen = []

    @hookimpl(wrapper=True)
    def rhcore_run_start(self, run):
        self.seen.append(("before start", run.status))
        result = yield
        self.seen.append(("after start", run.status, run.attempt))
        return result

    @hookimpl(wrapper=True)
    def rhcore_run_end(self, run, error):
        self.seen.append(("before end", run.status, type(error).__name__ if error else None))
        result = yield
        self.seen.append(("after end", run.status))
        return result


def test_plugins_wrap_the_start_and_the_end(plugin):
    wrapper = plugin(Wrapper(), "wrapper")
    with pytest.raises(KeyError), rh.run(name="wrapped"):
        raise KeyError("x")
    assert wrapper.seen == [
        ("before start", RunStatus.NOT_STARTED), ("after start", RunStatus.RUNNING, 1),
        ("before end", RunStatus.RUNNING, "KeyError"), ("after end", RunStatus.ERROR),
    ]


class RefuseToStart:
    @hookimpl(wrapper=True)
    def rhcore_run_start(self, run):
        if run.name == "forbidden":
            raise PermissionError("not today")
        return (yield)


class FailAfterStart:
    @hookimpl(wrapper=True)
    def rhcore_run_start(self, run):
        result = yield
        if run.name == "broken-plugin":
            raise RuntimeError("plugin failed")
        return result


def test_a_plugin_refusing_the_start_leaves_nothing(plugin):
    plugin(RefuseToStart(), "refuse")
    with pytest.raises(PermissionError), rh.run(name="forbidden"):
        pass
    assert not os.path.exists(os.path.join("rh", "forbidden"))


def test_a_plugin_failing_after_the_start_ends_the_run_in_error(plugin):
    plugin(FailAfterStart(), "fail")
    with pytest.raises(RuntimeError, match="plugin failed"), rh.run(name="broken-plugin"):
        raise AssertionError("the block must not run")
    run = rh.run(name="broken-plugin")
    assert run.status is RunStatus.ERROR and "plugin failed" in run.error


class Vetoes:
    @hookimpl
    def rhcore_transition_allowed(self, run_name, old, new):
        return not (run_name == "guarded" and new is RunStatus.COMPLETED)  # True cannot reopen a Run


def test_a_plugin_may_refuse_a_transition_but_never_reopen_a_final_run(plugin):
    plugin(Vetoes(), "vetoes")
    with pytest.raises(rh.IllegalTransitionError, match="a plugin refused"), rh.run(name="guarded"):
        pass
    guarded = rh.run(name="guarded")
    assert guarded.status is RunStatus.ERROR and "refused" in guarded.error
    with rh.run(name="free") as free:
        pass
    with pytest.raises(rh.IllegalTransitionError, match="already ended"):
        free.__exit__(None, None, None)
    assert rh.run(name="free").status is RunStatus.COMPLETED


class TextLogs:
    @hookimpl
    def rhcore_run_layout(self, run_type):
        if run_type is RunType.CTX_MANAGER:
            return RunLayout(stdout="{name}-stdout.txt", stderr="{name}-stderr.txt")
        return None


def test_a_plugin_lays_out_a_run_types_folder(plugin):
    plugin(TextLogs(), "text-logs")
    with rh.run(name="laid") as r:
        print("into a text file")
    assert sorted(os.listdir(r.path)) == ["config_for_run.json", "laid-stderr.txt", "laid-stdout.txt"]
    assert rh.run(name="laid").stdout() == "into a text file"


def test_a_layout_cannot_name_a_file_outside_the_folder():
    with pytest.raises(ValueError, match="does not name a visible file"):
        RunLayout(stdout="../{name}.out")


class NamedStore:
    def __init__(self, root):
        self.root = root

    @hookimpl
    def rhcore_resolve_cluster(self, name):
        if name != "archive":
            return None
        root = self.root

        class Archive:
            def run_folder(self, run_name, path=None):
                return rh.Folder(path or os.path.join(root, run_name), "file")

        return Archive()


def test_a_plugin_resolves_a_cluster_name(plugin, tmp_path):
    plugin(NamedStore(str(tmp_path / "archive")), "named")
    with rh.run(name="kept", system="archive", load=False) as r:
        print("archived")
    assert r.path == str(tmp_path / "archive" / "kept")
    assert rh.run("kept", system="archive").stdout() == "archived"


class DeletionLog:
    def __init__(self):
        self.deleted = []

    @hookimpl
    def rhcore_artifact_deleting(self, name):
        self.deleted.append(name)


def test_deleting_an_artifact_is_observed(plugin):
    log = plugin(DeletionLog(), "deletions")
    blob = rh.blob(data=[1], name="temp").write().save()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        blob.rm()
        blob.delete_configs()
    assert log.deleted == ["temp", "temp"]


# -- log sinks -----------------------------------------------------------------------------------


class KeptBytes(io.BytesIO):
    """A plain binary writer that keeps what it received when closed."""

    closed_with: list[bytes]

    def close(self):
        self.closed_with.append(self.getvalue())
        super().close()


class MemorySink:
    def __init__(self):
        self.closed: list[bytes] = []

    def open(self, run):
        out, err = KeptBytes(), KeptBytes()
        out.closed_with = err.closed_with = self.closed
        return out, err

    @hookimpl
    def rhcore_register_log_sinks(self, register):
        register(LogSinkSpec("memory", self.open, "kept in memory"))


def test_a_sink_of_plain_binary_writers_works(plugin):
    sink = plugin(MemorySink(), "memory-sink")
    with rh.run(name="in-memory", log_dest="memory") as r:
        print("to memory")
    assert r.status is RunStatus.COMPLETED
    assert sink.closed == [b"to memory\n", b""]


class FailingClose(io.BytesIO):
    def close(self):
        raise OSError(28, "No space left on device")


class FullDiskSink:
    @hookimpl
    def rhcore_register_log_sinks(self, register):
        register(LogSinkSpec("full", lambda run: (FailingClose(), FailingClose()), "a full disk"))


def test_a_sink_that_fails_to_close_ends_the_run_in_error_not_running(plugin):
    plugin(FullDiskSink(), "full-sink")
    with rh.run(name="lost-logs", log_dest="full") as r:
        print("lost")
    assert r.status is RunStatus.ERROR and "No space left" in r.error
    assert rh.run(name="lost-logs").status is RunStatus.ERROR


class TestFileSink(LogSinkContract):
    sink = "file"
    keeps_output = True


class TestStreamSink(LogSinkContract):
    sink = "stream"
    keeps_output = False


class TestMemorySink(LogSinkContract):
    sink = "memory"
    keeps_output = False

    @pytest.fixture(autouse=True)
    def registered(self, plugin):
        plugin(MemorySink(), "memory-sink")
