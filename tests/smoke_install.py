"""A smoke test of an installed rhcore (run by ``nox -s wheels`` in a fresh virtual
environment that installed ``rhcore[s3,ssh]`` from wheels built from this repository)."""

import os
import subprocess
import sys
import tempfile

import rhcore as rh
from rhcore.plugins import get_plugins

os.chdir(tempfile.mkdtemp())
os.environ["HOME"] = os.getcwd()

systems = set(get_plugins().systems)
assert {"file", "s3", "sftp", "ssh"} <= systems, systems
assert {"local", "ssh"} <= set(get_plugins().executors)

with rh.run(name="smoke") as r:
    print("installed from the wheelhouse")
assert rh.run(path=r.path).stdout() == "installed from the wheelhouse"


def double(x):
    return 2 * x


assert rh.function(double)(21, run_name="smoke_fn") == 42
listed = subprocess.run([os.path.join(os.path.dirname(sys.executable), "rh"), "plugins"],
                        capture_output=True, text=True, check=True).stdout
for name in ("rh-s3", "rh-ssh-cluster", "systems: s3"):
    assert name in listed, listed
print("smoke test passed:", ", ".join(sorted(systems)))
