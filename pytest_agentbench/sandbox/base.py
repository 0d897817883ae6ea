"""The sandbox interface: what agents, graders, fixtures and the CLI may ask of a container engine.

Nothing outside `pytest_agentbench/sandbox/` talks to Docker: everything callers use is declared here
(images, networks, volumes, sandboxes, exec, file transfer, cleanup, the errors), and the Docker backend
(sandbox/docker.py) is one implementation. A second backend (Kubernetes, a remote engine farm) implements
these two classes and registers itself under the `pytest_agentbench.engines` entry point; `--sandbox NAME`
picks it (sandbox/__init__.py).
"""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

from ..trajectory import TrajectoryRecorder
from .untrusted_archive import OutputTally


@dataclass(frozen=True)
class ExecResult:
    exit_code: int | None  # None when the command was killed (time-out)
    output: str
    duration: float
    timed_out: bool = False


@dataclass
class ContainerConfig:
    """Resources and runtime for a container: the seed's container-config JSON keys, plus the limits
    every container gets by default (sandbox/limits.py)."""

    mem_limit: str | int | None = None
    shm_size: str | int | None = None
    nano_cpus: int | float | None = None
    runtime: str | None = None
    gpus: int | None = None  # -1: all GPUs
    pids_limit: int | None = None
    disk_limit: str | int | None = None  # the root file system's size, where the storage driver can cap it
    privileged: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping) -> "ContainerConfig":
        """The config from JSON, every value checked: a bad one names its key, the value and what was
        expected, before any container starts (Docker's own message would come once per item)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        known = {f for f in cls.__dataclass_fields__ if f != "privileged"}  # privileged: the agent's opt-in
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(known))}")
        for key, value in data.items():
            if value is not None and not _VALID[key][0](value):
                raise ValueError(f"key {key!r}: got {value!r}; expected {_VALID[key][1]}")
        return cls(**dict(data))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def size_in_bytes(value: str | int) -> int | None:
    """A size as Docker reads one (an integer, or a number with a unit b, k, m or g), in bytes; None if
    it is not one."""
    if _is_int(value):
        return value
    match = re.fullmatch(r"(?i)\s*(\d+(?:\.\d+)?)\s*([bkmg]?)b?\s*", value) if isinstance(value, str) else None
    if match is None:
        return None
    return int(float(match.group(1)) * 1024 ** "bkmg".index(match.group(2).lower() or "b"))


def _is_size(value) -> bool:
    return (size_in_bytes(value) or 0) >= MIN_SIZE


MIN_SIZE = 6 * 2**20  # Docker's smallest memory limit


SIZE = "a size of at least 6 MB: a number of bytes, or a number with a unit b, k, m or g, such as \"512m\""
_VALID = {
    "mem_limit": (_is_size, SIZE),
    "shm_size": (_is_size, SIZE),
    "disk_limit": (_is_size, SIZE),
    # Docker's NanoCPUs: 1e9 is one CPU; below 0.01 CPU Docker refuses
    "nano_cpus": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 1e7,
                  "CPUs in billionths, at least 10000000 (0.01 CPU); 1000000000 is one CPU"),
    "runtime": (lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9_.-]+", v) is not None,
                "the name of a runtime the Docker engine knows, such as \"runc\" or \"nvidia\""),
    "gpus": (lambda v: _is_int(v) and (v == -1 or v > 0), "a number of GPUs, at least 1, or -1 for all"),
    "pids_limit": (lambda v: _is_int(v) and v >= 16, "a whole number of processes, at least 16"),
}


# tmpfs options of a mask: an empty, read-only file system over a path of the image, which a process
# without CAP_SYS_ADMIN (root in an unprivileged container included) can neither unmount nor write.
MASK = "ro,size=4k,mode=0755"


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
    sysctls: dict[str, str] = field(default_factory=dict)  # the container's own kernel settings (net.*)
    image_command: bool = False  # True: run the image's own command (a service) when `command` is None
    volumes: dict[str, tuple[str, bool]] = field(default_factory=dict)  # volume name -> (target, read only)
    tmpfs: dict[str, str] = field(default_factory=dict)  # target -> mount options ("size=64m")
    # True: the image's file system is an agent's (a snapshot of its container), and `command` the
    # harness's own: the image's environment and entrypoint are ignored, /etc/ld.so.preload and
    # /etc/nsswitch.conf (which make every program load a library of the agent's) read as empty, and
    # no process gains privileges by executing a file (setuid, file capabilities).
    untrusted_image: bool = False


class Sandbox(abc.ABC):
    """One running container."""

    name: str
    image: str | None = None  # the image it started from, as given
    trajectory: TrajectoryRecorder | None = None

    @abc.abstractmethod
    def exec(self, cmd: list[str] | str, *, user: str | None = None, env: Mapping[str, str] | None = None,
             workdir: str | None = None, timeout: float | None = None, kill_sandbox_after: float | None = None,
             on_output: Callable[[bytes], None] | None = None, record: bool = True) -> ExecResult:
        """Run a command. At `timeout` seconds the command (and what it started in its process group) is
        stopped and `timed_out` is set: the sandbox keeps running, for the next command. At
        `kill_sandbox_after` seconds the whole sandbox is killed instead (an agent's time limit: nothing
        it started may outlive it) and `timed_out` is set."""

    def exec_dialog(self, cmd: list[str], *, answer: Callable[[bytes], bytes | None], user: str | None = None,
                    env: Mapping[str, str] | None = None, kill_sandbox_after: float | None = None,
                    on_start: Callable[[Callable[[bytes], None]], None] | None = None) -> ExecResult:
        """Run a command that talks in lines: each line it writes to stdout goes to `answer`, and what
        `answer` returns (if anything) is written to its stdin. Its stderr is the result's `output`.
        Only the command's own stdout reaches `answer`: the engine keeps the two streams apart. At
        `kill_sandbox_after` seconds the whole sandbox is killed and `timed_out` is set. `on_start`, if
        given, is called once the command runs with a function writing to its stdin from any thread: a
        dialog that answers many questions at once (the model gateway) replies when each answer is ready."""
        raise NotImplementedError(f"{type(self).__name__} cannot hold a dialog with a command")

    @abc.abstractmethod
    def copy_in(self, src: Path, dest: str, *, owner: int = 0, mode: int | None = None) -> None:
        """Copy a host file or folder to the absolute path `dest`, owned by uid/gid `owner`."""

    @abc.abstractmethod
    def copy_out(self, src: str, dest: Path, tally: OutputTally | None = None) -> bool:
        """Copy the path `src` (file or folder) to the host folder `dest` as data: regular files and
        folders only, links and special files dropped and listed in `tally` (untrusted_archive.py).
        Raises OutputCapExceeded past the tally's caps, keeping what was copied; False if `src` does
        not exist."""

    @abc.abstractmethod
    def wait_for_output(self, text: str, timeout: float) -> bool:
        """Block until the main process prints `text` (a readiness line); False at `timeout`."""

    def exit_status(self) -> int | None:
        """The main process's exit status once it has ended; None while it runs."""
        return None

    def log_tail(self, lines: int = 40) -> str:
        """The last `lines` lines the main process printed (a service's log, for an error message)."""
        return ""

    def snapshot(self, name: str) -> str:
        """Stop the main process gracefully (SIGTERM, then SIGKILL after 10 s) and save the file system
        as an image named `name`, labelled with the run (swept with it); returns the image's reference.
        A per-worker service stack's state after its init (services/stack.py)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be saved as an image")

    def save_changes(self, dest: Path, max_bytes: int | None = None) -> list[str]:
        """Write what changed in the file system since the image (added and modified paths) to the tar
        file `dest`, paths relative to /; returns the deleted paths. Raises OutputCapExceeded past
        `max_bytes` of file contents. With `apply_changes`, makes the
        image's file system this one's again, elsewhere and later (--regrade)."""
        raise NotImplementedError(f"{type(self).__name__} cannot list its changes")

    def apply_changes(self, archive: Path) -> None:
        """Unpack a `save_changes` tar over the file system (inside the sandbox: never on the host)."""
        raise NotImplementedError(f"{type(self).__name__} cannot unpack an archive")

    @abc.abstractmethod
    def kill(self) -> None:
        """Stop every process at once (SIGKILL): no grace period."""

    @abc.abstractmethod
    def remove(self) -> None:
        """Kill if running and delete; idempotent."""


class SandboxEngine(abc.ABC):
    """A container engine holding this run's images, networks, volumes and sandboxes, all labelled with
    the run. Made with the run's id: `Engine(run_id)`; in a run over several engines (engines.py), also
    with `address=` (which engine) and `home=` (the engine images are built on, then shipped here)."""

    address: str | None = None
    home: "SandboxEngine | None" = None  # None: images are built on this engine itself

    @property
    def name(self) -> str:
        """The engine as the user named it, for messages."""
        return self.address or type(self).__name__

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise EngineUnavailable with a clear message if the engine does not answer."""

    # networks -----------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_network(self, name: str, *, internal: bool = False) -> str:
        """A private network; `internal`: no route out, and no address of the host's on it; otherwise
        it has a route out (egress). Returns the network's name, which may differ from `name`."""

    @abc.abstractmethod
    def connect_network(self, sandbox: "Sandbox", network: str, *, aliases: list[str] = ()) -> None:
        """Attach a running sandbox to one more network, reachable there by `aliases`."""

    @abc.abstractmethod
    def remove_network(self, name: str) -> None:
        """Delete the network; idempotent."""

    def disconnect_network(self, sandbox: "Sandbox", network: str) -> None:
        """Take a sandbox off a network (a network is removed only once nothing is on it)."""
        raise NotImplementedError(f"{type(self).__name__} cannot disconnect a sandbox from a network")

    def network_subnets(self, name: str) -> list[str]:
        """The network's address ranges (CIDR)."""
        return []

    # volumes ------------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_volume(self, name: str) -> str:
        """A named volume labelled with the run (for services' data); returns its name."""

    def cached_volume(self, name: str) -> str:
        """A named volume kept across runs (data filled once per engine, named by its content's key);
        returns its name, the same volume if it exists."""
        raise NotImplementedError(f"{type(self).__name__} keeps no volumes across runs")

    @abc.abstractmethod
    def remove_volume(self, name: str) -> None:
        """Delete the volume; idempotent."""

    def discard_volume(self, name: str) -> None:
        """Remove a volume once the sandboxes discarded before it are gone."""
        self.remove_volume(name)

    # images -------------------------------------------------------------------------------------
    @abc.abstractmethod
    def image_exists(self, ref: str) -> bool:
        """Whether the engine holds the image `ref` (name:tag)."""

    @abc.abstractmethod
    def build_image(self, context: Path, tag: str, *, buildargs: Mapping[str, str] | None = None,
                    dockerfile: str = "Dockerfile", labels: Mapping[str, str] | None = None,
                    log: Callable[[str], None] | None = None) -> None:
        """Build `tag` from the build context folder `context` and its Dockerfile (the format every OCI
        builder reads), passing each line of the build's output to `log`. Raises BuildError naming
        the image, the context and the builder's error."""

    @abc.abstractmethod
    def import_image(self, tarball: Path, tag: str, changes: Iterable[str] = ()) -> None:
        """Make the image `tag` from a root file system tarball, with Dockerfile `changes` (ENV, CMD)."""

    @abc.abstractmethod
    def export_image(self, ref: str, dest: Path) -> None:
        """Write the image `ref` to the file `dest` as an image archive, for `load_image` elsewhere."""

    @abc.abstractmethod
    def load_image(self, src: Path) -> list[str]:
        """Load an image archive written by `export_image` (by this or another engine); returns its tags."""

    def ship_image(self, ref: str, to: "SandboxEngine") -> None:
        """Copy the image `ref` from this engine to the engine `to` (an image archive between them)."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="agentbench-ship-") as work:
            self.export_image(ref, Path(work) / "image.tar")
            to.load_image(Path(work) / "image.tar")

    def answers(self) -> bool:
        """Whether the engine answers now (a quick check, after an error: is the engine gone?)."""
        try:
            self.ping()
            return True
        except Exception:  # noqa: BLE001 - any failure means: not answering
            return False

    def pull_image(self, ref: str) -> None:
        """Fetch the image `ref` from its registry (a benchmark's published image). Raises BuildError
        naming the image and the registry's answer."""
        raise BuildError(f"cannot pull {ref}: the {self.name} engine fetches no images from registries")

    def image_id(self, ref: str) -> str | None:
        """The image's content-addressed id (`sha256:...`), or None when the engine lacks it."""
        return None

    def remove_image(self, ref: str) -> None:
        """Delete an image this run made (a snapshot); idempotent."""
        raise NotImplementedError(f"{type(self).__name__} cannot remove images")

    def discard_image(self, ref: str) -> None:
        """Remove an image once the sandboxes discarded before it are gone."""
        self.remove_image(ref)

    def list_images(self, prefix: str) -> list[dict]:
        """The images whose tag starts with `prefix`: dicts of tags, id, created, size."""
        return []

    # sandboxes ----------------------------------------------------------------------------------

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

    def capacity(self) -> tuple[int, int]:
        """(CPUs, bytes of memory) of the machine the engine runs containers on."""
        import os

        return os.cpu_count() or 1, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")

    def runtimes(self) -> list[str] | None:
        """The container runtimes the engine knows (a container config's `runtime` must be one), or None
        when the engine cannot say."""
        return None

    def disk_limit_unsupported(self, image: str) -> str | None:
        """Why a container's root file system cannot be given a size limit here; None if it can."""
        return "this sandbox engine has no disk limit"

    # cleanup ------------------------------------------------------------------------------------
    @abc.abstractmethod
    def sweep(self, run_id: str) -> int:
        """Remove everything this run created; returns how many objects were removed."""

    @abc.abstractmethod
    def reap(self) -> int:
        """Remove what runs whose owner process is dead left behind; returns how many."""

    @abc.abstractmethod
    def cleanup_all(self) -> int:
        """Remove every object of every run, running or not (`agentbench cleanup --all`); returns how many."""


class EngineUnavailable(RuntimeError):
    """The container engine cannot be reached: the message says which engine and why."""


class BuildError(RuntimeError):
    """An image failed to build: the message names the image, its build context and the builder's error."""
