"""The test matrix: one session per distribution, each starting only the servers it needs.

    nox            # every test session (what CI runs)
    nox -s core    # the core and the file system
    nox -s s3      # rh-s3 against a moto S3 server
    nox -s demo    # the quickstart on a fresh install
    nox -s bench   # benchmarks (not part of the tests)
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["core", "s3", "demo"]
nox.options.error_on_missing_interpreters = False


@nox.session
def core(session: nox.Session) -> None:
    """rhcore and its file system: unit, property, contract and spec-example tests."""
    session.install("-e", ".[testing]")
    session.run("pytest", "tests", *session.posargs)


@nox.session
def s3(session: nox.Session) -> None:
    """rh-s3 against a real S3 server (moto, started by the tests on a free port)."""
    session.install("-e", ".[testing]", "-e", "./rh_s3", "moto[server]")
    session.run("pytest", "rh_s3/tests", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The README's first command: install, then run the quickstart in an empty folder."""
    session.install(".")
    tmp = session.create_tmp()
    session.chdir(tmp)
    session.run("python", f"{session.invoked_from}/examples/quickstart.py", env={"HOME": tmp})


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against their baselines (prints numbers; not a test)."""
    session.install("-e", ".", "-e", "./rh_s3", "moto[server]")
    session.run("python", "bench/bench_core.py")
    session.run("python", "bench/bench_s3.py")
