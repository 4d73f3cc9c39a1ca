"""The exceptions rhcore raises.

Every error derives from :class:`RhcoreError` and also from the built-in exception a
caller would naturally catch (``ValueError`` for bad input, ``FileNotFoundError`` for
something missing), so ``except ValueError`` keeps working for code that does not know
rhcore.
"""

from __future__ import annotations


class RhcoreError(Exception):
    """Base class of every error rhcore raises on purpose."""


class InvalidNameError(RhcoreError, ValueError):
    """A run or resource name that cannot name a folder safely."""


class UnknownSystemError(RhcoreError, ValueError):
    """No installed plugin serves the requested storage system or cluster kind."""


class IllegalTransitionError(RhcoreError, ValueError):
    """A status change the Run status machine does not allow."""


class RunNotFoundError(RhcoreError, FileNotFoundError):
    """No Run where one was expected: an unknown name, or a folder without a Run."""


class ResourceNotFoundError(RhcoreError, LookupError):
    """No resource of that name in the registry."""


class CorruptConfigError(RhcoreError, ValueError):
    """A config file exists but cannot be read as a config."""


class CorruptRunError(RhcoreError, ValueError):
    """A file of a Run (its inputs, its result) cannot be read back as what it holds."""


class ReadOnlySystemError(RhcoreError, PermissionError):
    """A write was attempted on a system that only serves reads."""


class RunExistsError(RhcoreError, FileExistsError):
    """The destination already holds a different Run."""


class RunInProgressError(RunExistsError):
    """A Run of that name is RUNNING and its owner is alive: starting it again would run a
    second execution beside the first. ``run_name`` and ``place`` say which Run."""

    def __init__(self, message: str, *, run_name: str = "", place: str = ""):
        super().__init__(message)
        self.run_name, self.place = run_name, place


class StorageError(RhcoreError, OSError):
    """A storage system failed; the message names the system and the path."""

    place: str | None = None
    """``system:path`` where it failed, once an error names it."""


class StorageNotFoundError(StorageError, FileNotFoundError):
    """What a storage operation needs does not exist (a bucket, a container, a parent
    folder); the message names the system and the path."""


class RunFailedError(RhcoreError, RuntimeError):
    """A Run this call waited for ended in ERROR (its error and traceback are in the message)."""


class RunCancelledError(RhcoreError, RuntimeError):
    """A Run this call waited for was cancelled."""


class WorkerDiedError(RhcoreError, RuntimeError):
    """The process executing a Run died before reporting how it ended."""


class UntrustedStoreError(RhcoreError, PermissionError):
    """A value would be unpickled from a place the user has not trusted, or its signature
    does not verify. Unpickling runs whatever code the pickle names, so the bytes of a
    store are loaded only from where the user said whoever writes is trusted."""


class CacheMismatchError(RhcoreError, ValueError):
    """A cached Run was computed from other work than this call's (another function, other
    code, other arguments, other versions) and the caller asked for ``cache="error"``."""
