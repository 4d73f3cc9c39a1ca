"""The README's examples run against the session's sshd (with its host settings, and
folders of their own in the login user's home)."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import uuid
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.fixture
def home_folder(sshd):
    name = f".rh-ssh-readme-{uuid.uuid4().hex[:10]}"
    yield name
    shutil.rmtree(os.path.join(pwd.getpwnam(sshd.username).pw_dir, name), ignore_errors=True)


def test_use_example(sshd, home_folder):
    block = python_blocks()[0]
    code, replaced = re.subn(r"host = \{.*?\n\}\n", "", block, flags=re.S)
    assert replaced == 1
    scope = {"host": sshd.data_config}
    exec(code.replace("~/runs/", f"~/{home_folder}/"), scope)
    assert scope["r"].stdout() == "hello"
    assert scope["copy"].path == f"{home_folder}/copied"
    assert scope["copy"].stdout() == "hello"


def test_connection_example(sshd):
    scope = {"host": sshd.data_config}
    exec(python_blocks()[1], scope)
    assert scope["out"].read().startswith(b"Python 3")
