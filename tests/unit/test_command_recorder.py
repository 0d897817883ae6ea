"""The in-container command recorder's reading of strace's report (the report format is strace 6's,
as `strace -f -z -ttt -e write=1,2` prints it; tests/integration/test_trajectory.py runs the real thing)."""

from __future__ import annotations

import io
import json

from pytest_agentbench.sandbox import command_recorder
from pytest_agentbench.sandbox.command_recorder import Output, Recorder


def dump(data: bytes) -> list[str]:
    """strace's hex dump lines of a write's bytes."""
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset:offset + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk[:8])
        if len(chunk) > 8:
            hexes += "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        lines.append(f" | {offset:05x}  {hexes:<49s} {'.' * len(chunk):16s} |")
    return lines


def record(lines: list[str]) -> tuple[list[dict], Recorder]:
    out = io.StringIO()
    recorder = Recorder(out)
    for line in lines:
        recorder.feed(line)
    recorder.finish()
    return [json.loads(line) for line in out.getvalue().splitlines()], recorder


ROOT_START = [
    '100   1.000000 execve("/usr/bin/setpriv", ["setpriv", "--reuid=1000", "bash", "/home/agent/start.sh"], '
    '0x7ffc /* 12 vars */) = 0',
    "100   1.001000 execve(0x7ffe, 0x7ffe, 0x7ffe) = 0",
]


def test_each_program_is_a_step_with_its_command_output_time_and_exit_code():
    steps, recorder = record([
        *ROOT_START,
        '100   1.002000 write(1, "agent says hi\\n", 14) = 14', *dump(b"agent says hi\n"),
        "100   1.010000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 101",
        '101   1.011000 execve("/usr/bin/ls", ["ls", "-la", "/work space"], 0x55 /* 12 vars */) = 0',
        '101   1.012000 write(1, "a) = 5 \\"x\\"\\n", 12) = 12', *dump(b'a) = 5 "x"\n'),
        '101   1.013000 write(2, "warn\\n", 5) = 5', *dump(b"warn\n"),
        '101   1.013500 write(3, "not output", 10) = 10',
        "101   1.014000 +++ exited with 2 +++",
        "100   1.020000 +++ exited with 0 +++",
    ])
    assert steps == [{"id": 1, "parent": None, "pid": 101, "start": 1.011, "end": 1.014,
                      "argv": ["ls", "-la", "/work space"], "exit_code": 2, "output": 'a) = 5 "x"\nwarn\n'}]
    assert recorder.agent_exit == 0  # the agent's own process is the run, not a step


def test_nesting_unfinished_calls_and_a_child_that_ends_before_its_fork_returns():
    steps, _ = record([
        *ROOT_START,
        "100   2.000000 clone(child_stack=NULL, flags=SIGCHLD) = 200",
        '200   2.001000 execve("/usr/bin/python3", ["python3", "agent.py"], 0x55 /* 3 vars */) = 0',
        "200   2.002000 vfork( <unfinished ...>",
        '201   2.003000 execve("/bin/sh", ["sh", "-c", "echo inner; exit 4"], 0x7f /* 3 vars */) = 0',
        '201   2.004000 write(1, "inner\\n", 6 <unfinished ...>',
        "200   2.004500 <... vfork resumed>)   = 201",
        "201   2.005000 <... write resumed>) = 6", *dump(b"inner\n"),
        "201   2.006000 +++ exited with 4 +++",
        '200   2.007000 write(1, "done\\n", 5) = 5', *dump(b"done\n"),
        "200   2.008000 +++ killed by SIGKILL +++",
        "100   2.009000 +++ exited with 137 +++",
    ])
    inner, agent = steps  # written as each ends; ids in the order they started
    assert (inner["id"], inner["parent"], inner["argv"], inner["exit_code"]) == \
        (2, 1, ["sh", "-c", "echo inner; exit 4"], 4)
    assert inner["output"] == "inner\n"
    assert (agent["id"], agent["parent"], agent["exit_code"]) == (1, None, 128 + 9)
    assert agent["output"] == "inner\ndone\n"  # what its whole process tree printed, in time order


def test_a_reused_pid_is_a_new_process_and_programs_left_running_have_no_end():
    steps, _ = record([
        *ROOT_START,
        "100   3.000000 fork() = 300",
        '300   3.001000 execve("/usr/bin/true", ["true"], 0x55 /* 3 vars */) = 0',
        "300   3.002000 +++ exited with 0 +++",
        '300   3.004000 execve("/usr/bin/sleep", ["sleep", "600"], 0x55 /* 3 vars */) = 0',  # before its fork
        "100   3.003000 fork() = 300",
        "100   3.005000 +++ exited with 0 +++",
    ])
    assert [(s["argv"], s["end"], s["exit_code"]) for s in steps] == \
        [(["true"], 3.002, 0), (["sleep", "600"], None, None)]


def test_a_truncated_argument_is_marked_and_octal_escapes_decode():
    steps, _ = record([
        *ROOT_START,
        "100   4.000000 clone3({flags=CLONE_VM, exit_signal=SIGCHLD}, 88) = 400",
        '400   4.001000 execve("/usr/bin/echo", ["echo", "caf\\303\\251", "aaaa"...], 0x55 /* 3 vars */) = 0',
        "400   4.002000 +++ exited with 0 +++",
    ])
    assert steps[0]["argv"] == ["echo", "café", "aaaa..."]


def test_output_keeps_its_first_and_last_bytes(monkeypatch):
    monkeypatch.setattr(command_recorder, "OUTPUT_HEAD", 10)
    monkeypatch.setattr(command_recorder, "OUTPUT_TAIL", 10)
    out = Output()
    for i in range(10):
        out.add(float(i), f"line{i}\n".encode())
    text = out.text()
    assert text.startswith("line0\nline") and text.endswith("line9\n")
    assert "bytes cut" in text and len(text.encode()) < 60
