"""The numbers of a run: pure functions over item results (the contents of result.json files) and the
node ids that were collected.

An item that errored, timed out, crashed or never ran counts as a failure in every denominator, never
as missing: the collected node ids without a result become "not run" items that pass nothing and score 0.

- score: the mean of `grade.score` over the items of families whose score is partial credit in [0, 1]
  (Family.scored); a family adds its own fields to items, agents and categories (Family.item_fields,
  summary_fields, category_fields: competitions are summed up by their medals).
- mean and SEM across seeds, as MLE-bench's aggregate does: the value per seed first, then the mean of
  those values and their standard error (sample standard deviation / sqrt(number of seeds)).
- pass@k per task over its seeds with the unbiased estimator 1 - C(n-c, k) / C(n, k), averaged over tasks.

Everything returned is JSON-safe (str keys, no NaN) and deterministic (sorted, rounded).
"""

from __future__ import annotations

import functools
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

NOT_RUN = "not run"
MESSAGE_CHARS = 300  # an item's one-line message in tables; its details have it all
UNCATEGORIZED = "uncategorized"
_NAME = re.compile(r"(?P<task>.+?)\[seed(?P<seed>\d+)\]")


def task_and_seed(nodeid: str) -> tuple[str, int | None]:
    """`.../task.yaml::reverse-words[seed2]` -> ("reverse-words", 2), as collect.py names items."""
    name = nodeid.rsplit("::", 1)[-1]
    match = _NAME.fullmatch(name)
    return (match["task"], int(match["seed"])) if match else (name, None)


def item_view(result: Mapping[str, Any]) -> dict[str, Any]:
    """What the reports show of one item, whatever keys its result has (newer keys may be missing)."""
    grade = result.get("grade") or {}
    checkpoints = grade.get("checkpoints") or []
    details = grade.get("details") or {}
    kind = result.get("kind")
    agent_run = result.get("agent_run") or {}
    usage = result.get("usage") or {}
    judge = details.get("judge_usage") or {}  # the environment LLM's grading of this item
    llm = result.get("llm") or {}  # the agent's model calls through the gateway
    # The model that played the item's coworkers (services/coworkers.py): the environment's cost, as the judge's.
    coworkers = ((result.get("services") or {}).get("coworkers") or {}).get("usage") or {}
    task_id, seed = task_and_seed(result.get("nodeid", ""))
    outcome = result.get("outcome") or NOT_RUN
    return {
        "nodeid": result.get("nodeid"),
        "task_id": result.get("task_id") or task_id,
        "seed": result.get("seed", seed),
        "agent": result.get("agent"),
        "kind": kind,
        "category": result.get("category") or UNCATEGORIZED,
        "difficulty": result.get("difficulty"),
        "outcome": outcome,
        "passed": outcome == "passed",
        "crashed": bool(result.get("crashed")),
        "timed_out": bool(result.get("timed_out")),
        "score": _number(grade.get("score")),
        # What the score measures: a metric and its direction (results before the grade said so: the
        # family's report may know the direction; no direction is partial credit, higher is better).
        "metric": grade.get("metric"),
        "lower_is_better": bool(grade.get("lower_is_better", details.get("is_lower_better"))),
        "points": _number(grade.get("points")),
        "total": _number(grade.get("total")),
        "checkpoints_passed": sum(bool(c.get("passed")) for c in checkpoints),
        "checkpoints_total": len(checkpoints),
        "duration": _number(agent_run.get("duration")),
        "input_tokens": _number(usage.get("input_tokens")),
        "output_tokens": _number(usage.get("output_tokens")),
        "cost_usd": _number(usage.get("cost_usd")),
        "usage_source": usage.get("source"),  # "agent": figures the agent reported itself (usage.py)
        "usage_ignored": usage.get("ignored"),  # why the agent's usage.json was not believed
        "llm_calls": _number(llm.get("calls")),
        "llm_failed_calls": _number(llm.get("failed_calls")),
        "llm_budget_exhausted": llm.get("budget_exhausted"),
        "judge_calls": _number(judge.get("calls")),
        "judge_tokens": _total([_number(judge.get("input_tokens")), _number(judge.get("output_tokens"))]),
        "judge_cost_usd": _number(judge.get("cost_usd")),
        "coworker_calls": _number(coworkers.get("calls")),
        "coworker_tokens": _total([_number(coworkers.get("prompt_tokens")),
                                   _number(coworkers.get("completion_tokens"))]),
        "coworker_cost_usd": _number(coworkers.get("cost_usd")),
        "folder": result.get("folder"),
        "message": _message(result),
        # Asked of every family: a grader of any kind may report in a family's terms (MLE-bench's medals).
        **{key: value for family in families().values() for key, value in family.item_fields(result).items()},
    }


