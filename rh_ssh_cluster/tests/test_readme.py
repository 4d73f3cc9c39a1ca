"""The SSH examples of this plugin's README and of the main README run against the
session's sshd. The examples' key and known_hosts are where they say, under this test's
HOME (``~/.ssh``); only the host's name, port and user are the session's. Their folders
on the host are of their own, in the login user's home, removed afterwards."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from rhcore.testing.readme import blocks_for

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
MAIN_README = HERE.parent.parent / "README.md"


@pytest.fixture
def ssh_home(sshd, isolated):
    """``~/.ssh/id_ed25519`` and ``~/.ssh/known_hosts`` for the session's sshd."""
    ssh = Path(os.environ["HOME"]) / ".ssh"
    ssh.mkdir(mode=0o700)
    shutil.copy(sshd.private_key, ssh / "id_ed25519")
    shutil.copy(sshd.known_hosts, ssh / "known_hosts")
    return ssh


@pytest.fixture
def unique(sshd):
    """A name of this test's own; afterwards, what has it on the host is removed."""
    name = f"rh-readme-{uuid.uuid4().hex[:10]}"
    yield name
    home = pwd.getpwnam(sshd.username).pw_dir
    shutil.rmtree(os.path.join(home, f".{name}"), ignore_errors=True)
    for path in (f".rh/logs/{name}", f".rh/logs/.{name}.rhcore"):
        shutil.rmtree(os.path.join(home, path), ignore_errors=True)


def session_host(sshd, **more: str) -> dict[str, str]:
    """The examples' host, port and user, replaced by the session's sshd's."""
    return {'"gpu-box.example.com"': repr(sshd.host), '"port": 22': f'"port": {sshd.port}',
            '"alice"': repr(sshd.username), **more}


def test_use_example(sshd, ssh_home, unique):
    use, _ = blocks_for(README, __file__)
    scope = use.run_python(replace=session_host(sshd, **{"~/runs/": f"~/.{unique}/"}))
    assert scope["r"].stdout() == "hello"
    assert scope["copy"].path == f".{unique}/copied"
    assert scope["copy"].stdout() == "hello"


def test_connection_example(sshd, ssh_home):
    _, connection = blocks_for(README, __file__)
    scope = connection.run_python(replace=session_host(sshd))
    assert scope["out"].read().startswith(b"Python 3")


def test_the_main_readmes_ssh_example(sshd, ssh_home, unique, isolated):
    (block,) = blocks_for(MAIN_README, __file__)
    scope = block.run_python(replace={'"10.0.0.5"': repr(sshd.host), "ssh_port=22": f"ssh_port={sshd.port}",
                                      '"me"': repr(sshd.username), "train-v1": unique,
                                      'python="python3"': f"python={sys.executable!r}"})
    run = scope["cpu"].get_run(unique)
    assert run.result() == 2.8 and run.stdout() == "training on 5 rows"
    assert run.path == f"{pwd.getpwnam(sshd.username).pw_dir}/.rh/logs/{unique}"
    assert (isolated / "rh" / unique / "config_for_run.json").exists()  # copied here
    logs = subprocess.run([sys.executable, "-m", "rhcore.cli", "logs", "cpu", unique],
                          capture_output=True, text=True, timeout=60)
    assert logs.returncode == 0, logs.stderr
    assert "training on 5 rows" in logs.stdout
