"""The run: its id, its folder and its options, made once by the controller and shared with workers."""

from __future__ import annotations

import errno
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .agents import Agent
from .sandbox.base import ContainerConfig

RUN_KEY = pytest.StashKey["RunState"]()
EXIT_CODE_KEY = pytest.StashKey[int]()  # the exit code a stopped run ends with
# The exit code of a run the host failed (a full disk, a run dir that cannot be written), apart from
# pytest's 1 (tasks failed) and 2 (interrupted): a CI job can tell "free space and resume" from those.
HOST_FAILURE = 6
HOST_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)  # the host's own failures, whichever write hit them


@dataclass
class RunState:
    run_id: str
    group: Path  # this run's folder in the run directory (created when the first item writes)
    agents_dir: Path
    agent: Agent | None = None
    container_config: ContainerConfig = field(default_factory=ContainerConfig)
    options: dict[str, Any] = field(default_factory=dict)  # data dir, pass bar, --time-limit...
    mode: str = "run"  # "run", "resume" (finish a run group) or "regrade" (grade saved outputs again)

    def to_workerinput(self) -> dict[str, Any]:
        """What an xdist worker needs to join this run (plain data: it crosses a process boundary)."""
        return {"run_id": self.run_id, "group": str(self.group)}


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def stop_run(session: pytest.Session, message: str, exit_code: int) -> None:
    """Stop the whole run once the item in progress ends, with `message` and `exit_code`. On an xdist
    worker, pytest-xdist carries shouldstop to the controller (which stops the other workers) and
    workeroutput carries the exit code (see plugin.pytest_testnodedown)."""
    session.shouldstop = message
    exit_code = int(exit_code)  # plain data: it crosses to the xdist controller
    session.config.stash[EXIT_CODE_KEY] = exit_code
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["agentbench_exit_code"] = exit_code


def host_failure(error: OSError, where: Path | str, group: Path) -> str:
    """One line naming what could not be written and why, and where the results so far are."""
    return (f"agentbench: cannot write {error.filename or where}: {error.strerror or error}. The run stopped; "
            f"results written so far are kept in {group} (pytest --resume {group} finishes it once the host "
            "is fixed)")


def stop_for_host_failure(session: pytest.Session, error: OSError, where: Path | str) -> str:
    """Stop the run for a failure of the host (see HOST_FAILURE); returns the message."""
    state = session.config.stash[RUN_KEY]
    message = host_failure(error, where, state.group)
    if not session.shouldstop:  # the first failure is the one to name
        stop_run(session, message, HOST_FAILURE)
    return message
