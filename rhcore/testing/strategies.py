"""Hypothesis strategies for rhcore's inputs: run names (valid and not), Run configs and
payloads. Plugin authors use them to fuzz their systems with what rhcore will send."""

from __future__ import annotations

import unicodedata
from typing import Any

from hypothesis import strategies as st

from rhcore import layout
from rhcore.status import RunStatus, RunType

_NAME_ALPHABET = st.characters(
    codec="utf-8",
    categories=("Lu", "Ll", "Nd", "Pc", "Pd", "Lo"),
    include_characters="-_.@^+=~",
)


def run_names(max_size: int = 40) -> st.SearchStrategy[str]:
    """Names rhcore accepts for Runs and resources."""
    return (
        st.text(_NAME_ALPHABET, min_size=1, max_size=max_size)
        .map(lambda n: unicodedata.normalize("NFC", n))  # the form rhcore keeps names in
        .filter(lambda n: not layout._name_problem(n))
    )


def invalid_run_names() -> st.SearchStrategy[Any]:
    """Names rhcore must refuse before writing anything."""
    fixed = st.sampled_from(
        ["", " ", "\t", ".", "..", "../up", "a/b", "/abs", "a\\b", "a..b", "nul\x00byte",
         "line\nbreak", "bell\x07", " lead", "trail ", "x" * (layout.MAX_NAME_BYTES + 1), ".hidden",
         "evil\u202etxt.exe", "zero\u200bwidth", "\ufeffbom"]
    )
    with_separator = st.builds(
        lambda a, sep, b: a + sep + b, run_names(10), st.sampled_from(["/", "\\", ".."]), run_names(10)
    )
    with_control = st.builds(
        lambda a, c, b: a + c + b,
        run_names(10),
        st.characters(categories=("Cc",)),
        run_names(10),
    )
    return st.one_of(fixed, with_separator, with_control, st.integers())


_json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=30),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def run_configs() -> st.SearchStrategy[dict[str, Any]]:
    """Config dicts shaped like the ones Runs store (``config_for_run.json``)."""
    return st.fixed_dictionaries(
        {
            "name": run_names(),
            "resource_type": st.just("run"),
            "status": st.sampled_from([s.value for s in RunStatus]),
            "run_type": st.sampled_from([t.value for t in RunType]),
            "start_time": st.one_of(st.none(), st.just(layout.now_iso())),
            "end_time": st.none(),
            "fn_name": st.one_of(st.none(), st.text(max_size=20)),
            "cmds": st.one_of(st.none(), st.lists(st.text(max_size=20), max_size=3)),
            "upstream_artifacts": st.lists(run_names(), max_size=3),
            "downstream_artifacts": st.lists(run_names(), max_size=3),
            "error": st.one_of(st.none(), st.text(max_size=40)),
            "metadata": st.dictionaries(st.text(min_size=1, max_size=10), json_values, max_size=3),
        }
    )


def payloads(max_size: int = 64 * 1024) -> st.SearchStrategy[bytes]:
    """Byte strings to store: empty, small, and up to ``max_size``."""
    return st.one_of(st.binary(max_size=64), st.binary(max_size=max_size))
