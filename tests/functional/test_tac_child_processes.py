"""The evaluator helpers that run code in child processes (run_command, call_in_child), on real ones."""

import json
import logging
import sys

import pytest

from pytest_agentbench.families.workplace.tac.common import (AnswerError, call_in_child, outcome_text, raised,
                                                           ran_command, run_command, trajectory_contains,
                                                           trajectory_matches)


def test_run_command_returns_exit_code_and_both_streams(tmp_path):
    code, output = run_command([sys.executable, "-c", "import sys; print('out'); sys.exit('err')"], cwd=tmp_path)
    assert code == 1 and "out" in output and "err" in output


def test_run_command_reports_a_time_out():
    code, output = run_command([sys.executable, "-c", "import time; print('started', flush=True); time.sleep(30)"],
                               timeout=1)
    assert code == -1 and "timed out" in output


def test_helpers_log_what_they_did_not_find_as_the_checkpoints_reason(caplog):
    trajectory = json.dumps({"kind": "exec", "command": "ls /workspace", "output": "data.csv"}) + "\n"
    with caplog.at_level(logging.INFO, logger="tac"):
        assert not trajectory_contains(trajectory, "region,revenue")
        assert not trajectory_matches(trajectory, r"Ran \d+ tests")
        assert not ran_command(trajectory, r"unittest")
        assert run_command([sys.executable, "-c", "import sys\nsys.exit('2 tests failed')"])[0] == 1
        assert trajectory_contains(trajectory, "data.csv")  # found: nothing to explain
    assert caplog.messages == [
        "the trajectory does not contain 'region,revenue'",
        "nothing in the trajectory matches 'Ran \\\\d+ tests'",
        "no command the agent ran matches 'unittest'",
        f"{sys.executable} -c <script> exited 1: 2 tests failed",
    ]


def test_call_in_child_tells_exceptions_by_their_classes(tmp_path):
    (tmp_path / "durations.py").write_text(
        "class DurationError(ValueError):\n    pass\n\n"
        "def parse(text):\n    print('chatter', end='')\n"
        "    if text == 'bad':\n        raise DurationError(text)\n"
        "    if text == 'key':\n        raise KeyError(text)\n    return len(text)\n")
    ok, sub, other = call_in_child(tmp_path, "durations", "parse", [["1h"], ["bad"], ["key"]])
    assert ok == {"returned": 2}
    assert raised(sub, ValueError) and raised(sub, Exception)
    assert outcome_text(sub) == "raised DurationError (a ValueError)"
    assert not raised(other, ValueError) and outcome_text(other) == "raised KeyError (a LookupError)"
    assert not raised(ok, ValueError)


def test_call_in_child_turns_a_crash_into_an_answer_error(tmp_path):
    (tmp_path / "m.py").write_text("import sys\ndef f(x):\n    sys.exit(3)\n")
    with pytest.raises(AnswerError, match=r"calling m.f failed \(exit 3\)"):
        call_in_child(tmp_path, "m", "f", [[1]])
