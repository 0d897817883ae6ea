"""The fixture chain, one step each, every one overridable from a user's conftest.py:

    agentbench_run -> sandbox_engine -> base_image -> agent_image
    task_spec -> task_context -> task_network -> task_services, task_egress -> task_sandbox
              -> agent_run -> task_outputs -> task_grade -> (the item asserts its checkpoints)

The agent runs and grading happens during set-up, so a broken harness, image or grader shows as an
*error* and only the agent's own shortcomings show as *failures*.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pytest

from . import families
from .agents import Agent, AgentSourceMissing
from .briefing import agent_briefing
from .collect import RESULT_KEY, SEED_KEY, SPEC_KEY
from .gateway.fixtures import usage_of as gateway_usage
from .families.base import (SERVICES_DIR, CopyIn, TaskContext, agent_base_image, agent_recipe, base_image_of,
                            container_limits_of, unique_name)
from .grading.result import Checkpoint, Grade
from .progress import AGENT_RUNNING, WRITER_KEY as PROGRESS_KEY
from .reporting.results import fresh_item_folder, item_folder
from .run import RUN_KEY, RunState
from .sandbox import limits, process_engine
from .sandbox.base import MASK, ContainerConfig, Sandbox, SandboxEngine, SandboxSpec
from .sandbox.egress import start_egress
from .sandbox.head_tail import HeadTail
from .sandbox.images import ensure_base_image, ensure_image
from .sandbox.recording import recorder_file, run_recorded
from .sandbox.untrusted_archive import OutputCapExceeded, OutputTally
from .services.coworkers import environment_played
from .services.stack import ServiceError, crashed, start_stack
from .spec import TaskSpec
from .trajectory import TrajectoryRecorder
from .usage import agent_usage

AGENT_LOG_HEAD = AGENT_LOG_TAIL = 1 << 20  # bytes of the agent's output kept in agent.log, from each end


@dataclass
class AgentRun:
    exit_code: int | None
    timed_out: bool
    duration: float
    time_limit: int
    log_path: Path
    trajectory_path: Path
    log_bytes_cut: int = 0  # agent.log keeps the output's head and tail; this much was between them

    def to_dict(self) -> dict:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


# --- session ----------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def agentbench_run(pytestconfig: pytest.Config) -> RunState:
    return pytestconfig.stash[RUN_KEY]


@pytest.fixture(scope="session")
def sandbox_engine(agentbench_run: RunState) -> SandboxEngine:
    """The container engine, checked to answer; objects left by dead runs are reaped first."""
    engine = process_engine(agentbench_run.options, agentbench_run.run_id)
    engine.ping()
    engine.reap()
    yield engine
    engine.drain()  # the controller also sweeps everything labelled with this run at the end


@pytest.fixture(scope="session")
def agent(agentbench_run: RunState) -> Agent:
    if agentbench_run.agent is None:
        pytest.skip("no agent given: pass --agent=ID to evaluate one")
    return agentbench_run.agent


@pytest.fixture(scope="session")
def base_image(sandbox_engine: SandboxEngine, agentbench_run: RunState) -> str:
    tag = ensure_base_image(sandbox_engine, agentbench_run.options.get("base_image"))
    agentbench_run.options["base_image_tag"] = tag  # graders build on it too
    return tag


@pytest.fixture(scope="session")
def container_limits(sandbox_engine: SandboxEngine, agentbench_run: RunState, base_image: str) -> ContainerConfig:
    """The run's container config with pids, memory, CPU and (where the storage driver allows) disk
    limits filled in: what every agent, grader and service container of the run gets."""
    config, record = limits.in_force(agentbench_run.container_config, sandbox_engine,
                                     agentbench_run.options.get("engine_workers") or agentbench_run.options.get("workers")
                                     or 1, base_image)
    agentbench_run.options.update(container_limits=config, limits=record)  # families' containers too
    return config


@pytest.fixture
def agent_image(sandbox_engine: SandboxEngine, agent: Agent, base_image: str, agentbench_run: RunState,
                pytestconfig: pytest.Config) -> str:
    # Per item, not per session: a session fixture's failure is raised again, build output and all, for
    # every item; ensure_image says a failed build in full once, then in one line (one API call per item).
    log = build_progress(pytestconfig)
    try:
        agent.sources()
    except AgentSourceMissing as e:  # an agent built from a checkout the user has not named
        pytest.skip(str(e))
    base = agent_base_image(sandbox_engine, agent, agentbench_run.options, log)  # base_image, or the agent's Debian's
    return ensure_image(sandbox_engine, agent_recipe(agent, base), log=log)


# The lines that say how far a build is: not the steps' own output (a failed build's is shown once,
# with its error, by images.py), which would be thousands of apt and pip lines, escape codes and all.
PROGRESS_LINE = re.compile(r"(Step \d+/\d+ :|building |shipping |packages for |debootstrap |Successfully built )")


def build_progress(config: pytest.Config):
    """Where an image build's progress goes (the wheels downloaded, the Dockerfile's steps): the
    terminal, past pytest's capture (an xdist worker's stderr is the terminal's too)."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def log(text: str) -> None:
        lines = "".join(f"[agentbench build] {line}\n" for line in text.splitlines() if PROGRESS_LINE.match(line))
        if not lines:
            return
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            sys.__stderr__.write(lines)
            sys.__stderr__.flush()
    return log


