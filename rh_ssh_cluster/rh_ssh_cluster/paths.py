"""Paths on an SSH host."""

from __future__ import annotations


def home_relative(path: str) -> str:
    """``~`` → ``.`` and ``~/a`` → ``a``.

    SFTP servers resolve relative paths against the login user's home folder, so this is
    ``~`` resolved on the host itself, whoever logs in; other paths are unchanged.
    """
    if path == "~":
        return "."
    if path.startswith("~/"):
        return path[2:].lstrip("/") or "."
    return path
