"""The index of Runs: finding, listing and counting the Runs of a store without reading
every Run's config, on any system, with no database.

It lives on the store itself, beside the Run folders, in ``.rhcore-index/``:

* ``events/<seq>``: one small object per start and end of an attempt, made by exclusive
  create, so concurrent writers (processes, machines) never overwrite each other and the
  store itself orders them (each sequence number is taken once);
* ``snapshot-<seq>/``: the index as of event ``seq``, written by whichever reader finds
  more than :data:`COMPACT_AFTER` events past the newest snapshot: ``runs.json`` (every
  Run's newest summary, newest first), then ``head.json`` last (exclusive create: the
  snapshot is complete once it exists) with the counts, each function's newest COMPLETED
  Run and the newest page.

A reader reads the newest complete snapshot's head and the events after it: a bounded
number of requests, however many Runs the store holds. The Run folders stay the truth:
an event a killed writer never wrote leaves an entry its folder contradicts, and readers
check what they return (a RUNNING entry is judged like any RUNNING Run); ``rebuild``
(``rh runs --reindex``) makes a snapshot from the folders themselves.
"""

from __future__ import annotations

import json
import posixpath
import threading
import warnings
from collections.abc import Iterable
from typing import Any

import attrs

from rhcore import layout
from rhcore.errors import CorruptConfigError, RhcoreError
from rhcore.folder import Folder
from rhcore.records.store import read
from rhcore.spec import RunRecord, RunStatus

INDEX_DIR = ".rhcore-index"
EVENTS = "events"
SNAPSHOT_PREFIX = "snapshot-"
HEAD = "head.json"
RUNS = "runs.json"
COMPACT_AFTER = 256
"""Events past the newest snapshot after which a reader writes a new snapshot."""
WRITER_COMPACTS_EVERY = 4096
"""A store nobody reads is compacted by the writer of every this-many-th event, so a new
writer's look for the next number stays short."""
PAGE = 100
"""How many of the newest Runs a snapshot's head holds."""
_DIGITS = 12

_next_seq: dict[tuple[str, str], int] = {}
_lock = threading.Lock()


@attrs.frozen
class Entry:
    """What the index knows of a Run: enough to list, filter and find it."""

    name: str
    status: str
    seq: int
    attempt: int | None = None
    run_type: str | None = None
    fn_name: str | None = None
    arguments: str | None = None
    start_time: str | None = None
    end_time: str | None = None

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Entry | None:
        """The entry a stored event or snapshot holds; None for one that is not an entry
        (a name that is not a valid run name, wrong types): a store's contents are data."""
        if not isinstance(data, dict) or not isinstance(data.get("seq"), int):
            return None
        try:
            name = layout.validate_name(data.get("name"))
            status = RunStatus(data.get("status")).value
        except (ValueError, TypeError):
            return None
        texts = {f: data.get(f) for f in ("run_type", "fn_name", "arguments", "start_time", "end_time")}
        if any(v is not None and not isinstance(v, str) for v in texts.values()):
            return None
        attempt = data.get("attempt")
        return cls(name=name, status=status, seq=data["seq"],
                   attempt=attempt if isinstance(attempt, int) else None, **texts)

    @classmethod
    def of(cls, record: RunRecord, seq: int) -> Entry:
        arguments = (record.fingerprint or {}).get("arguments")
        return cls(name=record.name, status=record.status.value, seq=seq, attempt=record.attempt,
                   run_type=record.run_type.value, fn_name=record.fn_name,
                   arguments=arguments if isinstance(arguments, str) else None,
                   start_time=record.start_time, end_time=record.end_time)


def index_of(store: Folder) -> Folder:
    """The index folder of a store (the folder holding Run folders)."""
    return store.child(INDEX_DIR)


def store_of(folder: Folder) -> Folder | None:
    """The store holding the Run folder ``folder`` (None at the root of a system)."""
    parent = posixpath.dirname(folder.path.rstrip("/"))
    if not parent or parent == folder.path:
        return None
    return Folder.normalised(parent, folder.system, folder.data_config, folder._fs)


# -- writing -------------------------------------------------------------------------------------


def note(folder: Folder, record: RunRecord) -> None:
    """Record in its store's index that the Run in ``folder`` now has ``record`` (an
    attempt started or ended). Best effort: the folder is the truth, and a failure here
    never fails the Run."""
    store = store_of(folder)
    if store is None or posixpath.basename(folder.path.rstrip("/")) != record.name:
        return  # not a store's Run folder (an attempt kept in .attempts/, a folder at a root)
    try:
        seq = _append(index_of(store), record)
        if seq % WRITER_COMPACTS_EVERY == 0:  # a store only written to is compacted by its writers
            view(store)
    except (OSError, RhcoreError):
        pass


