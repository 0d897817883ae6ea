"""The run's state made from the command line (RunState, run.py): its mode (run, --resume, --regrade),
its group, its agent, its limits and options, checked before any container starts."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import pytest

from . import engines as engines_mod, families, masking
from .agents import AgentError
from .gateway import settings as llm_settings
from .reporting import results
from .resume import regraded_agent, tasks_of
from .run import HOST_FAILURE, RunState, new_run_id
from .sandbox.base import ContainerConfig


def make_run_state(config: pytest.Config) -> RunState:
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
            config.args[:] = tasks_of(group, mode)
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
                or regraded_agent(agents_dir, agent_id, mode, group)
            if mode != "regrade":  # regrading runs no agent: its secrets and privileges are not needed
                agent.environment()  # a missing secret stops the run here, not in every item
                agent.check_privileged()
            masking.remember({name: os.environ.get(name, "") for name in agent.secrets()})
        except AgentError as e:
            raise pytest.UsageError(str(e)) from None
    if agent is not None and mode != "regrade":
        from .sandbox import get_engine

        try:  # an engine no package registers stops the run here, not in every item
            get_engine(opt("agentbench_sandbox"))
        except ValueError as e:
            raise pytest.UsageError(f"--sandbox: {e}") from None
    container_config = ContainerConfig()
    workerinput = getattr(config, "workerinput", None)
    if opt("agentbench_container_config"):
        path = Path(opt("agentbench_container_config"))
        try:
            container_config = ContainerConfig.from_mapping(json.loads(path.read_text()))
            if (container_config.nano_cpus or container_config.runtime) and workerinput is None and agent \
                    and mode != "regrade":
                from .sandbox import get_engine, limits  # asks the engine: only when CPUs or a runtime are given

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
    engines = _engines(config, workerinput)
    if workerinput is not None:  # an xdist worker joins the controller's run
        run_id, group = workerinput["agentbench"]["run_id"], Path(workerinput["agentbench"]["group"])
    else:
        run_id = new_run_id()
        group = group or Path(opt("agentbench_run_dir")).resolve() / results.group_name(agent.id if agent else "none")
    return RunState(run_id=run_id, group=group, agents_dir=agents_dir, agent=agent, mode=mode,
                    container_config=container_config,
                    options={"sandbox": opt("agentbench_sandbox"), "started": time.time(),
                             "base_image": opt("agentbench_base_image"), "time_limit": opt("agentbench_time_limit"),
                             "record_commands": opt("agentbench_record_commands"),
                             "max_output_bytes": opt("agentbench_max_output_bytes"),
                             "max_output_files": opt("agentbench_max_output_files"),
                             "grader_time_limit": opt("agentbench_grader_time_limit"),
                             "workers": _workers(config), "llm": llm, **engines, **_family_options(config)})


def _engines(config: pytest.Config, workerinput: dict | None) -> dict:
    """The run's engines (plain data: the worker's copy comes from the controller): `engines`, every
    engine's entry; `engine`, this process's; `engine_workers`, how many workers share it (its CPUs and
    memory are split among them, sandbox/limits.py)."""
    if workerinput is not None:
        return workerinput.get(engines_mod.ENGINE_KEY) or {}
    entries = engines_mod.from_options(config.getoption("agentbench_engines"),
                                       config.getoption("agentbench_engines_file"))
    if not entries:
        return {}
    if config.getoption("agentbench_sandbox") != "docker":
        raise pytest.UsageError("--engines and --engines-file name Docker engines: they need --sandbox docker")
    workers = _workers(config) if getattr(config.option, "numprocesses", None) else 0
    assigned = engines_mod.assign(entries, max(workers, 1))
    return {"engines": [e.to_dict() for e in entries], "engine": assigned[0].to_dict(),
            "assigned": [e.to_dict() for e in assigned]}


def worker_engine(state: RunState, worker_id: str) -> dict:
    """What the controller tells worker `worker_id` about the engines (engines.py)."""
    options = state.options
    if not options.get("engines"):
        return {}
    mine = options["assigned"][engines_mod.worker_number(worker_id)]
    return {"engines": options["engines"], "engine": mine,
            "engine_workers": sum(1 for e in options["assigned"] if e == mine)}


def _family_options(config: pytest.Config) -> dict:
    options: dict = {}
    for family in families.registered().values():
        options.update(family.run_options(config))
    return options


def check_run_dir(config: pytest.Config, state: RunState) -> None:
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


def check_engine(config: pytest.Config, state: RunState) -> None:
    """An engine that does not answer stops the run at start with one message (the host's failure,
    code 6), not an error with a traceback per item."""
    if hasattr(config, "workerinput") or state.agent is None or state.mode == "regrade" \
            or config.option.collectonly:
        return
    from .sandbox import EngineUnavailable, run_engines

    try:
        for engine in run_engines(state.options, state.run_id):
            engine.ping()
    except EngineUnavailable as e:
        pytest.exit(f"agentbench: {e}", returncode=HOST_FAILURE)


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
