"""Assembling rhcore: the built-in plugins, handed to the plugin manager in order.

The core's own behaviour is made of plugins like any other (``rh plugins`` lists them):
this module, at the top of the layers, is the one place that knows them all, as tox's
``plugin/manager.py`` knows tox's own.
"""

from __future__ import annotations

from rhcore import cluster, defaults, plugins
from rhcore.execution import local
from rhcore.lifecycle import Heartbeat, LogCapture
from rhcore.provenance import LineageRecorder
from rhcore.run import CoreLifecycle

BUILTIN_PLUGINS: tuple[tuple[str, object], ...] = (
    ("rhcore.defaults", defaults),
    ("rhcore.run", CoreLifecycle()),
    ("rhcore.heartbeat", Heartbeat()),
    ("rhcore.lineage", LineageRecorder()),
    ("rhcore.logs", LogCapture()),
    ("rhcore.local", local),
    ("rhcore.clusters", cluster),
)
"""rhcore's own plugins: the status machine's table and the default layout; the core of a
``with`` block's lifecycle and the wrappers around it (heartbeat, lineage, log capture with
the ``file`` and ``stream`` log sinks); the ``local`` cluster kind; clusters by name."""


def install_builtins() -> None:
    """Hand rhcore's own plugins to every plugin manager built from now on."""
    plugins.use_builtins(BUILTIN_PLUGINS)
