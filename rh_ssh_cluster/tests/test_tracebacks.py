"""A function that fails on the SSH host shows, in its error and its Run, the caller's file
and line, and the line itself — even when the host has no such file."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import uuid

import pytest

import rhcore as rh


def fail_here(message):
    raise ValueError(message)  # the line the traceback must name


FAIL_LINE = fail_here.__code__.co_firstlineno + 1


@pytest.fixture
def cpu(sshd):
    return rh.cluster(
        name="tb_cpu", ips=[sshd.host], ssh_port=sshd.port, python=sys.executable,
        ssh_creds={"ssh_user": sshd.username, "ssh_private_key": sshd.private_key,
                   "known_hosts": sshd.known_hosts},
        logs_dir=str(sshd.dir / "data" / "logs"),
    )


def test_a_function_of_this_file_fails_with_this_file_and_line(cpu):
    with pytest.raises(ValueError, match="bad input") as excinfo:
        rh.function(fail_here).to(cpu)("bad input", run_name="tb_ssh")
    where = f'File "{__file__}", line {FAIL_LINE}, in fail_here\n    raise ValueError(message)'
    assert where in str(excinfo.value)
    assert where in cpu.get_run("tb_ssh").error_traceback
    assert "<dynamic-code>" not in str(excinfo.value)


def test_the_line_is_shown_where_the_host_lacks_the_file(cpu, tmp_path):
    name = f"rh_tb_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent("""\
        def divide(x):
            return 1 / x  # divides by x
        """))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    f = rh.function(module.divide).to(cpu)
    assert f.pickled  # pickled now: the host gets the code, and the lines it spans
    path.unlink()
    with pytest.raises(ZeroDivisionError) as excinfo:
        f(0, run_name="tb_ssh_gone")
    where = f'File "{path}", line 2, in divide\n    return 1 / x  # divides by x'
    assert where in str(excinfo.value)
    assert where in cpu.get_run("tb_ssh_gone").error_traceback
