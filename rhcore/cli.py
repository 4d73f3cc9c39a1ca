"""The ``rh`` command line."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import click

from rhcore import __version__
from rhcore.errors import RhcoreError

if TYPE_CHECKING:
    from rhcore.run import Run


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
    from rhcore.plugins import get_plugins

    rows = []
    for info in get_plugins().info():
        provides = []
        for label, names in (("systems", info.systems), ("executors", info.executors),
                             ("log sinks", info.log_sinks)):
            if names:
                provides.append(f"{label}: {', '.join(names)}")
        rows.append((info.name, info.distribution or "-", info.version or "-", "; ".join(provides) or "-"))
    _table(("PLUGIN", "DISTRIBUTION", "VERSION", "PROVIDES"), rows)


@main.command("cp")
@click.argument("run")
@click.argument("destination")
@click.option("--data-config", "data_config", metavar="JSON", default=None,
              help="The destination system's own keyword arguments as a JSON object, e.g. "
                   "'{\"client_kwargs\": {\"endpoint_url\": \"http://127.0.0.1:9000\"}}'. "
                   "Leave credentials to the environment (AWS_ACCESS_KEY_ID, ...).")
def cp_command(run: str, destination: str, data_config: str | None) -> None:
    """Copy RUN to DESTINATION and print where the copy is.

    RUN is a name saved in the registry (or a Run in ./rh/NAME), or the path of a local
    Run folder. DESTINATION is `here` (./rh/NAME), a system (its default place for Runs),
    or SYSTEM:PATH, e.g. s3:bucket/runs/NAME or file:/backups/NAME. Every file is copied
    and the config last; on a terminal large files show a progress bar.
    """
    source = _source_run(run)
    system, path = _destination(destination)
    config = _json_object(data_config, "--data-config") if data_config else None
    try:
        copy = source.to(system, path=path, data_config=config)
    except ValueError as exc:  # e.g. the destination is where the Run already is
        raise click.ClickException(str(exc)) from None
    click.echo(f"copied {source.name} to {copy.folder.system}:{copy.folder.path}")


def _source_run(spec: str) -> Run:
    """The Run named ``spec`` (registry, else ./rh/<name>) or in the local folder ``spec``."""
    import rhcore as rh
    from rhcore import layout

    if os.path.isdir(spec) or "/" in spec or os.sep in spec:
        return rh.Run.from_path(spec)
    found = rh.run(name=spec)
    if not found.folder.has(layout.CONFIG_FILE):
        raise click.ClickException(
            f"No Run named {spec!r}: not in the registry, and no Run at "
            f"{found.folder.system}:{found.folder.path}"
        )
    return found


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
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
