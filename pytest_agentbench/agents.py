"""The agent registry: `agents/<folder>/config.yaml`, in the seed benchmark's format.

Each top-level key of a config.yaml is an agent id (variants such as `aide/gpt-4o` live beside their
base in the same file):

    dummy:
      start: start.sh            # run as `bash /home/agent/start.sh <kwargs>` by the non-root user
      dockerfile: Dockerfile     # built FROM the base image (build argument BASE_IMAGE)
      kwargs_type: argparse      # argparse: --key value; omegaconf: key=value
      kwargs: {}
      env_vars:
        OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}
      privileged: false
      reference_solution: false  # true only for the oracle: receives the task's solution
      debian_suite: trixie       # optional: build on this Debian release's root file system
      build_sources:             # optional: host folders added to the image's build context
        MLAgentBench: MLAGENTBENCH_SOURCE   # folder name in the context: the variable naming its path

MLE-bench's own config files load unchanged: YAML anchors and merge keys, top-level keys that are
not agents (`vars:`, `kwargs_common:`: a mapping with none of the fields above; `defaults: &defaults`:
an anchored base without kwargs that others merge), `start:` and
`dockerfile:` relative to the agents folder (`aide/start.sh`), and `${{ secrets.NAME }}` in kwargs
as well as env_vars; numbers in env_vars (`TIME_LIMIT_SECS: *time_limit`) are strings to the agent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import pydantic
import yaml
from pydantic import Field

from .files import StrictModel

PRIVILEGED_OPT_IN = "I_ACCEPT_RUNNING_PRIVILEGED_CONTAINERS"
_SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class AgentError(Exception):
    """An agent that cannot be used as asked: the message says which and why."""


class AgentSourceMissing(AgentError):
    """An agent whose image needs a source checkout the user has not named: its items are skipped."""


class AgentConfig(StrictModel):
    start: str = "start.sh"
    dockerfile: str = "Dockerfile"
    kwargs_type: Literal["argparse", "omegaconf"] = "argparse"
    kwargs: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    env_vars: dict[str, str | int | float | bool] = Field(default_factory=dict)
    privileged: bool = False
    reference_solution: bool = False
    # The Debian release the agent's image builds on when not the run's (`trixie`: Python 3.13, for
    # agents that need 3.12+); with --base-image, that image is used whatever this says.
    debian_suite: str | None = Field(default=None, pattern=r"^[a-z]+$")
    # Folders of the host's that the image is built from beside the agent's folder (a project that is
    # not published as a package: MLAgentBench), each named by an environment variable the user sets:
    # {folder name in the build context: variable}.
    build_sources: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")],
                        Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Agent:
    id: str
    folder: Path
    config: AgentConfig

    @property
    def image_name(self) -> str:
        return "agent-" + re.sub(r"[^a-z0-9_.-]", "-", self.folder.name.lower())

    def command(self, environ: dict[str, str] | None = None) -> list[str]:
        """The start command, with `${{ secrets.NAME }}` in kwargs filled from the environment."""
        args = []
        for key, value in self._filled(self.config.kwargs, "kwargs", environ).items():
            if self.config.kwargs_type == "omegaconf":
                args.append(f"{key}={value}")
            else:
                args += [f"--{key}", str(value)]
        return ["bash", f"/home/agent/{self.config.start}", *args]

    def secrets(self) -> list[str]:
        values = [*self.config.env_vars.values(), *self.config.kwargs.values()]
        return sorted({m for v in values if isinstance(v, str) for m in _SECRET.findall(v)})

    def environment(self, environ: dict[str, str] | None = None) -> dict[str, str]:
        """env_vars with `${{ secrets.NAME }}` filled from the environment; a missing secret is an error."""
        self._filled(self.config.kwargs, "kwargs", environ)  # a secret kwargs lack stops the run as early
        return {k: str(v) for k, v in self._filled(self.config.env_vars, "env_vars", environ).items()}

    def _filled(self, values: dict, field: str, environ: dict[str, str] | None) -> dict:
        environ = os.environ if environ is None else environ
        needed = {m for v in values.values() if isinstance(v, str) for m in _SECRET.findall(v)}
        missing = sorted(name for name in needed if not environ.get(name))
        if missing:
            raise AgentError(f"agent {self.id!r} needs the secret(s) {', '.join(missing)} "
                             f"({self.folder / 'config.yaml'}: {field}); set them in the environment")
        return {k: _SECRET.sub(lambda m: environ[m.group(1)], v) if isinstance(v, str) else v
                for k, v in values.items()}

    def sources(self, environ: dict[str, str] | None = None) -> dict[str, Path]:
        """The host folders `build_sources` names, by their name in the build context. An unset variable
        is AgentSourceMissing (the agent cannot be built here: its items are skipped); a path that is
        not a folder is AgentError."""
        environ = os.environ if environ is None else environ
        found = {}
        for name, variable in sorted(self.config.build_sources.items()):
            where = f"{self.folder / 'config.yaml'}: build_sources.{name}"
            value = environ.get(variable, "").strip()
            if not value:
                raise AgentSourceMissing(f"agent {self.id!r} is built from a local checkout of {name}: set "
                                         f"{variable}=PATH to build it ({where})")
            path = Path(value).expanduser().resolve()
            if not path.is_dir():
                raise AgentError(f"{variable}={value}: not a folder (agent {self.id!r} is built from a "
                                 f"checkout of {name} there; {where})")
            found[name] = path
        return found

    def check_privileged(self, environ: dict[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        if self.config.privileged and environ.get(PRIVILEGED_OPT_IN, "").lower() not in ("true", "1", "t"):
            raise AgentError(f"agent {self.id!r} runs a privileged container, which can compromise this host; "
                             f"to accept that, set {PRIVILEGED_OPT_IN}=true")


def get_agent(agents_dir: Path, agent_id: str) -> Agent:
    """The agent `agent_id`, or AgentError: the broken definition's file, line and problem if it is
    one of those, else the known ids and the folder searched."""
    agents, broken = _registry(agents_dir)
    if agent_id in agents:
        return agents[agent_id]
    if agent_id in broken:
        raise broken[agent_id]
    known = ", ".join(sorted(agents)) or f"none: {agents_dir} holds no usable */config.yaml"
    unreadable = sorted({str(e) for e in broken.values()})
    raise AgentError(f"unknown agent {agent_id!r} (looked in {agents_dir}); known agents: {known}"
                     + "".join(f"\n(not usable: {e})" for e in unreadable))


def _registry(agents_dir: Path) -> tuple[dict[str, Agent], dict[str, AgentError]]:
    """(usable agents, the error of each broken one) by id. A file that is not valid YAML breaks the ids
    it seems to define (its top-level keys, read line by line), and no other agent."""
    agents: dict[str, Agent] = {}
    broken: dict[str, AgentError] = {}
    for config_path in sorted(Path(agents_dir).glob("*/config.yaml")):
        try:
            text = config_path.read_text(encoding="utf-8")
            data = yaml.safe_load(text) or {}
        except (OSError, UnicodeDecodeError) as e:
            broken[f"({config_path})"] = AgentError(f"{config_path}: cannot be read: {e}")
            continue
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"{config_path}:{mark.line + 1}" if mark else str(config_path)
            error = AgentError(f"{where}: not valid YAML: {getattr(e, 'problem', None) or e}")
            broken.update(dict.fromkeys(_top_level_keys(text) or [f"({config_path})"], error))
            continue
        if not isinstance(data, dict):
            error = AgentError(f"{config_path}: expected a mapping of agent ids to their settings")
            broken.update(dict.fromkeys(_top_level_keys(text) or [f"({config_path})"], error))
            continue
        templates = _templates(text)
        for agent_id, settings in data.items():
            agent_id = str(agent_id)
            if not _is_agent(settings) or agent_id in templates:  # MLE-bench's `vars:`, `defaults:`...
                continue
            line = _top_level_keys(text).get(agent_id)
            where = f"{config_path}:{line}" if line else str(config_path)
            try:
                config = AgentConfig.model_validate(_within_folder(settings or {}, config_path.parent))
            except pydantic.ValidationError as e:
                err = e.errors()[0]
                field = ".".join(str(p) for p in (agent_id, *err["loc"]))
                broken[agent_id] = AgentError(f"{where}: field '{field}': {err['msg']}")
                continue
            except ValueError as e:  # a path outside the folder
                broken[agent_id] = AgentError(f"{where}: field '{agent_id}.{e}")
                continue
            if agent_id in agents:
                broken[agent_id] = AgentError(f"{where}: agent id {agent_id!r} is already defined in "
                                              f"{agents.pop(agent_id).folder / 'config.yaml'}")
                continue
            if agent_id not in broken:
                agents[agent_id] = Agent(agent_id, config_path.parent, config)
    return agents, broken


def _is_agent(settings) -> bool:
    """An agent's settings: empty, or a mapping with at least one agent field (a typo beside it is
    then reported). Other top-level keys hold YAML anchors for the agents, as MLE-bench's files do."""
    return settings is None or (isinstance(settings, dict)
                                and (not settings or bool(set(map(str, settings)) & set(AgentConfig.model_fields))))


