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

from support import JUDGE_ENV_VARS
from fake_llm import ORACLE_MARKER, ORACLE_RULES, FakeLLM
from pytest_agentbench.trajectory import TrajectoryRecorder

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "pytest_agentbench" / "families" / "workplace" / "tac" / "runner.py"
TASKS_DIR = ROOT / "task_specs" / "company"
# Tasks with services (a compose.yaml) need their servers: tests/integration/test_workplace.py runs
# them, oracle and dummy, on a real engine.
TASKS = sorted(p for p in TASKS_DIR.iterdir() if (p / "task.md").is_file() and not (p / "compose.yaml").exists())
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
    env = {k: v for k, v in os.environ.items() if k not in JUDGE_ENV_VARS}
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


