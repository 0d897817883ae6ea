"""Under -n, an item starts on the first free worker: a long item never holds back the item queued
behind it on its worker while another worker is idle (xdist alone would: its worker runs an item only
once it holds the next one)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import AGENTS, add_agent

pytestmark = pytest.mark.docker

TASK = """id: {id}
name: waits
time_limit: 120
description: wait
grader: grade.py:grade
"""
GRADE = """from pytest_agentbench.grading.result import Checkpoint

def grade(outputs):
    return [Checkpoint("ran", 1, total=1)]
"""
# The long task waits 15 s, the others not at all; each item notes when its agent started and ended.
SLEEPER = """case "$TASK_ID" in long) sleep 15;; esac
echo "START $TASK_ID"
"""


@pytest.fixture
def project(tmp_path, base_image_tag, monkeypatch):
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    shutil.copytree(AGENTS, tmp_path / "agents")
    for name in ("long", "short-a", "short-b"):  # collected in this order: xdist gives long and short-b one worker
        task = tmp_path / "task_specs" / name
        task.mkdir(parents=True)
        (task / "task.yaml").write_text(TASK.format(id=name))
        (task / "grade.py").write_text(GRADE)
    add_agent(tmp_path, "sleeper", SLEEPER)
    return tmp_path


def finished_at(project: Path) -> dict[str, float]:
    import json

    results = (json.loads(p.read_text()) for p in project.glob("runs/*/*/result.json"))
    return {r["task_id"]: r["finished_at"] for r in results}


def test_a_long_item_does_not_hold_back_the_next_while_a_worker_is_free(project):
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "task_specs",
                           "--agent=sleeper"], cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    ended = finished_at(project)
    assert sorted(ended) == ["long", "short-a", "short-b"]
    # Both short items ran on the free worker while the long one waited out its 15 s.
    assert ended["short-b"] < ended["long"] - 5, ended
