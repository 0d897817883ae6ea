"""The HTML pieces the run viewer (viewer.py) and pytest-html's page share: the summary (tables and a bar
chart), and an item's details (score and metric, message, checkpoints, the submission's first rows, the
LLM judge's calls, the tail of agent.log; in the viewer also the files produced and the transcript)."""

from __future__ import annotations

import csv
import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..masking import mask
from .summary import item_view, shared
from .tables import agent_headers, agent_rows, category_headers, category_rows, metric_cell
from .transcript import produced_files, transcript


LOG_TAIL_LINES = 25
LOG_TAIL_BYTES = 4_000


PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 12


PREVIEW_CELL = 40


def item_detail(result: Mapping[str, Any], message: str | None = None, full: bool = False) -> dict[str, Any]:
    """What an item's expanded row shows, read from its folder (JSON-safe: it crosses from xdist workers);
    `full` (the run viewer) adds its transcript and the files it produced.
    Masked: it quotes the agent's files (the submission's first rows), which the agent may fill with keys."""
    folder = Path(result["folder"]) if result.get("folder") else None
    checkpoints = ((result.get("grade") or {}).get("checkpoints")) or []
    view = item_view(result)
    viewer = {"score": score_line(view), "transcript": transcript(folder / "trajectory.jsonl"),
              "files": produced_files(folder)} if full and folder else {}
    return mask({
        **viewer,
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


# .ab-log stacks its one child from the bottom (column-reverse), so the box opens scrolled to the log's end,
# where an agent's last lines and its error are, with no script.
REPORT_CSS = """
.ab-summary table{border-collapse:collapse;margin:.4em 0 1em}
.ab-summary th,.ab-summary td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}
.ab-chart{display:grid;grid-template-columns:max-content 1fr;gap:4px 10px;max-width:720px;font-size:13px}
.ab-bar{background:#eee;height:16px;position:relative}
.ab-bar span{display:block;height:100%}
.ab-bar .score{background:#7fb2e5}.ab-bar .medal{background:#d4a017}
.ab-bar em{position:absolute;left:6px;top:0;font-style:normal;font-size:11px;line-height:16px;color:#000}
.ab-detail table{border-collapse:collapse;margin:4px 0}
.ab-detail th,.ab-detail td{border:1px solid #ccc;padding:2px 6px;font-size:12px}
.ab-log{max-height:24em;overflow:auto;background:#222;color:#eee;padding:6px;font-size:12px;white-space:pre-wrap;display:flex;flex-direction:column-reverse}
"""


def summary_html(summary: Mapping[str, Any]) -> str:
    """The summary at the top of a report: a table per agent and per category, and a bar chart of
    scores per category (CSS bars: no script, works offline)."""
    bars, chart = [], [("mean_score", "score", "mean score"), *(b for bars_, _ in shared("category_bars") for b in bars_)]
    for a in summary["agents"]:
        for c in a["categories"]:
            label = c["category"] if len(summary["agents"]) == 1 else f"{a['agent']} / {c['category']}"
            for key, css, name in chart:
                if c[key] is not None:
                    width = max(0.0, min(1.0, c[key])) * 100
                    bars.append(f"<div>{escape(label)} ({name})</div><div class='ab-bar' title='{escape(name)}'>"
                                f"<span class='{css}' style='width:{width:.1f}%'></span><em>{c[key]:.2f}</em></div>")
    return (f"<section class='ab-summary'><style>{REPORT_CSS}</style>"
            f"<h3>Agents</h3>{html_table(agent_headers(), agent_rows(summary))}"
            f"<h3>Per category</h3>{html_table(category_headers(), category_rows(summary))}"
            f"<div class='ab-chart'>{''.join(bars)}</div></section>")


def detail_html(detail: Mapping[str, Any], link_base: Path | None = None) -> str:
    """An item's expanded row: its message, checkpoints, the tail of agent.log, the submission's first
    rows; with `link_base` (the page's folder), links to agent.log and trajectory.jsonl too."""
    parts = [f"<p class='ab-score'>{escape(detail['score'])}</p>"] if detail.get("score") else []
    parts += [f"<p class='ab-message'>{escape(detail['message'])}</p>"] if detail.get("message") else []
    parts += [f"<p class='ab-note'>{escape(note)}</p>" for note in detail.get("notes") or []]
    if detail.get("checkpoints"):
        parts.append(html_table(["checkpoint", "points", "passed", "message"], [
            [c["name"] or "", f"{c['points'] or 0:g}/{c['total'] or 0:g}", "yes" if c["passed"] else "no",
             c["message"] or ""] for c in detail["checkpoints"]]))
    if link_base is not None:
        links = [f"<a href='{href(detail[k], link_base)}'>{name}</a>"
                 for k, name in (("trajectory", "trajectory.jsonl"), ("log", "agent.log")) if detail.get(k)]
        parts.append(f"<p>{' · '.join(links)}</p>" if links else "")
    if detail.get("submission"):
        sub = detail["submission"]
        parts.append(f"<h4>{escape(sub['name'])} (first rows)</h4>" + html_table(sub["rows"][0], sub["rows"][1:]))
    if detail.get("judge"):
        parts.append("<h4>LLM judge</h4>" + html_table(["prompt", "answer", "tokens (in+out)", "cost"], [
            [j["prompt"], j["answer"], j["tokens"], j["cost"]] for j in detail["judge"]]))
    if detail.get("files"):
        parts.append(files_html(detail["files"]))
    if (detail.get("transcript") or {}).get("steps"):
        parts.append(transcript_html(detail["transcript"]))
    elif detail.get("log_tail"):  # no transcript: what the agent printed
        parts.append(f"<h4>agent.log (last lines)</h4><pre class='ab-log'><span>{escape(detail['log_tail'])}</span></pre>")
    return "<div class='ab-detail'>" + "".join(parts) + "</div>"


def score_line(view: Mapping[str, Any]) -> str:
    """The score with what it measures: "score 0.0523: multi-class-log-loss, lower is better"."""
    if view["score"] is None:
        return ""
    points = f" ({view['points']:g}/{view['total']:g} points)" if view["total"] else ""
    return f"score {view['score']:.6g}{points}: {metric_cell(view, words=True)}"


def transcript_html(found: Mapping[str, Any]) -> str:
    """The transcript: one block per step, nested under the step that started it, each with its time
    since the start, its duration, and what it ran and printed (or what the model was told and said)."""
    depth: dict[Any, int] = {}
    blocks = []
    for step in found["steps"]:
        depth[step["step"]] = level = depth.get(step["parent"], -1) + 1 if step["parent"] is not None else 0
        when = "" if step["t"] is None else f"+{step['t']:.2f} s"
        took = "" if step["duration"] is None else f"{step['duration']:.2f} s"
        head = [f"<span class='ab-n'>#{escape(step['step'])}</span>", f"<span class='ab-t'>{when}</span>"]
        body = []
        if step["kind"] == "exec":
            ended = "still running" if step["exit_code"] is None else f"exit {step['exit_code']}"
            ended += ", timed out" if step["timed_out"] else ""
            head += [f"<code class='ab-cmd'>$ {escape(step['command'])}</code>",
                     f"<span class='ab-exit{'' if step['exit_code'] == 0 else ' bad'}'>{escape(ended)}</span>"]
            body.append(_pre(step["output"], "output"))
        elif step["kind"] == "model":
            tokens = "" if step["tokens"] is None else f", {step['tokens']:,} tokens"
            head.append(f"<span class='ab-model'>model {escape(step['model'])}{escape(tokens)}"
                        f"{escape(', error ' + step['error']) if step['error'] else ''}</span>")
            if step["input"]:
                body.append("<details><summary>new input ({})</summary>{}</details>".format(
                    len(step["input"]), "".join(_pre(m["content"], m["role"]) for m in step["input"])))
            body.append(_pre(step["output"], "said"))
            body += [_pre(c["arguments"], f"tool call {c['name']}") for c in step["tool_calls"]]
        elif step["kind"] == "message":
            head.append(f"<span class='ab-model'>{escape(step['role'])}</span>")
            body.append(_pre(step["content"], ""))
        else:
            head.append(f"<span class='ab-event'>{escape(step['kind'])} {escape(step['name'])}"
                        f"{escape(': ' + step['reason']) if step['reason'] else ''}</span>")
        head.append(f"<span class='ab-took'>{took}</span>")
        blocks.append(f"<div class='ab-step {escape(step['kind'])}' style='margin-left:{min(level, 8) * 1.2}em'>"
                      f"<div class='ab-head'>{' '.join(head)}</div>{''.join(body)}</div>")
    notes = [f"{found['more']:,} more steps in trajectory.jsonl" if found["more"] else "",
             f"{found['unreadable']} unreadable lines" if found["unreadable"] else ""]
    note = "".join(f"<p class='ab-note'>{n}</p>" for n in notes if n)
    return (f"<h4>Transcript ({len(found['steps'])} steps)</h4><div class='ab-transcript'>"
            + ("".join(blocks) or "<p>no steps recorded</p>") + note + "</div>")


def files_html(found: Mapping[str, Any]) -> str:
    """The files the item produced: path and size; the first small text files shown (not linked: a
    page the agent wrote must not open from the report)."""
    rows = []
    for f in found["files"]:
        shown = (f"<details><summary>{escape(f['path'])}</summary>{_pre(f['text'], '')}</details>"
                 if f["text"] is not None else escape(f["path"]))
        rows.append(f"<tr><td>{shown}</td><td>{f['bytes']:,} B</td></tr>")
    more = f"<p class='ab-note'>{found['more']:,} more files</p>" if found["more"] else ""
    return (f"<h4>Files produced ({len(found['files']) + found['more']})</h4>"
            f"<table class='ab-files'><tbody>{''.join(rows)}</tbody></table>{more}") if rows else ""


def _pre(text: str, label: str) -> str:
    if not text:
        return ""
    label = f"<span class='ab-label'>{escape(label)}</span>" if label else ""
    return f"{label}<pre class='ab-out'>{escape(text)}</pre>"


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


def html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def escape(value: Any) -> str:
    """Text for HTML: agents and graders write messages, logs and CSVs with markup in them."""
    return html.escape(str(value), quote=True)
