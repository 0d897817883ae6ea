"""Every model call of an item, one JSON line each, in `<item dir>/llm/calls.jsonl`.

A line holds what the model saw and said: the call's position (`seq`), when it started and how long
it took, the endpoint, the request body, the answer (a whole body, or the list of streamed events),
its status, tokens, cost and error, and where the answer came from (`provider`, `replay`, or
`gateway` for the gateway's own refusals). Credentials are never written: fields named like keys are
replaced, and every secret the run knows is masked (masking.py). `--llm-replay` reads these files.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Callable

from ..files import read_json_lines
from ..masking import SECRET_NAME, mask

CALLS_FILE = Path("llm") / "calls.jsonl"
REDACTED = "[redacted]"
CREDENTIAL_FIELDS = {"api_key", "authorization", "x-api-key", "proxy-authorization"}


def redact(value: Any) -> Any:
    """`value` with every field named like a credential replaced, at any depth."""
    if isinstance(value, dict):
        return {k: REDACTED if isinstance(k, str) and (k.lower() in CREDENTIAL_FIELDS or SECRET_NAME.search(k))
                else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class CallRecorder:
    def __init__(self, item_dir: Path):
        self.path = Path(item_dir) / CALLS_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[dict[str, Any]], None]] = []

    def listen(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Call `listener` with each call as written (redacted, masked), once it is in the file."""
        self._listeners.append(listener)

    def write(self, entry: dict[str, Any]) -> None:
        written = mask(redact(entry))
        line = json.dumps(written, ensure_ascii=False, separators=(",", ":"))
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
        for listener in self._listeners:
            try:
                listener(written)
            except Exception:  # noqa: BLE001 - a live view (the trajectory's) never fails the agent's call
                pass


def read_calls(path: Path) -> list[dict[str, Any]]:
    """The recorded calls of one item, in order; a line that is not JSON (a run cut mid-write) is skipped."""
    return read_json_lines(path)
