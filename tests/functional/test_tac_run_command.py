"""The evaluator helpers that run programs (run_command), on real child processes."""

import json
import logging
import sys

from pytest_agentbench.families.workplace.tac.common import (ran_command, run_command, trajectory_contains,
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
