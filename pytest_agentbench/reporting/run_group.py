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

import csv
import html
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import results as run_results
from ..files import write_json_atomic, write_text_atomic
from ..masking import mask
from .summary import families, item_view, summarize_views, views
from .tables import COLUMNS, agent_headers, agent_rows, category_headers, category_rows, cells
from .terminal import text_lines


COLLECTED_FILE = run_results.COLLECTED_FILE
SUMMARY_FILE = "summary.json"


REPORT_FILE = "report.html"
LOG_TAIL_LINES = 25


LOG_TAIL_BYTES = 4_000
PREVIEW_ROWS = 5


PREVIEW_COLUMNS = 12
PREVIEW_CELL = 40


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
    write_text_atomic(group / REPORT_FILE, report_page(group.name, summary, results, items, group))
    return summary


def rebuild(group: Path, html_path: Path | None = None) -> Path:
    """Everything derived from a run group's result files, again; returns the HTML page's path."""
    group = Path(group)
    results, items, summary = group_summary(group)
    _write_derived(group, results, items, summary)
    html_path = Path(html_path or group / REPORT_FILE)
    write_text_atomic(html_path, report_page(group.name, summary, results, items, html_path.parent))
    return html_path


def report_command(group: Path, html: Path | None = None) -> int:
    """`agentbench report GROUP [--html FILE]`: rebuild the group's reports, print the summary."""
    group = Path(group)
    if not any(group.glob(f"*/{run_results.RESULT_FILE}")) and not (group / COLLECTED_FILE).is_file():
        print(f"agentbench report: {group} is not a run group (no */{run_results.RESULT_FILE})", file=sys.stderr)
        return 2
    page = rebuild(group, html)
    print("\n".join(text_lines(json.loads((group / SUMMARY_FILE).read_text(encoding="utf-8")))))
    print(f"report: {page}")
    return 0


def item_detail(result: Mapping[str, Any], message: str | None = None) -> dict[str, Any]:
    """What an item's expanded row shows, read from its folder (JSON-safe: it crosses from xdist workers).
    Masked: it quotes the agent's files (the submission's first rows), which the agent may fill with keys."""
    folder = Path(result["folder"]) if result.get("folder") else None
    checkpoints = ((result.get("grade") or {}).get("checkpoints")) or []
    view = item_view(result)
    return mask({
        "message": view["message"] if message is None else message,
        "notes": [n for n in (view["usage_ignored"], _outputs_note(result.get("outputs"))) if n],
        "checkpoints": [{k: c.get(k) for k in ("name", "points", "total", "passed", "message")} for c in checkpoints],
        "log_tail": _tail(folder / "agent.log") if folder else None,
        "submission": _preview(folder / "submission") if folder else None,
        "log": _existing(folder, "agent.log"),
        "trajectory": _existing(folder, "trajectory.jsonl"),
        "judge": [_judge_call(c) for c in (((result.get("grade") or {}).get("details") or {}).get("judge") or [])],
    })


def _outputs_note(outputs: Mapping[str, Any] | None) -> str | None:
    """What the copy of the outputs left out (links, special files), for people reading the report."""
    if not outputs or not outputs.get("dropped_count"):
        return None
    more = outputs["dropped_count"] - len(outputs.get("dropped") or [])
    return (f"left out of the outputs: {', '.join(outputs.get('dropped') or [])}"
            + (f" and {more:,} more" if more > 0 else ""))


def _judge_call(call: Mapping[str, Any]) -> dict[str, Any]:
    """One LLM-judge call as people review it: the question asked, the answer, its tokens and cost."""
    messages = call.get("messages") or []
    prompt = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "") or ""
    return {"prompt": prompt[:2000], "answer": call.get("answer") or call.get("error") or "",
            "tokens": f"{call.get('prompt_tokens') or 0}+{call.get('completion_tokens') or 0}",
            "cost": "" if call.get("cost_usd") is None else f"${call['cost_usd']:.5f}"}


# --- renderers ----------------------------------------------------------------------------------------


REPORT_CSS = """
.ab-summary table{border-collapse:collapse;margin:.4em 0 1em}
.ab-summary th,.ab-summary td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}
.ab-chart{display:grid;grid-template-columns:max-content 1fr;gap:4px 10px;max-width:720px;font-size:13px}
.ab-bar{background:#eee;height:16px;position:relative}
.ab-bar span{display:block;height:100%}
.ab-bar .score{background:#4a90d9}.ab-bar .medal{background:#d4a017}
.ab-bar em{position:absolute;left:6px;top:0;font-style:normal;font-size:11px;line-height:16px}
.ab-detail table{border-collapse:collapse;margin:4px 0}
.ab-detail th,.ab-detail td{border:1px solid #ccc;padding:2px 6px;font-size:12px}
.ab-log{max-height:24em;overflow:auto;background:#222;color:#eee;padding:6px;font-size:12px;white-space:pre-wrap}
"""


