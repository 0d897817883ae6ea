"""The trajectory: every step an agent took, in one format whatever the agent.

A trajectory file is JSON Lines, one step per line, numbered from 1 in file order:

    {"step": 1, "kind": "exec", "start": 1732380000.12, "end": 1732380031.50,
     "command": "bash /home/agent/start.sh", "user": "nonroot", "exit_code": 0, "output": "...",
     "timed_out": false}
    {"step": 2, "kind": "exec", "start": 1732380001.02, "end": 1732380001.31,
     "command": "python3 -m pytest -q", "user": "nonroot", "exit_code": 1, "output": "...",
     "parent": 1, "pid": 57}

`kind` is "exec" (a program run in the task's sandbox; `output` is its stdout and stderr
interleaved, clipped to its first and last 100,000 characters), "model" (one call of the agent to a
model through the gateway: `model`, `endpoint`, `input` the messages the model had not seen before,
`output` what it said (or the error it answered), `tool_calls` ({name, arguments}), `status`, `usage`,
`cost_usd`, `error`, and `call`, the
call's `seq` in `llm/calls.jsonl`, which holds the whole request and answer), "message" (text an
agent or model said; `role` and `content` instead of command/output) or "event" (anything else the
harness notes, with a `name`: `timed_out`, `commands_not_recorded`). Times are Unix seconds.

An exec step with no `parent` is a command the harness ran (the agent's start command is one). Steps
with a `parent` are the programs the agent started inside its container, recorded by
sandbox/command_recorder.py: `parent` is the step of the agent's run or of the program that started
this one, `pid` its process id; their output includes what the programs they started printed;
`end` and `exit_code` are null for a program still running when the agent finished. They follow
their run's step, in the order they started, with the model steps (`parent` the agent's run) among
them in the same order.

While the agent runs, the file grows as things happen, so `tail -f` follows it (LiveRun): its run's
step first, with `end` and `exit_code` null; each program as the recorder reports its start (within
about a second), an exec step with `end` null; each program's end as an event step named `end`
whose `of` is the program's step, with its `end`, `exit_code` and `output`; each model turn as its
call ends. When the run ends, one more `end` event (of the run's step), then the file is replaced at
once (renamed over, never half written) by the final form above: the same steps, each whole on its
line, programs and model turns in the order they started, numbered anew after the run's step (which
keeps its number). A file left in the live form (a worker killed mid-run) is read with its `end`
events folded into their steps (reporting/transcript.py).

Evaluators receive the file's text and search it with the helpers of `pytest_agentbench/families/workplace/tac/common.py`.
"""

from __future__ import annotations

import json
import os
import shlex
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .files import read_json_lines
from .masking import mask

# Output kept per step: enough to grade on, bounded so a chatty agent cannot fill the disk.
MAX_OUTPUT_CHARS = 200_000


