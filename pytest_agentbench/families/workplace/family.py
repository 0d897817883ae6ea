"""Workplace tasks (`kind: workplace`), in TheAgentCompany's task-folder format.

    <task>/task.md           the instruction: the only text the agent sees, at /instruction/task.md
    <task>/workspace/        files the agent works on, at /workspace (its own)
    <task>/evaluator.py      grade_checkpoints(trajectory="") -> Result   (never enters the agent's container;
                             utils/evaluator.py, as OpenAgentSafety's folders keep it, works too)
    <task>/checkpoints.md    the rubric for people (never enters the agent's container)
    <task>/dependencies.yml  services the task needs (or utils/dependencies.yml)
    <task>/solution.sh       the reference solution (oracle only)
    <task>/task.yaml         optional: our metadata (kind: workplace, id, category, time_limit, markers)
    <task>/Dockerfile        optional. TAC's (FROM TheAgentCompany's task base image) is built as TAC
                             builds it, the folder as build context, FROM our stand-in for that base
                             (task_image.py: ONBUILD steps, pip served, /utils and /npc hidden from the
                             agent); another is built FROM our base image without the files above.
                             The agent's image is built on it.

After the agent stops, /workspace is copied out (for people and reports), and the agent's container is
kept as an image and its changes saved (final_machine.py). The evaluator runs in a container of that
image, the agent's final machine as TheAgentCompany grades it, under the harness's own Python, with the
evaluator, our TAC-compatible modules (tac/) and the trajectory copied into a folder the agent never saw,
through tac/runner.py. --regrade rebuilds the machine from the saved changes.

A TAC folder that names services in dependencies.yml and has no compose.yaml runs against TAC's own
servers under --tac-server (tac_servers.py: the tunnel, the locks, TAC's reset and init, its NPCs),
and is skipped without it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import yaml
from pydantic import Field

from ...gateway.harness_calls import HarnessModel
from ...grading import result as grading_result
from ...files import StrictModel
from ...grading.result import Checkpoint, Grade, GraderError
from ...sandbox.base import BuildError
from ...sandbox.images import ImageRecipe, ensure_image, on_base_image
from ...sandbox.wheelhouse import NO_DEPS, REQUIREMENTS
from ...spec import SPEC_FILE, SpecError, yaml_error
from . import final_machine, tac_files, tac_image
from .points import points_mismatch
from . import tac_servers
from .task_image import build_task_image, hidden_paths, is_tac_dockerfile
from .tac import config as tac_config, judge, scoring
from ..base import (AGENT_UID, LOGS_DIR, SERVICES_DIR, CopyIn, Family, TaskContext, agent_base_image,
                   base_image_of, container_limits_of, suite_base_image, unique_name)

TAC = Path(__file__).resolve().parent / "tac"
GRADER_DOCKERFILE = Path(__file__).resolve().parent / "grader_image" / "Dockerfile"
EVALUATOR_UID = 65532  # the evaluator's user: neither root nor the agent (a number: the agent wrote /etc/passwd)
GRADER_SUITE = "trixie"  # Debian 13: Python 3.13, as TAC's evaluators need 3.12 or newer
EVALUATOR_TIME_LIMIT = 600  # seconds, as TheAgentCompany's own evaluation
# What a task's own Dockerfile (not a TAC folder's: task_image.py) is never given to COPY: the agent's
# image must not hold them.
HIDDEN = {"compose.yaml", "services", "checkpoints.md", "evaluator.py", "scenarios.json", "task.yaml", "solution.sh", "pre_init.py", "pre_init.sh",
          "populate_data.py", "post_init.py", "post_init.sh", "utils", "__pycache__"}
TAC_SPEC_FILE = "task.md"  # a TheAgentCompany folder's instruction, its spec when it has no task.yaml
TAC_CATEGORIES = ("sde", "hr", "pm", "admin", "ds", "finance", "ml", "research", "bm", "qa", "other")
# Files of a task folder without a Dockerfile that are not workspace data (TAC's READMEs and Makefiles
# can give the answer: ds-sql-exercise's README states the expected result).
RESERVED = HIDDEN | {"task.md", "dependencies.yml", "Dockerfile", "workspace", "README.md", "Makefile"}



# An image reference: [registry[:port]/]name[:tag][@sha256:digest]
IMAGE_REF = r"^(?:[A-Za-z0-9.-]+(?::\d+)?/)?[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"


class WorkplaceFields(StrictModel):
    outputs: list[str] = Field(default_factory=lambda: ["/workspace"],
                               description="container paths saved after the agent and restored for grading")
    allow_internet: bool = True
    image: str | None = Field(None, pattern=IMAGE_REF, description=(
        "a TheAgentCompany task image (<registry>/<task>-image:<version>) run through TAC's four steps "
        "instead of a task folder: init.sh, the agent on /instruction/task.md, eval.py on its final machine"))


class WorkplaceFamily(Family):
    name = "workplace"
    agent_user = "root"  # TheAgentCompany's contract: its install tasks are done with apt-get
    fields = WorkplaceFields

    def addoption(self, group) -> None:
        group.addoption("--tac-server", dest="agentbench_tac_server", metavar="HOST",
                        help="TheAgentCompany's servers, run by you as its servers/ folder sets them up (default: "
                             "$SERVER_HOSTNAME): its task folders that need services run against them, one item "
                             "per server at a time, with TAC's reset and init before each; without, they are skipped")
        group.addoption("--tac-init-timeout", dest="agentbench_tac_init_timeout", type=float, metavar="SECONDS",
                        default=tac_servers.DEFAULT_INIT_TIMEOUT,
                        help="the limit on TheAgentCompany's reset and init of one item (default "
                             f"{tac_servers.DEFAULT_INIT_TIMEOUT} s): past it the item is an error")

    def run_options(self, config) -> dict:
        return {"tac_server": tac_servers.server_from(config.getoption("agentbench_tac_server")),
                "tac_init_timeout": config.getoption("agentbench_tac_init_timeout")}

    def claims(self, path: Path) -> bool:
        return path.name == TAC_SPEC_FILE and self.spec_in(path.parent) == path

    def spec_in(self, folder: Path) -> Path | None:
        """A TheAgentCompany task folder as it is (task.md and an evaluator, no task.yaml) is a task."""
        task_md = folder / TAC_SPEC_FILE
        if task_md.is_file() and evaluator_of(folder).is_file() and not (folder / SPEC_FILE).exists():
            return task_md
        return None

    def spec_mapping(self, path: Path) -> dict:
        """The id is the folder's name, the category its prefix."""
        task_id = path.parent.name
        prefix = task_id.split("-", 1)[0]
        return {"kind": self.name, "id": task_id, "category": prefix if prefix in TAC_CATEGORIES else None}

    def check_folder(self, spec_path: Path) -> None:
        if _declares_image(spec_path):  # the image holds the instruction and the evaluator
            return
        folder = spec_path.parent
        if not (folder / "task.md").is_file():
            raise SpecError(spec_path, f"a workplace task needs its instruction in {folder / 'task.md'}")
        if not evaluator_of(folder).is_file():
            raise SpecError(spec_path, f"a workplace task needs an evaluator: {folder / 'evaluator.py'} "
                                       f"(or utils/evaluator.py) defining grade_checkpoints(trajectory)")
        mismatch = points_mismatch(folder / "checkpoints.md", evaluator_of(folder))
        if mismatch:
            raise SpecError(spec_path, mismatch)

    def prepare(self, ctx: TaskContext) -> None:
        services = dependencies(ctx.spec.folder)
        if services and ctx.spec.services is None:  # TheAgentCompany's names, with no compose.yaml to run
            host = ctx.options.get("tac_server")
            if not host:
                import pytest

                pytest.skip(f"needs TheAgentCompany's servers {', '.join(services)}: give --tac-server HOST "
                            f"(or set SERVER_HOSTNAME), or declare them in a compose.yaml")
            locks = tac_servers.ServerLocks(host, services)
            ctx.state["tac_locks"] = locks  # held until finish(): the evaluator reads the servers too
            waited = locks.acquire()
            self._init_log(ctx, f"TheAgentCompany's servers on {host}: {', '.join(locks.servers)} held "
                                f"for this item after waiting {waited:.1f} s")

    def finish(self, ctx: TaskContext) -> None:
        locks = ctx.state.pop("tac_locks", None)
        if locks is not None:
            locks.release()

    @staticmethod
    def _init_log(ctx: TaskContext, text: str) -> None:
        ctx.item_dir.mkdir(parents=True, exist_ok=True)
        with (ctx.item_dir / "init.log").open("a") as log:  # timed: when an item held its servers, and how long
            log.write(f"[{time.strftime('%Y-%m-%dT%H:%M:%S%z')}] {text.rstrip()}\n")

    def start_services(self, ctx: TaskContext) -> list:
        """For a task on TheAgentCompany's servers, the tunnel that is the-agent-company.com on its network."""
        if "tac_locks" not in ctx.state:
            return []
        tunnel = tac_servers.Tunnel(ctx.engine, base_image_of(ctx), ctx.network, unique_name("tac", ctx),
                                    ctx.options["tac_server"], container_limits_of(ctx))
        ctx.state["tac_tunnel"] = tunnel
        return [tunnel.sandbox]

    def before_agent(self, ctx: TaskContext) -> None:
        """TheAgentCompany's reset and init (init.sh's steps), before the agent, within --tac-init-timeout."""
        if tac_image.image_of(ctx):  # a published image runs its own /utils/init.sh
            tac_image.initialize(ctx, ctx.sandbox)
            return
        if "tac_locks" not in ctx.state:
            return
        deadline = time.monotonic() + (ctx.options.get("tac_init_timeout") or tac_servers.DEFAULT_INIT_TIMEOUT)
        log = lambda text: self._init_log(ctx, text)  # noqa: E731
        tac_servers.reset(ctx.options["tac_server"], dependencies(ctx.spec.folder), deadline, log)
        tac_servers.run_init(ctx.sandbox, ctx.spec.folder, TAC, deadline, log)
        self._start_coworkers(ctx, log)

    @staticmethod
    def _start_coworkers(ctx: TaskContext, log) -> None:
        """TAC's NPCs (the folder's scenarios.json) in its RocketChat, played by the environment LLM as our
        own coworkers are (services/coworkers.py), through a bridge in the item's tunnel container."""
        scenarios = tac_servers.scenarios_of(ctx.spec.folder)
        if scenarios is None or "rocketchat" not in {d.lower() for d in dependencies(ctx.spec.folder)}:
            return
        import warnings

        from ...services.coworkers import CoworkerRoom, Coworkers, environment_played, load_scenarios

        people = load_scenarios(scenarios)
        played_by = environment_played(ctx.item_dir, ctx.options)
        if played_by.not_answering:
            warnings.warn(f"{ctx.spec.id}: the coworkers will not answer: {played_by.not_answering}")
        room = CoworkerRoom(Coworkers("rocketchat", people, scenarios), ctx.state["tac_tunnel"].sandbox,
                            tac_servers.TAC_HOST, played_by, bridge=tac_servers.CHAT_BRIDGE_COMMAND)
        room.start()
        ctx.state["tac_coworkers"] = room
        log(f"coworkers: {', '.join(c.username for c in people)} in RocketChat"
            + (f" (not answering: {played_by.not_answering})" if played_by.not_answering else ""))

    def after_agent(self, ctx: TaskContext) -> None:
        """The NPCs stop with the agent; their conversations are saved for the evaluator (services/)."""
        room = ctx.state.pop("tac_coworkers", None)
        if room is not None:
            from ...services.coworkers import write_record

            write_record(room, ctx.item_dir / SERVICES_DIR / "coworkers.json")

    def agent_env(self, ctx: TaskContext) -> dict[str, str]:
        if "tac_locks" not in ctx.state:
            return {}
        value = tac_servers.no_proxy(None)
        return {"NO_PROXY": value, "no_proxy": value}

    def agent_files(self, ctx: TaskContext) -> list[CopyIn]:
        if tac_image.image_of(ctx):  # /instruction and /workspace are the image's
            return []
        folder = ctx.spec.folder
        files = [CopyIn(folder / "task.md", "/instruction/task.md", mode=0o644)]
        workspace = folder / "workspace"
        if workspace.is_dir():
            files.append(CopyIn(workspace, "/workspace", uid=AGENT_UID))
        else:
            staged = ctx.item_dir / ".workspace-in"
            shutil.rmtree(staged, ignore_errors=True)
            staged.mkdir(parents=True)
            # A TAC folder with a Dockerfile gets in /workspace only what that Dockerfile COPYs there (the
            # empty folder merges with the image's): README.md and Makefile beside task.md can hold the
            # answers (ds-sql-exercise's README gives the expected result). Without one, the data files
            # beside task.md are gathered into one workspace.
            if not (folder / "Dockerfile").is_file():
                copy_folder(folder, staged, leave_out=RESERVED, dot_files=False)
            files.append(CopyIn(staged, "/workspace", uid=AGENT_UID))
        return files

    def task_image(self, ctx: TaskContext) -> str | None:
        """The image the task's own Dockerfile makes, if it has one. A TAC folder's (FROM TheAgentCompany's
        task base image) is built as TAC builds it: the folder as build context, FROM our stand-in for
        that base, its ONBUILD steps and its pip installs served (task_image.py). Another Dockerfile is
        built FROM our base image, from the folder without the files the agent must not see (HIDDEN). A
        published TAC image (task.yaml `image:`) is used as published (tac_image.py)."""
        if tac_image.image_of(ctx):
            return tac_image.task_image(ctx)
        dockerfile = ctx.spec.folder / "Dockerfile"
        if not dockerfile.is_file():
            return None
        if is_tac_dockerfile(dockerfile):
            return build_task_image(ctx)
        with tempfile.TemporaryDirectory(prefix="agentbench-task-image-") as staged:
            context = Path(staged)
            copy_folder(ctx.spec.folder, context, leave_out=HIDDEN | {"Dockerfile"})
            (context / "Dockerfile").write_text(on_base_image(dockerfile, BASE_ARG))
            name = "task-" + re.sub(r"[^a-z0-9._-]", "-", ctx.spec.id.lower())
            try:
                base = agent_base_image(ctx.engine, ctx.agent, ctx.options)  # the agent's image builds on it
                return ensure_image(ctx.engine, ImageRecipe(name, context, {BASE_ARG: base}))
            except BuildError as e:  # name the task's file, not the staged copy; say what it was not given
                raise BuildError(f"{dockerfile} did not build (its build context leaves out the evaluator, "
                                 f"rubric, solution, scenarios and init scripts): {e}") from None

    def hidden_paths(self, ctx: TaskContext) -> list[str]:
        """/utils and /npc of a TAC task image (task_image.py)."""
        return hidden_paths(ctx)

    def allows_internet(self, ctx: TaskContext) -> bool:
        return ctx.spec.details.allow_internet

    def outputs(self, ctx: TaskContext) -> list[str]:
        """The task's outputs, and the agent's logs (for its usage.json), which grading does not restore."""
        outputs = list(ctx.spec.details.outputs)
        if all(Path(p).name != Path(LOGS_DIR).name for p in outputs):
            outputs.append(LOGS_DIR)
        return outputs

    def solution_files(self, ctx: TaskContext) -> list[CopyIn]:
        solution = ctx.spec.folder / "solution.sh"
        return [CopyIn(solution, "/home/agent/solution/solution.sh", uid=AGENT_UID)] if solution.is_file() else []

    def keep_final_machine(self, ctx: TaskContext, sandbox) -> str | None:
        return final_machine.keep(ctx, sandbox)

    def grade(self, ctx: TaskContext) -> Grade:
        """The evaluator runs in the agent's final machine (final_machine.py), under the harness's own
        Python, with the evaluator, our modules and the trajectory in a folder the agent never saw."""
        tac_files.clear(ctx.item_dir)  # written again only if this grading succeeds
        if tac_image.image_of(ctx):
            return tac_image.grade(ctx)
        image = grader_image(ctx)
        python = final_machine.harness_python(ctx, image)
        private = f"/.agentbench-{uuid.uuid4().hex}"  # a path the agent could not prepare
        grader = f"{private}/grader"
        grader_files = [CopyIn(evaluator_of(ctx.spec.folder), f"{grader}/evaluator.py"), *grader_modules(grader)]
        if (ctx.item_dir / SERVICES_DIR).is_dir():  # what the services held after the agent (tac/services.py)
            grader_files.append(CopyIn(ctx.item_dir / SERVICES_DIR, f"{grader}/{SERVICES_DIR}"))
        if ctx.trajectory_path and ctx.trajectory_path.exists():
            grader_files.append(CopyIn(ctx.trajectory_path, f"{grader}/trajectory.jsonl"))
        # No network and no key: the judge is asked from here, over the runner's own exec streams. A task
        # on TheAgentCompany's servers gets a network with nothing but its tunnel to them: TAC's
        # evaluators read the servers.
        tac_network = self._tac_grading_network(ctx) if "tac_locks" in ctx.state else None
        out = ctx.item_dir / "grader"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        judge_model = _judge_model(ctx)
        dialog = GraderDialog(out / "judge.jsonl", judge_model.complete if judge_model else None)
        missing = ([] if os.environ.get("LITELLM_MODEL") else ["LITELLM_MODEL"]) if judge_model and \
            judge_model.replaying else judge.missing_settings()
        try:
            machine = final_machine.start(ctx, python, [f.as_tuple() for f in grader_files], private,
                                          network=tac_network[0] if tac_network else None)
        except BaseException:
            self._discard_tac_network(ctx, tac_network)
            raise
        try:
            mount = f"{private}/{final_machine.PYTHON_MOUNT}"
            run = machine.exec_dialog(
                [*python.command(mount), f"{grader}/tac/runner.py", "--stdio",
                 "--evaluator-user", f"{EVALUATOR_UID}:{EVALUATOR_UID}", "--agent-user", f"{AGENT_UID}:{AGENT_UID}",
                 "--python", json.dumps(python.command(mount)), *[f"--site={mount}{p}" for p in python.site],
                 "--evaluator", f"{grader}/evaluator.py", "--trajectory-path", f"{grader}/trajectory.jsonl"],
                answer=dialog.answer, user="0:0",
                env={judge.MISSING_ENV_VAR: ",".join(missing), **tac_server_settings()},
                kill_sandbox_after=EVALUATOR_TIME_LIMIT)
        finally:
            ctx.engine.discard(machine)
            self._discard_tac_network(ctx, tac_network)
            if ctx.state.get("final_machine"):
                ctx.engine.discard_image(ctx.state.pop("final_machine"))
        (out / "evaluator.log").write_text(run.output)
        if dialog.result is not None:
            (out / "result.json").write_text(json.dumps(dialog.result["result"], indent=2) + "\n")
        grade = to_grade(ctx, run.exit_code, run.timed_out, out / "result.json", out / "judge.jsonl", run.output)
        if dialog.result["result"].get("checkpoints"):  # TAC's eval.py fails a result without any
            tac_files.write(ctx.item_dir, dialog.result["result"], ctx.trajectory_path)
        return grade


    @staticmethod
    def _tac_grading_network(ctx: TaskContext):
        """An internal network for the grader, with a tunnel to TheAgentCompany's servers on it."""
        network = ctx.engine.create_network(unique_name("gradenet", ctx), internal=True)
        try:
            return network, tac_servers.Tunnel(ctx.engine, base_image_of(ctx), network, unique_name("tacg", ctx),
                                               ctx.options["tac_server"], container_limits_of(ctx))
        except BaseException:
            ctx.engine.discard_network(network)
            raise

    @staticmethod
    def _discard_tac_network(ctx: TaskContext, tac_network) -> None:
        if tac_network:
            ctx.engine.discard(tac_network[1].sandbox)
            ctx.engine.discard_network(tac_network[0])


