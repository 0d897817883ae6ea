"""`--llm-replay GROUP`: an item's model calls answered from a recorded run, never by a provider.

A request is matched by its content (endpoint and body, as the recorder wrote them); among equal
requests the earliest unused recording answers first, so a run that asks the same question twice gets
the two answers in their order. A request with no recorded answer gets an error (HTTP 409,
`replay_miss`) naming the item and the call's position, and `miss` keeps the first such message so
the item fails with it: a replayed run never makes a live call.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict, deque
from pathlib import Path
from typing import Any, AsyncIterator

from ..masking import mask
from .errors import GatewayError
from .recorder import read_calls, redact

ANSWERED_BY = ("provider", "replay")  # the gateway's own refusals (budget, bad request) happen again by themselves


def request_key(endpoint: str, body: Any) -> str:
    """The request's identity: as the recorder writes it (redacted, masked), canonical JSON."""
    text = json.dumps([endpoint, mask(redact(body))], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class Replay:
    source = "replay"

    def __init__(self, calls_file: Path, item: str):
        self.calls_file, self.item = Path(calls_file), item
        self.miss: str | None = None
        self._unused: dict[str, deque[dict]] = defaultdict(deque)
        if self.calls_file.is_file():
            for entry in read_calls(self.calls_file):
                if entry.get("source") in ANSWERED_BY:
                    self._unused[request_key(entry.get("endpoint", ""), entry.get("request"))].append(entry)

    def _take(self, endpoint: str, body: dict, seq: int) -> dict:
        recorded = self._unused.get(request_key(endpoint, body))
        if not recorded:
            where = self.calls_file if self.calls_file.is_file() else f"{self.calls_file} (missing)"
            message = (f"--llm-replay: item {self.item}: call {seq} ({endpoint}, model {body.get('model')!r}) has no "
                       f"recorded answer in {where}: the run asked what the recorded run did not")
            self.miss = self.miss or message
            raise GatewayError(409, message, "replay_miss", by_gateway=True)
        entry = recorded.popleft()
        if entry.get("error"):
            raise GatewayError(int(entry.get("status") or 502), entry["error"], entry.get("code") or "upstream_error")
        return entry

    async def complete(self, endpoint: str, body: dict, seq: int) -> dict:
        return self._take(endpoint, body, seq)["response"]

    async def stream(self, endpoint: str, body: dict, seq: int) -> AsyncIterator[dict]:
        for event in self._take(endpoint, body, seq).get("events") or []:
            yield event
