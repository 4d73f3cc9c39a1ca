"""The ``s3`` system: Runs and the registry on Amazon S3 or any S3-compatible store.

Installed with ``pip install 'rhcore[s3]'`` (distribution ``rh-s3``) and found through the
``rhcore`` entry-point group. Paths are ``bucket/prefix/name`` (a leading ``/`` or an
``s3://`` / ``s3a://`` scheme is accepted too); ``data_config`` is passed to
``s3fs.S3FileSystem(**data_config)`` as is — ``key``, ``secret``, ``token``,
``endpoint_url``, ``client_kwargs``, ``config_kwargs``, … — and credentials may also come
from the standard AWS environment (``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``, profiles).

Two defaults differ from s3fs's, each only when ``data_config`` does not set it:

* ``use_listings_cache=False``: s3fs caches listings forever, so a process that listed a
  prefix would not see objects another process wrote since (``isfile`` answers False).
  Runs and the registry are shared between processes and machines; they need fresh
  answers.
* botocore ``config_kwargs`` ``connect_timeout=3`` and
  ``retries={"mode": "standard", "max_attempts": 2}``: AWS's recommended retry mode with
  three attempts in all, so an unreachable endpoint is reported within seconds rather
  than after minutes of retries, while throttling and transient 5xx are still retried.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rhcore import hookimpl
from rhcore.spec import Capabilities, SystemSpec

__version__ = "0.1.0"

CAPABILITIES = Capabilities(atomic_write=True, exclusive_create=True)
"""A whole-object PUT is atomic; ``pipe_file(mode="create")`` sends ``If-None-Match: *``,
which S3 (since 2024) and compatible stores that implement conditional writes refuse with
412 when the object exists (s3fs raises FileExistsError)."""

SECRET_FIELDS = ("key", "secret", "token", "aws_access_key_id", "aws_secret_access_key",
                 "aws_session_token", "SSECustomerKey")
"""The ``data_config`` keys that hold credentials: s3fs's own, and botocore's in
``client_kwargs`` or ``s3_additional_kwargs`` (a customer-provided encryption key)."""


def s3_filesystem(data_config: dict[str, Any]) -> Any:
    """The s3fs filesystem for ``data_config`` (see :mod:`rh_s3.filesystem`)."""
    from rh_s3.filesystem import s3_filesystem as make

    return make(data_config)


@hookimpl
def rhcore_register_systems(register: Callable[[SystemSpec], None]) -> None:
    register(
        SystemSpec(
            name="s3",
            protocols=("s3", "s3a"),
            capabilities=CAPABILITIES,
            description="Amazon S3 and S3-compatible object stores (s3fs)",
            factory=s3_filesystem,
            secret_fields=SECRET_FIELDS,
        )
    )
