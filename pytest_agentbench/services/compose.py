"""A task's `compose.yaml`: the subset of the Compose specification the harness runs itself.

Tasks declare their services the way people already write them, and no Compose binary (nor Docker
Engine >= 24) is needed: the harness starts the containers through the sandbox interface. Supported:

    services.<name>: build (context, dockerfile, args) | image, environment, command, healthcheck,
                     depends_on (condition: service_started | service_healthy), networks (aliases),
                     volumes (named volumes, tmpfs), tmpfs, user, working_dir, x-agentbench
    top level:       services, volumes (named, no driver), networks (names only), name, version, x-*

Every other key (ports, bind mounts, privileged, ...) is an error naming the file, the service and the
key, at collection. Nothing is ever published on a host port: the agent reaches a service by its name
(and aliases) on the item's private network, which every network a file names stands for.

What tasks need beyond Compose lives under `x-agentbench` (the specification's extension keys):

    services.<name>.x-agentbench:
      files:   {./seed: /seed}          task files copied into the service before it starts
      init:    ["git-repo app /seed"]   commands run in the service, in order, once the stack is healthy
      collect: {log.txt: "git log"}     commands run after the agent stops; their output is saved for
                                        the evaluator (services/<name>/log.txt) and kept in the run group
    x-agentbench:
      agent_env: {GIT_URL: http://...}  the agent's environment: where the services are, its credentials
      coworkers: {chat: chat}           colleagues played by a model in that chat service, as
                                        scenarios.json (TheAgentCompany's format) defines them
      lifetime: worker                  initialised once per xdist worker, every item restarted from
                                        that state (default: item, a fresh stack per item)

Compose interpolates `${VAR}` from the host's environment; a task must not depend on the host it runs
on, so a `$` that is not written `$$` (a literal dollar) is an error.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ..spec import SpecError, yaml_error
from .coworkers import SCENARIOS_FILE, Coworkers, load_scenarios

COMPOSE_FILE = "compose.yaml"
SERVICE_KEYS = {"build", "image", "environment", "command", "healthcheck", "depends_on", "networks", "volumes",
                "tmpfs", "user", "working_dir", "x-agentbench"}
TOP_KEYS = {"services", "volumes", "networks", "name", "version", "x-agentbench"}
EXTENSION_KEYS = {"files", "init", "collect"}
TOP_EXTENSION_KEYS = {"agent_env", "coworkers", "lifetime"}
LIFETIMES = ("item", "worker")
COWORKER_KEYS = {"chat", "scenarios"}
HEALTH_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}
CONDITIONS = {"service_started", "service_healthy"}
NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")


@dataclass(frozen=True)
class HealthCheck:
    """Docker's semantics, run by the harness: a check every `start_interval` during `start_period`,
    every `interval` after; unhealthy after `retries` failures past the start period."""

    test: list[str]  # argv; ["sh", "-c", ...] for CMD-SHELL
    interval: float = 30.0
    timeout: float = 30.0
    retries: int = 3
    start_period: float = 0.0
    start_interval: float = 5.0  # as Docker; a task that wants its stack up in seconds sets it lower

    @property
    def deadline(self) -> float:
        """Seconds after the start by which the service is healthy or never will be."""
        return self.start_period + self.retries * (self.interval + self.timeout)


@dataclass(frozen=True)
class Build:
    context: Path
    dockerfile: str = "Dockerfile"
    args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Service:
    name: str
    build: Build | None = None
    image: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    command: list[str] | None = None
    healthcheck: HealthCheck | None = None
    depends_on: dict[str, str] = field(default_factory=dict)  # service -> condition
    aliases: list[str] = field(default_factory=list)
    volumes: dict[str, tuple[str, bool]] = field(default_factory=dict)  # volume -> (target, read only)
    tmpfs: dict[str, str] = field(default_factory=dict)  # target -> mount options
    user: str | None = None
    working_dir: str | None = None
    files: list[tuple[Path, str]] = field(default_factory=list)
    init: list[str] = field(default_factory=list)
    collect: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Stack:
    path: Path
    services: dict[str, Service]
    volumes: list[str]
    agent_env: dict[str, str]
    coworkers: Coworkers | None = None  # colleagues played by a model, in the chat service (coworkers.py)
    lifetime: str = "item"  # "worker": initialised once per worker, each item restarted from that state

    def start_order(self) -> list[list[str]]:
        """The services in waves: each wave depends only on services of earlier waves."""
        waves, placed = [], set()
        while len(placed) < len(self.services):
            wave = sorted(n for n, s in self.services.items() if n not in placed and set(s.depends_on) <= placed)
            waves.append(wave)
            placed.update(wave)
        return waves


def load_stack(path: Path) -> Stack:
    """The stack a compose file declares, every key checked (SpecError naming file, line, service, key)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise SpecError(path, f"cannot read the compose file: {e.strerror}") from None
    try:
        data, root = yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as e:
        raise yaml_error(path, e) from None
    return _Reader(path, root).stack(data)


