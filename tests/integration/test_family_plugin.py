"""A task family from another package: installed with pip, found through its entry point
(`pytest_agentbench.families`), and run like a built-in one, on a real container."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import add_agent, install_entry_point_package

pytestmark = pytest.mark.docker

# A family of its own kind: the agent must write the spec's `word` (given in its environment) to
# /home/submission/echo.txt. Only the Family interface is used, as a third party would.
FAMILY = '''\
from pydantic import BaseModel, ConfigDict

from pytest_agentbench.families.base import Family
from pytest_agentbench.grading.result import Checkpoint, Grade


class EchoFields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    word: str


class EchoFamily(Family):
    name = "echo"
    fields = EchoFields

    def agent_env(self, ctx):
        return {"ECHO_WORD": ctx.spec.details.word}

    def outputs(self, ctx):
        return ["/home/submission"]

    def grade(self, ctx):
        echoed = ctx.item_dir / "submission" / "echo.txt"
        said = echoed.read_text().strip() if echoed.is_file() else None
        ok = said == ctx.spec.details.word
        return Grade([Checkpoint("echoed the word", int(ok), 1, f"wrote {said!r}")], score=float(ok),
                     passed=ok, summary="echoed" if ok else "did not echo")
'''


@pytest.fixture
def echo_family(tmp_path) -> Path:
    """The package built and installed by pip into a folder of its own (put on PYTHONPATH by the
    test): the test venv, shared with the other tests running at the same time, is left as it was."""
    return install_entry_point_package(tmp_path, "agentbench-echo-family", "pytest_agentbench.families",
                                       "echo = \"echo_family:EchoFamily\"", "echo_family", FAMILY)


def test_a_family_installed_by_another_package_runs_its_items(pytester, echo_family, base_image_tag, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(echo_family))
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")  # the locally built base, shared with every test
    (pytester.path / "agents").mkdir()
    add_agent(pytester.path, "echoer", 'printf "%s\\n" "$ECHO_WORD" > /home/submission/echo.txt\n')
    for task, word in (("say-hello", "hello"), ("say-bye", "bye")):
        folder = pytester.path / "tasks" / task
        folder.mkdir(parents=True)
        (folder / "task.yaml").write_text(f"kind: echo\nid: {task}\nword: {word}\n")

    result = pytester.runpytest_subprocess("tasks", "--agent=echoer", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)
    [group] = (pytester.path / "runs").iterdir()
    for task, word in (("say-hello", "hello"), ("say-bye", "bye")):
        saved = json.loads((group / task / "result.json").read_text())
        assert saved["kind"] == "echo" and saved["outcome"] == "passed"
        assert saved["grade"]["checkpoints"][0]["message"] == f"wrote {word!r}"


def test_the_family_s_own_fields_are_checked_at_collection(pytester, echo_family, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(echo_family))
    folder = pytester.path / "tasks" / "say-nothing"
    folder.mkdir(parents=True)
    (folder / "task.yaml").write_text("kind: echo\nid: say-nothing\nword: hi\nwrod: typo\n")

    result = pytester.runpytest_subprocess("tasks", "--collect-only", "-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(["*say-nothing*task.yaml:4: field 'wrod': unknown key; expected one of*word*"])


def test_a_broken_family_package_stops_pytest_naming_it(pytester, tmp_path, monkeypatch):
    info = tmp_path / "site" / "broken_family-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-family\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[pytest_agentbench.families]\nbroken = broken_family_gone:Broken\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: pytest_agentbench.families: entry point broken = broken_family_gone:Broken "
                                 "of package broken-family 0.1 cannot be loaded: ModuleNotFoundError*"])
    assert "Traceback" not in result.stderr.str()
