"""Runs cut short (Ctrl-C, SIGTERM, kill -9, a run killed before any item finished) and run groups
driven from their folder alone: nothing keeps running, every item ends with a result or resumes."""

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

from pytest_agentbench.reporting.viewer import items_folder

from support import AGENTS, LIKE_A_TERMINAL, TASK_SPECS, labelled, wait_for

pytestmark = pytest.mark.docker


@pytest.fixture
def project(tmp_path, base_image_tag, monkeypatch):
    """The bundled smoke task and agents, plus `sleeper` (starts, then sleeps)."""
    shutil.copytree(TASK_SPECS / "smoke", tmp_path / "task_specs" / "smoke")
    shutil.copytree(AGENTS, tmp_path / "agents")
    sleeper = tmp_path / "agents" / "sleeper"
    sleeper.mkdir()
    (sleeper / "config.yaml").write_text("sleeper:\n  start: start.sh\n")
    shutil.copy(AGENTS / "nop" / "Dockerfile", sleeper / "Dockerfile")
    (sleeper / "start.sh").write_text("echo started\nsleep 600\n")
    slow = tmp_path / "agents" / "slow"  # the oracle, after 2 s: items that end on their own, soon
    shutil.copytree(sleeper, slow)
    (slow / "config.yaml").write_text("slow:\n  start: start.sh\n  reference_solution: true\n")
    (slow / "start.sh").write_text("sleep 2\nexec bash /home/agent/solution/solution.sh\n")
    writer = tmp_path / "agents" / "writer"  # the oracle, leaving 700 kB of logs
    shutil.copytree(slow, writer)
    (writer / "config.yaml").write_text("writer:\n  start: start.sh\n  reference_solution: true\n")
    (writer / "start.sh").write_text("head -c 700000 /dev/urandom > /home/logs/blob\n"
                                     "exec bash /home/agent/solution/solution.sh\n")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")  # the locally built base, shared with every test
    return tmp_path


def start(project: Path, *args: str, paths=("task_specs",)) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pytest", *paths, "-p", "no:cacheprovider", *args],
                            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            **LIKE_A_TERMINAL)


def run(project: Path, *args: str, paths=("task_specs",)) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", *paths, "-p", "no:cacheprovider", *args],
                          cwd=project, capture_output=True, text=True, timeout=600)


def run_id_and_group(proc: subprocess.Popen) -> tuple[str, Path]:
    for line in proc.stdout:
        found = re.search(r"agentbench: agent \S+, run ([0-9a-f]+), results in (\S+)", line)
        if found:
            return found.group(1), Path(found.group(2))
    raise AssertionError("pytest printed no run id")


def agent_containers(client, run_id: str) -> list[dict]:
    return [c for c in client.api.containers(all=True, filters={"label": f"agentbench.run={run_id}"})
            if any("agent" in name for name in c["Names"])]


def results_of(group: Path) -> dict[str, dict]:
    return {r["nodeid"]: r for r in (json.loads(p.read_text()) for p in group.glob("*/result.json"))}


def test_a_run_killed_before_any_item_finished_resumes(project, docker_client):
    proc = start(project, "--agent=sleeper", "--seeds=2", "--time-limit=3")
    run_id, group = run_id_and_group(proc)
    wait_for(lambda: agent_containers(docker_client, run_id), 120, "the first agent's container")
    os.killpg(proc.pid, signal.SIGKILL)  # nothing finished, nothing was cleaned up
    proc.communicate(timeout=30)
    assert results_of(group) == {}

    resumed = run(project, "--resume", str(group), "--time-limit=3")
    assert "not a run group" not in resumed.stderr
    assert resumed.returncode == 1, resumed.stdout[-3000:]  # the sleeper times out: a failure, not an error
    finished = results_of(group)
    assert sorted(finished) == sorted(json.loads((group / "collected.json").read_text()))
    assert all(r["agent"] == "sleeper" and r["timed_out"] for r in finished.values())


def test_regrade_and_resume_of_a_group_need_nothing_but_the_group(project):
    # a project whose own test suite is its testpaths: a group's command must not run it
    (project / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_own.py").write_text(
        "def test_own_suite():\n    open('own-suite-ran', 'w').close()\n")
    first = run(project, "--agent=nop")
    assert first.returncode == 1, first.stdout[-3000:]  # nop submits nothing
    [group] = (project / "runs").iterdir()
    before = results_of(group)

    regrade = run(project, "--regrade", str(group.relative_to(project)), paths=())
    assert regrade.returncode == 1, regrade.stdout[-3000:]
    assert not (project / "own-suite-ran").exists()
    assert "1 failed" in regrade.stdout.splitlines()[-1]  # the item; its checkpoints are not tests
    assert {k: r["grade"] for k, r in results_of(group).items()} == {k: r["grade"] for k, r in before.items()}

    resume = run(project, "--resume", str(group), paths=())
    assert resume.returncode == 5, resume.stdout[-3000:]  # the one item finished earlier: nothing evaluated
    assert not (project / "own-suite-ran").exists()
    assert "1 skipped" in resume.stdout.splitlines()[-1]
    assert "nothing was left to resume" in resume.stdout


def programs_started(client, run_id: str, since: float) -> list[str]:
    """Every program started in the run's containers after `since` (agents, graders), from docker's
    own event log."""
    events = client.api.events(since=int(since), until=int(time.time()) + 1, decode=True,
                               filters={"type": "container", "label": f"agentbench.run={run_id}"})
    return [e["Action"] for e in events if e["Action"].startswith("exec_start") and e["timeNano"] >= since * 1e9]


