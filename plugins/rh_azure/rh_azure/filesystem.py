"""The adlfs filesystem behind the ``azure`` system, with rhcore's defaults (see the
package docstring). Imported only when an ``azure`` filesystem is first made: adlfs and
the Azure SDK take a second to import, which every process that loads plugins would pay.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from adlfs import AzureBlobFileSystem
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob.aio import BlobServiceClient, LinearRetry
from fsspec.asyn import sync_wrapper

CONNECTION_TIMEOUT = 5
"""Seconds to establish a connection (the SDK waits 20)."""

READ_TIMEOUT = 60
"""Seconds between bytes of a response before it is given up."""


def retry_policy() -> LinearRetry:
    """Three attempts a second apart, instead of the SDK's eleven over a minute and a half:
    an unreachable account is reported within seconds, a transient error still retried."""
    return LinearRetry(backoff=1, random_jitter_range=0.5, retry_total=2)


class RunAzureBlobFileSystem(AzureBlobFileSystem):
    """adlfs, with a service client that gives up within seconds (see :func:`retry_policy`),
    uploads into a missing container reported as FileNotFoundError, and the account's
    containers listed without a listings cache."""

    def __init__(
        self,
        *args: Any,
        connection_timeout: float = CONNECTION_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        use_listings_cache: bool = False,
        **kwargs: Any,
    ):
        # the service client made by do_connect (called by adlfs's __init__) uses these
        self.client_timeouts = {"connection_timeout": connection_timeout, "read_timeout": read_timeout}
        super().__init__(*args, use_listings_cache=use_listings_cache, **self.client_timeouts, **kwargs)

    def do_connect(self) -> None:
        """adlfs's client, remade with rhcore's retries and the timeouts of every request
        (adlfs passes its timeouts to transfers only)."""
        super().do_connect()
        made = self.service_client
        self.service_client = BlobServiceClient(
            account_url=made.url,
            credential=made.credential,
            retry_policy=retry_policy(),
            **self.client_timeouts,
        )

    async def _pipe_file(self, path: str, value: bytes, *args: Any, **kwargs: Any) -> Any:
        with _container_must_exist(path):
            return await super()._pipe_file(path, value, *args, **kwargs)

    async def _put_file(self, lpath: str, rpath: str, *args: Any, **kwargs: Any) -> Any:
        with _container_must_exist(rpath):
            return await super()._put_file(lpath, rpath, *args, **kwargs)

    async def _ls_containers(self, return_glob: bool = False) -> list[dict[str, Any]]:
        # adlfs reads the account's listing back from its listings cache, which is off
        containers = [c async for c in self.service_client.list_containers(include_metadata=True)]
        return await self._details(containers)

    pipe_file = sync_wrapper(_pipe_file)
    put_file = sync_wrapper(_put_file)


@contextlib.contextmanager
def _container_must_exist(path: str) -> Iterator[None]:
    try:
        yield
    except ResourceNotFoundError as exc:
        if getattr(exc, "error_code", None) != "ContainerNotFound":
            raise
        container = path.split("://", 1)[-1].lstrip("/").split("/", 1)[0]
        raise FileNotFoundError(f"The container {container!r} does not exist") from None


def azure_filesystem(data_config: dict[str, Any]) -> RunAzureBlobFileSystem:
    """The filesystem for ``data_config`` (adlfs's keyword arguments), with rhcore's
    defaults for ``use_listings_cache`` (off: adlfs caches listings forever, so a process
    would not see blobs another process wrote since), ``connection_timeout`` and
    ``read_timeout`` where it does not set them."""
    return RunAzureBlobFileSystem(**data_config)
