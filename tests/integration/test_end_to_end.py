"""The whole chain on a real Docker engine: images, network, container, agent, outputs, grading, cleanup."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import AGENTS, LIKE_A_TERMINAL, TASK_SPECS, labelled, wait_for as _wait_for

pytestmark = pytest.mark.docker

SLEEPER = """\
sleeper:
  start: start.sh
"""


@pytest.fixture
def workdir(pytester, base_image_tag, monkeypatch):
    """A project with the bundled smoke task, the bundled agents, and a `sleeper` agent."""
    shutil.copytree(TASK_SPECS / "smoke", pytester.path / "task_specs" / "smoke")
    shutil.copytree(AGENTS, pytester.path / "agents")
    sleeper = pytester.path / "agents" / "sleeper"
    sleeper.mkdir()
    (sleeper / "config.yaml").write_text(SLEEPER)
    shutil.copy(AGENTS / "nop" / "Dockerfile", sleeper / "Dockerfile")
    (sleeper / "start.sh").write_text("echo started\nsleep 600\n")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")  # the locally built base, shared with every test
    return pytester.path


def run_id_of(output: str) -> str:
    return re.search(r"agentbench: agent \S+, run ([0-9a-f]+), results in (\S+)", output).group(1)


def result_of(path: Path, task: str = "reverse-words") -> dict:
    [group] = (path / "runs").iterdir()
    return json.loads((group / task / "result.json").read_text())


def test_dummy_runs_end_to_end_and_leaves_nothing(pytester, workdir, docker_client):
    result = pytester.runpytest_subprocess("task_specs", "--agent=dummy", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)  # one item, one verdict: its failed checkpoint is named in it
    result.stdout.fnmatch_lines(["*failed checkpoints: 'every word reversed' failed, 0/5 points*"])
    saved = result_of(workdir)
    assert saved["outcome"] == "failed" and saved["agent_run"]["exit_code"] == 0
    assert [c["passed"] for c in saved["grade"]["checkpoints"]] == [True, True, False]
    folder = Path(saved["folder"])
    assert (folder / "submission" / "submission.csv").read_text().startswith("id,answer")
    log = (folder / "agent.log").read_text()
    assert "running as root: False" in log and "PROBLEM" not in log
    steps = [json.loads(line) for line in (folder / "trajectory.jsonl").read_text().splitlines()]
    assert steps[0]["command"].startswith("bash /home/agent/start.sh") and steps[0]["exit_code"] == 0
    assert labelled(docker_client, run_id_of(result.stdout.str())) == []


def test_oracle_passes_and_nop_submits_nothing(pytester, workdir):
    oracle = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "-p", "no:cacheprovider")
    oracle.assert_outcomes(passed=1)
    assert result_of(workdir)["grade"]["score"] == 1.0
    shutil.rmtree(workdir / "runs")
    nop = pytester.runpytest_subprocess("task_specs", "--agent=nop", "-p", "no:cacheprovider")
    nop.assert_outcomes(failed=1)  # the item, not its three checkpoints too
    nop.stdout.fnmatch_lines(["*'submission exists' failed, 0/1 points: no submission.csv*"])


def test_the_time_limit_kills_the_agent_and_says_timed_out(pytester, workdir, docker_client):
    start = time.monotonic()
    result = pytester.runpytest_subprocess("task_specs", "--agent=sleeper", "--time-limit=2",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    # "T": the terminal's letter for a timed-out item (the live progress may have come between it and the node id)
    assert re.search(r"^(.*task\.yaml )?T( +\[100%\])?$", result.stdout.str(), re.M), result.stdout.str()
    result.stdout.fnmatch_lines(["*timed out: the agent was killed at its 2 s limit*"])
    saved = result_of(workdir)
    assert saved["timed_out"] is True and saved["agent_run"]["exit_code"] is None
    assert 2 <= saved["agent_run"]["duration"] < 8
    assert time.monotonic() - start < 60  # not the agent's 600 s sleep
    assert labelled(docker_client, run_id_of(result.stdout.str())) == []


OURS = ("agentbench/agent-nop:", "agentbench/base:", "agentbench/rootfs:")


def test_an_unchanged_rerun_builds_no_image(pytester, workdir, docker_client):
    pytester.runpytest_subprocess("task_specs", "--agent=nop", "-p", "no:cacheprovider")
    def this_runs_images():  # other tests, in parallel, may build other agents' images meanwhile
        return {(i["Id"], tuple(i.get("RepoTags") or ())) for i in docker_client.api.images()
                if any(t.startswith(OURS) for t in i.get("RepoTags") or ())}

    before = this_runs_images()
    assert before, "the first run should have left its images"
    since = int(time.time())
    pytester.runpytest_subprocess("task_specs", "--agent=nop", "-p", "no:cacheprovider")
    # a build tags its image even when Docker's layer cache makes it a no-op: look for any such event
    events = docker_client.api.events(since=since, until=int(time.time()) + 1, decode=True,
                                      filters={"type": "image"})
    tagged = [e for e in events if e.get("Actor", {}).get("Attributes", {}).get("name", "").startswith(OURS)]
    assert tagged == []
    assert this_runs_images() == before


def test_a_dead_docker_engine_is_one_message_at_start(pytester, workdir, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{workdir}/no-such-docker.sock")
    result = pytester.runpytest_subprocess("task_specs", "--agent=nop", "--seeds=3", "-n", "2",
                                           "-p", "no:cacheprovider")
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 6  # the host failed the run, before any item
    assert output.count(f"the Docker engine at unix://{workdir}/no-such-docker.sock does not answer") == 1
    assert "Traceback" not in output and "INTERNALERROR" not in output


BROKEN_DOCKERFILE = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN echo preparing
RUN python3 -c "import sys; sys.stderr.write(chr(27) + '[31m'); sys.exit('E: no such ' + 'package')"
"""


