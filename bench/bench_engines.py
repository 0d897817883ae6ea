"""16 items of the nop agent over two Docker engines against one, in one sitting.

The second engine is a dockerd of the benchmark's own on this machine (tests/second_engine.py): two
engines here share the same CPUs, so this measures what spreading costs and what the machine limits,
not a speed-up; on two machines the second engine brings its own. Images are shipped to the second
engine before timing (a warm-up item on each), so both sides start with every image in place.

    .venv/bin/python bench/bench_engines.py [--items 16] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from second_engine import SecondEngine  # noqa: E402

SPEC = "id: nop-{i:02d}\ntime_limit: 60\ngrader: grade.py:grade\n"
GRADER = "def grade(outputs):\n    return [{'name': 'ran', 'points': 1}]\n"
MAIN = "unix:///var/run/docker.sock"


def project(root: Path, items: int) -> None:
    shutil.copytree(REPO / "agents", root / "agents")
    for i in range(items):
        folder = root / "task_specs" / f"nop-{i:02d}"
        folder.mkdir(parents=True)
        (folder / "task.yaml").write_text(SPEC.format(i=i))
        (folder / "grade.py").write_text(GRADER)


def timed(root: Path, *args: str) -> float:
    shutil.rmtree(root / "runs", ignore_errors=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "task_specs", "--agent=nop", "-p", "no:cacheprovider",
                           "-q", *args], cwd=root, capture_output=True, text=True, env={**os.environ,
                                                                                       "AGENTBENCH_BASE_IMAGE": ""})
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the run failed ({' '.join(args)}):\n{done.stdout[-3000:]}")
    return round(took, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    second = SecondEngine()
    try:
        second.start()
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            project(root, args.items)
            both = f"{MAIN},{second.address}"
            timed(root, "-n", "2", "--engines", both, "-k", "nop-00 or nop-01")  # images built and shipped
            n = str(args.workers)
            figures = {"items": args.items, "workers": args.workers,
                       "one_engine_s": timed(root, "-n", n),
                       "two_engines_s": timed(root, "-n", n, "--engines", both),
                       "two_engines_double_workers_s": timed(root, "-n", str(2 * args.workers), "--engines", both),
                       "cpus": os.cpu_count()}
    finally:
        second.remove()
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
