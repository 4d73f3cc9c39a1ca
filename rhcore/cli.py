"""The ``rh`` command line."""

from __future__ import annotations

import datetime
import json
import os
import sys
import warnings

import click

from rhcore import layout, records
from rhcore.cluster import cluster as load_cluster
from rhcore.errors import InvalidNameError, RhcoreError, RunNotFoundError
from rhcore.follow import follow as follow_logs
from rhcore.plugins import get_plugins
from rhcore.provenance import graph
from rhcore.registry import get_registry
from rhcore.run import Run, from_registry
from rhcore.spec import RunStatus
from rhcore.values import summary
from rhcore.version import __version__


class _Group(click.Group):
    """Turns rhcore's own errors into a one-line message and exit code 1, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RhcoreError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="rhcore")
def main() -> None:
    """rhcore: Runs of functions, commands and blocks, on any storage system."""


@main.command("plugins")
def plugins_command() -> None:
    """List installed plugins: distribution, version, and what each provides."""
    rows = []
    for info in get_plugins().info():
        provides = []
        for label, names in (("systems", info.systems), ("executors", info.executors),
                             ("log sinks", info.log_sinks)):
            if names:
                provides.append(f"{label}: {', '.join(names)}")
        rows.append((info.name, info.distribution or "-", info.version or "-", "; ".join(provides) or "-"))
    _table(("PLUGIN", "DISTRIBUTION", "VERSION", "PROVIDES"), rows)


def _cluster(name: str):
    return load_cluster(name=name)


def _cluster_run(cluster_name: str, run_name: str):
    cluster = _cluster(cluster_name)
    run = cluster.get_run(run_name)
    if run is None:
        raise RunNotFoundError(f"No Run named {run_name!r} on cluster {cluster_name!r}")
    return cluster, run


@main.command("logs")
@click.argument("cluster")
@click.argument("run")
@click.option("--follow", "-f", is_flag=True, help="Keep printing as the Run writes, until it ends.")
def logs_command(cluster: str, run: str, follow: bool) -> None:
    """Print the stdout and stderr of RUN on CLUSTER. With ``--follow``, the exit status
    says how the Run ended: 0 if it COMPLETED, 1 otherwise."""
    _, found = _cluster_run(cluster, run)
    if follow:
        follow_logs(found)
        if found.refresh().status is not RunStatus.COMPLETED:
            sys.exit(1)
        return
    if found.stdout():
        click.echo(found.stdout())
    if found.stderr():
        click.echo(found.stderr(), err=True)


@main.command("cancel")
@click.argument("cluster")
@click.argument("run")
@click.option("--force", is_flag=True, help="Kill at once (SIGKILL) instead of asking first.")
def cancel_command(cluster: str, run: str, force: bool) -> None:
    """Stop RUN on CLUSTER and everything it started."""
    found_cluster, found = _cluster_run(cluster, run)
    if found.status.is_final:
        click.echo(f"Run {run!r} already ended ({found.status.value}); nothing to cancel.")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ended = found_cluster.cancel(run, force=force)
    click.echo(f"Run {run!r} is {ended.status.value}.")
    if ended.status.value != "CANCELLED":
        sys.exit(1)


@main.command("runs")
@click.argument("cluster", default="local")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most this many.")
@click.option("--status", "statuses", multiple=True, help="Only Runs in this status (repeatable).",
              type=click.Choice([s.value for s in RunStatus], case_sensitive=False))
@click.option("--function", "fn_name", default=None, help="Only Runs of this function.")
@click.option("--name", "prefix", default=None, help="Only Runs whose name starts with this.")
@click.option("--since", default=None, metavar="WHEN",
              help="Only Runs started since WHEN: a time (2026-12-01T09:00) or an age (30m, 12h, 7d).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.option("--reindex", is_flag=True, help="Rebuild the index of Runs from the Run folders first.")
def runs_command(cluster: str, limit: int | None, statuses: tuple[str, ...], fn_name: str | None,
                 prefix: str | None, since: str | None, as_json: bool, reindex: bool) -> None:
    """List the Runs recorded on CLUSTER (default: local), newest first.

    Read from the run store's index of Runs, not from every Run's config: a page of the
    newest Runs costs the same among a hundred thousand as among ten.
    """
    on = _cluster(cluster)
    store = on.executor.store()
    view = records.reindex(store) if reindex else records.view(store)
    wanted = {s.upper() for s in statuses}
    after = _since(since)

    def keep(entry: records.Entry) -> bool:
        return ((not wanted or entry.status in wanted) and (fn_name is None or entry.fn_name == fn_name)
                and (prefix is None or entry.name.startswith(prefix))
                and (after is None or (entry.start_time or "") >= after))

    shown = []
    for entry in view.page(limit, keep) if limit else [e for e in view.newest() if keep(e)]:
        if entry.status == RunStatus.RUNNING.value:  # a look never shows a dead worker's Run RUNNING
            entry = _judged(on, store, entry)
        shown.append(entry)
    if as_json:
        click.echo(json.dumps([{**e.to_json(), "path": store.join(e.name)} for e in shown], indent=2))
        return
    _table(("NAME", "TYPE", "STATUS", "STARTED", "DURATION"),
           [(e.name, e.run_type or "-", e.status, _when(e.start_time), _duration(e.start_time, e.end_time))
            for e in shown])


def _judged(on, store, entry: records.Entry) -> records.Entry:
    folder = store.child(entry.name)
    try:
        record = records.read(folder)
    except RhcoreError:
        return entry
    if record is None:
        return entry
    run = _looked_at(Run._at(folder, record, on))
    return records.Entry.of(run.record, entry.seq)


def _since(when: str | None) -> str | None:
    """The ISO time ``--since`` names (an age counts back from now)."""
    if when is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if when[-1:] in units and when[:-1].isdigit():
        age = datetime.timedelta(seconds=int(when[:-1]) * units[when[-1]])
        return (datetime.datetime.now(datetime.timezone.utc) - age).isoformat()
    try:  # a time without a zone is this machine's local time; Runs record theirs in UTC
        return layout.parse_iso(when).astimezone(datetime.timezone.utc).isoformat()
    except ValueError:
        raise click.BadParameter(f"{when!r} is neither a time (2026-12-01T09:00) nor an age (30m, 12h, 7d)",
                                 param_hint="--since") from None


@main.command("show")
@click.argument("run")
@click.option("--cluster", "cluster_name", default=None, help="Look for RUN on this cluster.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: the config, and folder, inputs, result and error.")
def show_command(run: str, cluster_name: str | None, as_json: bool) -> None:
    """Show RUN: its config, a summary of its inputs and of its result.

    RUN is a name saved in the registry, a Run on the cluster (local by default), or a
    path to a Run's folder. Inputs and results are shown without running any code their
    pickles name: plain data as it is, anything else by its class and size.
    """
    found = _find_run(run, cluster_name)
    shown = {"folder": f"{found.folder.system}:{found.folder.path}"}
    try:
        shown["inputs"] = summary(records.read_inputs(found.folder, found.record), inputs=True)
    except FileNotFoundError:
        pass
    result = records.read_result(found.folder, found.record) if found.status.value == "COMPLETED" else None
    if result is not None:
        shown["result"] = summary(result)
    elif found.status.value == "ERROR":
        shown["error"] = found.error
    if as_json:
        click.echo(json.dumps({"config": found.run_config, **shown}, indent=2, default=str))
        return
    click.echo(json.dumps(found.run_config, indent=2, default=str))
    for key, value in shown.items():
        click.echo(f"{key}: {value}")


@main.command("why")
@click.argument("run")
@click.option("--cluster", "cluster_name", default=None, help="Look for RUN on this cluster.")
def why_command(run: str, cluster_name: str | None) -> None:
    """Show what RUN was keyed on: the function that computed it, the hashes of its code
    and of its arguments, and the Python and rhcore versions. A cached call is a hit on
    RUN only if all of them match (in Python, ``f.why(run, *args)`` says what differs).

    RUN is found as ``rh show`` finds it.
    """
    found = _find_run(run, cluster_name)
    fingerprint = found.fingerprint
    if fingerprint is None:
        raise click.ClickException(
            f"Run {found.name!r} was recorded without a fingerprint (not a function Run, or by an "
            "rhcore before 0.2): a cached call takes it for any arguments"
        )
    for part, value in fingerprint.to_json().items():
        click.echo(f"{part + ':':<12}{value}")


@main.command("lineage")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot"]), default="text",
              show_default=True, help="mermaid and dot print a graph a renderer can draw.")
def lineage_command(name: str, fmt: str) -> None:
    """Show what NAME (an artifact or a Run) came from and what it fed."""
    found = graph(name)
    click.echo({"text": found.to_text, "mermaid": found.to_mermaid, "dot": found.to_dot}[fmt]().rstrip("\n"))


def _looked_at(run: Run) -> Run:
    """``run`` as a look at it shows it: one whose record says RUNNING is refreshed, so a Run
    whose worker died shows ERROR, never RUNNING (README, Dead workers)."""
    if run.status.value == "RUNNING":
        try:
            run.refresh()
        except RunNotFoundError:  # deleted since it was found: shown as it was read
            pass
    return run


def _find_run(run: str, cluster_name: str | None):
    if cluster_name is not None:
        return _cluster_run(cluster_name, run)[1]
    try:
        entry = get_registry().get(run)
    except InvalidNameError:
        entry = None
    if entry is not None and entry.get("resource_type") == Run.RESOURCE_TYPE:
        return from_registry(entry, None)
    if os.path.isdir(run) or "/" in run or os.sep in run:
        return _looked_at(Run.from_path(run))
    here = Run.from_path(os.path.join(layout.local_runs_dir(), run)) if _is_run_here(run) else None
    found = _looked_at(here) if here is not None else _cluster("local").get_run(run)
    if found is None:
        raise RunNotFoundError(
            f"No Run named {run!r}: not in the registry, not a folder, "
            f"not in ./{layout.LOCAL_RUN_DIR}/{run}, not on the local cluster"
        )
    return found


def _is_run_here(name: str) -> bool:
    try:
        name = layout.validate_name(name)
    except InvalidNameError:
        return False
    return os.path.isfile(os.path.join(layout.local_runs_dir(), name, layout.CONFIG_FILE))


def _when(stamp: str | None) -> str:
    if not stamp:
        return "-"
    return layout.parse_iso(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _duration(start: str | None, end: str | None) -> str:
    if not start:
        return "-"
    seconds = (layout.parse_iso(end or layout.now_iso()) - layout.parse_iso(start)).total_seconds()
    text = f"{seconds:.2f}s" if seconds < 60 else f"{seconds / 60:.1f}m"
    return text if end else text + " (running)"


@main.command("cp")
@click.argument("run")
@click.argument("destination")
@click.option("--data-config", "data_config", metavar="JSON", default=None,
              help="The destination system's own keyword arguments as a JSON object, e.g. "
                   "'{\"client_kwargs\": {\"endpoint_url\": \"http://127.0.0.1:9000\"}}'. "
                   "Leave credentials to the environment (AWS_ACCESS_KEY_ID, ...).")
def cp_command(run: str, destination: str, data_config: str | None) -> None:
    """Copy RUN to DESTINATION and print where the copy is.

    RUN is a name saved in the registry, a Run in ./rh/NAME or on the local cluster, or
    the path of a local Run folder. DESTINATION is `here` (./rh/NAME), a system (its default place for Runs),
    or SYSTEM:PATH, e.g. s3:bucket/runs/NAME or file:/backups/NAME. Every file is copied
    and the config last; on a terminal large files show a progress bar.
    """
    source = _find_run(run, None)
    system, path = _destination(destination)
    config = _json_object(data_config, "--data-config") if data_config else None
    try:
        copy = source.to(system, path=path, data_config=config)
    except ValueError as exc:  # e.g. the destination is where the Run already is
        raise click.ClickException(str(exc)) from None
    click.echo(f"copied {source.name} to {copy.folder.system}:{copy.folder.path}")


def _destination(spec: str) -> tuple[str, str | None]:
    """``here`` / ``SYSTEM`` / ``SYSTEM:PATH`` / ``SYSTEM://PATH`` as (system, path)."""
    system, sep, path = spec.partition(":")
    if not sep:
        return spec, None
    if not system or not path:
        raise click.BadParameter(f"{spec!r}: expected here, SYSTEM or SYSTEM:PATH",
                                 param_hint="DESTINATION")
    return system, path if not path.startswith("//") else spec


def _json_object(text: str, option: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint=option) from None
    if not isinstance(value, dict):
        raise click.BadParameter("expected a JSON object", param_hint=option)
    return value


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
