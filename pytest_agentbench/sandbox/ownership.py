"""Labels that tie every container, network and volume to its run and to the process that made it.

Fixture teardown cannot be trusted to run (xdist kills workers 10 s after Ctrl-C; `kill -9` runs
nothing), so cleanup works from labels instead: the controller removes its run's objects at the end
and reaps those of a worker that died as soon as xdist reports it, and each new run reaps objects
whose creating process is gone. A pid alone could be reused by an
unrelated process, so the process start time is part of the identity.
"""

from __future__ import annotations

import os
import socket
from functools import cache

RUN = "agentbench.run"
PID = "agentbench.pid"
PID_START = "agentbench.pid-start"
HOST = "agentbench.host"
CACHE = "agentbench.cache"  # on data kept across runs (no run label: no run's sweep removes it)


def process_start(pid: int) -> str | None:
    """The kernel's start time of `pid` (clock ticks since boot), or None if it is gone: it does not
    exist, or it is a zombie (dead, only not yet waited for by its parent: a worker killed with
    kill -9 stays one until xdist ends the run)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]  # fields 3 (state) and 22 (start time)


@cache
def _this_host() -> str:
    return socket.gethostname()


def owner_labels(run_id: str) -> dict[str, str]:
    pid = os.getpid()
    return {RUN: run_id, PID: str(pid), PID_START: process_start(pid) or "", HOST: _this_host()}


def owner_is_dead(labels: dict[str, str]) -> bool:
    """True when the object's creating process is known to be gone (only decidable on its own host)."""
    if labels.get(HOST) != _this_host():
        return False
    try:
        pid = int(labels.get(PID, ""))
    except ValueError:
        return True  # ours (it has the run label) but unattributable: nobody will clean it up
    return process_start(pid) != labels.get(PID_START)
