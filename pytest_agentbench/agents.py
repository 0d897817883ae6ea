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
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pydantic
import yaml
from pydantic import Field

from .files import StrictModel

PRIVILEGED_OPT_IN = "I_ACCEPT_RUNNING_PRIVILEGED_CONTAINERS"
_SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class AgentError(Exception):
    """An agent that cannot be used as asked: the message says which and why."""


class AgentConfig(StrictModel):
    start: str = "start.sh"
    dockerfile: str = "Dockerfile"
    kwargs_type: Literal["argparse", "omegaconf"] = "argparse"
    kwargs: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    env_vars: dict[str, str] = Field(default_factory=dict)
    privileged: bool = False
    reference_solution: bool = False


@dataclass(frozen=True)
class Agent:
    id: str
    folder: Path
    config: AgentConfig

    @property
    def image_name(self) -> str:
        return "agent-" + re.sub(r"[^a-z0-9_.-]", "-", self.folder.name.lower())

    def command(self) -> list[str]:
        args = []
        for key, value in self.config.kwargs.items():
            if self.config.kwargs_type == "omegaconf":
                args.append(f"{key}={value}")
            else:
                args += [f"--{key}", str(value)]
        return ["bash", f"/home/agent/{self.config.start}", *args]

    def secrets(self) -> list[str]:
        return sorted({m for v in self.config.env_vars.values() for m in _SECRET.findall(v)})

    def environment(self, environ: dict[str, str] | None = None) -> dict[str, str]:
        """env_vars with `${{ secrets.NAME }}` filled from the environment; a missing secret is an error."""
        environ = os.environ if environ is None else environ
        missing = [name for name in self.secrets() if not environ.get(name)]
        if missing:
            raise AgentError(f"agent {self.id!r} needs the secret(s) {', '.join(missing)} "
                             f"({self.folder / 'config.yaml'}: env_vars); set them in the environment")
        return {k: _SECRET.sub(lambda m: environ[m.group(1)], v) for k, v in self.config.env_vars.items()}

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
        for agent_id, settings in data.items():
            agent_id = str(agent_id)
            line = _top_level_keys(text).get(agent_id)
            where = f"{config_path}:{line}" if line else str(config_path)
            try:
                config = AgentConfig.model_validate(settings or {})
            except pydantic.ValidationError as e:
                err = e.errors()[0]
                field = ".".join(str(p) for p in (agent_id, *err["loc"]))
                broken[agent_id] = AgentError(f"{where}: field '{field}': {err['msg']}")
                continue
            if agent_id in agents:
                broken[agent_id] = AgentError(f"{where}: agent id {agent_id!r} is already defined in "
                                              f"{agents.pop(agent_id).folder / 'config.yaml'}")
                continue
            if agent_id not in broken:
                agents[agent_id] = Agent(agent_id, config_path.parent, config)
    return agents, broken


def _top_level_keys(text: str) -> dict[str, int]:
    """Top-level keys of a YAML mapping and their lines, found without parsing (for a file that does not parse)."""
    found = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"""^(['"]?)([^\s#'":][^'":]*)\1\s*:(\s|$)""", line)
        if match:
            found.setdefault(match.group(2).strip(), number)
    return found
