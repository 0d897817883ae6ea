"""How many of TheAgentCompany's evaluators load in the grader image (import only, no grading).

    .venv/bin/python scripts/tac_evaluators_load.py PATH/TO/TheAgentCompany/workspaces/tasks
        [--image TAG] [--tac FOLDER] [--server-hostname HOST] [--json FILE]

Builds the grader image as a workplace run does (or takes --image), starts one container from it with
no network, copies in each task folder's Python files (TAC's base image puts them all in /utils: the
evaluator and helper modules beside it) and our TAC modules (tac/, or --tac FOLDER: another version's,
to measure before a change), and imports every evaluator as the grader's evaluator user
(scripts/tac_evaluator_probe.py). Prints how many load and, for each that does not, why; and the
names evaluators read that nothing defines (a helper `common` lacks, found although the import passed).

Twice: without SERVER_HOSTNAME (no TAC servers: helpers an evaluator calls at import, e.g. Plane's
get_plane_project_id, raise ServiceNotConfigured) and with --server-hostname (default 127.0.0.1,
where no server listens: what a run with servers that are down gives).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

from pytest_agentbench.families.base import CopyIn, suite_base_image
from pytest_agentbench.families.workplace.family import (EVALUATOR_UID, GRADER_SUITE, grader_context,
                                                         grader_modules)
from pytest_agentbench.grading import result as grading_result
from pytest_agentbench.families.workplace.tac import scoring
from pytest_agentbench.sandbox.base import SandboxSpec
from pytest_agentbench.sandbox.docker import DockerEngine
from pytest_agentbench.sandbox.images import ImageRecipe, ensure_image

PROBE = Path(__file__).resolve().parent / "tac_evaluator_probe.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tasks", type=Path, help="TAC's workspaces/tasks folder (one folder per task)")
    parser.add_argument("--image", help="a grader image to use instead of building ours")
    parser.add_argument("--tac", type=Path, help="the TAC modules to load with (default: this checkout's tac/)")
    parser.add_argument("--server-hostname", default="127.0.0.1", help="SERVER_HOSTNAME for the second pass")
    parser.add_argument("--json", type=Path, help="write every task's outcome here")
    args = parser.parse_args(argv)
    evaluators = sorted(args.tasks.glob("*/evaluator.py"))
    if not evaluators:
        parser.error(f"{args.tasks}: no <task>/evaluator.py in it")

    engine = DockerEngine(run_id=f"tac-load-{uuid.uuid4().hex[:8]}")
    log = lambda text: print(text, end="", file=sys.stderr, flush=True)  # noqa: E731
    image = args.image or ensure_image(engine, ImageRecipe(
        "grader", grader_context(), {"BASE_IMAGE": suite_base_image(engine, {}, GRADER_SUITE, log)}), log)
    modules = grader_modules() if args.tac is None else [
        CopyIn(args.tac, "/grader/tac"), CopyIn(Path(grading_result.__file__), f"/grader/tac/{scoring.CHECKPOINT_MODULE}")]

    with tempfile.TemporaryDirectory(prefix="tac-load-") as staged:
        for evaluator in evaluators:  # every .py beside it, as TAC's ONBUILD `COPY *.py /utils/`
            folder = Path(staged) / evaluator.parent.name
            folder.mkdir()
            for py in evaluator.parent.glob("*.py"):
                shutil.copy2(py, folder / py.name)
        files = [*modules, CopyIn(Path(staged), "/tasks", mode=0o755), CopyIn(PROBE, "/grader/probe.py", mode=0o644)]
        box = engine.start(SandboxSpec(image=image, name=f"tac-load-{uuid.uuid4().hex[:8]}"),
                           files=[f.as_tuple() for f in files])
    try:
        box.exec(["chmod", "-R", "a+rX", "/grader", "/tasks"], record=False)
        passes = {"without SERVER_HOSTNAME": {}, f"SERVER_HOSTNAME={args.server_hostname}":
                  {"SERVER_HOSTNAME": args.server_hostname}}
        outcomes = {}
        for name, env in passes.items():
            done = box.exec(["python3", "/grader/probe.py", "/tasks"], user=f"{EVALUATOR_UID}:{EVALUATOR_UID}",
                            env={"HOME": "/tmp", **env}, record=False, timeout=1800)
            rows = [json.loads(line) for line in done.output.splitlines() if line.startswith('{"task"')]
            outcomes[name] = rows
            report(name, rows, len(evaluators), done.output if len(rows) != len(evaluators) else "")
    finally:
        engine.discard(box)
    if args.json:
        args.json.write_text(json.dumps({"image": image, "passes": outcomes}, indent=1) + "\n")
    return 0


def report(name: str, rows: list[dict], expected: int, output: str) -> None:
    loaded = [r for r in rows if r["loaded"]]
    print(f"\n== {name}: {len(loaded)} of {expected} evaluators load")
    if output:
        print(f"(the probe reported {len(rows)} of {expected}; its output ends:)\n{output[-3000:]}")
    reasons = Counter()
    for r in rows:
        if not r["loaded"]:
            print(f"  FAIL {r['task']}: {r['error']}")
            reasons[(r["error"] or "").split(":")[0]] += 1
    if reasons:
        print("  by exception: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
    unresolved = Counter(n for r in rows for n in r["unresolved"])
    tasks_with = [r["task"] for r in rows if r["unresolved"]]
    print(f"  names read but defined nowhere: {len(tasks_with)} evaluators"
          + (": " + ", ".join(f"{n} ({c})" for n, c in unresolved.most_common()) if unresolved else ""))
    for r in rows:
        if r["unresolved"]:
            print(f"    {r['task']}: {', '.join(r['unresolved'])}")


if __name__ == "__main__":
    sys.exit(main())
