"""The call recorder: every request and answer of an item, keys redacted, in <item dir>/llm/calls.jsonl.

One line per call, in the order answers were given: seq, time, endpoint, request, status, response
(or the stream's chunks), usage, cost, latency, error. replay.py reads the same file."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from ..masking import mask

CALLS_FILE = Path("llm") / "calls.jsonl"
# Request fields that can carry credentials: never written, whatever their value.
SECRET_FIELDS = {"api_key", "api_base", "base_url", "extra_headers", "headers", "aws_secret_access_key",
                 "vertex_credentials"}


def redact(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: ("[redacted]" if k in SECRET_FIELDS else redact(v)) for k, v in body.items()}
    if isinstance(body, list):
        return [redact(v) for v in body]
    return body


class CallRecorder:
    def __init__(self, item_dir: Path):
        self.path = Path(item_dir) / CALLS_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._seq = 0

    def record(self, entry: dict[str, Any]) -> int:
        """Append one call; returns its sequence number (1-based)."""
        with self._lock:
            self._seq += 1
            line = json.dumps(mask(redact(dict(entry, seq=self._seq))), default=str)
            with self.path.open("a") as out:
                out.write(line + "\n")
            return self._seq


def read_calls(item_dir: Path) -> list[dict[str, Any]]:
    path = Path(item_dir) / CALLS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
