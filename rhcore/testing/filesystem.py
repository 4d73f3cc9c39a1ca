"""The contract every storage system must pass, as pytest test classes.

A plugin's test module subclasses :class:`FilesystemContract` (or, for a read-only
system, :class:`ReadOnlyFilesystemContract`) and provides the ``place`` fixture: a
:class:`~rhcore.folder.Folder` on the system, under which the tests may write freely::

    from rhcore.folder import Folder
    from rhcore.testing import FilesystemContract

    class TestS3Contract(FilesystemContract):
        @pytest.fixture
        def place(self, s3_bucket, s3_config):
            return Folder(f"{s3_bucket}/contract", "s3", s3_config)
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import run_state_machine_as_test

import rhcore as rh
from rhcore import layout
from rhcore.errors import ReadOnlySystemError
from rhcore.folder import Folder
from rhcore.records import read as read_record
from rhcore.secrets import secret_values
from rhcore.settings import using
from rhcore.spec import RunRecord
from rhcore.testing.checks import failure_text, local_files
from rhcore.testing.stateful import run_store_machine
from rhcore.testing.strategies import payloads, run_configs, run_names

_fixture_settings = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
)


def fresh(place: Folder) -> Folder:
    """A new, empty sub-folder of ``place`` (each test and example gets its own)."""
    return place.child(f"t-{uuid.uuid4().hex[:12]}")


SENTINEL = "rh-sentinel-0b5e7c1d9a"
"""A value given to each secret field the system declares, to look for where it must not be."""
MIN_SECRET = 6
"""Shorter secret values (``anon``) are not looked for: they occur in innocent text."""


def _secrets_given(config: Mapping[str, Any], declared: tuple[str, ...]) -> list[str]:
    return [value for value in secret_values(config, declared) if len(value) >= MIN_SECRET]


def _assert_nothing_leaked(secrets: list[str], seen: dict, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                           capsys: pytest.CaptureFixture) -> None:
    """Add what this machine and this process kept (an isolated home's files, rhcore's log
    records, what was printed) to ``seen``, and fail naming where any secret appears."""
    if str(Path.home()).startswith(str(tmp_path)):  # an isolated home: this machine's files
        seen.update(local_files(tmp_path))
    seen["rhcore's log records"] = "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith("rhcore"))
    out = capsys.readouterr()
    seen["what was printed here"] = out.out + out.err
    assert not _leaks(secrets, seen), _leaks(secrets, seen)


def _leaks(secrets: list[str], seen: Mapping[str, str | bytes]) -> list[str]:
    """Where each of ``secrets`` was found in ``seen`` (a place and what it holds)."""
    found = []
    for where, content in seen.items():
        for secret in secrets:
            needle = secret.encode() if isinstance(content, bytes) else secret
            if needle in content or secret in where:
                found.append(f"{secret[:3]}... in {where}")
    return found


def check_declared_secret_fields(place: Folder) -> None:
    """Give each field ``place``'s system declares secret a value, at the top of
    ``data_config`` and nested in it, without connecting with it: what a stored config
    says of the folder leaves it out, and messages are scrubbed of it."""
    for field in place.spec.secret_fields:
        for config in ({**place.data_config, field: SENTINEL},
                       {**place.data_config, "nested": {field: [SENTINEL]}}):
            folder = Folder.normalised(place.path, place.system, config, place.fs)
            said = json.dumps(folder.public_config, default=repr)
            scrubbed = folder.scrub(f"refused {SENTINEL} at {folder!r}")
            assert SENTINEL not in said + scrubbed, f"the declared secret {field!r} was kept"


def _quiet_failure(value: str) -> None:
    print(f"working on {value}")
    raise RuntimeError(f"could not finish {value}")


class FilesystemContract:
    """What rhcore needs from a writable storage system, checked against the real one.

    Set ``shared_between_processes = False`` for a system that lives inside one process
    (an in-memory one): the tests of worker processes and of a second process then skip.
    """

    shared_between_processes: bool = True
    state_machine_settings = settings(max_examples=8, stateful_step_count=12, deadline=None,
                                      suppress_health_check=list(HealthCheck))
    """How hard :meth:`test_status_machine_and_store` tries (more examples on a fast system)."""

    @pytest.fixture
    def place(self) -> Folder:  # pragma: no cover - provided by the plugin's subclass
        raise NotImplementedError("provide a `place` fixture returning a Folder on your system")

    # -- bytes and configs -----------------------------------------------------------

    @_fixture_settings
    @given(payload=payloads())
    def test_bytes_round_trip(self, place: Folder, payload: bytes) -> None:
        folder = fresh(place)
        folder.write_bytes("blob.bin", payload)
        assert folder.read_bytes("blob.bin") == payload
        assert folder.size("blob.bin") == len(payload)

    @_fixture_settings
    @given(config=run_configs())
    def test_config_round_trip(self, place: Folder, config: dict) -> None:
        folder = fresh(place)
        folder.publish(layout.CONFIG_FILE, json.dumps(config).encode())
        assert read_record(folder) == RunRecord.from_json(config, "the example")

    def test_missing_file_is_file_not_found(self, place: Folder) -> None:
        folder = fresh(place)
        with pytest.raises(FileNotFoundError):
            folder.read_bytes("absent.txt")
        assert read_record(folder) is None

    def test_a_growing_file_is_read_from_where_the_last_look_ended(self, place: Folder) -> None:
        """How logs are followed: the bytes past an offset, nothing at the end, nothing yet
        for a file not written (object stores refuse a range starting at the end)."""
        folder = fresh(place)
        assert folder.read_from("log.out", 0) == b""
        folder.write_bytes("log.out", b"")
        assert folder.read_from("log.out", 0) == b""
        folder.write_bytes("log.out", b"first\n")
        assert folder.read_from("log.out", 0) == b"first\n"
        assert folder.read_from("log.out", 6) == b""
        folder.write_bytes("log.out", b"first\nsecond\n")
        assert folder.read_from("log.out", 6) == b"second\n"
        assert folder.read_from("log.out", 13) == b""

    def test_publish_is_atomic(self, place: Folder) -> None:
        """A reader racing a writer sees one whole version or the other, never a mix."""
        folder = fresh(place)
        versions = [json.dumps({"status": s, "pad": s * 50_000}).encode() for s in ("A", "B")]
        folder.publish("config.json", versions[0])
        stop = threading.Event()
        seen: list[bytes] = []

        def writer() -> None:
            for i in range(20):
                folder.publish("config.json", versions[i % 2])
            stop.set()

        thread = threading.Thread(target=writer)
        thread.start()
        while not stop.is_set():
            seen.append(folder.read_bytes("config.json"))
        thread.join()
        seen.append(folder.read_bytes("config.json"))
        assert all(data in versions for data in seen), "a reader saw a partly written file"

    def test_publish_leaves_no_temporary_files(self, place: Folder) -> None:
        folder = fresh(place)
        for i in range(3):
            folder.publish(layout.CONFIG_FILE, b'{"status": "RUNNING", "i": %d}' % i)
        assert folder.files(hidden=True) == [layout.CONFIG_FILE]

    @_fixture_settings
    @given(name=run_names(), payload=payloads(2048))
    def test_names_and_payloads_round_trip(self, place: Folder, name: str, payload: bytes) -> None:
        """Any name rhcore accepts (unicode included) names a Run there, and what the Run
        stores comes back byte for byte."""
        folder = fresh(place).child(name)
        with rh.run(name=name, path=folder.path, system=folder.system, data_config=folder.data_config) as r:
            print(name)
        r.write(payload, "payload.bin")
        loaded = rh.run(path=folder.path, system=folder.system, data_config=folder.data_config)
        assert (loaded.name, loaded.status, loaded.stdout()) == (name, rh.RunStatus.COMPLETED, name)
        assert loaded.folder.read_bytes("payload.bin") == payload

    def test_status_machine_and_store(self, place: Folder) -> None:
        """Random sequences of starts, ends, re-runs, copies and saves keep the rules: one
        live execution per name, final states final, earlier attempts kept."""
        run_state_machine_as_test(run_store_machine(fresh(place)), settings=self.state_machine_settings)

    # -- exclusive create --------------------------------------------------------------

    def test_exclusive_create(self, place: Folder) -> None:
        folder = fresh(place)
        assert folder.create("lease", b"first") is True
        assert folder.create("lease", b"second") is False
        assert folder.read_bytes("lease") == b"first"

    def test_exclusive_create_under_contention(self, place: Folder) -> None:
        """Of eight simultaneous creators exactly one wins."""
        folder = fresh(place)
        folder.mkdir()
        barrier = threading.Barrier(8)
        wins: list[int] = []

        def contend(i: int) -> None:
            barrier.wait()
            if folder.create("lease", str(i).encode()):
                wins.append(i)

        threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1
        assert folder.read_bytes("lease") == str(wins[0]).encode()

    # -- listing and removal -----------------------------------------------------------

    def test_listing(self, place: Folder) -> None:
        folder = fresh(place)
        assert folder.ls() == []
        assert folder.files() == []
        for name in ("b.txt", "a.txt", "sub/c.txt"):
            folder.write_bytes(name, name.encode())
        assert folder.exists()
        assert folder.files() == ["a.txt", "b.txt", "sub/c.txt"]
        assert [p.rsplit("/", 1)[-1] for p in folder.ls()] == ["a.txt", "b.txt", "sub"]
        assert folder.has("a.txt") and not folder.has("zzz.txt")

    def test_removal(self, place: Folder) -> None:
        folder = fresh(place)
        folder.write_bytes("a.txt", b"a")
        folder.write_bytes("sub/b.txt", b"b")
        assert folder.remove("a.txt") is True
        assert folder.remove("a.txt") is False
        folder.rm()
        assert not folder.exists()
        assert folder.files() == []
        folder.rm()  # removing what is gone is fine

    # -- Runs on the system ------------------------------------------------------------

    def test_run_round_trip(self, place: Folder) -> None:
        folder = fresh(place)
        with rh.run(path=folder.path, system=folder.system, data_config=folder.data_config) as r:
            print("to stdout")
        loaded = rh.run(path=folder.path, system=folder.system, data_config=folder.data_config)
        assert loaded.status is rh.RunStatus.COMPLETED
        assert loaded.name == r.name
        assert loaded.stdout() == "to stdout"
        assert set(folder.files()) == {layout.CONFIG_FILE, r.stdout_file, r.stderr_file}

    def test_logs_reach_the_system_while_running(self, place: Folder, monkeypatch) -> None:
        monkeypatch.setenv("RHCORE_LOG_SYNC_SECONDS", "0.2")
        folder = fresh(place)
        with rh.run(path=folder.path, system=folder.system, data_config=folder.data_config) as r:
            print("early line")
            reader = rh.run(path=folder.path, system=folder.system, data_config=folder.data_config)
            deadline = time.monotonic() + 10
            while "early line" not in reader.stdout() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "early line" in reader.stdout()
            assert reader.refresh().status is rh.RunStatus.RUNNING
        assert r.status is rh.RunStatus.COMPLETED

    def test_copy_between_two_places(self, place: Folder) -> None:
        source, target = fresh(place), fresh(place)
        with rh.run(path=source.path, system=source.system, data_config=source.data_config) as r:
            print("copied output")
        r.write(b"extra", "nested/extra.bin")
        before = {f: source.read_bytes(f) for f in source.files()}
        copy = r.to(target.system, path=target.path, data_config=target.data_config)
        assert copy.path == target.path
        assert copy.run_config == r.refresh().run_config
        assert copy.stdout() == "copied output"
        assert {f: target.read_bytes(f) for f in target.files()} == before
        assert {f: source.read_bytes(f) for f in source.files()} == before

    # -- the system as a team's shared home ----------------------------------------------

    def test_a_failing_block_records_its_error(self, place: Folder) -> None:
        folder = fresh(place)
        with pytest.raises(ValueError, match="bad input"):
            with rh.run(path=folder.path, system=folder.system, data_config=folder.data_config):
                raise ValueError("bad input")
        loaded = rh.run(path=folder.path, system=folder.system, data_config=folder.data_config)
        assert loaded.status is rh.RunStatus.ERROR
        assert loaded.error == "ValueError: bad input"
        assert "Traceback" in loaded.stderr()

    def test_copy_to_this_machine_and_back(self, place: Folder, tmp_path) -> None:
        folder, back = fresh(place), fresh(place)
        with rh.run(path=folder.path, system=folder.system, data_config=folder.data_config) as r:
            print("travelled")
        r.write({"weights": list(range(10))}, layout.RESULT_FILE)
        before = {f: folder.read_bytes(f) for f in folder.files()}
        local = r.to("file", path=str(tmp_path / "local"))
        returned = local.to(back.system, path=back.path, data_config=back.data_config)
        for copy in (local, returned):
            assert {f: copy.folder.read_bytes(f) for f in copy.folder.files()} == before
            assert copy.result() == {"weights": list(range(10))}
            assert copy.stdout() == "travelled"
        assert {f: folder.read_bytes(f) for f in folder.files()} == before

    def _needs_other_processes(self) -> None:
        if not self.shared_between_processes:
            pytest.skip(f"{type(self).__name__}: the system is not shared between processes")

    def test_function_runs_in_a_run_store_on_the_system(self, place: Folder) -> None:
        self._needs_other_processes()
        store = fresh(place)
        cluster = rh.cluster(
            name=f"store-{uuid.uuid4().hex[:8]}",
            run_store=f"{store.system}://{store.path}",
            data_config=store.data_config,
        )
        f = rh.function(_add).to(cluster)
        assert f(1, 2, run_name="added") == 3
        run = cluster.get_run("added")
        assert (run.folder.system, run.folder.path) == (store.system, store.join("added"))
        assert run.status is rh.RunStatus.COMPLETED and run.result() == 3
        assert run.stdout() == "adding 1 and 2"
        assert f.get_or_call(1, 2, run_name="added") == 3  # the cached result, read back
        assert f.get_or_call(5, 5, run_name="added", cache="warn") == 3  # other arguments: kept, warned
        assert f.get_or_call(5, 5, run_name="added") == 10  # ...or computed again (the default)
        assert [a.result() for a in cluster.get_run("added").attempts()] == [3]

    # -- secrets ---------------------------------------------------------------------------

    def test_every_declared_secret_field_is_kept_out(self, place: Folder) -> None:
        """Each field the plugin declares secret (``SystemSpec.secret_fields``), at the top
        of ``data_config`` or nested in it, is left out of what a stored config says of the
        folder, and its value is scrubbed from messages."""
        check_declared_secret_fields(place)

    secret_sentinels: Mapping[str, Any] = {}
    """``data_config`` entries that hold secrets (fields the plugin declares, or named like
    a secret) which the system accepts whatever they are, e.g. ``{"password": "..."}`` for
    a host that takes a key: :meth:`test_no_secret_reaches_a_stored_byte_a_log_an_error_or_a_page`
    adds them to ``place``'s ``data_config``, so it has secrets to look for besides the
    credentials the place holds."""

    def test_no_secret_reaches_a_stored_byte_a_log_an_error_or_a_page(
        self, place: Folder, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture,
    ) -> None:
        """A failing ``with`` block, a failing function Run in a run store there, registry
        entries and a copy, all made with ``data_config``'s secrets (the place's credentials
        and :attr:`secret_sentinels`): none of their values is in any byte stored under the
        Runs' folder (read back through the plugin's filesystem), in a file of this machine's
        test home, in rhcore's log records, an error's text, or what a Run, a folder or a
        cluster shows of itself."""
        config = {**place.data_config, **self.secret_sentinels}
        secrets = _secrets_given(config, place.spec.secret_fields)
        if not secrets:
            pytest.skip(f"{type(self).__name__}: the place's data_config holds no secret to look for: "
                        "give some in secret_sentinels")
        caplog.set_level(logging.DEBUG, logger="rhcore")
        root = Folder.normalised(fresh(place).path, place.system, config)
        system, seen = root.system, {}

        with pytest.raises(RuntimeError) as raised:
            with rh.run(name="secretive", path=root.join("runs", "secretive"), system=system,
                        data_config=config) as r:
                _quiet_failure(repr(r.folder))
        seen["the with block's error"] = failure_text(raised)
        loaded = rh.run(path=r.folder.path, system=system, data_config=config)
        assert loaded.status is rh.RunStatus.ERROR
        shown = [r, loaded, r.folder]

        if self.shared_between_processes:
            cluster = rh.cluster(name=f"store-{uuid.uuid4().hex[:8]}", run_store=f"{system}://{root.join('store')}",
                                 data_config=config)
            with pytest.raises(Exception) as refused:
                rh.function(_quiet_failure).to(cluster)("the function", run_name="refused")
            seen["the function's error"] = failure_text(refused)
            run = cluster.get_run("refused")
            assert run is not None and run.status is rh.RunStatus.ERROR
            shown += [cluster, run, run.folder]
        with using(registry=f"{system}://{root.join('registry')}", data_config=config):
            r.save()
            copy = rh.run("secretive", data_config=config).to(system, path=root.join("copies", "secretive"),
                                                              data_config=config)
            copy.save("copied")
            if self.shared_between_processes:
                cluster.save()
                run.save()
            for name in ("secretive", "copied"):
                seen[f"the registry entry {name}"] = json.dumps(rh.load(name, instantiate=False), default=str)
        try:  # an error of the system itself, made with these credentials
            root.read_bytes("runs")
        except Exception as exc:
            seen["the system's error"] = "".join(traceback.format_exception(exc))

        for thing in [*shown, copy]:
            seen[f"what {type(thing).__name__} shows"] = f"{thing!r} {thing}"
        for run_ in [r, loaded, copy]:
            seen[f"the config of {run_!r}"] = json.dumps([run_.run_config, run_.config_for_rns], default=str)
        stored = {root.join(name): root.read_bytes(name) for name in root.files(hidden=True)}
        assert any(name.endswith(layout.CONFIG_FILE) for name in stored)
        seen.update(stored)
        _assert_nothing_leaked(secrets, seen, tmp_path, caplog, capsys)

    def test_a_registry_on_the_system_is_shared_between_processes(self, place: Folder, tmp_path) -> None:
        """Two processes with their own home directories, one registry on this system:
        what one saves, the other loads by name."""
        self._needs_other_processes()
        registry = fresh(place)
        with rh.run(
            name="shared", path=registry.join("runs/shared"), system=registry.system,
            data_config=registry.data_config,
        ) as r:
            print("saved by the first")
        with using(registry=f"{registry.system}://{registry.path}", data_config=registry.data_config):
            r.save()
        peer = subprocess.run(
            [sys.executable, "-c", _PEER, f"{registry.system}://{registry.path}",
             json.dumps(registry.data_config)],
            cwd=tmp_path, env={**os.environ, "HOME": str(tmp_path)},
            capture_output=True, text=True, timeout=120,
        )
        assert peer.returncode == 0, peer.stderr
        assert peer.stdout.splitlines()[-1] == "saved by the first"


def _add(a: int, b: int) -> int:
    print(f"adding {a} and {b}")
    return a + b


_PEER = """
import json, sys
import rhcore as rh
rh.configure(registry=sys.argv[1], data_config=json.loads(sys.argv[2]))
print(rh.run("shared", data_config=json.loads(sys.argv[2])).stdout())  # its own credentials
"""


class ReadOnlyFilesystemContract:
    """What rhcore needs from a read-only system: published Runs load and read back, and
    every write fails with a clear :class:`~rhcore.errors.ReadOnlySystemError`.

    Provide ``published``: a Folder holding a COMPLETED function Run whose result is
    ``expected_result`` and whose stdout is ``expected_stdout`` (class attributes).
    """

    expected_result: object = None
    expected_stdout: str = ""

    @pytest.fixture
    def published(self) -> Folder:  # pragma: no cover - provided by the plugin's subclass
        raise NotImplementedError("provide a `published` fixture returning a Folder holding a Run")

    def test_published_run_loads(self, published: Folder) -> None:
        r = rh.run(path=published.path, system=published.system, data_config=published.data_config)
        assert r.status is rh.RunStatus.COMPLETED
        assert r.stdout() == self.expected_stdout
        with pytest.raises(rh.UntrustedStoreError, match=r"rh\.configure\(trusted="):
            r.result()  # a place given ad hoc: its pickles are not run until the user trusts it
        rh.configure(trusted=[f"{published.system}://{published.path}"])
        assert r.result() == self.expected_result

    def test_published_run_trusted_by_its_data_config(self, published: Folder) -> None:
        config = {**published.data_config, "trusted": True}
        r = rh.run(path=published.path, system=published.system, data_config=config)
        assert r.result() == self.expected_result

    def test_listing(self, published: Folder) -> None:
        assert layout.CONFIG_FILE in published.files()
        assert published.exists()

    def test_writes_are_refused(self, published: Folder) -> None:
        for attempt in (
            lambda: published.write_bytes("x", b"x"),
            lambda: published.publish(layout.CONFIG_FILE, b"{}"),
            lambda: published.create("lease", b"x"),
            lambda: published.rm(),
        ):
            with pytest.raises(ReadOnlySystemError, match="read-only"):
                attempt()
        assert layout.CONFIG_FILE in published.files()

    def test_copy_out_to_local(self, published: Folder, tmp_path) -> None:
        r = rh.run(path=published.path, system=published.system, data_config=published.data_config)
        copy = r.to("file", path=str(tmp_path / "copy"))
        again = rh.run(path=str(tmp_path / "copy"))
        for handle in (copy, again):  # a copy keeps its origin's trust, even on the local disk
            with pytest.raises(rh.UntrustedStoreError, match="copied from"):
                handle.result()
        rh.configure(trusted=[published.system])
        assert again.result() == self.expected_result

    # -- secrets ---------------------------------------------------------------------------

    def test_every_declared_secret_field_is_kept_out(self, published: Folder) -> None:
        """As :meth:`FilesystemContract.test_every_declared_secret_field_is_kept_out`."""
        check_declared_secret_fields(published)

    secret_sentinels: Mapping[str, Any] = {}
    """As :attr:`FilesystemContract.secret_sentinels` (e.g. a ``token`` for a server that
    serves anyone)."""

    def test_no_secret_reaches_a_copy_a_log_an_error_or_a_page(
        self, published: Folder, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture,
    ) -> None:
        """The published Run loaded and copied out (the copy saved by name) with
        ``data_config``'s secrets, and a refused read, write and copy: none of their values
        is in a copied byte, a file of this machine's test home, rhcore's log records, an
        error's text, or what the Run and its folder show of themselves."""
        config = {**published.data_config, **self.secret_sentinels}
        secrets = _secrets_given(config, published.spec.secret_fields)
        if not secrets:
            pytest.skip(f"{type(self).__name__}: the published folder's data_config holds no secret to "
                        "look for: give some in secret_sentinels")
        caplog.set_level(logging.DEBUG, logger="rhcore")
        folder = Folder.normalised(published.path, published.system, config)
        r = rh.run(path=folder.path, system=folder.system, data_config=config)
        copy = r.to("file", path=str(tmp_path / "copied"))
        copy.save("copied")  # the published Run itself cannot take a name: it is read-only
        seen: dict[str, str | bytes] = {
            "the registry entry": json.dumps(rh.load("copied", instantiate=False), default=str),
            f"the config of {r!r}": json.dumps([r.run_config, r.config_for_rns], default=str),
            "what the Run and its folder show": f"{r!r} {r} {r.folder!r} {copy!r}",
        }
        attempts = {
            "a read": lambda: folder.read_bytes("absent"),
            "a write": lambda: folder.write_bytes("x", b"x"),
            "a copy": lambda: copy.to(folder.system, path=folder.join("again"), data_config=config),
        }
        for what, attempt in attempts.items():
            with pytest.raises(Exception) as refused:
                attempt()
            seen[f"the error of {what}"] = failure_text(refused)
        seen.update(local_files(copy.folder.path))
        _assert_nothing_leaked(secrets, seen, tmp_path, caplog, capsys)
