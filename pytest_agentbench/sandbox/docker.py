"""The Docker engine behind the sandbox interface (docker-py, the engine's API only: no host bind mounts,
so a remote engine given by DOCKER_HOST or a docker context works the same)."""

from __future__ import annotations

import io
import os
import queue
import shlex
import tarfile
import threading
import time
import uuid
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Mapping

import docker
import docker.errors
from docker.types import DeviceRequest, Mount
from docker.utils import parse_repository_tag
from docker.utils.socket import STDOUT, frames_iter

from ..masking import StreamMask, mask
from ..trajectory import TrajectoryRecorder
from . import ownership
from .build_output import BuildOutput
from .base import BuildError, EngineUnavailable, ExecResult, Sandbox, SandboxEngine, SandboxSpec
from .head_tail import HeadTail
from .untrusted_archive import OutputCapExceeded, OutputTally, chunk_reader, unpack

IDLE_COMMAND = ["sleep", "infinity"]
EXEC_OUTPUT_HEAD = EXEC_OUTPUT_TAIL = 1 << 20  # bytes of a command's output kept in memory, each end
DIALOG_LINE_MAX = 64 * 1024 * 1024  # a dialog's line (a result, a judge question) is far smaller
DIALOG_LOG_KEPT = 4 * 1024 * 1024  # the tail of a dialog's stderr kept as its output
# After a command's own time-out, how long its output stream may stay open (a process it started in
# another session still holding it) before the harness stops waiting; the container is left running.
COMMAND_STREAM_GRACE = 10
KILLED = 128 + 9  # the exit status of a command that `timeout -s KILL` stopped
# Files that make every dynamically linked program load what they name: in a container started from an
# agent's file system (untrusted_image), /dev/null is mounted over them.
MASKED_FILES = ("/etc/ld.so.preload", "/etc/nsswitch.conf")
DIFF_MODIFIED, DIFF_ADDED, DIFF_DELETED = 0, 1, 2  # `docker diff`'s kinds