# --- per item ---------------------------------------------------------------------------------------

@pytest.fixture
def task_spec(request: pytest.FixtureRequest) -> TaskSpec:
    try:
        return request.node.stash[SPEC_KEY]
    except KeyError:
        raise pytest.UsageError(f"{request.node.nodeid} is not a task item: task_spec has no task") from None


@pytest.fixture
def task_context(request: pytest.FixtureRequest, agentbench_run: RunState, task_spec: TaskSpec, agent: Agent,
                 sandbox_engine: SandboxEngine, container_limits: ContainerConfig):
    seed = request.node.stash.get(SEED_KEY, None)
    if agentbench_run.mode == "regrade":  # grades what the folder holds
        item_dir = item_folder(agentbench_run.group, task_spec.id, seed)
    else:
        item_dir = fresh_item_folder(agentbench_run.group, task_spec.id, seed)
    ctx = TaskContext(spec=task_spec, agent=agent, item_dir=item_dir, engine=sandbox_engine,
                      options=agentbench_run.options, trajectory_path=item_dir / "trajectory.jsonl")
    request.node.stash[RESULT_KEY].update(folder=str(item_dir), limits=agentbench_run.options["limits"])
    if agentbench_run.options.get("engines"):  # which of the run's engines: its failures may be the engine's
        request.node.stash[RESULT_KEY]["engine"] = sandbox_engine.name
    family = families.get(task_spec.kind)
    try:
        family.prepare(ctx)
        yield ctx
    finally:
        family.finish(ctx)


@pytest.fixture
def task_network(sandbox_engine: SandboxEngine, task_context: TaskContext):
    """A private network for the item's containers: internal (no way out, and no address of the host's on
    it, so none of the host's ports answer); a task that allows the internet gets `task_egress` too."""
    name = sandbox_engine.create_network(unique_name("net", task_context), internal=True)
    task_context.network = name
    yield name
    sandbox_engine.discard_network(name)


@pytest.fixture
def task_egress(sandbox_engine: SandboxEngine, task_context: TaskContext, task_network: str):
    """For a task that allows the internet, an egress proxy on its network that reaches public addresses
    only; the agent's environment (HTTP(S)_PROXY) to use it. Empty for a task without the internet."""
    if not families.get(task_context.spec.kind).allows_internet(task_context):
        yield {}
        return
    egress = start_egress(sandbox_engine, base_image_of(task_context), task_network,
                          unique_name("egress", task_context), container_limits_of(task_context))
    task_context.egress = egress
    yield egress.agent_env
    sandbox_engine.discard(egress.proxy)
    sandbox_engine.discard_network(egress.network)


@pytest.fixture
def task_services(request: pytest.FixtureRequest, task_context: TaskContext, task_network: str):
    """The task's service containers, started and ready (empty for tasks that need none): the family's
    own, and those of the task's compose.yaml (a fresh stack per item, its volumes removed with it)."""
    services = families.get(task_context.spec.kind).start_services(task_context)
    stack = None
    if task_context.spec.services is not None:
        played_by = None
        if task_context.spec.services.coworkers is not None:
            played_by = environment_played(task_context.item_dir, task_context.options)
            if played_by.not_answering:
                warnings.warn(f"{task_context.spec.id}: the coworkers will not answer: {played_by.not_answering}")
        try:
            stack = start_stack(task_context.spec.services, task_context.engine, network=task_network,
                                prefix=unique_name("svc", task_context), base_image=base_image_of(task_context),
                                limits=container_limits_of(task_context), coworker_model=played_by)
        except BaseException:
            for service in services:
                task_context.engine.discard(service)
            raise
        task_context.services = stack
        request.node.stash[RESULT_KEY]["services"] = {"ready_seconds": stack.timings,
                                                      "lifetime": task_context.spec.services.lifetime}
    yield services + (list(stack.sandboxes.values()) if stack else [])
    for service in services:
        task_context.engine.discard(service)
    if stack is not None:
        stack.remove()


