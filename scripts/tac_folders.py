#!/usr/bin/env python3
"""How many of TheAgentCompany's task folders build here, and why the others do not.

    scripts/tac_folders.py PATH [--sample N] [--seed S] [--only NAME ...] [--json FILE] [--remove-images]

PATH is a checkout of TAC's task folders (its `workspaces/tasks`, or any folder of task folders, each
with a task.md and a Dockerfile). Each folder's image is built as a run builds it
(families/workplace/task_image.py: the folder as build context, FROM the local stand-in for TAC's task
base image, its pip installs served by the wheelhouse), on the Docker engine of DOCKER_HOST. Built
images are kept (a rerun builds nothing new); the task base is built first, once. On 2 cores a
folder takes about a minute, more with torch: --sample N builds N folders picked at random (--seed),
in a random order, so that the lines printed before an interruption are a random sample too.
--remove-images removes each task image once counted (each holds its own pip layer: pandas' alone is
about 150 MB, 175 of them do not fit every disk).

Prints one line per folder (built / FAILED and the reason), then the counts, the failures grouped by
cause: a step that needs the internet (TAC's base image fetched a registry's or a web site's file),
a package with no wheel (sources are never built on the host), or another build error.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pytest_agentbench.families.workplace.task_image import build, ensure_task_base  # noqa: E402
from pytest_agentbench.sandbox.base import BuildError  # noqa: E402
from pytest_agentbench.sandbox.docker import DockerEngine  # noqa: E402


def cause(message: str) -> str:
    """A failure's cause, for the counts."""
    if re.search(r"no wheel of", message):
        return "a package with no wheel for the image's Python"
    if re.search(r"curl|Could not resolve host|certificate|SSL|wget|https?://", message, re.I):
        return "a step that needs the internet"
    if "COPY failed" in message or "no source files" in message:
        return "a COPY of a file the folder lacks"
    return "another build error"


def reason(message: str) -> str:
    """The line of a build error that says what went wrong (the step and its last output)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    step = next((line for line in lines if re.search(r"Step \d+/\d+|RUN |COPY |pip install", line)), "")
    last = next((line for line in reversed(lines) if not line.startswith(("Step", "---"))), "")
    return f"{step} ... {last}"[:300] if step else last[:300]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="a folder of TAC task folders (TAC's workspaces/tasks)")
    parser.add_argument("--sample", type=int, help="build this many folders, picked at random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="these folders only (by name)")
    parser.add_argument("--json", type=Path, help="also write every folder's outcome to this file")
    parser.add_argument("--remove-images", action="store_true", help="remove each task image once counted")
    args = parser.parse_args()

    folders = sorted(p for p in args.path.iterdir() if (p / "task.md").is_file() and (p / "Dockerfile").is_file())
    if not folders:
        parser.error(f"{args.path}: no task folder (a folder with task.md and a Dockerfile)")
    total = len(folders)
    if args.only:
        folders = [p for p in folders if p.name in set(args.only)]
    if args.sample:
        folders = random.Random(args.seed).sample(folders, min(args.sample, len(folders)))
    engine = DockerEngine(f"tac-folders-{uuid.uuid4().hex[:8]}")  # a failed build is noted per run id
    engine.ping()
    options: dict = {}
    print(f"task base image: {ensure_task_base(engine, options)}", flush=True)

    outcomes = {}
    for i, folder in enumerate(folders, 1):
        start = time.monotonic()
        try:
            tag = build(engine, folder, folder.name, options)
            outcomes[folder.name] = {"built": True, "image": tag}
            line = f"built   {tag}"
            if args.remove_images:
                engine.remove_image(tag)
        except BuildError as e:
            outcomes[folder.name] = {"built": False, "cause": cause(str(e)), "reason": reason(str(e)),
                                     "error": str(e)[-3000:]}
            line = f"FAILED  {outcomes[folder.name]['cause']}: {outcomes[folder.name]['reason']}"
        outcomes[folder.name]["seconds"] = round(time.monotonic() - start, 1)
        print(f"[{i}/{len(folders)}] {folder.name}: {line} ({outcomes[folder.name]['seconds']} s)", flush=True)

    built = sum(o["built"] for o in outcomes.values())
    print(f"\n{built} of {len(outcomes)} folders built"
          + (f" (of the {total} in {args.path}: {'a random sample' if args.sample else 'those named'})"
             if len(outcomes) < total else ""))
    for what, count in Counter(o["cause"] for o in outcomes.values() if not o["built"]).most_common():
        names = [n for n, o in outcomes.items() if not o["built"] and o["cause"] == what]
        print(f"  {count} failed: {what}: {', '.join(names)}")
    if args.json:
        args.json.write_text(json.dumps(outcomes, indent=1) + "\n")
    return 0 if built == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