def _append(index: Folder, record: RunRecord) -> int:
    """Add the event of ``record``; return its sequence number."""
    events = index.child(EVENTS)
    key = (index.system, index.path)
    seq = _next_seq.get(key)
    if seq is None:
        seq = _head_seq(index) + 1
    for _ in range(64):
        data = json.dumps(Entry.of(record, seq).to_json(), separators=(",", ":")).encode()
        if events.create(_seq_name(seq), data):
            with _lock:
                _next_seq[key] = seq + 1
            return seq
        seq += 1
    seq = _head_seq(index) + 1  # far behind the others: look again, once
    events.create(_seq_name(seq), json.dumps(Entry.of(record, seq).to_json()).encode())
    with _lock:
        _next_seq[key] = seq + 1
    return seq


def _seq_name(seq: int) -> str:
    return f"{seq:0{_DIGITS}d}"


def _head_seq(index: Folder) -> int:
    """The highest sequence number taken so far (events and snapshots), 0 if none."""
    seqs = [_seq_of(p) for p in index.child(EVENTS).ls()]
    seqs += [_snapshot_seq(p) for p in index.ls()]
    return max((s for s in seqs if s is not None), default=0)


def _seq_of(path: str) -> int | None:
    name = posixpath.basename(path)
    return int(name) if name.isdigit() else None


def _snapshot_seq(path: str) -> int | None:
    name = posixpath.basename(path.rstrip("/"))
    rest = name[len(SNAPSHOT_PREFIX):]
    return int(rest) if name.startswith(SNAPSHOT_PREFIX) and rest.isdigit() else None


# -- reading -------------------------------------------------------------------------------------


@attrs.define
class View:
    """The index of one store as a reader sees it: the newest snapshot's head, and the
    entries of the events after it (newest first)."""

    index: Folder
    snapshot: int
    head: dict[str, Any]
    recent: list[Entry]
    _all: list[Entry] | None = None

    def newest(self) -> list[Entry]:
        """Every Run's newest entry, newest first: the events, then the snapshot's runs."""
        if self._all is None:
            seen: set[str] = set()
            merged = []
            for entry in [*self.recent, *self._snapshot_runs()]:
                if entry.name not in seen:
                    seen.add(entry.name)
                    merged.append(entry)
            self._all = merged
        return self._all

    def page(self, limit: int, keep: Any = None) -> list[Entry]:
        """The newest ``limit`` Runs that ``keep`` (a predicate on entries) keeps."""
        keep = keep or (lambda entry: True)
        found, seen = [], set()
        sources = [self.recent, self._head_page()]
        for entries in sources:
            for entry in entries:
                if entry.name in seen:
                    continue
                seen.add(entry.name)
                if keep(entry):
                    found.append(entry)
                    if len(found) == limit:
                        return found
        if self.head.get("count", 0) <= PAGE:
            return found  # the head held every Run
        return [e for e in self.newest() if keep(e)][:limit]

    def latest(self, fn_name: str, arguments: str | None = None) -> Entry | None:
        """The newest COMPLETED Run of function ``fn_name`` (with these arguments)."""
        for entry in self.recent:
            if entry.fn_name == fn_name and entry.status == RunStatus.COMPLETED.value and \
                    (arguments is None or entry.arguments == arguments):
                return entry
        if arguments is None:
            return Entry.from_json(self.head.get("latest", {}).get(fn_name))
        return next((e for e in self.newest() if e.fn_name == fn_name and e.arguments == arguments
                     and e.status == RunStatus.COMPLETED.value), None)

    def counts(self) -> dict[str, int]:
        """How many Runs the store holds in each status."""
        counts: dict[str, int] = {}
        for entry in self.newest():
            counts[entry.status] = counts.get(entry.status, 0) + 1
        return counts

    def _head_page(self) -> list[Entry]:
        return [e for e in map(Entry.from_json, self.head.get("newest", ())) if e is not None]

    def _snapshot_runs(self) -> list[Entry]:
        if not self.snapshot:
            return []
        folder = self.index.child(SNAPSHOT_PREFIX + _seq_name(self.snapshot))
        try:
            data = json.loads(folder.read_bytes(RUNS))
        except (FileNotFoundError, ValueError):
            return []
        return [e for e in map(Entry.from_json, data if isinstance(data, list) else []) if e is not None]


def view(store: Folder) -> View:
    """The index of ``store`` as it is now. A store without a snapshot yet (new, or written
    by an rhcore without an index) is indexed from its folders first; a reader that finds
    many events past the newest snapshot writes a new one."""
    index = index_of(store)
    snapshot, head = _newest_snapshot(index)
    if not snapshot:
        return rebuild(store)
    events = index.child(EVENTS)
    seqs = sorted((s for s in map(_seq_of, events.ls()) if s is not None and s > snapshot), reverse=True)
    recent = _read_events(events, seqs)
    result = View(index, snapshot, head, recent)
    if len(seqs) > COMPACT_AFTER and not store.spec.capabilities.read_only:
        try:
            return _compact(result, seqs[0])
        except (OSError, RhcoreError):
            pass
    return result


def _newest_snapshot(index: Folder) -> tuple[int, dict[str, Any]]:
    for seq in sorted((s for s in map(_snapshot_seq, index.ls()) if s is not None), reverse=True):
        try:
            head = json.loads(index.child(SNAPSHOT_PREFIX + _seq_name(seq)).read_bytes(HEAD))
        except (FileNotFoundError, ValueError):
            continue  # being written, or broken: the one before it
        if isinstance(head, dict):
            return seq, head
    return 0, {}


