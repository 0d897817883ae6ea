"""The evaluator's line to the runner: one JSON object per line, over a pair of pipes only they hold.

The runner (root) starts the evaluator as another user and passes it the two pipe ends, named by
``AGENTBENCH_GRADER_CHANNEL=<read fd>,<write fd>``. Through them the evaluator asks for what it may not
do itself (ask the judge, run the agent's code as the agent) and reports its result; code the agent
wrote, run as the agent's user, holds neither end.

Standard library only: this module runs in the grader container.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, BinaryIO

ENV_VAR = "AGENTBENCH_GRADER_CHANNEL"
MAX_LINE = 64 * 1024 * 1024  # a message larger than this is not one we sent


def write_message(stream: BinaryIO, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, ensure_ascii=True, default=str).encode() + b"\n")
    stream.flush()


def read_message(stream: BinaryIO) -> dict[str, Any] | None:
    """The next message, or None at the end of the stream."""
    line = stream.readline(MAX_LINE)
    if not line:
        return None
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError(f"expected a JSON object, got {line[:200]!r}")
    return message


class _Client:
    def __init__(self, read_fd: int, write_fd: int):
        self.reader = os.fdopen(read_fd, "rb", buffering=0)
        self.writer = os.fdopen(write_fd, "wb")
        self.lock = threading.Lock()

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            write_message(self.writer, message)
            reply = read_message(self.reader)
        if reply is None:
            raise RuntimeError("the grading runner closed the channel")
        return reply

    def send(self, message: dict[str, Any]) -> None:
        with self.lock:
            write_message(self.writer, message)


_client: _Client | None = None


def client() -> _Client | None:
    """The channel to the runner, when this process is an evaluator the runner started; else None."""
    global _client
    if _client is None and os.environ.get(ENV_VAR):
        read_fd, write_fd = (int(fd) for fd in os.environ[ENV_VAR].split(","))
        for fd in (read_fd, write_fd):  # no program the evaluator starts (os.system: the agent's) inherits them
            os.set_inheritable(fd, False)
        _client = _Client(read_fd, write_fd)
    return _client
