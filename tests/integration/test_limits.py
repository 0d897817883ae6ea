"""Limits by default: every container of a run gets a process count, memory and CPUs (docs/security.md).
An agent plays the attacker from inside its container: it reads its own limits, fork-bombs, and
allocates past its memory; each is contained, and the next item passes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support import AGENTS

pytestmark = pytest.mark.docker

SPEC = """\
id: {id}
time_limit: 60
grader: grade.py:grade
"""
GRADER = """\
from pytest_agentbench.grading.result import Checkpoint

def grade(outputs):
    return [Checkpoint("the agent says it is done", int((outputs / "submission" / "ok.txt").is_file()))]
"""
# One agent, whose behaviour is the task's id: each attack is bounded (it stops itself within seconds).
ATTACKER = r'''
import os, sys, time

task, out = os.environ["TASK_ID"], "/home/submission/"
if task == "a-reads-limits":
    found = {}
    for name in ("pids/pids.max", "pids.max", "memory/memory.limit_in_bytes", "memory.max",
                 "cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us", "cpu.max"):
        try:
            found[name] = open("/sys/fs/cgroup/" + name).read().strip()
        except OSError:
            pass
    open(out + "limits.json", "w").write(__import__("json").dumps(found))
elif task == "b-fork-bomb":
    children, refused, stop = [], None, time.time() + 5
    while time.time() < stop:
        try:
            pid = os.fork()
        except OSError as e:
            refused = e.errno
            break
        if pid == 0:
            time.sleep(20)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.kill(pid, 9)
    open(out + "forks.json", "w").write(__import__("json").dumps({"forked": len(children), "refused": refused}))
    sys.exit(0)
elif task == "c-memory-hog":
    hog = []
    for _ in range(64):  # up to 2 GB, 32 MB at a time, every page touched
        hog.append(bytearray(32 * 2**20))
    open(out + "hog.txt", "w").write("allocated 2 GB")
    sys.exit(0)
open(out + "ok.txt", "w").write("done")
'''


@pytest.fixture
def project(pytester, base_image_tag, monkeypatch):
    shutil.copytree(AGENTS, pytester.path / "agents")
    attacker = pytester.path / "agents" / "attacker"
    attacker.mkdir()
    (attacker / "config.yaml").write_text("attacker:\n  start: start.sh\n")
    (attacker / "Dockerfile").write_text((AGENTS / "nop" / "Dockerfile").read_text() + "COPY attack.py /home/agent/\n")
    (attacker / "start.sh").write_text("exec python3 /home/agent/attack.py\n")
    (attacker / "attack.py").write_text(ATTACKER)
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")

    def tasks(*ids: str) -> None:
        for task_id in ids:
            folder = pytester.path / "task_specs" / "limits" / task_id
            folder.mkdir(parents=True)
            (folder / "task.yaml").write_text(SPEC.format(id=task_id))
            (folder / "grade.py").write_text(GRADER)

    return tasks


def group_of(path: Path) -> Path:
    [group] = (path / "runs").iterdir()
    return group


def result_of(group: Path, task_id: str) -> dict:
    return json.loads((group / task_id / "result.json").read_text())


def test_an_agent_finds_pids_memory_and_cpu_limits_by_default(pytester, project, docker_client):
    project("a-reads-limits")
    pytester.runpytest_subprocess("task_specs", "--agent=attacker", "-p", "no:cacheprovider", "-n", "0")
    group = group_of(pytester.path)
    limits = result_of(group, "a-reads-limits")["limits"]
    info = docker_client.info()
    assert limits["pids"] == 4096
    assert limits["memory_bytes"] == max(2**30, int(info["MemTotal"] * 0.75))  # one worker: its whole share
    assert limits["cpus"] == info["NCPU"]
    seen = json.loads((group / "a-reads-limits" / "submission" / "limits.json").read_text())
    assert (seen.get("pids/pids.max") or seen.get("pids.max")) == "4096"
    assert int(seen.get("memory/memory.limit_in_bytes") or seen.get("memory.max")) == limits["memory_bytes"]
    quota, period = (seen["cpu.max"].split() if "cpu.max" in seen
                     else (seen["cpu/cpu.cfs_quota_us"], seen["cpu/cpu.cfs_period_us"]))
    assert int(quota) / int(period) == limits["cpus"]
    driver = dict(info["DriverStatus"] or []).get("Backing Filesystem")
    if info["Driver"] == "overlay2" and driver != "xfs":  # this machine: say why there is no disk limit
        assert limits["disk_bytes"] is None and "cannot cap a container's disk" in limits["disk_note"]
    assert json.loads((group / "metadata.json").read_text())["limits"] == limits


def test_a_fork_bomb_and_a_memory_hog_are_contained_and_the_next_item_passes(pytester, project):
    project("b-fork-bomb", "c-memory-hog", "z-good")
    (pytester.path / "cc.json").write_text('{"pids_limit": 64, "mem_limit": "256m"}')
    result = pytester.runpytest_subprocess("task_specs", "--agent=attacker", "-p", "no:cacheprovider", "-n", "0",
                                           "--container-config=cc.json")
    group = group_of(pytester.path)
    forks = json.loads((group / "b-fork-bomb" / "submission" / "forks.json").read_text())
    assert forks["forked"] < 64 and forks["refused"] == 11  # EAGAIN: the container's process count is full
    hog = result_of(group, "c-memory-hog")
    assert hog["outcome"] == "failed" and hog["agent_run"]["exit_code"] == 137  # killed at its 256 MB
    assert not (group / "c-memory-hog" / "submission" / "hog.txt").exists()
    assert "the agent exited with code 137: killed (SIGKILL), e.g. at its memory limit" in \
        hog["phases"]["call"]["message"]
    assert result_of(group, "z-good")["outcome"] == "passed"
    assert result_of(group, "z-good")["limits"]["pids"] == 64
    result.assert_outcomes(passed=1, failed=2)  # the two attack items


def test_a_runtime_the_engine_lacks_stops_the_run_before_any_item(pytester, project):
    # MLE-bench's default container config asks for sysbox-runc, which this engine does not have.
    project("z-good")
    (pytester.path / "cc.json").write_text('{"runtime": "sysbox-runc", "shm_size": "4G"}')
    result = pytester.runpytest_subprocess("task_specs", "--agent=attacker", "-p", "no:cacheprovider", "-n", "0",
                                           "--container-config=cc.json")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--container-config cc.json: key 'runtime': got 'sysbox-runc', which the Docker "
                                 "engine does not have (it has *runc*); install that runtime*"])
    assert not list(pytester.path.glob("runs/*/*/result.json"))
