"""The in-container command recorder's reading of its tracer's report (one line per fork, exec and
exit: command_recorder._trace) and its attribution of the agent's output to programs;
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
    """Feed report lines (str) and chunks of output ((bytes, written after, read at[, read began])) in order, each
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


ROOT_START = ['exec 1.000000 100 1 ["bash", "/home/agent/start.sh"]']


def test_each_program_is_a_step_with_its_command_output_time_and_exit_code():
    steps, recorder = record([
        *ROOT_START,
        (b"agent says hi\n", 1.001, 1.0025),
        "fork 1.010000 100 101 0",
        'exec 1.011000 101 - ["ls", "-la", "/work space"]',
        (b'a) = 5 "x"\n', 1.0025, 1.0121),
        (b"warn\n", 1.0121, 1.0131),
        "exit 1.014000 101 2",
        "exit 1.020000 100 0",
    ])
    assert steps == [{"id": 1, "parent": None, "pid": 101, "start": 1.011, "end": 1.014,
                      "argv": ["ls", "-la", "/work space"], "exit_code": 2, "output": 'a) = 5 "x"\nwarn\n'}]
    assert recorder.agent_exit == 0  # the agent's own process is the run, not a step


def test_nesting_and_a_child_that_runs_before_its_fork_is_reported():
    steps, _ = record([
        *ROOT_START,
        "fork 2.000000 100 200 0",
        'exec 2.001000 200 - ["python3", "agent.py"]',
        'exec 2.003000 201 - ["sh", "-c", "echo inner; exit 4"]',  # the tracer saw it before its parent's fork
        "fork 2.002000 200 201 0",
        (b"inner\n", 2.0025, 2.0052),  # written before sh's exit was reported: sh's, the innermost
        "exit 2.006000 201 4",
        (b"done\n", 2.0062, 2.0072),  # sh had ended: its parent's
        "exit 2.008000 200 137",
        "exit 2.009000 100 137",
    ])
    inner, agent = steps  # written as each ends; ids in the order they started
    assert (inner["id"], inner["parent"], inner["argv"], inner["exit_code"]) == \
        (2, 1, ["sh", "-c", "echo inner; exit 4"], 4)
    assert inner["output"] == "inner\n"
    assert (agent["id"], agent["parent"], agent["exit_code"]) == (1, None, 128 + 9)
    assert agent["output"] == "inner\ndone\n"  # what its whole process tree printed, in time order


TWO_AT_ONCE = [  # `server &` then a foreground `sleep`; a line arrives while both run
    *ROOT_START,
    "fork 3.000000 100 300 0",
    'exec 3.001000 300 - ["python3", "server.py"]',
    "fork 3.002000 100 301 0",
    'exec 3.003000 301 - ["sleep", "5"]',
    (b"serving\n", 3.5, 3.6),
    "exit 8.000000 301 0",
    "exit 9.000000 300 143",
    "exit 9.001000 100 0",
]


def test_output_while_two_programs_run_goes_to_the_one_that_started_both_unless_proc_tells_them_apart():
    steps, _ = record(TWO_AT_ONCE)  # nothing known of the two: it could be either's
    assert {s["argv"][0]: s["output"] for s in steps} == {"sleep": "", "python3": ""}
    # The foreground program's stdout and stderr are not the agent's output (`sleep 5 >/dev/null 2>&1`).
    steps, _ = record(TWO_AT_ONCE, view=Seen(holds={300: True, 301: False}))
    assert {s["argv"][0]: s["output"] for s in steps} == {"sleep": "", "python3": "serving\n"}
    # Both hold it, but the foreground one has written nothing since it started (a count of 0 is
    # never having written; the server's count, first seen at 3.7, may have moved in the chunk's window).
    steps, _ = record(TWO_AT_ONCE, view=Seen(written={300: [8], 301: [0]}), clock=lambda: 3.7)
    assert {s["argv"][0]: s["output"] for s in steps} == {"sleep": "", "python3": "serving\n"}


def test_output_while_a_program_runs_threads_is_the_programs():
    steps, _ = record([
        *ROOT_START,
        "fork 4.000000 100 400 0",
        'exec 4.001000 400 - ["python3", "train.py"]',
        "fork 4.002000 400 401 1",  # a thread
        "fork 4.003000 400 402 0",
        'exec 4.004000 402 - ["nvidia-smi"]',
        (b"GPU 0\n", 4.004, 4.005),
        "exit 4.006000 402 0",
        (b"epoch 1\n", 4.0065, 4.007),
        "exit 4.008000 401 0",
        "exit 4.009000 400 0",
        "exit 4.010000 100 0",
    ])
    assert {s["argv"][0]: s["output"] for s in steps} == {"nvidia-smi": "GPU 0\n", "python3": "GPU 0\nepoch 1\n"}


def test_output_read_late_is_not_given_to_a_program_that_ended_before_the_pipe_was_found_empty():
    # The recorder last looked at the pipe at 7.2, during a silent `sleep 0.3`; `cut` started after
    # it ended and printed. The tracer found the pipe empty just after sleep's exit (7.30001):
    # the chunk, read from 7.3049 on, was written after sleep had ended.
    events = [*ROOT_START,
              "fork 7.000000 100 700 0", 'exec 7.001000 700 1 ["sleep", "0.3"]',
              "exit 7.300000 700 0 7.300010",
              "fork 7.301000 100 701 0", 'exec 7.302000 701 1 ["cut", "-f3", "stat"]', "exit 7.304000 701 0 -",
              (b"T\n", 7.2, 7.305, 7.3049),
              "exit 7.400000 100 0 -"]
    steps, _ = record(events)
    assert {s["argv"][0]: s["output"] for s in steps} == {"sleep": "", "cut": "T\n"}
    # Not found empty: either could have printed it, and the agent's own process started both.
    events[4] = "exit 7.300000 700 0 -"
    steps, _ = record(events)
    assert {s["argv"][0]: s["output"] for s in steps} == {"sleep": "", "cut": ""}


