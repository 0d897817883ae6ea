"""Running an agent with every program it starts recorded: the host's half of command_recorder.py.

The recorder goes into the agent's container with the task's files (root-owned). The agent's
command runs under it, writing its steps file in a root-only folder; a second exec (root) follows
that file while the agent runs, so the trajectory grows as programs start and end (trajectory.LiveRun);
afterwards the file is copied out and the trajectory written in its final form, each program as an
`exec` step nested (`parent`) under the step of the agent's run.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Mapping

from .base import ExecResult, Sandbox

RECORDER = Path(__file__).with_name("command_recorder.py")
RECORDER_PATH = "/opt/agentbench/command_recorder.py"
STEPS_DIR = "/run/agentbench"  # root-only (0700): the agent cannot read or forge the steps files in it
STEPS_PATH = f"{STEPS_DIR}/steps.jsonl"


def recorder_file() -> tuple[Path, str, int, int]:
    """What to copy into the agent's container at start: (source, destination, owner, mode)."""
    return (RECORDER, RECORDER_PATH, 0, 0o644)


def recorder_command(user: str, steps: str = STEPS_PATH) -> list[str]:
    """The prefix that runs a command as `user` under the recorder (the exec itself runs as root)."""
    return ["python3", "-I", "-S", RECORDER_PATH, "--user", user, "--steps", steps, "--"]


def run_recorded(sandbox: Sandbox, command: list[str], *, user: str, env: Mapping[str, str], workdir: str,
                 kill_sandbox_after: float, on_output: Callable[[bytes], None] | None = None,
                 record_programs: bool = True,
                 model_steps: Callable[[], list[dict]] = list,
                 follow_models: Callable[[Callable[[dict], None]], None] | None = None) -> ExecResult:
    """Run `command` as `user` in `sandbox`, recording it and (with `record_programs`) every program it
    starts in the sandbox's trajectory as they happen, with the model's turns: `follow_models` is given
    the function to call with each turn as it ends, and `model_steps` gives them all once the run has
    ended. At `kill_sandbox_after` seconds the sandbox is killed, as with Sandbox.exec."""
    start = time.time()
    trajectory = sandbox.trajectory
    live = trajectory.live_run(" ".join(command), user=user, start=start) if trajectory is not None else None
    if live is not None and follow_models is not None:
        follow_models(live.model)
    if not record_programs:
        result = sandbox.exec(command, user=user, env=env, workdir=workdir,
                              kill_sandbox_after=kill_sandbox_after, on_output=on_output, record=False)
        steps = []
    else:
        steps_path = f"{STEPS_DIR}/steps-{uuid.uuid4().hex[:12]}.jsonl"  # this run's alone: followed from its start
        if live is not None:
            follow_steps(sandbox, steps_path, live.recorder_line)
        result = sandbox.exec([*recorder_command(user, steps_path), *command], user="root", env=env,
                              workdir=workdir, kill_sandbox_after=kill_sandbox_after, on_output=on_output,
                              record=False)
        steps = read_steps(sandbox, steps_path)
    if steps is None and result.exit_code in (126, 127):  # the image has no python3: run it unrecorded
        result = sandbox.exec(command, user=user, env=env, workdir=workdir,
                              kill_sandbox_after=kill_sandbox_after, on_output=on_output, record=False)
        steps = [{"unrecorded": "the agent image has no python3 to run the command recorder"}]
    if live is not None:
        live.close(exit_code=result.exit_code, output=result.output, timed_out=result.timed_out,
                   programs=steps or [], models=model_steps())
    return result


def follow_steps(sandbox: Sandbox, steps_path: str, line: Callable[[dict[str, Any]], None]) -> None:
    """Call `line` with each line of the recorder's steps file as it is written, from a thread running
    `command_recorder.py --follow` as root in the sandbox until the recorder's last line (or until the
    sandbox is killed). Only a live view: the run's record is the file copied out at its end.

    A dialog, not a plain exec: its stdout comes line by line as written, apart from its stderr, each
    line within the engine's bound; the steps are masked as they are written to the trajectory."""

    def parsed(text: bytes) -> None:
        try:
            value = json.loads(text)
        except ValueError:  # the lines come from the agent's container: data, never trusted
            return None
        if isinstance(value, dict):
            line(value)
        return None

    def follow() -> None:
        try:
            sandbox.exec_dialog(["python3", "-I", "-S", RECORDER_PATH, "--follow", steps_path], answer=parsed,
                                user="root")
        except Exception:  # noqa: BLE001 - no dialogs on this engine, or the sandbox went away: no live view
            pass

    threading.Thread(target=follow, name=f"steps-{sandbox.name}", daemon=True).start()


def read_steps(sandbox: Sandbox, steps_path: str = STEPS_PATH) -> list[dict] | None:
    """The recorder's steps (None when it never ran); a line cut short by a kill is skipped."""
    with tempfile.TemporaryDirectory() as tmp:
        if not sandbox.copy_out(steps_path, Path(tmp)):
            return None
        text = (Path(tmp) / Path(steps_path).name).read_text(encoding="utf-8", errors="replace")
    steps = []
    for line in text.splitlines():
        try:
            steps.append(json.loads(line))
        except ValueError:
            continue
    return steps
