"""End to end: the bundled LLM agents (their published code, unmodified) on a bundled competition and a
bundled workplace task, with the model scripted behind the harness's gateway (tests/fake_llm.py as
the provider), each answer in the agent's own protocol. Each item is graded and passes; the
trajectory holds the model's turns and the commands the agent ran.

    mini-swe-agent: Chat Completions with a `bash` tool call per turn, through litellm in its container
    aide: a plan and a fenced Python program, then a `submit_review` function call, through the
          Responses API (its gpt-* model names; start.sh sends them to the gateway too)

Slow: the agents' images are built once per machine (`make setup` builds them beforehand).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from support import AGENTS, TASK_SPECS

pytestmark = [pytest.mark.docker, pytest.mark.slow]

COMPETITION = "mle/iris-species"
WORKPLACE = "company/sde-fix-median-bug"
PROVIDER_KEY = "sk-host-key-for-the-agents-test-0001"

SOLUTION_PY = (TASK_SPECS / COMPETITION / "solution.py").read_text()
SOLUTION_SH = (TASK_SPECS / WORKPLACE / "solution.sh").read_text()


def tool_call(text: str, command: str, n: int) -> dict:
    function = {"name": "bash", "arguments": json.dumps({"command": command})}
    return {"role": "assistant", "content": text, "tool_calls": [{"id": f"call_{n}", "type": "function",
                                                                  "function": function}]}


# mini-swe-agent: the n-th answer of each task's conversation (its last user message stays the task).
MINI_SCRIPTS = {
    "iris": [
        ("I look at the data first.", "ls /home/data && head -3 /home/data/train.csv"),
        ("A linear discriminant analysis suits these measurements.",
         f"mkdir -p /home/code && cat > /home/code/solution.py <<'PYEOF'\n{SOLUTION_PY}\nPYEOF\n"
         "python3 /home/code/solution.py && head -3 /home/submission/submission.csv"),
        ("I check the format.", "curl -s -X POST --data-binary @/home/submission/submission.csv $VALIDATION_URL"),
        ("Done.", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"),
    ],
    "median": [
        ("I run the tests to see what fails.", "cd /workspace/stats_lib && python3 -m unittest 2>&1 | tail -5"),
        # mini runs commands with /bin/sh: the bash script goes to bash.
        ("The median does not sort; I fix it and run the tests.", f"bash -s <<'SOLUTION'\n{SOLUTION_SH}\nSOLUTION"),
        ("Done.", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"),
    ],
}


def mini_rules():
    turns = {"iris": 0, "median": 0}

    def answer(text: str):
        task = "iris" if "COMPETITION INSTRUCTIONS" in text else "median" if "stats_lib" in text else None
        if task is None:
            return None
        script = MINI_SCRIPTS[task]
        said, command = script[min(turns[task], len(script) - 1)]
        turns[task] += 1
        return tool_call(said, command, turns[task])
    return [answer]


# AIDE's code stage: a plan, then one fenced program it runs in its interpreter. The competition's
# program saves ./working/submission.csv, as AIDE's prompt asks: the start script links it.
AIDE_COMPETITION_CODE = SOLUTION_PY.replace('os.environ.get("SUBMISSION_DIR", "/home/submission")', '"./working"')
assert AIDE_COMPETITION_CODE != SOLUTION_PY
AIDE_WORKPLACE_CODE = f"""import subprocess
tests = ["python3", "-m", "unittest", "-v"]
if subprocess.run(tests, cwd="/workspace/stats_lib").returncode != 0:  # fixed once, by the first step
    subprocess.run(["bash", "-c", {SOLUTION_SH!r}], check=True)
