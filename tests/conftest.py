"""Shared test wiring for every group: pytester, the group markers, the fake judge LLM, and the Docker engine.

The tests are grouped by what they need, one folder each (see Makefile `test-<group>`): unit (pure: no
Docker, no child process, no pytester), functional (pytester or child processes), content (the bundled
task_specs), integration (Docker), browser (Chromium). Each item gets its group's marker, so
`pytest tests -m "unit or functional"` selects across folders too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fake_llm import FakeLLM
from support import JUDGE_ENV_VARS

pytest_plugins = ["pytester"]

# litellm fetches a price map from the internet when imported, with retries; this machine has no
# internet, and its bundled copy is what the tests expect anyway.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

GROUPS = ("unit", "functional", "content", "integration", "browser")
TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        parts = item.path.relative_to(TESTS).parts if item.path.is_relative_to(TESTS) else ()
        if parts and parts[0] in GROUPS:
            item.add_marker(parts[0])


@pytest.fixture
def fake_llm():
    """A started FakeLLM (default reply "no", no rules); stopped after the test."""
    llm = FakeLLM().start()
    try:
        yield llm
    finally:
        llm.stop()


@pytest.fixture
def no_judge_env(monkeypatch):
    """No environment LLM configured, whatever the developer's shell exports."""
    for name in JUDGE_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def judge_env(fake_llm, no_judge_env, monkeypatch, tmp_path):
    """LITELLM_* point at the fake LLM (model gpt-4o, so litellm knows its price); returns the judge log path."""
    log = tmp_path / "judge.jsonl"
    monkeypatch.setenv("LITELLM_BASE_URL", fake_llm.url)
    monkeypatch.setenv("LITELLM_API_KEY", "test-key")
    monkeypatch.setenv("LITELLM_MODEL", "gpt-4o")
    monkeypatch.setenv("AGENTBENCH_JUDGE_LOG", str(log))
    return log


@pytest.fixture(scope="session")
def docker_client():
    """The Docker engine the integration tests use; they fail (not skip) when it is missing."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as e:  # noqa: BLE001 - any failure means the same thing here
        pytest.fail(f"integration tests need a Docker engine ({e}); run `make setup` first", pytrace=False)
    return client


@pytest.fixture(scope="session")
def base_image_tag(docker_client) -> str:
    from pytest_agentbench.sandbox.docker import DockerEngine
    from pytest_agentbench.sandbox.images import ensure_base_image

    return ensure_base_image(DockerEngine("tests"), os.environ.get("AGENTBENCH_BASE_IMAGE"))


@pytest.fixture
def engine(docker_client):
    """A Docker engine of the test's own run id: what the test creates is swept when it ends."""
    import uuid

    from pytest_agentbench.sandbox import get_engine

    engine = get_engine("docker")(f"engine-test-{uuid.uuid4().hex[:8]}")
    engine.ping()
    yield engine
    engine.drain()
    engine.sweep(engine.run_id)
