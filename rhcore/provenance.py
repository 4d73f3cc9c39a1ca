"""Provenance (lineage): which artifacts a Run loaded (upstream) and which it saved (downstream), and the
graph those records make — "what produced this?" and "what used this?".

Recording: loading a named artifact (a blob, function, Run or cluster) while Runs are
active — ``with rh.run(...)`` blocks, or the Run a worker executes — adds its name to
their ``upstream_artifacts``; saving one adds it to their ``downstream_artifacts``; each
name once, in order. A saved artifact's registry entry notes the Run that saved it.

The graph is built from what is recorded: registry entries, and the configs of the Runs
that can be found (saved in the registry, on the local cluster, under ``./rh``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Generator, Iterable
from typing import Any

import attrs

from rhcore import context, layout, records
from rhcore.errors import ResourceNotFoundError
from rhcore.folder import Folder
from rhcore.plugins import hookimpl
from rhcore.registry import get_registry


class LineageRecorder:
    """The built-in plugin that makes a running ``with`` block an active Run, so the
    artifacts loaded and saved meanwhile are recorded in it, and that warns before an
    artifact Runs loaded is deleted."""

    @hookimpl(wrapper=True)
    def rhcore_run_start(self, run: Any) -> Generator[None, Any, Any]:
        result = yield
        context.push(run)
        return result

    @hookimpl(wrapper=True)
    def rhcore_run_end(self, run: Any, error: BaseException | None) -> Generator[None, Any, Any]:
        context.pop(run)
        return (yield)

    @hookimpl
    def rhcore_artifact_deleting(self, name: str) -> None:
        warn_if_used(name)


@attrs.frozen
class Node:
    """An artifact or Run in the graph; ``kind`` is its resource type."""

    name: str
    kind: str


@attrs.frozen
class Lineage:
    """The graph around one artifact: ``edges`` go from what was used to what used it
    (artifact → Run that loaded it, Run → artifact it saved)."""

    root: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]

    def upstream(self, name: str | None = None) -> list[str]:
        """Everything ``name`` (default: the root) came from, nearest first."""
        return _walk(name or self.root, {b: [a for a, b2 in self.edges if b2 == b] for _, b in self.edges})

    def downstream(self, name: str | None = None) -> list[str]:
        """Everything that used ``name`` (default: the root), nearest first."""
        return _walk(name or self.root, {a: [b for a2, b in self.edges if a2 == a] for a, _ in self.edges})

    def to_text(self) -> str:
        """A readable summary: what the root came from, and what it fed."""
        kinds = {n.name: n.kind for n in self.nodes}
        lines = [f"{self.root} ({kinds.get(self.root, 'unknown')})"]
        for label, names in (("came from", self.upstream()), ("fed", self.downstream())):
            described = ", ".join(f"{n} ({kinds.get(n, '?')})" for n in names)
            lines.append(f"  {label}: {described or 'nothing recorded'}")
        return "\n".join(lines)

    def to_mermaid(self) -> str:
        """The graph as a Mermaid flowchart."""
        ids = {n.name: f"n{i}" for i, n in enumerate(self.nodes)}
        lines = ["flowchart LR"]
        for node in self.nodes:
            label = f"{node.name}<br/><i>{node.kind}</i>".replace('"', "'")
            shape = f'(["{label}"])' if node.kind == "run" else f'["{label}"]'
            lines.append(f"    {ids[node.name]}{shape}")
        lines += [f"    {ids[a]} --> {ids[b]}" for a, b in self.edges]
        return "\n".join(lines) + "\n"

    def to_dot(self) -> str:
        """The graph in Graphviz's DOT language."""
        lines = ["digraph lineage {", "    rankdir=LR;"]
        for node in self.nodes:
            shape = "ellipse" if node.kind == "run" else "box"
            style = ", style=bold" if node.name == self.root else ""
            name = _dot(node.name)
            lines.append(f'    "{name}" [label="{name}\\n{node.kind}", shape={shape}{style}];')
        lines += [f'    "{_dot(a)}" -> "{_dot(b)}";' for a, b in self.edges]
        return "\n".join([*lines, "}"]) + "\n"


def _dot(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _walk(start: str, neighbours: dict[str, list[str]]) -> list[str]:
    seen, order, frontier = {start}, [], [start]
    while frontier:
        following = []
        for name in frontier:
            for other in neighbours.get(name, []):
                if other not in seen:
                    seen.add(other)
                    order.append(other)
                    following.append(other)
        frontier = following
    return order


def _known_runs() -> Iterable[tuple[str, dict[str, Any]]]:
    """(name, config) of every Run rhcore can find from here: saved in the registry, on the
    local cluster (``~/.rh/logs``), under ``./rh``."""
    registry = get_registry()
    seen: set[tuple[str, str]] = set()
    for name in registry.names("run"):
        entry = registry.get(name) or {}
        folder = Folder(entry.get("path", ""), entry.get("system") or "file", entry.get("data_config"))
        try:
            record = records.read(folder)
            config = records.stored_json(record) if record is not None else entry
        except Exception:  # an unreachable or corrupt folder: use what the registry says
            config = entry
        seen.add((folder.system, folder.path))
        yield name, config
    stores = (Folder(str(layout.cluster_logs_dir()), "file"), Folder(str(layout.local_runs_dir()), "file"))
    for store in stores:
        for path in store.ls():
            folder = Folder(path, store.system, store.data_config)
            if (folder.system, folder.path) in seen:
                continue
            try:
                record = records.read(folder)
            except Exception:
                continue
            if record is not None:
                yield record.name or os.path.basename(path), records.stored_json(record)


def graph(name: str) -> Lineage:
    """The lineage graph around artifact or Run ``name``."""
    kinds: dict[str, str] = {}
    edges: set[tuple[str, str]] = set()
    registry = get_registry()
    for entry_name in registry.names():
        entry = registry.get(entry_name) or {}
        kinds[entry_name] = entry.get("resource_type", "unknown")
        if entry.get("saved_by"):
            edges.add((entry["saved_by"], entry_name))
    for run_name, config in _known_runs():
        kinds[run_name] = "run"
        edges.update((artifact, run_name) for artifact in config.get("upstream_artifacts") or [])
        edges.update((run_name, artifact) for artifact in config.get("downstream_artifacts") or [])
    for a, b in edges:
        kinds.setdefault(a, "unknown")
        kinds.setdefault(b, "unknown")
    if name not in kinds:
        raise ResourceNotFoundError(f"Nothing named {name!r} in the registry or among the Runs found")
    full = Lineage(name, (), tuple(sorted(edges)))
    connected = {name, *full.upstream(), *full.downstream()}
    return Lineage(
        root=name,
        nodes=tuple(Node(n, kinds[n]) for n in sorted(connected)),
        edges=tuple(sorted((a, b) for a, b in edges if a in connected and b in connected)),
    )


def dependents(name: str) -> list[str]:
    """The Runs that loaded artifact ``name`` (recorded it upstream)."""
    return sorted({run for run, config in _known_runs() if name in (config.get("upstream_artifacts") or [])})


def warn_if_used(name: str, action: str = "Deleting") -> None:
    """Warn, naming them, when Runs depend on the artifact about to go."""
    users = dependents(name)
    if users:
        warnings.warn(
            f"{action} {name!r}, which these Runs loaded: {', '.join(users)}",
            UserWarning,
            stacklevel=3,
        )
