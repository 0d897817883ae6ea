"""The sandbox interface: what agents, graders and fixtures may ask of a container engine.

Nothing outside `pytest_agentbench/sandbox/` talks to Docker; a second backend (Kubernetes, a remote
engine farm) implements these two classes and registers itself in `sandbox/__init__.py`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from ..trajectory import TrajectoryRecorder


@dataclass(frozen=True)
class ExecResult:
    exit_code: int | None  # None when the command was killed (time-out)
    output: str
    duration: float
    timed_out: bool = False


@dataclass
class ContainerConfig:
    """Resources and runtime for a container: the seed's container-config JSON keys."""

    mem_limit: str | int | None = None
    shm_size: str | int | None = None
    nano_cpus: int | float | None = None
    runtime: str | None = None
    gpus: int | None = None  # -1: all GPUs
    privileged: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping) -> "ContainerConfig":
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        known = {f for f in cls.__dataclass_fields__ if f != "privileged"}  # privileged: the agent's opt-in
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(known))}")
        return cls(**dict(data))


@dataclass
class SandboxSpec:
    """What to start: an image, its command-less idle process, environment and placement."""

    image: str
    name: str
    env: dict[str, str] = field(default_factory=dict)
    network: str | None = None
    aliases: list[str] = field(default_factory=list)
    user: str | None = None
    workdir: str | None = None
    command: list[str] | None = None  # None: idle until told, so exec and copies can follow
    config: ContainerConfig = field(default_factory=ContainerConfig)
    extra_hosts: dict[str, str] = field(default_factory=dict)
    extra_networks: dict[str, list[str]] = field(default_factory=dict)  # more networks: name -> aliases there


class Sandbox(abc.ABC):
    """One running container."""

    name: str
    trajectory: TrajectoryRecorder | None = None

    @abc.abstractmethod
    def exec(self, cmd: list[str] | str, *, user: str | None = None, env: Mapping[str, str] | None = None,
             workdir: str | None = None, timeout: float | None = None,
             on_output: Callable[[bytes], None] | None = None, record: bool = True) -> ExecResult:
        """Run a command; at `timeout` seconds the whole sandbox is killed and `timed_out` is set."""

    def exec_dialog(self, cmd: list[str], *, answer: Callable[[bytes], bytes | None], user: str | None = None,
                    env: Mapping[str, str] | None = None, timeout: float | None = None) -> ExecResult:
        """Run a command that talks in lines: each line it writes to stdout goes to `answer`, and what
        `answer` returns (if anything) is written to its stdin. Its stderr is the result's `output`.
        Only the command's own stdout reaches `answer`: the engine keeps the two streams apart. At
        `timeout` seconds the whole sandbox is killed and `timed_out` is set."""
        raise NotImplementedError(f"{type(self).__name__} cannot hold a dialog with a command")

    @abc.abstractmethod
    def copy_in(self, src: Path, dest: str, *, owner: int = 0, mode: int | None = None) -> None:
        """Copy a host file or folder to the absolute path `dest`, owned by uid/gid `owner`."""

    @abc.abstractmethod
    def write_file(self, dest: str, data: bytes, *, owner: int = 0, mode: int = 0o644) -> None:
        """Create one file in the sandbox."""

    @abc.abstractmethod
    def copy_out(self, src: str, dest: Path) -> bool:
        """Copy the path `src` (file or folder) to the host folder `dest`; False if `src` does not exist."""

    @abc.abstractmethod
    def wait_for_output(self, text: str, timeout: float) -> bool:
        """Block until the main process prints `text` (a readiness line); False at `timeout`."""

    @abc.abstractmethod
    def kill(self) -> None:
        """Stop every process at once (SIGKILL): no grace period."""

    @abc.abstractmethod
    def remove(self) -> None:
        """Kill if running and delete; idempotent."""


class SandboxEngine(abc.ABC):
    """A container engine holding this run's images, networks and sandboxes, all labelled with the run."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise EngineUnavailable with a clear message if the engine does not answer."""

    @abc.abstractmethod
    def create_network(self, name: str, *, internal: bool = False) -> str:
        """A private network; `internal`: no route out, and no address of the host's on it."""

    @abc.abstractmethod
    def remove_network(self, name: str) -> None: ...

    def network_subnets(self, name: str) -> list[str]:
        """The network's address ranges (CIDR)."""
        return []

    @abc.abstractmethod
    def start(self, spec: SandboxSpec, *, files: list[tuple[Path, str, str, int | None]] = (),
              trajectory: TrajectoryRecorder | None = None) -> Sandbox:
        """Create, copy `files` (host path, dest, owner uid, mode) in, then start; returns once it runs."""

    def discard(self, sandbox: Sandbox) -> None:
        """Remove a sandbox whose work is done; an engine may do it in the background."""
        sandbox.remove()

    def discard_network(self, name: str) -> None:
        """Remove a network once the sandboxes discarded before it are gone."""
        self.remove_network(name)

    def drain(self) -> None:
        """Wait until every background removal has finished."""

    @abc.abstractmethod
    def sweep(self, run_id: str) -> int:
        """Remove everything this run created; returns how many objects were removed."""

    @abc.abstractmethod
    def reap(self) -> int:
        """Remove what runs whose owner process is dead left behind; returns how many."""


class EngineUnavailable(RuntimeError):
    """The container engine cannot be reached: the message says which engine and why."""
