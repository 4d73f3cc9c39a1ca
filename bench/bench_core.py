"""Cost of a context-manager Run and of capturing what it prints.

Measured in one process, side by side with baselines:

* an empty ``with rh.run():`` block against writing the same folder by hand (mkdir,
  RUNNING config via temp file + rename, empty .out/.err, COMPLETED config likewise);
* printing 100,000 lines inside a Run against printing them outside one, to a
  block-buffered stream (a file or pipe) and to a line-buffered one (a terminal).

Targets: a Run under 1 ms at p50; capture adds at most 50% to block-buffered printing.
Line-buffered printing (a terminal) pays one more system call per line, the log's own:
a Run's log is unbuffered so that a process killed mid-Run loses nothing it printed.
Run: ``python bench/bench_core.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time

import rhcore as rh

RUNS = int(os.environ.get("BENCH_RUNS", "3000"))
LINES = 100_000


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1e3, ordered[int(len(ordered) * 0.9)] * 1e3


def by_hand(folder: str) -> None:
    os.mkdir(folder)
    config = {"name": os.path.basename(folder), "status": "RUNNING", "run_type": "CTX_MANAGER"}
    tmp = os.path.join(folder, ".config.tmp")
    with open(tmp, "w") as f:
        json.dump(config, f)
    os.replace(tmp, os.path.join(folder, "config_for_run.json"))
    open(os.path.join(folder, "run.out"), "wb").close()
    open(os.path.join(folder, "run.err"), "wb").close()
    config["status"] = "COMPLETED"
    with open(tmp, "w") as f:
        json.dump(config, f)
    os.replace(tmp, os.path.join(folder, "config_for_run.json"))


def time_empty_runs() -> dict[str, tuple[float, float]]:
    hand, tracked = [], []
    with tempfile.TemporaryDirectory() as root:
        os.chdir(root)
        os.mkdir("byhand")
        for i in range(200):  # warm both paths
            by_hand(f"byhand/w{i}")
            with rh.run():
                pass
        for i in range(RUNS):  # interleaved, so both see the same machine
            t = time.perf_counter()
            by_hand(f"byhand/{i}")
            hand.append(time.perf_counter() - t)
            t = time.perf_counter()
            with rh.run():
                pass
            tracked.append(time.perf_counter() - t)
        os.chdir("/")
    return {"folder written by hand": percentiles(hand), "with rh.run(): pass": percentiles(tracked)}


def print_lines() -> float:
    t = time.perf_counter()
    for i in range(LINES):
        print("line", i, "of the benchmark's output")
    sys.stdout.flush()
    return time.perf_counter() - t


def time_printing(line_buffered: bool) -> tuple[float, float]:
    original = sys.stdout
    outside, inside = [], []
    with tempfile.TemporaryDirectory() as root:
        os.chdir(root)
        with open(os.devnull, "w", buffering=1 if line_buffered else -1) as sink:
            sys.stdout = sink
            try:
                for _ in range(3):
                    outside.append(print_lines())
                    with rh.run():
                        inside.append(print_lines())
            finally:
                sys.stdout = original
        os.chdir("/")
    return statistics.median(outside) * 1e3, statistics.median(inside) * 1e3


def main() -> None:
    print(f"rhcore {rh.__version__} on Python {sys.version.split()[0]}, {RUNS} runs each\n")
    print(f"{'empty block':<28}{'p50 ms':>10}{'p90 ms':>10}")
    results = time_empty_runs()
    for label, (p50, p90) in results.items():
        print(f"{label:<28}{p50:>10.3f}{p90:>10.3f}")
    p50 = results["with rh.run(): pass"][0]
    overhead = p50 - results["folder written by hand"][0]
    print(f"rhcore's own cost over the hand-written folder: {overhead:+.3f} ms at p50")
    print(f"target: p50 < 1 ms -> {'met' if p50 < 1 else 'MISSED'}"
          " (the disk's own speed is the by-hand line)\n")

    print(f"{'print 100,000 lines':<28}{'outside ms':>12}{'inside ms':>12}{'added':>9}")
    added = {}
    for label, line_buffered in (("block-buffered (file)", False), ("line-buffered (tty)", True)):
        outside, inside = time_printing(line_buffered)
        added[line_buffered] = inside / outside - 1
        print(f"{label:<28}{outside:>12.1f}{inside:>12.1f}{added[line_buffered]:>+9.0%}")
    print(f"target: capture adds <= 50% to block-buffered printing -> "
          f"{'met' if added[False] <= 0.5 else 'MISSED'} (line-buffered: one more write per line, "
          "so that a kill loses none of the log)")


if __name__ == "__main__":
    main()
