"""Live progress: what each running item is doing, while the run goes, serial and under xdist.

Every process that runs items (the one process, or each xdist worker) keeps a small JSON file in the
run group, `.progress/<pid>.json`: its running item's task, phase (from the fixture being set up),
when the item and the phase began, the agent's time limit and its latest output line. The controller
reads those files every second and prints a block of lines: overall done / running / left with an
estimate, then one line per running item. A file is the channel because it works the same for one
process and for xdist workers (whose only other way to the controller is their reports, which come when
an item's phase ends, not while the agent runs).

In a terminal the block is printed when something changes or every few seconds; when the output is not
a terminal (a CI log), plain lines when an item's phase changes, and a reminder once a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

from . import masking
from .collect import SPEC_KEY
from .files import write_json_atomic
from .run import RUN_KEY

PROGRESS_DIR = ".progress"
WRITER_KEY = pytest.StashKey["ProgressWriter"]()
# What an item is doing while pytest sets up each fixture of the chain (fixtures.py); "agent running"
# is said by agent_run itself, once the agent's container is up.
PHASES = {"base_image": "building image", "agent_image": "building image", "task_context": "preparing data",
          "task_network": "starting services", "task_services": "starting services",
          "task_egress": "starting services", "task_sandbox": "starting the agent's container",
          "task_outputs": "copying outputs", "task_grade": "grading"}
AGENT_RUNNING = "agent running"
LINE_WIDTH = 100  # of the agent's latest output line, as shown


class ProgressWriter:
    """The running item's progress, written to this process's file in the run group."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.item: dict | None = None
        self._written = 0.0

    @property
    def path(self) -> Path:
        return self.config.stash[RUN_KEY].group / PROGRESS_DIR / f"{os.getpid()}.json"

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        spec = item.stash.get(SPEC_KEY, None)
        if spec is not None:
            now = time.time()
            self.item = {"nodeid": item.nodeid, "task": item.name, "phase": "starting", "started": now,
                         "phase_started": now, "limit": self.config.stash[RUN_KEY].options.get("time_limit")
                         or spec.time_limit, "line": ""}
            self._write()

    @pytest.hookimpl(tryfirst=True)
    def pytest_fixture_setup(self, fixturedef, request) -> None:
        phase = PHASES.get(fixturedef.argname)
        if phase is not None and request.node.nodeid == (self.item or {}).get("nodeid"):
            self.enter(phase)

    def enter(self, phase: str) -> None:
        """The running item's phase is now `phase` (the agent's run says when the agent starts)."""
        if self.item is not None and phase != self.item["phase"]:
            self.item.update(phase=phase, phase_started=time.time())
            self._write()

    def output(self, chunk: bytes) -> None:
        """The agent printed `chunk`: its last whole line becomes the item's latest (at most once a second)."""
        if self.item is None:
            return
        lines = [line.strip() for line in chunk.decode("utf-8", "replace").splitlines() if line.strip()]
        if lines:
            self.item["line"] = masking.mask(lines[-1])[:LINE_WIDTH]
            if time.time() - self._written >= 1:
                self._write()

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        if self.item is not None and self.item["nodeid"] == nodeid:
            self.item = None
            self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        self._written = time.time()
        try:
            write_json_atomic(self.path, self.item)
        except OSError:
            pass  # progress is a nicety: a full disk is reported where results are written


