"""End to end: `opendevin`, OpenHands' CodeAct agent (openhands-sdk and openhands-tools from PyPI,
unmodified, OpenHands' local runtime in the agent's own unprivileged container), on a bundled
competition and a bundled workplace task, with the model scripted behind the harness's gateway
(tests/fake_llm.py as the provider) in OpenHands' own protocol: Chat Completions with one call per
turn of its tools `terminal` (a shell command), `file_editor` (view, create, str_replace) and
`finish`. Each item is graded and passes; the trajectory holds the model's turns and the commands
the agent's terminal ran.

Slow: the agent's image (Debian 13's root file system, then about 140 wheels) is built once per
machine (`make setup` builds it beforehand).
"""

from __future__ import annotations

import json
import re

import pytest

from test_llm_agents import SOLUTION_PY, SOLUTION_SH, check_run, project, run  # noqa: F401 (project: a fixture)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# The edit the reference solution makes, made here with OpenHands' file editor.
BUGGY, FIXED = re.findall(r'= """(.*?)"""', SOLUTION_SH, re.DOTALL)


def call(n: int, said: str, tool: str, **arguments) -> dict:
    """An assistant turn calling one of OpenHands' tools (as a model answers it: function calling)."""
    function = {"name": tool, "arguments": json.dumps({"security_risk": "LOW", **arguments})}
    return {"role": "assistant", "content": said,
            "tool_calls": [{"id": f"call_{n}", "type": "function", "function": function}]}


# Each task's conversation, turn by turn: the n-th answer is given when the request holds n earlier
# answers (so a retried call gets the same answer again).
SCRIPTS = {
    "iris": [
        ("I look at the data first.", "terminal", {"command": "ls /home/data && head -3 /home/data/train.csv"}),
        ("A linear discriminant analysis suits these measurements.", "file_editor",
         {"command": "create", "path": "/home/code/solution.py", "file_text": SOLUTION_PY}),
        ("I train it and write the submission.", "terminal",
         {"command": "python3 /home/code/solution.py && head -3 /home/submission/submission.csv"}),
        ("I check the format.", "terminal",
         {"command": "curl -s -X POST --data-binary @/home/submission/submission.csv $VALIDATION_URL"}),
        ("Done.", "finish", {"message": "The submission is in /home/submission/submission.csv."}),
    ],
    "median": [
        ("I run the tests to see what fails.", "terminal",
         {"command": "cd /workspace/stats_lib && python3 -m unittest 2>&1 | tail -5"}),
        ("I read the median.", "file_editor", {"command": "view", "path": "/workspace/stats_lib/stats.py"}),
        ("It does not sort, and it does not average the two middles.", "file_editor",
         {"command": "str_replace", "path": "/workspace/stats_lib/stats.py", "old_str": BUGGY, "new_str": FIXED}),
        ("I run the tests again.", "terminal", {"command": "cd /workspace/stats_lib && python3 -m unittest -v"}),
        ("Done.", "finish", {"message": "Fixed median(): it sorts, and averages the two middles."}),
    ],
}


def openhands_rules(fake):
    def answer(text: str):
        task = "iris" if "COMPETITION INSTRUCTIONS" in text else "median" if "stats_lib" in text else None
        if task is None:
            return None
        turn = sum(m.get("role") == "assistant" for m in fake.requests[-1].get("messages", []))
        script = SCRIPTS[task]
        said, tool, arguments = script[min(turn, len(script) - 1)]
        return call(turn + 1, said, tool, **arguments)
    return [answer]


def test_openhands_solves_a_competition_and_a_workplace_task(project, fake_llm):  # noqa: F811
    fake_llm.set_rules(openhands_rules(fake_llm))
    done = run(project, "opendevin/dev", fake_llm.url)
    results = check_run(project, "opendevin/dev", done, fake_llm)
    iris, median = results["iris-species"], results["sde-fix-median-bug"]

    # Its model name reached the provider through the gateway, as Chat Completions with its tools.
    assert {r.get("model") for r in fake_llm.requests} == {"gpt-4o"}
    tools = {t["function"]["name"] for t in fake_llm.requests[0]["tools"]}
    assert {"terminal", "file_editor", "finish"} <= tools
    for result, script in ((iris, SCRIPTS["iris"]), (median, SCRIPTS["median"])):
        turns = [s for s in result["steps"] if s["kind"] == "model"]
        assert [t["tool_calls"][0]["name"] for t in turns] == [tool for _, tool, _ in script]
        log = (result["dir"] / "agent.log").read_text()
        assert "run_openhands: run 1 ended: finished" in log, log[-3000:]
        assert (result["dir"] / "logs" / "openhands").is_dir()  # OpenHands' own event log came out too
    # The commands its terminal ran, as the recorder saw them run in the container.
    commands = [s["command"] for s in iris["steps"] if s["kind"] == "exec" and s.get("parent")]
    assert any(c == "python3 /home/code/solution.py" for c in commands), commands
    assert any(c.startswith("curl -s -X POST") for c in commands), commands
    assert any(c == "python3 -m unittest -v" for c in
               (s["command"] for s in median["steps"] if s["kind"] == "exec")), median["steps"]
    # The competition is graded on what its code wrote; the file editor's edit fixed the library.
    assert iris["grade"]["checkpoints"][0]["name"] == "submission exists"
    assert "ordered = sorted(values)" in (median["dir"] / "workspace" / "stats_lib" / "stats.py").read_text()
    # What it was told: the task, its time limit in words and its hardware, and no privileged container.
    prompt = json.dumps(next(r for r in fake_llm.requests if "COMPETITION INSTRUCTIONS" in json.dumps(r)))
    assert "10 minutes" in prompt and "a CPU with" in prompt and "GB of memory" in prompt
    assert "maximum of 8 steps" in prompt
