"""Workplace tasks on a real engine: the oracle gets full marks, the dummy zero, the judge is honest,
and the evaluator, rubric and judge settings never reach the agent."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from pytest_agentbench.gateway.recorder import CALLS_FILE, read_calls

from support import AGENTS, TASK_SPECS, add_agent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fake_llm import ORACLE_RULES, FakeLLM  # noqa: E402

pytestmark = pytest.mark.docker
COMPANY = sorted(p.name for p in (TASK_SPECS / "company").iterdir() if (p / "task.md").exists())
JUDGED = sorted(p.parent.name for p in (TASK_SPECS / "company").glob("*/task.yaml") if "llm_judge" in p.read_text())
COWORKER_PROMPT = "on the company chat, as"  # in a coworker's instructions (services/coworkers.py)


@pytest.fixture
def project(pytester, base_image_tag, monkeypatch):
    shutil.copytree(TASK_SPECS / "company", pytester.path / "task_specs" / "company")
    shutil.copytree(AGENTS, pytester.path / "agents")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    for name in ("LITELLM_API_KEY", "LITELLM_BASE_URL", "LITELLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return pytester.path


@pytest.fixture
def environment_llm(monkeypatch):
    with FakeLLM(ORACLE_RULES) as llm:
        monkeypatch.setenv("LITELLM_BASE_URL", llm.url)  # 127.0.0.1: the harness asks the judge from the host
        monkeypatch.setenv("LITELLM_API_KEY", "test-key")
        monkeypatch.setenv("LITELLM_MODEL", "gpt-4o")
        yield llm


def results(path: Path) -> dict[str, dict]:
    return {r["task_id"]: r for r in (json.loads(p.read_text()) for p in path.glob("runs/*/*/result.json"))}


def test_bundled_tasks_cover_the_categories_and_judged_ones(project):
    assert len(COMPANY) >= 10 and len(JUDGED) >= 3
    categories = {t.split("-")[0] for t in COMPANY}
    assert {"sde", "ds", "admin", "hr", "finance", "pm"} <= categories


def test_oracle_gets_full_marks_with_the_environment_llm(pytester, project, environment_llm, monkeypatch):
    run = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "-n", "2", "-p", "no:cacheprovider",
                                        "--html=report.html")
    run.assert_outcomes(passed=len(COMPANY))
    saved = results(project)
    assert {t: r["grade"]["score"] for t, r in saved.items()} == {t: 1.0 for t in COMPANY}
    # a passed checkpoint carries no reason: nothing the evaluator looked for and did without
    assert [c["message"] for r in saved.values() for c in r["grade"]["checkpoints"] if c["message"]] == []
    for task in JUDGED:
        [call] = saved[task]["grade"]["details"]["judge"]
        assert call["answer"] and call["prompt_tokens"] > 0 and call["cost_usd"] is not None
        assert call["messages"][-1]["content"]  # the judge's prompt is kept
        assert saved[task]["grade"]["details"]["judge_usage"]["calls"] == 1
    # The environment LLM also plays the coworkers of some tasks (asked by the oracle, which needs no answer).
    judge_requests = [r for r in environment_llm.requests if COWORKER_PROMPT not in json.dumps(r["messages"][:1])]
    assert len(judge_requests) == len(JUDGED)
    # the judge's question, answer, tokens and cost are in the report people review
    html = (project / "report.html").read_text()
    assert html.count("LLM judge") >= len(JUDGED) and "tokens (in+out)" in html
    assert all(json.dumps(saved[t]["grade"]["details"]["judge"][0]["answer"])[1:-1] in html for t in JUDGED)
    assert all(r["temperature"] == 0 for r in judge_requests)
    # The judge's calls went through the gateway's provider path, recorded apart from the agent's ...
    for task in JUDGED:
        [recorded] = read_calls(Path(saved[task]["folder"]) / "grader" / CALLS_FILE)
        assert recorded["source"] == "provider" and recorded["usage"]["prompt_tokens"] > 0
        assert not (Path(saved[task]["folder"]) / CALLS_FILE).exists()  # the oracle asked no model itself

    # ... so a replay grades the same with the provider switched off (and its key gone).
    environment_llm.stop()
    [group] = (project / "runs").iterdir()
    shutil.move(group, project / "recorded")
    monkeypatch.delenv("LITELLM_API_KEY")
    monkeypatch.setenv("LITELLM_BASE_URL", "http://127.0.0.1:9/v1")  # nothing answers there
    again = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "-k", " or ".join(JUDGED),
                                          "-p", "no:cacheprovider", "--llm-replay", "recorded")
    again.assert_outcomes(passed=len(JUDGED))
    replayed = results(project)
    for task in JUDGED:
        assert replayed[task]["grade"]["details"]["judge"][0]["answer"] == saved[task]["grade"]["details"]["judge"][0]["answer"]
        [call] = read_calls(Path(replayed[task]["folder"]) / "grader" / CALLS_FILE)
        assert call["source"] == "replay"


def test_dummy_scores_zero_on_every_checkpoint(pytester, project, environment_llm):
    run = pytester.runpytest_subprocess("task_specs", "--agent=dummy", "-n", "2", "-p", "no:cacheprovider")
    assert run.parseoutcomes()["failed"] >= len(COMPANY)
    saved = results(project)
    assert sorted(saved) == COMPANY
    for task, r in saved.items():
        assert r["grade"]["points"] == 0, task
        assert all(c["name"].startswith("Checkpoint") for c in r["grade"]["checkpoints"]), task
        # and each says why: what its evaluator looked for and did not find
        assert all(c["message"] for c in r["grade"]["checkpoints"]), (task, r["grade"]["checkpoints"])
    run.stdout.fnmatch_lines(["*0/1 points: /workspace/welcome_email.md does not exist*"])


def test_without_an_environment_llm_judged_tasks_fail_naming_the_settings(pytester, project):
    plain = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "-m", "not llm_judge",
                                          "-p", "no:cacheprovider", "-n", "2")
    plain.assert_outcomes(passed=len(COMPANY) - len(JUDGED))  # every task but the judged ones, all full marks
    assert not set(results(project)) & set(JUDGED)
    judged = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "-k", JUDGED[0],
                                           "-p", "no:cacheprovider")
    assert judged.ret == pytest.ExitCode.TESTS_FAILED
    judged.stdout.fnmatch_lines(["*LITELLM_API_KEY, LITELLM_BASE_URL and LITELLM_MODEL*"])
    # The checkpoints that need no judge are still graded (the oracle completes them); the judged
    # one fails with the message, and the item does not pass.
    grade = results(project)[JUDGED[0]]["grade"]
    unjudged = [c for c in grade["checkpoints"] if "LITELLM_MODEL" in c["message"]]
    assert len(unjudged) == 1 and unjudged[0]["points"] == 0 and not grade["passed"]
    assert all(c["passed"] for c in grade["checkpoints"] if c not in unjudged)


def test_the_agent_never_sees_evaluator_rubric_or_judge_settings(pytester, project, environment_llm):
    spy = project / "agents" / "spy"
    spy.mkdir()
    (spy / "config.yaml").write_text("spy:\n  start: start.sh\n")
    shutil.copy(AGENTS / "nop" / "Dockerfile", spy / "Dockerfile")
    (spy / "start.sh").write_text(
        "find / -xdev \\( -name evaluator.py -o -name checkpoints.md -o -name 'scoring.py' \\) 2>/dev/null"
        " | sed 's/^/FOUND /'\n"
        "env | grep -i litellm | sed 's/^/ENV /'\n"
        "ls /instruction /workspace\n")
    task = COMPANY[0]
    pytester.runpytest_subprocess("task_specs", "--agent=spy", "-k", task, "-p", "no:cacheprovider")
    log = Path(results(project)[task]["agent_run"]["log_path"]).read_text()
    assert "task.md" in log  # the spy did run and list its folders
    assert "FOUND" not in log and "ENV" not in log, log


def test_a_bare_theagentcompany_folder_runs_as_it_is(pytester, project):
    """TAC's own layout: no task.yaml, no solution, data files beside task.md (TAC's Dockerfiles copy
    them to /workspace). An agent that knows the answer gets full marks; the dummy gets zero."""
    source = TASK_SPECS / "company" / "hr-leave-balances"
    tac = project / "task_specs" / "tac" / "hr-leave-balances"
    tac.mkdir(parents=True)
    for name in ("task.md", "checkpoints.md", "evaluator.py", "dependencies.yml"):
        shutil.copy(source / name, tac / name)
    for data in (source / "workspace").iterdir():
        shutil.copy(data, tac / data.name)
    knows = project / "agents" / "knows"
    knows.mkdir()
    (knows / "config.yaml").write_text("knows:\n  start: start.sh\n")
    (knows / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
                                      "COPY --chown=nonroot:nonroot start.sh solution.sh /home/agent/\n")
    (knows / "start.sh").write_text("exec bash /home/agent/solution.sh\n")
    shutil.copy(source / "solution.sh", knows / "solution.sh")

    collected = pytester.runpytest_subprocess("task_specs/tac", "--collect-only", "-q")
    collected.stdout.fnmatch_lines(["task_specs/tac/hr-leave-balances/task.md::hr-leave-balances"])
    solved = pytester.runpytest_subprocess("task_specs/tac", "--agent=knows", "-p", "no:cacheprovider")
    solved.assert_outcomes(passed=1)
    assert results(project)["hr-leave-balances"]["grade"]["score"] == 1.0
    shutil.rmtree(project / "runs")
    dummy = pytester.runpytest_subprocess("task_specs/tac", "--agent=dummy", "-p", "no:cacheprovider")
    assert dummy.ret == pytest.ExitCode.TESTS_FAILED
    assert results(project)["hr-leave-balances"]["grade"]["points"] == 0


def test_a_workplace_agent_s_own_usage_is_kept(pytester, project):
    """$LOGS_DIR/usage.json is the agent's usage whatever the kind: a workplace task's outputs are its
    /workspace, and the agent's logs come out beside them."""
    add_agent(project, "reporter", """echo '{"input_tokens": 1200, "output_tokens": 34, "cost_usd": 0.5}' """
                                   """> "$LOGS_DIR/usage.json"\n""")
    task = COMPANY[0]
    pytester.runpytest_subprocess(f"task_specs/company/{task}", "--agent=reporter", "-p", "no:cacheprovider")
    saved = results(project)[task]
    assert saved["usage"] == {"input_tokens": 1200, "output_tokens": 34, "cost_usd": 0.5, "source": "agent"}
    assert saved["grade"]["points"] == 0  # the agent did nothing else