def grader_modules(grader: str = "/grader") -> list[CopyIn]:
    """Our TAC-compatible modules, as the grader's folder holds them in tac/: tac/, and beside it the
    plugin's one checkpoint (grading/result.py), on which scoring's TAC-style class is built."""
    return [CopyIn(TAC, f"{grader}/tac"),
            CopyIn(Path(grading_result.__file__), f"{grader}/tac/{scoring.CHECKPOINT_MODULE}")]


def tac_server_settings() -> dict[str, str]:
    """Where the user's TheAgentCompany servers are (SERVER_HOSTNAME, the ports: tac/config.py), as
    this process's environment says; the grader's service helpers ask them (tac/servers.py)."""
    return {name: os.environ[name] for name in tac_config.SERVER_SETTINGS if os.environ.get(name)}


def _judge_model(ctx: TaskContext) -> HarnessModel | None:
    """The judge's way to its model: the gateway's provider path (metered, recorded in
    grader/llm/calls.jsonl, replayed under --llm-replay), configured by TAC's LITELLM_* settings; None
    when those are missing (and not replaying): the evaluator is told, and its judged checkpoints say so."""
    replaying = bool((ctx.options.get("llm") or {}).get("replay"))
    if not replaying and judge.missing_settings():
        return None
    return HarnessModel(ctx.item_dir, "grader", ctx.options, None if replaying else {
        "api_base": os.environ["LITELLM_BASE_URL"], "api_key": os.environ["LITELLM_API_KEY"]})


