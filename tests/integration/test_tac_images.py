"""TheAgentCompany's task folders built as TAC builds them (families/workplace/task_image.py): the folder
as build context, FROM a local stand-in for TAC's task base image (Python 3.12+ with pip, its ONBUILD
steps), `pip install` served by the wheelhouse; and /utils and /npc hidden from the agent, root as it
is, while they stay in the image for init and grading.

The folders are written here to TAC's contract (never TAC's own files)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_agentbench.families.workplace.task_image import HIDDEN_PATHS, build
from pytest_agentbench.sandbox import SandboxSpec
from pytest_agentbench.sandbox.base import MASK
from support import AGENTS, add_agent

pytestmark = pytest.mark.docker

GOLDEN = "GOLDEN-7f3a9c-revenue,4821.50"  # the answer key: in /utils only
SCENARIO = "SCENARIO-e41b02: Priya knows the budget is 4821.50"  # the coworker's scenario: in /npc only
README = "README-55d0aa: Expected result 4821.50"  # TAC's READMEs can give the answer
MAKEFILE_MARK = "MAKEFILE-91c3ee"
SOLUTION_MARK = "SOLUTION-2b8d47"
RUBRIC_MARK = "RUBRIC-c6e01f"
EVALUATOR_MARK = "EVALUATOR-0a9d5e"
HELPER_MARK = "HELPER-3e77b1"
POST_INIT_MARK = "POSTINIT-d2c4f8"
MARKS = [GOLDEN, SCENARIO, README, MAKEFILE_MARK, SOLUTION_MARK, RUBRIC_MARK, EVALUATOR_MARK, HELPER_MARK,
         POST_INIT_MARK]

EVALUATOR = f'''# {EVALUATOR_MARK}
from scoring import Checkpoint, Result
from common import grader, read_text

@grader
def grade_checkpoint1():
    return read_text("/workspace/answer.txt").strip() == "4821.50"

def grade_checkpoints(trajectory=""):
    return Result([Checkpoint(1, int(grade_checkpoint1()))])
'''

DOCKERFILE = """FROM ghcr.io/theagentcompany/task-base-image:1.0.0

# NPCs are needed in this task, so we need to persist "scenarios.json"
COPY scenarios.json /npc
COPY golden_answer.csv /utils
COPY post_init.sh /utils
COPY eval_data/* /utils
RUN chmod +x /utils/post_init.sh
COPY sales.csv /workspace/
RUN pip install six==1.16.0"""  # no newline at the end, as many of TAC's


def tac_folder(root: Path) -> Path:
    """A TAC task folder as TAC lays one out: task.md, evaluator.py and a helper module beside it,
    dependencies.yml, a Dockerfile FROM TAC's task base image, scenarios, init script, data, answer key,
    and the files that must never reach the agent (README.md, Makefile, solution.sh, checkpoints.md)."""
    task = root / "ds-sum-the-sales"
    task.mkdir(parents=True)
    (task / "task.md").write_text("Sum the `amount` column of /workspace/sales.csv; write the total, with two "
                                  "decimals, to /workspace/answer.txt.\n")
    (task / "evaluator.py").write_text(EVALUATOR)
    (task / "helper.py").write_text(f"# {HELPER_MARK}\nEXPECTED = '4821.50'\n")
    (task / "dependencies.yml").write_text("[]\n")
    (task / "Dockerfile").write_text(DOCKERFILE)
    (task / "scenarios.json").write_text(json.dumps({"agent_profiles": {"Priya": {"notes": SCENARIO}}}))
    (task / "golden_answer.csv").write_text(GOLDEN + "\n")
    (task / "post_init.sh").write_text(f"#!/bin/sh\necho {POST_INIT_MARK}\n")
    (task / "eval_data").mkdir()  # a wildcard COPY into /utils, no trailing slash (research-reproduce-figures)
    for name in ("table1.tex", "table2.tex"):
        (task / "eval_data" / name).write_text(f"{GOLDEN} {name}\n")
    (task / "sales.csv").write_text("region,amount\nnorth,1200.25\nsouth,3621.25\n")
    (task / "README.md").write_text(README + "\n")
    (task / "Makefile").write_text(f"solve:\n\techo {MAKEFILE_MARK}\n")
    (task / "solution.sh").write_text(f"echo 4821.50 > /workspace/answer.txt  # {SOLUTION_MARK}\n")
    (task / "checkpoints.md").write_text(f"# Checkpoints\n\n## Checkpoint 1 (1pt)\n\n{RUBRIC_MARK}: the total.\n")
    return task


@pytest.fixture
def project(pytester, base_image_tag, monkeypatch):
    shutil.copytree(AGENTS, pytester.path / "agents")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    for name in ("LITELLM_API_KEY", "LITELLM_BASE_URL", "LITELLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return pytester.path


def result_of(project: Path) -> dict:
    [path] = project.glob("runs/*/*/result.json")
    return json.loads(path.read_text())


