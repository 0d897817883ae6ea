"""The command recorder's view of /proc, on real processes of this machine (the pure parsing is in
tests/unit/test_command_recorder.py; tests/integration/test_trajectory.py runs the recorder in a container)."""

from __future__ import annotations

import os
import subprocess

from pytest_agentbench.sandbox import command_recorder
from pytest_agentbench.sandbox.command_recorder import ProcView


def test_proc_shows_which_processes_hold_the_agents_output_and_how_much_each_wrote():
    read_end, write_end = os.pipe()
    view = ProcView(read_end)
    holder = subprocess.Popen(["sh", "-c", "read go; echo hi; read stop"], stdin=subprocess.PIPE, stdout=write_end)
    other = subprocess.Popen(["sleep", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        assert view.holds(holder.pid) is True and view.holds(other.pid) is False
        before = view.written(holder.pid, False)
        holder.stdin.write(b"go\n")
        holder.stdin.flush()
        assert os.read(read_end, 100) == b"hi\n"
        assert view.written(holder.pid, False) == before + 3 and view.written(other.pid, False) == 0
    finally:
        holder.kill()
        other.kill()
        holder.wait()
        other.wait()
        os.close(read_end)
    assert view.holds(holder.pid) is None and view.written(holder.pid, False) is None  # gone: cannot tell


def test_argv_is_read_from_proc_while_the_program_is_stopped_long_arguments_marked(monkeypatch):
    monkeypatch.setattr(command_recorder, "ARG_MAX_CHARS", 30)
    wait = "echo ready; read line"
    program = subprocess.Popen(["sh", "-c", wait, "café", "a" * 40, "two\nlines", ""], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
    try:
        assert program.stdout.readline() == b"ready\n"  # running (right after a vfork its argv can still be unset)
        argv = command_recorder._argv(command_recorder._cmdline(program.pid))
        assert argv == ["sh", "-c", wait, "café", "a" * 30 + "...", "two\nlines", ""]
    finally:
        program.kill()
        program.wait()
    assert command_recorder._cmdline(program.pid) == b""  # gone: nothing to record


def test_follow_passes_the_steps_file_on_line_by_line_from_before_it_exists_to_its_last_line(tmp_path):
    # The harness's live view of the steps file (sandbox/recording.py runs this as root in the container).
    steps = tmp_path / "steps.jsonl"
    follower = subprocess.Popen(["python3", "-I", "-S", command_recorder.__file__, "--follow", str(steps)],
                                stdout=subprocess.PIPE)
    try:
        with steps.open("w") as f:
            f.write('{"started": 1}\n{"id": 1, "output": "hal')  # the recorder mid-line
            f.flush()
            assert follower.stdout.readline() == b'{"started": 1}\n'
            f.write('f"}\n{"done": true}\n{"after": 1}\n')
        out, _ = follower.communicate(timeout=60)
    finally:
        follower.kill()
    assert out == b'{"id": 1, "output": "half"}\n{"done": true}\n' and follower.returncode == 0
