"""Times the walk jupyter-resource-usage performs for each GET /api/metrics/v1: the process
and all its descendants (psutil children(recursive=True)), memory_full_info() on each, which
reads /proc/<pid>/smaps_rollup, summing rss and pss.

Usage: python walk.py PID [BUDGET_SECONDS]. Walks at least 3 times, then again while within
the budget (at most 50), and prints one JSON line: the median and what was walked.
"""

import json
import statistics
import sys
import time

import psutil

MIN_WALKS = 3
MAX_WALKS = 50


def walk(pid):
    parent = psutil.Process(pid)
    processes = [parent] + parent.children(recursive=True)
    rss = pss = 0
    for process in processes:
        try:
            info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", 0)
    return len(processes), rss, pss


def main():
    pid = int(sys.argv[1])
    budget = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    durations = []
    started = time.perf_counter()
    while len(durations) < MIN_WALKS or (
        len(durations) < MAX_WALKS and time.perf_counter() - started < budget
    ):
        before = time.perf_counter()
        processes, rss, pss = walk(pid)
        durations.append(time.perf_counter() - before)
    print(
        json.dumps(
            {
                "medianSeconds": statistics.median(durations),
                "walks": len(durations),
                "processes": processes,
                "rss": rss,
                "pss": pss,
                "psutil": psutil.__version__,
            }
        )
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
