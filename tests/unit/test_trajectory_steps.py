"""The trajectory file: the recorder's programs become numbered exec steps under the agent's run."""

from __future__ import annotations

import json

from pytest_agentbench.trajectory import TrajectoryRecorder


def program(id, parent, start, argv, end=None, exit_code=None, output=""):
    return {"id": id, "parent": parent, "pid": 100 + id, "start": start, "end": end, "argv": argv,
            "exit_code": exit_code, "output": output}


def test_programs_are_numbered_in_start_order_and_name_their_parent_step(tmp_path):
    path = tmp_path / "trajectory.jsonl"
    trajectory = TrajectoryRecorder(path)
    run = trajectory.exec("bash /home/agent/start.sh", user="nonroot", start=1.0, exit_code=0, output="")
    trajectory.programs([
        program(2, None, 2.5, ["sh", "-c", "sleep 1 & exec cat x"], 3.0, 0),  # reported after its child
        program(1, 2, 2.4, ["sleep", "1"]),                                    # started before its parent's exec
        program(3, None, 2.0, ["ls", "-l", "my dir"], 2.1, 2, "no such file\n"),
        {"unrecorded": "not this time"},
    ], under=run["step"], user="nonroot")
    steps = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(s["step"], s.get("command") or s["name"], s.get("parent")) for s in steps] == [
        (1, "bash /home/agent/start.sh", None),
        (2, "ls -l 'my dir'", 1),
        (3, "sleep 1", 4),
        (4, "sh -c 'sleep 1 & exec cat x'", 1),
        (5, "commands_not_recorded", 1),
    ]
    assert steps[1]["exit_code"] == 2 and steps[1]["output"] == "no such file\n"
    assert steps[2]["end"] is None and steps[2]["exit_code"] is None
