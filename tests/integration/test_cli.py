"""`agentbench` commands against a real engine and the bundled competitions."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support import REPO

pytestmark = pytest.mark.docker


def agentbench(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest_agentbench.cli", *args], capture_output=True, text=True,
                          cwd=REPO, **kwargs)


def test_cleanup_removes_what_a_dead_process_left_and_spares_the_living(docker_client, base_image_tag):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = dead.stdout.strip()
    orphan = docker_client.containers.create(base_image_tag, ["true"], labels={
        "agentbench.run": "cli-test", "agentbench.pid": dead_pid, "agentbench.pid-start": "1",
        "agentbench.host": __import__("socket").gethostname()})
    from pytest_agentbench.sandbox.ownership import owner_labels

    alive = docker_client.containers.create(base_image_tag, ["true"], labels=owner_labels("cli-test-alive"))
    try:
        done = agentbench("cleanup")
        assert done.returncode == 0, done.stderr
        ids = {c["Id"] for c in docker_client.api.containers(all=True)}  # one call: others' come and go
        assert orphan.id not in ids
        assert alive.id in ids  # its creator (this test's process) is alive
    finally:
        alive.remove(force=True)
        if orphan.id in {c["Id"] for c in docker_client.api.containers(all=True)}:
            orphan.remove(force=True)


def test_images_lists_the_base_image(base_image_tag):
    done = agentbench("images")
    assert done.returncode == 0 and base_image_tag in done.stdout


def test_grade_sample_reports_the_benchmarks_fields(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,wrong\n1,2\n")
    done = agentbench("grade-sample", str(bad), "iris-species")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["submission_exists"] is True and report["valid_submission"] is False and report["score"] is None


def test_an_unknown_competition_is_a_clear_error():
    done = agentbench("grade-sample", "x.csv", "no-such-competition")
    assert done.returncode == 2
    assert "unknown competition 'no-such-competition'" in done.stderr
    assert "--competitions DIR" in done.stderr  # the way to point at one's own competitions folder


def test_a_dead_docker_engine_is_a_clear_error(tmp_path):
    done = agentbench("images", env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert f"unix://{tmp_path}/none.sock does not answer" in done.stderr
