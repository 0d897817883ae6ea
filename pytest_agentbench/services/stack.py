"""Running a compose stack (services/compose.py) for one item, through the sandbox interface.

Per item: fresh volumes and containers on the item's private network, each service reachable by its
name and aliases (with `lifetime: worker`, containers started from the worker's snapshot of the stack
after its init, so the init runs once per worker); images built FROM the run's base image (no registry); health checks run by the
harness (Docker's own would need the engine to run them and us to poll it anyway), so a service that
never becomes healthy fails its item when its check gives up, with its log's tail. Everything carries
the run's labels, so the reaper removes what a killed run leaves, volumes included.
"""

from __future__ import annotations

import shlex
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..sandbox.base import ContainerConfig, Sandbox, SandboxEngine, SandboxSpec
from ..sandbox.images import ImageRecipe, ensure_image, ship
from ..sandbox.untrusted_archive import OutputCapExceeded, OutputCaps, OutputTally
from .compose import Service, Stack
from .coworkers import CoworkerModel, CoworkerRoom, write_record

COWORKERS_FILE = "coworkers.json"  # in the item's services folder: the coworkers' conversations
DEFAULT_CHAT_DOMAIN = "the-agent-company.com"  # the chat image's, unless CHAT_DOMAIN says

LOG_TAIL_LINES = 40
INIT_TIME_LIMIT = 300  # seconds for each x-agentbench init command
COLLECT_TIME_LIMIT = 120  # seconds for each x-agentbench collect command
COLLECT_CAPS = OutputCaps(max_bytes=256 * 2**20, max_files=10_000)  # what one service's collection brings back
COLLECT_DIR = "/tmp/agentbench-collect"  # in the service's container


class ServiceError(RuntimeError):
    """A service did not start, exited, or never became healthy: names the service and shows its log."""


@dataclass
class RunningStack:
    stack: Stack
    engine: SandboxEngine
    sandboxes: dict[str, Sandbox] = field(default_factory=dict)
    volumes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # service -> seconds until ready
    coworkers: CoworkerRoom | None = None
    started: float = field(default_factory=time.monotonic)

    def stop_coworkers(self, dest: Path) -> dict | None:
        """The agent has stopped: so do the coworkers; their conversations go to dest/coworkers.json.
        What the item's result says of them (None: the stack has none)."""
        if self.coworkers is None:
            return None
        return write_record(self.coworkers, dest / COWORKERS_FILE)

    def collect(self, dest: Path) -> dict:
        """Run every service's x-agentbench `collect` commands (the agent has stopped) and bring their
        outputs back as data to dest/<service>/<name>; returns what was read, per service."""
        record: dict[str, dict] = {}
        for name, service in sorted(self.stack.services.items()):
            if not service.collect:
                continue
            sandbox = self.sandboxes[name]
            record[name] = {}
            for file, command in service.collect.items():
                done = sandbox.exec(["sh", "-c", f"mkdir -p {COLLECT_DIR} && ( {command} ) "
                                                 f"> {COLLECT_DIR}/{file} 2> {COLLECT_DIR}/{file}.err"],
                                    timeout=COLLECT_TIME_LIMIT, record=False)
                record[name][file] = {"command": command, "exit_code": done.exit_code, "timed_out": done.timed_out}
            out = dest / name
            shutil.rmtree(out, ignore_errors=True)
            tally = OutputTally(COLLECT_CAPS)
            try:  # as data: the agent may have shaped what the service holds
                sandbox.copy_out(COLLECT_DIR, dest, tally)
            except OutputCapExceeded as e:
                record[name]["over_cap"] = str(e)
            if (dest / Path(COLLECT_DIR).name).is_dir():
                (dest / Path(COLLECT_DIR).name).rename(out)
            for file, entry in record[name].items():
                if file == "over_cap":
                    continue
                path, err = out / file, out / f"{file}.err"
                entry["bytes"] = path.stat().st_size if path.is_file() else None
                if entry["exit_code"] != 0 and err.is_file():
                    entry["stderr"] = err.read_text(errors="replace")[-2000:]
        return record

    def remove(self) -> None:
        """Containers first, then their volumes (the engine may do both in the background, in order)."""
        if self.coworkers is not None:
            self.coworkers.stop()
        for sandbox in self.sandboxes.values():
            self.engine.discard(sandbox)
        for volume in self.volumes:
            self.engine.discard_volume(volume)