class DockerSandbox(Sandbox):
    def __init__(self, engine: "DockerEngine", container, trajectory: TrajectoryRecorder | None = None):
        self.engine = engine
        self.container = container
        self.name = container.name
        self.image = (container.attrs.get("Config") or {}).get("Image")
        self.trajectory = trajectory
        self.killed = False

    def exec(self, cmd, *, user=None, env=None, workdir=None, timeout=None, kill_sandbox_after=None,
             on_output=None, record=True):
        api = self.engine.client.api
        command = cmd if isinstance(cmd, str) else list(cmd)
        start = time.time()
        exec_id = api.exec_create(self.container.id, _within_time(command, timeout), user=user or "",
                                  environment=dict(env or {}), workdir=workdir)["Id"]
        # What a container prints is masked as it enters the harness, and kept within bounds.
        kept = HeadTail(EXEC_OUTPUT_HEAD, EXEC_OUTPUT_TAIL)

        def deliver(data: bytes) -> None:
            kept.write(data)
            if on_output:
                on_output(data)

        masked = StreamMask(deliver)
        failure: list[BaseException] = []

        def pump():
            try:
                for chunk in api.exec_start(exec_id, stream=True):
                    masked.write(chunk)
            except Exception as e:  # the stream breaks when the container is killed
                failure.append(e)

        timed_out = self._within(pump, timeout=timeout, kill_sandbox_after=kill_sandbox_after)
        exit_code = None if timed_out else api.exec_inspect(exec_id).get("ExitCode")
        if exit_code is None and not timed_out and failure:
            raise failure[0]
        if timeout is not None and exit_code == KILLED and time.time() - start >= timeout:
            exit_code, timed_out = None, True
        masked.close()
        output = kept.getvalue().decode("utf-8", "replace")
        result = ExecResult(exit_code=exit_code, output=output, duration=time.time() - start, timed_out=timed_out)
        if record and self.trajectory is not None:
            shown = command if isinstance(command, str) else " ".join(command)
            self.trajectory.exec(shown, user=user, start=start, exit_code=exit_code, output=output,
                                 timed_out=timed_out)
        return result

    def _within(self, work: Callable[[], None], *, timeout: float | None = None,
                kill_sandbox_after: float | None = None) -> bool:
        """Run `work` (reading an exec's stream) in a thread. At `kill_sandbox_after` kill the sandbox; past
        `timeout` (the command stopped itself, see _within_time) stop waiting for a stream something else
        keeps open. True if it timed out."""
        reader = threading.Thread(target=work, name=f"exec-{self.name}", daemon=True)
        reader.start()
        stream_limit = None if timeout is None else timeout + COMMAND_STREAM_GRACE
        limits = [t for t in (kill_sandbox_after, stream_limit) if t is not None]
        reader.join(min(limits) if limits else None)
        if not reader.is_alive():
            return False
        if kill_sandbox_after is not None and (stream_limit is None or kill_sandbox_after <= stream_limit):
            self.kill()  # the limit is the harness's: nothing in the container may outlive it
            reader.join(10)
        return True

    def exec_dialog(self, cmd, *, answer, user=None, env=None, kill_sandbox_after=None, on_start=None):
        api = self.engine.client.api
        start = time.time()
        exec_id = api.exec_create(self.container.id, list(cmd), stdin=True, user=user or "",
                                  environment=dict(env or {}))["Id"]
        sock = api.exec_start(exec_id, socket=True)
        stderr = bytearray()
        failure: list[BaseException] = []
        writing = threading.Lock()  # replies from several threads must not interleave

        def send(data: bytes) -> None:
            with writing:
                getattr(sock, "_sock", sock).sendall(data)

        if on_start is not None:
            on_start(send)

        def talk():
            line = bytearray()
            try:
                # The engine frames stdout and stderr apart: what a process writes to stderr never
                # reaches `answer`.
                for stream, data in frames_iter(sock, tty=False):
                    if stream != STDOUT:
                        stderr.extend(data)
                        del stderr[:max(0, len(stderr) - DIALOG_LOG_KEPT)]
                        continue
                    line.extend(data)
                    while b"\n" in line:
                        end = line.index(b"\n")
                        reply = answer(bytes(line[:end]))
                        del line[:end + 1]
                        if reply is not None:
                            send(reply)
                    if len(line) > DIALOG_LINE_MAX:
                        raise ValueError(f"{shlex.join(cmd)} wrote a line over {DIALOG_LINE_MAX} bytes")
            except Exception as e:  # noqa: BLE001 - the stream breaks when the container is killed
                failure.append(e)

        timed_out = self._within(talk, kill_sandbox_after=kill_sandbox_after)
        sock.close()
        exit_code = None if timed_out else api.exec_inspect(exec_id).get("ExitCode")
        if failure and not timed_out and not isinstance(failure[0], OSError):
            raise failure[0]
        return ExecResult(exit_code=exit_code, output=mask(stderr.decode("utf-8", "replace")),
                          duration=time.time() - start, timed_out=timed_out)

    def copy_in(self, src: Path, dest: str, *, owner: int = 0, mode: int | None = None) -> None:
        self.container.put_archive("/", _tar_of(Path(src), dest, owner, mode))

    def copy_out(self, src: str, dest: Path, tally: OutputTally | None = None) -> bool:
        try:
            stream, _ = self.container.get_archive(src)
        except docker.errors.NotFound:
            return False
        try:
            unpack(stream, Path(dest), tally if tally is not None else OutputTally(), src)
        finally:
            stream.close()  # over a cap: the engine stops sending the rest
        return True

    def wait_for_output(self, text: str, timeout: float) -> bool:
        seen = threading.Event()
        needle = text.encode()

        def follow():  # the log stream is pushed by the engine as lines are printed: no polling
            buffer = b""
            try:
                for chunk in self.container.logs(stream=True, follow=True):
                    buffer = (buffer + chunk)[-4096:]
                    if needle in buffer:
                        seen.set()
                        return
            except Exception:  # noqa: BLE001 - the container went away: not ready
                return

        threading.Thread(target=follow, name=f"logs-{self.name}", daemon=True).start()
        return seen.wait(timeout)

    def exit_status(self) -> int | None:
        try:
            state = self.engine.client.api.inspect_container(self.container.id)["State"]
        except docker.errors.NotFound:
            return -1
        return None if state.get("Running") else state.get("ExitCode")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return mask(self.container.logs(tail=lines).decode("utf-8", "replace"))
        except docker.errors.APIError:
            return ""

    def snapshot(self, name: str) -> str:
        self.container.stop(timeout=10)
        repository, _, tag = name.partition(":")
        return self.container.commit(repository=repository, tag=tag or None,
                                     conf={"Labels": self.engine.labels()}).id

    def save_changes(self, dest: Path, max_bytes: int | None = None) -> list[str]:
        kinds = {c["Path"]: c["Kind"] for c in self.engine.client.api.diff(self.container.id) or []}
        with_changes_below = {str(parent) for path in kinds for parent in PurePosixPath(path).parents}
        added = {path for path, kind in kinds.items() if kind == DIFF_ADDED}
        # An added folder comes whole; a modified one only through the changes listed below it.
        roots = [path for path, kind in sorted(kinds.items()) if kind != DIFF_DELETED
                 and not any(str(parent) in added for parent in PurePosixPath(path).parents)
                 and not (kind == DIFF_MODIFIED and path in with_changes_below)]
        written = 0
        with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as out:
            for root in roots:
                try:
                    stream, _ = self.container.get_archive(root)
                except docker.errors.NotFound:
                    continue
                parent = str(PurePosixPath(root).parent).lstrip("/")
                with tarfile.open(fileobj=chunk_reader(stream), mode="r|") as archive:
                    for member in archive:  # the engine names them from the root's own name: from / here
                        member.name = f"{parent}/{member.name}" if parent else member.name
                        if member.islnk():
                            member.linkname = f"{parent}/{member.linkname}" if parent else member.linkname
                        written += member.size if member.isreg() else 0
                        if max_bytes is not None and written > max_bytes:
                            raise OutputCapExceeded(f"the container's changes exceed {max_bytes} bytes")
                        out.addfile(member, archive.extractfile(member) if member.isreg() else None)
        return sorted(path for path, kind in kinds.items() if kind == DIFF_DELETED)

    def apply_changes(self, archive: Path) -> None:
        with open(archive, "rb") as f:
            self.container.put_archive("/", f)

    def kill(self) -> None:
        self.killed = True
        try:
            self.container.kill()
        except (docker.errors.NotFound, docker.errors.APIError):
            pass  # already stopped or gone

    def remove(self) -> None:
        self.engine.remove_container(self.container.id)