print("tests pass:", subprocess.run(tests, cwd="/workspace/stats_lib").returncode == 0)
"""


def aide_rules():
    def answer(text: str):
        if "evaluate the output of the code execution" in text:  # the feedback stage: a function call
            review = {"is_bug": False, "summary": "It ran and wrote its output.", "metric": 0.97,
                      "lower_is_better": False}
            return {"role": "assistant", "content": "", "tool_calls": [
                {"id": "call_review", "type": "function",
                 "function": {"name": "submit_review", "arguments": json.dumps(review)}}]}
        code = AIDE_COMPETITION_CODE if "COMPETITION INSTRUCTIONS" in text else AIDE_WORKPLACE_CODE
        return f"I fit a simple, well-calibrated model and write the predictions.\n\n```python\n{code}\n```\n"
    return [answer]


@pytest.fixture
def project(tmp_path, base_image_tag, monkeypatch):
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    shutil.copytree(AGENTS, tmp_path / "agents")
    for task in (COMPETITION, WORKPLACE):
        shutil.copytree(TASK_SPECS / task, tmp_path / "task_specs" / task)
    return tmp_path


def run(project: Path, agent: str, provider: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_", "ANTHROPIC_"))}
    env.update(OPENAI_API_KEY=PROVIDER_KEY, OPENAI_BASE_URL=provider)  # the host's provider: the fake
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "task_specs", f"--agent={agent}",
                           "-n", "0", "--junitxml=junit.xml"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=1800)


def item_results(project: Path) -> dict[str, dict]:
    found = {}
    for path in project.glob("runs/*/*/result.json"):
        result = json.loads(path.read_text())
        result["dir"] = path.parent
        result["steps"] = [json.loads(line) for line in (path.parent / "trajectory.jsonl").read_text().splitlines()]
        found[path.parent.name] = result
    return found


def timings(project: Path, results: dict[str, dict]) -> str:
    """Per item: the agent's own time and what the harness added (the item's whole time, from the JUnit
    report, less the agent's run: containers, gateway, copying out, grading)."""
    cases = ElementTree.parse(project / "junit.xml").iter("testcase")
    whole = {case.get("name"): float(case.get("time")) for case in cases}
    lines = []
    for name, r in sorted(results.items()):
        agent = r["agent_run"]["duration"]
        lines.append(f"{name}: agent {agent:.1f} s, harness {whole[name] - agent:.1f} s")
    return "; ".join(lines)


def check_run(project: Path, agent: str, done: subprocess.CompletedProcess, fake) -> dict[str, dict]:
    results = item_results(project)
    assert set(results) == {"iris-species", "sde-fix-median-bug"}, done.stdout[-3000:] + done.stderr[-3000:]
    for name, result in results.items():
        log = (result["dir"] / "agent.log").read_text()
        assert result["outcome"] == "passed", f"{name}: {result['phases']}\n{log[-4000:]}"
        assert result["llm"]["calls"] >= 2 and result["usage"]["source"] == "gateway"
        turns = [s for s in result["steps"] if s["kind"] == "model"]
        assert len(turns) == result["llm"]["calls"] and all(t["status"] == 200 for t in turns)
        commands = [s["command"] for s in result["steps"] if s["kind"] == "exec" and s.get("parent")]
        assert commands, f"{name}: no command recorded"
        assert PROVIDER_KEY not in log
    assert fake.requests  # the provider was asked, through the gateway
    print(f"\n{agent}: {timings(project, results)}")
    return results


def test_mini_swe_agent_solves_a_competition_and_a_workplace_task(project, fake_llm):
    fake_llm.set_rules(mini_rules())
    done = run(project, "mini-swe-agent/dev", fake_llm.url)
    results = check_run(project, "mini-swe-agent/dev", done, fake_llm)
    iris, median = results["iris-species"], results["sde-fix-median-bug"]
    turns = [s for s in iris["steps"] if s["kind"] == "model"]
    assert [json.loads(t["tool_calls"][0]["arguments"])["command"] for t in turns][-1] == \
        "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"
    commands = [s["command"] for s in iris["steps"] if s["kind"] == "exec"]
    assert any("python3 /home/code/solution.py" in c for c in commands)  # the model's command, as run
    assert any(re.search(r"python3 -m unittest", s["command"]) for s in median["steps"] if s["kind"] == "exec")
    assert (median["dir"] / "logs" / "mini-swe-agent.traj.json").is_file()  # the agent's own record too
    # What the agent was told: the task, its time limit in words and its hardware.
    first = next(r for r in fake_llm.requests if "COMPETITION INSTRUCTIONS" in json.dumps(r))
    prompt = json.dumps(first)
    assert "10 minutes" in prompt and "a CPU with" in prompt and "GB of memory" in prompt


def test_aide_solves_a_competition_and_a_workplace_task(project, fake_llm):
    fake_llm.set_rules(aide_rules())
    done = run(project, "aide/dev", fake_llm.url)
    results = check_run(project, "aide/dev", done, fake_llm)
    # Its gpt-4o model name went through the gateway to the provider's Responses API.
    assert {r.get("model") for r in fake_llm.requests} == {"gpt-4o-2024-08-06"}
    assert all("input" in r for r in fake_llm.requests)
    iris = results["iris-species"]
    assert (iris["dir"] / "submission" / "submission.csv").is_file()
    assert list(iris["dir"].glob("logs/*-exp/best_solution.py"))
    assert (iris["dir"] / "code" / "best_solution.py").is_file()
    turns = [s for s in iris["steps"] if s["kind"] == "model"]
    assert any(t.get("tool_calls") and t["tool_calls"][0]["name"] == "submit_review" for t in turns)
    assert any("```python" in t["output"] for t in turns)