def test_an_image_that_does_not_build_says_its_failing_step_once(pytester, workdir):
    broken = workdir / "agents" / "broken"
    broken.mkdir()
    (broken / "config.yaml").write_text("broken:\n  start: start.sh\n")
    (broken / "Dockerfile").write_text(BROKEN_DOCKERFILE)
    (broken / "start.sh").write_text("exit 0\n")
    result = pytester.runpytest_subprocess("task_specs", "--agent=broken", "--seeds=3", "-n", "2",
                                           "-p", "no:cacheprovider")
    output = result.stdout.str() + result.stderr.str()
    result.assert_outcomes(errors=3)
    # The build's output, once for the image. (pytest's own summary at the end repeats each error's
    # message in full when it runs on CI, as CI=true says: that part is not ours.)
    errors = output.split("short test summary info")[0]
    assert errors.count("E: no such package") == 1
    assert re.search(r"failed at Step 4/\d: RUN python3 -c", output) and "\x1b" not in output
    assert "Removing intermediate container" not in output and "Traceback" not in output
    [group] = (workdir / "runs").iterdir()
    messages = [json.loads(p.read_text())["phases"]["setup"]["message"] for p in group.glob("*/result.json")]
    assert len(messages) == 3 and all(re.search(r"failed at Step 4/\d: RUN python3", m) for m in messages)


def _start_pytest(workdir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pytest", "task_specs", "-p", "no:cacheprovider", *args],
                            cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            **LIKE_A_TERMINAL)


def _run_id_from(proc: subprocess.Popen) -> str:
    for line in proc.stdout:
        if "agentbench: agent" in line:
            return run_id_of(line)
    raise AssertionError("pytest printed no run id")


def test_ctrl_c_under_xdist_leaves_nothing(workdir, docker_client):
    proc = _start_pytest(workdir, "--agent=sleeper", "-n", "2", "--seeds", "2")
    run_id = _run_id_from(proc)
    _wait_for(lambda: len([o for o in labelled(docker_client, run_id) if o.startswith("container")]) >= 2,
              120, "both workers' agent containers")
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C: every process of the group
    proc.communicate(timeout=60)
    assert labelled(docker_client, run_id) == []


def test_kill_9_of_a_worker_leaves_nothing_once_pytest_exits(workdir, docker_client):
    proc = _start_pytest(workdir, "--agent=sleeper", "--time-limit=8", "-n", "1", "--seeds", "2")
    run_id = _run_id_from(proc)
    containers = _wait_for(lambda: docker_client.api.containers(
        filters={"label": f"agentbench.run={run_id}"}), 120, "the worker's agent container")
    worker_pid = int(containers[0]["Labels"]["agentbench.pid"])
    os.kill(worker_pid, signal.SIGKILL)
    output, _ = proc.communicate(timeout=120)
    assert "crashed" in output
    assert labelled(docker_client, run_id) == []


def test_kill_9_of_the_whole_run_is_reaped_by_the_next_run(workdir, docker_client):
    proc = _start_pytest(workdir, "--agent=sleeper")
    run_id = _run_id_from(proc)
    _wait_for(lambda: labelled(docker_client, run_id), 120, "the agent's container")
    os.killpg(proc.pid, signal.SIGKILL)  # no teardown, no sweep: the objects stay behind
    proc.communicate(timeout=30)
    assert labelled(docker_client, run_id) != []
    subprocess.run([sys.executable, "-m", "pytest", "task_specs", "--agent=nop", "-p", "no:cacheprovider"],
                   cwd=workdir, capture_output=True, timeout=300)
    assert labelled(docker_client, run_id) == []


@pytest.mark.parametrize("agent, start, says", [
    ("missing", None, "the agent exited with code 127: start script not found"),  # config names no such file
    ("quitter", "echo giving up >&2\nexit 1\n", "the agent exited with code 1"),
])
def test_an_agent_that_fails_to_start_or_quits_says_its_exit_code(pytester, workdir, agent, start, says):
    folder = workdir / "agents" / agent
    folder.mkdir()
    (folder / "config.yaml").write_text(f"{agent}:\n  start: {'start.sh' if start else 'nosuch.sh'}\n")
    shutil.copy(AGENTS / "nop" / "Dockerfile", folder / "Dockerfile")
    (folder / "start.sh").write_text(start or "exit 0\n")
    result = pytester.runpytest_subprocess("task_specs", f"--agent={agent}", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([f"*not passed: 0/3 checkpoints; {says}*"])
    saved = result_of(workdir)
    assert says in saved["phases"]["call"]["message"]
