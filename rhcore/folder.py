"""A folder on a storage system: the one place rhcore does storage I/O, all through fsspec.

:class:`Folder` adds to fsspec what a Run needs: atomic publish of a file (a reader sees
the old or the new content, never half), exclusive create (the building block of leases
and exactly-once caching — never OS locks, which object stores lack), and copies between
any two systems with the config written last.
"""

from __future__ import annotations

import datetime
import errno
import os
import posixpath
import secrets as _random
import stat
from collections.abc import Callable, Collection
from typing import Any

import attrs
import fsspec.callbacks

from rhcore.errors import ReadOnlySystemError, RhcoreError, StorageError, StorageNotFoundError
from rhcore.plugins import get_plugins
from rhcore.secrets import redact, scrub
from rhcore.spec import FolderRef, SystemSpec

COPY_CHUNK = 8 * 1024 * 1024


def _plain_name(part: str) -> bool:
    return bool(part) and "/" not in part and part not in (".", "..")


def normalize_path(path: str, spec: SystemSpec) -> str:
    """``path`` as the system's filesystem takes it: absolute on this machine for local
    systems (``~`` expanded), scheme- and leading-slash-free on the others."""
    path = os.fspath(path)
    if spec.capabilities.local_paths:
        if "://" in path:
            path = path.split("://", 1)[1]
        return os.path.abspath(os.path.expanduser(path))
    for protocol in spec.protocols:
        prefix = protocol + "://"
        if path.startswith(prefix):
            path = path[len(prefix) :]
            break
    if spec.capabilities.posix_paths:
        return path.rstrip("/") or "/"
    return path.strip("/")


