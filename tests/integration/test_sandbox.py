"""The sandbox interface (sandbox/base.py) on the Docker engine: what a second engine must do as well."""

from __future__ import annotations

import io
import tarfile

import pytest

from pytest_agentbench.sandbox import SandboxSpec
from support import labelled

pytestmark = pytest.mark.docker


@pytest.fixture
def sandbox(engine, base_image_tag):
    sandbox = engine.start(SandboxSpec(image=base_image_tag, name=f"{engine.run_id}-box"))
    yield sandbox
    sandbox.remove()


def test_a_command_past_its_timeout_stops_and_the_sandbox_keeps_running(sandbox, docker_client):
    started = sandbox.exec(["bash", "-c", "echo started; sleep 1000"], timeout=2)
    assert started.timed_out and started.exit_code is None
    assert "started" in started.output
    assert docker_client.containers.get(sandbox.name).status == "running"
    # The sandbox answers the next command, and the stopped one is gone from it.
    after = sandbox.exec(["bash", "-c", "echo alive; ps -eo args"])
    assert after.exit_code == 0 and not after.timed_out
    assert "alive" in after.output and "sleep 1000" not in after.output


def test_a_command_within_its_timeout_keeps_its_exit_code(sandbox):
    done = sandbox.exec(["bash", "-c", "exit 3"], timeout=30)
    assert done.exit_code == 3 and not done.timed_out


def test_past_kill_sandbox_after_the_whole_sandbox_is_killed(sandbox, docker_client):
    done = sandbox.exec(["sleep", "1000"], kill_sandbox_after=2)
    assert done.timed_out and done.exit_code is None
    assert docker_client.containers.get(sandbox.name).status != "running"


def test_an_image_exported_loads_back(engine, tmp_path, docker_client):
    rootfs = tmp_path / "rootfs.tar"
    with tarfile.open(rootfs, "w") as tar:
        data = b"shipped\n"
        info = tarfile.TarInfo("mark")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    tag = f"agentbench-test/{engine.run_id}:1"
    engine.import_image(rootfs, tag)
    try:
        assert engine.image_exists(tag)
        engine.export_image(tag, tmp_path / "image.tar")
        docker_client.images.remove(tag)
        assert not engine.image_exists(tag)
        assert tag in engine.load_image(tmp_path / "image.tar")
        assert engine.image_exists(tag)
    finally:
        if engine.image_exists(tag):
            docker_client.images.remove(tag, force=True)


def test_volumes_and_networks_carry_the_run_label_so_the_sweep_removes_them(engine, base_image_tag,
                                                                           docker_client):
    volume = engine.create_volume(f"{engine.run_id}-data")
    first = engine.create_network(f"{engine.run_id}-net1", internal=True)
    network = engine.create_network(f"{engine.run_id}-net2", internal=False)
    sandbox = engine.start(SandboxSpec(image=base_image_tag, name=f"{engine.run_id}-box", network=first))
    engine.connect_network(sandbox, network, aliases=["box"])
    attached = docker_client.containers.get(sandbox.name).attrs["NetworkSettings"]["Networks"]
    assert "box" in (attached[network].get("Aliases") or [])
    found = labelled(docker_client, engine.run_id)
    assert f"volume {volume}" in found and f"network {network}" in found
    engine.remove_volume(volume)
    engine.remove_volume(volume)  # idempotent
    assert f"volume {volume}" not in labelled(docker_client, engine.run_id)
    engine.drain()
    engine.sweep(engine.run_id)
    assert labelled(docker_client, engine.run_id) == []


def test_a_sandbox_s_changes_saved_and_applied_make_the_same_file_system(engine, sandbox, base_image_tag, tmp_path,
                                                                          docker_client):
    """save_changes / apply_changes (a workplace item's final machine, rebuilt on --regrade): added
    folders whole, modified files, links and a setuid bit come back; deletions are listed; the
    snapshot image carries the run's label."""
    sandbox.exec(["sh", "-c", "mkdir -p /opt/tool/bin && printf '#!/bin/sh\\necho v1\\n' > /opt/tool/bin/run && chmod 4755 /opt/tool/bin/run"
                  " && ln -s /opt/tool/bin/run /usr/local/bin/run && echo extra >> /etc/motd && rm /etc/issue"])
    sandbox.kill()
    image = sandbox.snapshot(f"agentbench/{engine.run_id}-snap:snapshot")
    assert f"image {docker_client.images.get(image).id}" in labelled(docker_client, engine.run_id)
    deleted = sandbox.save_changes(tmp_path / "changes.tar")
    assert deleted == ["/etc/issue"]
    with tarfile.open(tmp_path / "changes.tar") as tar:
        names = set(tar.getnames())
    assert {"opt/tool", "opt/tool/bin/run", "usr/local/bin/run", "etc/motd"} <= names
    assert not {"etc", "usr/local/bin/sh"} & names  # a modified folder comes only through its changes

    rebuilt = engine.start(SandboxSpec(image=base_image_tag, name=f"{engine.run_id}-rebuilt"))
    rebuilt.apply_changes(tmp_path / "changes.tar")
    listed = rebuilt.exec(["sh", "-c", "stat -c '%A %U' /opt/tool/bin/run; readlink /usr/local/bin/run; "
                                       "tail -1 /etc/motd; /usr/local/bin/run"]).output.split("\n")
    assert listed[:4] == ["-rwsr-xr-x root", "/opt/tool/bin/run", "extra", "v1"]
    engine.remove_image(image)
    assert not docker_client.images.list(filters={"label": f"agentbench.run={engine.run_id}"})
