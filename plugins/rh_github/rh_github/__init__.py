"""The ``github`` system: Runs published in a GitHub repository, read-only.

Installed with ``pip install 'rhcore[github]'`` (distribution ``rh-github``) and found
through the ``rhcore`` entry-point group. A team publishes a Run by committing its folder
(config, result, logs) and pushing; anyone then loads it at a branch, tag or commit::

    rh.run(path="runs/train", system="github",
           data_config={"org": "acme", "repo": "models", "sha": "main"})

``data_config``: ``org``, ``repo``, ``sha`` (default: the repository's default branch),
``username``/``token`` for private repositories and higher rate limits (a token alone
works too), ``api_url`` for GitHub Enterprise (``https://github.example.com/api/v3``),
``timeout``. The token is a secret: it is never written anywhere.

Writing is refused with :class:`rhcore.ReadOnlySystemError`: copy a Run out with
``to("here")`` or ``to("file", path=...)``, change it there, and publish with git.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rhcore import hookimpl
from rhcore.spec import Capabilities, SystemSpec

__version__ = "0.1.0"

CAPABILITIES = Capabilities(read_only=True, exclusive_create=False)
"""Read-only: Runs are published with git, not written through the API."""

SECRET_FIELDS = ("token",)
"""The ``data_config`` key that holds a credential (a personal access token)."""


def github_filesystem(data_config: dict[str, Any]) -> Any:
    """The filesystem for ``data_config`` (see :mod:`rh_github.filesystem`)."""
    from rh_github.filesystem import github_filesystem as make

    return make(data_config)


@hookimpl
def rhcore_register_systems(register: Callable[[SystemSpec], None]) -> None:
    register(
        SystemSpec(
            name="github",
            protocols=("github",),
            capabilities=CAPABILITIES,
            description="Runs published in a GitHub repository (read-only)",
            factory=github_filesystem,
            secret_fields=SECRET_FIELDS,
        )
    )
