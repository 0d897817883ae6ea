"""pytest-agentbench: options, ini keys, markers, and registering the modules whose hooks do the work
(collect.py, resume.py, session.py, reporting/, the fixture chain in fixtures.py)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest
from pydantic import ByteSize, TypeAdapter

from . import collect, engines, families, hookspecs, masking, progress, resume, scheduling, session
from .collect import RESULT_KEY, SEED_KEY, SPEC_KEY, SpecErrorsDoNotStopTheRun
from . import result as item_result
from .fixtures import *  # noqa: F401,F403  (the fixture chain, registered with the plugin)
from .gateway import settings as llm_settings
from .gateway.fixtures import llm_gateway, task_llm  # noqa: F401  (the model gateway's fixtures)
from .interrupts import StopOnSignals
from .reporting import results
from .registry import RegistryError
from .reporting.pytest_plugin import ReportPlugin
from .reporting.terminal import TIMED_OUT_ATTR
from .run import HOST_ERRNOS, RUN_KEY, stop_for_host_failure
from .run_setup import check_engine, check_run_dir, make_run_state, worker_engine


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agentbench", "agent benchmarks (pytest-agentbench)")
    group.addoption("--agent", dest="agentbench_agent", metavar="ID",
                    help="agent to evaluate, an id from agents/*/config.yaml (tasks are skipped without one)")
    group.addoption("--agents-dir", dest="agentbench_agents_dir", metavar="DIR",
                    help="folder of agent definitions (default: the agentbench_agents_dir ini setting, else "
                         "agents/ in the current folder, else in the rootdir)")
    group.addoption("--split", dest="agentbench_split", metavar="FILE",
                    help="keep only the task ids listed in FILE (one a line), e.g. task_specs/splits/lite.txt")
    group.addoption("--seeds", dest="agentbench_seeds", type=int, metavar="N",
                    help="run each task N times, as items <task>[seed0]... (default 1, or the resumed group's)")
    group.addoption("--container-config", dest="agentbench_container_config", metavar="FILE",
                    help="JSON with mem_limit, shm_size, nano_cpus, runtime, gpus for the agent's container")
    group.addoption("--run-dir", dest="agentbench_run_dir", default="runs", metavar="DIR",
                    help="where run groups are written (default: runs/)")
    group.addoption("--resume", dest="agentbench_resume", metavar="GROUP",
                    help="finish an interrupted run group: items with a final result there are skipped")
    group.addoption("--regrade", dest="agentbench_regrade", metavar="GROUP",
                    help="grade the outputs saved in a run group again; no agent runs")
    group.addoption("--time-limit", dest="agentbench_time_limit", type=int, metavar="SECONDS",
                    help="the agent's time limit for every task, overriding the specs'")
    group.addoption("--max-output-bytes", dest="agentbench_max_output_bytes", type=_size, metavar="SIZE",
                    help="cap on the bytes of an item's outputs, e.g. 500MB or 2GiB, overriding the specs' "
                         "max_output_bytes (default: 1GB); over it the item fails")
    group.addoption("--max-output-files", dest="agentbench_max_output_files", type=_positive, metavar="N",
                    help="cap on the files and folders of an item's outputs, overriding the specs' "
                         "max_output_files (default: 100000); over it the item fails")
    group.addoption("--grader-time-limit", dest="agentbench_grader_time_limit", type=int, metavar="SECONDS",
                    help="how long a host-side grader may run for every task, overriding the specs' "
                         "grader_time_limit (default 600)")
    group.addoption("--base-image", dest="agentbench_base_image", metavar="IMAGE",
                    default=os.environ.get("AGENTBENCH_BASE_IMAGE"),
                    help="image to build agent images on, e.g. python:3.11-slim-bookworm (default: a Debian "
                         "root file system built locally with debootstrap; env AGENTBENCH_BASE_IMAGE)")
    group.addoption("--sandbox", dest="agentbench_sandbox", default="docker", metavar="ENGINE",
                    help="sandbox engine (default: docker; DOCKER_HOST picks the Docker engine)")
    group.addoption("--no-record-commands", dest="agentbench_record_commands", action="store_false",
                    help="do not record each program the agent runs as a trajectory step (saves the "
                         "tracing cost: about 0.25 ms per program started; writes are never traced); the agent's "
                         "run is one step")
    try:
        installed = families.registered()
    except RegistryError as e:  # a broken family package: its name and why, not our traceback
        raise pytest.UsageError(str(e)) from None
    engines.add_options(group)
    for family in installed.values():
        family.addoption(group)
    llm_settings.add_options(group)
    parser.addini("agentbench_paths", type="paths", default=[],
                  help="folders holding task specs; task.yaml files elsewhere are collected only when their "
                       "folder is given on the command line or in testpaths, or --agent is given")
    parser.addini("agentbench_agents_dir", type="paths", default=[],
                  help="folder of agent definitions (relative to the ini file)")


def _size(text: str) -> int:
    try:
        size = TypeAdapter(ByteSize).validate_python(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size such as 1000000, 500MB or 2GiB, got {text!r}") from None
    return _positive(size)


def _positive(text: str | int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config):
    progress.keep_stdout(early_config)  # before pytest's capturing starts (progress.py says why)
    return (yield)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "agentbench: a task item of pytest-agentbench")
    if config.option.markers:  # `pytest --markers` collects nothing: it lists the specs' markers too
        collect.register_spec_markers(config)
    collect.read_split(config)
    collect.add_family_paths(config)
    state = config.stash[RUN_KEY] = make_run_state(config)
    check_run_dir(config, state)
    check_engine(config, state)
    signals = config.stash[session.SIGNALS_KEY] = StopOnSignals()
    signals.install()
    for module in (collect, resume, session, progress):
        config.pluginmanager.register(module, f"agentbench-{module.__name__.rsplit('.', 1)[-1]}")
    config.pluginmanager.register(SpecErrorsDoNotStopTheRun(), "agentbench-spec-errors")
    config.pluginmanager.register(session.EvaluationTally(config), "agentbench-evaluated")
    if state.options.get("engines"):
        config.pluginmanager.register(engines.EngineHealth(config), "agentbench-engine-health")
    config.pluginmanager.register(ReportPlugin(config), "agentbench-report")
    if getattr(config, "workerinput", {}).get(scheduling.WORKERINPUT_KEY):
        config.pluginmanager.register(scheduling.AsTheyCome(), "agentbench-as-they-come")


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """One item at a time per worker, so a long item never holds back the one queued behind it."""
    return scheduling.FirstFreeSlotScheduling(config, log) if scheduling.first_free_slot(config) else None


def pytest_configure_node(node) -> None:  # xdist controller, per worker
    node.workerinput["agentbench"] = node.config.stash[RUN_KEY].to_workerinput()
    node.workerinput[engines.ENGINE_KEY] = worker_engine(node.config.stash[RUN_KEY], node.gateway.id)
    node.workerinput[scheduling.WORKERINPUT_KEY] = scheduling.first_free_slot(node.config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    _mask_report(report)
    result = item.stash.get(RESULT_KEY, None)
    if result is None:
        return report
    error = call.excinfo.value if call.excinfo else None
    if isinstance(error, OSError) and error.errno in HOST_ERRNOS:  # a full disk fails every later item too
        state = item.config.stash[RUN_KEY]
        message = stop_for_host_failure(item.session, error, result.get("folder") or state.group)
        report.longrepr = message.split(". The run stopped")[0]  # the host's fault: no traceback of ours
    if report.failed or report.skipped or call.when == "call":
        result.setdefault("phases", {})[call.when] = _phase(report)
    if call.when == "call" and (result.get("agent_run") or {}).get("timed_out"):
        setattr(report, TIMED_OUT_ATTR, True)  # the terminal says "TIMED OUT" (reporting/terminal.py)
    if call.when == "teardown":
        _write_item_result(item, result)
    return report


def _mask_report(report: pytest.TestReport) -> None:
    """Known secrets out of what pytest prints and writes (terminal, JUnit, pytest-html): a failure's
    text can quote a checkpoint message or a grader's output. A report with a secret in its traceback
    keeps the traceback as masked text."""
    longrepr = report.longrepr
    if longrepr is not None:
        text = longrepr if isinstance(longrepr, (str, tuple)) else str(longrepr)
        masked = masking.mask(text)
        if masked != text:
            report.longrepr = masked
    report.sections = masking.mask(report.sections)
    # A checkpoint's property quotes its message, which can quote the agent's submission.
    report.user_properties = [(name, masking.mask(value)) for name, value in report.user_properties]


def _phase(report: pytest.TestReport) -> dict:
    message = None
    if report.failed or report.skipped:
        longrepr = report.longrepr
        message = longrepr[2] if isinstance(longrepr, tuple) else str(getattr(longrepr, "reprcrash", None)
                                                                         and longrepr.reprcrash.message or longrepr)
    return {"outcome": report.outcome, "duration": report.duration, "message": message}


def _write_item_result(item: pytest.Item, parts: dict) -> None:
    spec, state = item.stash[SPEC_KEY], item.config.stash[RUN_KEY]
    outcome = item_result.outcome_of(parts.get("phases", {}))
    if outcome == "skipped" and ("folder" not in parts or parts.get("resumed")):
        return  # never ran (no agent given), or finished earlier (--resume): nothing to write
    data = item_result.finished(parts, nodeid=item.nodeid, task_id=spec.id, seed=item.stash.get(SEED_KEY, None),
                                kind=spec.kind, category=spec.category, difficulty=spec.difficulty,
                                markers=list(spec.markers), agent=state.agent.id if state.agent else None,
                                run_id=state.run_id, outcome=outcome).to_json()
    item.config.hook.pytest_agentbench_item_result(item=item, result=data)
    result = item_result.ItemResult.model_validate(masking.mask(data))
    parts.clear()
    parts.update(result.to_json())  # the reports made from the stash after this see the result, masked
    folder = Path(result.folder or results.item_folder(state.group, spec.id, result.seed))
    try:
        item_result.write(folder, result)
    except OSError as e:  # the item stays without a result: --resume runs it again
        stop_for_host_failure(item.session, e, folder / item_result.RESULT_FILE)


