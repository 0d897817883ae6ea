"""End to end: `mlagentbench`, MLAgentBench's research agent (its own code, unmodified, from a local
checkout: MLAgentBench is not on PyPI), on a bundled competition, with the model scripted behind the
harness's gateway (tests/fake_llm.py as the provider) in MLAgentBench's own protocol: a completion in
its "Reflection / Research Plan and Status / Fact Check / Thought / Action / Action Input" format per
step (OpenAI's Chat Completions, one user message), and its "Edit Script (AI)" action's own call
answered with the edited script in a ```python block. The item is graded and passes; the trajectory
holds the model's turns and the script its Execute Script action ran. Without the checkout, its items
are skipped, naming the setting.

The checkout: MLAGENTBENCH_SOURCE when set, else MLAgentBench's git repository at MLAGENTBENCH_GIT
(default: this machine's mirror of snap-stanford/MLAgentBench), extracted into a temporary folder.
Slow: the agent's image (about 50 wheels) is built once per machine and checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import AGENTS, TASK_SPECS
from test_llm_agents import PROVIDER_KEY, SOLUTION_PY, item_results, timings

pytestmark = [pytest.mark.docker, pytest.mark.slow]

COMPETITION = "mle/iris-species"
MIRROR = "/work/.mirror/snap-stanford+MLAgentBench/repo"

# The script its Edit Script (AI) action gets from the model: the reference solution, reading and
# writing the workspace's own folders (data/ and submission/ link to the task's).
EDITED = SOLUTION_PY.replace('os.environ.get("DATA_DIR", "/home/data")', '"data"') \
                    .replace('os.environ.get("SUBMISSION_DIR", "/home/submission")', '"submission"')
assert EDITED.count('"data"') == 1 and EDITED.count('"submission"') == 1

# The research agent's steps: (thought, action, action input).
STEPS = [
    ("I list the files of my workspace.", "List Files", {"dir_path": "."}),
    ("A linear discriminant analysis suits these measurements: I write it into train.py.", "Edit Script (AI)",
     {"script_name": "train.py", "save_name": "train.py",
      "edit_instruction": "Fit a linear discriminant analysis on data/train.csv and write the class "
                          "probabilities of data/test.csv to submission/submission.csv."}),
    ("I run it.", "Execute Script", {"script_name": "train.py"}),
    ("The submission is written.", "Final Answer", {"final_answer": "submission/submission.csv holds LDA's probabilities."}),
]


def step_answer(n: int) -> str:
    thought, action, action_input = STEPS[min(n, len(STEPS) - 1)]
    return (f"Reflection: Step {n} of my plan.\n"
            "Research Plan and Status: 1. Look at the files. 2. Fit LDA in train.py. 3. Run it. 4. Submit.\n"
            "Fact Check: Nothing is confirmed yet.\n"
            f"Thought: {thought}\n"
            f"Action: {action}\n"
            f"Action Input: {json.dumps(action_input)}\n")


def mlab_rules():
    steps = {"n": 0}

    def answer(text: str):
        if "Edit the script by following the instruction:" in text:  # its Edit Script (AI) action
            return f"Here is the edited script.\n```python\n{EDITED}\n```\n"
        if "You are a helpful research assistant" in text:  # the research agent's next step
            steps["n"] += 1
            return step_answer(steps["n"] - 1)
        return None
    return [answer]


@pytest.fixture(scope="module")
def mlagentbench_source(tmp_path_factory) -> Path:
    if os.environ.get("MLAGENTBENCH_SOURCE"):
        return Path(os.environ["MLAGENTBENCH_SOURCE"])
    repo = os.environ.get("MLAGENTBENCH_GIT", MIRROR)
    if not Path(repo).exists():
        pytest.skip(f"no MLAgentBench checkout: set MLAGENTBENCH_SOURCE, or MLAGENTBENCH_GIT to its git repository "
                    f"({repo} does not exist)")
    source = tmp_path_factory.mktemp("mlagentbench-src")
    archive = subprocess.run(["git", "-C", repo, "archive", "HEAD"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    return source


@pytest.fixture
def project(tmp_path, base_image_tag, monkeypatch):
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    shutil.copytree(AGENTS / "mlagentbench", tmp_path / "agents" / "mlagentbench")
    shutil.copytree(TASK_SPECS / COMPETITION, tmp_path / "task_specs" / COMPETITION)
    return tmp_path


def run(project: Path, provider: str, source: Path | None, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "PYTEST_", "ANTHROPIC_", "MLAGENTBENCH_"))}
    env.update(OPENAI_API_KEY=PROVIDER_KEY, OPENAI_BASE_URL=provider)  # the host's provider: the fake
    if source is not None:
        env["MLAGENTBENCH_SOURCE"] = str(source)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "task_specs",
                           "--agent=mlagentbench/dev", "-n", "0", "--junitxml=junit.xml", "-rs", *extra],
                          cwd=project, env=env, capture_output=True, text=True, timeout=1800)


def test_mlagentbench_solves_a_competition(project, fake_llm, mlagentbench_source):
    fake_llm.set_rules(mlab_rules())
    done = run(project, fake_llm.url, mlagentbench_source)
    results = item_results(project)
    assert set(results) == {"iris-species"}, done.stdout[-3000:] + done.stderr[-3000:]
    iris = results["iris-species"]
    log = (iris["dir"] / "agent.log").read_text()
    assert iris["outcome"] == "passed", f"{iris['phases']}\n{log[-4000:]}"
    assert done.returncode == 0, done.stdout[-3000:]

    # Every model call went through the gateway, metered, under the config's model name, as Chat
    # Completions: one per step of the research agent, one for its script edit.
    assert {r.get("model") for r in fake_llm.requests} == {"gpt-4o-2024-08-06"}
    assert len(fake_llm.requests) == len(STEPS) + 1
    assert iris["llm"]["calls"] == len(STEPS) + 1 and iris["usage"]["source"] == "gateway"
    turns = [s for s in iris["steps"] if s["kind"] == "model"]
    assert len(turns) == len(STEPS) + 1 and all(t["status"] == 200 for t in turns)
    assert PROVIDER_KEY not in log

    # Its actions: in its own log, and the script its Execute Script action ran, as the recorder saw it.
    main_log = (iris["dir"] / "logs" / "agent_log" / "main_log").read_text()
    for _, action, _ in STEPS:
        assert f"Action: {action}" in main_log
    commands = [s["command"] for s in iris["steps"] if s["kind"] == "exec" and s.get("parent")]
    assert any(c.endswith("-u train.py") for c in commands), commands
    assert "Final message:" in log
    # The script it edited came out with its code, and the submission it wrote was graded.
    assert "LinearDiscriminantAnalysis" in (iris["dir"] / "code" / "agentbench" / "train.py").read_text()
    assert (iris["dir"] / "submission" / "submission.csv").is_file()
    assert iris["grade"]["checkpoints"][0]["name"] == "submission exists"

    # What it was told: the task with its paths made the workspace's, its time limit in words, its
    # hardware and steps, and the competition's description.
    prompt = fake_llm.requests[0]["messages"][0]["content"]
    assert "Research Problem:" in prompt and "COMPETITION INSTRUCTIONS" in prompt
    assert "10 minutes" in prompt and "a CPU with" in prompt and "maximum of 8 steps" in prompt
    assert "/home/data" not in prompt.split("COMPETITION INSTRUCTIONS")[0]
    print(f"\nmlagentbench/dev: {timings(project, results)}")


def test_without_its_checkout_its_items_are_skipped_naming_the_setting(project, fake_llm):
    done = run(project, fake_llm.url, None)
    assert done.returncode == 5, done.stdout[-3000:]  # nothing evaluated
    assert "SKIPPED" in done.stdout and "set MLAGENTBENCH_SOURCE=PATH" in done.stdout, done.stdout[-3000:]
    assert not fake_llm.requests


def test_a_checkout_path_that_is_not_a_folder_is_an_error_naming_it(project, fake_llm, tmp_path):
    done = run(project, fake_llm.url, tmp_path / "no-such-checkout")
    assert done.returncode == 1, done.stdout[-3000:]
    assert f"MLAGENTBENCH_SOURCE={tmp_path / 'no-such-checkout'}: not a folder" in done.stdout, done.stdout[-3000:]