class GraderDialog:
    """The harness's end of the grading runner's stdio: judge questions answered here, where the key is
    (through `ask`, the judge's model gateway; appended to `judge_log`), and the one result the runner
    reports."""

    def __init__(self, judge_log: Path, ask=None):
        self.judge_log, self.ask = judge_log, ask
        self.result: dict | None = None

    def answer(self, line: bytes) -> bytes | None:
        try:
            message = json.loads(line)
        except ValueError:
            raise GraderError(f"the grading runner wrote what is not a message: {line[:200]!r}") from None
        if "judge" in message:
            return json.dumps(judge.answer(message["judge"], self.judge_log, self.ask)).encode() + b"\n"
        if "result" in message and self.result is None and isinstance(message["result"], dict):
            self.result = message
            return None
        raise GraderError(f"the grading runner wrote an unexpected message: {line[:200]!r}")


def to_grade(ctx: TaskContext, exit_code, timed_out: bool, result_path: Path, judge_path: Path,
             log: str) -> Grade:
    evaluator = evaluator_of(ctx.spec.folder)
    if timed_out:
        raise GraderError(f"{evaluator} ran past {EVALUATOR_TIME_LIMIT} s")
    try:
        result = json.loads(result_path.read_text())
    except (OSError, ValueError):
        raise GraderError(f"{evaluator} wrote no result (exit {exit_code}):\n{log[-2000:]}") from None
    judge = judge_calls(judge_path)
    details = {"judge": judge, "judge_usage": _usage(judge), "final_score": result.get("final_score")}
    if result.get("error"):
        raise GraderError(f"{evaluator} failed:\n{result['error'][-3000:]}")
    unjudged = result.get("judge_not_configured")
    if unjudged and not result.get("checkpoints"):  # the judge was asked outside a checkpoint function
        return Grade([Checkpoint("environment LLM for judged checkpoints", 0, 1, unjudged)], score=0.0,
                     passed=False, summary=unjudged, details=details)
    names = checkpoint_names(ctx.spec.folder / "checkpoints.md")
    checkpoints = [Checkpoint(names[i] if i < len(names) else f"Checkpoint {i + 1}", c["result"], c["total"])
                   for i, c in enumerate(result["checkpoints"])]
    # Why a checkpoint fell short: what its function logged (on a passed one, a search that found
    # nothing may be what passed it, or an alternative it did not need: no reason to show).
    for function, notes in (result.get("notes") or {}).items():
        for i in checkpoint_indexes([function], len(checkpoints)):
            if not checkpoints[i].passed:
                checkpoints[i].message = "; ".join(filter(None, [checkpoints[i].message, *notes]))
    final = result["final_score"]
    summary = f"{final['result']}/{final['total']} points, score {result['score']:.3f}"
    if unjudged:  # those checkpoints failed for want of a judge: say so on them, and never pass the item
        needing = checkpoint_indexes(result.get("judge_missing_in") or [], len(checkpoints))
        for i in needing:
            checkpoints[i].message = unjudged
        if not needing:
            checkpoints.append(Checkpoint("environment LLM for judged checkpoints", 0, 1, unjudged))
        return Grade(checkpoints, score=result["score"], passed=False, summary=f"{summary}; {unjudged}",
                     details=details)
    return Grade(checkpoints, score=result["score"], passed=final["result"] >= final["total"] > 0,
                 summary=summary, details=details)


