"""What a task family decides: what enters the agent's container, what comes out, and how it is graded.

The fixture chain is the same for every family; a family (generic task, competition, workplace task)
plugs in here, as inspect_ai's sandboxes plug into its registry.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from ..agents import Agent
from ..grading.result import Grade
from ..grading.isolated import GraderLimits
from ..sandbox.base import ContainerConfig, Sandbox, SandboxEngine, size_in_bytes
from ..sandbox.untrusted_archive import DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES, OutputCaps
from ..spec import TaskSpec

AGENT_UID = 1000  # `nonroot` in the base image
AGENT_USER = "nonroot"
SERVICES_DIR = "services"  # in an item's folder: what its services held after the agent stopped
LOGS_DIR = "/home/logs"  # the agent's $LOGS_DIR (set in the base image)


@dataclass(frozen=True)
class CopyIn:
    """A host file or folder placed in a container; root-owned (read-only to the agent) unless `uid` says."""

    src: Path
    dest: str
    uid: int = 0
    mode: int | None = None

    def as_tuple(self) -> tuple[Path, str, int, int | None]:
        return (self.src, self.dest, self.uid, self.mode)


@dataclass
class TaskContext:
    """Everything a family may use for one item."""

    spec: TaskSpec
    agent: Agent
    item_dir: Path  # this item's folder in the run directory
    engine: SandboxEngine
    options: dict[str, Any] = field(default_factory=dict)  # run-wide settings (data dir, pass bar...)
    network: str | None = None
    egress: Any = None  # the item's egress proxy (sandbox.egress.Egress), when the task allows the internet
    sandbox: Sandbox | None = None  # the agent's container (stopped once grading starts)
    services: Any = None  # the task's compose stack, running (services.stack.RunningStack)
    trajectory_path: Path | None = None
    state: dict[str, Any] = field(default_factory=dict)  # what a family keeps between its steps

    @property
    def time_limit(self) -> int:
        """The agent's limit in seconds: --time-limit if given, else the spec's."""
        return self.options.get("time_limit") or self.spec.time_limit

    @property
    def output_caps(self) -> OutputCaps:
        """Caps on what comes back from the agent's container: the option's, else the spec's, else the
        defaults (untrusted_archive.py)."""
        return OutputCaps(
            max_bytes=self.options.get("max_output_bytes") or self.spec.max_output_bytes or DEFAULT_MAX_BYTES,
            max_files=self.options.get("max_output_files") or self.spec.max_output_files or DEFAULT_MAX_FILES)


def unique_name(role: str, ctx: TaskContext) -> str:
    """A container or network name that is readable and unique: names collide across concurrent runs,
    seeds, and an item's own objects still being removed in the background otherwise."""
    base = re.sub(r"[^A-Za-z0-9_.-]", "-", f"agentbench-{role}-{ctx.item_dir.name}")
    return f"{base[:50]}-{uuid.uuid4().hex[:8]}"


def base_image_of(ctx: TaskContext) -> str:
    """The run's base image, for service and grader containers (built if this process has not yet)."""
    return run_base_image(ctx.engine, ctx.options)


def run_base_image(engine, options: dict) -> str:
    """The run's base image: --base-image's, else the host's Debian release's (built once per process)."""
    if not options.get("base_image_tag"):
        from ..sandbox.images import ensure_base_image

        options["base_image_tag"] = ensure_base_image(engine, options.get("base_image"))
    return options["base_image_tag"]


def agent_recipe(agent: Agent, base: str, environ: Mapping[str, str] | None = None):
    """The agent's image on `base` (the run's base image, or a task's own image): its folder, plus the
    source checkouts its config names (AgentSourceMissing when one is not set)."""
    from ..sandbox.images import ImageRecipe

    return ImageRecipe(agent.image_name, agent.folder, {"BASE_IMAGE": base}, agent.config.dockerfile,
                       sources=agent.sources(environ))


