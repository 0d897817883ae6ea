"""Every bundled workplace task graded on answers in many forms, as a competent reviewer would grade them.

``company_variants/<task>.yaml`` holds, per task, answers a careful agent could give reading only
task.md (``correct: true``: right, in forms task.md does not forbid) and subtly wrong ones, each with
the points every checkpoint must give it. A variant starts from the oracle's work and trajectory
(``base: oracle``, the default) or from the workspace as shipped with an empty trajectory
(``base: shipped``), then:

    files:    {path under /workspace: content}        written over the base
    edits:    {path: [[regex, replacement], ...]}     re.sub with re.MULTILINE, in order
    crlf:     [path, ...]                             line endings made CRLF
    delete:   [path, ...]
    programs: [command line, or {run: ..., exit: N}]  the programs the agent ran, replacing the base's
    printed:  text                                    what the agent's own process printed
    judge:    yes | no                                the stand-in judge's answer (default yes)
    points:   [checkpoint 1's points, ...]

Graded as test_company_tasks.py grades: the runner in a private mount namespace over a copy of the
workspace. A checkpoint that falls short must say why (its reason, from the result's notes).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from fake_llm import FakeLLM, judged
from pytest_agentbench.families.workplace.tac.answers import normalize_words
from pytest_agentbench.families.workplace.family import checkpoint_indexes
from pytest_agentbench.trajectory import TrajectoryRecorder
from test_company_tasks import (JUDGE_ENV_VARS, LLM_TASKS, TASKS, fresh_workspace, needs_mount, rubric_points,
                                run_oracle, workspace_mountpoint)  # noqa: F401  (a fixture)

VARIANTS_DIR = Path(__file__).resolve().parent / "company_variants"


def variants_of(task: Path) -> list[dict]:
    return yaml.safe_load((VARIANTS_DIR / f"{task.name}.yaml").read_text())["variants"]


def prepare(task: Path, variant: dict, root: Path) -> tuple[Path, Path]:
    """The workspace and trajectory the variant's agent left."""
    workspace, trajectory = fresh_workspace(task, root), root / "trajectory.jsonl"
    if variant.get("base", "oracle") == "oracle":
        run_oracle(task, workspace, trajectory)
    else:
        trajectory.write_text("")
    for name, content in (variant.get("files") or {}).items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(content, newline="")
    for name, edits in (variant.get("edits") or {}).items():
        text = (workspace / name).read_text()
        for pattern, replacement in edits:
            text = re.sub(pattern, replacement, text, flags=re.MULTILINE)
        (workspace / name).write_text(text)
    for name in variant.get("crlf") or []:
        (workspace / name).write_bytes((workspace / name).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    for name in variant.get("delete") or []:
        (workspace / name).unlink()
    if "programs" in variant or "printed" in variant:
        recorder, started = TrajectoryRecorder(trajectory), time.time()
        run = recorder.exec("bash /home/agent/start.sh", user="agent", start=started, exit_code=0,
                            output=variant.get("printed", ""))
        programs = [p if isinstance(p, dict) else {"run": p} for p in variant.get("programs") or []]
        recorder.programs([{"id": i, "parent": None, "pid": 100 + i, "start": started, "end": started,
                            "argv": shlex.split(p["run"]), "exit_code": p.get("exit", 0), "output": ""}
                           for i, p in enumerate(programs, 1)], under=run["step"], user="agent")
    return workspace, trajectory


GRADE_CASES = Path(__file__).resolve().parent / "grade_cases.py"


def grade_variants(task: Path, variants: list[dict], root: Path, judge: FakeLLM | None = None) -> list[dict]:
    """Each variant's result JSON; the judge answers yes or no as the variant says, or as ``judge`` does."""
    env = {k: v for k, v in os.environ.items() if k not in JUDGE_ENV_VARS}
    judged = task in LLM_TASKS
    with FakeLLM(default="Yes.") as yes, FakeLLM(default="No.") as no:
        cases = []
        for i, variant in enumerate(variants):
            case_dir = root / f"case{i}"
            case_dir.mkdir(parents=True)
            workspace, trajectory = prepare(task, variant, case_dir)
            llm = judge or (yes if variant.get("judge", "yes") == "yes" else no)
            cases.append({"evaluator": str(task / "evaluator.py"), "workspace": str(workspace),
                          "trajectory": str(trajectory), "result": str(case_dir / "result.json"), "judged": judged,
                          "env": {**env, "LITELLM_BASE_URL": llm.url, "LITELLM_API_KEY": "test-key",
                                  "LITELLM_MODEL": "gpt-4o"}})
        done = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable, str(GRADE_CASES)],
                              input=json.dumps(cases), capture_output=True, text=True, timeout=600, cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    codes = json.loads(done.stdout.strip().splitlines()[-1])
    assert codes == [0] * len(cases), done.stderr[-3000:]
    return [json.loads(Path(case["result"]).read_text()) for case in cases]


