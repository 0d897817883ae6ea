"""pytest-agentbench: options and hook wiring only (the work is in the modules each hook names)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from pydantic import ByteSize, TypeAdapter

from . import hookspecs
from . import masking
from .reporting import run_group as report_files
from .reporting import results
from .agents import Agent, AgentConfig, AgentError, get_agent
from .collect import (INVALID_SPEC, RESULT_KEY, SEED_KEY, SPEC_KEY, TaskFile, TaskFolder, claims, is_spec_file,
                      task_spec_in)
from .fixtures import *  # noqa: F401,F403  (the fixture chain, registered with the plugin)
from .gateway import settings as llm_settings
from .gateway.fixtures import llm_gateway, task_llm  # noqa: F401  (the model gateway's fixtures)
from .interrupts import StopOnSignals
from .reporting.pytest_plugin import ReportPlugin
from .run import (EXIT_CODE_KEY, HOST_ERRNOS, HOST_FAILURE, RUN_KEY, RunState, host_failure, new_run_id,
                  stop_for_host_failure, stop_run)
from .sandbox.base import ContainerConfig
from .spec import load_split

SPLIT_KEY = pytest.StashKey[set[str]]()  # the task ids --split keeps
SIGNALS_KEY = pytest.StashKey[StopOnSignals]()


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
                         "tracing cost: about 0.1 ms per program started; writes are never traced); the agent's "
                         "run is one step")
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "agentbench: a task item of pytest-agentbench")
    split = config.getoption("agentbench_split")
    if split:  # read here, on the controller too: a missing file stops the run before anything is written
        try:
            config.stash[SPLIT_KEY] = load_split(Path(split))
        except (OSError, UnicodeDecodeError) as e:
            raise pytest.UsageError(f"--split {split}: cannot be read: {e}") from None
    state = config.stash[RUN_KEY] = _run_state(config)
    _check_run_dir(config, state)
    signals = config.stash[SIGNALS_KEY] = StopOnSignals()
    signals.install()
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
    agents_dir = _agents_dir(config)
    mode, group = "run", None
    if opt("agentbench_resume") and opt("agentbench_regrade"):
        raise pytest.UsageError("--resume and --regrade exclude each other")
    if opt("agentbench_resume") or opt("agentbench_regrade"):
        mode = "resume" if opt("agentbench_resume") else "regrade"
        group = Path(opt("agentbench_resume") or opt("agentbench_regrade")).resolve()
        if not results.is_run_group(group):
            raise pytest.UsageError(f"--{mode} {group}: not a run group (no metadata.json, collected.json "
                                    "or item results)")
        if config.args_source != pytest.Config.ArgsSource.ARGS:
            config.args[:] = _tasks_of(group, mode)
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
            masking.remember({name: os.environ.get(name, "") for name in agent.secrets()})
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
    try:
        llm = llm_settings.from_options(opt)
    except ValueError as e:
        raise pytest.UsageError(str(e)) from None
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
                             "max_output_bytes": opt("agentbench_max_output_bytes"),
                             "max_output_files": opt("agentbench_max_output_files"),
                             "grader_time_limit": opt("agentbench_grader_time_limit"),
                             "workers": _workers(config), "llm": llm})


def _check_run_dir(config: pytest.Config, state: RunState) -> None:
    """A run dir that cannot be made (under a file, no permission, read-only) stops the run before any
    container starts, naming it: not an error per item, nor an INTERNALERROR when results are written."""
    if hasattr(config, "workerinput") or state.agent is None or config.option.collectonly:
        return
    where = state.group if state.mode != "run" else state.group.parent
    try:
        where.mkdir(parents=True, exist_ok=True)
        probe = tempfile.TemporaryFile(dir=where)
        probe.close()
    except OSError as e:
        pytest.exit(f"agentbench: cannot write {e.filename or where}: {e.strerror or e}", returncode=HOST_FAILURE)


def _tasks_of(group: Path, mode: str) -> list[str]:
    """The spec files a run group collected: without paths, `pytest --resume/--regrade GROUP` runs these,
    not whatever pytest would fall back to (the project's testpaths, the current folder)."""
    specs = sorted({info["spec"] for info in report_files.read_collected(group).values() if info.get("spec")})
    if not specs:
        raise pytest.UsageError(f"--{mode} {group}: the group records no task specs (collected.json); "
                                f"give the task folders too, e.g. pytest task_specs --{mode} GROUP")
    missing = [spec for spec in specs if not Path(spec).is_file()]
    if missing:
        raise pytest.UsageError(f"--{mode} {group}: the group's task specs are not at hand: "
                                f"{', '.join(missing[:5])}; give the task folders on the command line")
    return specs


def _agents_dir(config: pytest.Config) -> Path:
    """--agents-dir, else the ini setting, else agents/ beside the user (the invocation folder), else in
    the rootdir. Not the rootdir first: it moves with the paths given (pytest /elsewhere/specs/x)."""
    given = config.getoption("agentbench_agents_dir")
    if given:
        return Path(given).resolve()
    configured = config.getini("agentbench_agents_dir")
    if configured:
        return Path(configured[0])
    here = config.invocation_params.dir / "agents"
    return here if here.is_dir() else config.rootpath / "agents"



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
    if is_spec_file(file_path) and claims(parent.config, file_path):
        return TaskFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # A run group holds what agents wrote (their code, a conftest.py even): collecting it would run
    # the agent's code on the host, so `pytest .` never looks inside one. Everything else is pytest's
    # to decide (--ignore, collect_ignore, norecursedirs), task folders included.
    if results.GROUP_MARK in collection_path.name and collection_path.is_dir():
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector):
    if claims(parent.config, path) and task_spec_in(path) is not None:
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


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect: an id they leave out is not unknown
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = config.stash.get(SPLIT_KEY, None)
    if wanted is None:
        return
    split = config.getoption("agentbench_split")
    unknown = wanted - {spec.id for item in items if (spec := item.stash.get(SPEC_KEY, None))}
    if unknown:  # most likely a typo: running fewer tasks than the split names, silently, is worse
        message = f"--split {split}: no collected task has the id(s) {', '.join(sorted(unknown))}"
        config.hook.pytest_deselected(items=list(items))
        items.clear()  # nothing runs, and no run group is written for it
        if not hasattr(config, "workerinput"):
            raise pytest.UsageError(message)
        # A worker cannot end the run with a usage error (xdist reports an internal error): it asks
        # the controller to stop with the message and the usage error's exit code.
        stop_run(session, message, pytest.ExitCode.USAGE_ERROR)
        return
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
    if spec is not None and item.session.shouldstop:  # xdist workers run one more item before they stop
        pytest.skip(f"not started: the run is stopping ({item.session.shouldstop})")
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
                                      regraded_from=saved.get("grade"), outputs=saved.get("outputs"))


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
    result.update(masking.mask(result))  # in place: the reports made from it after this are masked too
    folder = Path(result.get("folder") or results.item_folder(state.group, spec.id, result["seed"]))
    try:
        results.write_json_atomic(folder / results.RESULT_FILE, result)
    except OSError as e:  # the item stays without a result: --resume runs it again
        stop_for_host_failure(item.session, e, folder / results.RESULT_FILE)


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
    from .sandbox import get_engine

    try:
        get_engine(state.options["sandbox"])(state.run_id).reap()
    except Exception as e:  # noqa: BLE001 - the sweep at the end retries; the run goes on
        config.get_terminal_writer().line(f"agentbench: could not remove a dead worker's containers: {e}",
                                          yellow=True)


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
        try:
            _write_metadata(config)
        except OSError as e:
            if config.stash.get(EXIT_CODE_KEY, None) != HOST_FAILURE:  # else already said
                config.get_terminal_writer().line(host_failure(e, state.group / results.METADATA_FILE, state.group),
                                                  red=True)


def _write_metadata(config: pytest.Config) -> None:
    state = config.stash[RUN_KEY]
    info = {"run_id": state.run_id, "agent": state.agent.id, "seeds": config.getoption("agentbench_seeds") or 1}
    if state.mode != "regrade":
        info["created_at"] = state.options.get("started")
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
