"""What grading produces, whatever the task family: checkpoints with points, a score, a verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Checkpoint:
    name: str
    points: float  # earned
    total: float = 1
    message: str = ""  # why it passed or failed, for people reading the report
    required: bool = True  # False: shown, but the item's verdict does not hang on it (e.g. beyond --pass-on)

    @property
    def passed(self) -> bool:
        return self.points >= self.total

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


@dataclass
class Grade:
    checkpoints: list[Checkpoint]
    score: float | None  # the family's headline score (a metric, or partial credit in [0, 1])
    passed: bool  # the family's bar for the item to pass
    summary: str = ""  # one line: why it passed or not
    details: dict[str, Any] = field(default_factory=dict)  # family-specific report (JSON-safe)
    # What `score` measures, for people comparing scores: a metric's name and its direction (None: the
    # family's partial credit, higher is better).
    metric: str | None = None
    lower_is_better: bool | None = None

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checkpoints)

    @property
    def total(self) -> float:
        return sum(c.total for c in self.checkpoints)

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "passed": self.passed, "summary": self.summary, "points": self.points,
                "total": self.total, "checkpoints": [c.to_dict() for c in self.checkpoints],
                "details": self.details, "metric": self.metric, "lower_is_better": self.lower_is_better}


class GraderError(Exception):
    """The grader itself failed (not the agent): shown as an error, apart from the agent's failures."""
