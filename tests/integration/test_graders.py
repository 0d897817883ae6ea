"""Host-side graders are untrusted task code: whatever one does (exit, crash, hang, return nonsense), it
fails its own item with a message naming it, and the items after it, in the same worker, run as usual."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from support import AGENTS

pytestmark = pytest.mark.docker

SPEC = """\
id: {id}
time_limit: 60
grader: grade.py:grade
"""
GOOD = "from pytest_agentbench.grading.result import Checkpoint\nreturn [Checkpoint('ran', 1)]"


@pytest.fixture
def project(pytester, base_image_tag, monkeypatch):
    shutil.copytree(AGENTS, pytester.path / "agents")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")

    def task(task_id: str, body: str) -> None:
        folder = pytester.path / "task_specs" / "graders" / task_id
        folder.mkdir(parents=True)
        (folder / "task.yaml").write_text(SPEC.format(id=task_id))
        (folder / "grade.py").write_text("def grade(outputs, task_dir):\n" + textwrap.indent(body, "    ") + "\n")

    return task


def results(path: Path) -> dict[str, dict]:
    [group] = (path / "runs").iterdir()
    return {p.parent.name: json.loads(p.read_text()) for p in group.glob("*/result.json")}


def error_of(result: dict) -> str:
    return result["phases"]["setup"]["message"]


def test_a_grader_that_exits_or_returns_nonsense_fails_only_its_own_item(pytester, project):
    # Sorted by id, each misbehaving grader runs before a good task, in the same process (-n 0).
    project("a-sys-exit", "import sys\nsys.exit(3)")
    project("b-os-exit", "import os\nos._exit(4)")
    project("c-none", "return None")
    project("d-number", "return 42")
    project("e-dict", "return {'name': 'ran', 'points': 1}")
    project("f-empty", "return []")
    project("g-bad-points", "return [{'name': 'ran', 'points': 'all'}]")
    project("z-good", GOOD)
    result = pytester.runpytest_subprocess("task_specs", "--agent=nop", "-p", "no:cacheprovider", "-n", "0")
    result.assert_outcomes(passed=1, errors=7)
    saved = results(pytester.path)
    assert saved["z-good"]["outcome"] == "passed"
    expected = {
        "a-sys-exit": "called sys.exit(3) instead of returning",
        "b-os-exit": "ended its process before returning (exit code 4)",
        "c-none": "returned None; expected a non-empty list of Checkpoint",
        "d-number": "returned 42; expected a non-empty list of Checkpoint",
        "e-dict": "returned {'name': 'ran', 'points': 1}; expected a non-empty list of Checkpoint",
        "f-empty": "returned []; expected a non-empty list of Checkpoint",
        "g-bad-points": "checkpoint 0 ({'name': 'ran', 'points': 'all'",
    }
    for task_id, message in expected.items():
        assert saved[task_id]["outcome"] == "error"
        assert f"grader grade.py:grade of {pytester.path}/task_specs/graders/{task_id}/task.yaml" \
               in error_of(saved[task_id]), task_id
        assert message in error_of(saved[task_id]), (task_id, error_of(saved[task_id]))
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_looping_grader_is_killed_at_its_time_limit_without_holding_the_containers(pytester, project):
    # The grader first waits for the item's agent container to be gone (released before grading), notes
    # that, then loops for ever.
    project("a-loops", textwrap.dedent("""\
        import docker, time
        client = docker.from_env()
        for _ in range(60):
            left = client.containers.list(all=True, filters={"name": "agentbench-agent-a-loops"})
            if not left:
                break
            time.sleep(0.5)
        (outputs / "containers-left.txt").write_text(str(len(left)))
        while True:
            time.sleep(1)
    """))
    project("z-good", GOOD)
    result = pytester.runpytest_subprocess("task_specs", "--agent=nop", "-p", "no:cacheprovider", "-n", "0",
                                           "--grader-time-limit=40")
    result.assert_outcomes(passed=1, errors=1)
    saved = results(pytester.path)
    assert "ran past its time limit of 40 s and was killed" in error_of(saved["a-loops"])
    assert (Path(saved["a-loops"]["folder"]) / "containers-left.txt").read_text() == "0"
    assert saved["z-good"]["outcome"] == "passed"


def test_a_spec_grader_time_limit_must_be_positive(pytester, project):
    project("a-task", GOOD)
    spec = pytester.path / "task_specs" / "graders" / "a-task" / "task.yaml"
    spec.write_text(spec.read_text() + "grader_time_limit: 0\n")
    result = pytester.runpytest_subprocess("task_specs", "--collect-only")
    result.stdout.fnmatch_lines(["*a-task/task.yaml:4: field 'grader_time_limit': input should be greater than 0*"])