class ProgressBoard:
    """On the controller: reads every process's progress file and prints the run's progress."""

    def __init__(self, config: pytest.Config, total: int, workers: int) -> None:
        self.config, self.total, self.workers = config, total, workers
        self.done: list[float] = []  # durations of the items that ended
        self._durations: dict[str, float] = {}  # of the items under way, phase by phase
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="agentbench-progress", daemon=True)
        self.out = config.stash.get(STDOUT_KEY, None)
        self.live = bool(self.out and self.out.isatty())
        self._shown: tuple = ()
        self._printed = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        shutil.rmtree(self.config.stash[RUN_KEY].group / PROGRESS_DIR, ignore_errors=True)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if "agentbench" not in report.keywords:
            return
        self._durations[report.nodeid] = self._durations.get(report.nodeid, 0.0) + report.duration
        if report.when == "teardown":
            self.done.append(self._durations.pop(report.nodeid))

    def running(self) -> list[dict]:
        items = []
        for path in sorted((self.config.stash[RUN_KEY].group / PROGRESS_DIR).glob("*.json")):
            try:
                items.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue  # ended (removed) or being replaced as we read
        return sorted(items, key=lambda i: i.get("started", 0))

    def lines(self, running: list[dict], now: float) -> list[str]:
        done, left = len(self.done), max(0, self.total - len(self.done) - len(running))
        estimate = ""
        if self.done and (left or running):
            mean = sum(self.done) / len(self.done)
            estimate = f", about {_clock((left + len(running)) * mean / max(1, self.workers))} to go"
        lines = [f"agentbench progress: {done} done, {len(running)} running, {left} left{estimate}"]
        for item in running:
            elapsed = _clock(now - item.get("started", now))
            limit = f" (agent {_clock(now - item['phase_started'])} of its {_clock(item['limit'])} limit)" \
                if item.get("phase") == AGENT_RUNNING and item.get("limit") else ""
            said = f"  > {item['line']}" if item.get("line") else ""
            lines.append(f"  {item.get('task')}: {item.get('phase')}, {elapsed}{limit}{said}")
        return lines

    def _loop(self) -> None:
        interval, every = (1.0, 5.0) if self.live else (2.0, 60.0)
        while not self._stop.wait(interval):
            running, now = self.running(), time.time()
            # What is worth a new block: an item starting, ending or changing phase (and, in a
            # terminal, a new output line); else a reminder now and then.
            shown = tuple((i.get("nodeid"), i.get("phase"), i.get("line") if self.live else None) for i in running)
            if shown == self._shown and now - self._printed < every:
                continue
            if not running and not self._shown:
                continue
            self._shown, self._printed = shown, now
            self._print(self.lines(running, now))

    def _print(self, lines: list[str]) -> None:
        if self.out is None or self.config.option.verbose < 0 and not self.live:
            return
        try:  # on a line of its own: pytest may be half-way through a line of dots
            self.out.write("\n" + "\n".join(lines) + "\n")
            self.out.flush()
        except (OSError, ValueError):
            pass


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(max(0, seconds)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes}:{secs:02d}"


# --- hooks (this module is registered as a plugin by plugin.py) ---------------------------------------

STDOUT_KEY = pytest.StashKey["object"]()  # the run's real stdout, which pytest's capturing leaves alone


def keep_stdout(early_config: pytest.Config) -> None:
    """Keep the real stdout before pytest starts capturing: fd 1 goes to a temporary file while an item
    runs, and the board prints while items run (from a thread of the process running them, without
    xdist). Called from plugin.py's pytest_load_initial_conftests, which runs before capturing starts."""
    try:
        early_config.stash[STDOUT_KEY] = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8",
                                                   errors="replace")
    except (OSError, ValueError, AttributeError):  # no real stdout (an embedding program's)
        pass


def pytest_unconfigure(config: pytest.Config) -> None:
    out = config.stash.get(STDOUT_KEY, None)
    if out is not None:
        out.close()


def pytest_configure(config: pytest.Config) -> None:
    state = config.stash.get(RUN_KEY, None)
    if state is None or state.agent is None or config.option.collectonly:
        return
    writer = config.stash[WRITER_KEY] = ProgressWriter(config)
    config.pluginmanager.register(writer, "agentbench-progress-writer")


_BOARD_KEY = pytest.StashKey[ProgressBoard]()


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    _start_board(session.config, len([i for i in session.items if SPEC_KEY in i.stash]))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids: list[str]) -> None:
    config = node.config
    if _BOARD_KEY not in config.stash:  # the first worker's collection: every worker collects the same
        _start_board(config, len([i for i in ids if i.split("::", 1)[0].endswith(("task.yaml", "task.md"))]))


def _start_board(config: pytest.Config, total: int) -> None:
    state = config.stash.get(RUN_KEY, None)
    if (hasattr(config, "workerinput") or state is None or state.agent is None or config.option.collectonly
            or not total or _BOARD_KEY in config.stash):
        return
    board = config.stash[_BOARD_KEY] = ProgressBoard(config, total, state.options.get("workers") or 1)
    config.pluginmanager.register(board, "agentbench-progress-board")
    board.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    board = session.config.stash.get(_BOARD_KEY, None)
    if board is not None:
        board.stop()
