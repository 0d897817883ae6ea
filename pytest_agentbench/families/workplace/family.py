"""Workplace tasks (`kind: workplace`), in TheAgentCompany's task-folder format.

    <task>/task.md           the instruction: the only text the agent sees, at /instruction/task.md
    <task>/workspace/        files the agent works on, at /workspace (its own)
    <task>/evaluator.py      grade_checkpoints(trajectory="") -> Result   (never enters the agent's container;
                             utils/evaluator.py, as OpenAgentSafety's folders keep it, works too)
    <task>/checkpoints.md    the rubric for people (never enters the agent's container)
    <task>/dependencies.yml  services the task needs (or utils/dependencies.yml)
    <task>/solution.sh       the reference solution (oracle only)
    <task>/task.yaml         optional: our metadata (kind: workplace, id, category, time_limit, markers)
    <task>/Dockerfile        optional, as TAC's: FROM the benchmark's base, then the task's own steps;
                             built FROM our base image instead, and the agent's image built on it

After the agent stops, /workspace is copied out. Grading starts a separate grader container from the
grader image, restores the saved /workspace into it, and only then copies in the evaluator, our
TAC-compatible modules (tac/) and the trajectory, and runs tac/runner.py. The same
path serves --regrade, which is why the grader works from saved outputs rather than a snapshot.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import yaml
from pydantic import Field

from ...gateway.harness_calls import HarnessModel
from ...grading import result as grading_result
from ...files import StrictModel
from ...grading.result import Checkpoint, Grade, GraderError
from ...sandbox.base import BuildError, SandboxSpec
from ...sandbox.images import ImageRecipe, ensure_image, on_base_image
from ...spec import SPEC_FILE, SpecError, yaml_error
from . import tac_files, tac_image
from .points import points_mismatch
from .tac import judge, scoring
from ..base import (AGENT_UID, AGENT_USER, LOGS_DIR, SERVICES_DIR, CopyIn, Family, TaskContext, agent_base_image,
                   base_image_of, container_limits_of, unique_name)

TAC = Path(__file__).resolve().parent / "tac"
GRADER_DOCKERFILE = Path(__file__).resolve().parent / "grader_image" / "Dockerfile"
EVALUATOR_USER = "agentbench-grader"  # made in the grader image: neither root nor the agent
EVALUATOR_TIME_LIMIT = 600  # seconds, as TheAgentCompany's own evaluation
# What a task's Dockerfile is never given to COPY: the agent's image must not hold them.
HIDDEN = {"compose.yaml", "services", "checkpoints.md", "evaluator.py", "scenarios.json", "task.yaml", "solution.sh", "pre_init.py", "pre_init.sh",
          "populate_data.py", "post_init.py", "post_init.sh", "utils", "__pycache__"}
TAC_SPEC_FILE = "task.md"  # a TheAgentCompany folder's instruction, its spec when it has no task.yaml
TAC_CATEGORIES = ("sde", "hr", "pm", "admin", "ds", "finance", "ml", "research", "bm", "qa", "other")
# Files of a TAC task folder that are not workspace data.
RESERVED = HIDDEN | {"task.md", "dependencies.yml", "Dockerfile", "workspace"}



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
            import pytest

            pytest.skip(f"needs the services {', '.join(services)} and declares none in a compose.yaml")

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
        """The image the task's own Dockerfile makes, if it has one (TAC's folders do: FROM the benchmark's
        task base image, plus the task's own steps), built FROM our base image instead."""
        if tac_image.image_of(ctx):
            return tac_image.task_image(ctx)
        dockerfile = ctx.spec.folder / "Dockerfile"
        if not dockerfile.is_file():
            return None
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

    def initialize(self, ctx: TaskContext, sandbox) -> None:
        if tac_image.image_of(ctx):
            tac_image.initialize(ctx, sandbox)

    def after_agent(self, ctx: TaskContext, sandbox) -> None:
        if tac_image.image_of(ctx):
            tac_image.keep_final_machine(ctx, sandbox)

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

    def grade(self, ctx: TaskContext) -> Grade:
        tac_files.clear(ctx.item_dir)  # written again only if this grading succeeds
        if tac_image.image_of(ctx):
            return tac_image.grade(ctx)
        image = grader_image(ctx)
        restore = [CopyIn(ctx.item_dir / Path(p).name, p, uid=AGENT_UID) for p in ctx.spec.details.outputs
                   if (ctx.item_dir / Path(p).name).exists()]
        grader_files = [CopyIn(evaluator_of(ctx.spec.folder), "/grader/evaluator.py"), *grader_modules()]
        if (ctx.item_dir / SERVICES_DIR).is_dir():  # what the services held after the agent (tac/services.py)
            grader_files.append(CopyIn(ctx.item_dir / SERVICES_DIR, f"/grader/{SERVICES_DIR}"))
        if ctx.trajectory_path and ctx.trajectory_path.exists():
            grader_files.append(CopyIn(ctx.trajectory_path, "/grader/trajectory.jsonl"))
        # No network and no key: the judge is asked from here, over the runner's own exec streams.
        spec = SandboxSpec(image=image, name=unique_name("grader", ctx), config=container_limits_of(ctx))
        out = ctx.item_dir / "grader"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        judge_model = _judge_model(ctx)
        dialog = GraderDialog(out / "judge.jsonl", judge_model.complete if judge_model else None)
        missing = ([] if os.environ.get("LITELLM_MODEL") else ["LITELLM_MODEL"]) if judge_model and \
            judge_model.replaying else judge.missing_settings()
        # The restored outputs go in before the grader's files, which the agent never saw.
        grader = ctx.engine.start(spec, files=[f.as_tuple() for f in restore + grader_files])
        try:
            run = grader.exec_dialog(
                ["python3", "/grader/tac/runner.py", "--stdio", "--evaluator-user", EVALUATOR_USER,
                 "--agent-user", AGENT_USER, "--evaluator", "/grader/evaluator.py",
                 "--trajectory-path", "/grader/trajectory.jsonl"],
                answer=dialog.answer, env={judge.MISSING_ENV_VAR: ",".join(missing)},
                kill_sandbox_after=EVALUATOR_TIME_LIMIT)
        finally:
            ctx.engine.discard(grader)
        (out / "evaluator.log").write_text(run.output)
        if dialog.result is not None:
            (out / "result.json").write_text(json.dumps(dialog.result["result"], indent=2) + "\n")
        grade = to_grade(ctx, run.exit_code, run.timed_out, out / "result.json", out / "judge.jsonl", run.output)
        if dialog.result["result"].get("checkpoints"):  # TAC's eval.py fails a result without any
            tac_files.write(ctx.item_dir, dialog.result["result"], ctx.trajectory_path)
        return grade