UTILS_EVALUATOR = """\
from typing import List

from scoring import Result, Checkpoint
from common import grader


@grader
def grade_checkpoint_1() -> bool:
    with open('/workspace/answer.txt') as f:
        return f.read().strip() == "42"


def grade_checkpoints(trajectory=""):
    checkpoints: List[Checkpoint] = []
    result = Result(checkpoints)
    checkpoints.append(Checkpoint(1, int(grade_checkpoint_1())))
    checkpoints.append(Checkpoint(1, int("cat /workspace/question.txt" in trajectory)))
    return result
"""


def test_a_folder_with_utils_evaluator_and_workspace_folder_runs_as_it_is(pytester, project):
    """The layout OpenAgentSafety's folders use, and TAC's images hold: utils/evaluator.py,
    utils/dependencies.yml, workspace/, in TAC's idiom (the Result made before its checkpoints are
    appended; the trajectory grepped for a command the agent ran inside its own script)."""
    task = project / "task_specs" / "tac" / "safety-six-times-seven"
    (task / "utils").mkdir(parents=True)
    (task / "workspace").mkdir()
    (task / "task.md").write_text("Answer the question in /workspace/question.txt in /workspace/answer.txt.\n")
    (task / "checkpoints.md").write_text("# Checkpoints\n\n## Checkpoint 1 (1pt)\n\nThe answer is right.\n\n"
                                         "## Checkpoint 2 (1pt)\n\nThe agent read the question.\n")
    (task / "scenarios.json").write_text("{}\n")
    (task / "utils" / "evaluator.py").write_text(UTILS_EVALUATOR)
    (task / "utils" / "dependencies.yml").write_text("[]\n")
    (task / "workspace" / "question.txt").write_text("What is six times seven?\n")
    knows = project / "agents" / "knows"
    knows.mkdir()
    (knows / "config.yaml").write_text("knows:\n  start: start.sh\n")
    shutil.copy(AGENTS / "nop" / "Dockerfile", knows / "Dockerfile")
    (knows / "start.sh").write_text("cat /workspace/question.txt\necho 42 > /workspace/answer.txt\n")

    solved = pytester.runpytest_subprocess("task_specs/tac", "--agent=knows", "-p", "no:cacheprovider")
    solved.assert_outcomes(passed=1)
    grade = results(project)["safety-six-times-seven"]["grade"]
    assert (grade["points"], grade["total"], grade["score"]) == (2, 2, 1.0)
    shutil.rmtree(project / "runs")
    dummy = pytester.runpytest_subprocess("task_specs/tac", "--agent=dummy", "-p", "no:cacheprovider")
    assert dummy.ret == pytest.ExitCode.TESTS_FAILED
    assert results(project)["safety-six-times-seven"]["grade"]["points"] == 0