def _declares_image(spec_path: Path) -> bool:
    """Whether a task.yaml names a TAC task image (its fields are validated before this is asked)."""
    if spec_path.name != SPEC_FILE:
        return False
    try:
        data = yaml.safe_load(spec_path.read_text())
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and bool(data.get("image"))


def copy_folder(folder: Path, dest: Path, leave_out: set[str], dot_files: bool = True) -> None:
    """Copy a task folder's entries into `dest`, but those named in `leave_out` (and dot-files, unless
    `dot_files`)."""
    for p in sorted(folder.iterdir()):
        if p.name not in leave_out and (dot_files or not p.name.startswith(".")):
            (shutil.copytree if p.is_dir() else shutil.copy2)(p, dest / p.name)


BASE_ARG = "AGENTBENCH_BASE_IMAGE"


def checkpoint_indexes(functions: list[str], count: int) -> list[int]:
    """Which checkpoints (0-based) these checkpoint functions graded, by TAC's naming:
    grade_checkpoint3 / grade_checkpoint_3 is the third, grade_final_checkpoint the last."""
    found = set()
    for name in functions:
        number = re.search(r"(\d+)$", name)
        if number and 1 <= int(number.group(1)) <= count:
            found.add(int(number.group(1)) - 1)
        elif "final" in name and count:
            found.add(count - 1)
    return sorted(found)


