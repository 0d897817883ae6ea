"""The summary and the items as table cells (text), shared by every renderer: the terminal, the GitHub step
summary, the pages (page.py) and pytest-html's columns (html.py). A family adds its own columns
(Family.agent_columns, category_columns) after the score's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .summary import shared


def cells(view: Mapping[str, Any]) -> dict[str, str]:
    """An item's report columns, as text."""
    medal_or_points = view.get("medal") or (f"{view['points']:g}/{view['total']:g}" if view["total"] else "")
    return {
        "task": view["task_id"] or "",
        "agent": view["agent"] or "",
        "seed": "" if view["seed"] is None else str(view["seed"]),
        "score": "" if view["score"] is None else f"{view['score']:.4g}",
        "metric": metric_cell(view),
        "medal": medal_or_points,
        "checkpoints": f"{view['checkpoints_passed']}/{view['checkpoints_total']}" if view["checkpoints_total"] else "",
        "agent_time": _duration(view["duration"]),
        "tokens": _tokens(view["input_tokens"], view["output_tokens"], "") + _by_agent(view, "input_tokens",
                                                                                          "output_tokens"),
        "cost": "" if view["cost_usd"] is None else f"${view['cost_usd']:.4f}" + _by_agent(view, "cost_usd"),
    }


def metric_cell(view: Mapping[str, Any], words: bool = False) -> str:
    """What an item's score measures: "multi-class-log-loss ↓" (with `words`: ", lower is better")."""
    if view["score"] is None:
        return ""
    name = view.get("metric") or ("metric" if view.get("lower_is_better") else "partial credit")
    lower = view.get("lower_is_better")
    if words:
        return f"{name}, {'lower' if lower else 'higher'} is better"
    return f"{name} {'↓' if lower else '↑'}"


def _by_agent(view: Mapping[str, Any], *keys: str) -> str:
    """A mark on figures the agent reported itself (usage.json), which nothing checked beyond plausibility."""
    shown = any(view[k] is not None for k in keys)
    return " (agent-reported)" if shown and view.get("usage_source") == "agent" else ""


def _usage_cell(shown: str, usage: Mapping[str, Any], ignored: bool = False) -> str:
    """An agent's token or cost total, marked when agents reported the figures themselves (and, with
    `ignored`, saying how many usage.json files were not believed)."""
    marks = " (agent-reported)" if shown != "-" and usage.get("reported_by_agent") else ""
    if ignored and usage.get("ignored"):
        marks += f" ({usage['ignored']} usage.json ignored)"
    return shown + marks


COLUMNS = {"task": "Task", "agent": "Agent", "seed": "Seed", "score": "Score", "metric": "Metric",
           "medal": "Medal / points",
           "checkpoints": "Checkpoints", "agent_time": "Agent time", "tokens": "Tokens", "cost": "Cost"}


def sort_values(view: Mapping[str, Any]) -> list[Any]:
    """An item's values to sort its row by, one per column of the page (result, test, COLUMNS, message):
    numbers where the cell shows one, so 10 sorts after 9."""
    tokens = [view[k] for k in ("input_tokens", "output_tokens") if view[k] is not None]
    return [view["outcome"], view["nodeid"] or "", view["task_id"] or "", view["agent"] or "", view["seed"],
            view["score"], metric_cell(view), view.get("medal") or view["points"], view["checkpoints_passed"]
            if view["checkpoints_total"] else None, view["duration"], sum(tokens) if tokens else None,
            view["cost_usd"], view["message"]]


TASK_HEADERS = ["agent", "task", "seeds", "passed", "mean score ± SEM", "metric", "mean points", "medals"]


def task_rows(tasks: list[Mapping[str, Any]]) -> list[list[str]]:
    """summary.per_task() as cells: each task's figures across its seeds."""
    return [[t["agent"] or "-", t["task_id"], str(t["seeds"]), f"{t['passed']}/{t['seeds']}", task_score(t),
             metric_cell({"score": t["score"]["mean"], **t}), "" if t["points"] is None else
             f"{t['points']:g}/{t['total']:g}", ", ".join(t["medals"])] for t in tasks]


def task_score(task: Mapping[str, Any]) -> str:
    if task["score"]["mean"] is None:
        return "-"
    sem = "" if task["score"]["sem"] is None else f" ± {task['score']['sem']:.4g}"
    return f"{task['score']['mean']:.4g}{sem}" + (f" ({task['scored']} of {task['seeds']} scored)"
                                                  if task["scored"] < task["seeds"] else "")


def agent_headers() -> list[str]:
    return ["agent", "items", "passed", "failed", "errors", "timeouts", "crashed", "not run", "score ± SEM",
            *(header for columns, _ in shared("agent_columns") for header, _ in columns), "pass@k", "tokens", "cost",
            "judge cost", "coworker cost"]


def category_headers() -> list[str]:
    return ["agent", "category", "items", "passed", "errors", "not run", "mean score",
            *(header for columns, _ in shared("category_columns") for header, _ in columns)]


def agent_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    added = [cell for columns, _ in shared("agent_columns") for _, cell in columns]
    rows = []
    for a in summary["agents"]:
        usage = a["usage"]
        rows.append([a["agent"] or "-", *(str(a[k]) for k in ("items", "passed", "failed", "errors", "timeouts",
                                                                "crashed", "not_run")),
                     stat(a["score"]), *(cell(a) for cell in added), _pass_at_k(a["pass_at_k"]),
                     _usage_cell(_tokens(usage["input_tokens"], usage["output_tokens"], "-"), usage, ignored=True),
                     _usage_cell("-" if usage["cost_usd"] is None else f"${usage['cost_usd']:.2f}", usage),
                     _judge_cost(a.get("judge_usage") or {}), _judge_cost(a.get("coworker_usage") or {})])
    return rows


def _judge_cost(judge: Mapping[str, Any]) -> str:
    """The environment LLM's cost in one role (the judge's, the coworkers'), apart from the agent's.
    Cents matter here: one judged checkpoint or one coworker's answer costs a fraction of one."""
    if not judge.get("calls"):
        return "-"
    cost = "cost unknown" if judge.get("cost_usd") is None else f"${judge['cost_usd']:.4f}"
    return f"{cost} ({judge['calls']:g} calls)"


def category_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    added = [cell for columns, _ in shared("category_columns") for _, cell in columns]
    return [[a["agent"] or "-", c["category"], str(c["items"]), str(c["passed"]), str(c["errors"]), str(c["not_run"]),
             "-" if c["mean_score"] is None else f"{c['mean_score']:.3f}", *(cell(c) for cell in added)]
            for a in summary["agents"] for c in a["categories"]]


def stat(value: Mapping[str, Any] | None, as_percent: bool = False) -> str:
    if not value or value["mean"] is None:
        return "-"
    show = percent if as_percent else "{:.3f}".format
    return show(value["mean"]) + ("" if value["sem"] is None else f" ± {show(value['sem'])}")


def _pass_at_k(values: Mapping[str, float]) -> str:
    shown = sorted({1, max(map(int, values))}) if values else []
    return ", ".join(f"@{k} {values[str(k)]:.2f}" for k in shown) or "-"


def _tokens(input_tokens: float | None, output_tokens: float | None, unknown: str) -> str:
    if input_tokens is None and output_tokens is None:
        return unknown
    return f"{(input_tokens or 0) + (output_tokens or 0):,.0f}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"
