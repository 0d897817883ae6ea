"""What running a host-side grader in its own process costs per item (grading/isolated.py): the bundled
smoke task's grader called in-process vs isolated, and the one-time start of the worker's forkserver.

    .venv/bin/python bench/bench_grader_isolation.py [--calls 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from pytest_agentbench.families.task.family import call_grader
from pytest_agentbench.grading.isolated import GraderLimits, run_isolated

TASK = Path(__file__).resolve().parent.parent / "task_specs" / "smoke" / "reverse-words"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as outputs:
        offered = {"outputs": Path(outputs), "task_dir": TASK}
        limits = GraderLimits(time_limit=60, memory=2**30)
        start = time.perf_counter()
        run_isolated("bench", call_grader, TASK, "grade.py:grade", offered, limits=limits)
        first = time.perf_counter() - start
        timings = {"in-process": [], "isolated": []}
        for _ in range(args.calls):
            start = time.perf_counter()
            call_grader(TASK, "grade.py:grade", offered)
            timings["in-process"].append(time.perf_counter() - start)
            start = time.perf_counter()
            run_isolated("bench", call_grader, TASK, "grade.py:grade", offered, limits=limits)
            timings["isolated"].append(time.perf_counter() - start)
    print(f"first isolated call (starts the forkserver, imports the grading libraries): {first * 1000:.0f} ms")
    for name, values in timings.items():
        print(f"{name:>10}: median {statistics.median(values) * 1000:.1f} ms, "
              f"max {max(values) * 1000:.1f} ms over {args.calls} calls")
    added = statistics.median(timings["isolated"]) - statistics.median(timings["in-process"])
    print(f"added per item: {added * 1000:.1f} ms")


if __name__ == "__main__":
    main()