def judge_calls(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, ValueError):
        return []


def _usage(calls: list[dict]) -> dict:
    """What judging cost: the calls the judge answered (a failed call is kept in the log, not counted)."""
    answered = [c for c in calls if not c.get("error") and c.get("answer") is not None]
    failed, calls = len(calls) - len(answered), answered
    costs = [c.get("cost_usd") for c in calls]
    return {"calls": len(calls), "failed_calls": failed, "input_tokens": sum(c.get("prompt_tokens") or 0 for c in calls),
            "output_tokens": sum(c.get("completion_tokens") or 0 for c in calls),
            "cost_usd": None if any(c is None for c in costs) else round(sum(costs), 6)}


def checkpoint_names(rubric: Path) -> list[str]:
    """'Checkpoint 1 (1pt): <first words of its text>' from checkpoints.md, for people reading results."""
    try:
        text = rubric.read_text()
    except OSError:
        return []
    names = []
    for m in re.finditer(r"^#+\s*(Checkpoint\s*\d+[^\n]*)\n+([^\n#]*)", text, re.M):
        title, first = m.group(1).strip(), m.group(2).strip()
        names.append(f"{title}: {first[:70]}{'...' if len(first) > 70 else ''}" if first else title)
    return names


def evaluator_of(folder: Path) -> Path:
    """The task's evaluator: beside task.md, as in TheAgentCompany's task folders, else in utils/ (where
    the benchmark's images hold it, and OpenAgentSafety's task folders keep it)."""
    beside = folder / "evaluator.py"
    return beside if beside.is_file() else folder / "utils" / "evaluator.py"


