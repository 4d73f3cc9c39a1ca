"""The ``rh`` command line."""

from __future__ import annotations

import sys

import click

from rhcore import __version__
from rhcore.errors import RhcoreError


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


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