def test_a_tac_folder_builds_from_its_own_folder_with_scenarios_init_and_pip(pytester, project):
    """The Dockerfile's COPY of scenarios.json, post_init.sh and data files works (the folder is the build
    context), `pip install` is served without an index, the image has Python 3.12 or newer with pip, and the
    agent finds in /workspace only what the Dockerfile put there. The image keeps /utils and /npc, as TAC's
    ONBUILD steps fill them, in the item's hidden/ folder too."""
    task = tac_folder(project / "task_specs" / "tac")
    add_agent(project, "summer", "set -e\n"
              "python3 -c 'import sys; assert sys.version_info >= (3, 12), sys.version; print(\"python ok\")'\n"
              "pip --version | sed 's/^/PIP /'\n"
              "python3 -c 'import six; print(\"SIX\", six.__version__)'\n"
              "ls -A /workspace | sed 's/^/WORKSPACE /'\n"
              "ls -A /instruction | sed 's/^/INSTRUCTION /'\n"
              "python3 -c \"import csv; rows = list(csv.DictReader(open('/workspace/sales.csv'))); "
              "print('%.2f' % sum(float(r['amount']) for r in rows))\" > /workspace/answer.txt\n")

    run = pytester.runpytest_subprocess("task_specs/tac", "--agent=summer", "-p", "no:cacheprovider")
    run.assert_outcomes(passed=1)
    result = result_of(project)
    log = Path(result["agent_run"]["log_path"]).read_text()
    assert "python ok" in log and "PIP pip " in log and "SIX 1.16.0" in log, log
    assert sorted(line.split(" ", 1)[1] for line in log.splitlines() if line.startswith("WORKSPACE ")) == \
        ["sales.csv"], log  # no README, Makefile, answer key or scenario
    assert [line for line in log.splitlines() if line.startswith("INSTRUCTION ")] == ["INSTRUCTION task.md"], log
    assert result["grade"]["score"] == 1.0

    hidden = Path(result["folder"]) / "hidden"
    assert (hidden / "utils" / "golden_answer.csv").read_text() == GOLDEN + "\n"
    assert (hidden / "utils" / "evaluator.py").read_text() == EVALUATOR
    assert HELPER_MARK in (hidden / "utils" / "helper.py").read_text()  # every *.py beside the evaluator
    assert (hidden / "utils" / "dependencies.yml").is_file() and (hidden / "utils" / "post_init.sh").is_file()
    assert SCENARIO in (hidden / "npc" / "scenarios.json").read_text()
    assert (hidden / "utils" / "table1.tex").is_file() and (hidden / "utils" / "table2.tex").is_file()
    assert not (hidden / "utils" / "README.md").exists() and not (hidden / "utils" / "Makefile").exists()


