"""The reporting plugin: what every report shares, and the registration of the others (html.py for
pytest-html, junit.py, terminal.py).

Per item, the worker that ran it attaches its row (JSON-safe) to the teardown report; the controller
(the only process that writes reports) keeps the rows by node id. Every total is computed on the
controller from the run group's result files on disk and the collected node ids, so it is right
under xdist and after a worker crashed. An item whose xdist worker died gets a result here too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import results
from . import run_group as report_files
from .html import HtmlReport
from .junit import JunitProperties
from .summary import item_view, task_and_seed
from .terminal import TerminalSummary
from .. import result as item_result
from ..collect import RESULT_KEY, SEED_KEY, SPEC_FILE, SPEC_KEY
from ..run import EXIT_CODE_KEY, HOST_FAILURE, RUN_KEY, stop_for_host_failure

ROW_ATTR = "agentbench_row"  # on a teardown report: the item's view (summary.item_view)


class ReportPlugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.collected: set[str] = set()  # task node ids, as the controller learns them
        self.rows: dict[str, dict] = {}  # node id -> the item's view, on the controller
        self._summary: dict | None = None
        self._write_error: OSError | None = None  # the first write the host refused (a full disk)
        self.unsaid_write_error: OSError | None = None  # ... that no worker has named
        for name, plugin in (("html", HtmlReport(self)), ("junit", JunitProperties()),
                             ("terminal", TerminalSummary(self))):
            config.pluginmanager.register(plugin, f"agentbench-report-{name}")

    # --- which process, which run ---------------------------------------------------------------------

    @property
    def state(self):
        return self.config.stash.get(RUN_KEY, None)

    def active(self) -> bool:
        state = self.state
        return state is not None and state.agent is not None and not self.config.option.collectonly

    def is_controller(self) -> bool:
        return not hasattr(self.config, "workerinput")

    @staticmethod
    def is_task(nodeid: str) -> bool:
        return Path(nodeid.split("::", 1)[0]).name == SPEC_FILE

    # --- collection: which items count ----------------------------------------------------------------

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        items = [item for item in session.items if SPEC_KEY in item.stash]
        if not self.active() or not items:
            return  # the xdist controller collects nothing: its workers write collected.json
        self.collected.update(item.nodeid for item in items)
        try:
            report_files.write_collected(self.state.group, {item.nodeid: _known(item) for item in items})
        except OSError as e:
            stop_for_host_failure(session, e, self.state.group / report_files.COLLECTED_FILE)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids: list[str]) -> None:
        self.collected.update(nodeid for nodeid in ids if self.is_task(nodeid))

    # --- per item: its row ------------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        if call.when == "teardown" and (result := self.item_result(item)) is not None:
            setattr(report, ROW_ATTR, item_view(result))
        return report

    def item_result(self, item: pytest.Item) -> dict | None:
        """The item's result as written, at its teardown (outermost wrappers: plugin.py has written it)."""
        result = item.stash.get(RESULT_KEY, None)
        if result is None:
            return None
        spec, state = item.stash[SPEC_KEY], self.state
        seed = item.stash.get(SEED_KEY, None)
        if result.get("resumed"):  # finished in an earlier session (--resume): what it wrote then
            saved = results.read_result(results.item_folder(state.group, spec.id, seed) / results.RESULT_FILE)
            result = saved or result
        return {"nodeid": item.nodeid, "task_id": spec.id, "seed": seed, "kind": spec.kind,
                "category": spec.category, "agent": state.agent.id if state.agent else None, **result}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_controller() and report.when == "teardown" and hasattr(report, ROW_ATTR):
            self.rows[report.nodeid] = getattr(report, ROW_ATTR)

    # --- crashed workers ------------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport, sched) -> None:
        """The item a worker was running when it died gets a result, as every item does."""
        state = self.state
        if not self.active() or not self.is_task(crashitem):
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

    # --- the end of the run ---------------------------------------------------------------------------

    def finished_summary(self) -> dict | None:
        """The run's summary, from the result files on disk (computed once, on the controller, at the end)."""
        if self._summary is None and self.is_controller() and self.active() and self.state.group.is_dir():
            try:
                self._summary = report_files.write_run_files(self.state.group, self.collected, self.state.agent.id)
            except OSError as e:  # the numbers still show; the files could not be written
                self._write_error = self._write_error or e
                self._summary = report_files.group_summary(self.state.group, self.collected,
                                                           self.state.agent.id)[2]
        return self._summary

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.finished_summary()
        if self._write_error is not None and self.config.stash.get(EXIT_CODE_KEY, None) != HOST_FAILURE:
            self.unsaid_write_error = self._write_error  # no worker has named the failure yet
            self.config.stash[EXIT_CODE_KEY] = HOST_FAILURE


def _known(item: pytest.Item) -> dict:
    """What the reports need of an item that may never write a result (crashed, never ran)."""
    spec = item.stash[SPEC_KEY]
    return {"task_id": spec.id, "seed": item.stash.get(SEED_KEY, None), "kind": spec.kind,
            "category": spec.category, "difficulty": spec.difficulty,
            "spec": str(item.path)}  # what `pytest --resume/--regrade GROUP` collects without paths