class DockerEngine(SandboxEngine):
    """This run's view of one Docker engine; every object it creates carries the run's owner labels."""

    def __init__(self, run_id: str, client: docker.DockerClient | None = None, address: str | None = None,
                 home: str | None = None):
        self.run_id = run_id
        self._client = client
        self.address = address  # a DOCKER_HOST-style URL or a docker context; None: DOCKER_HOST or the default
        # The engine images are built on and shipped from (sandbox/images.py); None: this one builds its own.
        self.home = DockerEngine(run_id, address=home) if home and home != address else None
        self._removals: queue.Queue | None = None
        self._disk_note: str | None = None  # why containers get no disk limit here ("": they do)
        self._spare_networks: dict[bool, Future] = {}
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentbench-spares")

    # Removing a container and its network takes about half a second that no item needs to wait
    # for: one background thread does it, in order (containers before their network). Whatever it
    # has not done when the process dies, the controller's sweep or the next run's reaper does.
    def discard(self, sandbox: Sandbox) -> None:
        self._later(sandbox.remove)

    def discard_network(self, name: str) -> None:
        self._later(self.remove_network, name)

    def discard_volume(self, name: str) -> None:
        self._later(self.remove_volume, name)

    def drain(self) -> None:
        for spare in self._spare_networks.values():
            try:
                self._later(self.remove_network, spare.result())
            except Exception:  # noqa: BLE001 - never created: nothing to remove
                pass
        self._spare_networks.clear()
        if self._removals is not None:
            self._removals.join()

    def _later(self, fn, *args) -> None:
        if self._removals is None:
            self._removals = queue.Queue()
            threading.Thread(target=self._remove_forever, name="agentbench-removals", daemon=True).start()
        self._removals.put((fn, args))

    def _remove_forever(self) -> None:
        while True:
            fn, args = self._removals.get()
            try:
                fn(*args)
            except Exception as e:  # noqa: BLE001 - the sweep at the end removes what this could not
                warnings.warn(f"agentbench: background removal failed ({e}); the run's sweep will retry")
            finally:
                self._removals.task_done()

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            try:
                self._client = client_for(self.address)
            except docker.errors.DockerException as e:
                raise EngineUnavailable(_unavailable(e, self.address)) from None
        return self._client

    @property
    def name(self) -> str:
        return self.address or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"

    def labels(self) -> dict[str, str]:
        return ownership.owner_labels(self.run_id)

    def ping(self) -> None:
        try:
            self.client.ping()
        except (docker.errors.DockerException, OSError) as e:
            raise EngineUnavailable(_unavailable(e, self.address)) from None

    def answers(self) -> bool:
        """Whether the engine answers within seconds (a fresh connection: the run's may wait 120 s)."""
        try:
            client_for(self.address, timeout=5).ping()
            return True
        except Exception:  # noqa: BLE001 - any failure means: not answering
            return False

    def capacity(self) -> tuple[int, int]:
        info = self.client.info()
        return int(info["NCPU"]), int(info["MemTotal"])

    def runtimes(self) -> list[str]:
        return sorted(self.client.info().get("Runtimes") or {})

    def disk_limit_unsupported(self, image: str) -> str | None:
        """Docker caps a root file system (storage-opt size) on btrfs, zfs, devicemapper, and on overlay2
        only over xfs mounted with pquota, which `docker info` does not show: a container created (not
        started) with the option says."""
        if self._disk_note is None:
            info = self.client.info()
            driver, status = info.get("Driver"), dict(info.get("DriverStatus") or [])
            backing = status.get("Backing Filesystem", "?")
            self._disk_note = ""
            if driver == "overlay2" and backing != "xfs" or driver not in ("overlay2", "btrfs", "zfs", "devicemapper"):
                self._disk_note = (f"the Docker storage driver {driver} (on {backing}) cannot cap a container's "
                                   f"disk; that needs overlay2 on xfs mounted with pquota, btrfs, zfs or devicemapper")
            else:
                try:
                    probe = self.client.api.create_container(image, command=["true"], labels=self.labels(),
                                                             host_config=self.client.api.create_host_config(
                                                                 storage_opt={"size": "1g"}))
                    self.remove_container(probe["Id"])
                except docker.errors.APIError as e:
                    self._disk_note = f"the Docker engine refuses a disk limit: {e.explanation or e}"
        return self._disk_note or None

    # networks -----------------------------------------------------------------------------------
    def create_network(self, name: str, *, internal: bool = False) -> str:
        """A new private network. Creating one takes 0.1-0.3 s, so a spare for the next item is made
        in the background; the name asked for is used only when no spare is ready."""
        spare = self._spare_networks.pop(internal, None)
        name = spare.result() if spare is not None else self._new_network(name, internal)
        self._spare_networks[internal] = self._background.submit(
            self._new_network, f"agentbench-net-{uuid.uuid4().hex[:12]}", internal)
        return name

    def _new_network(self, name: str, internal: bool) -> str:
        # An internal bridge still carries the host's address (its gateway), where every port the host
        # listens on for all addresses answers; without that address the host is out of reach.
        options = {"com.docker.network.bridge.inhibit_ipv4": "true"} if internal else None
        try:
            self.client.networks.create(name, driver="bridge", internal=internal, labels=self.labels(),
                                        options=options, check_duplicate=True)
        except docker.errors.APIError as e:
            if "non-overlapping" not in str(e):
                raise
            raise RuntimeError(
                f"the Docker engine has no address range left for another network ({len(self.client.networks.list())} "
                "exist; by default each takes a /16, about 30 in all, and every running item needs one or two): "
                "give dockerd smaller ranges, e.g. `dockerd --default-address-pool base=172.16.0.0/12,size=24` "
                "or \"default-address-pools\" in /etc/docker/daemon.json (docs/security.md), or run fewer items "
                "at once") from None
        return name

    def connect_network(self, sandbox: Sandbox, network: str, *, aliases: list[str] = ()) -> None:
        self.client.networks.get(network).connect(sandbox.container, aliases=list(aliases) or None)

    def disconnect_network(self, sandbox: Sandbox, network: str) -> None:
        try:
            self.client.api.disconnect_container_from_network(sandbox.container.id, network, force=True)
        except docker.errors.NotFound:
            pass  # the network or the container is gone already

    def network_subnets(self, name: str) -> list[str]:
        config = (self.client.networks.get(name).attrs.get("IPAM") or {}).get("Config") or []
        return [c["Subnet"] for c in config if c.get("Subnet")]

    def remove_network(self, name: str) -> None:
        try:
            self.client.networks.get(name).remove()
        except docker.errors.NotFound:
            pass

    # sandboxes ----------------------------------------------------------------------------------
    def start(self, spec: SandboxSpec, *, files=(), trajectory=None) -> DockerSandbox:
        cfg = spec.config
        kwargs = dict(
            image=spec.image, name=spec.name, labels=self.labels(),
            command=spec.command or (None if spec.image_command else IDLE_COMMAND),
            environment=spec.env, user=spec.user, working_dir=spec.workdir,
            # An init as PID 1 reaps children and makes the idle process stop at once on a signal.
            init=True, detach=True, privileged=cfg.privileged, extra_hosts=spec.extra_hosts or None,
            mem_limit=cfg.mem_limit, shm_size=cfg.shm_size, runtime=cfg.runtime,
            nano_cpus=int(cfg.nano_cpus) if cfg.nano_cpus else None,
            # Its own process count, whatever uid runs inside (RLIMIT_NPROC is per uid, host-wide);
            # memory without swap, so an agent over its limit is stopped, not slowing the host down.
            pids_limit=cfg.pids_limit, memswap_limit=cfg.mem_limit,
            storage_opt={"size": str(cfg.disk_limit)} if cfg.disk_limit else None,
            sysctls=spec.sysctls or None,
            volumes={name: {"bind": target, "mode": "ro" if ro else "rw"}
                     for name, (target, ro) in spec.volumes.items()} or None,
            tmpfs=spec.tmpfs or None,
        )
        if spec.untrusted_image:
            # The agent's image may set LD_PRELOAD, PYTHONPATH... in its environment: every variable of
            # the image's is emptied, and the command given replaces its entrypoint.
            image_env = self.client.api.inspect_image(spec.image)["Config"].get("Env") or []
            kwargs["environment"] = {**{e.partition("=")[0]: "" for e in image_env}, **spec.env}
            kwargs["entrypoint"], kwargs["command"] = spec.command[:1], spec.command[1:]
            kwargs["mounts"] = [Mount(target=path, source="/dev/null", type="bind", read_only=True)
                                for path in MASKED_FILES]
            kwargs["security_opt"] = ["no-new-privileges"]
        if cfg.gpus:
            kwargs["device_requests"] = [DeviceRequest(count=cfg.gpus, capabilities=[["gpu"]])]
        if spec.network:
            kwargs["network"] = spec.network
            if spec.aliases:
                kwargs["networking_config"] = {spec.network: self.client.api.create_endpoint_config(
                    aliases=spec.aliases)}
        else:
            kwargs["network_mode"] = "none"
        container = self.client.containers.create(**{k: v for k, v in kwargs.items() if v is not None})
        sandbox = DockerSandbox(self, container, trajectory)
        try:
            for network, aliases in spec.extra_networks.items():
                self.connect_network(sandbox, network, aliases=aliases)
            for src, dest, owner, mode in files:
                sandbox.copy_in(Path(src), dest, owner=owner, mode=mode)
            container.start()
        except BaseException:
            sandbox.remove()
            raise
        return sandbox

    def remove_container(self, ref: str) -> None:
        try:
            self.client.api.remove_container(ref, force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as e:
            if "already in progress" not in str(e):
                raise

    # volumes ------------------------------------------------------------------------------------
    def create_volume(self, name: str) -> str:
        return self.client.volumes.create(name, labels=self.labels()).name

    def remove_volume(self, name: str) -> None:
        try:
            self.client.api.remove_volume(name, force=True)
        except docker.errors.NotFound:
            pass

    def cached_volume(self, name: str) -> str:
        try:
            return self.client.volumes.get(name).name
        except docker.errors.NotFound:
            return self.client.volumes.create(name, labels={ownership.CACHE: "1"}).name

    # images -------------------------------------------------------------------------------------
    def image_exists(self, ref: str) -> bool:
        try:
            self.client.images.get(ref)
            return True
        except docker.errors.ImageNotFound:
            return False

    def build_image(self, context: Path, tag: str, *, buildargs: Mapping[str, str] | None = None,
                    dockerfile: str = "Dockerfile", labels: Mapping[str, str] | None = None,
                    log: Callable[[str], None] | None = None) -> None:
        output = BuildOutput()  # which step runs, and its last lines, to show with an error
        try:
            for event in self.client.api.build(path=str(context), tag=tag, dockerfile=dockerfile,
                                               buildargs=dict(buildargs or {}), labels=dict(labels or {}),
                                               rm=True, forcerm=True, decode=True, pull=False):
                if "error" in event:
                    raise BuildError(output.failure(f"building {tag} from {context}", event["error"]))
                if event.get("stream"):
                    output.add(event["stream"])
                    if log:
                        log(event["stream"])
        except docker.errors.APIError as e:
            raise BuildError(f"building {tag} from {context}: {e.explanation or e}") from None

    def import_image(self, tarball: Path, tag: str, changes: Iterable[str] = ()) -> None:
        repository, _, version = tag.rpartition(":")
        with open(tarball, "rb") as f:
            self.client.api.import_image_from_data(f, repository=repository, tag=version, changes=list(changes))

    def export_image(self, ref: str, dest: Path) -> None:
        with open(dest, "wb") as f:
            for chunk in self.client.api.get_image(ref):
                f.write(chunk)

    def load_image(self, src: Path) -> list[str]:
        with open(src, "rb") as f:
            return [tag for image in self.client.images.load(f) for tag in image.tags]

    def ship_image(self, ref: str, to: SandboxEngine) -> None:
        """`docker save` streamed into the other engine's `docker load`: nothing touches the disk here."""
        if not isinstance(to, DockerEngine):
            return super().ship_image(ref, to)
        try:
            for event in to.client.api.load_image(self.client.api.get_image(ref, chunk_size=1 << 20)):
                if "error" in event:
                    raise BuildError(f"shipping {ref} from {self.name} to {to.name}: {event['error']}")
        except docker.errors.APIError as e:
            raise BuildError(f"shipping {ref} from {self.name} to {to.name}: {e.explanation or e}") from None

    def pull_image(self, ref: str) -> None:
        repository, tag = parse_repository_tag(ref)  # a registry's port is not a tag; a digest is one
        try:
            self.client.images.pull(repository, tag=tag or "latest")
        except docker.errors.APIError as e:
            raise BuildError(f"could not pull {ref} on {self.name}: {e.explanation or e}") from None

    def image_id(self, ref: str) -> str | None:
        try:
            return self.client.images.get(ref).id
        except docker.errors.ImageNotFound:
            return None

    def remove_image(self, ref: str) -> None:
        try:
            self.client.api.remove_image(ref, force=True)
        except docker.errors.NotFound:
            pass

    def discard_image(self, ref: str) -> None:
        self._later(self.remove_image, ref)

    def list_images(self, prefix: str) -> list[dict]:
        return [{"tags": img.tags, "id": img.short_id, "created": img.attrs.get("Created"),
                 "size": img.attrs.get("Size")}
                for img in self.client.images.list() if any(t.startswith(prefix) for t in img.tags)]

    # cleanup ------------------------------------------------------------------------------------
    def _owned(self, run_id: str | None = None):
        """(kind, object, labels) for every object carrying the run label (of `run_id`, or of any run)."""
        selector = f"{ownership.RUN}={run_id}" if run_id else ownership.RUN
        flt = {"label": selector}
        for c in self.client.api.containers(all=True, filters=flt):
            yield "container", c["Id"], c.get("Labels") or {}
        for n in self.client.api.networks(filters=flt):
            yield "network", n["Id"], n.get("Labels") or {}
        for v in (self.client.api.volumes(filters=flt) or {}).get("Volumes") or []:
            yield "volume", v["Name"], v.get("Labels") or {}
        for i in self.client.api.images(filters=flt):
            yield "image", i["Id"], i.get("Labels") or {}

    def _remove(self, objects) -> int:
        # Containers first: a network or volume in use cannot be removed.
        order = {"container": 0, "volume": 1, "network": 2, "image": 3}
        removed = 0
        for kind, ref, _ in sorted(objects, key=lambda o: order[o[0]]):
            try:
                if kind == "container":
                    self.remove_container(ref)
                elif kind == "network":
                    self.client.api.remove_network(ref)
                elif kind == "volume":
                    self.client.api.remove_volume(ref, force=True)
                else:
                    self.client.api.remove_image(ref, force=True)
                removed += 1
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as e:
                # Two processes of a run sweeping at once (xdist workers on an interrupt) can race on
                # one image; dockerd then answers 500 "unrecognized image ID" for the one it just removed.
                if kind != "image" or "unrecognized image" not in str(e):
                    raise
        return removed

    def sweep(self, run_id: str) -> int:
        return self._remove(list(self._owned(run_id)))

    def reap(self) -> int:
        return self._remove([o for o in self._owned() if ownership.owner_is_dead(o[2])])

    def cleanup_all(self) -> int:
        return self._remove(list(self._owned()))


def client_for(address: str | None, timeout: int = 120) -> docker.DockerClient:
    """A client of the engine at `address`: a DOCKER_HOST-style URL (unix://, tcp:// with TLS from
    DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as the docker CLI reads them, ssh:// through the system's ssh),
    a docker context's name, or None for DOCKER_HOST or the default socket."""
    if address is None:
        return docker.from_env(timeout=timeout)
    if "://" in address:
        return docker.from_env(timeout=timeout, environment={**os.environ, "DOCKER_HOST": address},
                               use_ssh_client=address.startswith("ssh://"))
    from docker.context import ContextAPI

    context = ContextAPI.get_context(address)
    if context is None:
        raise docker.errors.DockerException(
            f"no docker context named {address!r} (docker context ls lists them; docker-py reads contexts only "
            f"where a config.json is, in $DOCKER_CONFIG or ~/.docker: `docker context use default` writes one)")
    return docker.DockerClient(base_url=context.Host, tls=context.TLSConfig, timeout=timeout,
                               use_ssh_client=(context.Host or "").startswith("ssh://"))


def _unavailable(e: Exception, address: str | None = None) -> str:
    if address:
        return f"the Docker engine at {address} does not answer ({e})"
    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    return (f"the Docker engine at {where} does not answer ({e}). Start it (as root: "
            f"scripts/docker-up.sh, or `dockerd &`) or point DOCKER_HOST at a running engine.")


def _tar_of(src: Path, dest: str, owner: int, mode: int | None) -> bytes:
    """A tar that unpacks `src` at the absolute path `dest` (docker creates missing parents)."""
    buf = io.BytesIO()
    root = dest.lstrip("/")

    def own(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = owner
        info.uname = info.gname = ""
        if mode is not None:
            info.mode = (mode | 0o111) if info.isdir() and mode & 0o444 else mode
        return info

    with tarfile.open(fileobj=buf, mode="w") as tar:
        if not src.exists():
            raise FileNotFoundError(f"cannot copy {src} into the sandbox: it does not exist")
        tar.add(src, arcname=root, filter=own, recursive=True)
    return buf.getvalue()


def _within_time(command: list[str] | str, timeout: float | None) -> list[str] | str:
    """The command under coreutils' `timeout`, which runs it in its own process group and kills that
    group at `timeout` seconds: the command stops, the container and its other processes do not."""
    if timeout is None:
        return command
    argv = shlex.split(command) if isinstance(command, str) else command
    return ["timeout", "-s", "KILL", f"{timeout:g}", *argv]