def agent_base_image(engine, agent, options: dict, log=None) -> str:
    """What the agent's image (and a task's own image, which the agent's builds on) starts from: the
    run's base image, or a base of the Debian release the agent asks for (config.yaml `debian_suite`)
    unless the run names its own with --base-image."""
    return suite_base_image(engine, options, agent.config.debian_suite, log)


def suite_base_image(engine, options: dict, suite: str | None, log=None) -> str:
    """The run's base image, or one of the Debian release `suite` (trixie for a newer Python) unless the
    run names its own with --base-image; built once per process."""
    if not suite or options.get("base_image"):
        return run_base_image(engine, options)
    key = f"base_image_tag:{suite}"
    if not options.get(key):
        from ..sandbox.images import ensure_base_image

        options[key] = ensure_base_image(engine, None, log, suite=suite)
    return options[key]


def container_limits_of(ctx: TaskContext) -> ContainerConfig:
    """The limits every container of the run gets (sandbox/limits.py), for agent, service and grader
    containers alike."""
    return ctx.options.get("container_limits") or ContainerConfig()


def grader_limits(ctx: TaskContext) -> GraderLimits:
    """A host-side grader's time limit (--grader-time-limit, else the spec's grader_time_limit) and
    memory limit (the run's container memory limit)."""
    memory = container_limits_of(ctx).mem_limit
    return GraderLimits(time_limit=ctx.options.get("grader_time_limit") or ctx.spec.grader_time_limit,
                        memory=size_in_bytes(memory) if memory else None)


