"""The grader API, in one place: what a task's grade.py or evaluator imports.

    from pytest_agentbench.grading import InvalidSubmissionError, validate_frame   # a competition's grade.py
    from pytest_agentbench.grading import Checkpoint                               # a task's checkpoints

- ``InvalidSubmissionError``: raise it from ``grade()`` for a malformed submission (scored as no valid submission,
  the agent's fault); any other exception is the grader's fault and fails the item as an error.
- ``validate_frame(submission, answers, id_column)``: the harness's own submission checks (columns, ids, cells) on
  DataFrames; raises ``InvalidSubmissionError`` naming the first problems.
- ``Checkpoint(name, points, total=1, message="")``: one graded point of a task, earned out of total.

The submodules stay importable where they are; these names are the ones the docs promise to keep.
"""

from ..families.competition.submission_format import InvalidSubmissionError, validate_frame
from .result import Checkpoint, Grade

__all__ = ["Checkpoint", "Grade", "InvalidSubmissionError", "validate_frame"]
