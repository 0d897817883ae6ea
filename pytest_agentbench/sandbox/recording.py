"""Running an agent with every program it starts recorded: the host's half of command_recorder.py.

The recorder goes into the agent's container with the task's files (root-owned). The agent's
command runs under it; afterwards its steps file is copied out and added to the trajectory, each
program as an `exec` step nested (`parent`) under the step of the agent's run.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Callable, Mapping

from .base import ExecResult, Sandbox

RECORDER = Path(__file__).with_name("command_recorder.py")
RECORDER_PATH = "/opt/agentbench/command_recorder.py"
STEPS_PATH = "/run/agentbench/steps.jsonl"  # in a root-only folder: the agent cannot read or forge it


def recorder_file() -> tuple[Path, str, int, int]:
    """What to copy into the agent's container at start: (source, destination, owner, mode)."""
    return (RECORDER, RECORDER_PATH, 0, 0o644)


def recorder_command(user: str) -> list[str]:
    """The prefix that runs a command as `user` under the recorder (the exec itself runs as root)."""
    return ["python3", "-I", "-S", RECORDER_PATH, "--user", user, "--steps", STEPS_PATH, "--"]


def run_recorded(sandbox: Sandbox, command: list[str], *, user: str, env: Mapping[str, str], workdir: str,
                 kill_sandbox_after: float, on_output: Callable[[bytes], None] | None = None,
                 record_programs: bool = True,
                 model_steps: Callable[[], list[dict]] = list) -> ExecResult:
    """Run `command` as `user` in `sandbox`, recording it and (with `record_programs`) every program it
    starts in the sandbox's trajectory, with the model's turns `model_steps` gives once it has ended.
    At `kill_sandbox_after` seconds the sandbox is killed, as with Sandbox.exec."""
    start = time.time()
    if not record_programs:
        result = sandbox.exec(command, user=user, env=env, workdir=workdir,
                              kill_sandbox_after=kill_sandbox_after, on_output=on_output, record=False)
        steps = []
    else:
        result = sandbox.exec([*recorder_command(user), *command], user="root", env=env, workdir=workdir,
                              kill_sandbox_after=kill_sandbox_after, on_output=on_output, record=False)
        steps = read_steps(sandbox)
    if steps is None and result.exit_code in (126, 127):  # the image has no python3: run it unrecorded
        result = sandbox.exec(command, user=user, env=env, workdir=workdir,
                              kill_sandbox_after=kill_sandbox_after, on_output=on_output, record=False)
        steps = [{"unrecorded": "the agent image has no python3 to run the command recorder"}]
    trajectory = sandbox.trajectory
    if trajectory is not None:
        run = trajectory.exec(" ".join(command), user=user, start=start, exit_code=result.exit_code,
                              output=result.output, timed_out=result.timed_out)
        trajectory.programs(steps or [], under=run["step"], user=user, models=model_steps())
    return result


def read_steps(sandbox: Sandbox) -> list[dict] | None:
    """The recorder's steps (None when it never ran); a line cut short by a kill is skipped."""
    with tempfile.TemporaryDirectory() as tmp:
        if not sandbox.copy_out(STEPS_PATH, Path(tmp)):
            return None
        text = (Path(tmp) / Path(STEPS_PATH).name).read_text(encoding="utf-8", errors="replace")
    steps = []
    for line in text.splitlines():
        try:
            steps.append(json.loads(line))
        except ValueError:
            continue
    return steps
