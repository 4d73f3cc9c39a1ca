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
    nox -s install # the README's install commands in a fresh venv; quickstart, S3, SSH examples
    nox -s bench   # benchmarks (not part of the tests)

The matrix: core, s3, ssh, gs, azure, github and ray run on each CPython from 3.10 to 3.13
the machine has (PYTHONS; `nox -s core-3.12` picks one; missing ones are skipped, none is
downloaded; pyenv's are found). On the Python running nox (FULL: 3.11 here and on CI) they
run their whole suites; on the others, their contract kits (CONTRACTS), since the whole
suites on four versions take about an hour on this 2-core machine (the ssh suite alone,
with fsspec's, five minutes) against CI's 30-minute budget. `RH_WHOLE_SUITES=1 nox -s
core-3.13` runs a whole suite on another version. A plugin that cannot run on a version says so in
its requires-python, and tests/test_distributions.py holds the classifiers to it.
Sessions that need a system package (sshd, npm) install it with apt-get as root when the
machine lacks it (_system_packages), as on a fresh CI machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = [
    "lint", "core", "s3", "ssh", "gs", "azure", "github", "integration", "ray", "faults", "wheels", "install",
]
nox.options.error_on_missing_interpreters = False
nox.options.download_python = "never"  # every CPython the machine has; none fetched

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
"""What requires-python claims (>=3.10), up to the newest CPython tested."""
FULL = f"{sys.version_info.major}.{sys.version_info.minor}"
"""The version that runs the whole suites: nox's own (CI's python3)."""
if FULL not in PYTHONS:
    FULL = "3.11"
CONTRACTS = {
    "tests": ["tests/test_contract_systems.py", "tests/test_executor_local.py"],
    "rh_s3/tests": ["rh_s3/tests/test_s3_contract.py"],
    "rh_ssh_cluster/tests": ["rh_ssh_cluster/tests/test_contract.py",
                             "rh_ssh_cluster/tests/test_executor.py::TestSSHExecutor"],
    "plugins/rh_gs/tests": ["plugins/rh_gs/tests/test_gs_contract.py"],
    "plugins/rh_azure/tests": ["plugins/rh_azure/tests/test_azure_contract.py"],
    "plugins/rh_github/tests": ["plugins/rh_github/tests/test_github_contract.py"],
    "plugins/rh_ray/tests": ["plugins/rh_ray/tests/test_ray_contract.py"],
}
"""What the other versions run of each suite: the contract kits (rhcore.testing) the
core and each plugin pass against their real servers."""


def _pyenv_interpreters() -> None:
    """Let pyenv's shims answer python3.10 ... python3.13, not only the version pyenv
    selects (which stays first: it is python3), so that nox finds every CPython pyenv has."""
    if not shutil.which("pyenv"):
        return
    try:
        current = os.environ.get("PYENV_VERSION") or subprocess.run(
            ["pyenv", "version-name"], capture_output=True, text=True, check=True).stdout.strip()
        installed = subprocess.run(["pyenv", "versions", "--bare", "--skip-aliases"], capture_output=True,
                                   text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return
    selected = current.split(":")
    wanted = [v for v in installed if ".".join(v.split(".")[:2]) in PYTHONS and v not in selected]
    os.environ["PYENV_VERSION"] = ":".join([*selected, *wanted])


_pyenv_interpreters()


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over every package, test and script; import-linter over the core's layers
    (pyproject.toml: each layer imports only the layers below it)."""
    session.install("ruff", "import-linter")
    session.run("ruff", "check", ".")
    session.run("lint-imports")


def _tests(session: nox.Session, folder: str) -> None:
    """The whole suite of ``folder`` on FULL (or with RH_WHOLE_SUITES=1); on the other
    versions, its contract kits (CONTRACTS). Arguments after ``--`` go to pytest."""
    whole = session.python in (None, FULL) or os.environ.get("RH_WHOLE_SUITES", "") not in ("", "0")
    session.run("pytest", *([folder] if whole else CONTRACTS[folder]), *session.posargs)


@nox.session(python=PYTHONS)
def core(session: nox.Session) -> None:
    """rhcore and its file system: unit, property, contract and spec-example tests."""
    session.install("-e", ".[testing]")
    _tests(session, "tests")


@nox.session(python=PYTHONS)
def s3(session: nox.Session) -> None:
    """rh-s3 against a real S3 server (moto, started by the tests on a free port)."""
    session.install("-e", ".[testing]", "-e", "./rh_s3", "moto[server]")
    _tests(session, "rh_s3/tests")


@nox.session(python=PYTHONS)
def ssh(session: nox.Session) -> None:
    """rh-ssh-cluster (systems sftp and ssh) against a real sshd (openssh-server)."""
    _system_packages(session, "sshd")
    session.install("-e", ".[testing]", "-e", "./rh_ssh_cluster")
    _tests(session, "rh_ssh_cluster/tests")


@nox.session(python=PYTHONS)
def gs(session: nox.Session) -> None:
    """plugins/rh_gs against a real GCS server (fake-gcs-server, started by the tests)."""
    session.install("-e", ".[testing]", "-e", "./plugins/rh_gs[testing]")
    _tests(session, "plugins/rh_gs/tests")


AZURITE = "azurite@3.37.0"
AZURITE_MAIN = ".services/node/node_modules/azurite/dist/src/blob/main.js"


@nox.session(python=PYTHONS)
def azure(session: nox.Session) -> None:
    """plugins/rh_azure against a real Azure Blob server (Azurite from npm, started by the
    tests; needs Node.js)."""
    _install_azurite(session)
    session.install("-e", ".[testing]", "-e", "./plugins/rh_azure[testing]")
    _tests(session, "plugins/rh_azure/tests")


def _install_azurite(session: nox.Session) -> None:
    if not os.path.exists(AZURITE_MAIN):
        _system_packages(session, "npm")
        session.run("npm", "install", "--no-audit", "--no-fund", "--loglevel", "error",
                    "--prefix", ".services/node", AZURITE, external=True)


@nox.session(python=PYTHONS)
def github(session: nox.Session) -> None:
    """plugins/rh_github against a GitHub API server on 127.0.0.1 (started by the tests)."""
    session.install("-e", ".[testing]", "-e", "./plugins/rh_github[testing]")
    _tests(session, "plugins/rh_github/tests")


@nox.session
def integration(session: nox.Session) -> None:
    """What crosses plugins (Runs between any two writable systems; an SSH host's Runs on
    S3), against sshd, moto, fake-gcs-server and Azurite."""
    _system_packages(session, "sshd")
    _install_azurite(session)
    session.install("-e", ".[testing]", "-e", "./rh_s3", "-e", "./rh_ssh_cluster", "moto[server]",
                    "-e", "./plugins/rh_gs[testing]", "-e", "./plugins/rh_azure[testing]")
    session.run("pytest", "tests_integration", *session.posargs)


@nox.session(python=PYTHONS)
def ray(session: nox.Session) -> None:
    """plugins/rh_ray against a real local Ray head (started and stopped by the tests), with
    Run folders on the local disk and on S3 (a moto server)."""
    session.install("-e", ".[testing]", "-e", "plugins/rh_ray", "-e", "./rh_s3", "moto[server]")
    _tests(session, "plugins/rh_ray/tests")


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
def install(session: nox.Session) -> None:
    """A new user's install: the README's install commands, literally, in a copy of this
    checkout, in a fresh environment that `python3 -m venv` makes (with its own pip), with
    an empty home; then an install hint from an error message, as it says; then the
    quickstart's, S3 and SSH examples from that environment against a moto server and an
    sshd (started from this session's environment)."""
    _system_packages(session, "sshd")
    session.install("-e", ".[testing]", "-e", "./rh_s3[testing]", "-e", "./rh_ssh_cluster")
    session.run("python", "tests/install_from_readme.py")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against their baselines (prints numbers; not a test)."""
    _system_packages(session, "sshd")
    session.install("-e", ".", "-e", "./rh_s3", "-e", "./rh_ssh_cluster", "-e", "plugins/rh_ray",
                    "moto[server]", "joblib")
    for script in ("core", "functions", "s3", "ssh", "ray"):
        session.run("python", f"bench/bench_{script}.py")


SYSTEM_PACKAGES = {
    "sshd": (("/usr/sbin/sshd", "sshd"), ("openssh-server",)),
    "npm": (("npm",), ("nodejs", "npm")),
}
"""What a session needs from the system -> (where it is found, the Debian packages)."""
_apt_updated = False


def _system_packages(session: nox.Session, *needs: str) -> None:
    """Install the Debian packages for what a session needs and the machine lacks, as root
    (CI, a fresh machine); otherwise stop the session saying what to install."""
    global _apt_updated
    missing = [package for need in needs
               if not any(shutil.which(found) or os.path.exists(found) for found in SYSTEM_PACKAGES[need][0])
               for package in SYSTEM_PACKAGES[need][1]]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        session.error(f"this session needs {' '.join(missing)}: apt-get install -y {' '.join(missing)}")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        session.run("apt-get", "update", "-qq", external=True, env=env)
        _apt_updated = True
    session.run("apt-get", "install", "-y", "-qq", *missing, external=True, env=env)
