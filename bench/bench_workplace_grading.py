"""Grading time of a workplace item: the item's set-up (the nop agent, which does nothing, then the
agent's container kept and the evaluator run) per item, median over the service-free bundled tasks,
-n 1, images built first. Compare a checkout against another (issue 17, item 4: grading in the agent's
final machine instead of a grader container that gets /workspace back):

    .venv/bin/python bench/bench_workplace_grading.py                      # this checkout
    git archive <commit> | tar -x -C /tmp/before
    .venv/bin/python bench/bench_workplace_grading.py --checkout /tmp/before  # another one's code
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TASKS = ["hr-leave-balances", "sde-fix-median-bug", "ds-sales-by-region", "admin-room-conflicts"]


def setup_seconds(checkout: Path, repeats: int) -> tuple[list[float], list[int]]:
    """The items' set-up times, and the sizes of their saved changes (final-machine/changes.tar)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for task in TASKS:
            shutil.copytree(checkout / "task_specs" / "company" / task, root / "task_specs" / task)
        env = {**os.environ, "PYTHONPATH": str(checkout), "AGENTBENCH_BASE_IMAGE": ""}
        cmd = [sys.executable, "-m", "pytest", "task_specs", "--agent=nop", f"--agents-dir={checkout / 'agents'}",
               "-n", "0", "-p", "no:cacheprovider", "-q", "--durations=0"]
        subprocess.run(cmd + ["-k", TASKS[0]], cwd=root, env=env, capture_output=True)  # images, volumes
        found, saved = [], []
        for _ in range(repeats):
            done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
            found += [float(line.split()[0][:-1]) for line in done.stdout.splitlines()
                      if len(line.split()) == 3 and line.split()[1] == "setup" and line.split()[0].endswith("s")]
            saved += [json.loads(p.read_text())["changes_bytes"]
                      for p in root.glob("runs/*/*/final-machine/manifest.json")]
            shutil.rmtree(root / "runs", ignore_errors=True)
        if not found:
            raise SystemExit(f"no item ran:\n{done.stdout[-3000:]}")
        return found, saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkout", type=Path, default=REPO, help="the code to time (default: this one)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    times, sizes = setup_seconds(args.checkout.resolve(), args.repeats)
    print(json.dumps({"checkout": str(args.checkout), "items": len(times),
                      "setup_median_s": round(statistics.median(times), 3),
                      "setup_max_s": round(max(times), 3),
                      "changes_tar_bytes_max": max(sizes) if sizes else None}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