@attrs.define(eq=False, repr=False)
class Folder:
    """A folder ``path`` on storage ``system``, reached with ``data_config``.

    ``data_config`` may hold credentials: it is kept in memory only and never written.
    """

    path: str
    system: str = "file"
    data_config: dict = attrs.field(factory=dict, converter=lambda d: dict(d or {}))

    _fs: Any = attrs.field(default=None, init=False)

    def __attrs_post_init__(self) -> None:
        self.path = self._strip(normalize_path(self.path, self.spec))

    def __repr__(self) -> str:
        return f"Folder({self.system}:{self.path})"

    @property
    def spec(self) -> SystemSpec:
        """The system's registration (name, capabilities)."""
        return get_plugins().system(self.system)

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        """The fsspec filesystem this folder lives on."""
        if self._fs is None:
            with self._errors("reach", self.path):  # some connect as they are made
                self._fs = get_plugins().filesystem(self.system, self.data_config)
        return self._fs

    @property
    def is_local(self) -> bool:
        """Whether the folder is a directory of this machine."""
        return self.spec.capabilities.local_paths

    def join(self, *parts: str) -> str:
        """The full path of ``parts`` inside this folder."""
        if len(parts) == 1 and self.path[-1:] not in ("/", "") and parts[0][:1] not in ("/", ""):
            return f"{self.path}/{parts[0]}"  # a file of the folder: on every file operation
        return posixpath.join(self.path, *parts)

    def child(self, *parts: str) -> Folder:
        """A sub-folder on the same system."""
        if not all(_plain_name(part) for part in parts):
            return Folder(self.join(*parts), self.system, self.data_config)
        return Folder.normalised(self.join(*parts), self.system, self.data_config, self._fs)

    def sibling(self, name: str) -> Folder:
        """The folder ``name`` beside this one, on the same system (RhcoreError for a
        folder at the root of its system, which has none)."""
        parent, base = posixpath.split(self.path.rstrip("/"))
        if not base or (not parent and not self._has_folders):  # "/", or a whole bucket
            raise RhcoreError(f"{self.system}:{self.path} is the root of its system: keep Runs in a "
                              "folder inside it")
        return Folder.normalised(posixpath.join(parent, name), self.system, self.data_config, self._fs)

    @classmethod
    def normalised(cls, path: str, system: str, data_config: dict | None = None, fs: Any = None) -> Folder:
        """The folder at ``path``, already in its system's canonical form (a folder's
        ``path``, sent to a worker): made without normalising it again, which costs more
        than most of a Run's file operations."""
        folder = object.__new__(cls)
        for field, value in (("path", path), ("system", system), ("data_config", dict(data_config or {})),
                             ("_fs", fs)):
            object.__setattr__(folder, field, value)  # attrs' per-field setattr hooks cost here
        return folder

    @property
    def public_config(self) -> dict:
        """``data_config`` without its secrets: what a stored record may say of it."""
        return redact(self.data_config, self.spec.secret_fields)

    def scrub(self, text: str) -> str:
        """``text`` without any secret of this folder's ``data_config`` (or the environment)."""
        return scrub(text, self.data_config, declared=self.spec.secret_fields)

    @property
    def ref(self) -> FolderRef:
        """The folder as a worker reaches it (credentials included: never stored)."""
        return FolderRef(self.system, self.path, self.data_config)

    @classmethod
    def from_ref(cls, ref: FolderRef) -> Folder:
        """The folder a :class:`~rhcore.spec.FolderRef` names, as this process reaches it."""
        if ref.path.startswith("/"):  # as the sender's Folder held it: no normalising again
            return cls.normalised(ref.path, ref.system, ref.data_config)
        return cls(ref.path, ref.system, ref.data_config)

    # -- the folder itself -----------------------------------------------------------

    def exists(self) -> bool:
        """Whether the folder exists on its system (an unreachable system raises, it does
        not look empty)."""
        return self._kind(self.path) == "directory"

    exists_in_system = exists
    """Runhouse's name for :meth:`exists`."""

    def ls(self) -> list[str]:
        """Full paths of the folder's entries, sorted; ``[]`` if the folder does not exist.
        Entries rhcore keeps for itself (names starting with ``.``: leases, markers,
        temporary files) are not listed."""
        with self._errors("list", self.path):
            try:
                entries = self.fs.ls(self.path, detail=False)
            except FileNotFoundError:
                return []
        paths = (self._strip(p) for p in entries)
        return sorted(p for p in paths if p != self.path and not posixpath.basename(p).startswith("."))

    def files(self, *, hidden: bool = False) -> list[str]:
        """Paths, relative to the folder, of every file under it (recursively), sorted.
        rhcore's own entries (a name in the path starts with ``.``) only with ``hidden``."""
        with self._errors("list", self.path):
            try:
                found = self.fs.find(self.path)
            except FileNotFoundError:
                return []
        prefix = self.path.rstrip("/") + "/"
        paths = (self._strip(p) for p in found)
        relative = (p[len(prefix) :] for p in paths if p.startswith(prefix))
        return sorted(r for r in relative if hidden or not any(part.startswith(".") for part in r.split("/")))

    def mkdir(self) -> None:
        """Create the folder (and parents); no-op if it exists or the system has no folders.

        Object stores have no folders, only key prefixes, so nothing is created there —
        in particular never a bucket: their ``makedirs`` would create a mistyped bucket
        instead of reporting it missing.
        """
        self.check_writable()
        if not self._has_folders:
            return
        with self._errors("create", self.path):
            self.fs.makedirs(self.path, exist_ok=True)

    def rm(self) -> None:
        """Delete the folder and everything in it; no-op if it does not exist. A whole
        bucket is never deleted this way (object stores delete the bucket with its keys)."""
        self.check_writable()
        if not self._has_folders and "/" not in self.path.strip("/"):
            raise ValueError(f"Refusing to delete {self.system}:{self.path}: it is a whole bucket")
        with self._errors("delete", self.path):
            try:
                self.fs.rm(self.path, recursive=True)
            except FileNotFoundError:
                pass

    # -- files in it -----------------------------------------------------------------

    def has(self, name: str) -> bool:
        """Whether file ``name`` exists in the folder."""
        return self._kind(self.join(name)) == "file"

    def _kind(self, path: str) -> str | None:
        """``"file"``, ``"directory"`` or None (nothing there). fsspec's isfile/isdir
        answer False on any error; this asks for the entry and lets failures out."""
        with self._errors("check", path):
            if self.is_local:  # one stat: nothing to swallow, and it is on every Run's path
                try:
                    mode = os.stat(path).st_mode
                except (FileNotFoundError, NotADirectoryError):
                    return None
                return "directory" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else None
            try:
                return self.fs.info(path).get("type")
            except FileNotFoundError:
                return None

    def read_bytes(self, name: str) -> bytes:
        """The content of file ``name``; FileNotFoundError naming the path if absent."""
        path = self.join(name)
        with self._errors("read", path):
            try:
                return self.fs.cat_file(path)
            except FileNotFoundError:
                pass
        raise FileNotFoundError(f"No file {self.system}:{path}")

    def read_many(self, names: list[str]) -> dict[str, bytes]:
        """The content of each file of ``names`` that exists, by name: one batch (object
        stores fetch them concurrently)."""
        if not names:
            return {}
        paths = {self.join(name): name for name in names}
        with self._errors("read", self.path):
            if self.is_local:
                found = {}
                for path, name in paths.items():
                    try:
                        found[name] = self.fs.cat_file(path)
                    except FileNotFoundError:
                        pass
                return found
            got = self.fs.cat(list(paths), on_error="omit")
        return {paths[self._strip(path)]: data for path, data in got.items() if self._strip(path) in paths}

    def read_from(self, name: str, offset: int) -> bytes:
        """What file ``name`` holds from byte ``offset`` on — how a growing log is followed:
        ``b""`` when nothing was written past ``offset`` or the file is not there yet
        (object stores refuse a range that starts at the end instead of answering empty,
        each in its own words, so the size is looked up first)."""
        path = self.join(name)
        with self._errors("read", path):
            try:
                if self.is_local:
                    return self.fs.cat_file(path, start=offset)
                size = self.fs.size(path)
                if size is None or size <= offset:
                    return b""
                return self.fs.cat_file(path, start=offset, end=size)
            except FileNotFoundError:
                return b""

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write file ``name`` (not atomically: use :meth:`publish` for configs). A write
        that fails part way (a full disk) leaves no part of the file behind."""
        self.check_writable()
        path = self.join(name)
        with self._errors("write", path):
            try:
                self._with_parents(path, lambda: self.fs.pipe_file(path, data))
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    self._forget(path)
                raise

    def publish(self, name: str, data: bytes) -> None:
        """Replace file ``name`` atomically: readers see the old or the new bytes, never half.

        Rename-capable systems write a temporary file and rename it over the target;
        object stores rely on their whole-object PUT being atomic.
        """
        self.check_writable()
        path = self.join(name)
        caps = self.spec.capabilities
        with self._errors("publish", path):
            if caps.atomic_rename and not caps.atomic_write:
                tmp = self.join(f".{name}.tmp-{_random.token_hex(4)}")
                try:
                    self._with_parents(tmp, lambda: self.fs.pipe_file(tmp, data))
                    self.fs.mv(tmp, path)
                except BaseException:
                    self._forget(tmp)  # no temporary file left behind, whatever failed
                    raise
            else:
                self.fs.pipe_file(path, data)

    def create(self, name: str, data: bytes) -> bool:
        """Create file ``name`` only if it does not exist; return whether this call created it.

        The building block of mutual exclusion: of many concurrent callers exactly one
        gets True. A system that cannot guarantee that says so instead of racing.
        """
        self.check_writable()
        if not self.spec.capabilities.exclusive_create:
            raise RhcoreError(
                f"The system {self.system!r} cannot create files exclusively, which leases "
                "(exactly-once caching) need: keep such Runs on another system"
            )
        path = self.join(name)
        with self._errors("create", path):
            try:
                self._with_parents(path, lambda: self.fs.pipe_file(path, data, mode="create"))
            except FileExistsError:
                return False
        return True

    def move(self, name: str, target: str) -> bool:
        """Move file ``name`` to ``target`` (both relative to the folder, replacing what is
        there); return whether there was a file to move."""
        self.check_writable()
        source, destination = self.join(name), self.join(target)
        with self._errors("move", source):
            try:
                self._parent_dirs(destination)
                self.fs.mv(source, destination)
            except FileNotFoundError:
                return False
        return True

    def remove(self, name: str) -> bool:
        """Delete file ``name``; return whether it existed."""
        self.check_writable()
        path = self.join(name)
        with self._errors("delete", path):
            try:
                self.fs.rm_file(path)
            except FileNotFoundError:
                return False
        return True

    def open(self, name: str, mode: str = "rb", **kwargs: Any):
        """Open file ``name`` through fsspec."""
        if any(c in mode for c in "wax+"):
            self.check_writable()
        path = self.join(name)
        with self._errors("open", path):
            if "r" not in mode:
                self._parent_dirs(path)
            return self.fs.open(path, mode, **kwargs)

    def upload(self, local_path: str, name: str) -> None:
        """Copy the local file ``local_path`` to file ``name`` in the folder (whole, replacing
        it): how logs spooled on this machine reach a remote folder."""
        self.check_writable()
        path = self.join(name)
        with self._errors("upload", path):
            self._parent_dirs(path)
            self.fs.put_file(local_path, path)

    def modified(self, name: str) -> float | None:
        """When file ``name`` last changed, in seconds since the epoch by the clock of the
        system that keeps it (not the writer's); None if it is not there or the system
        does not say."""
        path = self.join(name)
        with self._errors("stat", path):
            try:
                if self.is_local:
                    return os.stat(path).st_mtime
                stamp = self.fs.modified(path)
            except (FileNotFoundError, NotImplementedError):
                return None
        if isinstance(stamp, datetime.datetime):
            return (stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.timezone.utc)).timestamp()
        return float(stamp) if isinstance(stamp, (int, float)) else None

    def size(self, name: str) -> int:
        """Size in bytes of file ``name``."""
        path = self.join(name)
        with self._errors("stat", path):
            return int(self.fs.size(path))

    # -- copies ----------------------------------------------------------------------

    def copy_to(
        self,
        dest: Folder,
        *,
        last: str | None = None,
        exclude: Collection[str] = (),
        callback: Callable[[str, int, int], None] | None = None,
    ) -> list[str]:
        """Copy every file under this folder but those in ``exclude`` into ``dest``; return
        their relative paths.

        ``last`` (a file name) is copied after all others and published atomically, so a
        reader of ``dest`` sees it only once everything it describes is there. rhcore's own
        hidden files (leases, markers) belong to this place and are not copied.
        ``callback(relpath, bytes_done, bytes_total)`` reports progress.
        """
        dest.check_writable()
        names = [name for name in self.files() if name not in exclude]
        ordered = [n for n in names if n != last] + ([last] if last in names else [])
        dest.mkdir()
        for rel in ordered:
            if rel == last:
                data = self.read_bytes(rel)
                dest.publish(rel, data)
                if callback:
                    callback(rel, len(data), len(data))
                continue
            self._copy_file(rel, dest, callback)
        return ordered

    def _copy_file(self, rel: str, dest: Folder, callback: Callable | None) -> None:
        """Copy one file; a failure names the side that failed, the source read or the
        destination written."""
        src_path, dst_path = self.join(rel), dest.join(rel)
        progress = _FsspecProgress(rel, callback) if callback else fsspec.callbacks.DEFAULT_CALLBACK

        reading, writing = self._errors("copy", src_path), dest._errors("copy", dst_path)
        with writing:
            dest._parent_dirs(dst_path)
            if dest.is_local:  # made as its system makes files (owner-only); a copy keeps the mode
                dest.fs.pipe_file(dst_path, b"")
        if self.system == dest.system and self.fs is dest.fs:
            with reading:
                self.fs.cp_file(src_path, dst_path)
            if callback:
                progress.finish(self.size(rel))
        elif self.is_local:
            with writing:
                dest.fs.put_file(src_path, dst_path, callback=progress)
        elif dest.is_local:
            with reading:
                self.fs.get_file(src_path, dst_path, callback=progress)
        else:
            progress.set_size(self.size(rel))
            with reading, self.fs.open(src_path, "rb") as src:
                with writing, dest.fs.open(dst_path, "wb") as dst:
                    while True:
                        with reading:
                            chunk = src.read(COPY_CHUNK)
                        if not chunk:
                            break
                        dst.write(chunk)
                        progress.relative_update(len(chunk))

    # -- helpers ---------------------------------------------------------------------

    def _strip(self, path: str) -> str:
        """A path in the filesystem's canonical form, as its listings return them."""
        return self.fs._strip_protocol(path)

    @property
    def _has_folders(self) -> bool:
        """Whether the system has real folders that must exist before files go in them."""
        return self.is_local or self.spec.capabilities.posix_paths

    def _with_parents(self, path: str, write: Callable[[], Any]) -> Any:
        """Run ``write``; where folders are real and the parent was missing, make it and
        run it again (cheaper than making sure first, on the hot path of every Run)."""
        try:
            return write()
        except FileNotFoundError:
            if not self._has_folders:
                raise
            self._parent_dirs(path)
            return write()

    def _forget(self, path: str) -> None:
        """Delete ``path`` if it is there, as a clean-up that must not mask the error at hand."""
        try:
            self.fs.rm_file(path)
        except Exception:
            pass

    def _parent_dirs(self, path: str) -> None:
        if self._has_folders:
            self.fs.makedirs(posixpath.dirname(path), exist_ok=True)

    def check_writable(self) -> None:
        if self.spec.capabilities.read_only:
            raise ReadOnlySystemError(
                f"The system {self.system!r} is read-only: cannot write to {self.system}:{self.path}"
            )

    def _errors(self, action: str, path: str) -> _StorageFailures:
        """Let expected errors through; turn a backend's failure into a StorageError that
        names the system and path and carries no secret. The context holds no state: it
        may be entered any number of times, nested too."""
        return _StorageFailures(self, action, path)


class _StorageFailures:
    """:meth:`Folder._errors`: a plain class, entered several times on every Run's path."""

    __slots__ = ("action", "folder", "path")

    def __init__(self, folder: Folder, action: str, path: str):
        self.folder, self.action, self.path = folder, action, path

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is None:
            return False
        replacement = self._located(exc)
        if replacement is None:
            return False  # let the original through
        raise replacement from None

    def _located(self, exc: BaseException) -> BaseException | None:
        where = f"{self.folder.system}:{self.path}"
        action = f"Cannot {self.action} {where}"
        if isinstance(exc, StorageError):  # a plugin's, or ours: keep its type, add the place if missing
            if exc.place is not None or where in str(exc):  # already says where (a copy's other end)
                return None
            try:
                return _at(type(exc)(f"{action}: {exc}"), where)
            except TypeError:
                return None
        if isinstance(exc, (RhcoreError, FileExistsError, IsADirectoryError, NotADirectoryError)):
            return None
        detail = self.folder.scrub(str(exc))
        if isinstance(exc, FileNotFoundError):
            return _at(StorageNotFoundError(f"{action}: {detail}"), where)
        if isinstance(exc, PermissionError):
            return _at(StorageError(f"{action}: permission denied ({detail})"), where)
        if isinstance(exc, OSError):
            return _at(StorageError(f"{action}: {detail}"), where)
        if isinstance(exc, _NOT_STORAGE_FAILURES) or not isinstance(exc, Exception):
            return None
        # the backend's own exceptions, RuntimeErrors of some
        return _at(StorageError(f"{action}: {type(exc).__name__}: {detail}"), where)


_NOT_STORAGE_FAILURES = (ValueError, TypeError, AttributeError, NameError, AssertionError,
                         NotImplementedError, KeyError, IndexError, ImportError)
"""Exceptions that mean bad input (a malformed ``data_config`` or path) or a bug, not a
failing storage system: they are not turned into StorageErrors."""


def _at(error: StorageError, where: str) -> StorageError:
    """``error``, marked as naming its place: an enclosing ``_errors`` leaves it as it is."""
    error.place = where
    return error


class _FsspecProgress(fsspec.callbacks.Callback):
    """An fsspec callback that reports ``(relpath, done, total)`` to a plain function."""

    def __init__(self, rel: str, report: Callable[[str, int, int], None]):
        super().__init__()
        self.rel, self.report = rel, report

    def call(self, *args: Any, **kwargs: Any) -> None:
        self.report(self.rel, self.value, self.size or 0)

    def finish(self, size: int) -> None:
        self.set_size(size)
        self.absolute_update(size)
