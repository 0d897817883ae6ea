"""Every bundled workplace task, graded on the host the way the grader container grades it.

The evaluators read the agent's files at TAC's absolute paths (``/workspace/...``), so each step runs
in a private mount namespace with a temporary copy of the task's workspace bind-mounted over
``/workspace``: nothing is written into the host's ``/workspace`` (created empty if absent, and left
so), and the mount ends with the process.
solution.sh runs with Debian's python3 like in the agent's container; runner.py runs with this venv's
python, and the oracle's output becomes the trajectory, as one exec step.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from fake_llm import ORACLE_MARKER, ORACLE_RULES, FakeLLM
from pytest_agentbench.families.workplace.family import grader_modules
from pytest_agentbench.trajectory import TrajectoryRecorder

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "pytest_agentbench" / "families" / "workplace" / "tac" / "runner.py"
TASKS_DIR = ROOT / "task_specs" / "company"
TASKS = sorted(p for p in TASKS_DIR.iterdir() if (p / "task.md").is_file())
LLM_TASKS = [t for t in TASKS if "evaluate_with_llm" in (t / "evaluator.py").read_text()]
CATEGORIES = {"sde", "hr", "pm", "admin", "ds", "finance", "other"}
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

needs_mount = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                 reason="bind-mounting over /workspace needs root and unshare")


# --- helpers -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workspace_mountpoint():
    """/workspace exists as a mount point, and afterwards nothing is mounted on it.

    It stays, empty, when we made it: another pytest process (an xdist worker, a second session)
    may be mounting on it right now, and removing it would break that one.
    """
    mountpoint = Path("/workspace")
    mountpoint.mkdir(exist_ok=True)
    yield mountpoint
    assert not _mounted(mountpoint), "a test left something mounted on /workspace"


def _mounted(path: Path) -> bool:
    return any(line.split()[1] == str(path) for line in Path("/proc/mounts").read_text().splitlines())


def in_workspace(workspace: Path, *command: str, env: dict[str, str] | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``command`` with ``workspace`` bind-mounted over /workspace in a private mount namespace."""
    script = 'mkdir -p /workspace && mount --bind "$1" /workspace && shift && exec "$@"'
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "bash", "-c", script, "_", str(workspace), *command],
        cwd="/", env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)


