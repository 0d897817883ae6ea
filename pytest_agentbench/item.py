"""The body of every task item: by now the agent has run and been graded (in set-up); this asserts.

One item, one verdict: its checkpoints are properties of the item (JUnit <property>, the reports'
checkpoint column), and the failing ones are named in the item's one failure. Subtests would make
every checkpoint a test of its own, and the terminal, JUnit and pytest-html would each count them
differently from the items the summary counts."""

from __future__ import annotations

import pytest

from .grading.result import Checkpoint, Grade


def run_task(task_grade: Grade, agent_run, record_property) -> None:
    record_property("score", task_grade.score)
    record_property("checkpoints", f"{sum(c.passed for c in task_grade.checkpoints)}/{len(task_grade.checkpoints)}")
    record_property("points", f"{task_grade.points:g}/{task_grade.total:g}")
    for checkpoint in task_grade.checkpoints:
        record_property(f"checkpoint: {checkpoint.name}", checkpoint_line(checkpoint))
    missed = [c for c in task_grade.checkpoints if c.required and not c.passed]
    why = "; ".join(f"{c.name!r} {checkpoint_line(c)}" for c in missed)
    if agent_run.timed_out:
        pytest.fail(f"timed out: the agent was killed at its {agent_run.time_limit} s limit; {task_grade.summary}"
                    + (f"; failed checkpoints: {why}" if why else ""), pytrace=False)
    if missed or not task_grade.passed:
        pytest.fail(f"not passed: {task_grade.summary}{how_the_agent_ended(agent_run.exit_code)}"
                    + (f"; failed checkpoints: {why}" if why else ""), pytrace=False)


def checkpoint_line(checkpoint: Checkpoint) -> str:
    """A checkpoint in one line: its verdict, points and why."""
    verdict = ("passed" if checkpoint.passed else "failed" if checkpoint.required
               else "not reached (not required to pass)")
    return (f"{verdict}, {checkpoint.points:g}/{checkpoint.total:g} points"
            + (f": {checkpoint.message}" if checkpoint.message else ""))


def how_the_agent_ended(exit_code: int | None) -> str:
    """Why the agent may have done nothing, when it did not end well: a missing start script and a
    crashed agent look alike in the checkpoints alone."""
    if not exit_code:  # 0, or None: timed out, said elsewhere
        return ""
    why = {127: "start script not found (or a command it ran)",
           126: "start script not found or not runnable (or a command it ran)",
           137: "killed (SIGKILL), e.g. at its memory limit"}.get(exit_code)
    return f"; the agent exited with code {exit_code}" + (f": {why}" if why else "")
