"""The run's life around its items, as pytest hooks (registered by plugin.py): the header, the run
group's metadata once items are collected, an interrupted item's partial folder removed, dead xdist
workers' containers reaped, the exit code of a run stopped on purpose, the sweep at the end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .interrupts import StopOnSignals
from .reporting import results
from .collect import RESULT_KEY
from .run_record import images_of, run_record
from .run import EXIT_CODE_KEY, HOST_FAILURE, RUN_KEY, host_failure, stop_for_host_failure

SIGNALS_KEY = pytest.StashKey[StopOnSignals]()
NOTHING_EVALUATED = pytest.ExitCode.NO_TESTS_COLLECTED  # 5: what CI already reads as "nothing ran"


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = config.stash[RUN_KEY]
    if state.agent is None:
        return ["agentbench: no --agent given; task items will be skipped"]
    return [f"agentbench: agent {state.agent.id}, run {state.run_id}, results in {state.group}"]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # xdist controller: a worker ended
    exit_code = (getattr(node, "workeroutput", None) or {}).get("agentbench_exit_code")
    if exit_code is not None:
        node.config.stash[EXIT_CODE_KEY] = exit_code
    if error is not None:  # it died (kill -9, out of memory): its agent must not run on until the end
        _reap_dead_owners(node.config)


def _reap_dead_owners(config: pytest.Config) -> None:
    state = config.stash[RUN_KEY]
    if state.agent is None or state.mode == "regrade":
        return
    from .sandbox import run_engines

    for engine in run_engines(state.options, state.run_id):
        try:
            engine.reap()
        except Exception as e:  # noqa: BLE001 - the sweep at the end retries; the run goes on
            config.get_terminal_writer().line(f"agentbench: could not remove a dead worker's containers "
                                              f"on {engine.name}: {e}", yellow=True)


class EvaluationTally:
    """Which items got past set-up, and why task items were skipped (on the controller, which sees every
    item's reports under xdist too): a run in which every task was skipped evaluated nothing, and must
    not pass in CI. Registered by plugin.py."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.evaluated = 0
        self.skipped_tasks: list[str] = []  # their skip reasons

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "setup":
            return
        if not report.skipped:
            self.evaluated += 1
        elif "agentbench" in report.keywords:  # the marker of every task item (collect.py)
            self.skipped_tasks.append(report.longrepr[2] if isinstance(report.longrepr, tuple) else "")

    def why_nothing(self) -> str | None:
        """Why the run evaluated nothing, or None when something ran (or nothing was a task)."""
        if hasattr(self.config, "workerinput") or self.evaluated or not self.skipped_tasks:
            return None
        state, count = self.config.stash[RUN_KEY], len(self.skipped_tasks)
        if state.agent is None:
            return (f"agentbench: nothing was evaluated: no --agent given, so the {count} task item(s) were "
                    "skipped; pass --agent=ID (e.g. --agent=dummy) to evaluate one")
        if state.mode == "resume":
            return (f"agentbench: nothing was evaluated: all {count} item(s) already have a final result in "
                    f"{state.group}, so nothing was left to resume (agentbench report {state.group} shows them)")
        reasons = sorted(set(filter(None, self.skipped_tasks)))
        return f"agentbench: nothing was evaluated: all {count} task item(s) were skipped" + (
            f" ({'; '.join(reasons[:3])})" if reasons else "")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if session.exitstatus == pytest.ExitCode.OK and self.why_nothing():
            self.config.stash.setdefault(EXIT_CODE_KEY, NOTHING_EVALUATED)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        why = self.why_nothing()
        if why and self.config.stash.get(EXIT_CODE_KEY, None) == NOTHING_EVALUATED:
            terminalreporter.write_line(f"{why} (exit code {int(NOTHING_EVALUATED)})", red=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session):
    result = yield
    exit_code = session.config.stash.get(EXIT_CODE_KEY, None)
    if exit_code is not None:  # a run stopped on purpose (stop_run) ends with the reason's own code
        session.exitstatus = exit_code
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item):
    try:
        return (yield)
    except KeyboardInterrupt:
        _forget_unfinished(item)
        raise


def _forget_unfinished(item: pytest.Item) -> None:
    """An item cut by an interrupt writes no result: its folder holds only a partial attempt, which
    goes, so the item is plainly not run (and --resume runs it)."""
    folder = (item.stash.get(RESULT_KEY, None) or {}).get("folder")
    state = item.config.stash[RUN_KEY]
    if folder and state.mode != "regrade" and not (Path(folder) / results.RESULT_FILE).exists():
        shutil.rmtree(folder, ignore_errors=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    signals = config.stash.get(SIGNALS_KEY, None)
    if signals is not None:
        signals.hold()
    try:
        _end_of_run(config)
    finally:
        if signals is not None:
            signals.uninstall()


def _end_of_run(config: pytest.Config) -> None:
    state = config.stash.get(RUN_KEY, None)
    if state is None or hasattr(config, "workerinput") or state.agent is None:
        return
    if state.mode == "regrade":  # no containers were started; only the metadata is brought up to date
        _write_metadata(config)
        return
    # Runs after xdist has shut its workers down: whatever they could not remove goes now.
    from .sandbox import run_engines

    engine = None  # the first engine that answers: it names the images items ran on (all engines hold them)
    for each in run_engines(state.options, state.run_id):
        try:
            each.ping()
            for _ in range(3):  # a request in flight when a worker died may land just after a sweep
                if not each.sweep(state.run_id):
                    break
            engine = engine or each
        except Exception as e:  # the engine being gone is reported by the items; do not mask the exit code
            config.get_terminal_writer().line(f"agentbench: could not sweep run {state.run_id} on {each.name}: {e}",
                                              yellow=True)
    if state.group.exists():
        try:
            _write_metadata(config, engine)
        except OSError as e:
            if config.stash.get(EXIT_CODE_KEY, None) != HOST_FAILURE:  # else already said
                config.get_terminal_writer().line(host_failure(e, state.group / results.METADATA_FILE, state.group),
                                                  red=True)


def _write_metadata(config: pytest.Config, engine=None) -> None:
    """The group's metadata.json; at the end of a run, with the images its items ran on (`engine`)."""
    state = config.stash[RUN_KEY]
    info = {"run_id": state.run_id, "agent": state.agent.id, "seeds": config.getoption("agentbench_seeds") or 1}
    if state.mode != "regrade":
        info["created_at"] = state.options.get("started")
    info.update(run_record(config, state))
    if engine is not None:
        info["images"] = images_of(results.read_results(state.group), engine)
    results.write_metadata(state.group, info)


def _items_collected(config: pytest.Config) -> None:
    """The group's metadata (agent, seeds) is written as soon as there are items to run, so a run cut
    before any item finished still resumes with the same agent and seeds."""
    state = config.stash[RUN_KEY]
    if state.agent is not None and state.mode == "run" and not config.option.collectonly:
        _write_metadata(config)


def pytest_collection_finish(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput") and session.items:
        try:
            _items_collected(session.config)
        except OSError as e:
            stop_for_host_failure(session, e, session.config.stash[RUN_KEY].group / results.METADATA_FILE)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids: list[str]) -> None:  # the controller
    if ids:
        try:
            _items_collected(node.config)
        except OSError as e:
            group = node.config.stash[RUN_KEY].group
            node.config.stash[EXIT_CODE_KEY] = HOST_FAILURE
            node.config.get_terminal_writer().line(host_failure(e, group / results.METADATA_FILE, group), red=True)
