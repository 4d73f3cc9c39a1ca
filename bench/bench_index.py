"""Finding and listing Runs among many, through the index of Runs, against reading every
Run's config (what listing cost before the index), in the same run.

For N Runs (default 10,000 and 100,000) recorded through the records layer in a fresh
local run store, it measures:

* "latest": the newest COMPLETED Run of a function (``f.latest_run()``), p50 of 20;
* ``rh runs --limit 50`` and the full ``rh runs`` listing, each as a whole CLI process;
* the baseline: reading every config, as ``cluster.runs()`` does.

Targets (issue 18): at 10,000 Runs latest <= 5 ms, ``--limit 50`` <= 0.3 s and the full
listing <= 1 s as whole processes; at 100,000 no more than 2x those.
Run: ``python bench/bench_index.py [N ...]`` (or ``nox -s bench``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

import rhcore as rh
from rhcore import records
from rhcore.spec import RunRecord, RunStatus, RunType


def fill(count: int) -> None:
    """``count`` COMPLETED function Runs of two functions in the local cluster's store."""
    store = rh.cluster("local").executor.store()
    for i in range(count):
        name = f"run-{i:06d}"
        folder = store.child(name)
        record = RunRecord(name=name, run_type=RunType.FUNCTION_RUN, fn_name="train" if i % 2 else "evaluate",
                           fingerprint={"arguments": f"{i % 97:064x}"})
        started = records.begin(folder, record)
        records.end(folder, started, RunStatus.COMPLETED)


def p50_ms(action, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def cli_seconds(*args: str) -> float:
    times = []
    for _ in range(3):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rhcore.cli", "runs", *args], check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(count: int) -> dict[str, float]:
    home = tempfile.mkdtemp(prefix="rh-bench-index-")
    os.environ["HOME"] = home
    began = time.perf_counter()
    fill(count)
    filled = time.perf_counter() - began
    f = rh.function(lambda: None)
    f._fn_name = "train"
    store = rh.cluster("local").executor.store()
    records.view(store)  # the index's first look (a snapshot; later looks read it)
    assert f.latest_run() is not None
    return {
        "recording, ms per Run": filled / count * 1000,
        "latest, ms (p50)": p50_ms(f.latest_run),
        "rh runs --limit 50, s": cli_seconds("--limit", "50"),
        "rh runs (all), s": cli_seconds(),
        "baseline: read every config, s": p50_ms(lambda: rh.cluster("local").runs(), repeat=1) / 1000,
    }


def main() -> None:
    counts = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    print(f"rhcore {rh.__version__} on Python {sys.version.split()[0]}")
    results = {count: measure(count) for count in counts}
    labels = list(next(iter(results.values())))
    print(f"{'measure':<34}" + "".join(f"{f'{c:,} Runs':>16}" for c in counts))
    for label in labels:
        print(f"{label:<34}" + "".join(f"{results[c][label]:>16.3f}" for c in counts))
    first = results[counts[0]]
    verdicts = [
        ("latest <= 5 ms", first["latest, ms (p50)"] <= 5),
        ("--limit 50 <= 0.3 s", first["rh runs --limit 50, s"] <= 0.3),
        ("all <= 1 s", first["rh runs (all), s"] <= 1),
    ]
    said = "; ".join(f"{target} -> {'met' if ok else 'MISSED'}" for target, ok in verdicts)
    print(f"targets at {counts[0]:,}: {said}")
    if len(counts) > 1:
        last = results[counts[-1]]
        grown = ("latest, ms (p50)", "rh runs --limit 50, s", "rh runs (all), s")
        worst = max(last[k] / first[k] for k in grown)
        print(f"growth to {counts[-1]:,}: at most {worst:.2f}x -> {'met' if worst <= 2 else 'MISSED'} (2x)")


if __name__ == "__main__":
    main()