def summary_html(summary: Mapping[str, Any]) -> str:
    """The summary at the top of a report: a table per agent and per category, and a bar chart of
    scores per category (CSS bars: no script, works offline)."""
    bars, chart = [], [("mean_score", "score", "mean score"), *(b for f in families().values() for b in f.category_bars)]
    for a in summary["agents"]:
        for c in a["categories"]:
            label = c["category"] if len(summary["agents"]) == 1 else f"{a['agent']} / {c['category']}"
            for key, css, name in chart:
                if c[key] is not None:
                    width = max(0.0, min(1.0, c[key])) * 100
                    bars.append(f"<div>{escape(label)} ({name})</div><div class='ab-bar' title='{escape(name)}'>"
                                f"<span class='{css}' style='width:{width:.1f}%'></span><em>{c[key]:.2f}</em></div>")
    return (f"<section class='ab-summary'><style>{REPORT_CSS}</style>"
            f"<h3>Agents</h3>{_html_table(agent_headers(), agent_rows(summary))}"
            f"<h3>Per category</h3>{_html_table(category_headers(), category_rows(summary))}"
            f"<div class='ab-chart'>{''.join(bars)}</div></section>")


def detail_html(detail: Mapping[str, Any], link_base: Path | None = None) -> str:
    """An item's expanded row: its message, checkpoints, the tail of agent.log, the submission's first
    rows; with `link_base` (the page's folder), links to agent.log and trajectory.jsonl too."""
    parts = [f"<p class='ab-message'>{escape(detail['message'])}</p>"] if detail.get("message") else []
    parts += [f"<p class='ab-note'>{escape(note)}</p>" for note in detail.get("notes") or []]
    if detail.get("checkpoints"):
        parts.append(_html_table(["checkpoint", "points", "passed", "message"], [
            [c["name"] or "", f"{c['points'] or 0:g}/{c['total'] or 0:g}", "yes" if c["passed"] else "no",
             c["message"] or ""] for c in detail["checkpoints"]]))
    if link_base is not None:
        links = [f"<a href='{href(detail[k], link_base)}'>{name}</a>"
                 for k, name in (("trajectory", "trajectory.jsonl"), ("log", "agent.log")) if detail.get(k)]
        parts.append(f"<p>{' · '.join(links)}</p>" if links else "")
    if detail.get("submission"):
        sub = detail["submission"]
        parts.append(f"<h4>{escape(sub['name'])} (first rows)</h4>" + _html_table(sub["rows"][0], sub["rows"][1:]))
    if detail.get("judge"):
        parts.append("<h4>LLM judge</h4>" + _html_table(["prompt", "answer", "tokens (in+out)", "cost"], [
            [j["prompt"], j["answer"], j["tokens"], j["cost"]] for j in detail["judge"]]))
    if detail.get("log_tail"):
        parts.append(f"<h4>agent.log (last lines)</h4><pre class='ab-log'>{escape(detail['log_tail'])}</pre>")
    return "<div class='ab-detail'>" + "".join(parts) + "</div>"


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:Helvetica,Arial,sans-serif;font-size:14px;margin:16px;color:#222}}
#items .row{{display:grid;grid-template-columns:5.5em minmax(12em,2fr) minmax(8em,1fr) 6em 3.5em 4.5em 6em 7em 5.5em 6em 5em minmax(10em,2fr);
  border-bottom:1px solid #ddd;font-size:13px}}
