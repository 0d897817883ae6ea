"""TheAgentCompany's task images, built as TAC builds them, and what they hide from the agent.

A TAC task folder's Dockerfile starts `FROM ghcr.io/theagentcompany/task-base-image:<version>` and adds
the task's own steps (`COPY scenarios.json /npc`, `COPY golden_answer.csv /utils`, `RUN pip install
pandas==2.2.3`). Here it is built with the task's folder as its build context, FROM a task base image
built locally (task_base_image/Dockerfile: our base image of Debian trixie, Python 3.13 with pip, and
TAC's folders /utils /instruction /workspace /npc), with TAC's ONBUILD steps written in after its FROM:

    COPY *.py /utils/               the evaluator and every module beside it (one imports its helper.py)
    COPY dependencies.yml /utils/
    COPY task.md /instruction/

Its `pip install` commands are served by the wheelhouse (sandbox/wheelhouse.py): the host downloads
the wheels of each command for the image's Python, they are in the build context, and pip in the
build finds them there (no index; the wheels and pip's configuration are gone once the build ends).
Only what the Dockerfile COPYs reaches /workspace: README.md, Makefile, the solution and the rubric
beside task.md are in the build context, never in the image unless the Dockerfile says so.

What the image hides (`HIDDEN_PATHS`: /utils, /npc) is in it, for init, coworkers and grading, and
masked while the agent runs (`hidden_paths()`, which the fixtures mount sandbox.base.MASK over): an empty read-only tmpfs over each, which the agent, root
without CAP_SYS_ADMIN, can neither unmount nor write through. Where the hidden content is:

- in the task image itself (`ctx.state[TASK_IMAGE]`), and so in any container started from it, or from
  a snapshot (`docker commit`) of the agent's final container started without the masks: a commit
  leaves mounts out, and the agent could not write under a masked path, so the snapshot's /utils and
  /npc are the image's as built;
- copied out to the item's folder, `hidden_content(ctx)` -> `<item>/hidden/utils`, `<item>/hidden/npc`
  (for host-side coworkers, and for --regrade, which has the run group only).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from ...sandbox import wheelhouse
from ...sandbox.base import BuildError, SandboxEngine, SandboxSpec
from ...sandbox.images import ImageRecipe, ensure_base_image, ensure_image
from ..base import TaskContext, unique_name

TASK_BASE_CONTEXT = Path(__file__).resolve().parent / "task_base_image"
TASK_BASE_SUITE = "trixie"  # TAC's base is python:3.12; trixie's Python is 3.13, bookworm's 3.11
# The FROM of a folder built as TAC builds it: TheAgentCompany's task base image, any registry or version.
TAC_BASE = re.compile(r"(^|/)task-base-image(:|@|$)")
HIDDEN_PATHS = ("/utils", "/npc")
HIDDEN_DIR = "hidden"  # in the item's folder: what the task image holds under HIDDEN_PATHS
TASK_IMAGE = "tac_task_image"  # ctx.state key: the item's TAC task image, when it has one
BASE_ARG = "AGENTBENCH_TASK_BASE"
WHEELS_IN_BUILD = "/tmp/agentbench-wheelhouse"
# pip's options that take a value; `-r`/`-c` files and other indexes cannot be served from the host
PIP_VALUE_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target",
                     "--prefix", "--root", "--platform", "--python-version", "--implementation", "--abi",
                     "--progress-bar", "--cache-dir", "--src", "--upgrade-strategy", "--timeout", "--retries"}
PIP_UNSERVED = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable"}


def is_tac_dockerfile(dockerfile: Path) -> bool:
    """Whether the Dockerfile builds on TheAgentCompany's task base image (its first FROM)."""
    image = first_from(dockerfile.read_text(errors="replace"))
    return image is not None and TAC_BASE.search(image.split()[0]) is not None


def first_from(text: str) -> str | None:
    for line in text.splitlines():
        match = re.match(r"\s*FROM\s+(?:--platform=\S+\s+)?(\S.*)$", line, re.IGNORECASE)
        if match:
            return match.group(1).strip()
    return None


