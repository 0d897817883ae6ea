"""Output kept within bounds: its first and last bytes, and a line saying how much was cut between.

An agent can print without end (413 MB of stdout once made a 433 MB agent.log and 300 MB more of the
worker's memory); the head shows how it started, the tail how it ended.
"""

from __future__ import annotations

from typing import Callable


class HeadTail:
    """Keeps the first `head` and the last `tail` bytes written; what lies between is only counted.

    With `on_head`, the head goes to that callable as it arrives (an open log file, say) instead of
    being kept; `rest()` then gives what follows it. Memory stays under head + 2 x tail + one chunk."""

    def __init__(self, head: int, tail: int, on_head: Callable[[bytes], object] | None = None):
        self.head_size, self.tail_size = head, tail
        self._on_head = on_head
        self._head = bytearray()
        self._head_written = 0
        self._tail = bytearray()
        self.cut = 0  # bytes dropped between head and tail
        self.total = 0

    def write(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_size - self._head_written
        if room > 0:
            first, data = data[:room], data[room:]
            self._head_written += len(first)
            if self._on_head is not None:
                self._on_head(first)
            else:
                self._head += first
        if not data:
            return
        self._tail += data
        if len(self._tail) > 2 * self.tail_size:  # trim now and then, not on every chunk
            self._trim()

    def _trim(self) -> None:
        extra = len(self._tail) - self.tail_size
        if extra > 0:
            del self._tail[:extra]
            self.cut += extra

    def rest(self) -> bytes:
        """What follows the head: a line saying what was cut (if anything was), then the tail."""
        self._trim()
        if not self.cut:
            return bytes(self._tail)
        note = (f"\n[agentbench: {self.cut:,} bytes cut here, of {self.total:,}; the first {self.head_size:,} "
                f"and the last {self.tail_size:,} are kept]\n")
        return note.encode() + bytes(self._tail)

    def getvalue(self) -> bytes:
        return bytes(self._head) + self.rest()
