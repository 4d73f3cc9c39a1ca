"""1,000 tiny function Runs through ``f.map`` on a Ray cluster, against 1,000 plain
``ray.remote`` tasks of the same function, in the same run.

Target: rhcore's wall time at most 2x plain Ray's (read strictly: the issue's "overhead at
most 2x plain Ray's wall time" also allows rhcore's extra time alone to be 2x; both are
printed). Starts its own 2-CPU local Ray head
(``ray start --head``) and stops it. Run: ``python bench/bench_ray.py``. The Run folders
go under a fresh ``HOME`` in the temporary directory, or in ``BENCH_DIR``:
``BENCH_DIR=/dev/shm`` keeps them in memory, which separates rhcore's own cost from the
disk's.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

N = int(os.environ.get("BENCH_RUNS", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


def summer(a, b):
    return a + b


def start_head() -> tuple[str, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp = tempfile.mkdtemp(prefix="rh-ray-bench-")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    ray_cli = shutil.which("ray", path=os.path.dirname(sys.executable)) or "ray"
    subprocess.run([ray_cli, "start", "--head", "--num-cpus", "2", "--port", str(port),
                    "--node-ip-address", "127.0.0.1", "--include-dashboard=false",
                    "--disable-usage-stats", "--temp-dir", temp], check=True, capture_output=True)
    return f"127.0.0.1:{port}", ray_cli


def main() -> None:
    address, ray_cli = start_head()
    home = tempfile.mkdtemp(prefix="rhcore-bench-", dir=os.environ.get("BENCH_DIR"))
    os.environ["HOME"] = home
    os.chdir(home)
    try:
        import ray

        import rhcore as rh

        grid = rh.cluster(name="grid", kind="ray", address=address)
        f = rh.function(summer, system=grid)
        f(1, 1)  # connect and warm both paths
        plain = ray.remote(summer)
        ray.get([plain.remote(i, 1) for i in range(100)])

        plain_times, rh_times, submit_times = [], [], []
        for round_ in range(ROUNDS):  # interleaved: both see the same machine
            start = time.perf_counter()
            assert ray.get([plain.remote(i, 1) for i in range(N)]) == [i + 1 for i in range(N)]
            plain_times.append(time.perf_counter() - start)

            start = time.perf_counter()
            runs = f.map(((i, 1) for i in range(N)), run_name_prefix=f"bench{round_}")
            submit_times.append(time.perf_counter() - start)
            for run in runs:
                while not run.refresh().status.is_final:
                    time.sleep(0.005)
            rh_times.append(time.perf_counter() - start)
            assert [r.result() for r in runs] == [i + 1 for i in range(N)]

        ray_time, rh_time = statistics.median(plain_times), statistics.median(rh_times)
        print(f"{N} tiny tasks on a 2-CPU local Ray cluster, median of {ROUNDS} interleaved rounds\n")
        print(f"{'':<34}{'wall s':>9}{'runs/s':>9}")
        print(f"{'plain ray.remote':<34}{ray_time:>9.2f}{N / ray_time:>9.0f}")
        print(f"{'rhcore f.map (a Run folder each)':<34}{rh_time:>9.2f}{N / rh_time:>9.0f}"
              f"   (submitted in {statistics.median(submit_times):.2f} s)")
        ratio = rh_time / ray_time
        rounds = ", ".join(f"{r / p:.2f}x" for r, p in zip(rh_times, plain_times, strict=True))
        print(f"round by round: {rounds}")
        overhead = rh_time - ray_time
        print(f"rhcore's overhead: {overhead:.2f} s, {overhead / ray_time:.2f}x plain Ray's wall time "
              f"({(overhead / N) * 1e3:.2f} ms per Run)")
        print(f"\ntarget: rhcore <= 2x plain Ray -> {'met' if ratio <= 2 else 'MISSED'} ({ratio:.2f}x)")
    finally:
        if "ray" in sys.modules:
            sys.modules["ray"].shutdown()
        subprocess.run([ray_cli, "stop", "--force"], capture_output=True)


if __name__ == "__main__":
    main()