@pytest.fixture
def task_sandbox(request: pytest.FixtureRequest, sandbox_engine: SandboxEngine, agent_image: str,
                 agentbench_run: RunState, task_context: TaskContext, task_network: str, task_services: list[Sandbox],
                 task_egress: dict[str, str], task_llm):
    """The agent's container, idle with the task's files in place, removed when the item ends."""
    family = families.get(task_context.spec.kind)
    task_image = family.task_image(task_context)
    image = ensure_image(sandbox_engine, agent_recipe(task_context.agent, task_image),
                         log=build_progress(request.config)) if task_image else agent_image
    request.node.stash[RESULT_KEY]["image"] = image
    files: list[CopyIn] = family.agent_files(task_context)
    if task_context.agent.config.reference_solution:
        files += family.solution_files(task_context)
    files.append(CopyIn(*recorder_file()))
    spec = SandboxSpec(image=image, name=unique_name("agent", task_context), network=task_network,
                       env={**task_egress, **family.agent_env(task_context), **_task_env(task_context),
                            **(task_llm.env if task_llm else {}),
                            **(task_context.services.stack.agent_env if task_context.services else {})},
                       config=replace(container_limits_of(task_context),
                                      privileged=task_context.agent.config.privileged),
                       tmpfs={path: MASK for path in family.hidden_paths(task_context)})
    sandbox = sandbox_engine.start(spec, files=[f.as_tuple() for f in files],
                                   trajectory=TrajectoryRecorder(task_context.trajectory_path))
    task_context.sandbox = sandbox
    try:
        family.before_agent(task_context)
    except BaseException:
        sandbox_engine.discard(sandbox)
        raise
    yield sandbox
    sandbox_engine.discard(sandbox)


def agent_user_of(task_context: TaskContext) -> str:
    """The user the agent runs as: the task's `agent_user`, else its family's."""
    return task_context.spec.agent_user or families.get(task_context.spec.kind).agent_user


@pytest.fixture
def agent_run(request: pytest.FixtureRequest, task_context: TaskContext, agentbench_run: RunState) -> AgentRun:
    """Runs the agent's start script as the task's agent user (its family's, or its task.yaml's
    `agent_user`); at the time limit the container is killed.
    With --regrade, the saved run instead: no agent runs."""
    if agentbench_run.mode == "regrade":
        saved = request.node.stash[RESULT_KEY]["agent_run"]
        return AgentRun(**{**saved, "log_path": Path(saved["log_path"]),
                           "trajectory_path": Path(saved["trajectory_path"])})
    sandbox: Sandbox = request.getfixturevalue("task_sandbox")
    agent = task_context.agent
    limit = task_context.time_limit
    log_path = task_context.item_dir / "agent.log"
    llm = request.getfixturevalue("task_llm")
    env = {**agent.environment(), **(llm.env if llm else {})}  # the gateway's key, never a provider's
    progress = request.config.stash.get(PROGRESS_KEY, None)
    start = time.time()
    with log_path.open("wb") as log:
        def head(chunk: bytes) -> None:  # to the file as it comes, so `tail -f agent.log` follows the agent
            log.write(chunk)
            log.flush()

        kept = HeadTail(AGENT_LOG_HEAD, AGENT_LOG_TAIL, on_head=head)

        def output(chunk: bytes) -> None:
            kept.write(chunk)
            if progress is not None:
                progress.output(chunk)  # the live progress shows the agent's latest line

        if progress is not None:
            progress.enter(AGENT_RUNNING)
        result = run_recorded(sandbox, agent.command(), user=agent_user_of(task_context), env=env, workdir="/home",
                              kill_sandbox_after=limit, on_output=output,
                              record_programs=agentbench_run.options.get("record_commands", True),
                              model_steps=llm.model_steps if llm else list,
                              follow_models=llm.follow if llm else None)
        log.write(kept.rest())
    if result.timed_out:
        sandbox.trajectory.event("timed_out", time_limit=limit)
    run = AgentRun(exit_code=result.exit_code, timed_out=result.timed_out, duration=time.time() - start,
                   time_limit=limit, log_path=log_path, trajectory_path=task_context.trajectory_path,
                   log_bytes_cut=kept.cut)
    request.node.stash[RESULT_KEY]["agent_run"] = run.to_dict()
    return run