def lost_without_reason(result: dict) -> list[int]:
    """The checkpoints (numbered from 1) that fell short with no reason to show."""
    checkpoints = result["checkpoints"]
    reasons = {i: [] for i in range(len(checkpoints))}
    for function, notes in (result.get("notes") or {}).items():
        for i in checkpoint_indexes([function], len(checkpoints)):
            reasons[i] += [n for n in notes if n.strip()]
    return [i + 1 for i, c in enumerate(checkpoints) if c["result"] < c["total"] and not reasons[i]]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_every_task_has_right_answers_in_several_forms_and_subtly_wrong_ones(task):
    variants = variants_of(task)
    assert sum(bool(v.get("correct")) for v in variants) >= 3
    assert sum(not v.get("correct") for v in variants) >= 2
    assert len({v["name"] for v in variants}) == len(variants)


# The dummy agent changes nothing: every checkpoint is lost.
DUMMY = {"name": "dummy (workspace as shipped, empty trajectory)", "base": "shipped", "judge": "no"}


@needs_mount
@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_variants_and_the_dummy_get_the_points_a_reviewer_gives_each_loss_with_its_reason(
        task, workspace_mountpoint, tmp_path):
    """Right answers in every form get full marks, wrong ones and the dummy's lose points, and every
    checkpoint that falls short says why."""
    variants = variants_of(task)
    total = rubric_points(task)
    points = [v["points"] for v in variants] + [[0] * len(variants[0]["points"])]

    results = grade_variants(task, [*variants, DUMMY], tmp_path)

    wrong = []
    for variant, want, result in zip([*variants, DUMMY], points, results):
        got = [c["result"] for c in result["checkpoints"]]
        full = result["final_score"]["result"] == total
        if got != want or full != bool(variant.get("correct")) or lost_without_reason(result):
            wrong.append(f"{variant['name']}: checkpoints {got}, expected {want}; "
                         f"{result['final_score']['result']}/{total} points; "
                         f"lost without a reason: {lost_without_reason(result)}; reasons {result.get('notes')}")
    assert not wrong, "\n".join(wrong)


# --- the judged checkpoints: the question asks the rubric of checkpoints.md ------------------------
# The stand-in judge answers by a rule written here, on the content it is shown, and only when the
# question asks every item of the rubric; each task is tried on a right answer and a wrong one,
# neither carrying the oracle's marker.

def rubric(task: Path) -> list[str]:
    """The bullet items under the checkpoint of checkpoints.md that the environment LLM judges."""
    text = (task / "checkpoints.md").read_text()
    section = next(s for s in re.split(r"^## ", text, flags=re.M) if "environment LLM" in s)
    return [line[2:].strip() for line in section.splitlines() if line.startswith("- ")]


def judge_by(items: list[str], rule):
    """A stand-in judge: "No." unless the question asks every rubric item, else what ``rule`` says of the content."""
    def answer(text: str) -> str:
        question, content = judged(text)
        if not all(normalize_words(item) in normalize_words(question) for item in items):
            return "No: the question does not ask the whole rubric."
        return "Yes." if rule(content) else "No."
    return answer


RUBRIC_OF = {t.name: rubric(t) for t in LLM_TASKS}

