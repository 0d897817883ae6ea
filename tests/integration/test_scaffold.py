"""`agentbench new`: a new author's first task. The folder it writes collects and its oracle passes,
with nothing filled in; the dummy does not pass (the checks are real); and it never overwrites."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support import AGENTS

pytestmark = pytest.mark.docker


def agentbench(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest_agentbench.cli", *args], cwd=cwd, capture_output=True,
                          text=True)


def run(cwd: Path, agent: str) -> dict[str, dict]:
    done = subprocess.run([sys.executable, "-m", "pytest", "task_specs", f"--agent={agent}", f"--agents-dir={AGENTS}",
                           "-p", "no:cacheprovider", "-q"], cwd=cwd, capture_output=True, text=True, timeout=900)
    [group] = (cwd / "runs").glob(f"*_{agent}")
    return {p.parent.name: json.loads(p.read_text()) for p in group.glob("*/result.json")} | {"rc": done.returncode}


def test_a_scaffolded_competition_and_workplace_task_pass_with_the_oracle_as_written(tmp_path):
    for kind, task_id in (("competition", "my-first-competition"), ("workplace", "my-first-task")):
        written = agentbench(tmp_path, "new", kind, task_id)
        assert written.returncode == 0, written.stderr
    assert (tmp_path / "task_specs/mle/my-first-competition/leaderboard.csv").is_file()
    assert (tmp_path / "task_specs/company/my-first-task/evaluator.py").is_file()

    oracle = run(tmp_path, "oracle")
    assert oracle.pop("rc") == 0
    assert {name: r["outcome"] for name, r in oracle.items()} == {"my-first-competition": "passed",
                                                                    "my-first-task": "passed"}
    dummy = run(tmp_path, "dummy")
    assert dummy.pop("rc") == 1
    assert {r["outcome"] for r in dummy.values()} == {"failed"}


def test_new_refuses_a_bad_id_an_unknown_kind_and_an_existing_folder(tmp_path):
    assert agentbench(tmp_path, "new", "workplace", "t").returncode == 0
    again = agentbench(tmp_path, "new", "workplace", "t")
    assert again.returncode == 2 and "task_specs/company/t exists already" in again.stderr
    bad = agentbench(tmp_path, "new", "competition", "My_Comp")
    assert bad.returncode == 2 and "'My_Comp' is not a task id" in bad.stderr
    assert agentbench(tmp_path, "new", "quiz", "x").returncode == 2  # argparse names the choices
    assert not (tmp_path / "task_specs/mle").exists()
