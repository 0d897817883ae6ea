"""pytest-html: the report's columns (tables.COLUMNS), each item's details and links (extras), the run's
summary above the table, and a row for an item whose xdist worker crashed (pytest-html makes rows only
from teardown reports, which such an item never sends: see private_api.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from . import page, results, tables
from .summary import item_view, task_and_seed
from ..private_api import html_report_plugin, set_test_id_cell

CRASH_ATTR = "agentbench_crashed"  # on the report handed to pytest-html for a crashed item


class HtmlReport:
    def __init__(self, run) -> None:
        self.run = run  # pytest_plugin.ReportPlugin: the rows, the summary, the run's state

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        if call.when == "teardown" and (result := self.run.item_result(item)) is not None:
            report.extras = [*getattr(report, "extras", []), *_extras(result, self._html_dir())]
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.run.is_controller() and report.when == "???" and self.run.is_task(report.nodeid):
            self._add_crash_row(report)  # xdist's report of a crashed worker's item

    def _add_crash_row(self, report: pytest.TestReport) -> None:
        """Hand pytest-html the crashed item's row (its own report, not the terminal's or JUnit's)."""
        html = html_report_plugin(self.run.config)
        state = self.run.state
        if html is None or state is None:
            return
        path = results.item_folder(state.group, *task_and_seed(report.nodeid)) / results.RESULT_FILE
        result = results.read_result(path) or {"nodeid": report.nodeid, "crashed": True, "crash": str(report.longrepr)}
        self.run.rows[report.nodeid] = item_view(result)
        html.pytest_runtest_logreport(pytest.TestReport(
            nodeid=report.nodeid, location=report.location, keywords={}, outcome="failed",
            longrepr=report.longrepr, when="teardown", duration=getattr(report, "duration", 0.0),
            extras=_extras(result, self._html_dir()), **{CRASH_ATTR: True}))

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells[2:2] = [f'<th class="sortable" data-column-type="{key}">{title}</th>'
                      for key, title in tables.COLUMNS.items()]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        view = self.run.rows.get(report.nodeid)
        if getattr(report, CRASH_ATTR, False):
            set_test_id_cell(cells, f"{page.escape(report.nodeid)} (worker crashed)")
        values = tables.cells(view) if view else dict.fromkeys(tables.COLUMNS, "")
        cells[2:2] = [f'<td class="col-{key}">{page.escape(value)}</td>' for key, value in values.items()]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        if (finished := self.run.finished_summary()) is not None:
            prefix.append(page.summary_html(finished))

    def _html_dir(self) -> Path | None:
        path = getattr(self.run.config.option, "htmlpath", None)
        return Path(os.path.expandvars(path)).expanduser().resolve().parent if path else None


def _extras(result: dict, html_dir: Path | None) -> list[dict]:
    """pytest-html extras: the details (checkpoints, log tail, submission preview), and links."""
    if html_dir is None:
        return []  # no --html: nothing would show them
    from pytest_html import extras

    detail = page.item_detail(result)
    links = [extras.url(page.href(detail[key], html_dir), name=name)
             for key, name in (("trajectory", "trajectory.jsonl"), ("log", "agent.log")) if detail.get(key)]
    return [extras.html(page.detail_html(detail)), *links]
