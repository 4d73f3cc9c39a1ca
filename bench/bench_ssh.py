"""A warm synchronous remote call on an SSH cluster, against one plain ``ssh host true``
command, in the same run, on a real sshd on 127.0.0.1 (started here, with fresh keys).

Target: the warm call is faster than one plain ``ssh`` command — it reuses the cluster's
connection and its warm worker. Run: ``python bench/bench_ssh.py``.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rh_ssh_cluster.testing import SSHServer

N = int(os.environ.get("BENCH_CALLS", "50"))


def summer(a, b):
    return a + b


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1e3, ordered[int(len(ordered) * 0.9)] * 1e3


def main() -> None:
    server = SSHServer.start(Path(tempfile.mkdtemp(prefix="rh-ssh-bench-")))
    d, port = server.dir, server.port
    os.environ["HOME"] = str(d)
    os.chdir(d)
    try:
        import rhcore as rh

        cpu = rh.cluster(name="cpu", ips=["127.0.0.1"], ssh_port=port, python=sys.executable,
                         ssh_creds={"ssh_user": getpass.getuser(), "ssh_private_key": str(d / "id_ed25519"),
                                    "known_hosts": str(d / "known_hosts")},
                         logs_dir=str(d / "logs"))
        f = rh.function(summer).to(cpu)
        start = time.perf_counter()
        f(1, 2, stream_logs=False)
        cold = time.perf_counter() - start
        ssh = ["ssh", "-p", str(port), "-i", str(d / "id_ed25519"),
               "-o", f"UserKnownHostsFile={d / 'known_hosts'}", "-o", "BatchMode=yes",
               "-o", "IdentitiesOnly=yes", f"{getpass.getuser()}@127.0.0.1", "true"]
        plain, warm, named = [], [], []
        for i in range(N):  # interleaved, so both see the same machine
            t = time.perf_counter()
            subprocess.run(ssh, check=True, stdin=subprocess.DEVNULL)
            plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            f(1, 2, stream_logs=False)
            warm.append(time.perf_counter() - t)
            t = time.perf_counter()
            f(1, 2, run_name=f"bench-{i}", stream_logs=False)
            named.append(time.perf_counter() - t)
        print(f"{N} calls each, sshd on 127.0.0.1\n")
        print(f"{'':<44}{'p50 ms':>10}{'p90 ms':>10}")
        def row(label: str, samples: list[float]) -> None:
            print(f"{label:<44}" + "".join(f"{v:>10.1f}" for v in percentiles(samples)))

        row("plain `ssh host true` (a new connection)", plain)
        print(f"{'f(1, 2) on the SSH cluster, cold':<44}{cold * 1e3:>10.1f}")
        row("f(1, 2) on the SSH cluster, warm", warm)
        row("f(1, 2, run_name=...) warm, recorded", named)
        ratio = percentiles(warm)[0] / percentiles(plain)[0]
        print(f"\ntarget: warm call faster than one ssh command -> {'met' if ratio < 1 else 'MISSED'} "
              f"({ratio:.2f}x its time)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
