"""Shared setup for the one-core benchmark scripts (imported as ``bench_util`` when a
script runs as ``python scripts/NAME.py``)."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

SINGLE_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_one_core() -> None:
    """One BLAS thread and one CPU, so figures are per core; call before numpy is imported."""
    for var in SINGLE_THREAD_VARS:
        os.environ[var] = "1"
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass  # not Linux, or affinity not allowed: figures then use whatever core the OS picks


def best_of(fn: Callable[[], object], repeat: int, setup: Callable[[], None] | None = None) -> float:
    """Fewest seconds ``fn`` took over ``repeat`` runs (``setup`` runs untimed before each)."""
    times = []
    for _ in range(max(1, repeat)):
        if setup:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def interleaved_medians(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds of each of ``fns`` over ``repeat`` rounds, each round running every one once.

    Interleaving spreads a busy neighbour on a shared machine over all configurations
    instead of over whichever happened to run then; the median drops the outlier rounds.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, repeat)):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}
