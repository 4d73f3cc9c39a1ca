"""Writes that make their missing folders, for both of this plugin's filesystems."""

from __future__ import annotations

from typing import Any


class MakesParents:
    """A filesystem mixin: opening a file for writing in a folder that is missing makes the
    folder first, as sshfs's filesystem does and fsspec's own tests expect — only when it
    is missing, so a write into an existing folder costs no extra round trip."""

    def _open(self, path: str, mode: str = "rb", block_size: Any = None, **kwargs: Any) -> Any:
        try:
            return self._open_here(path, mode, block_size, **kwargs)
        except FileNotFoundError:
            if not any(flag in mode for flag in "wax"):
                raise
            self.makedirs(self._parent(path), exist_ok=True)
            return self._open_here(path, mode, block_size, **kwargs)

    def _open_here(self, path: str, mode: str, block_size: Any, **kwargs: Any) -> Any:
        """Open ``path`` in a folder that exists: the filesystem's own ``_open``, unless a
        subclass opens some files its own way."""
        return super()._open(path, mode, block_size, **kwargs)
