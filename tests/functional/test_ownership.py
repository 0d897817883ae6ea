"""Owner labels: an object's creating process counts as dead once it is gone or a zombie."""

import os
import subprocess
import time

from pytest_agentbench.sandbox import ownership


def labels_of(pid: int) -> dict[str, str]:
    return {ownership.RUN: "test", ownership.PID: str(pid), ownership.PID_START: ownership.process_start(pid),
            ownership.HOST: ownership.owner_labels("test")[ownership.HOST]}


def test_a_live_process_owns_its_objects():
    assert not ownership.owner_is_dead(labels_of(os.getpid()))


def test_a_zombie_owner_is_dead():
    child = subprocess.Popen(["sleep", "60"])
    labels = labels_of(child.pid)
    assert not ownership.owner_is_dead(labels)
    child.kill()  # killed and not waited for: a zombie, as a kill -9'd xdist worker stays until the run ends
    deadline = time.monotonic() + 10
    while not open(f"/proc/{child.pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    try:
        assert ownership.owner_is_dead(labels)
    finally:
        child.wait()
