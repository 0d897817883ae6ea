"""The body of every task item: by now the agent has run and been graded (in set-up); this asserts."""

from __future__ import annotations

import pytest

from .grading.result import Grade


def run_task(task_grade: Grade, agent_run, record_property, subtests) -> None:
    record_property("score", task_grade.score)
    record_property("checkpoints", f"{sum(c.passed for c in task_grade.checkpoints)}/{len(task_grade.checkpoints)}")
    record_property("points", f"{task_grade.points:g}/{task_grade.total:g}")
    for checkpoint in task_grade.checkpoints:
        with subtests.test(msg=checkpoint.name):
            why = (f"checkpoint {checkpoint.name!r}: {checkpoint.points:g}/{checkpoint.total:g} points"
                   + (f": {checkpoint.message}" if checkpoint.message else ""))
            if not checkpoint.required and not checkpoint.passed:
                pytest.xfail(f"not required to pass: {why}")  # shown as not reached, not as a failure
            assert checkpoint.passed, why
    if agent_run.timed_out:
        pytest.fail(f"the agent timed out: killed at its {agent_run.time_limit} s limit; {task_grade.summary}",
                    pytrace=False)
    if not task_grade.passed:
        pytest.fail(f"not passed: {task_grade.summary}{how_the_agent_ended(agent_run.exit_code)}", pytrace=False)


def how_the_agent_ended(exit_code: int | None) -> str:
    """Why the agent may have done nothing, when it did not end well: a missing start script and a
    crashed agent look alike in the checkpoints alone."""
    if not exit_code:  # 0, or None: timed out, said elsewhere
        return ""
    why = {127: "start script not found (or a command it ran)",
           126: "start script not found or not runnable (or a command it ran)",
           137: "killed (SIGKILL), e.g. at its memory limit"}.get(exit_code)
    return f"; the agent exited with code {exit_code}" + (f": {why}" if why else "")