ATTACKER = r"""
echo "UID $(id -u)"
# What is hidden is not readable at its place, nor through another path, a mount, or a search.
ls -A /utils | sed 's/^/LISTED /'; ls -A /npc | sed 's/^/LISTED /'
umount /utils 2>&1 | sed 's/^/UMOUNT /'; umount -l /npc 2>&1 | sed 's/^/UMOUNT /'
mount -o remount,rw /utils 2>&1 | sed 's/^/REMOUNT /'
touch /utils/planted 2>&1 | sed 's/^/WRITE /'
unshare -m sh -c 'umount /utils && ls -A /utils' 2>&1 | sed 's/^/UNSHARE /'
ls -A /proc/1/root/utils /proc/1/root/npc 2>&1 | grep -v ':$' | grep . | sed 's/^/PROCROOT /'
# By name (README.md and Makefile are common names: by content below)
for f in evaluator.py helper.py golden_answer.csv scenarios.json post_init.sh solution.sh checkpoints.md \
         evaluator.py.enc dependencies.yml; do
  find / \( -path /proc -o -path /sys \) -prune -o -name "$f" -print 2>/dev/null | sed 's/^/FOUND /'
done
# By content, anywhere (each mark written in two pieces, so that this script does not match itself; the
# command recorder's live steps file in /run/agentbench holds this very grep's arguments, joined)
grep -rlI --exclude-dir=proc --exclude-dir=sys --exclude-dir=agentbench -e GOLDEN-7f'3a9c' -e SCENARIO-e4'1b02' -e README-55'd0aa' \
     -e MAKEFILE-91'c3ee' -e SOLUTION-2b'8d47' -e RUBRIC-c6'e01f' -e EVALUATOR-0a'9d5e' -e HELPER-3e'77b1' \
     -e POSTINIT-d2'c4f8' / 2>/dev/null | sed 's/^/FOUND /'
echo "ATTACK DONE"
"""


def test_root_in_the_agent_s_container_finds_no_hidden_file(pytester, project):
    """The agent is root (TAC's contract) and looks for every file it must not see: the evaluator and its
    helper, the answer key and init script in /utils, the scenarios in /npc, README.md, Makefile,
    solution.sh and checkpoints.md; by name anywhere, by content anywhere, by unmounting or remounting the
    masks, in a mount namespace of its own, through /proc. It finds none, and the item still grades as
    TAC grades it (the image's /utils is intact)."""
    tac_folder(project / "task_specs" / "tac")
    add_agent(project, "attacker", ATTACKER + "echo 4821.50 > /workspace/answer.txt\n")

    run = pytester.runpytest_subprocess("task_specs/tac", "--agent=attacker", "-p", "no:cacheprovider")
    run.assert_outcomes(passed=1)
    result = result_of(project)
    log = Path(result["agent_run"]["log_path"]).read_text()
    assert "UID 0" in log and "ATTACK DONE" in log, log
    for found in ("LISTED", "FOUND", "PROCROOT", "golden_answer", "scenarios.json", *MARKS):
        assert found not in log, log
    assert "UMOUNT" in log and "WRITE" in log, log  # both refused, with the system's message
    hidden = Path(result["folder"]) / "hidden"
    assert not (hidden / "utils" / "planted").exists() and (hidden / "utils" / "golden_answer.csv").is_file()


def test_a_snapshot_of_the_agent_s_final_container_has_utils_and_npc_back(tmp_path, engine, base_image_tag):
    """The interface grading relies on (task_image.py): the agent's container runs with /utils and /npc
    masked; a snapshot of it (docker commit), started without the masks, holds the agent's work and the
    image's /utils and /npc as built, whatever the agent tried to write there."""
    folder = tac_folder(tmp_path)
    image = build(engine, folder, folder.name, {})
    agent = engine.start(SandboxSpec(image=image, name=f"{engine.run_id}-agent",
                                     tmpfs={path: MASK for path in HIDDEN_PATHS}))
    assert agent.exec(["ls", "-A", "/utils", "/npc"], record=False).output.split() == ["/npc:", "/utils:"]
    agent.exec(["sh", "-c", "echo 4821.50 > /workspace/answer.txt"], record=False)
    forged = agent.exec(["sh", "-c", "echo forged > /utils/golden_answer.csv"], record=False)
    assert forged.exit_code != 0 and "Read-only file system" in forged.output, forged.output
    snapshot = agent.snapshot(f"agentbench/test-snapshot-{engine.run_id}")
    grader = engine.start(SandboxSpec(image=snapshot, name=f"{engine.run_id}-grader"))
    seen = grader.exec(["sh", "-c", "cat /workspace/answer.txt /utils/golden_answer.csv; ls /utils /npc"], record=False)
    assert seen.output.split() == ["4821.50", GOLDEN, "/npc:", "scenarios.json", "/utils:", "dependencies.yml",
                                   "evaluator.py", "golden_answer.csv", "helper.py", "post_init.sh",
                                   "table1.tex", "table2.tex"], seen.output
