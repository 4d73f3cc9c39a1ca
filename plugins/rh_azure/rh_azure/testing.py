"""A real Azure Blob server for tests and benchmarks: Azurite on 127.0.0.1.

Azurite comes from npm; install it once into the repository's ``.services`` folder::

    npm install --prefix .services/node azurite@3.37.0

(or point ``RH_AZURITE`` at its ``dist/src/blob/main.js``). The server keeps everything
in memory and, unlike with Azurite's well-known development key, signs with an account
and key made for this server, so wrong credentials fail as they would on Azure::

    with Azurite.start() as server:
        config = server.data_config()            # adlfs keyword arguments reaching it
        server.create_container("runs")
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from rhcore.testing.servers import ServerProcess, port_answers

AZURITE_VERSION = "3.37.0"
ACCOUNT = "rhtestaccount"


def azurite_main() -> str:
    """Where Azurite's blob server script is: ``RH_AZURITE``, or ``.services`` under the
    working directory or any folder above this package."""
    configured = os.environ.get("RH_AZURITE")
    if configured:
        return configured
    relative = Path(".services/node/node_modules/azurite/dist/src/blob/main.js")
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        if (base / relative).is_file():
            return str(base / relative)
    raise RuntimeError(
        "Azurite is not installed: run "
        f"`npm install --prefix .services/node azurite@{AZURITE_VERSION}` in the repository "
        "(or set RH_AZURITE to its dist/src/blob/main.js)"
    )


class Azurite:
    """A running Azurite blob service; use :meth:`start`, and :meth:`stop` it (or use it as
    a context manager)."""

    def __init__(self, server: ServerProcess, key: str):
        self.server = server
        self.account = ACCOUNT
        self.key = key
        self.endpoint = f"{server.url}/{ACCOUNT}"

    @classmethod
    def start(cls) -> Azurite:
        """Start Azurite on a free port with a fresh account key; wait until it accepts
        connections."""
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Azurite needs Node.js: apt-get install nodejs npm")
        main = azurite_main()
        key = base64.b64encode(secrets.token_bytes(64)).decode()
        server = ServerProcess.launch(
            lambda port: [
                node, main, "--blobHost", "127.0.0.1", "--blobPort", str(port),
                "--inMemoryPersistence", "--skipApiVersionCheck", "--loose",
                "--disableTelemetry", "--silent",
            ],
            ready=port_answers,
            name="Azurite",
            env={"AZURITE_ACCOUNTS": f"{ACCOUNT}:{key}"},
        )
        return cls(server, key)

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Azurite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def connection_string(self, key: str | None = None) -> str:
        """The account's connection string (signed with ``key``, by default the right one)."""
        return (
            f"DefaultEndpointsProtocol=http;AccountName={self.account};"
            f"AccountKey={key or self.key};BlobEndpoint={self.endpoint};"
        )

    def data_config(self, key: str | None = None) -> dict[str, Any]:
        """An ``azure`` system ``data_config`` reaching this server (adlfs keyword arguments)."""
        return {"connection_string": self.connection_string(key)}

    def environment(self) -> dict[str, str]:
        """The same as the standard environment variable (for subprocesses)."""
        return {"AZURE_STORAGE_CONNECTION_STRING": self.connection_string()}

    def create_container(self, name: str) -> str:
        """Create container ``name``; return it."""
        self._fs().mkdir(name)
        return name

    def containers(self) -> list[str]:
        return sorted(self._fs().ls(""))

    def blobs(self, container: str) -> dict[str, bytes]:
        """Every blob of ``container`` with its bytes, by ``container/name``."""
        fs = self._fs()
        return {path: fs.cat_file(path) for path in fs.find(container)}

    def _fs(self) -> Any:
        from rh_azure.filesystem import azure_filesystem

        return azure_filesystem({**self.data_config(), "skip_instance_cache": True})
