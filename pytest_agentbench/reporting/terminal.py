"""What a run prints: the summary table at the end of the terminal output, and the Markdown summary for
$GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .tables import agent_headers, agent_rows, category_headers, category_rows


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