class _Reader:
    def __init__(self, path: Path, root):
        self.path, self.root = path, root

    def error(self, message: str, *where: str) -> SpecError:
        return SpecError(self.path, message, field=".".join(where) or None, line=self._line(where))

    def _line(self, where: tuple[str, ...]) -> int | None:
        node, line = self.root, None
        for key in where:
            if not isinstance(node, yaml.MappingNode):
                break
            for k, v in node.value:
                if k.value == key:
                    node, line = v, k.start_mark.line + 1
                    break
            else:
                break
        return line

    def mapping(self, value, *where: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(f"expected a mapping, got {_kind(value)}", *where)
        return value

    def keys(self, value: dict, allowed: set[str], what: str, *where: str) -> None:
        for key in value:
            if key not in allowed and not (what == "the top level" and str(key).startswith("x-")):
                raise self.error(f"{what}: the key {key!r} is outside the Compose subset the harness runs "
                                 f"(supported: {', '.join(sorted(allowed))})", *where, str(key))

    def string(self, value, *where: str) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.error(f"expected a string, got {_kind(value)}", *where)
        text = str(value)
        if re.search(r"(?<!\$)\$(?!\$)", text.replace("$$", "")):
            raise self.error("a `$` here would be interpolated from the host's environment, which a task must "
                             "not depend on; write `$$` for a literal dollar", *where)
        return text.replace("$$", "$")

    def strings(self, value, *where: str) -> list[str]:
        if isinstance(value, str):
            return [self.string(value, *where)]
        if not isinstance(value, list):
            raise self.error(f"expected a list of strings, got {_kind(value)}", *where)
        return [self.string(v, *where) for v in value]

    def duration(self, value, *where: str) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        parts = re.findall(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)", str(value))
        if not parts or "".join(a + b for a, b in parts) != str(value).replace(" ", ""):
            raise self.error(f"expected a duration such as 1s, 500ms or 1m30s, got {value!r}", *where)
        unit = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
        return sum(float(n) * unit[u] for n, u in parts)

    def key_values(self, value, *where: str) -> dict[str, str]:
        """environment, args: a mapping, or a list of KEY=VALUE."""
        if isinstance(value, list):
            pairs = {}
            for item in value:
                key, sep, val = self.string(item, *where).partition("=")
                if not sep:
                    raise self.error(f"{item!r}: expected KEY=VALUE (a value from the host's environment is "
                                     f"outside the subset)", *where)
                pairs[key] = val
            return pairs
        return {str(k): "" if v is None else self.string(v, *where, str(k))
                for k, v in self.mapping(value, *where).items()}

    # --- the document -----------------------------------------------------------------------------

    def stack(self, data) -> Stack:
        data = self.mapping(data)
        self.keys(data, TOP_KEYS, "the top level")
        volumes = self.mapping(data.get("volumes"), "volumes")
        for name, spec in volumes.items():
            if spec:  # a driver, external, labels: the harness makes its own labelled volumes
                raise self.error("a volume's options are outside the subset: declare it with no keys",
                                 "volumes", str(name))
        networks = self.mapping(data.get("networks"), "networks")
        for name, spec in networks.items():
            if spec and set(self.mapping(spec, "networks", str(name))) - {"internal"}:
                raise self.error("a network's options are outside the subset: every network is the item's "
                                 "one private network", "networks", str(name))
        raw = self.mapping(data.get("services"), "services")
        if not raw:
            raise self.error("no services declared", "services")
        services = {str(n): self.service(str(n), s, set(map(str, volumes)), set(map(str, networks)) | {"default"})
                    for n, s in raw.items()}
        for service in services.values():
            for dep, condition in service.depends_on.items():
                if dep not in services:
                    raise self.error(f"depends on {dep!r}, which is not a service of this file",
                                     "services", service.name, "depends_on")
                if condition == "service_healthy" and services[dep].healthcheck is None:
                    raise self.error(f"waits for {dep!r} to be healthy, but {dep!r} has no healthcheck",
                                     "services", service.name, "depends_on")
        extension = self.mapping(data.get("x-agentbench"), "x-agentbench")
        self.keys(extension, TOP_EXTENSION_KEYS, "x-agentbench", "x-agentbench")
        stack = Stack(self.path, services, sorted(map(str, volumes)),
                      self.key_values(extension.get("agent_env") or {}, "x-agentbench", "agent_env"),
                      self.coworkers(extension.get("coworkers"), services, "x-agentbench", "coworkers"))
        self._check_acyclic(stack)
        lifetime = self.string(extension.get("lifetime", "item"), "x-agentbench", "lifetime")
        if lifetime not in LIFETIMES:
            raise self.error(f"expected one of {', '.join(LIFETIMES)}, got {lifetime!r}", "x-agentbench", "lifetime")
        if lifetime == "worker":
            # A worker's stack is kept as its containers' file systems (stack.py): a volume lives in its
            # one service's, so two services cannot share one.
            for volume in stack.volumes:
                users = sorted(n for n, s in services.items() if volume in s.volumes)
                if len(users) > 1:
                    raise self.error(f"volume {volume!r} is shared by {', '.join(users)}: with lifetime worker "
                                     f"each volume belongs to one service", "x-agentbench", "lifetime")
        return replace(stack, lifetime=lifetime)

    def _check_acyclic(self, stack: Stack) -> None:
        placed: set[str] = set()
        while len(placed) < len(stack.services):
            wave = {n for n, s in stack.services.items() if n not in placed and set(s.depends_on) <= placed}
            if not wave:
                stuck = sorted(set(stack.services) - placed)
                raise self.error(f"depends_on makes a cycle among {', '.join(stuck)}", "services", stuck[0],
                                 "depends_on")
            placed |= wave

    def coworkers(self, value, services: dict[str, Service], *where: str) -> Coworkers | None:
        """Colleagues in a chat service: `{chat: SERVICE, scenarios: FILE}` (TheAgentCompany's
        scenarios.json beside the compose file by default)."""
        if value is None:
            return None
        value = self.mapping(value, *where)
        self.keys(value, COWORKER_KEYS, "coworkers", *where)
        chat = self.string(value.get("chat", "chat"), *where, "chat")
        if chat not in services:
            raise self.error(f"the coworkers' chat service {chat!r} is not a service of this file", *where, "chat")
        scenarios = (self.path.parent / self.string(value.get("scenarios", SCENARIOS_FILE), *where,
                                                    "scenarios")).resolve()
        return Coworkers(chat=chat, people=load_scenarios(scenarios), scenarios=scenarios)

    def service(self, name: str, data, volumes: set[str], networks: set[str]) -> Service:
        where = ("services", name)
        if not NAME.fullmatch(name):
            raise self.error("a service name is letters, digits, '.', '_' and '-'", *where)
        data = self.mapping(data, *where)
        self.keys(data, SERVICE_KEYS, f"service {name!r}", *where)
        build = self.build(data["build"], *where, "build") if "build" in data else None
        image = self.string(data["image"], *where, "image") if "image" in data else None
        if build is None and image is None:
            raise self.error("needs `build` (a folder with a Dockerfile) or `image`", *where)
        command = data.get("command")
        if isinstance(command, str):
            command = shlex.split(self.string(command, *where, "command"))
        elif command is not None:
            command = self.strings(command, *where, "command")
        extension = self.mapping(data.get("x-agentbench"), *where, "x-agentbench")
        self.keys(extension, EXTENSION_KEYS, f"service {name!r}: x-agentbench", *where, "x-agentbench")
        mounts, tmpfs = self.volumes(data.get("volumes") or [], volumes, *where, "volumes")
        for entry in self.strings(data.get("tmpfs") or [], *where, "tmpfs"):
            target, _, options = entry.partition(":")
            tmpfs[target] = options
        return Service(
            name=name, build=build, image=image,
            environment=self.key_values(data.get("environment") or {}, *where, "environment"),
            command=command, healthcheck=self.healthcheck(data.get("healthcheck"), *where, "healthcheck"),
            depends_on=self.depends_on(data.get("depends_on") or [], *where, "depends_on"),
            aliases=self.aliases(data.get("networks"), networks, *where, "networks"),
            volumes=mounts, tmpfs=tmpfs,
            user=self.string(data["user"], *where, "user") if "user" in data else None,
            working_dir=self.string(data["working_dir"], *where, "working_dir") if "working_dir" in data else None,
            files=self.files(extension.get("files"), *where, "x-agentbench", "files"),
            init=self.strings(extension.get("init") or [], *where, "x-agentbench", "init"),
            collect=self.collect(extension.get("collect"), *where, "x-agentbench", "collect"))

    def build(self, value, *where: str) -> Build:
        if isinstance(value, str):
            value = {"context": value}
        value = self.mapping(value, *where)
        self.keys(value, {"context", "dockerfile", "args"}, "build", *where)
        context = (self.path.parent / self.string(value.get("context", "."), *where, "context")).resolve()
        dockerfile = self.string(value.get("dockerfile", "Dockerfile"), *where, "dockerfile")
        if not (context / dockerfile).is_file():
            raise self.error(f"no {dockerfile} in the build context {context}", *where)
        return Build(context, dockerfile, self.key_values(value.get("args") or {}, *where, "args"))

    def healthcheck(self, value, *where: str) -> HealthCheck | None:
        if value is None:
            return None
        value = self.mapping(value, *where)
        self.keys(value, HEALTH_KEYS, "healthcheck", *where)
        if value.get("disable"):
            return None
        test = value.get("test")
        if isinstance(test, str):
            argv = ["sh", "-c", self.string(test, *where, "test")]
        else:
            test = self.strings(test or [], *where, "test")
            if not test or test[0] not in ("CMD", "CMD-SHELL", "NONE"):
                raise self.error('expected ["CMD", program, args...], ["CMD-SHELL", "command"] or a string',
                                 *where, "test")
            if test[0] == "NONE":
                return None
            argv = test[1:] if test[0] == "CMD" else ["sh", "-c", " ".join(test[1:])]
        numbers = {k: self.duration(value[k], *where, k)
                   for k in ("interval", "timeout", "start_period", "start_interval") if k in value}
        retries = value.get("retries", 3)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
            raise self.error(f"expected a whole number of at least 1, got {retries!r}", *where, "retries")
        return HealthCheck(test=argv, retries=retries, **numbers)

    def depends_on(self, value, *where: str) -> dict[str, str]:
        if isinstance(value, list):
            return {self.string(v, *where): "service_started" for v in value}
        found = {}
        for dep, spec in self.mapping(value, *where).items():
            spec = self.mapping(spec, *where, str(dep))
            self.keys(spec, {"condition"}, f"depends_on {dep!r}", *where, str(dep))
            condition = spec.get("condition", "service_started")
            if condition not in CONDITIONS:
                raise self.error(f"condition {condition!r} is outside the subset (supported: "
                                 f"{', '.join(sorted(CONDITIONS))})", *where, str(dep), "condition")
            found[str(dep)] = condition
        return found

    def aliases(self, value, networks: set[str], *where: str) -> list[str]:
        names = {v: None for v in self.strings(value, *where)} if isinstance(value, list) else \
            self.mapping(value, *where)
        aliases = []
        for network, spec in names.items():
            if str(network) not in networks:
                raise self.error(f"network {network!r} is not declared under the top-level `networks`", *where)
            spec = self.mapping(spec, *where, str(network))
            self.keys(spec, {"aliases"}, f"network {network!r}", *where, str(network))
            aliases += self.strings(spec.get("aliases") or [], *where, str(network), "aliases")
        return aliases

    def volumes(self, value, declared: set[str], *where: str) -> tuple[dict, dict]:
        mounts, tmpfs = {}, {}
        if not isinstance(value, list):
            raise self.error(f"expected a list, got {_kind(value)}", *where)
        for entry in value:
            if isinstance(entry, str):
                parts = self.string(entry, *where).split(":")
                if len(parts) < 2:
                    raise self.error(f"{entry!r}: an anonymous volume is outside the subset; name it "
                                     f"(name:/path) and declare it under the top-level `volumes`", *where)
                entry = {"type": "volume", "source": parts[0], "target": parts[1],
                         "read_only": parts[2:] == ["ro"]}
                if parts[0].startswith((".", "/", "~")):
                    entry["type"] = "bind"
            entry = self.mapping(entry, *where)
            kind = entry.get("type", "volume")
            if kind == "tmpfs":
                size = (entry.get("tmpfs") or {}).get("size")
                tmpfs[self.string(entry.get("target"), *where, "target")] = f"size={size}" if size else ""
                continue
            if kind != "volume":
                raise self.error(f"a {kind} mount is outside the subset (host paths do not reach a remote engine); "
                                 f"use a named volume, or x-agentbench `files` to copy task files in", *where)
            source = self.string(entry.get("source"), *where, "source")
            if source not in declared:
                raise self.error(f"volume {source!r} is not declared under the top-level `volumes`", *where)
            mounts[source] = (self.string(entry.get("target"), *where, "target"), bool(entry.get("read_only")))
        return mounts, tmpfs

    def files(self, value, *where: str) -> list[tuple[Path, str]]:
        found = []
        for src, dest in self.mapping(value, *where).items():
            path = (self.path.parent / str(src)).resolve()
            if not path.exists():
                raise self.error(f"{src!r}: no such file or folder beside the compose file", *where)
            target = self.string(dest, *where, str(src))
            if not target.startswith("/"):
                raise self.error(f"{src!r}: the destination must be an absolute path, got {target!r}", *where)
            found.append((path, target))
        return found

    def collect(self, value, *where: str) -> dict[str, str]:
        commands = {}
        for name, command in self.mapping(value, *where).items():
            if not NAME.fullmatch(str(name)):
                raise self.error(f"{name!r}: a file name is letters, digits, '.', '_' and '-'", *where)
            commands[str(name)] = self.string(command, *where, str(name))
        return commands


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
