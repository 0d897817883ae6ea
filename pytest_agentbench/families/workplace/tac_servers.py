"""TheAgentCompany's own servers, when the user runs them (`--tac-server HOST`, or SERVER_HOSTNAME).

A TAC folder whose dependencies.yml names services, and which brings no compose.yaml of ours, runs
against the user's server host as TAC's harness runs it (its base image's init.sh):

- **The name.** The agent's container reaches `the-agent-company.com` on TAC's ports: a tunnel
  container on the item's internal network answers to that name and passes each connection, over
  its `docker exec` stream, to this process, which connects to HOST (tac_tunnel.py). So the item's
  network stays internal (the agent reaches that host's TAC ports and nothing else of the host's
  network), and a host only the harness's machine reaches (localhost, a VPN) works as in TAC.
  The grader gets a tunnel of its own: TAC's evaluators read the servers.
- **One item per server at a time.** Items whose dependencies share a server never overlap, across
  xdist workers and across runs on this machine: each holds a lock per server it names (a file lock
  under the temporary folder, keyed by host and server), taken in sorted order before anything of the
  item starts and held until it is graded (TAC's evaluators read the servers after the agent).
- **TAC's reset, then its init.** Before the agent: reset.sh's requests (POST :2999/api/reset-<name>
  for each of its four resettable servers the task names, then GET /api/healthcheck/<name> until 200),
  made from here; then, in the agent's container as root, the folder's pre_init.sh, pre_init.py,
  populate_data.py, post_init.sh and post_init.py, in init.sh's order, beside TAC's `config` and
  `common` modules (our tac/ package) and the folder's own helper modules, removed before the agent
  starts. Everything is written to the item's init.log; a step that fails, or an init past
  `--tac-init-timeout`, is an error of that item with the step's output. Other items run on.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import shlex
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from ...sandbox.base import ContainerConfig, Sandbox, SandboxEngine, SandboxSpec

TAC_HOST = "the-agent-company.com"
# TAC's ports (its config.py, servers/): the reset API, RocketChat, GitLab, ownCloud, Plane, and the
# Redis its coworkers' profiles live in.
TAC_PORTS = (2999, 3000, 8929, 8092, 8091, 6379)
RESET_PORT = 2999
RESETTABLE = ("rocketchat", "plane", "gitlab", "owncloud")  # the servers reset.sh resets, in its order
INIT_STEPS = ("pre_init.sh", "pre_init.py", "populate_data.py", "post_init.sh", "post_init.py")  # init.sh's order
DEFAULT_INIT_TIMEOUT = 1800  # seconds: TAC waits up to 15 minutes for a reset alone
HEALTH_POLL = 1.0  # seconds between health checks (TAC's reset.sh: 5)
INIT_DIR = "/tmp/.agentbench-tac-init"  # in the agent's container, root's only, gone before the agent starts
TUNNEL = Path(__file__).with_name("tac_tunnel.py")
TUNNEL_PATH = "/opt/agentbench/tac_tunnel.py"
TUNNEL_READY_TIMEOUT = 60
CHAT_BRIDGE = Path(__file__).with_name("tac_chat_bridge.py")
CHAT_BRIDGE_COMMAND = ["python3", "-I", "/opt/agentbench/tac_chat_bridge.py"]
SERVER_ENV = "SERVER_HOSTNAME"


class InitError(RuntimeError):
    """TAC's reset or init of one item failed: that item is an error, the run goes on."""


def no_proxy(existing: str | None) -> str:
    """NO_PROXY with TAC's name in it: the servers are reached directly, never through the egress proxy."""
    names = [n for n in (existing or "localhost,127.0.0.1,::1").split(",") if n]
    return ",".join(names + ([TAC_HOST] if TAC_HOST not in names else []))


# --- one item per server ------------------------------------------------------------------------

class ServerLocks:
    """The locks of the servers one item names, on one server host: taken in sorted order (two items
    naming the same two servers cannot each hold one and wait for the other)."""

    def __init__(self, host: str, servers: list[str]):
        self.host, self.servers = host, sorted({s.lower() for s in servers})
        self._files: list = []

    def acquire(self) -> float:
        """Block until this item holds every lock; returns the seconds waited."""
        start = time.monotonic()
        folder = Path(tempfile.gettempdir()) / "agentbench-tac-servers"
        folder.mkdir(exist_ok=True)
        for server in self.servers:
            name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{self.host}-{server}") + ".lock"
            handle = open(folder / name, "a")  # noqa: SIM115 - held until release()
            fcntl.flock(handle, fcntl.LOCK_EX)
            self._files.append(handle)
        return time.monotonic() - start

    def release(self) -> None:
        for handle in reversed(self._files):
            handle.close()  # closing the file drops its lock
        self._files.clear()


# --- TAC's reset ---------------------------------------------------------------------------------

