"""What a failed image build says: the step that failed and its last output lines, as plain text.

Docker's classic builder streams "Step 3/5 : RUN ..." before each step, its output, and its own
bookkeeping (" ---> Running in 1a2b", "Removing intermediate container 1a2b"); a failing step ends
with an "error" event. The bookkeeping and terminal colour codes say nothing about why it failed."""

from __future__ import annotations

import re
from collections import deque

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")  # CSI sequences and two-byte escapes
_NOISE = re.compile(r"^\s*(---> |Removing intermediate container |Successfully (built|tagged) )")
_STEP = re.compile(r"^Step \d+/\d+ : ")
KEPT_LINES = 15


def plain(text: str) -> str:
    """Text without terminal escape codes (colours, cursor moves) and carriage-return redraws."""
    lines = ANSI.sub("", text).replace("\r\n", "\n").split("\n")
    return "\n".join(line.rsplit("\r", 1)[-1] for line in lines)  # a progress bar's last redraw


class BuildOutput:
    """The build's output as it streams: the current step and the last lines it printed."""

    def __init__(self) -> None:
        self.step = ""
        self.lines: deque[str] = deque(maxlen=KEPT_LINES)

    def add(self, chunk: str) -> None:
        for line in plain(chunk).splitlines():
            if _STEP.match(line):
                self.step, self.lines = line.strip(), deque(maxlen=KEPT_LINES)
            elif line.strip() and not _NOISE.match(line):
                self.lines.append(line.rstrip())

    def failure(self, what: str, error: str) -> str:
        """One headline (what, the step, Docker's error), then the step's last output lines."""
        step = f" at {self.step.replace(' : ', ': ', 1)}" if self.step else ""
        headline = f"{what} failed{step}: {plain(error).strip()}"
        return headline + ("\nits last output lines:\n" + "\n".join(f"  {line}" for line in self.lines)
                           if self.lines else "")