def polite_decline_without_commitment(reply: str) -> bool:
    thanks = re.search(r"thank", reply, re.I)
    declines = re.search(r"declin|cannot accept|unable to accept", reply, re.I)
    commits = re.search(r"meet\w*\b.{0,40}\bsign|happy to sign|will sign", reply, re.I | re.S)
    return bool(thanks and declines and not commits)


def warm_with_when_and_where(email: str) -> bool:
    warm = re.search(r"welcome|delighted|glad", email, re.I)
    return bool(warm and re.search(r"9[:.]30", email) and re.search(r"reception|floor|street", email, re.I))


def flags_risk_and_recommends(report: str) -> bool:
    return bool(re.search(r"\brisk\b", report, re.I) and re.search(r"escalat|ask |chase|follow up", report, re.I))


JUDGE_RULES = {"admin-vendor-decline": polite_decline_without_commitment, "hr-welcome-email": warm_with_when_and_where,
               "pm-sprint-report": flags_risk_and_recommends}
JUDGED_ANSWERS = {
    "admin-vendor-decline": (
        {"reply_to_vendor.txt": "Dear Dana,\n\nThank you for the offer. We must decline the two-year exclusive "
                                "agreement: our limit is 12 months. Please send a new offer for our July (Q3) review."
                                "\n\nKind regards\n"},
        {"reply_to_vendor.txt": "Dear Dana,\n\nThank you! Our limit is 12 months, but let's meet on Tuesday to "
                                "sign the agreement, and talk about the July review then.\n"}),
    "hr-welcome-email": (
        {"welcome_email.md": "Subject: Welcome, Priya!\n\nDear Priya, we are delighted to welcome you on "
                             "3 March 2025. Please come to the main reception, 4th floor, 200 Harbour Street, at "
                             "9:30, and bring a photo ID. Your manager is Tomás Ortega.\n"},
        {"welcome_email.md": "Subject: Start\n\nPriya: start 3 March 2025, 9:30. Manager Tomás Ortega. Bring ID.\n"}),
    "pm-sprint-report": (
        {"sprint_14_report.md": "Completed: 21 of 61 story points\n\nBlocked: 3\n\nThe blocked work puts the sprint "
                                "at risk. Escalate the DBA approval for PAY-204 and chase Legal for PAY-214 today.\n"},
        {"sprint_14_report.md": "Completed: 21 of 61 story points\n\nBlocked: 3\n\nEverything is on track.\n"}),
}


def test_every_judged_checkpoint_states_its_rubric():
    assert set(RUBRIC_OF) == set(JUDGE_RULES) == {t.name for t in LLM_TASKS}
    assert all(len(items) >= 2 for items in RUBRIC_OF.values()), RUBRIC_OF


@needs_mount
@pytest.mark.parametrize("task", LLM_TASKS, ids=lambda t: t.name)
def test_judged_checkpoint_asks_the_rubric_and_follows_the_judges_reading(task, workspace_mountpoint, tmp_path):
    right, wrong = JUDGED_ANSWERS[task.name]
    with FakeLLM(rules=[judge_by(RUBRIC_OF[task.name], JUDGE_RULES[task.name])], default="No.") as judge:
        results = grade_variants(task, [{"base": "shipped", "files": right}, {"base": "shipped", "files": wrong}],
                                 tmp_path, judge=judge)
        prompts = [r["messages"][-1]["content"] for r in judge.requests]

    judged_index = rubric_checkpoint(task) - 1
    assert [r["checkpoints"][judged_index]["result"] for r in results] == [1, 0], results
    assert len(prompts) == 2
    for prompt in prompts:
        question, _ = judged(prompt)
        for item in RUBRIC_OF[task.name]:
            assert normalize_words(item) in normalize_words(question), (item, question)


def rubric_checkpoint(task: Path) -> int:
    """The number of the checkpoint judged by the environment LLM."""
    text = (task / "checkpoints.md").read_text()
    return int(re.search(r"^## Checkpoint (\d+)[^\n]*\n(?:(?!^## ).*\n)*?.*environment LLM", text, re.M).group(1))