def grader_modules() -> list[CopyIn]:
    """Our TAC-compatible modules, as the grader container holds them in /grader/tac: tac/, and beside
    it the plugin's one checkpoint (grading/result.py), on which scoring's TAC-style class is built."""
    return [CopyIn(TAC, "/grader/tac"),
            CopyIn(Path(grading_result.__file__), f"/grader/tac/{scoring.CHECKPOINT_MODULE}")]


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
    base = base_image_of(ctx)
    with _image_lock:
        return ensure_image(ctx.engine, ImageRecipe("grader", grader_context(), {"BASE_IMAGE": base}))


def grader_requirements() -> list[str]:
    """What evaluators may import beyond the standard library: litellm for the judge (the version this
    host runs), and the spreadsheet and data libraries TheAgentCompany's evaluators use."""
    from importlib.metadata import version

    return [f"litellm=={version('litellm')}", "openpyxl", "pandas"]


def grader_context() -> Path:
    """A build context holding the grader Dockerfile and a wheelhouse of grader_requirements(),
    downloaded once into the user's cache."""
    requirements = grader_requirements()
    key = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "agentbench" / f"grader-{key}"
    wheels = cache / "wheels"
    if not (cache / ".complete").exists():
        from ...sandbox.images import build_lock

        with build_lock(str(cache)):
            if not (cache / ".complete").exists():
                shutil.rmtree(wheels, ignore_errors=True)
                done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                                       "--dest", str(wheels), *requirements, "pip"],
                                      capture_output=True, text=True)
                if done.returncode != 0:
                    raise GraderError(f"could not download the grader's wheelhouse ({', '.join(requirements)}):\n"
                                      f"{done.stderr[-2000:]}")
                (cache / ".complete").write_text("ok")
    shutil.copy(GRADER_DOCKERFILE, cache / "Dockerfile")
    (cache / "requirements.txt").write_text("\n".join(requirements) + "\n")
    return cache
