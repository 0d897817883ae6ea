"""The command the project exists for, `pytest --agent=opendevin -n 8 task_specs`, over every bundled task,
with a scripted model as the provider (no provider is reachable here): OpenHands' CodeAct agent looks
around with one terminal command, then finishes. It shows the whole bundle running end to end in
parallel (containers, services, the gateway, grading), not how well a model does: most items fail
their grade, by design; what must not happen is an error.

    .venv/bin/python bench/bench_agent_bundle.py [--agent opendevin] [-n 8] [task_specs ...]

Prints per outcome the items, and the wall time; exits non-zero if any item errored.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from fake_llm import FakeLLM  # noqa: E402


class LookThenFinish(FakeLLM):
    """OpenHands' protocol (function calling): a terminal command first, then `finish`."""

    def reply_for(self, messages: list[dict]) -> dict:
        turn = sum(m.get("role") == "assistant" for m in messages)
        tool, arguments = (("terminal", {"command": "ls -la; ls /home /workspace 2>/dev/null | head -20"}) if turn == 0
                           else ("finish", {"message": "Looked around; finishing."}))
        function = {"name": tool, "arguments": json.dumps({"security_risk": "LOW", **arguments})}
        return {"role": "assistant", "content": "",
                "tool_calls": [{"id": f"call_{turn}", "type": "function", "function": function}]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agent", default="opendevin")
    parser.add_argument("-n", dest="workers", default="8")
    parser.add_argument("paths", nargs="*", default=["task_specs"])
    args = parser.parse_args()
    with LookThenFinish(host="0.0.0.0").start() as llm, tempfile.TemporaryDirectory() as out:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_", "ANTHROPIC_"))}
        env.update(OPENAI_API_KEY="sk-scripted", OPENAI_BASE_URL=llm.url)
        junit = Path(out) / "junit.xml"
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args.paths,
                               f"--agent={args.agent}", "-n", args.workers, f"--junitxml={junit}",
                               f"--run-dir={out}/runs", "-q"], cwd=REPO, env=env,
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        if not junit.exists():
            print(done.stdout[-3000:], done.stderr[-3000:])
            return 1
        outcomes = Counter()
        errored = []
        for case in ElementTree.parse(junit).iter("testcase"):
            kind = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
            outcomes[kind] += 1
            if kind == "error":
                errored.append(f"{case.get('name')}: {next(c for c in case if c.tag == 'error').get('message')}")
        print(f"{args.agent}, -n {args.workers}: {sum(outcomes.values())} items in {wall:.0f} s; "
              f"{dict(outcomes)}; model calls: {len(llm.requests)}")
        for line in errored:
            print("  errored:", line[:300])
        return 1 if errored else 0


if __name__ == "__main__":
    sys.exit(main())
