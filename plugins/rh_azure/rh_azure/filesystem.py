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

    def do_connect(self) -> None:
        super().do_connect()
        made = self.service_client
        self.service_client = BlobServiceClient(
            account_url=made.url,
            credential=made.credential,
            retry_policy=retry_policy(),
            connection_timeout=CONNECTION_TIMEOUT,
            read_timeout=READ_TIMEOUT,
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
    """The adlfs filesystem for ``data_config``, with rhcore's defaults filled in.

    ``use_listings_cache=False`` unless set: adlfs caches listings forever, so a process
    would not see blobs another process wrote since; Runs and the registry are shared.
    """
    config = dict(data_config)
    config.setdefault("use_listings_cache", False)
    config.setdefault("connection_timeout", CONNECTION_TIMEOUT)
    config.setdefault("read_timeout", READ_TIMEOUT)
    return RunAzureBlobFileSystem(**config)