_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the host's own proxies do not apply


def reset(host: str, dependencies: list[str], deadline: float, log) -> None:
    """reset.sh's requests: reset each resettable server the task names, then wait until all are healthy."""
    servers = [s for s in RESETTABLE if s in {d.lower() for d in dependencies}]
    if not servers:
        log(f"reset: none of {', '.join(RESETTABLE)} in dependencies.yml, nothing to reset")
        return
    base = f"http://{host}:{RESET_PORT}/api"
    for server in servers:
        status, body = _http("POST", f"{base}/reset-{server}", deadline)
        log(f"reset: POST {base}/reset-{server}: {status} {body[:500]}")
        if status is None or status >= 400:
            raise InitError(f"TheAgentCompany's reset of {server} on {host} failed: POST {base}/reset-{server} "
                            f"answered {status if status is not None else 'nothing'}: {body[:500]}")
    waiting = list(servers)
    last = ""
    while waiting:
        status, body = _http("GET", f"{base}/healthcheck/{waiting[0]}", deadline)
        if status == 200:
            log(f"reset: {waiting.pop(0)} is healthy")
            continue
        last = f"GET {base}/healthcheck/{waiting[0]}: {status if status is not None else body}"
        if time.monotonic() + HEALTH_POLL >= deadline:
            raise InitError(f"TheAgentCompany's servers on {host} were not healthy after their reset within the "
                            f"init's time limit (--tac-init-timeout): {', '.join(waiting)} still waiting; "
                            f"last: {last[:500]}")
        time.sleep(HEALTH_POLL)


def _http(method: str, url: str, deadline: float) -> tuple[int | None, str]:
    timeout = max(1.0, min(30.0, deadline - time.monotonic()))
    try:
        with _direct.open(urllib.request.Request(url, method=method, data=b"" if method == "POST" else None),
                          timeout=timeout) as answer:
            return answer.status, answer.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read(4096).decode("utf-8", "replace")
    except (OSError, ValueError) as e:
        return None, f"{type(e).__name__}: {e}"


# --- TAC's init, in the agent's container --------------------------------------------------------

def init_files(folder: Path, tac_modules: Path) -> tuple[list[tuple[Path, str]], list[str]]:
    """What the init needs in the container (TAC's modules, the folder's own Python modules, its init
    scripts) and the steps to run, in init.sh's order. A folder keeps them beside task.md or in utils/."""
    files = [(p, f"{INIT_DIR}/{p.name}") for p in sorted(tac_modules.glob("*.py"))]
    steps = []
    for where in (folder / "utils", folder):  # the folder's own win over utils/'s, and over ours
        for p in sorted(where.glob("*.py")) if where.is_dir() else []:
            if p.name != "evaluator.py":
                files.append((p, f"{INIT_DIR}/{p.name}"))
    for step in INIT_STEPS:
        found = next((p for p in (folder / step, folder / "utils" / step) if p.is_file()), None)
        if found is not None:
            if found.suffix == ".sh":
                files.append((found, f"{INIT_DIR}/{step}"))
            steps.append(step)
    return files, steps


