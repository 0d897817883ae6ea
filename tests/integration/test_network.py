"""The network the spec allows, no more: from the agent's container none of the host's ports answer,
whatever address it tries; its task's services (a competition's validation server) do; and a task
that allows the internet goes out through the egress proxy, which refuses private addresses.

An agent plays the attacker; the host's server is one the test starts, bound to every address."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from support import AGENTS, TASK_SPECS, add_agent

pytestmark = pytest.mark.docker

# Tries every address it can find for the host: the gateway of each of its routes, the first address
# of each network it is on, Docker's usual bridge, host.docker.internal, the host's own addresses
# (given by the test), each directly and through the proxy it was given, if any. One line each.
PROBE = r'''
import os, socket, struct, sys
from urllib.parse import urlsplit
port = int(sys.argv[1])
hosts = set(sys.argv[2].split(",")) | {"172.17.0.1", "host.docker.internal"}
for row in open("/proc/net/route").read().splitlines()[1:]:
    f = row.split()
    dest, gateway, mask = (socket.inet_ntoa(struct.pack("<I", int(x, 16))) for x in (f[1], f[2], f[7]))
    if gateway != "0.0.0.0":
        hosts.add(gateway)
    net = struct.unpack(">I", socket.inet_aton(dest))[0]
    hosts.add(socket.inet_ntoa(struct.pack(">I", net + 1)))  # where Docker puts a network's gateway
proxy = os.environ.get("http_proxy")
print("PROXY", proxy)
for host in sorted(hosts):
    try:
        socket.create_connection((host, port), timeout=3).close()
        print("REACHED directly", host)
    except OSError as e:
        print("blocked directly", host, e)
    if proxy:
        p = urlsplit(proxy)
        try:
            s = socket.create_connection((p.hostname, p.port), timeout=5)
            s.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            status = s.recv(200).split(b"\r\n")[0].decode()
            print(("REACHED via proxy" if " 200 " in status + " " else "blocked via proxy"), host, status)
        except OSError as e:
            print("blocked via proxy", host, e)
'''

TASK = """id: {id}
name: network probe
time_limit: 120
description: probe
grader: grade.py:grade
allow_internet: {internet}
"""

GRADE = """from pytest_agentbench.grading.result import Checkpoint

def grade(outputs):
    return [Checkpoint("ran", 1, total=1)]
