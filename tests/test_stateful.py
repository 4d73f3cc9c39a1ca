"""Stateful property tests: random sequences of Run operations against a model.

The store machine creates, starts, finishes, moves, refreshes, saves, loads and deletes
Runs through the public API, checking after every step that what storage says matches
the model — including that an illegal status change is refused and changes nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    precondition,
    rule,
)

import rhcore as rh
from rhcore import settings as rh_settings
from rhcore.errors import IllegalTransitionError
from rhcore.status import TRANSITIONS, RunStatus
from rhcore.testing import run_names

S = RunStatus


class RunStore(RuleBasedStateMachine):
    names = Bundle("names")

    def __init__(self) -> None:
        super().__init__()
        self.root = tempfile.mkdtemp(prefix="rhcore-stateful-")
        rh_settings.configure(registry=os.path.join(self.root, "registry"))
        self.runs: dict[str, rh.Run] = {}
        self.model: dict[str, dict] = {}  # name -> {"status", "saved", "exists"}

    def teardown(self) -> None:
        for run in self.runs.values():
            if run._capture_token is not None:
                run.__exit__(None, None, None)
        rh_settings.reset()
        shutil.rmtree(self.root, ignore_errors=True)

    def path(self, name: str) -> str:
        return os.path.join(self.root, "runs", name)

    @rule(target=names, name=run_names(12))
    def create(self, name):
        if name in self.runs:
            return multiple()
        self.runs[name] = rh.run(name=name, path=self.path(name), load=False)
        self.model[name] = {"status": S.NOT_STARTED, "saved": False, "exists": False}
        return name

    @rule(name=names)
    def start(self, name):
        run, model = self.runs[name], self.model[name]
        if model["status"] is not S.NOT_STARTED:
            return
        run.__enter__()
        model.update(status=S.RUNNING, exists=True)

    @rule(name=names, outcome=st.sampled_from([S.COMPLETED, S.ERROR, S.CANCELLED]))
    def finish(self, name, outcome):
        run, model = self.runs[name], self.model[name]
        if model["status"] is not S.RUNNING or run._capture_token is None:
            return
        exc = {S.COMPLETED: None, S.ERROR: ValueError("bad"), S.CANCELLED: KeyboardInterrupt()}[outcome]
        run.__exit__(type(exc) if exc else None, exc, None)
        model["status"] = outcome

    @rule(name=names, new=st.sampled_from(list(RunStatus)))
    def force_transition(self, name, new):
        """Any status change through the status machine: legal ones stick, others are refused."""
        run, model = self.runs[name], self.model[name]
        if not model["exists"] or run._capture_token is not None:
            return
        if new in TRANSITIONS[model["status"]]:
            run._set_status(new)
            model["status"] = new
        else:
            try:
                run._set_status(new)
            except IllegalTransitionError:
                pass
            else:
                raise AssertionError(f"{model['status']} -> {new} was allowed")

    @rule(name=names)
    def refresh(self, name):
        run, model = self.runs[name], self.model[name]
        if model["exists"] or model["status"] is S.NOT_STARTED:
            assert run.refresh().status is model["status"]

    @rule(name=names)
    def save(self, name):
        self.runs[name].save()
        self.model[name]["saved"] = True

    @rule(name=names)
    def load_by_name(self, name):
        model = self.model[name]
        if model["saved"] and model["exists"]:
            assert rh.run(name).status is model["status"]

    @rule(name=names)
    def load_by_path(self, name):
        model = self.model[name]
        if model["exists"]:
            loaded = rh.run(path=self.path(name))
            assert loaded.name == name and loaded.status is model["status"]

    @precondition(lambda self: self.runs)
    @rule(name=consumes(names))
    def delete(self, name):
        run = self.runs.pop(name)
        if run._capture_token is not None:
            run.__exit__(None, None, None)
        run.folder.rm()
        run.delete_configs()
        del self.model[name]
        assert not run.folder.exists()
        assert not rh.exists(name)

    @invariant()
    def storage_matches_model(self):
        for name, model in self.model.items():
            run = self.runs[name]
            assert run.status is model["status"]
            assert run.folder.exists() is model["exists"]
            assert rh.exists(name, resource_type="run") is model["saved"]



RunStore.TestCase.settings = settings(max_examples=75, stateful_step_count=25, deadline=None)
TestRunStore = RunStore.TestCase
