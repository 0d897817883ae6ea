"""Checkpoints, scoring strategies and the headline score, as TheAgentCompany defines them.

An evaluator returns ``Result([Checkpoint(total, result), ...], strategy)``. A checkpoint is worth
``total`` points and earned ``result`` of them. The strategy turns the checkpoints into the task's
final ``{"total", "result"}``; without one it is the plain sum. The headline score of a task is
``0.5 * result / total + 0.5 * (result // total)``: half for partial credit, half for finishing.

Standard library only: this module also runs in the grader container as ``scoring``, with
grading/result.py beside it as ``checkpoint`` (CHECKPOINT_MODULE).
"""

from __future__ import annotations

from typing import Callable, Iterable

try:  # on the host: the plugin's one checkpoint
    from pytest_agentbench.grading.result import Checkpoint as _Checkpoint
except ImportError:  # in the grader container, where the workplace family puts that module beside this one
    from checkpoint import Checkpoint as _Checkpoint

CHECKPOINT_MODULE = "checkpoint.py"  # grading/result.py's name in the grader container's tac/ folder
Strategy = Callable[[list["Checkpoint"]], dict[str, int]]


class Checkpoint(_Checkpoint):
    """A checkpoint as TAC's evaluators write it: ``Checkpoint(total, result)`` (the argument order of
    TheAgentCompany's own class), ``result`` points earned out of ``total``, whole numbers,
    ``0 <= result <= total``. Underneath it is the plugin's one checkpoint (grading/result.py):
    ``result`` is its ``points``, ``complete`` its ``passed``."""

    def __init__(self, total: int, result: int):
        total, result = _points("total", total), _points("result", result)
        if result > total:
            raise ValueError(f"Checkpoint result {result} is more than its total {total}")
        super().__init__(name="", points=result, total=total)

    @property
    def result(self) -> int:
        return self.points

    @result.setter
    def result(self, value: int) -> None:  # TAC's class is a plain object: an evaluator may set it
        self.points = _points("result", value)

    @property
    def complete(self) -> bool:
        return self.passed

    def to_dict(self) -> dict[str, int]:
        return {"total": self.total, "result": self.result}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Checkpoint) and (self.total, self.result) == (other.total, other.result)

    __hash__ = None  # as TAC's: equal by value, so not hashable

    def __repr__(self) -> str:
        return f"Checkpoint(total={self.total}, result={self.result})"


def _points(name: str, value: object) -> int:
    # bool is accepted because evaluators often write Checkpoint(1, passed); JSON wants 0/1.
    if not isinstance(value, int):
        raise TypeError(f"Checkpoint {name} must be an int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"Checkpoint {name} must not be negative, got {value}")
    return int(value)


def plain_sum(checkpoints: list[Checkpoint]) -> dict[str, int]:
    """The default: every point earned counts once."""
    return {"total": _total(checkpoints), "result": sum(c.result for c in checkpoints)}


def bonus_for_completing_final(checkpoints: list[Checkpoint]) -> dict[str, int]:
    """Full marks for the whole task when the last checkpoint is complete."""
    if checkpoints and checkpoints[-1].complete:
        return {"total": _total(checkpoints), "result": _total(checkpoints)}
    return plain_sum(checkpoints)


def bonus_for_completing_any(checkpoints: list[Checkpoint]) -> dict[str, int]:
    """Full points for the *first* checkpoint when any checkpoint is complete.

    TAC's reason: the first checkpoint often greps the trajectory for a step that every later
    checkpoint depends on, so a later success proves the step even when the trajectory lacks it.
    """
    return _first_counts_when(checkpoints, checkpoints)


def bonus_for_completing_any_of_given_checkpoints(given_checkpoints: Iterable[int]) -> Strategy:
    """Like ``bonus_for_completing_any``, but only the given checkpoints (numbered from 1) count."""
    numbers = list(given_checkpoints)
    if any(not isinstance(n, int) or n < 1 for n in numbers):
        raise ValueError(f"given_checkpoints are numbered from 1, got {numbers}")

    def strategy(checkpoints: list[Checkpoint]) -> dict[str, int]:
        if max(numbers, default=0) > len(checkpoints):
            raise ValueError(f"given_checkpoints {numbers} name a checkpoint beyond the {len(checkpoints)} there are")
        return _first_counts_when([checkpoints[n - 1] for n in numbers], checkpoints)

    return strategy


def _first_counts_when(deciding: list[Checkpoint], checkpoints: list[Checkpoint]) -> dict[str, int]:
    if checkpoints and any(c.complete for c in deciding):
        earned = checkpoints[0].total + sum(c.result for c in checkpoints[1:])
        return {"total": _total(checkpoints), "result": earned}
    return plain_sum(checkpoints)


def _total(checkpoints: list[Checkpoint]) -> int:
    return sum(c.total for c in checkpoints)


class Result:
    """What ``grade_checkpoints`` returns: the checkpoints and how to total them."""

    def __init__(self, checkpoints: list[Checkpoint], scoring_strategy: Strategy | None = None):
        # The caller's list itself, not a copy: TAC evaluators create the Result first and append
        # checkpoints to the list afterwards.
        self.checkpoints = checkpoints
        self.scoring_strategy = scoring_strategy or plain_sum

    @classmethod
    def from_dict(cls, data: dict, scoring_strategy: Strategy | None = None) -> "Result":
        """A Result from TAC's result JSON (``{"checkpoints": [{"total", "result"}, ...]}``)."""
        if not isinstance(data, dict):
            raise TypeError(f"Result.from_dict needs a dict, got {type(data).__name__}")
        if "checkpoints" not in data:
            raise KeyError("Result.from_dict needs a 'checkpoints' field")
        return cls([Checkpoint(**c) for c in data["checkpoints"]], scoring_strategy)

    @property
    def final_score(self) -> dict[str, int]:
        return self.scoring_strategy(self.checkpoints)

    @property
    def score(self) -> float:
        final = self.final_score
        return headline_score(final["total"], final["result"])

    def to_dict(self) -> dict:
        """TAC's result JSON: ``{"checkpoints": [{"total", "result"}, ...], "final_score": {...}}``."""
        return {"checkpoints": [c.to_dict() for c in self.checkpoints], "final_score": self.final_score}

    def __repr__(self) -> str:
        return f"Result({self.checkpoints!r}, final_score={self.final_score})"


def headline_score(total: int, result: int) -> float:
    """TAC's per-task score in [0, 1]: half partial credit, half full completion (0 for no points)."""
    if total <= 0:
        return 0.0
    return 0.5 * (result / total) + 0.5 * (result // total)
