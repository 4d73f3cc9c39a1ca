"""The exported state machine of the status machine and the store, on the local disk with
more examples than the contract runs on slower systems."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from rhcore.folder import Folder
from rhcore.testing.stateful import run_store_machine


def test_run_store_machine_on_the_local_disk(tmp_path):
    machine = run_store_machine(Folder(str(tmp_path / "store"), "file"))
    thorough = settings(max_examples=150, stateful_step_count=30, deadline=None,
                        suppress_health_check=list(HealthCheck))
    run_state_machine_as_test(machine, settings=thorough)
