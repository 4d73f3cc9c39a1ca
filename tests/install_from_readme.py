"""A new user's install, as ``nox -s install`` runs it: the README's install commands,
literally, in a copy of this checkout, with this interpreter as ``python3`` and an empty
home; then an install hint taken from an error message, run as it says; then the S3 and
SSH examples against a moto server and an sshd on 127.0.0.1.

    python tests/install_from_readme.py        # from the checkout's top; needs rh-s3[testing]
                                               # and rh-ssh-cluster here, for the servers
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rh_s3.testing import MotoServer
from rh_ssh_cluster.testing import SSHServer

REPO = Path(__file__).resolve().parent.parent
HINT_PLUGIN = "github"  # a plugin the README's commands leave out: its hint is run as given


def install_block(readme: str) -> str:
    """The README's ``sh`` block marked ``<!-- nox: install -->`` (rhcore.testing.readme)."""
    block = re.search(r"^<!-- nox: install -->\n```sh\n(.*?)^```", readme, re.S | re.M)
    assert block, "README.md: no ```sh block marked <!-- nox: install -->"
    return block.group(1)


def copy_checkout(to: Path) -> None:
    """The files git knows of (tracked, or new and not ignored), as a fresh clone would have
    them, with the work tree's changes."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, check=True, capture_output=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree
        (to / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, to / name, follow_symlinks=False)


def shell(script: str, cwd: Path, env: dict[str, str]) -> None:
    print(f"$ {script.strip()}", flush=True)
    subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, check=True)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="rh-install-"))
    checkout, home, bin_dir = tmp / "checkout", tmp / "home", tmp / "bin"
    for folder in (checkout, home, bin_dir):
        folder.mkdir()
    copy_checkout(checkout)
    # python3 is this interpreter (its base, not this environment); nothing else of ours.
    (bin_dir / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))
    here = Path(sys.executable).parent
    path = [p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != here]
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("VIRTUAL_ENV", "PYTHON", "CONDA", "RHCORE_"))}
    env.update(PATH=os.pathsep.join([str(bin_dir), *path]), HOME=str(home),
               PIP_CACHE_DIR=str(Path.home() / ".cache" / "pip"))

    commands = install_block((checkout / "README.md").read_text())
    shell(commands, checkout, env)  # one shell, as typed: `. .venv/bin/activate` carries on

    venv = checkout / ".venv"
    python = str(venv / "bin" / "python")
    assert os.path.exists(python), "the README's commands made no .venv"
    active = dict(env, VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")

    # An error that names a missing plugin gives the command that installs it: run that.
    message = subprocess.run(
        [python, "-c", f"import rhcore as rh\ntry: rh.run(name='x', system={HINT_PLUGIN!r}, path='a/b')\n"
                       "except rh.UnknownSystemError as e: print(e)"],
        cwd=tmp, env=active, check=True, capture_output=True, text=True).stdout.strip()
    print(message)
    hint = re.search(r"is provided by [\w-]+: (.*)$", message)
    assert hint, f"no install hint in: {message}"
    shell(hint.group(1), tmp, active)
    subprocess.run([python, "-c", "from rhcore.plugins import get_plugins\n"
                                  f"assert {HINT_PLUGIN!r} in get_plugins().systems"],
                   cwd=tmp, env=active, check=True)

    # The examples, from the fresh environment, against real servers started from this one.
    work = tmp / "work"
    work.mkdir()
    with MotoServer.start() as s3:
        s3.create_bucket("examples")
        shell(f"{shlex.quote(python)} {checkout}/examples/s3_runs.py examples/runs", work,
              dict(active, **s3.environment()))
    sshd = SSHServer.start(tmp / "sshd")
    try:
        shell(f"{shlex.quote(python)} {checkout}/examples/ssh_runs.py {sshd.host} --port {sshd.port}"
              f" --user {sshd.username} --key {sshd.private_key} --known-hosts {sshd.known_hosts}"
              f" --python {shlex.quote(python)} --logs-dir {sshd.dir / 'data' / 'logs'}", work, active)
    finally:
        sshd.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    print("install from the README: the quickstart, an install hint, the S3 and SSH examples passed")


if __name__ == "__main__":
    main()
