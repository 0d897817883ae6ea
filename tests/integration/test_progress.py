"""Live progress: while a run goes, the terminal says what each running item is doing."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest

from support import AGENTS, LIKE_A_TERMINAL, TASK_SPECS, add_agent

pytestmark = pytest.mark.docker

CHATTY = "for i in $(seq 1 40); do echo \"working on part $i\"; sleep 1; done\n"


@pytest.fixture
def project(tmp_path, base_image_tag, monkeypatch):
    shutil.copytree(TASK_SPECS / "smoke", tmp_path / "task_specs" / "smoke")
    shutil.copytree(AGENTS, tmp_path / "agents")
    add_agent(tmp_path, "chatty", CHATTY)
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    return tmp_path


def read_until(fd: int, found, timeout: float) -> str:
    """What the terminal showed, read until `found(text)` is true."""
    text, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                text += os.read(fd, 65536).decode("utf-8", "replace")
            except OSError:  # the run ended: the terminal is closed
                break
            if found(text):
                return text
    raise AssertionError(f"not found in the terminal:\n{text[-4000:]}")


def running_lines(text: str) -> dict[str, str]:
    """Each running item's latest progress line, by item."""
    return {m.group(1): m.group(0) for m in re.finditer(r"^\s+(reverse-words\[seed\d\]): .*$", text, re.M)}


def test_a_terminal_shows_each_running_items_task_phase_time_and_latest_output(project):
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "task_specs", "-p", "no:cacheprovider",
                             "--agent=chatty", "--seeds=2", "-n", "2"], cwd=project, stdin=terminal,
                            stdout=terminal, stderr=terminal, **LIKE_A_TERMINAL)
    os.close(terminal)
    try:
        def both_agents_talking(text: str) -> bool:
            lines = running_lines(text)
            return len(lines) == 2 and all("agent running" in line and "> working on part" in line
                                           for line in lines.values())

        shown = read_until(controller, both_agents_talking, 240)
        lines = running_lines(shown)
        assert all(re.search(r"agent running, \d+:\d\d \(agent \d+:\d\d of its 2:00 limit\)", line)
                   for line in lines.values()), lines
        assert re.search(r"agentbench progress: 0 done, 2 running, 0 left", shown)
        # agent.log is written as the agent prints: `tail -f` follows it while the item runs
        [group] = (project / "runs").iterdir()
        logs = [(group / f"reverse-words_seed{s}" / "agent.log").read_text() for s in (0, 1)]
        assert all("working on part 1" in log for log in logs) and proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            while os.read(controller, 65536):
                pass
        except OSError:
            pass
        proc.wait(timeout=120)
        os.close(controller)


def test_plain_lines_when_the_output_is_not_a_terminal(project):
    (project / "agents" / "chatty" / "start.sh").write_text("echo one moment; sleep 6\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "task_specs", "-p", "no:cacheprovider",
                           "--agent=chatty"], cwd=project, capture_output=True, text=True, timeout=300)
    assert "\x1b[" not in done.stdout
    assert re.search(r"^agentbench progress: 0 done, 1 running, 0 left$", done.stdout, re.M), done.stdout
    assert re.search(r"^  reverse-words: agent running, \d+:\d\d \(agent \d+:\d\d of its 2:00 limit\)",
                     done.stdout, re.M), done.stdout
    [group] = (project / "runs").iterdir()
    assert not (group / ".progress").exists()  # the run's own bookkeeping goes at its end