def run_init(sandbox: Sandbox, folder: Path, tac_modules: Path, deadline: float, log) -> None:
    """init.sh's steps after the reset, each as root in /workspace, with TAC's `python_default`."""
    files, steps = init_files(folder, tac_modules)
    if not steps:
        log("init: no pre_init, populate_data or post_init in the folder")
        return
    sandbox.exec(["mkdir", "-p", "-m", "700", f"{INIT_DIR}/bin"], user="root", record=False)
    for src, dest in files:
        sandbox.copy_in(src, dest)
    # TAC's base image links python_default to its Python, so that an agent's own `python` cannot shadow it
    sandbox.exec(["sh", "-c", f'ln -sf "$(command -v python3)" {INIT_DIR}/bin/python_default'], user="root",
                 record=False)
    env = {"PYTHONPATH": INIT_DIR, "PATH": f"{INIT_DIR}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
    try:
        for step in steps:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise InitError(f"TheAgentCompany's init ran past its time limit (--tac-init-timeout) before {step}")
            command = ["bash", f"{INIT_DIR}/{step}"] if step.endswith(".sh") else ["python3", f"{INIT_DIR}/{step}"]
            done = sandbox.exec(command, user="root", env=env, workdir="/workspace", timeout=remaining, record=False)
            log(f"init: {shlex.join(command)}: exit {done.exit_code}{' (timed out)' if done.timed_out else ''}"
                f"\n{done.output}")
            if done.timed_out:
                raise InitError(f"TheAgentCompany's init step {step} ran past the init's time limit "
                                f"(--tac-init-timeout); its output:\n{done.output[-3000:]}")
            if done.exit_code != 0:
                raise InitError(f"TheAgentCompany's init step {step} failed (exit {done.exit_code}); its output:"
                                f"\n{done.output[-3000:]}")
    finally:  # the scripts and helpers may hold what the agent must not read
        removed = sandbox.exec(["rm", "-rf", INIT_DIR], user="root", record=False, timeout=60)
        if removed.exit_code != 0:  # never start the agent beside them
            raise InitError(f"could not remove TheAgentCompany's init scripts ({INIT_DIR}) from the agent's "
                            f"container: {removed.output[-500:]}")


# --- the tunnel's host end -----------------------------------------------------------------------

class Tunnel:
    """A tunnel container on `network`, answering as the-agent-company.com, and this process's end of
    it, which connects to `host`. Discarding the container (as any of the item's) ends both."""

    def __init__(self, engine: SandboxEngine, image: str, network: str, name: str, host: str,
                 config: ContainerConfig | None = None):
        self.host = host
        self.ready = threading.Event()
        self.ended: list = []  # the exec's result, or what broke it
        self._send = None
        self._servers: dict[int, socket.socket] = {}
        self._half_closed: set[int] = set()  # connections one side of which has ended
        self._lock = threading.Lock()
        self.sandbox = engine.start(SandboxSpec(image=image, name=name, network=network, aliases=[TAC_HOST],
                                                user="nobody", config=config or ContainerConfig()),
                                    files=[(TUNNEL, TUNNEL_PATH, 0, 0o644),
                                           (CHAT_BRIDGE, CHAT_BRIDGE_COMMAND[-1], 0, 0o644)])
        threading.Thread(target=self._serve, name=f"{name}-stream", daemon=True).start()
        if not self.ready.wait(TUNNEL_READY_TIMEOUT) or self.ended:
            engine.discard(self.sandbox)
            raise InitError(f"the tunnel to TheAgentCompany's servers ({name}) did not start: "
                            f"{self.ended[0] if self.ended else f'no word within {TUNNEL_READY_TIMEOUT} s'}")

    def _serve(self) -> None:
        try:
            self.ended.append(self.sandbox.exec_dialog(
                ["python3", "-I", TUNNEL_PATH, "--ports", ",".join(map(str, TAC_PORTS))], answer=self._on_line,
                user="nobody", on_start=self._connect))
        except BaseException as e:  # noqa: BLE001 - reported by the start-up check
            self.ended.append(e)
        self.ready.set()
        for server in list(self._servers.values()):
            server.close()

    def _connect(self, send) -> None:
        self._send = send

    def _frame(self, frame: dict) -> None:
        self._send(json.dumps(frame, separators=(",", ":")).encode() + b"\n")

    def _on_line(self, line: bytes) -> None:
        frame = json.loads(line)
        if frame.get("ready"):
            self.ready.set()
            return
        call_id = frame.get("id")
        if "open" in frame:
            try:
                server = socket.create_connection((self.host, int(frame["open"])), timeout=10)
                server.settimeout(None)
            except OSError:
                self._frame({"id": call_id, "close": True})
                return
            self._servers[call_id] = server
            threading.Thread(target=self._pump, args=(call_id, server), daemon=True).start()
            return
        server = self._servers.get(call_id)
        if server is None:
            return
        try:
            if "data" in frame:
                server.sendall(base64.b64decode(frame["data"]))
            elif frame.get("eof"):
                server.shutdown(socket.SHUT_WR)
                self._ended(call_id)
            elif frame.get("close"):
                self._drop(call_id, tell=False)
        except OSError:
            self._drop(call_id)

    def _pump(self, call_id: int, server: socket.socket) -> None:
        try:
            while data := server.recv(64 * 1024):
                self._frame({"id": call_id, "data": base64.b64encode(data).decode()})
            self._frame({"id": call_id, "eof": True})
            self._ended(call_id)
        except OSError:
            self._drop(call_id)

    def _ended(self, call_id: int) -> None:
        with self._lock:
            both = call_id in self._half_closed
            self._half_closed.add(call_id)
        if both:
            self._half_closed.discard(call_id)
            self._drop(call_id, tell=False)

    def _drop(self, call_id: int, tell: bool = True) -> None:
        server = self._servers.pop(call_id, None)
        if server is not None:
            server.close()
        if tell:
            try:
                self._frame({"id": call_id, "close": True})
            except OSError:
                pass


def scenarios_of(folder: Path) -> Path | None:
    """The folder's NPC scenarios (TAC's scenarios.json, beside task.md or in utils/), if any."""
    return next((p for p in (folder / "scenarios.json", folder / "utils" / "scenarios.json") if p.is_file()), None)


def server_from(option: str | None) -> str | None:
    """The server host: the option's, else TAC's own setting (SERVER_HOSTNAME); None: TAC's service tasks skip."""
    return option or os.environ.get(SERVER_ENV) or None
