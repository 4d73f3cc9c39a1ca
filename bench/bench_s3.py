"""Throughput of ``Run.to("s3")`` against ``s3fs.put`` of the same folder.

A Run with a 200 MB result (``BENCH_S3_MB``) is copied from the local disk to a moto S3
server started on a free port of this machine, alternately by plain
``s3fs.S3FileSystem.put(folder, dest, recursive=True)`` (the baseline: s3fs's own
multipart upload with its defaults) and by ``run.to("s3", path=...)`` (which adds reading
the source config, checking the destination, and publishing the config last). Each copy
is deleted before the next, so the server holds one at a time.

Target: ``run.to`` reaches at least 90% of the baseline's throughput (median of
``BENCH_S3_ROUNDS`` rounds, default 3). Needs ``pip install ./rh_s3 'moto[server]'``.
Run: ``python bench/bench_s3.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

import s3fs
from rh_s3.testing import MotoServer

import rhcore as rh
from rhcore import layout

SIZE_MB = int(os.environ.get("BENCH_S3_MB", "200"))
ROUNDS = int(os.environ.get("BENCH_S3_ROUNDS", "3"))
BUCKET = "bench"


def make_run(root: str) -> rh.Run:
    with rh.run(name="big", path=os.path.join(root, "big")) as r:
        pass
    with open(os.path.join(r.path, layout.RESULT_FILE), "wb") as f:
        for _ in range(SIZE_MB):
            f.write(os.urandom(1024 * 1024))
    return r


def folder_bytes(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def timed(copy, fs: s3fs.S3FileSystem, dest: str, expected: int) -> float:
    start = time.perf_counter()
    copy(dest)
    elapsed = time.perf_counter() - start
    stored = sum(fs.sizes(fs.find(dest)))
    if stored != expected:
        raise SystemExit(f"copy to {dest} holds {stored} bytes, expected {expected}")
    fs.rm(dest, recursive=True)
    return elapsed


def main() -> None:
    with MotoServer.start() as server, tempfile.TemporaryDirectory() as root:
        os.chdir(root)
        config = server.data_config()
        server.create_bucket(BUCKET)
        baseline_fs = s3fs.S3FileSystem(**config, skip_instance_cache=True)
        run = make_run(root)
        total = folder_bytes(run.path)

        def by_s3fs(dest: str) -> None:
            baseline_fs.put(run.path, dest, recursive=True)

        def by_rhcore(dest: str) -> None:
            run.to("s3", path=dest, data_config=config)

        print(f"rhcore {rh.__version__}, s3fs {s3fs.__version__}, Python {sys.version.split()[0]}")
        print(
            f"copying a Run of {total / 2**20:.1f} MiB (result.pkl {SIZE_MB} MiB) to moto at "
            f"{server.endpoint}, {ROUNDS} rounds\n"
        )
        timed(
            by_s3fs, baseline_fs, f"{BUCKET}/warm-s3fs", total
        )  # first connections, first multipart
        timed(by_rhcore, baseline_fs, f"{BUCKET}/warm-rhcore", total)
        times: dict[str, list[float]] = {"s3fs.put (baseline)": [], 'run.to("s3")': []}
        for i in range(ROUNDS):
            pair = [("s3fs.put (baseline)", by_s3fs), ('run.to("s3")', by_rhcore)]
            for label, copy in pair if i % 2 == 0 else reversed(pair):
                times[label].append(timed(copy, baseline_fs, f"{BUCKET}/{i}-{label[:5]}", total))

        print(f"{'copy':<22}{'median s':>10}{'MiB/s':>10}   rounds (s)")
        rates = {}
        for label, samples in times.items():
            median = statistics.median(samples)
            rates[label] = total / 2**20 / median
            print(
                f"{label:<22}{median:>10.2f}{rates[label]:>10.1f}   "
                + " ".join(f"{s:.2f}" for s in samples)
            )
        ratio = rates['run.to("s3")'] / rates["s3fs.put (baseline)"]
        print(
            f"\nrun.to reaches {ratio:.0%} of s3fs.put's throughput; "
            f"target >= 90% -> {'met' if ratio >= 0.9 else 'MISSED'}"
        )
        os.chdir("/")


if __name__ == "__main__":
    main()
