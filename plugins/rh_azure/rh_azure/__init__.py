"""The ``azure`` system: Runs and the registry on Azure Blob Storage.

Installed with ``pip install 'rhcore[azure]'`` (distribution ``rh-azure``) and found
through the ``rhcore`` entry-point group. Paths are ``container/prefix/name`` (an
``azure://``, ``az://`` or ``abfs://`` scheme is accepted too); ``data_config`` is passed to
``adlfs.AzureBlobFileSystem(**data_config)`` as is — ``connection_string``,
``account_name`` with ``account_key``, ``sas_token`` or ``credential``, ``anon``, … — and
credentials may also come from the standard environment (``AZURE_STORAGE_CONNECTION_STRING``,
``AZURE_STORAGE_ACCOUNT_NAME`` / ``_KEY`` / ``_SAS_TOKEN``, a service principal).

Defaults that differ from adlfs's, each only when ``data_config`` does not set it:

* ``use_listings_cache=False``: adlfs caches listings forever, so a process would not see
  blobs another process wrote since. Runs and the registry are shared.
* ``connection_timeout=5`` and ``read_timeout=60`` seconds, and three attempts a second
  apart per request instead of eleven over a minute and a half: an unreachable account is
  reported within seconds.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rhcore import hookimpl
from rhcore.spec import Capabilities, SystemSpec

__version__ = "0.1.0"

CAPABILITIES = Capabilities(atomic_write=True, exclusive_create=True)
"""A whole-blob upload (or block list commit) is atomic; ``pipe_file(mode="create")``
uploads with ``If-None-Match: *``, which Azure refuses with 409 when the blob exists
(adlfs raises FileExistsError)."""

SECRET_FIELDS = ("account_key", "sas_token", "connection_string", "credential", "client_secret")
"""The ``data_config`` keys that hold credentials (a connection string holds the account key
or a SAS, each a secret on its own too)."""


def azure_filesystem(data_config: dict[str, Any]) -> Any:
    """The adlfs filesystem for ``data_config`` (see :mod:`rh_azure.filesystem`)."""
    from rh_azure.filesystem import azure_filesystem as make

    return make(data_config)


@hookimpl
def rhcore_register_systems(register: Callable[[SystemSpec], None]) -> None:
    register(
        SystemSpec(
            name="azure",
            protocols=("azure", "az", "abfs", "abfss"),
            capabilities=CAPABILITIES,
            description="Azure Blob Storage (adlfs)",
            factory=azure_filesystem,
            secret_fields=SECRET_FIELDS,
        )
    )
