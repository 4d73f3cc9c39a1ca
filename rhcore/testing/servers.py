"""Real servers for plugin test suites: a process on a free port of 127.0.0.1, started,
waited for and stopped.

A plugin's fixture describes its server — the command for a port and how to tell it is
ready — and gets back a running :class:`ServerProcess`::

    server = ServerProcess.launch(
        lambda port: ["my-server", "--port", str(port)],
        ready=lambda port: port_answers(port),
        name="my server",
    )
    ...
    server.stop()
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping

READY_TIMEOUT = 30.0
"""Seconds a started server has to answer."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def http_answers(url: str) -> bool:
    """Whether ``url`` answers a GET with a status below 500."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (OSError, urllib.error.URLError):
        return False


class ServerProcess:
    """A server started by :meth:`launch`; its output goes to a log file, kept for errors
    and removed by :meth:`stop`. Usable as a context manager."""

    def __init__(self, process: subprocess.Popen, port: int, log_path: str, name: str):
        self.process = process
        self.port = port
        self.log_path = log_path
        self.name = name

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def launch(
        cls,
        command: Callable[[int], list[str]],
        ready: Callable[[int], bool],
        *,
        name: str,
        env: Mapping[str, str] | None = None,
        timeout: float = READY_TIMEOUT,
        attempts: int = 3,
    ) -> ServerProcess:
        """Start ``command(port)`` on a free port and wait until ``ready(port)``.

        A port taken between choosing and binding it makes the server exit: then another
        port is tried, ``attempts`` times in all.
        """
        last_error = ""
        for _ in range(attempts):
            port = free_port()
            log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept for errors
                prefix=f"{name.replace(' ', '-')}-", suffix=".log", delete=False
            )
            process = subprocess.Popen(
                command(port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=None if env is None else {**os.environ, **env},
                start_new_session=True,
            )
            log.close()
            server = cls(process, port, log.name, name)
            try:
                server._wait_ready(ready, timeout)
                return server
            except RuntimeError as exc:
                last_error = str(exc)
                server.stop()
        raise RuntimeError(f"{name} did not start after {attempts} attempts: {last_error}")

    def _wait_ready(self, ready: Callable[[int], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {self.log()}")
            if ready(self.port):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} on port {self.port} not ready after {timeout:.0f} s: {self.log()}")

    def log(self) -> str:
        """The end of what the server printed."""
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s) and remove its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
