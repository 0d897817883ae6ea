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


def lines_of(path):
    """Every line parsed: the file is JSON Lines whenever it is read."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_live_run_grows_as_things_happen_then_ends_in_the_final_form(tmp_path):
    path = tmp_path / "trajectory.jsonl"
    trajectory = TrajectoryRecorder(path)
    trajectory.event("setup_done")  # a step before the run stays as it is
    live = trajectory.live_run("bash /home/agent/start.sh", user="nonroot", start=1.0)
    [_, run] = lines_of(path)
    assert (run["step"], run["end"], run["exit_code"]) == (2, None, None)  # running
    live.recorder_line({"started": 1, "parent": None, "pid": 101, "start": 2.0, "argv": ["python3", "a.py"]})
    live.recorder_line({"started": 2, "parent": 1, "pid": 102, "start": 2.1, "argv": ["ls", "my dir"]})
    live.model({"start": 2.2, "end": 2.4, "model": "gpt-4o", "call": 1, "output": "run ls"})
    live.recorder_line({"id": 2, "parent": 1, "pid": 102, "start": 2.1, "end": 2.3, "argv": ["ls", "my dir"],
                        "exit_code": 2, "output": "no such file\n"})
    live.recorder_line({"id": 9, "parent": 1, "pid": 109, "start": 2.3, "end": 2.35, "argv": ["true"],
                        "exit_code": 0, "output": ""})  # its start line was not seen: the whole step
    live.recorder_line({"started": "x"})  # not a shape the recorder writes: left out
    steps = lines_of(path)
    assert [(s["step"], s["kind"], s.get("command") or s.get("name") or s.get("model"), s.get("parent"))
            for s in steps[2:]] == [
        (3, "exec", "python3 a.py", 2), (4, "exec", "ls 'my dir'", 3), (5, "model", "gpt-4o", 2),
        (6, "event", "end", None), (7, "exec", "true", 3)]
    assert steps[2]["end"] is None and steps[3]["exit_code"] is None  # started, not ended
    assert (steps[5]["of"], steps[5]["exit_code"], steps[5]["output"]) == (4, 2, "no such file\n")

    run = live.close(exit_code=0, output="agent output\n", timed_out=False, models=[
        {"start": 2.2, "end": 2.4, "model": "gpt-4o", "call": 1, "output": "run ls"}], programs=[
        {"id": 2, "parent": 1, "pid": 102, "start": 2.1, "end": 2.3, "argv": ["ls", "my dir"], "exit_code": 2,
         "output": "no such file\n"},
        {"id": 9, "parent": 1, "pid": 109, "start": 2.3, "end": 2.35, "argv": ["true"], "exit_code": 0, "output": ""},
        {"id": 1, "parent": None, "pid": 101, "start": 2.0, "end": 3.0, "argv": ["python3", "a.py"], "exit_code": 0,
         "output": "no such file\n"},
        {"done": True}])
    live.recorder_line({"started": 3, "parent": None, "pid": 103, "start": 3.1, "argv": ["late"]})  # after: dropped
    live.model({"start": 3.2, "end": 3.3, "model": "late"})
    final = lines_of(path)
    assert [(s["step"], s["kind"], s.get("command") or s.get("name") or s.get("model"), s.get("parent"))
            for s in final] == [
        (1, "event", "setup_done", None), (2, "exec", "bash /home/agent/start.sh", None),
        (3, "exec", "python3 a.py", 2), (4, "exec", "ls 'my dir'", 3), (5, "model", "gpt-4o", 2),
        (6, "exec", "true", 3)]
    assert run == final[1] and (run["exit_code"], run["output"], run["start"]) == (0, "agent output\n", 1.0)
    assert all(s["end"] is not None for s in final)  # each step whole on its line: no `end` events
    assert [p.name for p in tmp_path.iterdir()] == ["trajectory.jsonl"]  # replaced, nothing left beside it
    trajectory.event("timed_out")  # what the harness notes after the run follows it
    assert lines_of(path)[-1]["step"] == 7