def ensure_task_base(engine: SandboxEngine, options: dict, log: Callable[[str], None] | None = None) -> str:
    """The local stand-in for TAC's task base image, once per process: on --base-image's image when the
    run names one (it must have Python 3.12 or newer), else on our base image of Debian trixie."""
    if not options.get("tac_task_base_tag"):
        base = ensure_base_image(engine, options.get("base_image"), log,
                                 suite=None if options.get("base_image") else TASK_BASE_SUITE)
        options["tac_task_base_tag"] = ensure_image(engine, ImageRecipe("tac-task-base", TASK_BASE_CONTEXT,
                                                                        {"BASE_IMAGE": base}), log)
    return options["tac_task_base_tag"]


def build_task_image(ctx: TaskContext, log: Callable[[str], None] | None = None) -> str:
    """The item's TAC task image (`build`), noted in ctx.state[TASK_IMAGE], its hidden folders copied to
    the item's folder."""
    tag = build(ctx.engine, ctx.spec.folder, ctx.spec.id, ctx.options, log)
    ctx.state[TASK_IMAGE] = tag
    save_hidden(ctx.engine, tag, ctx.item_dir / HIDDEN_DIR, unique_name("hidden", ctx))
    return tag


def build(engine: SandboxEngine, folder: Path, task_id: str, options: dict,
          log: Callable[[str], None] | None = None) -> str:
    """The folder's image as TAC builds it (the folder as build context), FROM the local task base. A
    step that fails is a BuildError naming the folder's Dockerfile."""
    dockerfile = folder / "Dockerfile"
    base = ensure_task_base(engine, options, log)
    commands = pip_installs(dockerfile)
    packages = served_packages(engine, base, dockerfile, commands, log) if commands else None
    with tempfile.TemporaryDirectory(prefix="agentbench-tac-image-") as staged:
        context = Path(staged) / "context"
        shutil.copytree(folder, context, ignore=shutil.ignore_patterns("__pycache__", ".git"))
        (context / "Dockerfile").write_text(tac_dockerfile(dockerfile, context, served=packages is not None))
        name = "task-" + re.sub(r"[^a-z0-9._-]", "-", task_id.lower())
        recipe = ImageRecipe(name, context, {BASE_ARG: base}, packages=packages, resolve_requirements=False)
        try:
            return ensure_image(engine, recipe, log)
        except BuildError as e:  # name the task's file, not the staged copy
            raise BuildError(f"{dockerfile} did not build: {e}") from None


def tac_dockerfile(dockerfile: Path, context: Path, served: bool) -> str:
    """The task's Dockerfile FROM the build argument BASE_ARG, with the base's ONBUILD steps after its
    FROM and, when its pip installs are served, the wheelhouse in place for them and gone at the end."""
    lines = dockerfile.read_text().splitlines()
    at = next((i for i, line in enumerate(lines) if re.match(r"\s*FROM\s", line, re.IGNORECASE)), None)
    if at is None:
        raise BuildError(f"{dockerfile}: no FROM line")
    onbuild = ["# TheAgentCompany's task base image's ONBUILD steps"]
    if any(p.is_file() for p in context.glob("*.py")):
        onbuild.append("COPY *.py /utils/")
    if (context / "dependencies.yml").is_file():
        onbuild.append("COPY dependencies.yml /utils/")
    onbuild.append("COPY task.md /instruction/")
    before, after = [], []
    if served:
        before = [f"COPY {wheelhouse.FOLDER} {WHEELS_IN_BUILD}",
                  f"RUN printf '[global]\\nno-index = true\\nfind-links = {WHEELS_IN_BUILD}\\n' > /etc/pip.conf"]
        after = [f"RUN rm -rf {WHEELS_IN_BUILD} /etc/pip.conf"]
    return "\n".join([f"ARG {BASE_ARG}", *lines[:at], f"FROM ${{{BASE_ARG}}}", *onbuild, *before,
                      *[wildcard_copy_into_folder(line) for line in lines[at + 1:]], *after]) + "\n"


def wildcard_copy_into_folder(line: str) -> str:
    """`COPY eval_data/* /utils` as BuildKit, which TAC builds with, reads it: a wildcard's files go into
    the folder /utils. Docker's classic builder, which the engine's API builds with, refuses it ("the
    destination must be a directory and end with a /") once the wildcard matches several files."""
    match = re.match(r"(\s*(?:COPY|ADD)\s+(?:--\S+\s+)*)(\S.*\S)\s+([^\s\[]+)\s*$", line, re.IGNORECASE)
    if match and not match.group(2).startswith("[") and not match.group(3).endswith("/") \
            and any(c in match.group(2) for c in "*?["):  # the JSON form is left as written
        return f"{match.group(1)}{match.group(2)} {match.group(3)}/"
    return line


