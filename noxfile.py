"""The test matrix: one session per distribution, each starting only the servers it needs.

    nox            # lint and every test session (what CI runs)
    nox -s core    # the core and the file system
    nox -s s3      # rh-s3 against a moto S3 server
    nox -s ssh     # rh-ssh-cluster against a real OpenSSH sshd on 127.0.0.1
    nox -s gs      # plugins/rh_gs against fake-gcs-server
    nox -s azure   # plugins/rh_azure against Azurite (installed from npm)
    nox -s github  # plugins/rh_github against a GitHub API server
    nox -s integration  # across plugins: an SSH host's Runs to and from S3
    nox -s ray     # plugins/rh_ray against a local Ray head
    nox -s faults  # faults: a full disk (a small tmpfs; needs root), corrupt records
    nox -s wheels  # wheels of every distribution; rhcore[s3,ssh] installed from them
    nox -s demo    # the quickstart on a fresh install
    nox -s bench   # benchmarks (not part of the tests)
"""

from __future__ import annotations

import os
import shutil

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = [
    "lint", "core", "s3", "ssh", "gs", "azure", "github", "integration", "ray", "faults", "wheels", "demo",
]
nox.options.error_on_missing_interpreters = False


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over every package, test and script; import-linter over the core's layers
    (pyproject.toml: each layer imports only the layers below it)."""
    session.install("ruff", "import-linter")
    session.run("ruff", "check", ".")
    session.run("lint-imports")


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
def ssh(session: nox.Session) -> None:
    """rh-ssh-cluster (systems sftp and ssh) against a real sshd (needs openssh-server)."""
    session.install("-e", ".[testing]", "-e", "./rh_ssh_cluster")
    session.run("pytest", "rh_ssh_cluster/tests", *session.posargs)


@nox.session
def gs(session: nox.Session) -> None:
    """plugins/rh_gs against a real GCS server (fake-gcs-server, started by the tests)."""
    session.install("-e", ".[testing]", "-e", "./plugins/rh_gs[testing]")
    session.run("pytest", "plugins/rh_gs/tests", *session.posargs)


AZURITE = "azurite@3.37.0"
AZURITE_MAIN = ".services/node/node_modules/azurite/dist/src/blob/main.js"


@nox.session
def azure(session: nox.Session) -> None:
    """plugins/rh_azure against a real Azure Blob server (Azurite from npm, started by the
    tests; needs Node.js)."""
    _install_azurite(session)
    session.install("-e", ".[testing]", "-e", "./plugins/rh_azure[testing]")
    session.run("pytest", "plugins/rh_azure/tests", *session.posargs)


def _install_azurite(session: nox.Session) -> None:
    if not os.path.exists(AZURITE_MAIN):
        session.run("npm", "install", "--no-audit", "--no-fund", "--loglevel", "error",
                    "--prefix", ".services/node", AZURITE, external=True)


@nox.session
def github(session: nox.Session) -> None:
    """plugins/rh_github against a GitHub API server on 127.0.0.1 (started by the tests)."""
    session.install("-e", ".[testing]", "-e", "./plugins/rh_github[testing]")
    session.run("pytest", "plugins/rh_github/tests", *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """What crosses plugins (Runs between any two writable systems; an SSH host's Runs on
    S3), against sshd, moto, fake-gcs-server and Azurite."""
    _install_azurite(session)
    session.install("-e", ".[testing]", "-e", "./rh_s3", "-e", "./rh_ssh_cluster", "moto[server]",
                    "-e", "./plugins/rh_gs[testing]", "-e", "./plugins/rh_azure[testing]")
    session.run("pytest", "tests_integration", *session.posargs)


@nox.session
def ray(session: nox.Session) -> None:
    """plugins/rh_ray against a real local Ray head (started and stopped by the tests), with
    Run folders on the local disk and on S3 (a moto server)."""
    session.install("-e", ".[testing]", "-e", "plugins/rh_ray", "-e", "./rh_s3", "moto[server]")
    session.run("pytest", "plugins/rh_ray/tests", *session.posargs)


@nox.session
def faults(session: nox.Session) -> None:
    """Faults as a suite of their own: a full disk (a 5 MiB tmpfs, mounted by the tests:
    needs root, as CI has), kill -9 at each step of a Run, corrupt records, and hostile
    stores (the local disk and a moto S3 server)."""
    session.install("-e", ".[testing]", "-e", "./rh_s3", "moto[server]")
    session.run("pytest", "tests_faults", *session.posargs)


DISTRIBUTIONS = [
    ".", "rh_s3", "rh_ssh_cluster",
    "plugins/rh_gs", "plugins/rh_azure", "plugins/rh_github", "plugins/rh_ray",
]


@nox.session
def wheels(session: nox.Session) -> None:
    """Build a wheel of every distribution, install rhcore[s3,ssh] from that wheelhouse
    into this fresh environment — the install a user does — and smoke-test it."""
    wheelhouse = session.create_tmp() + "/wheelhouse"
    shutil.rmtree(wheelhouse, ignore_errors=True)
    session.install("build")
    for dist in DISTRIBUTIONS:
        session.run("python", "-m", "build", "--wheel", "--outdir", wheelhouse, dist, silent=True)
    session.install("--no-cache", "--find-links", wheelhouse, "rhcore[s3,ssh]")
    session.run("python", "tests/smoke_install.py")


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
    session.install("-e", ".", "-e", "./rh_s3", "-e", "./rh_ssh_cluster", "-e", "plugins/rh_ray",
                    "moto[server]", "joblib")
    for script in ("core", "functions", "s3", "ssh", "ray"):
        session.run("python", f"bench/bench_{script}.py")
