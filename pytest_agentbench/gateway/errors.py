"""The gateway's errors, as the agent reads them: OpenAI's error shape, which every OpenAI-compatible
client library turns into an exception carrying the message."""

from __future__ import annotations

import json


class GatewayError(Exception):
    """A call the gateway answers with an error: HTTP `status`, OpenAI-shaped body with `code`."""

    def __init__(self, status: int, message: str, code: str, *, by_gateway: bool = False):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.by_gateway = by_gateway  # the gateway's own answer, never the provider's (a replay's miss)

    def body(self) -> str:
        return json.dumps({"error": {"message": self.message, "type": self.code, "code": self.code, "param": None}})
