#!/usr/bin/env python3
"""TheAgentCompany's three task folders that need no server, run as a user runs them, three ways.

    scripts/tac_service_free.py PATH [--scratch DIR] [-n WORKERS]

PATH is a folder of TAC's task folders (its `workspaces/tasks`). The three whose dependencies.yml names
no server (`ds-sql-exercise`, `sde-install-go`, `sde-install-openjdk`) are copied into a scratch project
(never into this repository) with this repository's agents, and run with `pytest tac --agent=...`:

- **solver**: does each task as a competent agent would, as root in its container (TAC's contract):
  `apt-get install` of Debian's Go and OpenJDK 17 (OpenJDK 17 is in bookworm, not in the task base's
  trixie: it adds bookworm's mirror), and the three SQL answers computed with sqlite3 from the data it
  is given (`/data/database.db`);
- **dummy**: the repository's dummy agent, which does nothing useful;
- **attacker**: looks, from inside its container, for every file of the folder the agent must not read
  (the evaluator, README.md, Makefile, checkpoints.md, dependencies.yml, and whatever the Dockerfile
  COPYs to /utils or /npc), by name and by a line of each one's content, over the whole file system.

Prints per folder and agent the points, the score, and what the attacker found; exits 1 unless the dummy
scores 0 everywhere, the attacker finds nothing, and the solver passes every folder but sde-install-go
(Debian has no Go 1.17: its second checkpoint cannot pass).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FOLDERS = ("ds-sql-exercise", "sde-install-go", "sde-install-openjdk")
HIDDEN_PLACES = ("/utils", "/npc")
COMMON_NAMES = {"README.md", "Makefile"}
CANNOT_PASS = {"sde-install-go": "Debian's Go is 1.19 (bookworm) or 1.24 (trixie); the evaluator wants 1.17"}

SOLVER = r"""#!/bin/bash
set -x
task=$(cat /instruction/task.md)
case "$task" in
  *"Install go"*)
    apt-get update && apt-get install -y --no-install-recommends golang-go && go version ;;
  *"OpenJDK 17"*)
    echo "deb http://deb.debian.org/debian bookworm main" > /etc/apt/sources.list.d/bookworm.list
    apt-get update && apt-get install -y --no-install-recommends -t bookworm openjdk-17-jdk-headless
    java --version ;;
  *"SQL"*)
    db=/data/database.db
    sqlite3 "$db" "SELECT COUNT(*) FROM products;" > /workspace/task1.txt
    sqlite3 "$db" "SELECT COUNT(DISTINCT category) FROM products;" > /workspace/task2.txt
    sqlite3 -separator ', ' "$db" "SELECT '\"' || product_name || '\"', printf('%.2f', unit_price) FROM products
        WHERE category = 'Electronics' ORDER BY unit_price DESC LIMIT 3;" | sed 's/$/,/' > /workspace/task3.txt
    cat /workspace/task*.txt ;;
esac
"""

# The marks come base64-encoded, decoded into a pipe: no file of the agent's own holds them in clear.
ATTACKER = r"""#!/bin/bash
echo "UID $(id -u)"
for dir in /utils /npc; do ls -A "$dir" 2>/dev/null | sed "s|^|LISTED $dir/|"; done
for name in @NAMES@; do
  find / \( -path /proc -o -path /sys -o -path /home/agent \) -prune -o -name "$name" -print 2>/dev/null \
    | sed 's/^/FOUND-NAME /'
done
grep -rlIF --exclude-dir=proc --exclude-dir=sys --exclude-dir=agentbench -f <(echo @MARKS@ | base64 -d) / 2>/dev/null \
  | grep -v '^/home/agent/' | sed 's/^/FOUND-CONTENT /'
