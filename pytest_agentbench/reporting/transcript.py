"""What the run viewer shows of one item beyond its result: its transcript (trajectory.jsonl as people
read it: the model's turns and every command, with times, outputs and exit codes) and the files it
produced. Bounded, so that one chatty item cannot make the page slow: the whole text stays in the files
the viewer links (trajectory.jsonl, llm/calls.jsonl).

Everything here is data the agent wrote: it is masked here and escaped where it becomes HTML (page.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..masking import mask
from .results import HARNESS_FILES

MAX_STEPS = 500  # steps shown per item; a note counts the rest
MAX_OUTPUT = 6_000  # characters of one step's output or message shown: its first and last halves
MAX_FILES = 200  # files listed per item
MAX_PREVIEW = 4_000  # characters shown of a small text file
MAX_PREVIEWS = 20  # files previewed per item


def transcript(path: Path) -> dict[str, Any]:
    """{steps, more, unreadable}: the trajectory's steps in file order (which is time order per run),
    each with `t` (seconds since the first step started) and `duration`; `more` counts steps not shown.
    A file in the live form (trajectory.py: a run that never ended) has its `end` events folded into
    the steps they end."""
    steps, more, unreadable = [], 0, 0
    shown: dict[Any, dict[str, Any]] = {}  # step number -> the step, for the `end` events that follow
    try:
        with Path(path).open(encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    step = json.loads(line)
                except ValueError:
                    unreadable += 1  # a line cut short by a kill
                    continue
                if not isinstance(step, dict):
                    continue
                if step.get("kind") == "event" and step.get("name") == "end" and isinstance(step.get("of"), int):
                    ended = shown.get(step["of"])
                    if ended is not None:
                        ended.update({k: step[k] for k in ("end", "exit_code", "timed_out") if k in step})
                        if step.get("output"):
                            ended["output"] = step["output"]
                    continue
                if len(steps) >= MAX_STEPS:
                    more += 1
                    continue
                steps.append(step)
                shown[step.get("step")] = step
    except OSError:
        return {"steps": [], "more": 0, "unreadable": 0}
    first = min((s["start"] for s in steps if _is_time(s.get("start"))), default=None)
    return mask({"steps": [_shown(s, first) for s in steps], "more": more, "unreadable": unreadable})


def _shown(step: dict[str, Any], first: float | None) -> dict[str, Any]:
    start, end = step.get("start"), step.get("end")
    usage = step.get("usage") if isinstance(step.get("usage"), dict) else {}
    return {
        "step": step.get("step"), "kind": step.get("kind"), "parent": step.get("parent"),
        "t": start - first if _is_time(start) and first is not None else None,
        "duration": end - start if _is_time(start) and _is_time(end) else None,
        "command": _text(step.get("command")), "exit_code": step.get("exit_code"),
        "timed_out": bool(step.get("timed_out")), "output": clip(_text(step.get("output"))),
        "model": _text(step.get("model")), "status": step.get("status"), "error": _text(step.get("error")),
        "input": [{"role": _text(m.get("role") or m.get("type")), "content": clip(_text(m.get("content")))}
                  for m in step.get("input") or [] if isinstance(m, dict)],
        "tool_calls": [{"name": _text(c.get("name")), "arguments": clip(_text(c.get("arguments")))}
                       for c in step.get("tool_calls") or [] if isinstance(c, dict)],
        "tokens": (usage.get("prompt_tokens") or usage.get("input_tokens") or 0)
        + (usage.get("completion_tokens") or usage.get("output_tokens") or 0) if usage else None,
        "role": _text(step.get("role")), "content": clip(_text(step.get("content"))),
        "name": _text(step.get("name")), "reason": _text(step.get("reason")),
    }


def produced_files(folder: Path) -> dict[str, Any]:
    """{files, more}: the files the item's outputs brought back (not the harness's own), each with its
    path in the folder, its size and, for the first few small text files, their text."""
    files, more, previews = [], 0, 0
    folder = Path(folder)
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        if here == folder:
            dirs[:] = [d for d in dirs if d not in HARNESS_FILES]
            names = [n for n in names if n not in HARNESS_FILES]
        dirs.sort()
        for name in sorted(names):
            path = here / name
            if len(files) >= MAX_FILES:
                more += 1
                continue
            try:
                size = path.lstat().st_size
            except OSError:
                continue
            entry = {"path": path.relative_to(folder).as_posix(), "bytes": size, "text": None}
            if previews < MAX_PREVIEWS and path.is_file() and not path.is_symlink():
                entry["text"] = _text_of(path)
                previews += entry["text"] is not None
            files.append(entry)
    return mask({"files": files, "more": more})


def _text_of(path: Path) -> str | None:
    """The start of a text file (None for binary data: a NUL byte, or not UTF-8)."""
    with path.open("rb") as f:
        data = f.read(MAX_PREVIEW + 1)
    if b"\0" in data:
        return None
    try:
        text = data[:MAX_PREVIEW].decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < MAX_PREVIEW - 3:  # not a character cut at the end
            return None
        text = data[:e.start].decode("utf-8")
    return text + ("\n[...]" if len(data) > MAX_PREVIEW else "")


def clip(text: str, limit: int = MAX_OUTPUT) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - limit:,} characters not shown ...]\n{text[-half:]}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _is_time(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
