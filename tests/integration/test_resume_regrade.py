"""--resume finishes an interrupted run group; --regrade grades saved outputs again without agents."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import AGENTS, LIKE_A_TERMINAL, TASK_SPECS

pytestmark = pytest.mark.docker


@pytest.fixture
def project(tmp_path, base_image_tag, monkeypatch):
    shutil.copytree(TASK_SPECS / "smoke", tmp_path / "task_specs" / "smoke")
    shutil.copytree(AGENTS, tmp_path / "agents")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    return tmp_path


def pytest_run(project: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "task_specs", "-p", "no:cacheprovider", *args],
                          cwd=project, capture_output=True, text=True, timeout=600, **kwargs)


def outcomes(group: Path) -> dict[str, tuple]:
    """What a summary is made of: each item's outcome and grade."""
    found = {}
    for path in sorted(group.glob("*/result.json")):
        r = json.loads(path.read_text())
        found[r["nodeid"]] = (r["outcome"], r["grade"]["score"], [c["passed"] for c in r["grade"]["checkpoints"]])
    return found


def only_group(runs: Path) -> Path:
    [group] = [p for p in runs.iterdir() if p.is_dir()]
    return group


def test_resume_after_ctrl_c_matches_an_uninterrupted_run(project):
    seeds = ["--seeds", "6", "-n", "2"]
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "task_specs", "-p", "no:cacheprovider",
                             "--agent=oracle", "--run-dir=interrupted", *seeds],
                            cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            **LIKE_A_TERMINAL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not list((project / "interrupted").glob("*/*/result.json")):
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    group = only_group(project / "interrupted")
    finished_before = outcomes(group)
    assert 1 <= len(finished_before) < 6, "the interruption should leave the run unfinished"

    resumed = pytest_run(project, "--resume", str(group), *seeds)
    assert resumed.returncode == 0, resumed.stdout[-3000:]
    assert f"{len(finished_before)} skipped" in resumed.stdout  # finished items are not run again

    whole = pytest_run(project, "--agent=oracle", "--run-dir=whole", *seeds)
    assert whole.returncode == 0, whole.stdout[-3000:]
    assert outcomes(group) == outcomes(only_group(project / "whole"))
    assert len(outcomes(group)) == 6
    assert json.loads((group / "metadata.json").read_text())["agent"] == "oracle"


def test_regrade_reproduces_the_original_grades_without_running_agents(project, docker_client):
    first = pytest_run(project, "--agent=dummy", "--seeds", "2")
    assert first.returncode == 1  # the dummy does not solve the task
    group = only_group(project / "runs")
    original = outcomes(group)
    logs = {p: p.read_text() for p in group.glob("*/agent.log")}

    shutil.rmtree(project / "agents")  # regrading runs no agent: its definition need not be at hand
    regrade = pytest_run(project, "--regrade", str(group))
    assert regrade.returncode == 1, regrade.stdout[-3000:]
    assert outcomes(group) == original
    assert {p: p.read_text() for p in group.glob("*/agent.log")} == logs  # no agent ran again
    assert "agentbench: agent dummy" in regrade.stdout


def test_regrade_of_something_that_is_not_a_run_group_is_a_usage_error(project):
    (project / "empty").mkdir()
    done = pytest_run(project, "--regrade", "empty")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "not a run group" in done.stderr