def dependencies(folder: Path) -> list[str]:
    """The services a task declares (TAC's dependencies.yml: a list of names; empty or absent: none)."""
    for path in (folder / "dependencies.yml", folder / "utils" / "dependencies.yml"):
        try:
            text = path.read_text()
        except OSError:
            continue
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise yaml_error(path, e) from None
        if data is None:
            return []
        if not isinstance(data, list) or not all(isinstance(d, str) for d in data):
            # a task that needs a service must not run as if it needed none
            raise SpecError(path, f"expected a list of service names (e.g. [gitlab, rocketchat]), got {data!r}")
        return data
    return []


# --- the grader image ---------------------------------------------------------------------------

_image_lock = threading.Lock()


def grader_image(ctx: TaskContext) -> str:
    base = suite_base_image(ctx.engine, ctx.options, GRADER_SUITE)
    with _image_lock:
        return ensure_image(ctx.engine, ImageRecipe("grader", grader_context(), {"BASE_IMAGE": base}))


def grader_requirements() -> list[str]:
    """What evaluators may import beyond the standard library (tac/requirements.txt: what
    TheAgentCompany's evaluators import), and litellm for the judge, the version this host runs."""
    from importlib.metadata import version

    return [*_requirement_lines(TAC / REQUIREMENTS), f"litellm=={version('litellm')}"]


def _requirement_lines(path: Path) -> list[str]:
    lines = path.read_text().splitlines() if path.is_file() else []
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def grader_context() -> Path:
    """The grader image's build context: its Dockerfile, requirements.txt (grader_requirements()) and
    requirements-no-deps.txt (tac's), whose wheels ensure_image has the host download for the base image's
    Python (sandbox/wheelhouse.py)."""
    files = {"Dockerfile": GRADER_DOCKERFILE.read_text(),
             NO_DEPS: "\n".join(_requirement_lines(TAC / NO_DEPS)) + "\n",
             REQUIREMENTS: "\n".join(grader_requirements()) + "\n"}  # last: it marks the context complete
    key = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "agentbench" / f"grader-{key}"
    if not (cache / REQUIREMENTS).is_file():
        from ...sandbox.images import build_lock

        with build_lock(str(cache)):
            cache.mkdir(parents=True, exist_ok=True)
            for name, text in files.items():
                (cache / name).write_text(text)
    return cache
