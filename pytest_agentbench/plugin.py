"""pytest-agentbench: options and hook wiring only (the work is in the modules each hook names)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from . import hookspecs, results
from .agents import Agent, AgentConfig, AgentError, get_agent
from .collect import INVALID_SPEC, RESULT_KEY, SEED_KEY, SPEC_KEY, TaskFile, TaskFolder, is_spec_file, task_spec_in
from .fixtures import *  # noqa: F401,F403  (the fixture chain, registered with the plugin)
from .report import ReportPlugin
from .run import RUN_KEY, RunState, new_run_id
from .sandbox.base import ContainerConfig
from .spec import load_split


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agentbench", "agent benchmarks (pytest-agentbench)")
    group.addoption("--agent", dest="agentbench_agent", metavar="ID",
                    help="agent to evaluate, an id from agents/*/config.yaml (tasks are skipped without one)")
    group.addoption("--agents-dir", dest="agentbench_agents_dir", metavar="DIR",
                    help="folder of agent definitions (default: agents/ in the rootdir)")
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
    group.addoption("--grader-time-limit", dest="agentbench_grader_time_limit", type=int, metavar="SECONDS",
                    help="how long a host-side grader may run for every task, overriding the specs' "
                         "grader_time_limit (default 600)")
    group.addoption("--base-image", dest="agentbench_base_image", metavar="IMAGE",
                    default=os.environ.get("AGENTBENCH_BASE_IMAGE"),
                    help="image to build agent images on, e.g. python:3.11-slim-bookworm (default: a Debian "
                         "root file system built locally with debootstrap; env AGENTBENCH_BASE_IMAGE)")
    group.addoption("--data-dir", dest="agentbench_data_dir", metavar="DIR",
                    default=os.environ.get("AGENTBENCH_DATA_DIR"),
                    help="where competitions' prepared data are cached (default: ~/.cache/agentbench/data; "
                         "env AGENTBENCH_DATA_DIR)")
    group.addoption("--pass-on", dest="agentbench_pass_on", default="any-medal",
                    choices=["valid", "above-median", "any-medal", "bronze", "silver", "gold"],
                    help="what a competition item must reach to pass (default: any-medal)")
    group.addoption("--sandbox", dest="agentbench_sandbox", default="docker", metavar="ENGINE",
                    help="sandbox engine (default: docker; DOCKER_HOST picks the Docker engine)")
    group.addoption("--no-record-commands", dest="agentbench_record_commands", action="store_false",
                    help="do not record each program the agent runs as a trajectory step (saves the "
                         "tracing cost: about 0.1 ms per write to stdout/stderr); the agent's run is one step")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "agentbench: a task item of pytest-agentbench")
    config.stash[RUN_KEY] = _run_state(config)
    config.pluginmanager.register(SpecErrorsDoNotStopTheRun(), "agentbench-spec-errors")
    config.pluginmanager.register(ReportPlugin(config), "agentbench-report")


def _run_state(config: pytest.Config) -> RunState:
    opt = config.getoption
    seeds = opt("agentbench_seeds")
    if seeds is not None and seeds < 1:
        raise pytest.UsageError(f"--seeds must be at least 1, got {seeds}")
    for name in ("time_limit", "grader_time_limit"):
        limit = opt(f"agentbench_{name}")
        if limit is not None and limit <= 0:
            raise pytest.UsageError(f"--{name.replace('_', '-')} must be a positive number of seconds, got {limit}")
    agents_dir = Path(opt("agentbench_agents_dir") or config.rootpath / "agents")
    mode, group = "run", None
    if opt("agentbench_resume") and opt("agentbench_regrade"):
        raise pytest.UsageError("--resume and --regrade exclude each other")
    if opt("agentbench_resume") or opt("agentbench_regrade"):
        mode = "resume" if opt("agentbench_resume") else "regrade"
        group = Path(opt("agentbench_resume") or opt("agentbench_regrade")).resolve()
        if not (group / results.METADATA_FILE).is_file() and not any(group.glob(f"*/{results.RESULT_FILE}")):
            raise pytest.UsageError(f"--{mode} {group}: not a run group (no metadata.json or item results)")
    saved = results.group_info(group) if group else {}
    agent_id = opt("agentbench_agent") or saved.get("agent")
    if saved.get("agent") not in (None, agent_id):
        raise pytest.UsageError(f"--{mode} {group}: that run group is of agent {saved['agent']!r}, not {agent_id!r}")
    if group and seeds is None:
        config.option.agentbench_seeds = saved["seeds"]  # the same items as the run being finished
    agent = None
    if agent_id:
        try:
            agent = config.hook.pytest_agentbench_select_agent(config=config, agent_id=agent_id) \
                or _regraded_agent(agents_dir, agent_id, mode, group)
            if mode != "regrade":  # regrading runs no agent: its secrets and privileges are not needed
                agent.environment()  # a missing secret stops the run here, not in every item
                agent.check_privileged()
        except AgentError as e:
            raise pytest.UsageError(str(e)) from None
    container_config = ContainerConfig()
    workerinput = getattr(config, "workerinput", None)
    if opt("agentbench_container_config"):
        path = Path(opt("agentbench_container_config"))
        try:
            container_config = ContainerConfig.from_mapping(json.loads(path.read_text()))
            if container_config.nano_cpus and workerinput is None and agent and mode != "regrade":
                from .sandbox import get_engine, limits  # asks the engine: only when CPUs are given

                try:
                    limits.check_against(container_config, get_engine(opt("agentbench_sandbox"))("configure"))
                except (ValueError, TypeError):
                    raise
                except Exception:  # noqa: BLE001 - no engine to ask: every item will say so itself
                    pass
        except (OSError, ValueError, TypeError) as e:
            raise pytest.UsageError(f"--container-config {path}: {e}") from None
    if workerinput is not None:  # an xdist worker joins the controller's run
        run_id, group = workerinput["agentbench"]["run_id"], Path(workerinput["agentbench"]["group"])
    else:
        run_id = new_run_id()
        group = group or Path(opt("agentbench_run_dir")).resolve() / results.group_name(agent.id if agent else "none")
    return RunState(run_id=run_id, group=group, agents_dir=agents_dir, agent=agent, mode=mode,
                    container_config=container_config,
                    options={"sandbox": opt("agentbench_sandbox"), "started": time.time(),
                             "base_image": opt("agentbench_base_image"), "data_dir": opt("agentbench_data_dir"),
                             "pass_on": opt("agentbench_pass_on"), "time_limit": opt("agentbench_time_limit"),
                             "record_commands": opt("agentbench_record_commands"),
                             "grader_time_limit": opt("agentbench_grader_time_limit"),
                             "workers": _workers(config)})


def _workers(config: pytest.Config) -> int:
    """How many items run at once (xdist's -n): the machine's CPUs and memory are shared among them."""
    # A worker knows the count from xdist; the controller from -n (PYTEST_XDIST_WORKER_COUNT would be
    # an enclosing run's, for a pytest started from a test).
    workerinput = getattr(config, "workerinput", None)
    count = workerinput["workercount"] if workerinput else getattr(config.option, "numprocesses", None)
    try:
        return max(1, int(count or 1))
    except ValueError:  # -n auto, before xdist has resolved it
        return os.cpu_count() or 1


def _regraded_agent(agents_dir: Path, agent_id: str, mode: str, group: Path | None) -> Agent:
    """The agent by id; regrading runs no agent, so a run group can be regraded where its agent's
    definition is not at hand."""
    try:
        return get_agent(agents_dir, agent_id)
    except AgentError:
        if mode != "regrade":
            raise
        return Agent(agent_id, group, AgentConfig())


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = config.stash[RUN_KEY]
    if state.agent is None:
        return ["agentbench: no --agent given; task items will be skipped"]
    return [f"agentbench: agent {state.agent.id}, run {state.run_id}, results in {state.group}"]


def pytest_configure_node(node) -> None:  # xdist controller, per worker
    node.workerinput["agentbench"] = node.config.stash[RUN_KEY].to_workerinput()


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if is_spec_file(file_path):
        return TaskFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # A run group holds what agents wrote (their code, a conftest.py even): collecting it would run
    # the agent's code on the host, so `pytest .` never looks inside one.
    if results.GROUP_MARK in collection_path.name and collection_path.is_dir():
        return True
    # A task folder is never junk to skip: answering here spares pytest's pattern checks for each of
    # thousands of task folders (a third of collection time). --ignore and --ignore-glob still rule.
    if config.getoption("ignore") or config.getoption("ignore_glob"):
        return None
    return False if task_spec_in(collection_path) is not None else None


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector):
    if task_spec_in(path) is not None:
        return TaskFolder.from_parent(parent, path=path)
    return None


class SpecErrorsDoNotStopTheRun:
    """A broken spec fails its own file's collection; unlike a broken test module, it must not stop
    every other task from running. Any other collection error keeps pytest's usual behaviour."""

    def __init__(self) -> None:
        self.spec_errors = 0

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and str(report.longrepr).startswith(INVALID_SPEC):
            self.spec_errors += 1

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if session.testsfailed and session.testsfailed == self.spec_errors:
            session.config.option.continue_on_collection_errors = True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    split = config.getoption("agentbench_split")
    if not split:
        return
    try:
        wanted = load_split(Path(split))
    except OSError as e:
        raise pytest.UsageError(f"--split {split}: {e}") from None
    keep, drop = [], []
    for item in items:
        spec = item.stash.get(SPEC_KEY, None)
        (keep if spec is None or spec.id in wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """--resume skips items already finished; --regrade takes each item's saved result to grade again."""
    state = item.config.stash[RUN_KEY]
    spec = item.stash.get(SPEC_KEY, None)
    if spec is None or state.mode == "run":
        return
    saved_path = results.item_folder(state.group, spec.id, item.stash.get(SEED_KEY, None)) / results.RESULT_FILE
    saved = results.read_result(saved_path)
    if state.mode == "resume":
        if saved and results.is_final(saved):
            item.stash[RESULT_KEY]["resumed"] = True
            pytest.skip(f"finished in an earlier run of {state.group.name}: {saved['outcome']}")
    elif not saved or not saved.get("agent_run"):
        pytest.skip(f"nothing to regrade: no saved agent run at {saved_path}")
    else:
        item.stash[RESULT_KEY].update(agent_run=saved["agent_run"], folder=saved["folder"],
                                      regraded_from=saved.get("grade"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    result = item.stash.get(RESULT_KEY, None)
    if result is None:
        return report
    if report.failed or report.skipped or call.when == "call":
        result.setdefault("phases", {})[call.when] = _phase(report)
    if call.when == "teardown":
        _write_item_result(item, result)
    return report


def _phase(report: pytest.TestReport) -> dict:
    message = None
    if report.failed or report.skipped:
        longrepr = report.longrepr
        message = longrepr[2] if isinstance(longrepr, tuple) else str(getattr(longrepr, "reprcrash", None)
                                                                         and longrepr.reprcrash.message or longrepr)
    return {"outcome": report.outcome, "duration": report.duration, "message": message}


def _write_item_result(item: pytest.Item, result: dict) -> None:
    spec, state = item.stash[SPEC_KEY], item.config.stash[RUN_KEY]
    phases = result.get("phases", {})
    outcome = ("error" if phases.get("setup", {}).get("outcome") == "failed"
               or phases.get("teardown", {}).get("outcome") == "failed"
               else "skipped" if any(p["outcome"] == "skipped" for p in phases.values())
               else phases.get("call", {}).get("outcome", "error"))
    if outcome == "skipped" and ("folder" not in result or result.get("resumed")):
        return  # never ran (no agent given), or finished earlier (--resume): nothing to write
    result.update(nodeid=item.nodeid, task_id=spec.id, seed=item.stash.get(SEED_KEY, None), kind=spec.kind,
                  category=spec.category, difficulty=spec.difficulty, markers=list(spec.markers),
                  agent=state.agent.id if state.agent else None, run_id=state.run_id, outcome=outcome,
                  timed_out=bool(result.get("agent_run", {}).get("timed_out")), finished_at=time.time())
    result.setdefault("usage", None)
    item.config.hook.pytest_agentbench_item_result(item=item, result=result)
    folder = Path(result.get("folder") or results.item_folder(state.group, spec.id, result["seed"]))
    results.write_json_atomic(folder / results.RESULT_FILE, result)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(RUN_KEY, None)
    if state is None or hasattr(config, "workerinput") or state.agent is None:
        return
    if state.mode == "regrade":  # no containers were started; only the metadata is brought up to date
        results.write_metadata(state.group, {"run_id": state.run_id, "agent": state.agent.id,
                                             "seeds": config.getoption("agentbench_seeds") or 1})
        return
    # Runs after xdist has shut its workers down: whatever they could not remove goes now.
    from .sandbox import get_engine

    try:
        engine = get_engine(state.options["sandbox"])(state.run_id)
        engine.ping()
        for _ in range(3):  # a request in flight when a worker died may land just after a sweep
            if not engine.sweep(state.run_id):
                break
    except Exception as e:  # the engine being gone is reported by the items; do not mask the exit code
        config.get_terminal_writer().line(f"agentbench: could not sweep run {state.run_id}: {e}", yellow=True)
    if state.group.exists():
        results.write_metadata(state.group, {"run_id": state.run_id, "agent": state.agent.id,
                                             "seeds": config.getoption("agentbench_seeds") or 1,
                                             "created_at": state.options.get("started")})
