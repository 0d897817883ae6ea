"""SIGINT, SIGTERM and SIGHUP all stop a run the way Ctrl-C does, in every process of it.

Ctrl-C in a terminal reaches every process of the run. SIGTERM (from `timeout`, a CI cancellation,
`docker stop`, Kubernetes, systemd) and SIGHUP would kill a process outright, with no fixture
teardown: agents' containers kept running. And a signal may reach the controller alone, whose xdist
workers then go on starting the items queued to them until xdist kills them 10 s later, their results
lost. So each process turns the first of these signals into the KeyboardInterrupt pytest already
handles (the item in progress stops, fixture teardown removes its containers, no new item starts,
the controller sweeps the run's objects), and passes it on to its child processes (the xdist
workers) as SIGTERM, which a background job's workers do not ignore as they do SIGINT. Later signals
are ignored while that cleanup runs.
"""

from __future__ import annotations

import glob
import os
import signal

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopOnSignals:
    def __init__(self) -> None:
        self.received: str | None = None  # the name of the first signal received
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        for signum in SIGNALS:
            current = signal.getsignal(signum)
            # A signal someone ignores (nohup's SIGHUP, a background job's SIGINT) or handles
            # themselves stays theirs.
            if current not in (signal.SIG_DFL, signal.default_int_handler):
                continue
            try:
                signal.signal(signum, self._handle)
            except ValueError:  # not the main thread (pytest run in-process from a thread)
                return
            self._previous[signum] = current

    def hold(self) -> None:
        """From now on the signals are ignored: the run's last cleanup (the sweep) must not be cut."""
        self.received = self.received or "held"

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def _handle(self, signum: int, frame) -> None:
        if self.received is not None:
            return  # already stopping: let the cleanup finish
        self.received = signal.Signals(signum).name
        for pid in _child_pids():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        raise KeyboardInterrupt(f"{self.received} received: the run stops")


def _child_pids() -> list[int]:
    pids: list[int] = []
    for path in glob.glob(f"/proc/{os.getpid()}/task/*/children"):
        try:
            with open(path) as f:
                pids += [int(pid) for pid in f.read().split()]
        except OSError:
            pass
    return pids
