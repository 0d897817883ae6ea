"""What a `task` grader may return: checkpoints, checked (families/task.py checkpoints_of)."""

import fnmatch

import numpy as np
import pytest

from pytest_agentbench.families.task.family import checkpoints_of
from pytest_agentbench.grading.result import Checkpoint, GraderError


def test_checkpoints_numpy_numbers_and_bools_are_plain_checkpoints():
    found = checkpoints_of([Checkpoint("a", np.int64(2), total=np.float64(3.0)), {"name": "b", "points": True},
                            {"name": "c", "points": np.bool_(False), "message": "why"}])
    assert found == [{"name": "a", "points": 2, "total": 3.0, "message": "", "required": True},
                     {"name": "b", "points": 1, "total": 1, "message": "", "required": True},
                     {"name": "c", "points": 0, "total": 1, "message": "why", "required": True}]
    assert all(type(c["points"]) is int for c in found)  # JSON-safe, picklable without numpy


@pytest.mark.parametrize("value, says", [
    (None, "returned None; expected a non-empty list of Checkpoint"),
    ([], "returned []; expected a non-empty list"),
    ({"name": "a", "points": 1}, "returned {'name': 'a', 'points': 1}; expected a non-empty list"),
    (["passed"], "returned a list whose item 0 is 'passed'"),
    ([{"name": "a", "score": 1}], "checkpoint 0 ({'name': 'a', 'score': 1}): Checkpoint.__init__() got an unexpected"),
    ([{"name": "a", "points": 2, "total": 1}], "checkpoint 0 (*): expected * 0 <= points <= total"),
    ([{"name": "a", "points": 0, "total": 0}], "total > 0"),
    ([{"name": "a", "points": float("nan")}], "total > 0 and 0 <= points <= total"),
    ([{"name": "a", "points": "1"}], "total > 0 and 0 <= points <= total"),
    ([{"name": 3, "points": 1}], "expected a name and a message (text)"),
])
def test_anything_else_is_a_grader_error_saying_what_was_expected(value, says):
    with pytest.raises(GraderError) as e:
        checkpoints_of(value)
    assert fnmatch.fnmatch(str(e.value), f"*{says}*"), str(e.value)
