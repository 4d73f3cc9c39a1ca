"""The ``gs`` system: Runs and the registry on Google Cloud Storage.

Installed with ``pip install 'rhcore[gs]'`` (distribution ``rh-gs``) and found through the
``rhcore`` entry-point group. Paths are ``bucket/prefix/name`` (a ``gs://`` or ``gcs://``
scheme is accepted too); ``data_config`` is passed to ``gcsfs.GCSFileSystem(**data_config)``
as is — ``project``, ``token`` (a service-account file or its contents, ``"google_default"``,
``"anon"``, …), ``endpoint_url``, ``requester_pays``, … Credentials may also come from the
standard Google environment (``GOOGLE_APPLICATION_CREDENTIALS``, ``gcloud`` login, the
metadata server), and an emulator from ``STORAGE_EMULATOR_HOST``.

Three defaults differ from gcsfs's, each only when ``data_config`` does not set it:

* ``cache_timeout=0``: gcsfs caches listings forever, so a process would not see objects
  another process wrote since. Runs and the registry are shared; they need fresh answers.
* ``requests_timeout``: connecting gives up after 5 s and a stalled read after 60 s,
  instead of waiting five minutes per request.
* three attempts per request instead of six, so an unreachable endpoint is reported in
  about five seconds rather than half a minute, while a transient error is still retried.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rhcore import hookimpl
from rhcore.spec import Capabilities, SystemSpec

__version__ = "0.1.0"

CAPABILITIES = Capabilities(atomic_write=True, exclusive_create=True)
"""A whole-object upload is atomic; ``pipe_file(mode="create")`` uploads with
``ifGenerationMatch=0``, which GCS refuses with 412 when the object exists (gcsfs raises
FileExistsError)."""

SECRET_FIELDS = ("token",)
"""The ``data_config`` key that holds credentials (a service account's file or contents,
an OAuth token)."""


def gs_filesystem(data_config: dict[str, Any]) -> Any:
    """The gcsfs filesystem for ``data_config`` (see :mod:`rh_gs.filesystem`)."""
    from rh_gs.filesystem import gs_filesystem as make

    return make(data_config)


@hookimpl
def rhcore_register_systems(register: Callable[[SystemSpec], None]) -> None:
    register(
        SystemSpec(
            name="gs",
            protocols=("gs", "gcs"),
            capabilities=CAPABILITIES,
            description="Google Cloud Storage (gcsfs)",
            factory=gs_filesystem,
            secret_fields=SECRET_FIELDS,
        )
    )
