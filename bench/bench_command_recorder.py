"""What recording every program costs an agent: the same workloads run plainly and under the recorder.

Runs in one container of the base image (built if missing), as the agent runs: `nonroot`, started
by root through `setpriv` (plain) or `sandbox/command_recorder.py` (recorded).

Target: the recorder adds at most 0.15 s to a command that starts no program (its start-up is paid
by every item). The other rows are the price of tracing, reported for docs/agents.md.

    .venv/bin/python bench/bench_command_recorder.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pytest_agentbench.sandbox.docker import DockerEngine  # noqa: E402
from pytest_agentbench.sandbox.images import ensure_base_image  # noqa: E402
from pytest_agentbench.sandbox.recording import RECORDER  # noqa: E402

WORKLOADS = {
    "no program (true builtin)": "true",
    "300 program starts": "for i in $(seq 300); do /bin/true; done",
    "100,000 flushed prints": "python3 -c 'for i in range(100000): print(i, flush=True)' > /dev/null",
    "7 MB through a pipe": "python3 -c 'for i in range(1000000): print(i)' | tail -1",
}
TARGET_STARTUP_S = 0.15
PLAIN = ["setpriv", "--reuid=1000", "--regid=1000", "--init-groups"]
RECORDED = ["python3", "-I", "-S", "/rec.py", "--user", "nonroot", "--steps", "/run/agentbench/steps.jsonl", "--"]


def timed(container: str, prefix: list[str], script: str) -> float:
    start = time.perf_counter()
    subprocess.run(["docker", "exec", container, *prefix, "bash", "-c", script], check=True,
                   capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    image = ensure_base_image(DockerEngine(run_id="bench"))
    container = subprocess.run(["docker", "run", "-d", "--rm", image, "sleep", "infinity"], check=True,
                               capture_output=True, text=True).stdout.strip()
    try:
        subprocess.run(["docker", "cp", str(RECORDER), f"{container}:/rec.py"], check=True)
        rows = {}
        for name, script in WORKLOADS.items():
            plain = statistics.median(timed(container, PLAIN, script) for _ in range(args.repeats))
            recorded = statistics.median(timed(container, RECORDED, script) for _ in range(args.repeats))
            rows[name] = {"plain_s": round(plain, 3), "recorded_s": round(recorded, 3),
                          "added_s": round(recorded - plain, 3)}
    finally:
        subprocess.run(["docker", "kill", container], capture_output=True)
    print(json.dumps({"image": image, "repeats": args.repeats, "workloads": rows}, indent=2))
    startup = rows["no program (true builtin)"]["added_s"]
    verdict = "OK" if startup <= TARGET_STARTUP_S else "OVER BUDGET"
    print(f"{verdict}: the recorder adds {startup:.3f} s to a command that starts no program "
          f"(target {TARGET_STARTUP_S} s)")
    return 0 if startup <= TARGET_STARTUP_S else 1


if __name__ == "__main__":
    sys.exit(main())