def _templates(text: str) -> set[str]:
    """Top-level keys whose settings only serve as a base for others: anchored (`defaults: &defaults`),
    without kwargs of their own. MLE-bench's registry would run `defaults` as an agent; here it is not
    one, so two files that both have a `defaults:` do not clash."""
    anchored, depth, key = {}, 0, None
    for event in yaml.parse(text):
        if isinstance(event, yaml.CollectionStartEvent):
            if depth == 1 and key is not None:  # a top-level key's value
                if event.anchor:
                    anchored[key] = event.anchor
                key = None
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)) and depth == 1:
            key = getattr(event, "value", None) if key is None else None  # a key, or a key's plain value
    data = yaml.safe_load(text) or {}
    return {k for k in anchored if isinstance(data.get(k), dict) and "kwargs" not in data[k]
            and re.search(rf"<<:\s*\*{re.escape(anchored[k])}\b", text)}


def _within_folder(settings: dict, folder: Path) -> dict:
    """`start` and `dockerfile` as paths inside the agent's folder: MLE-bench writes them relative to the
    agents folder (`aide/start.sh`), this project relative to the agent's own (`start.sh`)."""
    settings = dict(settings)
    for field in ("start", "dockerfile"):
        value = settings.get(field)
        if not isinstance(value, str):
            continue
        path = Path(value)
        if path.parts and path.parts[0] == folder.name and not (folder / path).exists() \
                and (folder.parent / path).exists():
            path = Path(*path.parts[1:])
        if path.is_absolute() or ".." in path.parts:
            raise ValueError(f"{field}': {value!r} is outside the agent's folder {folder}")
        settings[field] = path.as_posix()
    return settings


def _top_level_keys(text: str) -> dict[str, int]:
    """Top-level keys of a YAML mapping and their lines, found without parsing (for a file that does not parse)."""
    found = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"""^(['"]?)([^\s#'":][^'":]*)\1\s*:(\s|$)""", line)
        if match:
            found.setdefault(match.group(2).strip(), number)
    return found