def test_a_step_is_written_only_once_the_output_it_may_have_written_is_attributed():
    out = io.StringIO()
    recorder = Recorder(out)
    for line in [*ROOT_START, "fork 5.000000 100 500 0", 'exec 5.001000 500 - ["echo", "hi"]']:
        recorder.feed(line)
    recorder.output(b"hi\n", 5.0005, 5.0030)  # read before strace reported echo's exit
    recorder.feed("exit 5.002000 500 0")
    recorder.settle(5.0031, report_quiet=True, empty_since=5.0030)
    assert out.getvalue() == ""  # the report has not reached the chunk's time: others may have written it
    recorder.settle(5.0030 + command_recorder.SETTLE_AFTER + 1e-6, report_quiet=True, empty_since=5.3)
    [step] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert step["argv"] == ["echo", "hi"] and step["output"] == "hi\n"


def test_a_reused_pid_is_a_new_process_and_programs_left_running_have_no_end():
    steps, _ = record([
        *ROOT_START,
        "fork 3.000000 100 300 0",
        'exec 3.001000 300 - ["true"]',
        "exit 3.002000 300 0",
        'exec 3.004000 300 - ["sleep", "600"]',  # seen before its fork
        "fork 3.003000 100 300 0",
        "exit 3.005000 100 0",
    ])
    assert [(s["argv"], s["end"], s["exit_code"]) for s in steps] == \
        [(["true"], 3.002, 0), (["sleep", "600"], None, None)]


def test_a_report_line_with_an_odd_argv_or_a_thread_keeps_its_fields():
    steps, _ = record([
        *ROOT_START,
        "fork 4.000000 100 400 0",
        "fork 4.000100 100 401 1",  # a thread of the agent's process: never a step, never a writer
        'exec 4.001000 400 0 ["echo", "a b", "x\\"y", ""]',
        "exit 4.002000 400 0",
        "exit 4.003000 401 0",
    ])
    assert [s["argv"] for s in steps] == [["echo", "a b", 'x"y', ""]]


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
    # Under load the tracer's report of a program can come half a second after the program's output:
    # the output must still be the program's, not fall to the agent's own step.
    out = io.StringIO()
    recorder = Recorder(out)
    for line in ROOT_START:
        recorder.feed(line)
    recorder.output(b"ls: cannot access '/missing'\n", 6.0, 6.001)
    recorder.settle(6.5, report_quiet=True, empty_since=6.001)  # the report is quiet, but not for long
    for line in ["fork 6.000000 100 600 0", 'exec 6.000500 600 - ["ls", "/missing"]',
                 "exit 6.000800 600 2", "exit 6.700000 100 0"]:
        recorder.feed(line)
    recorder.finish()
    [step] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (step["argv"], step["exit_code"]) == (["ls", "/missing"], 2)
    assert step["output"] == "ls: cannot access '/missing'\n"


def test_programs_are_forgotten_once_their_steps_are_written_and_outputs_still_add_up():
    # An agent that runs programs for hours: what the recorder keeps must not grow with them.
    out = io.StringIO()
    recorder = Recorder(out)
    for line in ROOT_START:
        recorder.feed(line)
    for i in range(1000):
        t = 10.0 + i / 100
        for line in [f"fork {t:.6f} 100 {1000 + i} 0", f'exec {t + 0.001:.6f} {1000 + i} 1 ["python3", "job.py"]',
                     f"fork {t + 0.002:.6f} {1000 + i} {5000 + i} 0", f'exec {t + 0.003:.6f} {5000 + i} 1 ["echo"]']:
            recorder.feed(line)
        recorder.output(f"job {i}\n".encode(), t + 0.0035, t + 0.004)
        recorder.feed(f"exit {t + 0.005:.6f} {5000 + i} 0")
        recorder.feed(f"exit {t + 0.006:.6f} {1000 + i} 0")
        recorder.settle(t + 0.007, report_quiet=False, empty_since=t + 0.007)
    steps = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(steps) == 2000
    assert steps[-2:] == [
        {"id": 2000, "parent": 1999, "pid": 5999, "start": 19.993, "end": 19.995, "argv": ["echo"], "exit_code": 0,
         "output": "job 999\n"},
        {"id": 1999, "parent": None, "pid": 1999, "start": 19.991, "end": 19.996, "argv": ["python3", "job.py"],
         "exit_code": 0, "output": "job 999\n"}]  # what the program it started printed is its output too
    assert list(recorder.procs) == [100] and recorder.root.children == [] and not recorder.dead


def test_with_starts_each_program_is_also_a_line_as_it_starts_naming_its_parent():
    out = io.StringIO()
    recorder = Recorder(out, starts=True)  # as run() makes it: the harness follows the file live
    for line in [*ROOT_START, "fork 2.000000 100 200 0", 'exec 2.001000 200 - ["python3", "agent.py"]',
                 "fork 2.002000 200 201 0", 'exec 2.003000 201 - ["ls", "-l"]']:
        recorder.feed(line)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [
        {"started": 1, "parent": None, "pid": 200, "start": 2.001, "argv": ["python3", "agent.py"]},
        {"started": 2, "parent": 1, "pid": 201, "start": 2.003, "argv": ["ls", "-l"]}]