def fresh_workspace(task: Path, tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    if (task / "workspace").is_dir():
        shutil.copytree(task / "workspace", workspace)
    else:
        workspace.mkdir()
    return workspace


def run_oracle(task: Path, workspace: Path, trajectory: Path) -> None:
    """solution.sh as the agent would run it: its output is the agent's step, and the programs it ran
    (read from its ``set -x`` trace) are steps under it, as the command recorder would record them."""
    command = f"bash {task / 'solution.sh'}"
    started = time.time()
    done = in_workspace(workspace, "bash", str(task / "solution.sh"),
                        env={"PATH": SYSTEM_PATH, "HOME": str(workspace.parent), "LANG": "C.UTF-8"})
    assert done.returncode == 0, f"{task.name}/solution.sh failed:\n{done.stdout}"
    recorder = TrajectoryRecorder(trajectory)
    run = recorder.exec(command, user="agent", start=started, exit_code=done.returncode, output=done.stdout)
    recorder.programs(traced_programs(done.stdout, started), under=run["step"], user="agent")


def traced_programs(output: str, start: float) -> list[dict]:
    """The commands of a ``set -x`` trace as command-recorder steps: solution.sh runs with ``set -e``,
    so each one that was traced and followed exited 0."""
    lines = [line[2:] for line in output.splitlines() if line.startswith("+ ")]
    return [{"id": i, "parent": None, "pid": 1000 + i, "start": start + i / 1000, "end": start + i / 1000,
             "argv": shlex.split(line), "exit_code": 0, "output": ""} for i, line in enumerate(lines, 1)]


def rubric_points(task: Path) -> int:
    """The points checkpoints.md promises, from its '(Npt)' / '(Npts)' headings."""
    return sum(int(n) for n in re.findall(r"^##.*\((\d+)\s*pts?\)", (task / "checkpoints.md").read_text(), re.M))


# --- the task folders --------------------------------------------------------------------------

def test_bundle_covers_tac_categories_and_judged_tasks():
    categories = {yaml.safe_load((t / "task.yaml").read_text())["category"] for t in TASKS}
    assert len(TASKS) >= 10
    assert {"sde", "ds", "admin", "hr", "finance", "pm"} <= categories
    assert len(LLM_TASKS) >= 3


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_task_folder_is_complete(task):
    for name in ("task.md", "checkpoints.md", "evaluator.py", "dependencies.yml", "task.yaml", "solution.sh"):
        assert (task / name).is_file(), f"{task.name} has no {name}"
    meta = yaml.safe_load((task / "task.yaml").read_text())
    assert meta["kind"] == "workplace" and meta["id"] == task.name
    assert meta["category"] in CATEGORIES and task.name.startswith(meta["category"] + "-")
    assert meta["name"] and meta["difficulty"] and int(meta["time_limit"]) > 0
    assert ("llm_judge" in meta["markers"]) == (task in LLM_TASKS), "llm_judge marker must match the evaluator"
    assert yaml.safe_load((task / "dependencies.yml").read_text()) == []
    assert rubric_points(task) > 0


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_evaluator_imports_only_what_the_grader_container_has(task):
    tree = ast.parse((task / "evaluator.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported - sys.stdlib_module_names - {"scoring", "common", "judge"} == set()


# --- grading -----------------------------------------------------------------------------------
# Each grading case runs in its own temporary workspace with its own fake LLM, all cases at once
# in a thread pool: a runner that asks the judge imports litellm, which takes seconds of CPU.

JUDGE_VARS = ("LITELLM_API_KEY", "LITELLM_BASE_URL", "LITELLM_MODEL", "AGENTBENCH_JUDGE_LOG")


@dataclass
class Graded:
    code: int                 # the runner's exit status
    result: dict              # its result JSON
    judge_requests: list      # what the fake LLM was sent
    judge_log: list           # the lines of AGENTBENCH_JUDGE_LOG


def grade_case(task: Path, case: str, root: Path) -> Graded:
    """``oracle``: solution.sh, then grade with a judge that says yes to the oracle's marker.
    ``untouched``: grade the workspace as shipped, with an empty trajectory.
    ``instructions-only``: the workspace as shipped; the trajectory only shows task.md.
    ``judge-says-no``: the oracle's work, a judge that says no. ``no-llm``: the oracle's work, LITELLM_* unset."""
    case_dir = root / f"{task.name}-{case}"
    case_dir.mkdir()
    workspace, trajectory = fresh_workspace(task, case_dir), case_dir / "trajectory.jsonl"
    if case == "untouched":
        trajectory.write_text("")
    elif case == "instructions-only":
        TrajectoryRecorder(trajectory).exec("cat /instruction/task.md", user="agent", start=time.time(),
                                            exit_code=0, output=(task / "task.md").read_text())
    else:
        run_oracle(task, workspace, trajectory)
    env = {k: v for k, v in os.environ.items() if k not in JUDGE_VARS}
    log = case_dir / "judge.jsonl"
    with FakeLLM(rules=() if case == "judge-says-no" else ORACLE_RULES, default="no") as llm:
        if case != "no-llm":
            env.update(LITELLM_BASE_URL=llm.url, LITELLM_API_KEY="test-key", LITELLM_MODEL="gpt-4o",
                       AGENTBENCH_JUDGE_LOG=str(log))
        code, result = grade(task / "evaluator.py", workspace, trajectory, env)
        requests = list(llm.requests)
    judge_log = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return Graded(code, result, requests, judge_log)


def grade(evaluator: Path, workspace: Path, trajectory: Path, env: dict[str, str]) -> tuple[int, dict]:
    result_path = workspace.parent / "result.json"
    done = in_workspace(workspace, sys.executable, str(RUNNER), "--evaluator", str(evaluator),
                        "--trajectory-path", str(trajectory), "--result-path", str(result_path), env=env)
    assert result_path.is_file(), f"runner wrote no result:\n{done.stdout}"
    return done.returncode, json.loads(result_path.read_text())


CASES = {(t.name, case): t for t in TASKS for case in ("oracle", "untouched", "instructions-only")}
if LLM_TASKS:
    CASES |= {(LLM_TASKS[0].name, "judge-says-no"): LLM_TASKS[0], (LLM_TASKS[0].name, "no-llm"): LLM_TASKS[0]}


class GradedCases:
    """``graded[task name, case]`` grades that case once, in a thread pool; its failure is raised there."""

    def __init__(self, root: Path, pool: ThreadPoolExecutor):
        self.root, self.pool, self.futures = root, pool, {}

    def submit(self, key: tuple[str, str]) -> Future:
        if key not in self.futures:
            self.futures[key] = self.pool.submit(grade_case, CASES[key], key[1], self.root)
        return self.futures[key]

    def __getitem__(self, key: tuple[str, str]) -> Graded:
        return self.submit(key).result()


# Which case each grading test reads, to grade ahead only what the session will run.
CASE_OF_TEST = {"test_oracle_gets_full_marks": "oracle", "test_untouched_workspace_scores_zero": "untouched",
                "test_reading_the_instructions_earns_nothing": "instructions-only",
                "test_judged_checkpoint_follows_the_judge": "judge-says-no",
                "test_judged_task_without_llm_names_the_settings": "no-llm"}


def cases_to_run(items) -> list[tuple[str, str]]:
    """The cases the selected tests read, judged ones first (litellm's import takes seconds)."""
    keys = {(item.callspec.params["task"].name if hasattr(item, "callspec") else LLM_TASKS[0].name,
             CASE_OF_TEST[item.originalname]) for item in items if item.originalname in CASE_OF_TEST}
    return sorted(keys, key=lambda k: (not (CASES[k] in LLM_TASKS and k[1] in ("oracle", "judge-says-no")), k))


@pytest.fixture(scope="module")
def graded(request, workspace_mountpoint, tmp_path_factory):
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        cases = GradedCases(tmp_path_factory.mktemp("graded"), pool)
        # In one process, start grading every selected case at once. Under xdist, a worker does
        # not know which tests it will get: it grades each case when its test asks.
        if "PYTEST_XDIST_WORKER" not in os.environ:
            for key in cases_to_run(request.session.items):
                cases.submit(key)
        yield cases
        pool.shutdown(cancel_futures=True)


@needs_mount
@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_oracle_gets_full_marks(task, graded):
    g = graded[task.name, "oracle"]

    assert g.code == 0, g.result
    assert all(c["result"] == c["total"] for c in g.result["checkpoints"]), g.result
    points = rubric_points(task)
    assert g.result["final_score"] == {"total": points, "result": points}, "checkpoints.md and the evaluator disagree"
    assert g.result["score"] == 1.0 and g.result["judge_not_configured"] is None
    # A judged task asks the judge once, about the oracle's document; the call is logged.
    assert len(g.judge_requests) == len(g.judge_log) == (1 if task in LLM_TASKS else 0)
    for request, record in zip(g.judge_requests, g.judge_log):
        assert "<content>" in request["messages"][-1]["content"]
        assert ORACLE_MARKER in request["messages"][-1]["content"]
        assert record["answer"] == "Yes." and request["temperature"] == 0


@needs_mount
@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_untouched_workspace_scores_zero(task, graded):
    g = graded[task.name, "untouched"]

    assert g.code == 0, g.result
    assert g.result["checkpoints"] and all(c["result"] == 0 for c in g.result["checkpoints"]), g.result
    assert g.result["final_score"]["result"] == 0 and g.result["score"] == 0.0
    assert g.judge_requests == [], "an empty document was sent to the judge"


@needs_mount
@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_reading_the_instructions_earns_nothing(task, graded):
    """task.md names the input files: a trajectory checkpoint must want more than their names."""
    g = graded[task.name, "instructions-only"]

    assert g.code == 0, g.result
    assert all(c["result"] == 0 for c in g.result["checkpoints"]), g.result


@needs_mount
def test_judged_checkpoint_follows_the_judge(graded):
    """The oracle's work, but a judge that says no: exactly the judged checkpoint is lost."""
    g = graded[LLM_TASKS[0].name, "judge-says-no"]

    assert g.code == 0, g.result
    assert [c["result"] < c["total"] for c in g.result["checkpoints"]].count(True) == 1, g.result
    assert 0 < g.result["score"] < 1.0
    assert len(g.judge_requests) == 1


@needs_mount
def test_judged_task_without_llm_names_the_settings(graded):
    g = graded[LLM_TASKS[0].name, "no-llm"]

    assert g.code == 3, g.result
    assert g.judge_requests == []
    for name in ("LITELLM_API_KEY", "LITELLM_BASE_URL", "LITELLM_MODEL"):
        assert name in g.result["judge_not_configured"]
    # The oracle's workspace: every checkpoint but the judged one is graded, and complete.
    [function] = g.result["judge_missing_in"]
    judged = int(function[-1]) - 1
    complete = [c["result"] == c["total"] for c in g.result["checkpoints"]]
    assert not complete[judged] and all(complete[:judged] + complete[judged + 1:]), g.result


# --- the runner's contract ---------------------------------------------------------------------
# Small evaluators written for each test; no /workspace involved.

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
    env = {**{k: v for k, v in os.environ.items() if k not in JUDGE_VARS}, **(env or {})}
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


def test_the_checkpoints_a_function_graded_are_found_by_tac_naming():
    from pytest_agentbench.families.workplace.family import checkpoint_indexes

    assert checkpoint_indexes(["grade_checkpoint3", "grade_checkpoint_1"], 4) == [0, 2]
    assert checkpoint_indexes(["grade_final_checkpoint"], 3) == [2]
    assert checkpoint_indexes(["check_tone", "grade_checkpoint9"], 3) == []  # unknown: the item says so


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


def test_dependencies_are_a_list_of_service_names_or_a_clear_error(tmp_path):
    from pytest_agentbench.families.workplace.family import dependencies
    from pytest_agentbench.spec import SpecError

    deps = tmp_path / "dependencies.yml"
    assert dependencies(tmp_path) == []  # none declared
    deps.write_text("")
    assert dependencies(tmp_path) == []
    deps.write_text("- gitlab\n- rocketchat\n")
    assert dependencies(tmp_path) == ["gitlab", "rocketchat"]
    deps.write_text("gitlab\n")  # one name, not a list: the task must not run as if it needed nothing
    with pytest.raises(SpecError, match=r"dependencies.yml: expected a list of service names.*'gitlab'"):
        dependencies(tmp_path)
    deps.write_text("[gitlab\n")
    with pytest.raises(SpecError, match=r"dependencies.yml:2: not valid YAML"):
        dependencies(tmp_path)