def views(results: Iterable[Mapping[str, Any]], collected: Iterable[str] | Mapping[str, Mapping] = (),
          agent: str | None = None) -> list[dict[str, Any]]:
    """One view per item: every result, and a "not run" item for each collected node id without one.

    `collected` is node ids, or node id -> what is known of it without a result (kind, category, ...).
    Each agent of the results (and `agent`, the run's own) is expected to have run every collected item.
    """
    if not isinstance(collected, Mapping):
        collected = dict.fromkeys(collected, {})
    items = [item_view(r) for r in results]
    agents = sorted({i["agent"] for i in items if i["agent"]} | ({agent} if agent else set()))
    seen = {(i["agent"], i["nodeid"]) for i in items}
    for who in agents or [None]:
        for nodeid in sorted(collected):
            if (who, nodeid) not in seen:
                items.append(item_view({**collected[nodeid], "nodeid": nodeid, "agent": who, "outcome": None}))
    return sorted(items, key=_order)


def summarize(results: Iterable[Mapping[str, Any]], collected: Iterable[str] | Mapping[str, Mapping] = (),
              agent: str | None = None) -> dict[str, Any]:
    """Per agent: counts, pass rate, score and any-medal rate (mean and SEM across seeds), pass@k,
    usage, and the same per category (the chart's data)."""
    return summarize_views(views(results, collected, agent))