#items .row>span{{padding:3px 6px;overflow-wrap:anywhere}}
#items .head{{font-weight:bold}}
#items .row[hidden]{{display:none}}
#items .item{{cursor:pointer;content-visibility:auto;contain-intrinsic-size:auto 24px}}
#items .item:hover{{background:#f5f8ff}}
.passed .result{{color:#2a7d2a}}.failed .result{{color:#c0392b}}.error .result,.notrun .result{{color:#8e44ad}}
.skipped .result{{color:#888}}
#items .detail{{background:#fafafa;padding:8px 16px;border-bottom:1px solid #ddd}}
#filter{{margin:8px 0;padding:4px;width:24em}}
</style>
<script type="application/json" id="details">{details}</script>
</head><body>
<h1>{title}</h1>
{summary}
<h3>Items ({count})</h3>
<noscript><p>This page needs JavaScript to show its items.</p></noscript>
<input id="filter" type="search" placeholder="filter: task, outcome, message..." aria-label="filter">
<div id="items" role="table"><div class="row head" role="row"><span>Result</span><span>Test</span>{headers}<span>Message</span></div>
<div class="rows"></div></div>
<template id="rows">{rows}</template>
<script>
// Quick with thousands of items (bench/bench_report.py): rows are parsed inert in a template and added
// at once, rows off screen are not laid out (content-visibility), and an item's details (kept in the
// head, where they cost little) become HTML only when its row is opened.
(function () {{
  var details = null, rows = document.querySelector('#items .rows');
  rows.appendChild(document.getElementById('rows').content);
  rows.addEventListener('click', function (event) {{
    var row = event.target.closest('.item');
    if (!row || event.target.closest('a')) return;
    var next = row.nextElementSibling;
    if (next && next.classList.contains('detail')) {{ next.remove(); row.classList.remove('open'); return; }}
    details = details || JSON.parse(document.getElementById('details').textContent);
    var detail = document.createElement('div');
    detail.className = 'detail';
    detail.innerHTML = details[+row.dataset.index];
    row.after(detail); row.classList.add('open');
  }});
  document.getElementById('filter').addEventListener('input', function (event) {{
    var words = event.target.value.toLowerCase().split(/\\s+/).filter(Boolean);
    rows.querySelectorAll('.detail').forEach(function (div) {{ div.remove(); }});
    rows.querySelectorAll('.item').forEach(function (row) {{
      var text = row.textContent.toLowerCase();
      row.hidden = !words.every(function (w) {{ return text.indexOf(w) >= 0; }});
    }});
  }});
}})();
</script>
</body></html>
"""


def report_page(title: str, summary: Mapping[str, Any], results: list[dict], items: list[dict], base: Path) -> str:
    """The standalone page: the summary, then one row per item (`items`: summary.views(), so crashed and
    never-run ones too); a row opens to its details. Self-contained: no external script, style or font."""
    by_item = {(r.get("agent"), r.get("nodeid")): r for r in results}
    rows, details = [], []
    for index, view in enumerate(items):
        result = by_item.get((view["agent"], view["nodeid"]), {"nodeid": view["nodeid"]})
        details.append(detail_html(item_detail(result, view["message"]), base))
        outcome = "crashed" if view["crashed"] else view["outcome"]
        row_cells = "".join(f"<span>{escape(v)}</span>" for v in cells(view).values())
        rows.append(f"<div class='row item {view['outcome'].replace(' ', '')}' role='row' data-index='{index}'>"
                    f"<span class='result'>{escape(outcome)}</span><span>{escape(view['nodeid'])}</span>{row_cells}"
                    f"<span>{escape(view['message'])}</span></div>")
    return PAGE.format(title=escape(title), summary=summary_html(summary), count=len(rows),
                       headers="".join(f"<span>{escape(h)}</span>" for h in COLUMNS.values()),
                       rows="\n".join(rows), details=json.dumps(details).replace("</", "<\\/"))


# --- helpers --------------------------------------------------------------------------------------------


def _write_derived(group: Path, results: list[dict], items: list[dict], summary: dict[str, Any]) -> None:
    write_json_atomic(group / SUMMARY_FILE, summary)
    for kind, family in families().items():
        family.write_group_files(group, results, [v for v in items if v["kind"] == kind])


def _tail(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - LOG_TAIL_BYTES))
            data = f.read()
    except OSError:
        return None
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-LOG_TAIL_LINES:])


def _preview(submission_dir: Path) -> dict[str, Any] | None:
    """The first rows of the submission CSV (submission.csv, else the first CSV in the folder)."""
    path = submission_dir / "submission.csv"
    if not path.is_file():
        path = next(iter(sorted(submission_dir.glob("*.csv"))), None) if submission_dir.is_dir() else None
    if path is None:
        return None
    rows = []
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as f:
            for row in csv.reader(f):
                rows.append([cell[:PREVIEW_CELL] for cell in row[:PREVIEW_COLUMNS]])
                if len(rows) > PREVIEW_ROWS:
                    break
    except (OSError, csv.Error) as e:
        return {"name": path.name, "rows": [[f"unreadable: {e}"]]}
    return {"name": path.name, "rows": rows or [["(empty)"]]}


def _existing(folder: Path | None, name: str) -> str | None:
    return str(folder / name) if folder and (folder / name).exists() else None


def href(path: str, base: Path) -> str:
    """A link to `path` from a page in `base`: relative, so a copied tree keeps working."""
    return quote(os.path.relpath(path, base))


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def escape(value: Any) -> str:
    """Text for HTML: agents and graders write messages, logs and CSVs with markup in them."""
    return html.escape(str(value), quote=True)