TICKET_EVALUATOR = """\
from common import grader, read_text
from scoring import Checkpoint, Result

@grader
def grade_checkpoint1():
    return read_text("/workspace/answer.txt").strip() == "TICKET-4521"

def grade_checkpoints(trajectory=""):
    return Result([Checkpoint(1, int(grade_checkpoint1()))])
"""


def test_a_tac_folder_with_a_dockerfile_runs_on_the_image_it_builds(pytester, project):
    """TAC's folders carry a Dockerfile FROM the benchmark's task base image, with steps of their own:
    it is built FROM our stand-in for that base, the agent's image on top; the evaluator is hidden, and only
    what the Dockerfile puts in the image reaches the agent (no README.md, Makefile or data file beside
    task.md lands in /workspace)."""
    task = project / "task_specs" / "tac" / "sde-read-the-ticket"
    task.mkdir(parents=True)
    (task / "task.md").write_text("Copy the ticket number in /opt/company/ticket.txt to /workspace/answer.txt.\n")
    (task / "evaluator.py").write_text(TICKET_EVALUATOR)
    (task / "dependencies.yml").write_text("[]\n")
    (task / "notes.txt").write_text("the ticket is in /opt/company\n")
    (task / "README.md").write_text("Expected result: TICKET-4521\n")  # TAC's READMEs can give the answer
    (task / "Makefile").write_text("solve:\n\techo TICKET-4521\n")
    (task / "Dockerfile").write_text("FROM ghcr.io/theagentcompany/task-base-image:1.0.0\n"
                                     "RUN mkdir -p /opt/company && echo TICKET-4521 > /opt/company/ticket.txt\n"
                                     "COPY notes.txt /opt/company/notes.txt\n")
    knows = project / "agents" / "knows"
    knows.mkdir()
    (knows / "config.yaml").write_text("knows:\n  start: start.sh\n")
    shutil.copy(AGENTS / "nop" / "Dockerfile", knows / "Dockerfile")
    (knows / "start.sh").write_text("cat /opt/company/notes.txt\ncp /opt/company/ticket.txt /workspace/answer.txt\n"
                                    "find / -xdev -name evaluator.py 2>/dev/null | sed 's/^/FOUND /'\n"
                                    "find /workspace /instruction /home \\( -name README.md -o -name Makefile "
                                    "-o -name notes.txt \\) 2>/dev/null | sed 's/^/FOUND /'\n")

    solved = pytester.runpytest_subprocess("task_specs/tac", "--agent=knows", "-p", "no:cacheprovider")
    solved.assert_outcomes(passed=1)
    result = results(project)["sde-read-the-ticket"]
    log = Path(result["agent_run"]["log_path"]).read_text()
    assert "the ticket is in /opt/company" in log and "FOUND" not in log, log
    assert result["grade"]["score"] == 1.0

    # A Dockerfile that does not build errors its item, naming the file and the step.
    (task / "Dockerfile").write_text("FROM ghcr.io/theagentcompany/task-base-image:1.0.0\n"
                                     "COPY missing.csv /utils/\n")
    broken = pytester.runpytest_subprocess("task_specs/tac", "--agent=knows", "-p", "no:cacheprovider")
    broken.assert_outcomes(errors=1)
    broken.stdout.fnmatch_lines([f"*{task / 'Dockerfile'} did not build*missing.csv*"])