def _read_events(events: Folder, seqs: list[int]) -> list[Entry]:
    """The entries of events ``seqs`` (newest first): the newest per Run name and attempt
    order kept — a start read after its attempt's end does not undo it."""
    found = events.read_many([_seq_name(s) for s in seqs])
    entries = []
    for seq in seqs:
        try:
            entry = Entry.from_json(json.loads(found.get(_seq_name(seq), b"")))
        except ValueError:
            continue
        if entry is not None:
            entries.append(entry)
    return _settle(entries)


def _settle(entries: Iterable[Entry]) -> list[Entry]:
    """Newest first, one per name: the latest attempt's, and of one attempt its end
    rather than its start (events of one attempt may be numbered in either order)."""
    best: dict[str, Entry] = {}
    for entry in entries:
        held = best.get(entry.name)
        if held is None or _later(entry, held):
            best[entry.name] = entry
    return sorted(best.values(), key=lambda e: e.seq, reverse=True)


def _later(a: Entry, b: Entry) -> bool:
    if (a.attempt or 0) != (b.attempt or 0):
        return (a.attempt or 0) > (b.attempt or 0)
    a_final, b_final = a.status != RunStatus.RUNNING.value, b.status != RunStatus.RUNNING.value
    if a_final != b_final:
        return a_final
    return a.seq > b.seq


def _compact(current: View, seq: int) -> View:
    """Write the snapshot as of event ``seq`` and return the view it gives; then drop what
    the snapshot before the current one covered (a reader still working from the current
    one finds every event it needs)."""
    compacted = write_snapshot(current.index, seq, current.newest())
    if current.snapshot:
        _prune(current.index, current.snapshot)
    return compacted


def _prune(index: Folder, upto: int) -> None:
    """Remove events numbered up to ``upto`` and snapshots older than snapshot ``upto``."""
    events = index.child(EVENTS)
    for path in events.ls():
        seq = _seq_of(path)
        if seq is not None and seq <= upto:
            events.remove(posixpath.basename(path))
    for path in index.ls():
        seq = _snapshot_seq(path)
        if seq is not None and seq < upto:
            index.child(posixpath.basename(path.rstrip("/"))).rm()


def write_snapshot(index: Folder, seq: int, entries: list[Entry]) -> View:
    """Write snapshot ``seq`` holding ``entries``; its head last, by exclusive create (of
    two writers of one snapshot, one head stands; their runs are the same)."""
    entries = _settle(entries)
    head = _head(seq, entries)
    folder = index.child(SNAPSHOT_PREFIX + _seq_name(seq))
    folder.write_bytes(RUNS, json.dumps([e.to_json() for e in entries], separators=(",", ":")).encode())
    folder.create(HEAD, json.dumps(head, separators=(",", ":")).encode())
    return View(index, seq, head, [], entries)


def _head(seq: int, entries: list[Entry]) -> dict[str, Any]:
    """A snapshot's head: its count, each function's newest COMPLETED Run, the newest page."""
    latest: dict[str, Any] = {}
    for entry in entries:
        if entry.fn_name and entry.status == RunStatus.COMPLETED.value and entry.fn_name not in latest:
            latest[entry.fn_name] = entry.to_json()
    newest = [e.to_json() for e in entries[:PAGE]]
    return {"seq": seq, "count": len(entries), "latest": latest, "newest": newest}


def rebuild(store: Folder) -> View:
    """A new snapshot made from the Run folders themselves (``rh runs --reindex``):
    whatever the index held, it now says what the folders say, ordered by when the store
    last wrote each config. A read-only store's is made in memory only."""
    index = index_of(store)
    writable = not store.spec.capabilities.read_only
    seq = _head_seq(index) + 1
    if writable:
        while not index.child(EVENTS).create(_seq_name(seq), b"{}"):  # the number is the snapshot's
            seq += 1
    found, skipped = [], []
    for path in store.ls():
        folder = Folder.normalised(path, store.system, store.data_config, store._fs)
        try:
            record = read(folder)
        except CorruptConfigError as corrupt:
            skipped.append(str(corrupt))
            continue
        if record is not None:
            found.append((folder.modified(layout.CONFIG_FILE) or 0.0, record.end_time or "", record))
    if skipped:
        warnings.warn(f"Skipped {len(skipped)} Run(s) of {store.system}:{store.path} whose config cannot be "
                      f"read, indexing it: {skipped[0]}", stacklevel=3)
    found.sort(key=lambda item: item[:2])
    entries = [Entry.of(record, n) for n, (_, _, record) in enumerate(found, start=1)]
    if not writable:
        settled = _settle(entries)
        return View(index, seq, _head(seq, settled), [], settled)
    rebuilt = write_snapshot(index, seq, entries)
    _prune(index, seq)  # the folders said it all: what came before is not needed
    return rebuilt
