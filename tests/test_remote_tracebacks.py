"""A traceback from a function run by a worker names the caller's file and line, and shows
the line — also for a function pickled by value (a script's, or a module the worker cannot
import), which cloudpickle alone would name ``<dynamic-code>``, and on a machine that does
not have its file."""

from __future__ import annotations

import importlib.util
import linecache
import pickle
import sys
import textwrap
import traceback
import uuid

import cloudpickle
import pytest

import rhcore as rh
from rhcore.execution import shipping


def fail_here(message):
    raise ValueError(message)  # the line a traceback must name


FAIL_LINE = fail_here.__code__.co_firstlineno + 1


def load_module(folder, source: str):
    """A module from a file of its own, loaded under a name no ``import`` finds (so rhcore
    pickles its functions by value), and the path of that file."""
    name = f"rh_shipped_{uuid.uuid4().hex[:8]}"
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(f"hidden.{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module, path


SOURCE = """\
    import functools

    def outer(n):
        def inner(x):
            return 1 / x  # inner divides
        return [inner(i) for i in range(n, -1, -1)]

    def logged(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return fn(*args)
        return wrapper

    @logged
    def decorated(a):
        raise KeyError(a)  # decorated raises
    """


def line_of(text: str) -> int:
    """The line of SOURCE that holds ``text``."""
    return next(n for n, line in enumerate(textwrap.dedent(SOURCE).splitlines(), 1) if text in line)


def frame(path, marker: str, function: str) -> str:
    """How a traceback shows the line of SOURCE holding ``marker``, in ``function``."""
    line = textwrap.dedent(SOURCE).splitlines()[line_of(marker) - 1].strip()
    return f'File "{path}", line {line_of(marker)}, in {function}\n    {line}'


def traceback_text(fn, *args) -> str:
    try:
        fn(*args)
    except Exception as exc:
        return "".join(traceback.format_exception(exc))
    raise AssertionError("did not raise")


def test_plain_cloudpickle_loses_the_file_name(tmp_path):
    module, _ = load_module(tmp_path, SOURCE)
    cloudpickle.register_pickle_by_value(module)
    try:
        copy = cloudpickle.loads(cloudpickle.dumps(module.outer))
    finally:
        cloudpickle.unregister_pickle_by_value(module)
    assert copy.__code__.co_filename in ("<dynamic-code>", module.__file__)  # cloudpickle 3 / 2


def test_shipped_code_keeps_its_file_line_and_source_where_the_file_is_gone(tmp_path):
    module, path = load_module(tmp_path, SOURCE)
    cloudpickle.register_pickle_by_value(module)
    try:
        data = shipping.dumps((module.outer, module.decorated))
    finally:
        cloudpickle.unregister_pickle_by_value(module)
    path.unlink()
    linecache.clearcache()  # as on a host that never had the file

    outer, decorated = pickle.loads(data)
    text = traceback_text(outer, 2)
    assert frame(path, "return [inner", "outer") in text
    assert frame(path, "inner divides", "inner") in text
    assert "<dynamic-code>" not in text
    text = traceback_text(decorated, 7)
    assert frame(path, "decorated raises", "decorated") in text


def test_a_file_that_is_here_is_read_from_here(tmp_path):
    module, path = load_module(tmp_path, SOURCE)
    cloudpickle.register_pickle_by_value(module)
    try:
        data = shipping.dumps(module.outer)
    finally:
        cloudpickle.unregister_pickle_by_value(module)
    linecache.clearcache()
    pickle.loads(data)
    assert str(path) not in shipping._shipped
    assert linecache.getline(str(path), line_of("inner divides")).strip() == "return 1 / x  # inner divides"


def test_a_function_of_this_file_fails_with_this_file_and_line():
    with pytest.raises(ValueError, match="bad input") as excinfo:
        rh.function(fail_here)("bad input", run_name="tb_local")
    where = f'File "{__file__}", line {FAIL_LINE}, in fail_here\n    raise ValueError(message)'
    assert where in str(excinfo.value)
    assert where in rh.cluster("local").get_run("tb_local").error_traceback


def test_a_function_pickled_by_value_names_its_file_after_the_file_is_gone(tmp_path):
    module, path = load_module(tmp_path, SOURCE)
    f = rh.function(module.outer)
    assert f.pickled  # pickled now, by value: no import finds its module
    path.unlink()
    with pytest.raises(ZeroDivisionError) as excinfo:
        f(1, run_name="tb_by_value")
    where = frame(path, "inner divides", "inner")
    assert where in str(excinfo.value)
    assert where in rh.cluster("local").get_run("tb_by_value").error_traceback
