"""The in-container command recorder's reading of strace's report (the report format is strace 6's,
as `strace -f -z -ttt` prints it) and its attribution of the agent's output to programs;
tests/integration/test_trajectory.py runs the real thing."""

from __future__ import annotations

import io
import json

from pytest_agentbench.sandbox import command_recorder
from pytest_agentbench.sandbox.command_recorder import Output, Recorder, Unseen


class Seen(Unseen):
    """What /proc would show of the agent's processes: whether each holds the agent's output, and
    how many bytes it has written (tests/integration/test_trajectory.py reads the real /proc)."""

    def __init__(self, holds=None, written=None):
        self.held, self.counts = holds or {}, written or {}

    def holds(self, pid):
        return self.held.get(pid)

    def written(self, pid, threads):  # the counts one process shows, one per look; the last one stays
        counts = self.counts.get(pid)
        return None if counts is None else counts.pop(0) if len(counts) > 1 else counts[0]


def record(events: list, view=None, clock=lambda: 0.0) -> tuple[list[dict], Recorder]:
    """Feed report lines (str) and chunks of output ((bytes, written after, read at)) in order, each
    chunk attributed as the recorder does when the report stays quiet after it."""
    out = io.StringIO()
    recorder = Recorder(out, view=view, clock=clock)
    for event in events:
        if isinstance(event, str):
            recorder.feed(event)
        else:
            recorder.output(*event)
            recorder.settle(event[2] + command_recorder.SETTLE_AFTER + 1e-6, report_quiet=True, empty_since=event[2])
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
        (b"agent says hi\n", 1.001, 1.0025),
        "100   1.010000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 101",
        '101   1.011000 execve("/usr/bin/ls", ["ls", "-la", "/work space"], 0x55 /* 12 vars */) = 0',
        (b'a) = 5 "x"\n', 1.0025, 1.0121),
        (b"warn\n", 1.0121, 1.0131),
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
        "200   2.004500 <... vfork resumed>)   = 201",
        (b"inner\n", 2.0025, 2.0052),  # written before sh's exit was reported: sh's, the innermost
        "201   2.006000 +++ exited with 4 +++",
        (b"done\n", 2.0062, 2.0072),  # sh had ended: its parent's
        "200   2.008000 +++ killed by SIGKILL +++",
        "100   2.009000 +++ exited with 137 +++",
    ])
    inner, agent = steps  # written as each ends; ids in the order they started
    assert (inner["id"], inner["parent"], inner["argv"], inner["exit_code"]) == \
        (2, 1, ["sh", "-c", "echo inner; exit 4"], 4)
    assert inner["output"] == "inner\n"
    assert (agent["id"], agent["parent"], agent["exit_code"]) == (1, None, 128 + 9)
    assert agent["output"] == "inner\ndone\n"  # what its whole process tree printed, in time order


TWO_AT_ONCE = [  # `server &` then a foreground `sleep`; a line arrives while both run
    *ROOT_START,
    "100   3.000000 clone(child_stack=NULL, flags=SIGCHLD) = 300",
    '300   3.001000 execve("/usr/bin/python3", ["python3", "server.py"], 0x55 /* 3 vars */) = 0',
    "100   3.002000 clone(child_stack=NULL, flags=SIGCHLD) = 301",
    '301   3.003000 execve("/usr/bin/sleep", ["sleep", "5"], 0x55 /* 3 vars */) = 0',
    (b"serving\n", 3.5, 3.6),
    "301   8.000000 +++ exited with 0 +++",
    "300   9.000000 +++ killed by SIGTERM +++",
    "100   9.001000 +++ exited with 0 +++",
]