def service_images(stack: Stack, engine: SandboxEngine, base_image: str) -> dict[str, str]:
    """Each service's image: built FROM the base image (build arg BASE_IMAGE), or given by `image`,
    which must be on the engine already (no registry is reached)."""
    images = {}
    for name, service in sorted(stack.services.items()):
        if service.build is not None:
            recipe = ImageRecipe(f"service-{service.build.context.name}", service.build.context,
                                 {"BASE_IMAGE": base_image, **service.build.args}, service.build.dockerfile)
            images[name] = ensure_image(engine, recipe)
        elif engine.image_exists(service.image):
            images[name] = service.image
        elif engine.home is not None and engine.home.image_exists(service.image):  # a run over several engines
            images[name] = ship(engine.home, engine, service.image)
        else:
            raise ServiceError(f"{stack.path}: service {name!r}: image {service.image!r} is not on the engine "
                               f"{engine.name}, and "
                               f"no registry is reached: give the service a `build` folder instead")
    return images


def start_stack(stack: Stack, engine: SandboxEngine, *, network: str, prefix: str, base_image: str,
                limits: ContainerConfig, coworker_model: CoworkerModel | None = None) -> RunningStack:
    """Start every service of `stack` on `network` in depends_on order, wait until each is healthy,
    run the init commands, seat the coworkers (played by `coworker_model`) in their chat; on any
    failure remove what was started and raise ServiceError.

    With `lifetime: worker`, the services start instead from this process's snapshot of the stack
    taken once after its init (worker_snapshot): the reset between items is that restart."""
    if stack.lifetime == "worker":
        snapshot = worker_snapshot(stack, engine, base_image, limits)
        running = _bring_up(stack, engine, snapshot.images, network, prefix, limits, fresh=False)
        running.timings["snapshot_made"] = snapshot.seconds  # once per worker: shown on every item
    else:
        running = _bring_up(stack, engine, service_images(stack, engine, base_image), network, prefix, limits)
    try:
        if stack.coworkers is not None:
            running.coworkers = _seat_coworkers(stack, running, coworker_model)
        running.timings["ready"] = round(time.monotonic() - running.started, 3)
    except BaseException:
        running.remove()
        raise
    return running


def _bring_up(stack: Stack, engine: SandboxEngine, images: dict[str, str], network: str, prefix: str,
              limits: ContainerConfig, fresh: bool = True, volumes: bool = True) -> RunningStack:
    """The services started in waves and healthy; `fresh`: from their images, with their files copied
    in and their init run (else from a snapshot that holds both); `volumes`: named volumes mounted
    (else their paths live in the containers' own file systems, as a snapshot keeps them)."""
    running = RunningStack(stack, engine)
    try:
        mounts = {name: engine.create_volume(f"{prefix}-{name}") for name in stack.volumes} \
            if fresh and volumes else {}
        running.volumes = list(mounts.values())
        with ThreadPoolExecutor(max_workers=max(1, len(stack.services))) as pool:
            for wave in stack.start_order():
                # A wave's services wait only for what they depend on (earlier waves): start together.
                for name, sandbox in zip(wave, pool.map(
                        lambda n: _start(stack.services[n], engine, images[n], network, prefix, mounts, limits,
                                         running, files=fresh), wave)):
                    running.sandboxes[name] = sandbox

                def ready(name: str) -> None:
                    _wait_healthy(stack, name, running.sandboxes[name])
                    running.timings[name] = round(time.monotonic() - running.started, 3)

                list(pool.map(ready, wave))
        if fresh:
            for wave in stack.start_order():
                for name in wave:
                    _init(stack, stack.services[name], running.sandboxes[name])
    except BaseException:
        running.remove()
        raise
    return running


@dataclass(frozen=True)
class Snapshot:
    images: dict[str, str]  # service -> the image of its state after init
    seconds: float  # what making it took


_snapshots: dict[tuple[str, Path], Snapshot] = {}  # this process's (a worker's), by engine and compose file
_snapshot_lock = threading.Lock()


def worker_snapshot(stack: Stack, engine: SandboxEngine, base_image: str, limits: ContainerConfig) -> Snapshot:
    """This worker's snapshot of `stack`, made on first use: the stack started, healthy and initialised
    on a network of its own, each service stopped gracefully and saved as an image (labelled with the
    run, so the run's sweep removes it). Every item then starts from it, as if the init had just run."""
    key = (engine.name, stack.path)
    with _snapshot_lock:
        if key not in _snapshots:
            started = time.monotonic()
            tag = f"agentbench-snapshot-{uuid.uuid4().hex[:12]}"
            network = engine.create_network(f"{tag}-net", internal=True)
            try:
                running = _bring_up(stack, engine, service_images(stack, engine, base_image), network, tag, limits,
                                    volumes=False)
                try:
                    with ThreadPoolExecutor(max_workers=max(1, len(stack.services))) as pool:
                        images = dict(zip(running.sandboxes, pool.map(
                            lambda item: item[1].snapshot(f"agentbench/{tag}-{item[0].lower()}:snapshot"),
                            running.sandboxes.items())))
                finally:
                    running.remove()
            finally:
                engine.discard_network(network)
            _snapshots[key] = Snapshot(images, round(time.monotonic() - started, 3))
        return _snapshots[key]


