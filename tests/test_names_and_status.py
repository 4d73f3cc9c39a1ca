"""Names are validated before anything is written; the status machine refuses illegal moves."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rhcore as rh
from rhcore.status import TRANSITIONS, can_transition, check_transition
from rhcore.testing import invalid_run_names, run_names


@given(name=run_names())
def test_valid_names_are_accepted(name):
    run = rh.Run(name=name, dryrun=True)
    assert run.name == name
    assert os.path.basename(run.path) == name


@settings(max_examples=200)
@given(name=invalid_run_names())
def test_invalid_names_are_refused_before_anything_is_written(name):
    before = set(os.listdir("."))
    with pytest.raises(rh.InvalidNameError):
        rh.run(name=name)
    with pytest.raises(rh.InvalidNameError):
        rh.Run(name=name)
    assert set(os.listdir(".")) == before


@pytest.mark.parametrize(
    "name, reason",
    [("", "empty"), ("a/b", "separator"), ("a\\b", "separator"), ("..", "'..'"),
     ("x\x00y", "control"), ("\n", "empty")],
)
def test_invalid_name_errors_say_why(name, reason):
    with pytest.raises(rh.InvalidNameError, match=reason):
        rh.run(name=name)


def test_save_refuses_invalid_names():
    with rh.run(name="fine") as r:
        pass
    with pytest.raises(rh.InvalidNameError):
        r.save("../escape")
    assert r.name == "fine"


def test_legal_transitions():
    S = rh.RunStatus
    assert check_transition(S.NOT_STARTED, S.RUNNING) is S.RUNNING
    assert check_transition(S.NOT_STARTED, S.CANCELLED) is S.CANCELLED
    for end in (S.COMPLETED, S.ERROR, S.CANCELLED):
        assert check_transition(S.RUNNING, end) is end
        assert end.is_final


@given(old=st.sampled_from(rh.RunStatus), new=st.sampled_from(rh.RunStatus))
def test_every_illegal_transition_is_refused(old, new):
    legal = new in TRANSITIONS[old]
    assert can_transition(old, new) is legal
    if legal:
        check_transition(old, new)
    else:
        with pytest.raises(rh.IllegalTransitionError, match=f"from {old.value} to {new.value}"):
            check_transition(old, new)


def test_finished_runs_never_go_back_to_running():
    for end in (rh.RunStatus.COMPLETED, rh.RunStatus.ERROR, rh.RunStatus.CANCELLED):
        with pytest.raises(rh.IllegalTransitionError, match="it has ended"):
            check_transition(end, rh.RunStatus.RUNNING, run_name="done")


@pytest.mark.parametrize(
    ("name", "reason"),
    [(".hidden", "starts with '.'"), ("invoice\u202etxt.exe", "U\\+202E"), ("zero\u200bwidth", "U\\+200B"),
     ("\ufeffbom", "U\\+FEFF")],
)
def test_names_that_would_mislead_are_refused(name, reason):
    with pytest.raises(rh.InvalidNameError, match=reason):
        rh.run(name=name)


def test_names_are_kept_in_their_composed_form():
    decomposed = "cafe\u0301"  # e + a combining accent: looks like the composed "café"
    with rh.run(name=decomposed) as r:
        pass
    assert r.name == "caf\u00e9" and os.path.basename(r.path) == "caf\u00e9"
    assert rh.run(name="caf\u00e9").status is rh.RunStatus.COMPLETED