def summarize_views(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """summarize() over items already made by views()."""
    by_agent: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_agent[item["agent"] or ""].append(item)
    return {"items": sum(map(len, by_agent.values())),
            "agents": [_agent_summary(name or None, items) for name, items in sorted(by_agent.items())]}


def per_task(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per agent and task, over its seeds: how many passed, the mean score and its SEM (the score's
    metric and direction with it: a competition's own metric is not averaged across tasks, but across
    one task's seeds it is), and the mean points."""
    rows = []
    for (agent, task), group in sorted(_group(items, lambda i: (i["agent"] or "", i["task_id"] or "")).items()):
        scores = [i["score"] for i in group if i["score"] is not None]
        points = [i["points"] for i in group if i["total"]]
        first = next((i for i in group if i["score"] is not None), group[0])
        rows.append({"agent": agent or None, "task_id": task, "kind": group[0]["kind"], "seeds": len(group),
                     "passed": sum(i["passed"] for i in group), "scored": len(scores),
                     "score": mean_and_sem(scores), "metric": first["metric"],
                     "lower_is_better": first["lower_is_better"],
                     "points": round6(statistics.fmean(points)) if points else None,
                     "total": max((i["total"] for i in group if i["total"]), default=None),
                     "medals": sorted(i["medal"] for i in group if i.get("medal") not in (None, "none"))})
    return rows


def pass_at_k(n: int, c: int, k: int) -> float:
    """The chance that at least one of k runs drawn from n (c of them passed) passed."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def mean_and_sem(values: list[float]) -> dict[str, float | None]:
    mean = statistics.fmean(values) if values else None
    sem = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None
    return {"mean": round6(mean), "sem": round6(sem)}


# --- helpers ------------------------------------------------------------------------------------------

@functools.cache  # looked up once, not per item
def families() -> dict:
    """The registered families by kind (imported here, late: a family's reporting uses this module)."""
    from ..families import registered

    return registered()


def _scored(items: list[dict]) -> list[dict]:
    """The items whose score is partial credit (an unknown kind's too)."""
    return [i for i in items if (family := families().get(i["kind"])) is None or family.scored]


def shared(attribute: str) -> list[tuple[Any, list[str]]]:
    """Each distinct value of the families' member `attribute`, with the kinds that have it. A family
    built on another (MLE-bench's competitions on ours) shares the other's reporting: its columns come
    once, and its figures count the items of both kinds together."""
    found: list[tuple[Any, list[str]]] = []
    for kind, family in families().items():
        member = getattr(family, attribute)
        kinds = next((kinds for known, kinds in found if known is member), None)
        if kinds is None:
            found.append((member, [kind]))
        else:
            kinds.append(kind)
    return found


def _family_fields(items: list[dict], fields: str) -> dict[str, Any]:
    """What each family adds to a summary of `items` (from its own items among them, maybe none)."""
    added: dict[str, Any] = {}
    for compute, kinds in shared(fields):
        added.update(compute([i for i in items if i["kind"] in kinds]))
    return added


def _agent_summary(agent: str | None, items: list[dict]) -> dict[str, Any]:
    scored = _scored(items)
    return {
        "agent": agent,
        **_counts(items),
        "seeds": len({_seed(i) for i in items}),
        "pass_rate": across_seeds(items, lambda i: i["passed"]),
        "score": across_seeds(scored, lambda i: i["score"] or 0.0) if scored else None,
        **_family_fields(items, "summary_fields"),
        "pass_at_k": _pass_at_k(items),
        "usage": {**{key: _total(i[key] for i in items) for key in ("input_tokens", "output_tokens", "cost_usd")},
                  "reported_by_agent": sum(i["usage_source"] == "agent" and not i["usage_ignored"] for i in items),
                  "ignored": sum(bool(i["usage_ignored"]) for i in items)},
        "judge_usage": {key: _total(i[f"judge_{key}"] for i in items) for key in ("calls", "tokens", "cost_usd")},
        "coworker_usage": {key: _total(i[f"coworker_{key}"] for i in items) for key in ("calls", "tokens", "cost_usd")},
        "categories": [_category_summary(name, group) for name, group in
                       sorted(_group(items, lambda i: i["category"]).items())],
    }


def _counts(items: list[dict]) -> dict[str, int]:
    outcomes = [i["outcome"] for i in items]
    return {"items": len(items), "passed": outcomes.count("passed"), "failed": outcomes.count("failed"),
            "errors": outcomes.count("error"), "skipped": outcomes.count("skipped"),
            "not_run": outcomes.count(NOT_RUN), "timeouts": sum(i["timed_out"] for i in items),
            "crashed": sum(i["crashed"] for i in items)}


def _category_summary(category: str, items: list[dict]) -> dict[str, Any]:
    scored = _scored(items)
    return {"category": category, **_counts(items),
            "mean_score": round6(statistics.fmean(i["score"] or 0.0 for i in scored)) if scored else None,
            **_family_fields(items, "category_fields")}


def across_seeds(items: list[dict], value) -> dict[str, Any]:
    """The mean of `value` per seed, then their mean and SEM (MLE-bench's per-seed aggregate)."""
    per_seed = {seed: statistics.fmean(float(value(i)) for i in group)
                for seed, group in sorted(_group(items, _seed).items())}
    return {**mean_and_sem(list(per_seed.values())),
            "per_seed": {str(seed): round6(v) for seed, v in per_seed.items()}}


def _pass_at_k(items: list[dict]) -> dict[str, float]:
    tasks = _group(items, lambda i: i["task_id"])
    runs = [(len(group), sum(i["passed"] for i in group)) for group in tasks.values()]
    if not runs:
        return {}
    return {str(k): round6(statistics.fmean(pass_at_k(n, c, k) for n, c in runs))
            for k in range(1, min(n for n, _ in runs) + 1)}


def _group(items: list[dict], key) -> dict[Any, list[dict]]:
    groups: dict[Any, list[dict]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


def _order(item: dict) -> tuple:
    """By agent, then task, then seed as a number (seed10 after seed9)."""
    return item["agent"] or "", (item["nodeid"] or "").split("[seed")[0], -1 if item["seed"] is None else item["seed"]


def _seed(item: dict) -> int:
    return item["seed"] or 0  # a run without --seeds is seed 0


def _total(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round6(sum(known)) if known else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def round6(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _message(result: Mapping[str, Any]) -> str:
    """Why the item ended as it did, in one line: the crash, the failing phase, or the grader's summary."""
    phases = result.get("phases") or {}
    messages = [result.get("crash")] + [(phases.get(p) or {}).get("message") for p in ("setup", "teardown", "call")]
    message = next((str(m) for m in messages if m), None)
    budget = (result.get("llm") or {}).get("budget_exhausted")
    if message is None:
        summary = str((result.get("grade") or {}).get("summary") or ("" if result.get("outcome") else "never ran"))
        return f"{summary}; budget exhausted: {budget}" if budget else summary
    lines = [line for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    # A traceback's last line says what went wrong; an error's own text (a failed build and its
    # output lines) says it in its first.
    line = (lines[-1] if "Traceback (most recent call last)" in message or lines[0].startswith(("def ", "@"))
            else lines[0])
    return line if len(line) <= MESSAGE_CHARS else line[:MESSAGE_CHARS].rsplit(" ", 1)[0] + " …"  # whole words