def _start(service: Service, engine: SandboxEngine, image: str, network: str, prefix: str,
           volumes: dict[str, str], limits: ContainerConfig, running: RunningStack, files: bool = True) -> Sandbox:
    spec = SandboxSpec(image=image, name=f"{prefix}-{service.name}", env=dict(service.environment),
                       network=network, aliases=[service.name, *service.aliases], user=service.user,
                       workdir=service.working_dir, command=service.command, image_command=True, config=limits,
                       volumes={volumes[v]: mount for v, mount in service.volumes.items() if v in volumes},
                       tmpfs=dict(service.tmpfs))
    sandbox = engine.start(spec, files=[(src, dest, 0, None) for src, dest in service.files] if files else [])
    running.sandboxes.setdefault(service.name, sandbox)  # removed with the stack even if a later step fails
    return sandbox


def _wait_healthy(stack: Stack, name: str, sandbox: Sandbox) -> None:
    """Docker's health-check rules, run from here: failures count only after `start_period`, and
    `retries` failures in a row make the service unhealthy. A service that exits fails at once."""
    check = stack.services[name].healthcheck
    if check is None:
        _fail_if_exited(stack, name, sandbox)
        return
    start, failures, last = time.monotonic(), 0, ""
    while True:
        _fail_if_exited(stack, name, sandbox)
        result = sandbox.exec(check.test, timeout=check.timeout, record=False)
        if result.exit_code == 0:
            return
        last = result.output.strip()[-500:] or ("timed out" if result.timed_out else f"exit {result.exit_code}")
        in_start_period = time.monotonic() - start < check.start_period
        if not in_start_period:
            failures += 1
            if failures >= check.retries:
                raise ServiceError(
                    f"{stack.path}: service {name!r} never became healthy ({check.retries} failed checks after "
                    f"a start period of {check.start_period:g} s, {time.monotonic() - start:.1f} s in all); its "
                    f"last check, {shlex.join(check.test)}, said: {last}\n--- log tail of {name} ---\n"
                    f"{sandbox.log_tail(LOG_TAIL_LINES)}")
        time.sleep(check.start_interval if in_start_period else check.interval)


def _fail_if_exited(stack: Stack, name: str, sandbox: Sandbox) -> None:
    status = sandbox.exit_status()
    if status is not None:
        raise ServiceError(f"{stack.path}: service {name!r} exited with status {status} before it was ready"
                           f"\n--- log tail of {name} ---\n{sandbox.log_tail(LOG_TAIL_LINES)}")


def _init(stack: Stack, service: Service, sandbox: Sandbox) -> None:
    for command in service.init:
        done = sandbox.exec(["sh", "-c", command], timeout=INIT_TIME_LIMIT, record=False)
        if done.exit_code != 0:
            why = "timed out" if done.timed_out else f"exited with status {done.exit_code}"
            raise ServiceError(f"{stack.path}: service {service.name!r}: init command {command!r} {why}:\n"
                               f"{done.output[-2000:]}")


def _seat_coworkers(stack: Stack, running: RunningStack, played_by: CoworkerModel | None) -> CoworkerRoom:
    chat = stack.services[stack.coworkers.chat]
    room = CoworkerRoom(stack.coworkers, running.sandboxes[chat.name],
                        chat.environment.get("CHAT_DOMAIN") or DEFAULT_CHAT_DOMAIN,
                        played_by or CoworkerModel(None, None, "no model was given to play them"))
    running.coworkers = room  # stopped with the stack even if it does not start
    try:
        room.start()
    except RuntimeError as e:
        raise ServiceError(f"{stack.path}: {e}") from None
    return room


def crashed(running: RunningStack) -> dict[str, dict]:
    """The services whose main process has ended (a crash while the agent worked): their exit status
    and log tail."""
    return {name: {"exit_status": status, "log_tail": sandbox.log_tail(LOG_TAIL_LINES)}
            for name, sandbox in sorted(running.sandboxes.items()) if (status := sandbox.exit_status()) is not None}


