import hashlib
import logging
import sys
from pathlib import Path

from common import grader, ran_program, run_as_agent
from scoring import Checkpoint, Result, bonus_for_completing_any_of_given_checkpoints

LIB = Path("/workspace/stats_lib")
# tests.py, not test_*.py: unittest discovers it, pytest (run on task_specs/) does not.
ORIGINAL_TESTS_SHA256 = "6ea9e6106a547054346e51a54dde5eee69fb3ca402b40d36ee4e6c7688a06580"

# Hidden cases, run in a child process so a hanging or crashing stats.py cannot stop the grader.
HIDDEN_CASES = r"""
from stats import median
data = [5, 3, 9, 1]
cases = [
    (median([7]), 7),
    (median([3, 1, 2]), 2),
    (median([10, 2, 8, 4]), 6),
    (median([-5, -1, -3]), -3),
    (median([1.5, 0.5, 2.5, 3.5]), 2.0),
    (median(data), 4),
]
assert all(got == want for got, want in cases), cases
assert data == [5, 3, 9, 1], "median modified its input"
try:
    median([])
except ValueError:
    pass
else:
    raise AssertionError("median([]) did not raise ValueError")
print("hidden median cases pass")
"""


# A test run: python -m unittest / pytest, pytest itself, or python tests.py (wrappers and bash -c aside).
TEST_RUN = (r"(\S*/)?(python[\d.]*( -\S+)* -m (unittest|pytest)\b|(pytest|py\.test)\b"
            r"|python[\d.]*( -\S+)* (\S*/)?tests\.py\b)")


@grader
def grade_checkpoint1(trajectory=""):
    """The agent ran the unit tests and they passed: a recorded test program that exited 0.
    Printed text ("Ran 3 tests ... OK") is not a run."""
    return ran_program(trajectory, TEST_RUN, exit_code=0, what="no passing run of the unit tests")


@grader
def grade_checkpoint2():
    tests = LIB / "tests.py"
    if hashlib.sha256(tests.read_bytes()).hexdigest() != ORIGINAL_TESTS_SHA256:
        logging.info("%s was changed", tests)
        return False
    code, output = run_as_agent([sys.executable, "-m", "unittest", "tests"], cwd=LIB, timeout=60)
    return code == 0


@grader
def grade_checkpoint3():
    code, output = run_as_agent([sys.executable, "-c", HIDDEN_CASES], cwd=LIB, timeout=60)
    return code == 0


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(1, int(grade_checkpoint1(trajectory))),
        Checkpoint(1, int(grade_checkpoint2())),
        Checkpoint(2, 2 * int(grade_checkpoint3())),
    ]
    # Passing the hidden cases shows the tests were run (checkpoint 1), not that tests.py was left alone.
    return Result(checkpoints, bonus_for_completing_any_of_given_checkpoints([3]))
