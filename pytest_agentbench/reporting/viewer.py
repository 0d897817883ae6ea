"""The run viewer: static pages that open from disk (file://, no server, nothing from the network).

    <group>/report.html            the run group's page: summary, per-task means, every item (sortable,
    <group>/report_items/<n>.js    filterable); an item's details (score and metric, checkpoints, files
                                   produced, transcript) load from its script when its row opens
    <out>/index.html               `agentbench compare GROUP...`: the groups side by side per task
    <out>/index_items/<g>-<n>.js

Quick at thousands of items (bench/bench_report.py): the page holds only the rows; each item's details
are a script of their own, loaded with a <script> element (which file:// pages may do, unlike fetch).
Everything shown is masked (page.item_detail) and escaped (page.escape): the agent wrote most of it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ..files import write_text_atomic
from ..masking import mask
from .page import detail_html, escape, item_detail, summary_html, html_table
from .summary import NOT_RUN, per_task
from .tables import COLUMNS, TASK_HEADERS, cells, metric_cell, sort_values, task_rows, task_score

_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("pytest_agentbench.reporting", "templates"),
                                autoescape=True, keep_trailing_newline=True)


OUTCOMES = ["passed", "failed", "error", "skipped", NOT_RUN]  # what the outcome filter offers


def items_folder(page: Path) -> Path:
    """Where a page's item scripts go: beside it, named after it (report.html -> report_items/)."""
    return page.with_name(f"{page.stem}_items")


def write_group_page(page: Path, title: str, summary: Mapping[str, Any], results: list[dict],
                     items: list[dict]) -> Path:
    """The run group's page at `page`, its item scripts beside it (written first, so the page never
    names a script that is not there yet)."""
    page = Path(page)
    by_item = {(r.get("agent"), r.get("nodeid")): r for r in results}
    folder = _fresh(items_folder(page))
    rows, keys = [], []
    for index, view in enumerate(items):
        result = by_item.get((view["agent"], view["nodeid"]), {"nodeid": view["nodeid"]})
        _write_item(folder, str(index), detail_html(item_detail(result, view["message"], full=True), page.parent))
        outcome = "crashed" if view["crashed"] else view["outcome"]
        row_cells = "".join(f"<span>{escape(v)}</span>" for v in cells(view).values())
        rows.append(f"<div class='row item {view['outcome'].replace(' ', '')}' role='row' data-index='{index}'>"
                    f"<span class='result'>{escape(outcome)}</span><span>{escape(view['nodeid'])}</span>{row_cells}"
                    f"<span>{escape(view['message'])}</span></div>")
        keys.append(sort_values(view))
    html = _TEMPLATES.get_template("page.html").render(
        title=title, summary=Markup(summary_html(summary)), count=len(rows), items_dir=folder.name,
        tasks=Markup(html_table(TASK_HEADERS, task_rows(per_task(items)))),
        outcomes=OUTCOMES,
        headers=Markup("".join(f"<span>{escape(h)}</span>" for h in COLUMNS.values())),
        rows=Markup("\n".join(rows)), keys=Markup(_json(keys)))
    write_text_atomic(page, mask(html))
    return page


def write_comparison(out: Path, groups: Sequence[tuple[str, list[dict], list[dict]]]) -> Path:
    """`out`/index.html: the run groups (name, results, items) side by side, one row per task: each
    group's passed count and mean score across seeds (the best marked, in the metric's direction);
    a row opens to each group's items of that task, their details as in the group's page."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "index.html"
    folder = _fresh(items_folder(page))
    tasks: dict[str, dict[int, dict]] = {}
    for g, (_, _, items) in enumerate(groups):
        for t in per_task(items):
            tasks.setdefault(t["task_id"], {})[g] = t
    scripts: dict[tuple[str, int], list[str]] = {}
    for g, (_, results, items) in enumerate(groups):
        by_item = {(r.get("agent"), r.get("nodeid")): r for r in results}
        for n, view in enumerate(items):
            result = by_item.get((view["agent"], view["nodeid"]), {"nodeid": view["nodeid"]})
            name = f"{g}-{n}"
            seed = "" if view["seed"] is None else f" seed {view['seed']}"
            head = f"<h4 class='ab-item'>{escape(view['task_id'])}{seed}: {escape(view['outcome'])}</h4>"
            _write_item(folder, name, head + detail_html(item_detail(result, view["message"], full=True)))
            scripts.setdefault((view["task_id"], g), []).append(name)
    rows = []
    for task_id in sorted(tasks):
        by_group = tasks[task_id]
        best = _best(by_group)
        cells_ = "".join(_compare_cell(by_group.get(g), g == best) for g in range(len(groups)))
        kind = next(iter(by_group.values()))["kind"] or ""
        rows.append({"task": task_id, "kind": kind, "cells": Markup(cells_),
                     "scripts": [scripts.get((task_id, g), []) for g in range(len(groups))]})
    html = _TEMPLATES.get_template("compare.html").render(
        title=f"Comparison of {len(groups)} run groups", items_dir=folder.name,
        groups=[{"name": name, "agents": ", ".join(sorted({i["agent"] or "-" for i in items})),
                 "passed": sum(i["passed"] for i in items), "count": len(items)} for name, _, items in groups],
        rows=rows, scripts=Markup(_json([r.pop("scripts") for r in rows])))
    write_text_atomic(page, mask(html))
    return page


def _compare_cell(task: Mapping[str, Any] | None, best: bool) -> str:
    if task is None:
        return "<span class='missing'>not in this group</span>"
    score = "" if task["score"]["mean"] is None else \
        f"<br>{escape(task_score(task))} <small>{escape(metric_cell({**task, 'score': task['score']['mean']}))}</small>"
    points = "" if task["points"] is None else f"<br>{task['points']:g}/{task['total']:g} points"
    medals = f"<br>{escape(', '.join(task['medals']))}" if task["medals"] else ""
    best_mark = " <em>(best)</em>" if best else ""
    return (f"<span>{task['passed']}/{task['seeds']} passed<span class='{'best' if best else ''}'>"
            f"{score}{best_mark}{points}{medals}</span></span>")


def _best(by_group: Mapping[int, Mapping[str, Any]]) -> int | None:
    """The group with the best mean score on a task, in its metric's direction (None: a tie or no score)."""
    scored = {g: t["score"]["mean"] for g, t in by_group.items() if t["score"]["mean"] is not None}
    if len(scored) < 2:
        return None
    lower = next(iter(by_group.values()))["lower_is_better"]
    best = (min if lower else max)(scored.values())
    winners = [g for g, v in scored.items() if v == best]
    return winners[0] if len(winners) == 1 else None


def _write_item(folder: Path, name: str, html: str) -> None:
    # A script, not JSON: a page opened from disk may load scripts beside it, not fetch files.
    (folder / f"{name}.js").write_text(f"abItem({json.dumps(name)},{json.dumps(mask(html))});\n",
                                       encoding="utf-8")


def _fresh(folder: Path) -> Path:
    """An empty folder: the items of an earlier page (more of them, other numbers) must not linger."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _json(value: Any) -> str:
    """JSON to embed in a <script> element: no "</" to end it early."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