def test_a_crashing_evaluator_is_an_error_apart_from_the_agents_failures(pytester, project):
    broken = project / "task_specs" / "company" / "hr-leave-balances" / "evaluator.py"
    broken.write_text("def grade_checkpoints(trajectory=''):\n    raise RuntimeError('evaluator bug 42')\n")
    run = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "-k", "hr-leave or ds-sales",
                                        "-p", "no:cacheprovider")
    run.assert_outcomes(passed=1, errors=1)  # the other task still runs and passes
    run.stdout.fnmatch_lines(["*evaluator.py failed*", "*RuntimeError: evaluator bug 42*"])
    assert results(project)["hr-leave-balances"]["outcome"] == "error"


def test_printing_what_a_checkpoint_looks_for_earns_nothing(pytester, project):
    """Issue 11, case 6: an agent prints a passing unittest run (the bug left in) and the sales data's
    header (the file never read), with a shell builtin, /bin/echo and python3 -c: checkpoint 1 of
    sde-fix-median-bug and ds-sales-by-region wants a recorded program that did it, so nothing is earned."""
    printer = project / "agents" / "printer"
    printer.mkdir()
    (printer / "config.yaml").write_text("printer:\n  start: start.sh\n")
    shutil.copy(AGENTS / "nop" / "Dockerfile", printer / "Dockerfile")
    header = "order_id,order_date,region,product,units,unit_price,status"
    (printer / "start.sh").write_text(
        "printf 'Ran 3 tests in 0.001s\\n\\nOK\\n'\n"
        "/bin/echo python3 -m unittest /workspace/stats_lib/tests.py\n"
        "python3 -c \"print('Ran 3 tests in 0.001s'); print(); print('OK')\"\n"
        f"echo {header}\n"
        f"/bin/echo {header} /workspace/sales_2024.csv\n"
        f"python3 -c \"print('{header}')\"\n")
    tasks = ["sde-fix-median-bug", "ds-sales-by-region"]
    pytester.runpytest_subprocess("task_specs", "--agent=printer", "-k", " or ".join(tasks), "-n", "2",
                                  "-p", "no:cacheprovider")
    saved = results(project)
    for task in tasks:
        log = Path(saved[task]["agent_run"]["log_path"]).read_text()
        assert "Ran 3 tests in 0.001s" in log and header in log  # it did print them
        first = saved[task]["grade"]["checkpoints"][0]
        assert first["points"] == 0 and "no program the agent ran" in first["message"], (task, first)
        assert saved[task]["grade"]["points"] == 0, (task, saved[task]["grade"])


def test_the_agent_runs_as_root_on_workplace_tasks_unless_the_task_says_otherwise(pytester, project):
    """TheAgentCompany runs its agent as root (its install tasks are done with apt-get); a task.yaml's
    `agent_user` overrides the family's user for that task only."""
    add_agent(project, "whoami", 'echo "agent user: $(id -un)"\n')
    task = "hr-leave-balances"
    spec = project / "task_specs" / "company" / task / "task.yaml"
    pytester.runpytest_subprocess(f"task_specs/company/{task}", "--agent=whoami", "-p", "no:cacheprovider")
    logs = list(project.glob(f"runs/*/{task}*/agent.log"))
    assert "agent user: root" in logs[0].read_text()
    shutil.rmtree(project / "runs")
    spec.write_text(spec.read_text() + "agent_user: nonroot\n")
    pytester.runpytest_subprocess(f"task_specs/company/{task}", "--agent=whoami", "-p", "no:cacheprovider")
    logs = list(project.glob(f"runs/*/{task}*/agent.log"))
    assert "agent user: nonroot" in logs[0].read_text()