@pytest.mark.parametrize("signum, to", [(signal.SIGINT, "controller"), (signal.SIGTERM, "group"),
                                        (signal.SIGTERM, "controller"), (signal.SIGHUP, "group")],
                         ids=["SIGINT-controller", "SIGTERM-group", "SIGTERM-controller", "SIGHUP-group"])
def test_an_interrupt_stops_new_work_at_once_and_leaves_every_item_resumable(project, docker_client, signum, to):
    started = time.time()
    proc = start(project, "--agent=slow", "--seeds=6", "-n", "2")
    run_id, group = run_id_and_group(proc)
    # both workers' agents have just started (each runs 2 s): nothing else is under way
    wait_for(lambda: len(programs_started(docker_client, run_id, started)) >= 2, 120, "both workers' agents")
    interrupted_at = time.time()
    if to == "group":  # Ctrl-C, `timeout -s TERM`: every process of the run
        os.killpg(proc.pid, signum)
    else:  # `kill`, `docker stop`: the controller alone
        os.kill(proc.pid, signum)
    output, _ = proc.communicate(timeout=120)

    assert programs_started(docker_client, run_id, interrupted_at) == []  # no agent or grader after it
    assert labelled(docker_client, run_id) == []  # and nothing is left running
    # every item has a result or nothing at all (no half-written folder): the group resumes
    collected = json.loads((group / "collected.json").read_text())
    finished = results_of(group)
    pages = items_folder(group / "report.html")  # the group page's item scripts: not an item
    leftovers = [p.name for p in group.iterdir() if p.is_dir() and p != pages and not (p / "result.json").exists()]
    assert leftovers == []
    # what pytest counted and what the run's own summary says agree
    [summary] = json.loads((group / "summary.json").read_text())["agents"]
    assert summary["not_run"] == len(collected) - len(finished)
    passed = sum(r["outcome"] == "passed" for r in finished.values())
    last = output.strip().splitlines()[-1]
    assert (f"{passed} passed" in last) if passed else ("no tests ran" in last), output[-2000:]
    assert f"the run was interrupted; to finish it: pytest --resume {group}" in output

    resumed = run(project, "--resume", str(group), "-n", "2")
    assert resumed.returncode == 0, resumed.stdout[-3000:]
    assert len(results_of(group)) == len(collected) == 6


def test_a_worker_killed_with_kill_9_has_its_containers_removed_while_the_run_goes_on(project, docker_client):
    proc = start(project, "--agent=sleeper", "-n", "1", "--seeds=2")
    run_id, _ = run_id_and_group(proc)
    [first] = wait_for(lambda: agent_containers(docker_client, run_id), 120, "the worker's agent container")
    os.kill(int(first["Labels"]["agentbench.pid"]), signal.SIGKILL)  # a zombie until xdist ends the run
    try:
        wait_for(lambda: first["Id"] not in {c["Id"] for c in agent_containers(docker_client, run_id)},
                 60, "the dead worker's agent container to be removed")
        assert proc.poll() is None  # removed during the run: the replacement worker runs the next item
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=120)
    assert labelled(docker_client, run_id) == []


def test_a_full_disk_stops_the_run_with_one_message_and_keeps_the_results(project):
    runs = project / "runs"
    runs.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(runs)], check=True)
    try:
        done = run(project, "--agent=writer", "--seeds=6", "-n", "2")
        output = done.stdout + done.stderr
        assert done.returncode == 6, output[-3000:]  # the host failed: not 1, "tasks failed"
        assert "INTERNALERROR" not in output
        assert f"agentbench: cannot write {runs}/" in output and "No space left on device" in output
        [group] = runs.iterdir()
        kept = results_of(group)  # each a whole JSON file
        # Passed, or the item the full disk stopped, saying so (when its small result still fit).
        assert 1 <= len(kept) < 6 and all(r["outcome"] == "passed" or "No space left on device" in
                                          r["phases"]["setup"]["message"] for r in kept.values()), kept

        subprocess.run(["mount", "-o", "remount,size=64m", str(runs)], check=True)  # space freed
        resumed = run(project, "--resume", str(group), "-n", "2")
        assert resumed.returncode == 0, resumed.stdout[-3000:]
        assert len(results_of(group)) == 6 and all(r["outcome"] == "passed" for r in results_of(group).values())
    finally:
        subprocess.run(["umount", "-l", str(runs)], check=True)


def test_resume_keeps_the_groups_own_selection(project):
    first = run(project, "--agent=nop", "--seeds=3", "-k", "seed0 or seed2")
    assert first.returncode == 1, first.stdout[-3000:]  # nop submits nothing
    [group] = (project / "runs").iterdir()
    (group / "reverse-words_seed2" / "result.json").unlink()  # as if the run had been cut there

    resumed = run(project, "--resume", str(group), paths=())
    assert resumed.returncode == 1, resumed.stdout[-3000:]
    # seed2 ran again; seed1, which the first run's -k left out, did not
    assert sorted(p.parent.name for p in group.glob("*/result.json")) == ["reverse-words_seed0",
                                                                          "reverse-words_seed2"]
    assert "1 failed, 1 skipped, 1 deselected" in resumed.stdout.splitlines()[-1]