"""


@pytest.fixture
def host_server():
    """A TCP server on the host, on every address (as the judge endpoint was), on a free port."""
    server = socket.socket()
    server.bind(("0.0.0.0", 0))
    server.listen(16)
    accepted = []

    def serve():
        while True:
            try:
                conn, peer = server.accept()
            except OSError:
                return
            accepted.append(peer)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], accepted
    server.close()


def host_addresses() -> str:
    return ",".join(a for a in subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
                    if ":" not in a)


@pytest.fixture
def project(tmp_path, base_image_tag, monkeypatch):
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    monkeypatch.delenv("AGENTBENCH_EGRESS_ALLOW", raising=False)
    shutil.copytree(AGENTS, tmp_path / "agents")
    for internet in ("true", "false"):
        task = tmp_path / "task_specs" / "probe" / f"internet-{internet}"
        task.mkdir(parents=True)
        (task / "task.yaml").write_text(TASK.format(id=f"internet-{internet}", internet=internet))
        (task / "grade.py").write_text(GRADE)
    return tmp_path


def pytest_run(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=project,
                          capture_output=True, text=True, timeout=900)


def agent_logs(project: Path) -> dict[str, str]:
    return {json.loads(p.read_text())["task_id"]: Path(json.loads(p.read_text())["agent_run"]["log_path"]).read_text()
            for p in project.glob("runs/*/*/result.json")}


def test_no_port_of_the_host_answers_the_agent_with_or_without_internet(project, host_server):
    port, accepted = host_server
    add_agent(project, "prober", f"python3 /home/agent/probe.py {port} {host_addresses()}\n", {"probe.py": PROBE})
    done = pytest_run(project, "task_specs/probe", "--agent=prober", "-n", "2")
    logs = agent_logs(project)
    assert sorted(logs) == ["internet-false", "internet-true"], done.stdout[-3000:]
    for task, log in logs.items():
        tried = [line for line in log.splitlines() if line.startswith(("REACHED", "blocked"))]
        assert len(tried) >= 4, log  # the probe ran, and found addresses to try
        assert not [line for line in tried if line.startswith("REACHED")], (task, log)
    assert "PROXY http://egress-proxy:3128" in logs["internet-true"]  # the sanctioned way out was tried too
    assert "PROXY None" in logs["internet-false"]
    assert accepted == []


def test_the_agent_reaches_its_validation_server(tmp_path, base_image_tag, monkeypatch):
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    shutil.copytree(TASK_SPECS / "mle" / "iris-species", tmp_path / "task_specs" / "mle" / "iris-species")
    shutil.copytree(AGENTS, tmp_path / "agents")
    add_agent(tmp_path, "validator", "curl -sS --max-time 20 ${VALIDATION_URL%/validate}/health | sed 's/^/VIA PROXY /'\n"
                                     "curl -sS --max-time 20 --noproxy '*' ${VALIDATION_URL%/validate}/health"
                                     " | sed 's/^/DIRECT /'\n")
    done = pytest_run(tmp_path, "task_specs", "--agent=validator")
    [log] = agent_logs(tmp_path).values()
    assert "VIA PROXY ok" in log and "DIRECT ok" in log, (log, done.stdout[-2000:])


@pytest.fixture
def outside_server(docker_client, base_image_tag):
    """An HTTP server in a container on a network of the test's own, a stand-in for the internet: reached
    at the port it publishes on the host's first address (Docker isolates bridge networks from each other)."""
    labels = {"agentbench.test": f"network-{uuid.uuid4().hex[:8]}"}
    network = docker_client.networks.create(f"agentbench-test-outside-{uuid.uuid4().hex[:8]}", labels=labels)
    container = docker_client.containers.run(
        base_image_tag, ["python3", "-c", "import http.server, os; os.chdir('/tmp');"
                         "open('hello.txt', 'w').write('hello from outside');"
                         "http.server.test(http.server.SimpleHTTPRequestHandler, port=8000, bind='0.0.0.0')"],
        detach=True, network=network.name, labels=labels, user="nobody", ports={"8000/tcp": None})
    try:
        container.reload()
        port = container.attrs["NetworkSettings"]["Ports"]["8000/tcp"][0]["HostPort"]
        yield f"{host_addresses().split(',')[0]}:{port}"
    finally:
        container.remove(force=True)
        network.remove()


def test_egress_goes_through_the_proxy_only_and_it_refuses_private_addresses(project, outside_server, monkeypatch):
    url = f"http://{outside_server}/hello.txt"
    add_agent(project, "fetcher", f"sleep 1\ncurl -sS --max-time 20 {url} | sed 's/^/VIA PROXY /'\n"
                                  f"curl -sS --max-time 5 --noproxy '*' {url} 2>&1 | sed 's/^/DIRECT /'\n")
    refused = pytest_run(project, "task_specs/probe", "--agent=fetcher", "-k", "internet-true")
    log = agent_logs(project)["internet-true"]
    assert "VIA PROXY" in log and "hello from outside" not in log, (log, refused.stdout[-2000:])
    assert "not a public address" in log

    shutil.rmtree(project / "runs")
    monkeypatch.setenv("AGENTBENCH_EGRESS_ALLOW", outside_server)  # the test's one exception
    allowed = pytest_run(project, "task_specs/probe", "--agent=fetcher")
    logs = agent_logs(project)
    assert "VIA PROXY hello from outside" in logs["internet-true"], (logs, allowed.stdout[-2000:])
    assert "DIRECT hello" not in logs["internet-true"]  # no way around the proxy
    assert "hello from outside" not in logs["internet-false"]  # and no proxy without the internet


def test_apt_in_the_agent_s_container_reaches_the_debian_mirror_images_are_built_from(project):
    """TAC's install tasks are done by apt-get, root in the task's container: the egress proxy lets the
    agent reach the Debian mirror the harness builds images from, even at a private address (a local
    mirror: the proxy refused it before, '403 ... is not a public address'), and still nothing else."""
    from pytest_agentbench.sandbox.images import host_debian_source
    source = host_debian_source()
    add_agent(project, "apt", f"curl -sS --max-time 60 -o /dev/null -w 'MIRROR %{{http_code}}\\n' "
                              f"{source.mirror.rstrip('/')}/dists/{source.suite}/Release 2>&1\n")
    run = pytest_run(project, "task_specs/probe", "--agent=apt", "-k", "internet-true")
    log = agent_logs(project)["internet-true"]
    assert "MIRROR 200" in log, (log, run.stdout[-2000:])
