"""Byte ranges as fsspec's ``cat_file(path, start, end)`` means them, for the two SSH
filesystems that read ranges themselves."""

from __future__ import annotations


def needs_size(start: int | None, end: int | None) -> bool:
    """Whether the range counts from the end of the file (so its size must be known)."""
    return (start is not None and start < 0) or (end is not None and end < 0)


def resolve(start: int | None, end: int | None, size: int | None = None) -> tuple[int, int]:
    """``(offset, length)`` of the range; ``length`` is -1 for "to the end". Negative
    ``start``/``end`` count from the end and need ``size``."""
    if start is not None and start < 0:
        start = max(0, size + start)
    if end is not None and end < 0:
        end = max(0, size + end)
    offset = start or 0
    if end is None:
        return offset, -1
    return offset, max(0, end - offset)
