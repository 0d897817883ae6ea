"""A sandbox engine from another package: installed with pip, found through its entry point
(`pytest_agentbench.engines`), and picked by `--sandbox NAME`, by pytest and by the `agentbench` command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import AGENTS, REPO, TASK_SPECS, install_entry_point_package

pytestmark = pytest.mark.docker

# The Docker engine, leaving a line in $MARKED_ENGINE_LOG for each engine made and each sandbox started:
# proof that this class, not the built-in one, ran the item.
ENGINE = '''\
import os

from pytest_agentbench.sandbox.docker import DockerEngine


def mark(line):
    with open(os.environ["MARKED_ENGINE_LOG"], "a") as f:
        f.write(line + "\\n")


class MarkedEngine(DockerEngine):
    def __init__(self, run_id, *args, **kwargs):
        super().__init__(run_id, *args, **kwargs)
        mark(f"engine {run_id}")

    def start(self, spec, **kwargs):
        mark(f"start {spec.name}")
        return super().start(spec, **kwargs)
'''


@pytest.fixture
def marked_engine(tmp_path, monkeypatch) -> Path:
    """The package built and installed by pip into a folder of its own, put on PYTHONPATH: the test venv,
    shared with the other tests running at the same time, is left as it was. Returns the mark log."""
    site = install_entry_point_package(tmp_path, "agentbench-marked-engine", "pytest_agentbench.engines",
                                       "marked = \"marked_engine:MarkedEngine\"", "marked_engine", ENGINE)
    log = tmp_path / "marks.log"
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("MARKED_ENGINE_LOG", str(log))
    return log


def test_sandbox_picks_an_engine_registered_by_another_package(pytester, marked_engine, base_image_tag,
                                                               monkeypatch):
    shutil.copytree(TASK_SPECS / "smoke", pytester.path / "task_specs" / "smoke")
    shutil.copytree(AGENTS, pytester.path / "agents")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")  # the locally built base, shared with every test

    result = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "--sandbox=marked",
                                           "-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    [group] = (pytester.path / "runs").iterdir()
    assert json.loads((group / "reverse-words" / "result.json").read_text())["outcome"] == "passed"
    marks = marked_engine.read_text().splitlines()
    assert any(line.startswith("engine ") for line in marks)
    assert any(line.startswith("start ") for line in marks)  # the agent's sandbox, at least


def test_the_agentbench_command_honours_sandbox(marked_engine):
    def agentbench(*args):
        return subprocess.run([sys.executable, "-m", "pytest_agentbench.cli", *args], capture_output=True,
                              text=True, cwd=REPO)

    done = agentbench("--sandbox", "marked", "images")
    assert done.returncode == 0, done.stderr
    assert marked_engine.read_text().splitlines() == ["engine cli"]

    unknown = agentbench("--sandbox", "nope", "cleanup")
    assert unknown.returncode == 2
    assert "unknown sandbox engine 'nope'; known: docker, marked" in unknown.stderr
