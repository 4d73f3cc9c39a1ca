"""The s3fs filesystem behind the ``s3`` system, with rhcore's defaults (see the package
docstring). Imported only when an ``s3`` filesystem is first made: s3fs and botocore take
a quarter of a second to import, which every process that loads plugins would pay."""

from __future__ import annotations

import copy
from typing import Any

import s3fs

DEFAULT_CONFIG_KWARGS: dict[str, Any] = {
    "connect_timeout": 3,
    "retries": {"mode": "standard", "max_attempts": 2},
}
"""botocore ``Config`` settings used unless ``data_config["config_kwargs"]`` sets them."""

class RunS3FileSystem(s3fs.S3FileSystem):
    """s3fs, keeping fsspec's ``rm_file`` contract: removing a missing object raises
    FileNotFoundError. S3's DeleteObject succeeds either way, so the object is looked up
    first; between two concurrent removers both may be told it existed."""

    async def _rm_file(self, path: str, **kwargs: Any) -> None:
        if not await self._isfile(path):
            raise FileNotFoundError(f"No object {path}")
        await super()._rm_file(path, **kwargs)


def s3_filesystem(data_config: dict[str, Any]) -> RunS3FileSystem:
    """The s3fs filesystem for ``data_config``, with rhcore's defaults filled in.

    ``data_config`` is deep-copied first: botocore rewrites the ``retries`` mapping it is
    given, and the caller's dict must stay as it was (it also keys the filesystem cache).
    """
    config = copy.deepcopy(dict(data_config))
    config.setdefault("use_listings_cache", False)
    config_kwargs = dict(config.get("config_kwargs") or {})
    for key, value in DEFAULT_CONFIG_KWARGS.items():
        config_kwargs.setdefault(key, copy.deepcopy(value))
    config["config_kwargs"] = config_kwargs
    return RunS3FileSystem(**config)


