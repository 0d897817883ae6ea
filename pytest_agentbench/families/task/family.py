"""The generic task family (`kind: task`): files in, outputs out, a Python grader on the host."""

from __future__ import annotations

import inspect
import math
import numbers
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from ...files import StrictModel
from ...grading.result import Checkpoint, Grade, GraderError
from ...grading.isolated import run_isolated
from ...taskcode import load_function
from ..base import AGENT_UID, CopyIn, Family, TaskContext, grader_limits


class FileCopy(StrictModel):
    src: str = Field(description="path relative to the task folder: a file or a folder")
    dest: str = Field(pattern=r"^/", description="absolute path in the container")
    writable: bool = False  # owned by the agent's user instead of root


class TaskFields(StrictModel):
    description: str | None = Field(default=None, description="instructions, written to /home/instructions.txt")
    files: list[FileCopy] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    outputs: list[str] = Field(default_factory=lambda: ["/home/submission", "/home/logs", "/home/code"])
    grader: str = Field(pattern=r"^[^:]+\.py:[A-Za-z_][A-Za-z0-9_]*$",
                        description="'file.py:function' in the task folder, run on the host")
    solution: str | None = Field(default=None, description="reference solution file, for the oracle agent")
    allow_internet: bool = True

    @field_validator("outputs")
    @classmethod
    def _distinct_names(cls, outputs: list[str]) -> list[str]:
        names = [o.rstrip("/").rsplit("/", 1)[-1] for o in outputs]
        if any(not o.startswith("/") for o in outputs) or len(set(names)) != len(names):
            raise ValueError("outputs must be absolute container paths with distinct last components")
        return outputs


class TaskFamily(Family):
    name = "task"
    fields = TaskFields

    def agent_files(self, ctx: TaskContext) -> list[CopyIn]:
        d: TaskFields = ctx.spec.details
        return [CopyIn(ctx.spec.folder / f.src, f.dest, uid=AGENT_UID if f.writable else 0) for f in d.files]

    def agent_env(self, ctx: TaskContext) -> dict[str, str]:
        return dict(ctx.spec.details.env)

    def allows_internet(self, ctx: TaskContext) -> bool:
        return ctx.spec.details.allow_internet

    def outputs(self, ctx: TaskContext) -> list[str]:
        return list(ctx.spec.details.outputs)

    def solution_files(self, ctx: TaskContext) -> list[CopyIn]:
        solution = ctx.spec.details.solution
        if not solution:
            return []
        src = ctx.spec.folder / solution
        return [CopyIn(src, f"/home/agent/solution/{src.name}", uid=AGENT_UID)]

    def grade(self, ctx: TaskContext) -> Grade:
        d: TaskFields = ctx.spec.details
        offered = {"outputs": ctx.item_dir, "task_dir": ctx.spec.folder, "spec": ctx.spec,
                   "trajectory": ctx.trajectory_path}
        found = run_isolated(f"grader {d.grader} of {ctx.spec.path}", call_grader, ctx.spec.folder, d.grader,
                             offered, limits=grader_limits(ctx), log_path=ctx.item_dir / "grader.log")
        checkpoints = [Checkpoint(**c) for c in found]
        total = sum(c.total for c in checkpoints)
        score = sum(c.points for c in checkpoints) / total
        passed = all(c.passed for c in checkpoints)
        done = sum(c.passed for c in checkpoints)
        return Grade(checkpoints, score=score, passed=passed, summary=f"{done}/{len(checkpoints)} checkpoints")


# --- in the grader's own process (grading/isolated.py) ---------------------------------------------

def call_grader(folder: Path, ref: str, offered: dict[str, Any]) -> list[dict]:
    """Load the task's grader, call it with the arguments it names, and check what it returned."""
    try:
        grader = load_function(folder, ref)
    except Exception as e:  # a grader that cannot even be loaded is the task's fault, not the agent's
        raise GraderError(f"cannot be loaded: {type(e).__name__}: {e}") from e
    wanted = inspect.signature(grader).parameters
    return checkpoints_of(grader(**{k: v for k, v in offered.items() if k in wanted}))


EXPECTED = "expected a non-empty list of Checkpoint (or of dicts with name, points, total)"


def checkpoints_of(value: Any) -> list[dict]:
    """A grader's return value as checkpoints (plain dicts), or GraderError saying what was wrong: an
    empty list would make the agent fail 0/0 checkpoints for the grader's fault."""
    if not isinstance(value, (list, tuple)) or not value:
        raise GraderError(f"returned {_shown(value)}; {EXPECTED}")
    try:
        from numpy import bool_ as np_bool  # a comparison of numpy values is one of these, not a bool
    except ImportError:  # pragma: no cover - numpy comes with pandas
        np_bool = bool
    found = []
    for i, c in enumerate(value):
        if isinstance(c, Checkpoint):
            c = asdict(c)
        if not isinstance(c, dict):
            raise GraderError(f"returned a list whose item {i} is {_shown(c)}; {EXPECTED}")
        try:
            c = asdict(Checkpoint(**c))
        except TypeError as e:
            raise GraderError(f"checkpoint {i} ({_shown(c)}): {e}; {EXPECTED}") from None
        for k in ("points", "total"):  # numpy's numbers and bools (passed or not) too, as plain numbers
            if isinstance(c[k], (numbers.Real, bool, np_bool)):
                c[k] = int(c[k]) if isinstance(c[k], (numbers.Integral, bool, np_bool)) else float(c[k])
        if not isinstance(c["name"], str) or not isinstance(c["message"], str) or not all(
                isinstance(c[k], (int, float)) and math.isfinite(c[k])
                for k in ("points", "total")) or not 0 <= c["points"] <= c["total"] or c["total"] <= 0:
            raise GraderError(f"checkpoint {i} ({_shown(c)}): expected a name and a message (text), "
                              f"total > 0 and 0 <= points <= total")
        found.append(c)
    return found


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
