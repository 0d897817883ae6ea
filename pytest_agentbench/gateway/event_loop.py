"""The one asyncio loop of a pytest process for model calls, in a thread of its own.

The worker's gateway answers its relay's requests on it (channel.py) and the harness's own calls (a
judge's, harness_calls.py) run on it too, so they share one kept-alive connection pool per provider
(openai_compatible.py keeps a client per loop). It runs until the process ends (a daemon thread).
"""

from __future__ import annotations

import asyncio
import threading

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def model_loop() -> asyncio.AbstractEventLoop:
    """This process's loop for model calls, started on first use."""
    global _loop
    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="agentbench-model-calls", daemon=True).start()
        return _loop
