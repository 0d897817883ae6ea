"""Results people and CI read: pytest-html columns, row details and summary, a JUnit `medal` property,
a result and an HTML row for items whose xdist worker crashed, the run group's report files, a
Markdown summary for $GITHUB_STEP_SUMMARY and a table at the end of the terminal output.

Per item, the worker that ran it attaches its row (JSON-safe) to the teardown report; the controller
(the only process that writes reports) keeps the rows by node id. Every total is computed on the
controller from the run group's result files on disk and the collected node ids, so it is right
under xdist and after a worker crashed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from . import run_group as report_files
from . import results
from .. import result as item_result
from ..collect import RESULT_KEY, SEED_KEY, SPEC_FILE, SPEC_KEY
from ..run import EXIT_CODE_KEY, HOST_FAILURE, RUN_KEY, host_failure, stop_for_host_failure
from .summary import families, item_view, task_and_seed
from . import page, tables
from .terminal import markdown, text_lines

ROW_ATTR = "agentbench_row"  # on a teardown report: the item's view (summary.item_view)
CRASH_ATTR = "agentbench_crashed"  # on the report this plugin hands pytest-html for a crashed item


class ReportPlugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.collected: set[str] = set()  # task node ids, as the controller learns them
        self.rows: dict[str, dict] = {}  # node id -> the item's view, on the controller
        self._summary: dict | None = None
        self._write_error: OSError | None = None  # the first write the host refused (a full disk)
        self._unsaid_write_error: OSError | None = None

    # --- which process, which run ---------------------------------------------------------------------

    @property
    def _state(self):
        return self.config.stash.get(RUN_KEY, None)

    def _active(self) -> bool:
        state = self._state
        return state is not None and state.agent is not None and not self.config.option.collectonly

    def _is_controller(self) -> bool:
        return not hasattr(self.config, "workerinput")

    # --- collection: which items count ----------------------------------------------------------------

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        items = [item for item in session.items if SPEC_KEY in item.stash]
        if not self._active() or not items:
            return  # the xdist controller collects nothing: its workers write collected.json
        self.collected.update(item.nodeid for item in items)
        try:
            report_files.write_collected(self._state.group, {item.nodeid: _known(item) for item in items})
        except OSError as e:
            stop_for_host_failure(session, e, self._state.group / report_files.COLLECTED_FILE)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids: list[str]) -> None:
        self.collected.update(nodeid for nodeid in ids if _is_task(nodeid))

    # --- per item: JUnit property, row data and details ------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        result = item.stash.get(RESULT_KEY, None)
        if result is not None and call.when == "call":
            family = families().get(item.stash[SPEC_KEY].kind)
            known = {name for name, _ in item.user_properties}
            for name, value in family.junit_properties(item_view(result)) if family else []:
                if name not in known:  # JUnit: record_property's way, so it survives -n
                    item.user_properties.append((name, value))
        report = yield
        if result is not None and call.when == "teardown":
            # Outermost wrapper: plugin.py has completed (and written) the result by now.
            result = self._item_result(item, result)
            setattr(report, ROW_ATTR, item_view(result))
            report.extras = [*getattr(report, "extras", []), *_extras(result, self._html_dir())]
        return report

    def _item_result(self, item: pytest.Item, result: dict) -> dict:
        spec, state = item.stash[SPEC_KEY], self._state
        seed = item.stash.get(SEED_KEY, None)
        if result.get("resumed"):  # finished in an earlier session (--resume): what it wrote then
            saved = results.read_result(results.item_folder(state.group, spec.id, seed) / results.RESULT_FILE)
            result = saved or result
        return {"nodeid": item.nodeid, "task_id": spec.id, "seed": seed, "kind": spec.kind,
                "category": spec.category, "agent": state.agent.id if state.agent else None, **result}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self._is_controller():
            return
        if report.when == "teardown" and hasattr(report, ROW_ATTR):
            self.rows[report.nodeid] = getattr(report, ROW_ATTR)
        elif report.when == "???" and _is_task(report.nodeid):  # xdist's report of a crashed worker's item
            self._add_crash_row(report)

    # --- crashed workers ------------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport, sched) -> None:
        """The item a worker was running when it died gets a result, as every item does."""
        state = self._state
        if not self._active() or not _is_task(crashitem):
            return
        task_id, seed = task_and_seed(crashitem)
        folder = results.item_folder(state.group, task_id, seed)
        message = str(report.longrepr)
        known = report_files.read_collected(state.group).get(crashitem, {})
        saved = results.read_result(folder / results.RESULT_FILE) or {}
        try:
            item_result.write(folder, item_result.crashed(
                saved, known, message, nodeid=crashitem, task_id=task_id, seed=seed, agent=state.agent.id,
                run_id=state.run_id, folder=str(folder)))
        except OSError as e:  # the disk filled up: the run's own message says so; the row still shows
            self._write_error = self._write_error or e

    def _add_crash_row(self, report: pytest.TestReport) -> None:
        """pytest-html makes a row only when an item's teardown report arrives, which a crashed item never
        sends: hand it one (its own, not the terminal's or JUnit's), shown as the crashed item's error."""
        html = _html_plugin(self.config)
        state = self._state
        if html is None or state is None:
            return
        path = results.item_folder(state.group, *task_and_seed(report.nodeid)) / results.RESULT_FILE
        result = results.read_result(path) or {"nodeid": report.nodeid, "crashed": True, "crash": str(report.longrepr)}
        self.rows[report.nodeid] = item_view(result)
        html.pytest_runtest_logreport(pytest.TestReport(
            nodeid=report.nodeid, location=report.location, keywords={}, outcome="failed",
            longrepr=report.longrepr, when="teardown", duration=getattr(report, "duration", 0.0),
            extras=_extras(result, self._html_dir()), **{CRASH_ATTR: True}))

    # --- pytest-html ----------------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells[2:2] = [f'<th class="sortable" data-column-type="{key}">{title}</th>'
                      for key, title in tables.COLUMNS.items()]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        view = self.rows.get(report.nodeid)
        if view is not None and isinstance(report, pytest.SubtestReport):
            cells.clear()  # one row per item: its checkpoints are in the row's details (pytest-html #981)
            return
        if getattr(report, CRASH_ATTR, False):
            cells[1] = f'<td class="col-testId">{page.escape(report.nodeid)} (worker crashed)</td>'
        values = tables.cells(view) if view else dict.fromkeys(tables.COLUMNS, "")
        cells[2:2] = [f'<td class="col-{key}">{page.escape(value)}</td>' for key, value in values.items()]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        if self._finished_summary() is not None:
            prefix.append(page.summary_html(self._summary))

    def _html_dir(self) -> Path | None:
        path = getattr(self.config.option, "htmlpath", None)
        return Path(os.path.expandvars(path)).expanduser().resolve().parent if path else None

    # --- the end of the run ---------------------------------------------------------------------------

    def _finished_summary(self) -> dict | None:
        """The run's summary, from the result files on disk (computed once, on the controller, at the end)."""
        if self._summary is None and self._is_controller() and self._active() and self._state.group.is_dir():
            try:
                self._summary = report_files.write_run_files(self._state.group, self.collected, self._state.agent.id)
            except OSError as e:  # the numbers still show; the files could not be written
                self._write_error = self._write_error or e
                self._summary = report_files.group_summary(self._state.group, self.collected,
                                                           self._state.agent.id)[2]
        return self._summary

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        summary = self._finished_summary()
        if self._write_error is not None and self.config.stash.get(EXIT_CODE_KEY, None) != HOST_FAILURE:
            self._unsaid_write_error = self._write_error  # no worker has named the failure yet
            self.config.stash[EXIT_CODE_KEY] = HOST_FAILURE
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary is not None and step_summary:
            with open(step_summary, "a", encoding="utf-8") as f:
                f.write(markdown(summary, self._state.group.name) + "\n")

    def pytest_terminal_summary(self, terminalreporter) -> None:
        summary = self._finished_summary()
        if summary is None:
            return
        terminalreporter.write_sep("=", "agentbench summary")
        for line in text_lines(summary):
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"results: {self._state.group}")
        if self._unsaid_write_error is not None:
            terminalreporter.write_line(host_failure(self._unsaid_write_error, self._state.group, self._state.group),
                                        red=True)


