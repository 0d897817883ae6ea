"""Replay: answer an item's calls from its recorded llm/calls.jsonl, never from a provider.

A request is matched by its content (endpoint and body, the stream flag aside); among recorded
calls with the same content the earliest unused one answers, so repeated identical prompts replay
in order. A request with no recorded answer is a ReplayMiss: the item fails naming the call."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from .recorder import read_calls, redact


class ReplayMiss(Exception):
    pass


def request_key(path: str, body: Any) -> str:
    body = {k: v for k, v in (body or {}).items() if k not in ("stream", "stream_options")} \
        if isinstance(body, dict) else body
    return json.dumps([path.rstrip("/"), redact(body)], sort_keys=True)


class Replayer:
    def __init__(self, item_dir: Path, item: str):
        self.item = item
        self._left: dict[str, list[dict[str, Any]]] = {}
        for call in sorted(read_calls(item_dir), key=lambda c: c.get("seq", 0)):
            self._left.setdefault(request_key(call["path"], call["request"]), []).append(call)
        self._lock = threading.Lock()
        self._asked = 0

    def answer(self, path: str, body: Any) -> dict[str, Any]:
        """The recorded call for this request; raises ReplayMiss naming the item and call position."""
        with self._lock:
            self._asked += 1
            queue = self._left.get(request_key(path, body))
            if not queue:
                raise ReplayMiss(f"{self.item}: call {self._asked} ({path}) has no recorded answer in the "
                                 "replayed run (--llm-replay): the agent asked something the recording never saw")
            return queue.pop(0)
