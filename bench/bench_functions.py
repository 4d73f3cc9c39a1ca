"""Function calls on the local cluster, side by side with their baselines.

* a bare Python call of the same function;
* ``f(1, 2)`` on the local cluster: cold (first call, starting the warm worker) and warm;
* a ``get_or_call`` cache hit against ``joblib.Memory``'s miss and hit;
* 100 ``f.run()`` submitted, then all awaited (runs per second).

Targets: a warm call under 10 ms at p50; a cache hit no slower than joblib's hit;
100 async runs on 2 cores in under 3 s. Run: ``python bench/bench_functions.py``.
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
import time

import joblib

import rhcore as rh

N = int(os.environ.get("BENCH_CALLS", "300"))


def summer(a, b):
    return a + b


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1e3, ordered[int(len(ordered) * 0.9)] * 1e3


def timed(fn, n: int = N) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def row(label: str, samples: list[float]) -> tuple[float, float]:
    p50, p90 = percentiles(samples)
    print(f"{label:<40}{p50:>10.3f}{p90:>10.3f}")
    return p50, p90


def main() -> None:
    root = tempfile.mkdtemp(prefix="rhcore-bench-")
    os.environ["HOME"] = root
    os.chdir(root)
    f = rh.function(summer)
    print(f"rhcore {rh.__version__} on Python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    print(f"{'call':<40}{'p50 ms':>10}{'p90 ms':>10}")
    row("bare Python call", timed(lambda: summer(1, 2), 10_000))
    start = time.perf_counter()
    f(1, 2, stream_logs=False)
    cold = time.perf_counter() - start
    print(f"{'f(1, 2) cold (starts the warm worker)':<40}{cold * 1e3:>10.3f}")
    warm, _ = row("f(1, 2) warm", timed(lambda: f(1, 2, stream_logs=False)))
    names = (f"bench_named_{i}" for i in itertools.count())
    row("f(1, 2, run_name=...) warm, recorded", timed(lambda: f(1, 2, run_name=next(names))))
    row("same run_name again, kept attempts",
        timed(lambda: f(1, 2, run_name="bench_again"), 300))

    f.get_or_call(1, 2, run_name="bench_hit")
    hit, _ = row("f.get_or_call(...) cache hit",
                 timed(lambda: f.get_or_call(1, 2, run_name="bench_hit"), 3000))
    memory = joblib.Memory(os.path.join(root, "joblib"), verbose=0)
    cached = memory.cache(summer)
    counter = iter(range(10**9))
    row("joblib.Memory miss", timed(lambda: cached(next(counter), 2)))
    cached(1, 2)
    joblib_hit, _ = row("joblib.Memory hit", timed(lambda: cached(1, 2), 3000))

    start = time.perf_counter()
    runs = [f.run(i, 2) for i in range(100)]
    submitted = time.perf_counter() - start
    for run in runs:
        while not run.refresh().status.is_final:
            time.sleep(0.002)
    total = time.perf_counter() - start
    assert all(r.status is rh.RunStatus.COMPLETED for r in runs)
    print(f"\n100 f.run(): submitted in {submitted:.2f} s, all COMPLETED in {total:.2f} s "
          f"({100 / total:.0f} runs/s)\n")

    print(f"target: warm call < 10 ms at p50 -> {'met' if warm < 10 else 'MISSED'} ({warm:.2f} ms)")
    print(f"target: cache hit <= joblib hit -> {'met' if hit <= joblib_hit else 'MISSED'} "
          f"({hit:.3f} vs {joblib_hit:.3f} ms)")
    print(f"target: 100 async runs < 3 s -> {'met' if total < 3 else 'MISSED'} ({total:.2f} s)")


if __name__ == "__main__":
    main()
