"""A second Docker engine on this machine, for the tests and benchmarks of runs over several engines:
its own dockerd with its own socket, data root, exec root, pid file, address pool and default bridge,
and no iptables rules, so nothing it does touches the machine's shared engine.

Its default bridge is an interface of its own: dockerd started with `--bridge=none` deletes the host's
`docker0` at start (libnetwork's removeDefaultBridgeInterface), which takes the shared engine's
default network, the one image builds use, away from everyone else."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import docker

from support import wait_for


class SecondEngine:
    """A dockerd of the test's own under a temporary folder; never the machine's shared engine."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="agentbench-engine2-", dir="/tmp"))
        self.address = f"unix://{self.root}/docker.sock"
        self.bridge = f"abeng{os.getpid() % 100000}"  # an interface name: at most 15 characters
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start it, or start it again after stop(). Again, without its network store: dockerd 20.10
        restarting over its store deletes the host's docker0 (the shared engine's default bridge,
        which its image builds use), and panics over a network it was creating when it stopped."""
        (self.root / "data" / "network" / "files" / "local-kv.db").unlink(missing_ok=True)
        self._start()
        if self.proc.poll() is not None:
            raise RuntimeError(f"the second engine did not start: {self.root / 'dockerd.log'}")

    def _start(self) -> None:
        (self.root / "data").mkdir(exist_ok=True)
        (self.root / "exec").mkdir(exist_ok=True)
        if subprocess.run(["ip", "link", "show", self.bridge], capture_output=True).returncode != 0:
            subprocess.run(["ip", "link", "add", self.bridge, "type", "bridge"], check=True)
        log = open(self.root / "dockerd.log", "ab")
        self.proc = subprocess.Popen(
            ["dockerd", "--host", self.address, "--data-root", str(self.root / "data"),
             "--exec-root", str(self.root / "exec"), "--pidfile", str(self.root / "docker.pid"),
             # Its own bridge (never --bridge=none: see above) and no iptables rules: nothing it sets up
             # can clash with the shared engine's.
             f"--bridge={self.bridge}", "--iptables=false", "--ip-masq=false",
             # Its own range, apart from the shared engine's 172.16.0.0/12 and from another test
             # process's second engine (a suite under -n may start one per worker).
             "--default-address-pool", f"base=10.{210 + os.getpid() % 40}.0.0/16,size=24"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: self.answers() or self.proc.poll() is not None, 60,
                 f"the second engine at {self.address} ({self.root / 'dockerd.log'})")

    def answers(self) -> bool:
        try:
            return docker.DockerClient(base_url=self.address, timeout=5).ping()
        except Exception:  # noqa: BLE001 - not up (yet)
            return False

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.address, timeout=120)

    def stop(self) -> None:
        """SIGTERM to our dockerd (it stops its containers and its containerd), then SIGKILL if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def remove(self) -> None:
        self.stop()
        for mount in reversed(_mounts_under(self.root)):  # a dockerd cut short may leave overlays mounted
            subprocess.run(["umount", "-l", mount], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)


def _mounts_under(root: Path) -> list[str]:
    with open("/proc/mounts") as f:
        return [line.split()[1] for line in f if line.split()[1].startswith(str(root))]