def test_output_while_two_programs_run_goes_to_the_one_that_started_both_unless_proc_tells_them_apart():
    steps, _ = record(TWO_AT_ONCE)  # nothing known of the two: it could be either's
    assert {s["argv"][0]: s["output"] for s in steps} == {"sleep": "", "python3": ""}
    # The foreground program's stdout and stderr are not the agent's output (`sleep 5 >/dev/null 2>&1`).
    steps, _ = record(TWO_AT_ONCE, view=Seen(holds={300: True, 301: False}))
    assert {s["argv"][0]: s["output"] for s in steps} == {"sleep": "", "python3": "serving\n"}
    # Both hold it, but the foreground one has written nothing since it started (a count of 0 at its
    # start is never having written; the server's count moved, seen at 3.7, after the chunk's window opened).
    steps, _ = record(TWO_AT_ONCE, view=Seen(written={300: [0, 8], 301: [0]}), clock=lambda: 3.7)
    assert {s["argv"][0]: s["output"] for s in steps} == {"sleep": "", "python3": "serving\n"}


def test_output_while_a_program_runs_threads_is_the_programs():
    steps, _ = record([
        *ROOT_START,
        "100   4.000000 clone(child_stack=NULL, flags=SIGCHLD) = 400",
        '400   4.001000 execve("/usr/bin/python3", ["python3", "train.py"], 0x55 /* 3 vars */) = 0',
        "400   4.002000 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, "
        "exit_signal=0, stack=0x7f, stack_size=0x7ff}, 88) = 401",
        "400   4.003000 clone(child_stack=NULL, flags=SIGCHLD) = 402",
        '402   4.004000 execve("/usr/bin/nvidia-smi", ["nvidia-smi"], 0x55 /* 3 vars */) = 0',
        (b"GPU 0\n", 4.004, 4.005),
        "402   4.006000 +++ exited with 0 +++",
        (b"epoch 1\n", 4.0065, 4.007),
        "401   4.008000 +++ exited with 0 +++",
        "400   4.009000 +++ exited with 0 +++",
        "100   4.010000 +++ exited with 0 +++",
    ])
    assert {s["argv"][0]: s["output"] for s in steps} == {"nvidia-smi": "GPU 0\n", "python3": "GPU 0\nepoch 1\n"}


def test_a_step_is_written_only_once_the_output_it_may_have_written_is_attributed():
    out = io.StringIO()
    recorder = Recorder(out)
    for line in [*ROOT_START, "100   5.000000 fork() = 500",
                 '500   5.001000 execve("/usr/bin/echo", ["echo", "hi"], 0x55 /* 3 vars */) = 0']:
        recorder.feed(line)
    recorder.output(b"hi\n", 5.0005, 5.0030)  # read before strace reported echo's exit
    recorder.feed("500   5.002000 +++ exited with 0 +++")
    recorder.settle(5.0031, report_quiet=True, empty_since=5.0030)
    assert out.getvalue() == ""  # the report has not reached the chunk's time: others may have written it
    recorder.settle(5.0030 + command_recorder.SETTLE_AFTER + 1e-6, report_quiet=True, empty_since=5.3)
    [step] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert step["argv"] == ["echo", "hi"] and step["output"] == "hi\n"


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


def test_output_waits_for_a_report_that_trails_it_on_a_busy_machine():
    # Under load strace's report of a program can come half a second after the program's output:
    # the output must still be the program's, not fall to the agent's own step.
    out = io.StringIO()
    recorder = Recorder(out)
    for line in ROOT_START:
        recorder.feed(line)
    recorder.output(b"ls: cannot access '/missing'\n", 6.0, 6.001)
    recorder.settle(6.5, report_quiet=True, empty_since=6.001)  # the report is quiet, but not for long
    for line in ["100   6.000000 fork() = 600",
                 '600   6.000500 execve("/usr/bin/ls", ["ls", "/missing"], 0x55 /* 3 vars */) = 0',
                 "600   6.000800 +++ exited with 2 +++", "100   6.700000 +++ exited with 0 +++"]:
        recorder.feed(line)
    recorder.finish()
    [step] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (step["argv"], step["exit_code"]) == (["ls", "/missing"], 2)
    assert step["output"] == "ls: cannot access '/missing'\n"