@pytest.fixture
def task_outputs(request: pytest.FixtureRequest, agent_run: AgentRun, task_context: TaskContext,
                 agentbench_run: RunState) -> Path:
    """The agent's container stops at once; its outputs are copied to the item's folder as data,
    within the item's caps (with --regrade, the outputs saved there are used as they are)."""
    result = request.node.stash[RESULT_KEY]
    llm = None
    if agentbench_run.mode != "regrade":
        family = families.get(task_context.spec.kind)
        sandbox: Sandbox = request.getfixturevalue("task_sandbox")
        sandbox.kill()
        llm = request.getfixturevalue("task_llm")
        result["llm"] = llm.finish() if llm else None  # before the item's network goes: the gateway is on it
        tally, over_cap = OutputTally(task_context.output_caps), None
        try:
            for path in family.outputs(task_context):
                sandbox.copy_out(path, task_context.item_dir, tally)
        except OutputCapExceeded as e:
            over_cap = str(e)
        result["outputs"] = {**tally.to_dict(), "over_cap": over_cap}
        family.after_agent(task_context)
        stack = task_context.services
        if stack is not None:  # what the services hold now the agent has stopped, for the evaluator
            coworkers = stack.stop_coworkers(task_context.item_dir / SERVICES_DIR)
            if coworkers is not None:  # their conversations, and their model's cost: apart from the agent's
                result["services"]["coworkers"] = coworkers
            result["services"].update(read=stack.collect(task_context.item_dir / SERVICES_DIR), crashed=crashed(stack))
        final_machine = family.keep_final_machine(task_context, sandbox)
        if final_machine is not None:  # no image of the agent's machine outlives its item
            request.addfinalizer(lambda: task_context.engine.discard_image(final_machine))
        # Grading works from the copied outputs (and that image): a slow grader must not hold the
        # item's containers (removal is idempotent; the fixtures' own teardown finds them gone).
        task_context.engine.discard(sandbox)
        if not family.grading_uses_task_network:
            for service in request.getfixturevalue("task_services"):
                task_context.engine.discard(service)
            if stack is not None:
                stack.remove()
            if task_context.egress is not None:  # on the item's network: it goes first
                task_context.engine.discard(task_context.egress.proxy)
                task_context.engine.discard_network(task_context.egress.network)
            task_context.engine.discard_network(request.getfixturevalue("task_network"))
    for name, crash in ((result.get("services") or {}).get("crashed") or {}).items():
        raise ServiceError(f"service {name!r} stopped while the agent worked (exit status {crash['exit_status']})"
                           f"\n--- log tail of {name} ---\n{crash['log_tail']}")
    result["usage"] = gateway_usage(result.get("llm")) or agent_usage(
        families.get(task_context.spec.kind).usage_file(task_context))
    if llm and llm.replay_miss:
        pytest.fail(llm.replay_miss, pytrace=False)
    return task_context.item_dir


@pytest.fixture
def task_grade(request: pytest.FixtureRequest, task_outputs: Path, task_context: TaskContext) -> Grade:
    over_cap = (request.node.stash[RESULT_KEY].get("outputs") or {}).get("over_cap")
    if over_cap:  # the agent broke the task's rules: the item fails, on outputs it may not have finished
        grade = Grade([Checkpoint("outputs within the caps", 0, 1, over_cap)], score=0.0, passed=False,
                      summary=over_cap)
    else:
        grade = families.get(task_context.spec.kind).grade(task_context)
    request.node.stash[RESULT_KEY]["grade"] = grade.to_dict()
    return grade


# --- helpers ----------------------------------------------------------------------------------------

def _task_env(ctx: TaskContext) -> dict[str, str]:
    return {"TASK_ID": ctx.spec.id, "TIME_LIMIT_SECS": str(ctx.time_limit),
            **agent_briefing(ctx.time_limit, container_limits_of(ctx))}

