"""What a run group's reports are made of, and the files written from them at the end of a run:

    <group>/collected.json               node id -> task_id, seed, kind, category, difficulty (written at
                                         collection, so items that never ran still count)
    <group>/summary.json                 summary.summarize() over every result.json and collected.json
    <group>/submission.jsonl             MLE-bench's make_submission.py format, one line per competition item
    <group>/<ts>_grading_report.json     MLE-bench's aggregate of the competition items' CompetitionReports
    <group>/report.html                  `agentbench report GROUP`: one self-contained page, no CDN

The renderers (terminal table, Markdown, HTML summary and item details) are shared by the pytest
plugin (report.py) and `agentbench report`; everything they show comes from result files on disk.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import results as run_results
from ..files import write_json_atomic
from .summary import shared, summarize_views, views
from .viewer import write_comparison, write_group_page
from .terminal import text_lines


COLLECTED_FILE = run_results.COLLECTED_FILE
SUMMARY_FILE = "summary.json"


REPORT_FILE = "report.html"


# --- the run group on disk --------------------------------------------------------------------------


def write_collected(group: Path, items: Mapping[str, Mapping[str, Any]]) -> None:
    """Add `items` to collected.json (a resumed run adds to what an earlier session collected)."""
    write_json_atomic(Path(group) / COLLECTED_FILE, {**read_collected(group), **items})


def read_collected(group: Path) -> dict[str, dict]:
    try:
        return json.loads((Path(group) / COLLECTED_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def group_summary(group: Path, collected: Iterable[str] = (), agent: str | None = None
                  ) -> tuple[list[dict], list[dict], dict[str, Any]]:
    """(results, items, summary) of a run group: every result.json, and a view of every item
    (summary.views()) including the collected ones that have no result."""
    results = list(run_results.read_results(group).values())
    known = read_collected(group)
    known.update({nodeid: known.get(nodeid, {}) for nodeid in collected})
    items = views(results, known, agent)
    return results, items, summarize_views(items)


def write_run_files(group: Path, collected: Iterable[str] = (), agent: str | None = None) -> dict[str, Any]:
    """summary.json, submission.jsonl, the grading report (when the run has competitions) and the group's
    report.html (the page that stays fast at thousands of items); returns the summary."""
    group = Path(group)
    results, items, summary = group_summary(group, collected, agent)
    _write_derived(group, results, items, summary)
    write_group_page(group / REPORT_FILE, group.name, summary, results, items)
    return summary


def rebuild(group: Path, html_path: Path | None = None) -> Path:
    """Everything derived from a run group's result files, again; returns the HTML page's path."""
    group = Path(group)
    results, items, summary = group_summary(group)
    _write_derived(group, results, items, summary)
    return write_group_page(Path(html_path or group / REPORT_FILE), group.name, summary, results, items)


def report_command(group: Path, html: Path | None = None) -> int:
    """`agentbench report GROUP [--html FILE]`: rebuild the group's reports, print the summary."""
    group = Path(group)
    if not _is_group(group, "report"):
        return 2
    page = rebuild(group, html)
    print("\n".join(text_lines(json.loads((group / SUMMARY_FILE).read_text(encoding="utf-8")))))
    print(f"report: {page}")
    return 0


def compare_command(groups: list[Path], out: Path) -> int:
    """`agentbench compare GROUP GROUP... [-o DIR]`: the groups side by side per task, in DIR/index.html."""
    if not all(_is_group(Path(group), "compare") for group in groups):
        return 2
    page = write_comparison(out, [(Path(g).name, *group_summary(Path(g))[:2]) for g in groups])
    print(f"comparison: {page}")
    return 0


def _is_group(group: Path, command: str) -> bool:
    if any(group.glob(f"*/{run_results.RESULT_FILE}")) or (group / COLLECTED_FILE).is_file():
        return True
    print(f"agentbench {command}: {group} is not a run group (no */{run_results.RESULT_FILE})", file=sys.stderr)
    return False


# --- renderers ----------------------------------------------------------------------------------------


# --- helpers --------------------------------------------------------------------------------------------


def _write_derived(group: Path, results: list[dict], items: list[dict], summary: dict[str, Any]) -> None:
    write_json_atomic(group / SUMMARY_FILE, summary)
    # Families sharing one writer (MLE-bench's competitions and ours: one submission.jsonl, one grading
    # report) write once, over all their items: one after the other would overwrite the first.
    for write, kinds in shared("write_group_files"):
        write(group, results, [v for v in items if v["kind"] in kinds])