class TrajectoryRecorder:
    """Appends steps to a trajectory file; safe to share between threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("")  # a rerun of the item (--resume) starts a new trajectory
        self._lock = threading.Lock()
        self._steps = 0

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        if "output" in fields and isinstance(fields["output"], str):
            fields["output"] = _clip(fields["output"])
        with self._lock:
            self._steps += 1
            step = mask({"step": self._steps, "kind": kind, **fields})  # the agent may print its keys
            step.setdefault("end", time.time())
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(step, ensure_ascii=False) + "\n")
        return step

    def exec(self, command: str, *, user: str | None, start: float, exit_code: int | None,
             output: str, timed_out: bool = False) -> dict[str, Any]:
        return self.record("exec", start=start, end=time.time(), command=command, user=user,
                           exit_code=exit_code, output=output, timed_out=timed_out)

    def programs(self, steps: list[dict[str, Any]], *, under: int, user: str | None,
                 models: list[dict[str, Any]] = ()) -> None:
        """The programs the agent started, from its container's command recorder
        (sandbox/command_recorder.py), as exec steps nested under step `under` (the agent's run), and
        the model's turns from the gateway (gateway/steps.py) as model steps under it too, all in the
        order they started."""
        # In start order; ids follow the tracer's report order, which can differ by a fraction of a
        # millisecond between processes. Step numbers are known before writing, so a parent that
        # started after its child (`cmd & exec other`) is still named.
        programs = [("exec", s["start"], s["id"], s) for s in steps if "id" in s]
        turns = [("model", m["start"], i, m) for i, m in enumerate(models)]
        ordered = sorted(programs + turns, key=lambda entry: (entry[1], entry[0] == "model", entry[2]))
        with self._lock:
            first = self._steps + 1
        numbers = {entry[2]: first + i for i, entry in enumerate(ordered) if entry[0] == "exec"}
        for kind, _, _, s in ordered:
            if kind == "model":
                self.record("model", **s, parent=under)
                continue
            self.record("exec", start=s["start"], end=s["end"], command=shlex.join(s["argv"]), user=user,
                        exit_code=s["exit_code"], output=s["output"], parent=numbers.get(s["parent"], under),
                        pid=s["pid"])
        for s in steps:
            if "unrecorded" in s:
                self.event("commands_not_recorded", reason=s["unrecorded"], parent=under)

    def live_run(self, command: str, *, user: str | None, start: float) -> "LiveRun":
        """The agent's run, written as it happens until `LiveRun.close` writes its final form."""
        return LiveRun(self, command, user=user, start=start)

    def position(self) -> tuple[int, int]:
        """(bytes, steps) written so far."""
        with self._lock:
            return (self.path.stat().st_size if self.path.exists() else 0), self._steps

    @contextmanager
    def replacing(self, position: tuple[int, int]):
        """Steps recorded in the block replace those written after `position` (from `position()`):
        the file is written beside, then renamed over at once, so a reader sees the old or the new."""
        size, steps = position
        with self._lock:
            live = self.path
            final = live.with_name(f".{live.name}.final")
            with live.open("rb") as f:
                final.write_bytes(f.read(size))
            self.path, self._steps = final, steps
        try:
            yield
            os.replace(final, live)
        finally:
            with self._lock:
                self.path = live
            final.unlink(missing_ok=True)

    def message(self, role: str, content: str, **extra: Any) -> dict[str, Any]:
        return self.record("message", start=time.time(), role=role, content=content, **extra)

    def event(self, name: str, **extra: Any) -> dict[str, Any]:
        return self.record("event", start=time.time(), name=name, **extra)


class LiveRun:
    """One run of the agent in the trajectory as it happens (the module's docstring: the live form),
    fed from any thread: by the command recorder's lines (`recorder_line`, sandbox/recording.py) and
    the gateway's calls (`model`). `close` writes the final form; what comes after it is dropped."""

    def __init__(self, trajectory: TrajectoryRecorder, command: str, *, user: str | None, start: float):
        self.trajectory, self.command, self.user, self.start = trajectory, command, user, start
        self._lock = threading.Lock()
        self._open = True
        self._steps: dict[int, int] = {}  # the recorder's program id -> its step here
        self.position = trajectory.position()
        self.step = trajectory.record("exec", start=start, end=None, command=command, user=user, exit_code=None,
                                      output="", timed_out=False)["step"]

    def recorder_line(self, line: dict[str, Any]) -> None:
        """A line of the recorder's steps file (sandbox/command_recorder.py): a program's start, its
        step once it ended, or why commands are not recorded. Data from the agent's container: a line
        not of these shapes is left out."""
        with self._lock:
            if not self._open:
                return
            try:
                if isinstance(line.get("started"), int):
                    parent = self._steps.get(line["parent"], self.step)
                    self._steps[line["started"]] = self.trajectory.record(
                        "exec", start=float(line["start"]), end=None, command=shlex.join(line["argv"]), user=self.user,
                        exit_code=None, output="", parent=parent, pid=line["pid"])["step"]
                elif "id" in line and line.get("end") is not None:
                    of = self._steps.get(line["id"])
                    if of is None:  # its start was not seen: the whole step, now
                        self.trajectory.record("exec", start=float(line["start"]), end=float(line["end"]),
                                               command=shlex.join(line["argv"]), user=self.user,
                                               exit_code=line["exit_code"], output=str(line["output"]),
                                               parent=self._steps.get(line["parent"], self.step), pid=line["pid"])
                    else:
                        self.trajectory.record("event", name="end", of=of, start=float(line["end"]),
                                               end=float(line["end"]), exit_code=line["exit_code"],
                                               output=str(line["output"]))
                elif "unrecorded" in line:
                    self.trajectory.event("commands_not_recorded", reason=str(line["unrecorded"]), parent=self.step)
            except (KeyError, TypeError, ValueError, AttributeError):
                pass

    def model(self, step: dict[str, Any]) -> None:
        """A model turn (gateway/steps.py), as its call ends."""
        with self._lock:
            if self._open:
                self.trajectory.record("model", **step, parent=self.step)

    def close(self, *, exit_code: int | None, output: str, timed_out: bool, programs: list[dict[str, Any]],
              models: list[dict[str, Any]]) -> dict[str, Any]:
        """The run has ended: its end on the live form (for whoever follows it), then the final form of
        the run, its programs (the recorder's whole steps file) and model turns; returns the run's step."""
        with self._lock:
            self._open = False
        end = time.time()
        self.trajectory.record("event", name="end", of=self.step, start=end, end=end, exit_code=exit_code,
                               timed_out=timed_out)
        with self.trajectory.replacing(self.position):
            run = self.trajectory.exec(self.command, user=self.user, start=self.start, exit_code=exit_code,
                                       output=output, timed_out=timed_out)
            self.trajectory.programs(programs, under=run["step"], user=self.user, models=models)
        return run


def _clip(text: str) -> str:
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    half = MAX_OUTPUT_CHARS // 2
    return f"{text[:half]}\n[... {len(text) - MAX_OUTPUT_CHARS} characters cut ...]\n{text[-half:]}"


def read_steps(path: Path) -> list[dict[str, Any]]:
    """A trajectory file's steps (a line cut short by a kill, or no file at all, gives none)."""
    try:
        return read_json_lines(path)
    except OSError:
        return []
