"""The one item result: what an item's result.json holds, built here and nowhere else, written atomically.

While an item runs, its steps record their parts in the item's stash (collect.RESULT_KEY, a dict):
the folder and limits (task_context), agent_run, outputs and usage (task_outputs), grade (task_grade),
phases (plugin.py's makereport). When the item ends, `finished()` makes the result of those parts and
what is known of the item; when its xdist worker died, `crashed()` makes one from what was saved and
collected. Every report (summary, run-group files, pytest-html, JUnit, terminal) reads these files.

A conftest's `pytest_agentbench_item_result` may add keys: they are kept (extra="allow").
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .files import write_json_atomic

RESULT_FILE = "result.json"

Outcome = Literal["passed", "failed", "error", "skipped"]


class Phase(BaseModel):
    """One pytest phase (setup, call, teardown) of the item: kept when it failed, skipped, or was the call."""

    outcome: str
    duration: float
    message: str | None = None


class ItemResult(BaseModel):
    """Fields in the order result.json has always listed them; only the fields that were set are written,
    so a result says nothing of a step that never happened (no grade for an item that errored)."""

    model_config = ConfigDict(extra="allow")

    # The item's steps (the stash's parts).
    folder: str | None = None
    image: str | None = None  # the image the agent's container ran (its id is in metadata.json)
    engine: str | None = None  # the Docker engine it ran on, in a run that names its engines (--engines)
    limits: dict[str, Any] | None = None
    agent_run: dict[str, Any] | None = None  # AgentRun.to_dict()
    outputs: dict[str, Any] | None = None  # OutputTally.to_dict() and over_cap
    services: dict[str, Any] | None = None  # compose stack: seconds until ready, what was read, crashes
    usage: dict[str, Any] | None = None  # usage.agent_usage()
    grade: dict[str, Any] | None = None  # Grade.to_dict()
    regraded_from: dict[str, Any] | None = None  # --regrade: the grade it replaced
    resumed: bool = False  # --resume: finished in an earlier session
    phases: dict[str, Phase] = {}
    # What is known of the item.
    nodeid: str | None = None
    task_id: str | None = None
    seed: int | None = None
    kind: str | None = None
    category: str | None = None
    difficulty: str | None = None
    markers: list[str] = []
    agent: str | None = None
    run_id: str | None = None
    # How it ended.
    outcome: Outcome | None = None
    crashed: bool = False  # its xdist worker died while running it
    crash: str | None = None  # what xdist said of that
    timed_out: bool = False
    finished_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


def outcome_of(phases: Mapping[str, Mapping[str, Any]]) -> Outcome:
    """error: setup or teardown failed; skipped: a phase skipped; else the call's outcome."""
    if any((phases.get(p) or {}).get("outcome") == "failed" for p in ("setup", "teardown")):
        return "error"
    if any(p["outcome"] == "skipped" for p in phases.values()):
        return "skipped"
    return (phases.get("call") or {}).get("outcome", "error")


def finished(parts: Mapping[str, Any], **known: Any) -> ItemResult:
    """The result of an item that ran to its end: its steps' parts and what is `known` of it
    (nodeid, task_id, seed, kind, category, difficulty, markers, agent, run_id, outcome)."""
    return ItemResult.model_validate({
        **parts, **known, "timed_out": bool((parts.get("agent_run") or {}).get("timed_out")),
        "finished_at": time.time(), "usage": parts.get("usage")})


def crashed(saved: Mapping[str, Any], collected: Mapping[str, Any], message: str, **known: Any) -> ItemResult:
    """The result of an item whose xdist worker died running it: what it had `saved` (an earlier
    result.json, if any) over what was `collected` of it, marked as crashed, its call failed with `message`."""
    return ItemResult.model_validate({
        **collected, **saved, **known, "outcome": "error", "crashed": True, "crash": message,
        "timed_out": bool(saved.get("timed_out")), "finished_at": time.time(),
        "phases": {**saved.get("phases", {}), "call": {"outcome": "failed", "duration": 0.0, "message": message}}})


def write(folder: Path, result: ItemResult) -> None:
    write_json_atomic(Path(folder) / RESULT_FILE, result.to_json())
