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
from pydantic import BaseModel, ConfigDict, Field

PRIVILEGED_OPT_IN = "I_ACCEPT_RUNNING_PRIVILEGED_CONTAINERS"
_SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class AgentError(Exception):
    """An agent that cannot be used as asked: the message says which and why."""


class AgentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

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


def load_agents(agents_dir: Path) -> dict[str, Agent]:
    """Every agent id defined under `agents_dir`, or AgentError naming the broken config file."""
    agents: dict[str, Agent] = {}
    for config_path in sorted(Path(agents_dir).glob("*/config.yaml")):
        try:
            data = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise AgentError(f"{config_path}: not valid YAML: {e}") from None
        if not isinstance(data, dict):
            raise AgentError(f"{config_path}: expected a mapping of agent ids to their settings")
        for agent_id, settings in data.items():
            try:
                config = AgentConfig.model_validate(settings or {})
            except pydantic.ValidationError as e:
                err = e.errors()[0]
                where = ".".join(str(p) for p in (agent_id, *err["loc"]))
                raise AgentError(f"{config_path}: field '{where}': {err['msg']}") from None
            if str(agent_id) in agents:
                raise AgentError(f"{config_path}: agent id {agent_id!r} is already defined in "
                                 f"{agents[str(agent_id)].folder / 'config.yaml'}")
            agents[str(agent_id)] = Agent(str(agent_id), config_path.parent, config)
    return agents


def get_agent(agents_dir: Path, agent_id: str) -> Agent:
    agents = load_agents(agents_dir)
    if agent_id not in agents:
        known = ", ".join(sorted(agents)) or f"none: {agents_dir} holds no */config.yaml"
        raise AgentError(f"unknown agent {agent_id!r} (looked in {agents_dir}); known agents: {known}")
    return agents[agent_id]