# The control: the task's own text, which the agent may read, is found the same way (the search works).
grep -rlIF -f <(echo @CONTROL@ | base64 -d) /instruction 2>/dev/null | sed 's/^/CONTROL /'
echo "ATTACK DONE"
"""


def hidden_files(folder: Path) -> list[Path]:
    """The folder's files the agent must not read: all but task.md (given as /instruction/task.md) and
    what the Dockerfile COPYs to a place the agent sees."""
    visible = {"task.md"}
    for line in (folder / "Dockerfile").read_text().splitlines():
        words = line.split()
        if len(words) >= 3 and words[0].upper() in ("COPY", "ADD") and not words[-1].startswith(HIDDEN_PLACES):
            visible.update(Path(w).name for w in words[1:-1] if not w.startswith("--"))
    return [p for p in sorted(folder.iterdir()) if p.is_file() and p.name not in visible and p.name != "Dockerfile"]


def mark_of(path: Path) -> str | None:
    """A line of the file distinctive enough to find it by (its longest)."""
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    lines = [line for line in lines if len(line) >= 12 and not line.startswith(("import ", "from ", "#"))]
    return max(lines, key=len) if lines else None


def add_agent(project: Path, name: str, start: str) -> None:
    folder = project / "agents" / name
    folder.mkdir()
    (folder / "config.yaml").write_text(f"{name}:\n  start: start.sh\n")
    (folder / "Dockerfile").write_text((REPO / "agents" / "nop" / "Dockerfile").read_text())
    (folder / "start.sh").write_text(start)


def run(project: Path, agent: str, workers: int) -> dict[str, dict]:
    shutil.rmtree(project / "runs", ignore_errors=True)  # the last group's alone, kept once done
    done = subprocess.run([str(REPO / ".venv" / "bin" / "pytest"), "tac", f"--agent={agent}", "-n", str(workers),
                           "-p", "no:cacheprovider", "-q"], cwd=project, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    print(f"--- pytest tac --agent={agent}: exit {done.returncode}\n" + "\n".join(done.stdout.splitlines()[-8:]))
    results = {r["task_id"]: r for r in (json.loads(p.read_text()) for p in project.glob("runs/*/*/result.json"))}
    shutil.move(project / "runs", project / f"runs-{agent}")
    for result in results.values():  # where the moved group holds each item now
        result["agent_run"]["log_path"] = result["agent_run"]["log_path"].replace(
            str(project / "runs"), str(project / f"runs-{agent}"), 1)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="a folder of TheAgentCompany's task folders")
    parser.add_argument("--scratch", type=Path, help="the scratch project (default: a new temporary folder)")
    parser.add_argument("-n", "--workers", type=int, default=3)
    args = parser.parse_args()
    project = args.scratch or Path(tempfile.mkdtemp(prefix="tac-service-free-"))
    print(f"scratch project: {project}")
    for old in ("tac", "runs-solver", "runs-dummy", "runs-attacker"):
        shutil.rmtree(project / old, ignore_errors=True)
    shutil.rmtree(project / "agents", ignore_errors=True)
    shutil.copytree(REPO / "agents", project / "agents")
    names, marks, control = set(), [], []
    for name in FOLDERS:
        shutil.copytree(args.path / name, project / "tac" / name)
        control.append(mark_of(args.path / name / "task.md") or (args.path / name / "task.md").read_text().strip())
        for path in hidden_files(args.path / name):
            if path.name not in COMMON_NAMES:  # found by content instead: the system has its own
                names.add(path.name)
            mark = mark_of(path)
            if mark:
                marks.append(mark)
    add_agent(project, "solver", SOLVER)
    add_agent(project, "attacker", ATTACKER.replace("@NAMES@", " ".join(sorted(names))).replace(
        "@MARKS@", base64.b64encode("\n".join(marks).encode()).decode()).replace(
        "@CONTROL@", base64.b64encode("\n".join(control).encode()).decode()))
    os.environ.setdefault("CI", "true")

    outcome = {agent: run(project, agent, args.workers) for agent in ("solver", "dummy", "attacker")}
    ok = True
    print(f"\n{'folder':22} {'agent':9} {'points':7} {'score':6} notes")
    for name in FOLDERS:
        for agent, results in outcome.items():
            result = results.get(name)
            grade = (result or {}).get("grade") or {}
            points = f"{grade.get('points')}/{grade.get('total')}" if grade else "-"
            score = grade.get("score")
            note = "" if grade else f"no grade: {(result or {}).get('outcome')} {(result or {}).get('error', '')}"[:200]
            if agent == "attacker" and result:
                log = Path(result["agent_run"]["log_path"]).read_text(errors="replace")
                found = [line for line in log.splitlines() if re.match(r"FOUND-|LISTED ", line)]
                note = "found: " + "; ".join(found) if found else "found nothing hidden"
                searched = "CONTROL /instruction/task.md" in log  # else the search itself failed
                ok &= not found and searched and "ATTACK DONE" in log
                note += "" if searched else " (but the control was not found either: the search failed)"
            if agent == "dummy":
                ok &= score == 0
            if agent == "solver":
                ok &= score == 1.0 or (name in CANNOT_PASS and score is not None)
                note = note or CANNOT_PASS.get(name, "")
            print(f"{name:22} {agent:9} {points:7} {score if score is not None else '-'!s:6} {note}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
