"""A run over two Docker engines (--engines): the shared engine and a second one this module starts on
this machine (its own dockerd, socket, data root, exec root, address pool and bridge, and no iptables
rules, so the shared engine is never touched). Items land on both, images are
shipped to the second engine once (a rerun ships nothing), nothing labelled with the run is left on
either after a run, after Ctrl-C, or after the second engine stops mid-run (its items fail naming it,
the others pass)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from second_engine import SecondEngine
from support import AGENTS, LIKE_A_TERMINAL, add_agent, labelled, wait_for

pytestmark = pytest.mark.docker

TASK = "id: {id}\nname: {id}\ntime_limit: 300\ndescription: wait\ngrader: grade.py:grade\n"
GRADE = ("from pytest_agentbench.grading.result import Checkpoint\n\n"
         "def grade(outputs):\n    return [Checkpoint('ran', 1, total=1)]\n")
ITEMS = 6


@pytest.fixture(scope="module")
def second_engine():
    if shutil.which("dockerd") is None or os.geteuid() != 0:
        pytest.skip("starting a second Docker engine needs dockerd and root")
    had_docker0 = _has_link("docker0")
    engine = SecondEngine()
    try:
        engine.start()
        yield engine
    finally:
        engine.remove()  # whatever happens: stopped, and its data root gone
    # The shared engine's default bridge, which its image builds use, outlived the second engine's
    # starts and stops.
    assert _has_link("docker0") == had_docker0, "the second engine took the host's docker0 away"


def _has_link(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


@pytest.fixture
def project(tmp_path, base_image_tag, monkeypatch, second_engine):
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")  # the locally built base, shared with every test
    shutil.copytree(AGENTS, tmp_path / "agents")
    for i in range(ITEMS):
        task = tmp_path / "task_specs" / f"t{i}"
        task.mkdir(parents=True)
        (task / "task.yaml").write_text(TASK.format(id=f"t{i}"))
        (task / "grade.py").write_text(GRADE)
    add_agent(tmp_path, "napper", "sleep 3\n")  # long enough for every worker to get an item
    add_agent(tmp_path, "sleeper", "echo started\nsleep 30\n")
    return tmp_path


def command(second_engine, *args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "task_specs", "-p", "no:cacheprovider", "-n", "4",
            "--engines", f"unix:///var/run/docker.sock,{second_engine.address}", *args]


def run(project: Path, second_engine, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(second_engine, *args), cwd=project, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=900)


def results(project: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in project.glob("runs/*/*/result.json")]


def shipped(output: str) -> list[str]:
    return re.findall(r"shipping (\S+) from \S+ to (\S+)", output)


def nothing_left(run_id: str, second_engine, docker_client) -> None:
    assert labelled(docker_client, run_id) == []
    assert labelled(second_engine.client(), run_id) == []


def test_items_run_on_both_engines_and_images_are_shipped_once(project, second_engine, docker_client):
    first = run(project, second_engine, "--agent=napper")
    assert first.returncode == 0, first.stdout[-4000:]
    done = results(project)
    assert len(done) == ITEMS and all(r["outcome"] == "passed" for r in done)
    assert {r["engine"] for r in done} == {"unix:///var/run/docker.sock", second_engine.address}
    # Built on the first engine, shipped to the second: each image once, whatever the workers racing.
    ships = shipped(first.stdout)
    assert ships and len(ships) == len(set(ships)), ships
    assert {to for _, to in ships} == {second_engine.address}
    tags = {tag for tag, _ in ships}
    assert any(tag.startswith("agentbench/agent-napper:") for tag in tags), ships
    assert all(second_engine.client().images.get(tag) for tag in tags)
    run_id = done[0]["run_id"]
    nothing_left(run_id, second_engine, docker_client)

    shutil.rmtree(project / "runs")
    rerun = run(project, second_engine, "--agent=napper")
    assert rerun.returncode == 0, rerun.stdout[-4000:]
    assert shipped(rerun.stdout) == []  # the second engine holds every tag: an unchanged rerun ships nothing
    nothing_left(results(project)[0]["run_id"], second_engine, docker_client)


def agents_running(client, run_id: str) -> list:
    return [c for c in client.api.containers(filters={"label": f"agentbench.run={run_id}"})
            if any("agent" in name for name in c["Names"])]


def start(project: Path, second_engine, *args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(command(second_engine, *args), cwd=project, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **LIKE_A_TERMINAL)
    for line in proc.stdout:
        found = re.search(r"agentbench: agent \S+, run ([0-9a-f]+)", line)
        if found:
            return proc, found.group(1)
    raise AssertionError("pytest printed no run id")


def test_ctrl_c_leaves_nothing_on_either_engine(project, second_engine, docker_client):
    proc, run_id = start(project, second_engine, "--agent=sleeper")
    try:
        wait_for(lambda: agents_running(docker_client, run_id) and agents_running(second_engine.client(), run_id),
                 300, "agents running on both engines")
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    nothing_left(run_id, second_engine, docker_client)


def test_an_engine_that_stops_fails_only_its_items(project, second_engine, docker_client):
    proc, run_id = start(project, second_engine, "--agent=sleeper")
    try:
        wait_for(lambda: len(agents_running(second_engine.client(), run_id)) == 2, 300,
                 "agents running on the second engine")
        second_engine.stop()  # the engine goes away with two of its items running
        out, _ = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    done = {r["task_id"]: r for r in results(project)}
    assert len(done) == ITEMS, out[-4000:]
    lost = [r for r in done.values() if r["outcome"] != "passed"]
    # The two items running there fail naming it; its workers take no more: the rest pass on the first.
    assert len(lost) == 2, out[-4000:]
    for r in lost:
        messages = " ".join(p.get("message") or "" for p in r["phases"].values())
        assert f"the Docker engine {second_engine.address} stopped answering" in messages, r
        assert r["engine"] == second_engine.address
    assert all(r["engine"] == "unix:///var/run/docker.sock" for r in done.values() if r["outcome"] == "passed")
    assert labelled(docker_client, run_id) == []
    # What the stopped engine still holds of the run, `agentbench cleanup` removes once it is back.
    second_engine.start()
    cleanup = subprocess.run([sys.executable, "-m", "pytest_agentbench.cli", "cleanup", "--engines",
                              second_engine.address],
                             capture_output=True, text=True, timeout=300)
    assert cleanup.returncode == 0, cleanup.stderr
    assert f"on {second_engine.address}" in cleanup.stdout
    nothing_left(run_id, second_engine, docker_client)


def test_gpu_items_go_only_to_engines_labelled_for_them(project, second_engine):
    for name in ("t0", "t2"):  # the first items of the first engine's workers, were it not for their marker
        spec = project / "task_specs" / name / "task.yaml"
        spec.write_text(spec.read_text() + "markers: [gpu]\n")
    (project / "engines.yaml").write_text(
        "engines:\n  - address: unix:///var/run/docker.sock\n    slots: 2\n"
        f"  - address: {second_engine.address}\n    slots: 2\n    labels: {{gpu: true}}\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "task_specs", "-p", "no:cacheprovider", "-n", "4",
                           "--engines-file", "engines.yaml", "--agent=napper"],
                          cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:]
    engines = {r["task_id"]: r["engine"] for r in results(project)}
    assert len(engines) == ITEMS
    assert engines["t0"] == engines["t2"] == second_engine.address, engines


def test_a_docker_context_names_an_engine(second_engine, tmp_path, monkeypatch):
    from pytest_agentbench.sandbox import EngineUnavailable
    from pytest_agentbench.sandbox.docker import DockerEngine

    config = tmp_path / "docker-config"  # the CLI's and docker-py's contexts, not the machine's
    config.mkdir()
    (config / "config.json").write_text("{}")  # docker-py finds contexts beside a config.json only
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    subprocess.run(["docker", "context", "create", "second", "--docker", f"host={second_engine.address}"],
                   check=True, capture_output=True)
    engine = DockerEngine("tests", address="second")
    engine.ping()
    assert engine.client.info()["DockerRootDir"] == str(second_engine.root / "data")
    with pytest.raises(EngineUnavailable, match="the Docker engine at nowhere does not answer.*no docker context named"):
        DockerEngine("tests", address="nowhere").ping()