def _is_task(nodeid: str) -> bool:
    return Path(nodeid.split("::", 1)[0]).name == SPEC_FILE


def _known(item: pytest.Item) -> dict:
    """What the reports need of an item that may never write a result (crashed, never ran)."""
    spec = item.stash[SPEC_KEY]
    return {"task_id": spec.id, "seed": item.stash.get(SEED_KEY, None), "kind": spec.kind,
            "category": spec.category, "difficulty": spec.difficulty,
            "spec": str(item.path)}  # what `pytest --resume/--regrade GROUP` collects without paths


def _extras(result: dict, html_dir: Path | None) -> list[dict]:
    """pytest-html extras: the details (checkpoints, log tail, submission preview), and links."""
    if html_dir is None:
        return []  # no --html: nothing would show them
    from pytest_html import extras

    detail = page.item_detail(result)
    links = [extras.url(page.href(detail[key], html_dir), name=name)
             for key, name in (("trajectory", "trajectory.jsonl"), ("log", "agent.log")) if detail.get(key)]
    return [extras.html(page.detail_html(detail)), *links]


def _html_plugin(config: pytest.Config):
    """pytest-html's report object, when --html was given."""
    try:
        from pytest_html.basereport import BaseReport
    except ImportError:
        return None
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, BaseReport)), None)
