"""What a run prints: the summary table at the end of the terminal output, and the Markdown summary for
$GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from typing import Any

import pytest

from ..run import host_failure
from .tables import agent_headers, agent_rows, category_headers, category_rows

TIMED_OUT_ATTR = "agentbench_timed_out"  # on the call report of an item whose agent hit its time limit


def resume_command(group) -> str:
    """The command that finishes an interrupted run group (its agent, seeds, tasks and selection come
    from the group)."""
    return f"pytest --resume {shlex.quote(str(group))}"


def text_lines(summary: Mapping[str, Any]) -> list[str]:
    """The terminal's table: one line per agent, then one per category."""
    return _text_table(agent_headers(), agent_rows(summary)) + [""] + _text_table(category_headers(),
                                                                                 category_rows(summary))


def markdown(summary: Mapping[str, Any], title: str) -> str:
    """For $GITHUB_STEP_SUMMARY."""
    def table(headers, rows):
        return "\n".join(["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
                         + ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows])
    return (f"### agentbench: {title}\n\n{table(agent_headers(), agent_rows(summary))}\n\n"
            f"{table(category_headers(), category_rows(summary))}\n")


# Shared by the summary and the item details, in pytest-html's page and in report.html.


def _text_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows)]
    return ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [headers, *rows]]


class TerminalSummary:
    """The summary table at the end of the terminal output; the Markdown one for $GITHUB_STEP_SUMMARY."""

    def __init__(self, run) -> None:
        self.run = run  # pytest_plugin.ReportPlugin

    @pytest.hookimpl(trylast=True)  # after ReportPlugin's: the summary is written by then
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        summary, step_summary = self.run.finished_summary(), os.environ.get("GITHUB_STEP_SUMMARY")
        if summary is not None and step_summary:
            with open(step_summary, "a", encoding="utf-8") as f:
                f.write(markdown(summary, self.run.state.group.name) + "\n")

    def pytest_report_teststatus(self, report: pytest.TestReport):
        # Counted as failed, as the summary counts it, but named for what happened.
        if report.failed and getattr(report, TIMED_OUT_ATTR, False):
            return "failed", "T", "TIMED OUT"
        if report.failed and report.when == "???" and self.run.is_task(report.nodeid):
            # xdist's report of an item whose worker crashed: an error, as JUnit and the summary count it
            return "error", "E", "ERROR"
        return None

    def pytest_terminal_summary(self, terminalreporter, exitstatus) -> None:
        summary = self.run.finished_summary()
        if summary is None:
            return
        group = self.run.state.group
        terminalreporter.write_sep("=", "agentbench summary")
        for line in text_lines(summary):
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"results: {group}")
        if self.run.unsaid_write_error is not None:
            terminalreporter.write_line(host_failure(self.run.unsaid_write_error, group, group), red=True)
        elif exitstatus == pytest.ExitCode.INTERRUPTED:
            terminalreporter.write_line(f"agentbench: the run was interrupted; to finish it: {resume_command(group)}",
                                        yellow=True)