class Family:
    """A kind of task. Registered as an entry point of the group `pytest_agentbench.families` whose name
    is the kind (registry.py); generic code calls these methods and never names a kind."""

    name: ClassVar[str]
    fields: ClassVar[type[BaseModel]]  # the kind's own spec fields; spec.load_spec validates through it
    # False: grading needs none of the item's containers or its network, so they go before it starts.
    grading_uses_task_network: ClassVar[bool] = False
    # The user the agent runs as, as the benchmark runs it (MLE-bench: non-root; a task.yaml's
    # `agent_user` overrides it per task).
    agent_user: ClassVar[str] = AGENT_USER

    # --- the run: options -----------------------------------------------------------------------------

    def addoption(self, group: pytest.OptionGroup) -> None:
        """Add this kind's own command-line options to the agentbench group (dest `agentbench_<name>`)."""

    def run_options(self, config: pytest.Config) -> dict[str, Any]:
        """Run-wide settings taken from those options, merged into every TaskContext.options."""
        return {}

    def collect_paths(self, config: pytest.Config) -> list[Path]:
        """Folders its options add to what the run collects (MLE-bench's registry, for --mlebench-data);
        raise pytest.UsageError when they cannot be found."""
        return []

    # --- collection: specs ----------------------------------------------------------------------------

    def claims(self, path: Path) -> bool:
        """Whether `path`, a file other than a task.yaml, is a spec in this kind's own format (called for
        every file collection visits: check the name before touching the disk)."""
        return False

    def spec_in(self, folder: Path) -> Path | None:
        """The spec file of a task folder without a task.yaml, in this kind's own format, else None."""
        return None

    def spec_mapping(self, path: Path) -> dict[str, Any]:
        """The fields of a claimed spec file, as a task.yaml would give them (validated as one)."""
        raise NotImplementedError(f"{type(self).__name__} claims {path} but cannot read it")

    # --- an item -------------------------------------------------------------------------------------

    def check_folder(self, spec_path: Path) -> None:
        """Raise SpecError when the spec's folder lacks a file the family cannot do without: found at
        collection, before any agent runs, not when grading finds it missing."""

    def prepare(self, ctx: TaskContext) -> None:
        """Host-side work before any container starts (e.g. preparing a competition's data)."""

    def agent_files(self, ctx: TaskContext) -> list[CopyIn]:
        """Files the agent may see, placed before its container starts."""
        return []

    def agent_env(self, ctx: TaskContext) -> dict[str, str]:
        """The agent's environment beyond TASK_ID and TIME_LIMIT_SECS (which every kind gets)."""
        return {}

    def task_image(self, ctx: TaskContext) -> str | None:
        """An image the agent's image is built on for this task instead of the run's base image
        (one the task's own Dockerfile makes, say); None for the base image."""
        return None

    def hidden_paths(self, ctx: TaskContext) -> list[str]:
        """Paths of the item's image the agent must not see (called after task_image): each is masked
        with an empty read-only file system in the agent's container (sandbox.base.MASK), and is there,
        as the image has it, in any other container of that image."""
        return []

    def outputs(self, ctx: TaskContext) -> list[str]:
        """Container paths copied to the item's folder after the agent stops (by last path component),
        the agent's logs ($LOGS_DIR) among them."""
        return ["/home/submission", LOGS_DIR, "/home/code"]

    def keep_final_machine(self, ctx: TaskContext, sandbox: Sandbox) -> str | None:
        """Called once the agent's container has stopped, before it is removed: save what grading needs
        of it beyond the outputs (an image of it, returned so that the item removes it when it ends)."""
        return None

    def usage_file(self, ctx: TaskContext) -> Path:
        """Where the agent's $LOGS_DIR/usage.json (its own token use and cost) is in the item's folder,
        once the outputs are copied out."""
        return ctx.item_dir / Path(LOGS_DIR).name / "usage.json"

    def solution_files(self, ctx: TaskContext) -> list[CopyIn]:
        """The reference solution, given only to agents that declare `reference_solution: true`."""
        return []

    def allows_internet(self, ctx: TaskContext) -> bool:
        """Whether the agent may reach public addresses (through the item's egress proxy)."""
        return True

    def start_services(self, ctx: TaskContext) -> list[Sandbox]:
        """Containers the task needs beside the agent's, on its private network, ready when returned."""
        return []

    def before_agent(self, ctx: TaskContext) -> None:
        """Work in the agent's container (ctx.sandbox) once it has started, before the agent runs (a
        benchmark's own init); raising makes the item an error, the agent never starting."""

    def after_agent(self, ctx: TaskContext) -> None:
        """The agent has stopped and its outputs are copied out; the item's containers are still there."""

    def grade(self, ctx: TaskContext) -> Grade:
        raise NotImplementedError

    def finish(self, ctx: TaskContext) -> None:
        """The item is over, graded or not: release what prepare() took."""

    # --- what the family adds to the reports (reporting/ calls these; an item's view is summary.item_view())

    # False: its grade.score is a metric of its own (not partial credit in [0, 1]), left out of mean scores.
    scored: ClassVar[bool] = True
    # Columns of the summary tables, after the score's: (header, text of an agent's / a category's summary).
    agent_columns: ClassVar[list[tuple[str, Callable[[Mapping[str, Any]], str]]]] = []
    category_columns: ClassVar[list[tuple[str, Callable[[Mapping[str, Any]], str]]]] = []
    # Bars of the per-category chart: (summary key, CSS class, name).
    category_bars: ClassVar[list[tuple[str, str, str]]] = []

    def item_fields(self, result: Mapping[str, Any]) -> dict[str, Any]:
        """Fields of an item's view from its result, asked of every item whatever its kind (a grader may
        report in this family's terms); a "medal" field fills the report's Medal / points column."""
        return {}

    def summary_fields(self, items: list[dict]) -> dict[str, Any]:
        """Fields of an agent's summary, from the views of this family's items (maybe none: same keys then)."""
        return {}

    def category_fields(self, items: list[dict]) -> dict[str, Any]:
        """Fields of a category's summary, from the views of this family's items in it (maybe none)."""
        return {}

    def junit_properties(self, view: Mapping[str, Any]) -> list[tuple[str, str]]:
        """JUnit properties of an item's testcase (asked of every item, as item_fields)."""
        return []

    def write_group_files(self, group: Path, results: list[dict], items: list[dict]) -> None:
        """Files of the run group derived from its results (every result.json; the views of this family's
        items, never-run ones too), written at the end of a run and by `agentbench report`."""