def pip_installs(dockerfile: Path) -> list[list[str]]:
    """The requirements of each `pip install` in the Dockerfile's RUN steps, as written
    (`RUN pip install pandas==2.2.3` -> [["pandas==2.2.3"]])."""
    text = re.sub(r"\\\r?\n", " ", dockerfile.read_text())
    commands = []
    for line in text.splitlines():
        run = re.match(r"\s*RUN\s+(.*)$", line, re.IGNORECASE)
        if not run:
            continue
        for command in re.split(r"&&|\|\||;|\|", run.group(1)):
            try:
                words = shlex.split(command)
            except ValueError:
                continue
            if len(words) >= 2 and re.fullmatch(r"(\S*/)?python[\d.]*", words[0]) and words[1] == "-m":
                words = words[2:]
            if len(words) < 2 or not re.fullmatch(r"(\S*/)?pip[\d.]*", words[0]) or words[1] != "install":
                continue
            requirements, skip = [], False
            for word in words[2:]:
                if skip:
                    skip = False
                elif word in PIP_UNSERVED:
                    raise BuildError(f"{dockerfile}: `{command.strip()}`: {word} cannot be served here "
                                     f"(only requirements named on the command line are downloaded for the build)")
                elif word in PIP_VALUE_OPTIONS:
                    skip = True
                elif not word.startswith("-"):
                    requirements.append(word)
            if requirements:
                commands.append(requirements)
    return commands


def served_packages(engine: SandboxEngine, base: str, dockerfile: Path, commands: list[list[str]],
                    log: Callable[[str], None] | None) -> wheelhouse.Wheelhouse:
    """One wheelhouse holding the wheels of every `pip install` command, for the task base's Python: each
    command resolved apart (as pip resolves it in the build), and cached apart (29 of TAC's folders
    install pandas==2.2.3)."""
    target = wheelhouse.image_target(engine, base)
    houses = []
    with tempfile.TemporaryDirectory(prefix="agentbench-pip-") as work:
        for requirements in commands:
            (Path(work) / wheelhouse.REQUIREMENTS).write_text("\n".join(requirements) + "\n")
            try:
                houses.append(wheelhouse.resolve(Path(work), target, log, sources=True))
            except BuildError as e:
                problem = str(e).split("\n", 1)[0].split(": ", 2)[-1]
                raise BuildError(f"{dockerfile}: `pip install {' '.join(requirements)}`: {problem}\n"
                                 f"{str(e).partition(chr(10))[2]}") from None
    return wheelhouse.merged(houses)


def hidden_paths(ctx: TaskContext) -> list[str]:
    """The paths of the item's TAC task image hidden from its agent. A privileged agent could unmount
    what hides them: it never runs on such an image."""
    if TASK_IMAGE not in ctx.state:
        return []
    if ctx.agent.config.privileged:
        raise BuildError(f"agent {ctx.agent.id!r} runs privileged: it could unmount what hides "
                         f"{' and '.join(HIDDEN_PATHS)} (the evaluator, its answers) on {ctx.spec.id}")
    return list(HIDDEN_PATHS)


def save_hidden(engine: SandboxEngine, image: str, dest: Path, name: str) -> None:
    """Copy what `image` holds under HIDDEN_PATHS to `dest` (dest/utils, dest/npc), from a container of
    it that runs nothing."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    sandbox = engine.start(SandboxSpec(image=image, name=name))
    try:
        for path in HIDDEN_PATHS:
            sandbox.copy_out(path, dest)
    finally:
        engine.discard(sandbox)
    (dest / "image.json").write_text(json.dumps({"image": image, "paths": list(HIDDEN_PATHS)}) + "\n")


def hidden_content(ctx: TaskContext) -> Path | None:
    """Where the item's hidden content is on the host: `<item>/hidden`, holding `utils/` and `npc/` as the
    task image has them (and image.json naming that image); None for an item without a TAC task image."""
    folder = ctx.item_dir / HIDDEN_DIR
    return folder if (folder / "image.json").is_file() else None

