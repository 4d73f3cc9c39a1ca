"""The gcsfs filesystem behind the ``gs`` system, with rhcore's defaults (see the package
docstring). Imported only when a ``gs`` filesystem is first made: gcsfs and the Google
client libraries take seconds to import, which every process that loads plugins would pay.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import aiohttp
from gcsfs.core import GCSFileSystem
from gcsfs.retry import retry_request

logging.getLogger("gcsfs").addHandler(logging.NullHandler())
# gcsfs logs each failed request's traceback at ERROR before raising; without a handler
# Python prints it to stderr ahead of rhcore's own error. Applications that configure
# logging still receive these records.

ATTEMPTS = 3
"""Tries of each request (gcsfs makes six, backing off 1, 2, 4, 8 and 16 s, so an
unreachable endpoint took half a minute to report): three, over about four seconds,
still ride out a transient 5xx or a dropped connection."""

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=60)
"""Per-request limits unless ``data_config`` sets ``requests_timeout``: a connection
is refused or made within seconds; a transfer may take as long as it needs while data
keeps coming."""


class RunGCSFileSystem(GCSFileSystem):
    """gcsfs's JSON-API filesystem, retrying less (see :data:`ATTEMPTS`).

    It is the class in ``gcsfs.core``, not the ``gcsfs.GCSFileSystem`` that gcsfs 2026.10
    swaps for an experimental one asking a gRPC API about each bucket's type (emulators
    and proxies have no such API: every call then hangs for a minute).
    """

    _request = retry_request(retries=ATTEMPTS)(GCSFileSystem._request.__wrapped__)

    async def _pipe_file(self, path: str, data: bytes, **kwargs: Any) -> Any:
        with _bucket_must_exist(self.split_path(path)[0]):
            return await super()._pipe_file(path, data, **kwargs)

    async def _put_file(self, lpath: str, rpath: str, **kwargs: Any) -> Any:
        with _bucket_must_exist(self.split_path(rpath)[0]):
            return await super()._put_file(lpath, rpath, **kwargs)


@contextlib.contextmanager
def _bucket_must_exist(bucket: str) -> Iterator[None]:
    """An upload answered 404 went to a missing bucket: say so (gcsfs's message is the
    request's URL)."""
    try:
        yield
    except FileNotFoundError:
        raise FileNotFoundError(f"The bucket {bucket!r} does not exist") from None


def gs_filesystem(data_config: dict[str, Any]) -> RunGCSFileSystem:
    """The gcsfs filesystem for ``data_config``, with rhcore's defaults filled in.

    ``cache_timeout=0`` unless set: gcsfs caches listings forever by default, so a process
    would not see objects another process wrote since; Runs and the registry are shared.
    """
    config = dict(data_config)
    config.setdefault("cache_timeout", 0)
    config.setdefault("requests_timeout", DEFAULT_TIMEOUT)
    return RunGCSFileSystem(**config)
