"""Scheduling under -n: how far a run with uneven item durations is from the ideal schedule.

The issue's case: 8 tasks, the first two in collection order long (12 s of agent time), the other six
short (1 s). Each run is measured from its items' own records (result.json: when each item ended and
how long its phases took): the run's span, first item start to last item end, against the ideal
schedule of those same item durations on the workers (longest first, each item on the first free
worker; no schedule can beat it by much). Target: within 1.2x of the ideal with -n 4 and -n 8. xdist's
own `--dist worksteal` runs beside ours ("load", the default with -n) in the same sitting.

    .venv/bin/python bench/bench_scheduling.py [--workers 4 8] [--long 12] [--short 1]
"""

from __future__ import annotations

import argparse
import heapq
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parent.parent
SPEC = "id: {id}\ntime_limit: 120\ngrader: grade.py:grade\n"
GRADER = "def grade(outputs):\n    return [{'name': 'ran', 'points': 1}]\n"
AGENT_CONFIG = "sleeper:\n  start: start.sh\n"
AGENT_DOCKERFILE = "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY start.sh /home/agent/start.sh\n"


def project(root: Path, long: float, short: float) -> None:
    shutil.copytree(REPO / "agents", root / "agents")
    agent = root / "agents" / "sleeper"
    agent.mkdir()
    (agent / "config.yaml").write_text(AGENT_CONFIG)
    (agent / "Dockerfile").write_text(AGENT_DOCKERFILE)
    (agent / "start.sh").write_text(f'case "$TASK_ID" in long-*) sleep {long};; *) sleep {short};; esac\n')
    for i, name in enumerate(["long-1", "long-2", *(f"short-{n}" for n in range(1, 7))]):
        folder = root / "task_specs" / f"{i}-{name}"  # collected in this order: the long ones first
        folder.mkdir(parents=True)
        (folder / "task.yaml").write_text(SPEC.format(id=name))
        (folder / "grade.py").write_text(GRADER)


def ideal(durations: list[float], workers: int) -> float:
    """Longest first, each on the first free worker (within 4/3 of optimal; here it is optimal)."""
    free = [0.0] * workers
    for d in sorted(durations, reverse=True):
        heapq.heapreplace(free, free[0] + d)
    return max(free)


def one_run(root: Path, workers: int, dist: str) -> dict:
    shutil.rmtree(root / "runs", ignore_errors=True)
    cmd = [sys.executable, "-m", "pytest", "task_specs", "--agent=sleeper", "-n", str(workers), "--dist", dist,
           "-p", "no:cacheprovider", "-q", "--junitxml=junit.xml"]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the run failed:\n{done.stdout[-3000:]}")
    results = [json.loads(p.read_text()) for p in root.glob("runs/*/*/result.json")]
    # An item's whole time (set-up, where the agent runs, call and teardown) is JUnit's `time`: result.json
    # keeps a phase's duration only for the call and for phases that failed.
    took = {case.get("name"): float(case.get("time")) for case in ElementTree.parse(root / "junit.xml").iter("testcase")}
    spans = [(r["finished_at"] - took[r["nodeid"].rsplit("::", 1)[-1]], r["finished_at"]) for r in results]
    durations = [end - start for start, end in spans]
    span = max(end for _, end in spans) - min(start for start, _ in spans)
    best = ideal(durations, workers)
    return {"workers": workers, "dist": dist, "span_s": round(span, 2), "ideal_s": round(best, 2),
            "ratio": round(span / best, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--long", type=float, default=12)
    parser.add_argument("--short", type=float, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project(root, args.long, args.short)
        subprocess.run([sys.executable, "-m", "pytest", "task_specs", "--agent=sleeper", "-k", "short-1",
                        "-p", "no:cacheprovider", "-q"], cwd=root, capture_output=True)  # images built, not timed
        figures = [one_run(root, n, dist) for n in args.workers for dist in ("load", "worksteal")]
    print(json.dumps(figures, indent=2))
    return 0 if all(f["ratio"] <= 1.2 for f in figures if f["dist"] == "load") else 1


if __name__ == "__main__":
    sys.exit(main())
