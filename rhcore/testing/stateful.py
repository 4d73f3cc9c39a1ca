"""The status machine and the store as a hypothesis state machine, through the public API.

:func:`run_store_machine` builds a ``RuleBasedStateMachine`` that creates, starts,
finishes, re-runs, refreshes, saves, loads, copies and deletes Runs in a folder of any
writable system, with names and payloads hypothesis draws (unicode included), checking
after every step that what the store says matches a model:

* one live execution per name: starting a Run whose name is RUNNING is refused
  (:class:`~rhcore.RunInProgressError`) and changes nothing;
* a final status never changes: ending a Run again is refused
  (:class:`~rhcore.IllegalTransitionError`);
* nothing is overwritten: a re-run keeps each earlier attempt readable
  (:meth:`~rhcore.Run.attempts`), with its status and its output;
* bytes written into a Run come back unchanged, and a copy of a Run is the same Run.

``FilesystemContract`` runs it against every storage plugin's real backend.
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, precondition, rule

import rhcore as rh
from rhcore.folder import Folder
from rhcore.testing.strategies import payloads, run_names

S = rh.RunStatus
_ENDINGS = {S.COMPLETED: None, S.ERROR: ValueError("bad input"), S.CANCELLED: KeyboardInterrupt()}


def run_store_machine(place: Folder) -> type[RuleBasedStateMachine]:
    """A state machine class whose Runs live under ``place`` (a Folder on the system under
    test); run it with ``hypothesis.stateful.run_state_machine_as_test``."""

    class RunStore(RuleBasedStateMachine):
        names = Bundle("names")

        def __init__(self) -> None:
            super().__init__()
            self.root = place.child(f"m-{uuid.uuid4().hex[:10]}")
            self.open: dict[str, rh.Run] = {}  # name -> the handle of its live block
            self.model: dict[str, dict[str, Any]] = {}

        # -- helpers --

        def at(self, name: str) -> dict[str, Any]:
            return {"path": self.root.join(name), "system": self.root.system,
                    "data_config": self.root.data_config}

        def handle(self, name: str) -> rh.Run:
            return rh.run(name=name, load=False, **self.at(name)) if not self.model[name]["attempts"] \
                else rh.run(**self.at(name))

        def teardown(self) -> None:
            for run in self.open.values():
                run.__exit__(None, None, None)
            self.root.rm()

        # -- rules --

        @precondition(lambda self: len(self.model) < 3)  # few names: they get re-run, copied, saved
        @rule(target=names, name=run_names(16))
        def new_name(self, name: str):
            if name in self.model:
                return multiple()
            self.model[name] = {"attempts": 0, "status": S.NOT_STARTED, "outputs": [], "saved": False,
                                "payload": None}
            return name

        @precondition(lambda self: self.model)
        @rule(name=names, line=st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Z")),
                                       min_size=1, max_size=20))
        def start(self, name: str, line: str):
            model = self.model[name]
            if name in self.open:
                return
            run = self.handle(name)
            run.__enter__()
            print(line)  # captured by every open Run: nested Runs share their output
            self.open[name] = run
            model["attempts"] += 1
            model["status"] = S.RUNNING
            model["outputs"].append([])
            model["payload"] = None
            for open_name in self.open:
                self.model[open_name]["outputs"][-1].append(line)

        @rule(name=names)
        def a_second_start_is_refused(self, name: str):
            if name not in self.open:
                return
            other = rh.run(**self.at(name))
            try:
                other.__enter__()
            except rh.RunInProgressError as refused:
                assert name in str(refused)
            else:  # pragma: no cover - the contract's failure
                other.__exit__(None, None, None)
                raise AssertionError(f"a second execution of the RUNNING Run {name!r} was started")
            assert other.refresh().status is S.RUNNING and other.attempt == self.model[name]["attempts"]

        @rule(name=names, outcome=st.sampled_from(list(_ENDINGS)))
        def finish(self, name: str, outcome: rh.RunStatus):
            run = self.open.pop(name, None)
            if run is None:
                return
            error = _ENDINGS[outcome]
            run.__exit__(type(error) if error is not None else None, error, None)
            assert run.status is outcome
            self.model[name]["status"] = outcome

        @rule(name=names)
        def a_final_status_stays_final(self, name: str):
            model = self.model[name]
            if name in self.open or not model["status"].is_final:
                return
            run = rh.run(**self.at(name))
            try:
                run.__exit__(None, None, None)  # an end without a start: refused, the Run unchanged
            except rh.IllegalTransitionError:
                pass
            else:  # pragma: no cover - the contract's failure
                raise AssertionError(f"{model['status']} Run {name!r} was ended again")
            assert run.refresh().status is model["status"]

        @rule(name=names, payload=payloads(4096))
        def write(self, name: str, payload: bytes):
            if not self.model[name]["attempts"]:
                return
            rh.run(**self.at(name)).write(payload, "payload.bin")
            self.model[name]["payload"] = payload

        @rule(name=names)
        def save(self, name: str):
            if not self.model[name]["attempts"]:
                return
            rh.run(**self.at(name)).save()
            self.model[name]["saved"] = True

        @rule(name=names)
        def copy_out_and_back(self, name: str):
            model = self.model[name]
            if not model["status"].is_final:
                return
            run = rh.run(**self.at(name))
            copy = run.to(self.root.system, path=self.root.join(".copies", name),
                          data_config=self.root.data_config)
            assert copy.run_config == run.run_config
            assert copy.stdout() == run.stdout()

        # -- what the store must say --

        @invariant()
        def store_matches_model(self):
            for name, model in self.model.items():
                if not model["attempts"]:
                    continue
                run = rh.run(**self.at(name))
                assert run.name == name
                assert run.status is model["status"], (name, run.status, model["status"])
                assert run.attempt == model["attempts"]
                if name not in self.open:
                    assert run.stdout() == "\n".join(model["outputs"][-1]).strip()
                if model["payload"] is not None:
                    assert run.folder.read_bytes("payload.bin") == model["payload"]
                earlier = run.attempts()
                assert [a.attempt for a in earlier] == list(range(1, model["attempts"]))
                printed = ["\n".join(lines).strip() for lines in model["outputs"][:-1]]
                assert [a.stdout() for a in earlier] == printed
                assert all(a.status.is_final for a in earlier)
                if model["saved"]:
                    assert rh.exists(name, resource_type="run")

    return RunStore
