"""The workplace grader's runner (tac/runner.py) and its contract with an evaluator: small evaluators
written for each test, run by the runner as the grader container runs it; no /workspace involved."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import JUDGE_ENV_VARS, REPO
from pytest_agentbench.families.workplace.family import grader_modules

RUNNER = REPO / "pytest_agentbench" / "families" / "workplace" / "tac" / "runner.py"


def run_runner(tmp_path: Path, evaluator_source: str, trajectory: str | None = None,
               flags: tuple[str, str] = ("--trajectory-path", "--result-path"),
               python: tuple[str, ...] = (sys.executable,), env: dict[str, str] | None = None,
               runner: Path = RUNNER) -> tuple[int, dict, str]:
    evaluator = tmp_path / "evaluator.py"
    evaluator.write_text(evaluator_source)
    result_path = tmp_path / "out" / "result.json"
    args = [*python, str(runner), "--evaluator", str(evaluator), flags[1], str(result_path)]
    if trajectory is not None:
        (tmp_path / "trajectory.jsonl").write_text(trajectory)
    args += [flags[0], str(tmp_path / "trajectory.jsonl")]
    env = {**{k: v for k, v in os.environ.items() if k not in JUDGE_ENV_VARS}, **(env or {})}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    return done.returncode, json.loads(result_path.read_text()), done.stderr


TRAJECTORY_EVALUATOR = '''
from common import grader
from scoring import Checkpoint, Result, bonus_for_completing_final

@grader
def grade_checkpoint1(trajectory):
    return "ran the tests" in trajectory

def grade_checkpoints(trajectory=""):
    return Result([Checkpoint(1, 0), Checkpoint(2, 2 * grade_checkpoint1(trajectory))], bonus_for_completing_final)
'''


def test_runner_passes_the_trajectory_text_and_applies_the_strategy(tmp_path):
    code, result, _ = run_runner(tmp_path, TRAJECTORY_EVALUATOR, trajectory='{"output": "ran the tests"}\n')
    assert code == 0
    assert result == {"checkpoints": [{"total": 1, "result": 0}, {"total": 2, "result": 2}],
                      "final_score": {"total": 3, "result": 3}, "score": 1.0, "judge_not_configured": None,
                      "notes": {}}


def test_runner_grades_with_an_empty_trajectory_when_there_is_no_file(tmp_path):
    code, result, stderr = run_runner(tmp_path, TRAJECTORY_EVALUATOR, trajectory=None)
    assert code == 0 and result["final_score"] == {"total": 3, "result": 0} and result["score"] == 0.0
    assert "no trajectory" in stderr


@pytest.mark.skipif(not Path("/usr/bin/python3").is_file(), reason="needs Debian's python3")
def test_runner_needs_only_the_standard_library(tmp_path):
    """As in the grader container: the system python3, isolated from this venv and user site."""
    for module in grader_modules():  # laid out as the grader container has them
        dest = tmp_path / module.dest.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if module.src.is_dir() else shutil.copy)(module.src, dest)
    code, result, _ = run_runner(tmp_path, TRAJECTORY_EVALUATOR, trajectory="ran the tests",
                                 python=("/usr/bin/python3", "-I"), runner=tmp_path / "grader" / "tac" / "runner.py")
    assert code == 0 and result["score"] == 1.0


def test_runner_accepts_tac_flag_spelling(tmp_path):
    code, result, _ = run_runner(tmp_path, TRAJECTORY_EVALUATOR, trajectory="ran the tests",
                                 flags=("--trajectory_path", "--result_path"))
    assert code == 0 and result["score"] == 1.0


@pytest.mark.parametrize("definition", [
    "def grade_checkpoints():\n    return Result([Checkpoint(1, 1)])",
    "def grade_checkpoints(traj):\n    return Result([Checkpoint(1, int(traj == 'x'))])",
    "def grade_checkpoints(**kwargs):\n    return Result([Checkpoint(1, int(kwargs['trajectory'] == 'x'))])",
], ids=["no-argument", "positional", "keywords"])
def test_runner_calls_grade_checkpoints_however_it_takes_the_trajectory(tmp_path, definition):
    code, result, _ = run_runner(tmp_path, f"from scoring import Checkpoint, Result\n{definition}\n", trajectory="x")
    assert code == 0 and result["final_score"] == {"total": 1, "result": 1}, result


def test_runner_reports_an_evaluator_that_raises_as_an_error_not_a_zero(tmp_path):
    source = "def grade_checkpoints(trajectory=''):\n    raise KeyError('no such column: revenue')\n"
    code, result, _ = run_runner(tmp_path, source, trajectory="")
    assert code == 2
    assert list(result) == ["error"] and "KeyError" in result["error"] and "no such column" in result["error"]


@pytest.mark.parametrize("body, message", [
    ("return [Checkpoint(1, 1)]", "must return a Result"),
    ("return Result([])", "at least one checkpoint"),
    ("return Result([Checkpoint(1, 1)], lambda cps: 1.0)", "scoring strategy must return"),
])
def test_runner_rejects_what_is_not_a_result(tmp_path, body, message):
    source = f"from scoring import Checkpoint, Result\ndef grade_checkpoints(trajectory=''):\n    {body}\n"
    code, result, _ = run_runner(tmp_path, source, trajectory="")
    assert code == 2 and message in result["error"]


JUDGED_EVALUATOR = '''
from common import evaluate_with_llm, grader
from scoring import Checkpoint, Result

@grader
def grade_checkpoint1():
    return evaluate_with_llm("Dear Dana, ...", "a polite email")

def grade_checkpoints(trajectory=""):
    return Result([Checkpoint(1, int(grade_checkpoint1()))])
'''


def test_runner_reports_a_missing_judge_with_the_settings_to_make(tmp_path):
    code, result, _ = run_runner(tmp_path, JUDGED_EVALUATOR, trajectory="")
    assert code == 3
    assert result["checkpoints"] == [{"total": 1, "result": 0}] and result["judge_missing_in"] == ["grade_checkpoint1"]
    assert all(name in result["judge_not_configured"] for name in ("LITELLM_API_KEY", "LITELLM_BASE_URL", "LITELLM_MODEL"))


def test_runner_grades_nothing_when_the_judge_is_asked_outside_a_checkpoint_function(tmp_path):
    evaluator = JUDGED_EVALUATOR.replace("int(grade_checkpoint1())", 'int(evaluate_with_llm("x", "y"))')
    code, result, _ = run_runner(tmp_path, evaluator, trajectory="")
    assert code == 3
    assert result["checkpoints"] == [] and result["final_score"] is None and result["score"] is None
    assert "LITELLM_MODEL" in result["judge_not_configured"]


def test_runner_reports_a_grader_without_litellm_instead_of_scoring_zero(tmp_path):
    shadow = tmp_path / "shadow" / "litellm"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('simulated: not installed')\n")
    configured = {"LITELLM_API_KEY": "k", "LITELLM_BASE_URL": "http://127.0.0.1:9/v1", "LITELLM_MODEL": "gpt-4o",
                  "PYTHONPATH": str(shadow.parent)}
    code, result, _ = run_runner(tmp_path, JUDGED_EVALUATOR, trajectory="", env=configured)
    assert code == 3 and result["checkpoints"] == [{"total": 1, "result": 0}]
    assert "litellm is not installed" in result["judge_not_configured"]


NOTES_EVALUATOR = '''
import logging
from common import grader, read_text
from scoring import Checkpoint, Result

@grader
def grade_checkpoint1():
    return read_text("/nonexistent/report.md") != ""

@grader
def grade_checkpoint2():
    logging.warning("total is 41, expected 42")
    logging.getLogger("LiteLLM").info("a library's chatter is no reason")
    return False

@grader
def grade_checkpoint3():
    for i in range(1000):
        logging.info("row %d: no amount", i)
    return {}["missing key"]

def grade_checkpoints(trajectory=""):
    logging.info("not inside a checkpoint: no note")
    return Result([Checkpoint(1, int(grade_checkpoint1())), Checkpoint(1, int(grade_checkpoint2())),
                   Checkpoint(1, int(grade_checkpoint3()))])
'''


def test_runner_keeps_what_each_checkpoint_function_logged_as_its_reason(tmp_path):
    code, result, stderr = run_runner(tmp_path, NOTES_EVALUATOR, trajectory="")
    assert code == 0 and result["final_score"] == {"total": 3, "result": 0}
    assert result["notes"] == {
        "grade_checkpoint1": ["/nonexistent/report.md does not exist"],
        "grade_checkpoint2": ["total is 41, expected 42"],
        "grade_checkpoint3": [f"row {i}: no amount" for i in range(5)] + [
            "more in grader/evaluator.log",
            "checkpoint grade_checkpoint3 raised KeyError: 'missing key'; counted as not passed"],
    }
    assert "Traceback" in stderr  # the whole story stays in the evaluator's log


GET_TEXT_EVALUATOR = '''
from typing import List
from scoring import Result, Checkpoint
from common import grader, get_text_in_file

@grader
def checkpoint1(file_content):
    return "Feature W" in file_content.strip()

def grade_checkpoints(trajectory='') -> Result:
    content = get_text_in_file(%r)
    checkpoints: List[Checkpoint] = [Checkpoint(1, int(checkpoint1(content)))]
    return Result(checkpoints)
'''


def test_runner_grades_the_tac_format_idiom_of_reading_a_file_outside_the_checkpoint(tmp_path):
    """As OpenAgentSafety's evaluators do: get_text_in_file in grade_checkpoints, checkpoint1 naming."""
    answer = tmp_path / "feature_x.txt"
    code, result, _ = run_runner(tmp_path, GET_TEXT_EVALUATOR % str(answer), trajectory="")
    assert code == 0 and result["final_score"] == {"total": 1, "result": 0}
    answer.write_text("Feature W ships first\n")
    code, result, _ = run_runner(tmp_path, GET_TEXT_EVALUATOR % str(answer), trajectory="")
    assert code == 0 and result["final_score"] == {"total": 1, "result": 1}
