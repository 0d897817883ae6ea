"""The host's end of a relay's stream (relay.py has the frames): requests in, answers out, many at once.

Each request the relay sends becomes a task on the process's loop for model calls (event_loop.py), so
a slow or streaming call never holds up the others; the answers go back as frames tagged with the
request's id, through a writer that serialises them onto the relay's stdin.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Awaitable, Callable

from .errors import GatewayError
from .event_loop import model_loop

Handler = Callable[[dict, "Reply"], Awaitable[None]]


class Reply:
    """The answer to one request: a whole body, an error, or a stream of SSE text."""

    def __init__(self, channel: "Channel", call_id: int):
        self._channel, self.id = channel, call_id
        self.started = self.ended = False

    def json(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self.started = self.ended = True
        self._channel.write({"id": self.id, "status": status, "body": body,
                             "headers": {"Content-Type": "application/json", **(headers or {})}})

    def error(self, error: GatewayError, headers: dict[str, str] | None = None) -> None:
        self.json(error.status, error.body(), headers)

    def start_stream(self, status: int = 200) -> None:
        self.started = True
        self._channel.write({"id": self.id, "status": status, "stream": True,
                             "headers": {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}})

    def data(self, text: str) -> None:
        self._channel.write({"id": self.id, "data": text})

    def end(self) -> None:
        if not self.ended:
            self.ended = True
            self._channel.write({"id": self.id, "end": True})


class Channel:
    def __init__(self, handler: Handler):
        self.handler = handler
        self.ready = threading.Event()
        self._send: Callable[[bytes], None] | None = None
        self._lock = threading.Lock()
        self._tasks: dict[int, asyncio.Task] = {}  # requests being answered, by id: a cancel finds them
        self.loop = model_loop()

    def connect(self, send: Callable[[bytes], None]) -> None:
        """`send` writes bytes to the relay's stdin."""
        self._send = send

    def write(self, frame: dict) -> None:
        line = json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        with self._lock:
            if self._send is not None:
                try:
                    self._send(line)
                except OSError:  # the relay is gone (its container removed): nobody is waiting
                    pass

    def on_line(self, line: bytes) -> None:
        """One line from the relay (called on the thread reading its stdout); never blocks."""
        try:
            frame = json.loads(line)
        except ValueError:
            return
        if not isinstance(frame, dict):
            return
        if frame.get("ready"):
            self.ready.set()
        elif frame.get("cancel"):
            task = self._tasks.get(frame.get("id"))
            if task is not None:
                self.loop.call_soon_threadsafe(task.cancel)
        elif isinstance(frame.get("id"), int):
            asyncio.run_coroutine_threadsafe(self._answer(frame), self.loop)

    async def _answer(self, request: dict) -> None:
        # Kept here, on the loop, not by on_line: a quick answer could end before on_line stored it.
        self._tasks[request["id"]] = asyncio.current_task()
        reply = Reply(self, request["id"])
        try:
            await self.handler(request, reply)
        except asyncio.CancelledError:
            pass  # the client went away: nobody reads an answer
        except Exception as e:  # noqa: BLE001 - a harness bug answers this call, not the whole gateway
            if not reply.started:
                reply.error(GatewayError(500, f"the gateway failed: {type(e).__name__}: {e}", "gateway_error"))
        finally:
            if reply.started:
                reply.end()
            self._tasks.pop(request["id"], None)

    def close(self) -> None:
        """Cancel the requests still being answered: their relay is gone. (The loop goes on: the
        process's other model calls use it.)"""
        async def cancel() -> None:
            tasks = list(self._tasks.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(cancel(), self.loop).result(5)
        except Exception:  # noqa: BLE001 - a task that will not end: nobody waits for it
            pass
