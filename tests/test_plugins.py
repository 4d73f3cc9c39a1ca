"""The plugin manager: entry-point discovery, registration rules, and clear errors."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

import rhcore as rh
from rhcore import hookimpl, plugins, version
from rhcore.cli import main
from rhcore.plugins import Capabilities, LogSinkSpec, PluginError, PluginWarning, SystemSpec


def plugin_module(name: str, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, hookimpl(fn))
    return module


def systems_plugin(name: str, *systems: str) -> types.ModuleType:
    def rhcore_register_systems(register):
        for system in systems:
            register(SystemSpec(system, protocols=("memory",), capabilities=Capabilities(),
                                description=f"{system} from {name}"))

    return plugin_module(name, rhcore_register_systems=rhcore_register_systems)


REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def clean_registrations():
    yield
    for name in ("first", "second", "observer", "broken-observer", "paths", "sink-override",
                 "typo", "bad-register"):
        plugins.unregister(name)


def test_file_system_comes_from_its_entry_point():
    pm = plugins.get_plugins()
    assert pm.owner("systems", "file") == "file"
    info = {i.name: i for i in pm.info()}
    assert info["file"].distribution == "rhcore"
    assert info["file"].systems == ("file",)
    assert info["rhcore.logs"].log_sinks == ("file", "stream")
    assert info["rhcore.local"].executors == ("local",)


def test_disabling_autoload_leaves_no_file_system(monkeypatch):
    monkeypatch.setenv("RHCORE_DISABLE_PLUGIN_AUTOLOAD", "1")
    plugins.reset()
    assert "file" not in plugins.get_plugins().systems
    with pytest.raises(rh.UnknownSystemError, match="Installed systems: none"):
        rh.run(name="x")


def test_allow_list_selects_entry_points(monkeypatch):
    monkeypatch.setenv("RHCORE_PLUGINS", "something-else")
    plugins.reset()
    assert "file" not in plugins.get_plugins().systems
    monkeypatch.setenv("RHCORE_PLUGINS", "file")
    plugins.reset()
    assert "file" in plugins.get_plugins().systems


def test_unknown_system_names_installed_ones():
    with pytest.raises(rh.UnknownSystemError) as excinfo:
        rh.run(system="nosuch")
    message = str(excinfo.value)
    assert "'nosuch'" in message and "Installed systems: file" in message
    assert "pip install" not in message


@pytest.mark.parametrize(
    "system, extra",
    [("s3", "s3"), ("gs", "gs"), ("azure", "azure"), ("sftp", "ssh"), ("ssh", "ssh"),
     ("github", "github")],
)
def test_known_but_missing_systems_name_the_extra(system, extra, monkeypatch):
    monkeypatch.setenv("RHCORE_PLUGINS", "file")  # as if no other plugin were installed
    monkeypatch.setattr(version, "checkout", lambda: None)  # rhcore installed from an index
    plugins.reset()
    folder = version.PLUGIN_FOLDERS[plugins.KNOWN_SYSTEMS[system][0]]
    hint = rf"pip install 'rhcore\[{extra}\]=={re.escape(rh.__version__)}' .*: pip install ./{folder}\)"
    with pytest.raises(rh.UnknownSystemError, match=hint):
        rh.run(name="x", system=system, path="bucket/x")


def test_installed_from_a_checkout_the_hint_installs_the_plugin_from_it(monkeypatch):
    monkeypatch.setenv("RHCORE_PLUGINS", "file")
    monkeypatch.setattr(version, "checkout", lambda: str(REPO))
    plugins.reset()
    with pytest.raises(rh.UnknownSystemError, match=rf"provided by rh-gs: pip install {REPO}/plugins/rh_gs$"):
        rh.run(name="x", system="gs", path="bucket/x")


def test_unknown_executor_names_the_extra(monkeypatch):
    monkeypatch.setenv("RHCORE_PLUGINS", "file")  # as if rh-ray were not installed
    monkeypatch.setattr(version, "checkout", lambda: None)
    with pytest.raises(rh.UnknownSystemError, match=r"rhcore\[ray\]"):
        plugins.get_plugins().executor("ray")


def test_a_plugin_that_fails_to_import_is_skipped_with_a_warning(tmp_path, monkeypatch):
    dist = tmp_path / "brokenplug-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[rhcore]\nbroken = brokenplug_mod\n")
    (tmp_path / "brokenplug_mod.py").write_text("raise ImportError('missing dependency xyz')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.reset()
    with pytest.warns(PluginWarning, match="broken.*missing dependency xyz"):
        pm = plugins.get_plugins()
    assert "file" in pm.systems
    assert not pm.pm.has_plugin("broken")
    sys.modules.pop("brokenplug_mod", None)


def test_third_party_entry_point_is_loaded_with_its_distribution(tmp_path, monkeypatch):
    dist = tmp_path / "goodplug-2.5.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: goodplug\nVersion: 2.5\n")
    (dist / "entry_points.txt").write_text("[rhcore]\ngood = goodplug_mod\n")
    (tmp_path / "goodplug_mod.py").write_text(
        "from rhcore import hookimpl\n"
        "from rhcore.plugins import SystemSpec\n"
        "@hookimpl\n"
        "def rhcore_register_systems(register):\n"
        "    register(SystemSpec('goodmem', protocols=('memory',), description='good'))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.reset()
    info = {i.name: i for i in plugins.get_plugins().info()}
    assert info["good"].distribution == "goodplug" and info["good"].version == "2.5"
    assert info["good"].systems == ("goodmem",)
    result = CliRunner().invoke(main, ["plugins"])
    assert "goodplug" in result.output and "goodmem" in result.output
    sys.modules.pop("goodplug_mod", None)


def test_a_misspelt_hook_is_an_error(clean_registrations):
    def rhcore_register_sytems(register):  # sic
        pass

    plugins.register(plugin_module("typo", rhcore_register_sytems=rhcore_register_sytems), "typo")
    with pytest.raises(PluginError, match=r"typo.*rhcore_register_sytems"):
        plugins.get_plugins()


def test_registering_the_wrong_type_is_an_error(clean_registrations):
    def rhcore_register_systems(register):
        register("s3")

    plugins.register(plugin_module("bad-register", rhcore_register_systems=rhcore_register_systems),
                     "bad-register")
    with pytest.raises(PluginError, match="expected a SystemSpec"):
        plugins.get_plugins()


def test_overriding_a_builtin_warns(clean_registrations):
    def rhcore_register_log_sinks(register):
        register(LogSinkSpec("stream", lambda run: None, "my stream"))

    plugins.register(plugin_module("sink-override", rhcore_register_log_sinks=rhcore_register_log_sinks),
                     "sink-override")
    with pytest.warns(PluginWarning, match="overrides the built-in log_sink 'stream'"):
        pm = plugins.get_plugins()
    assert pm.log_sink("stream").description == "my stream"


def test_two_plugins_claiming_a_name_keep_the_first_and_warn(clean_registrations):
    plugins.register(systems_plugin("first", "shared"), "first")
    plugins.register(systems_plugin("second", "shared"), "second")
    with pytest.warns(PluginWarning, match="'first' and 'second' both provide system 'shared'"):
        pm = plugins.get_plugins()
    assert pm.system("shared").description == "shared from first"


def test_status_observers_see_every_change_and_cannot_break_a_run(clean_registrations):
    seen = []

    def rhcore_run_status_changed(run, old, new):
        seen.append((run.name, old.value, new.value))

    def failing(run, old, new):
        raise RuntimeError("observer bug")

    plugins.register(plugin_module("observer", rhcore_run_status_changed=rhcore_run_status_changed),
                     "observer")
    plugins.register(plugin_module("broken-observer", rhcore_run_status_changed=failing),
                     "broken-observer")
    with pytest.warns(PluginWarning, match="observer bug"):
        with rh.run(name="observed") as r:
            pass
    assert r.status is rh.RunStatus.COMPLETED
    assert seen == [("observed", "NOT_STARTED", "RUNNING"), ("observed", "RUNNING", "COMPLETED")]


def _adder(a, b):
    return a + b


def _failing(x):
    raise ValueError(x)


def test_the_caller_sees_how_its_function_runs_end(clean_registrations):
    """A worker publishes a function Run's end; observers with the caller learn it when the
    call returns, or when the caller refreshes an asynchronous Run."""
    seen = []

    def rhcore_run_status_changed(run, old, new):
        seen.append((run.name, old.value, new.value))

    plugins.register(plugin_module("observer", rhcore_run_status_changed=rhcore_run_status_changed),
                     "observer")
    assert rh.function(_adder)(1, 2, run_name="sync") == 3
    with pytest.raises(ValueError):
        rh.function(_failing)("bad", run_name="failed")
    run = rh.function(_adder).run(1, 2, run_name="async")
    while not run.refresh().status.is_final:
        pass
    run.refresh()
    assert seen == [
        ("sync", "NOT_STARTED", "RUNNING"), ("sync", "RUNNING", "COMPLETED"),
        ("failed", "NOT_STARTED", "RUNNING"), ("failed", "RUNNING", "ERROR"),
        ("async", "NOT_STARTED", "RUNNING"), ("async", "RUNNING", "COMPLETED"),
    ]


def test_default_run_path_first_answer_wins(clean_registrations, tmp_path):
    def rhcore_default_run_path(system, name):
        return str(tmp_path / "custom" / name) if system == "file" else None

    plugins.register(plugin_module("paths", rhcore_default_run_path=rhcore_default_run_path), "paths")
    r = rh.run(name="placed", dryrun=True)
    assert r.path == str(tmp_path / "custom" / "placed")


def test_executors_are_registered_by_kind(clean_registrations):
    from rhcore.plugins import ExecutorSpec

    def factory(cluster):
        return ("executor for", cluster)

    def rhcore_register_executors(register):
        register(ExecutorSpec("dummy", factory, "runs nothing"))

    plugins.register(plugin_module("first", rhcore_register_executors=rhcore_register_executors), "first")
    pm = plugins.get_plugins()
    assert pm.executor("dummy").factory("c") == ("executor for", "c")
    assert {i.name: i for i in pm.info()}["first"].executors == ("dummy",)


def test_rh_plugins_lists_distribution_version_and_what_is_provided():
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["PLUGIN", "DISTRIBUTION", "VERSION", "PROVIDES"]
    file_line = next(line for line in lines if line.startswith("file "))
    assert "rhcore" in file_line and rh.__version__ in file_line and "systems: file" in file_line
    assert any("log sinks: file, stream" in line for line in lines)
