"""TheAgentCompany's files per item, in the run group, as its harness writes them to its outputs folder:

    <group>/eval_<item>-image.json   what /utils/eval.py writes (scoring.Result.to_dict()):
                                     {"checkpoints": [{"total": 1, "result": 1}, ...],
                                      "final_score": {"total": 2, "result": 1}}
    <group>/traj_<item>-image.json   the trajectory as OpenHands saves it: a JSON list of events

`<item>` is the item's folder (the task's id, `_seed<k>` with seeds): TAC names both files after the task
image's short name, `<task>-image`, and its `evaluation/summarise_results.py <group>` reads them there,
finding each task's dependencies.yml by that name. As in TAC (run_eval.py moves both only after the
evaluator succeeded), an item whose evaluator failed has neither: its grade is an error, and TAC's
summary counts only graded tasks.

Of a trajectory event, TAC's tools read `tool_call_metadata.model_response` (`id`, `model`, `usage`) of
model turns: one step per distinct response id, its cost from the model's name and tokens. The other
events keep OpenHands' shape (`action`/`args` for what the agent did, `observation`/`content`/`extras`
for what came back) for people and tools that read them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ...files import write_json_atomic
from ...trajectory import read_steps

IMAGE_SUFFIX = "-image"  # TAC's task images are <registry>/<task>-image:<version>


def tac_name(item_dir: Path) -> str:
    return f"{Path(item_dir).name}{IMAGE_SUFFIX}"


def eval_path(item_dir: Path) -> Path:
    return Path(item_dir).parent / f"eval_{tac_name(item_dir)}.json"


def traj_path(item_dir: Path) -> Path:
    return Path(item_dir).parent / f"traj_{tac_name(item_dir)}.json"


def clear(item_dir: Path) -> None:
    """An earlier attempt's files go before grading: a failed evaluator must leave none."""
    for path in (eval_path(item_dir), traj_path(item_dir)):
        path.unlink(missing_ok=True)


def write(item_dir: Path, result: dict, trajectory: Path | None) -> None:
    """Both files of an item whose evaluator reported `result` (its checkpoints and final score)."""
    write_json_atomic(traj_path(item_dir), openhands_events(read_steps(trajectory) if trajectory else []))
    write_json_atomic(eval_path(item_dir), eval_result(result))


def eval_result(result: dict) -> dict:
    """eval.py's JSON: each checkpoint's total and result, and the final score (after the task's
    scoring strategy), whole numbers as TAC's Checkpoint holds them."""
    return {"checkpoints": [{"total": int(c["total"]), "result": int(c["result"])} for c in result["checkpoints"]],
            "final_score": {"total": int(result["final_score"]["total"]),
                            "result": int(result["final_score"]["result"])}}


def openhands_events(steps: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    def add(event: dict[str, Any], at: float | None) -> int:
        event = {"id": len(events), "timestamp": _iso(at), **event}
        events.append(event)
        return event["id"]

    for step in steps:
        kind = step.get("kind")
        if kind == "exec":
            source = "agent" if step.get("parent") is not None else "environment"  # the harness's own command
            cause = add({"source": source, "message": f"Running command: {step.get('command')}", "action": "run",
                         "args": {"command": step.get("command")}}, step.get("start"))
            add({"source": source, "cause": cause, "observation": "run", "content": step.get("output") or "",
                 "message": f"Command `{step.get('command')}` executed with exit code {step.get('exit_code')}.",
                 "extras": {"command": step.get("command"), "exit_code": step.get("exit_code")}}, step.get("end"))
        elif kind == "model":
            usage = step.get("usage") or {}
            add({"source": "agent", "message": step.get("output") or "", "action": "message",
                 "args": {"content": step.get("output") or "", "tool_calls": step.get("tool_calls") or []},
                 "tool_call_metadata": {"model_response": {
                     "id": f"agentbench-call-{step.get('call', step.get('step'))}", "model": step.get("model"),
                     "usage": {"prompt_tokens": usage.get("prompt_tokens", usage.get("input_tokens")) or 0,
                               "completion_tokens": usage.get("completion_tokens",
                                                              usage.get("output_tokens")) or 0}}}},
                step.get("start"))
        elif kind == "message":
            add({"source": "user" if step.get("role") == "user" else "agent", "message": step.get("content") or "",
                 "action": "message", "args": {"content": step.get("content") or ""}}, step.get("start"))
        else:
            add({"source": "environment", "observation": "agentbench_event", "message": step.get("name") or kind,
                 "content": "", "extras": {k: v for k, v in step.items() if k not in ("step", "kind")}},
                step.get("start") or step.get("end"))
    return events


def _iso(at: float | None) -> str | None:
    return datetime.fromtimestamp(at, timezone.utc).isoformat() if isinstance(at, (int, float)) else None
