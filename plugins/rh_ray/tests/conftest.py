"""A real local Ray head for the tests: ``ray start --head`` on free ports, stopped at the end."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from rhcore.testing.fixtures import isolated  # noqa: F401  (autouse)
from rhcore.testing.servers import free_port


@pytest.fixture(scope="session")
def ray_head():
    """The address of a 2-CPU Ray head started for this test session."""
    ray = shutil.which("ray", path=os.path.dirname(sys.executable)) or shutil.which("ray")
    # Token auth keeps its token under HOME, which each test changes: a loopback test
    # cluster runs without it (for the head, its workers, and this process).
    os.environ["RAY_AUTH_MODE"] = "disabled"
    port = free_port()
    temp = tempfile.mkdtemp(prefix="rh-ray-")
    command = [ray, "start", "--head", "--num-cpus", "2", "--port", str(port),
               "--node-ip-address", "127.0.0.1", "--include-dashboard=false",
               "--disable-usage-stats", "--temp-dir", temp]
    started = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        raise RuntimeError(f"ray start failed:\n{started.stdout}\n{started.stderr}")
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    yield address
    import ray as ray_module

    ray_module.shutdown()
    subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120)
    shutil.rmtree(temp, ignore_errors=True)
