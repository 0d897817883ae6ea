"""Python packages in images whose builds cannot reach PyPI: an agent folder's requirements.txt (and
requirements-no-deps.txt) are resolved on the host into a cached wheelhouse that travels in the build
context; the image installs from it with no index. A second build downloads nothing, and a package
no index has is an error naming the folder, the file and the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_agentbench.sandbox import wheelhouse
from pytest_agentbench.sandbox.base import BuildError
from pytest_agentbench.sandbox.docker import DockerEngine
from pytest_agentbench.sandbox.images import ImageRecipe, ensure_image

pytestmark = pytest.mark.docker

DOCKERFILE = """ARG BASE_IMAGE
FROM ${BASE_IMAGE} AS packages
COPY wheelhouse /wheelhouse
RUN /wheelhouse/install /opt/venv
FROM ${BASE_IMAGE}
COPY --from=packages /opt/venv /opt/venv
"""


def local_wheel(folder: Path, name: str, code: str, requires: list[str] = ()) -> None:
    """A wheel of a one-module package, built here: the test needs no package index for it."""
    source = folder / f"src-{name}"
    source.mkdir(parents=True)
    deps = "".join(f'"{r}", ' for r in requires)
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "1.0"\ndependencies = [{deps}]\n')
    (source / f"{name}.py").write_text(code)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(folder / "wheels"), str(source)], check=True, capture_output=True)


@pytest.fixture
def engine(monkeypatch, tmp_path):
    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    engine = DockerEngine("test-wheelhouse")
    yield engine
    engine.sweep("test-wheelhouse")


def test_declared_packages_are_installed_from_host_wheels_once(engine, base_image_tag, docker_client,
                                                              tmp_path, monkeypatch):
    local_wheel(tmp_path, "greeting", "WORD = 'hello from a wheel'\n")
    # Declares a dependency no index has: installed without it, as AIDE is without its ML stack.
    local_wheel(tmp_path, "shouter", "import greeting\nLOUD = greeting.WORD.upper()\n",
                requires=["agentbench-no-such-dependency>=1"])
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "wheels"))  # pip's own wheel still comes from the index
    folder = tmp_path / "agent"
    folder.mkdir()
    (folder / "Dockerfile").write_text(DOCKERFILE)
    (folder / "requirements.txt").write_text("greeting==1.0\n")
    (folder / "requirements-no-deps.txt").write_text("shouter==1.0\n")
    recipe = ImageRecipe("agent-wheelhouse-test", folder, {"BASE_IMAGE": base_image_tag})
    progress: list[str] = []
    tag = ensure_image(engine, recipe, log=progress.append)
    try:
        out = docker_client.containers.run(tag, ["/opt/venv/bin/python", "-c",
                                                 "import shouter; print(shouter.LOUD)"], remove=True)
        assert out.decode().strip() == "HELLO FROM A WHEEL"
        text = "".join(progress)
        assert "downloading wheels for Python 3." in text and "greeting" in text  # progress is shown
        assert "Step " in text  # and the build's own steps
        # No wheel is left in the image: they stayed in the first stage.
        assert docker_client.containers.run(tag, ["sh", "-c", "ls /wheelhouse 2>&1 || true"], remove=True) \
            .decode().strip().endswith("No such file or directory")
        again: list[str] = []
        monkeypatch.setenv("PIP_NO_INDEX", "1")  # a second build could not download
        monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "nowhere"))
        assert ensure_image(engine, recipe, log=again.append) == tag
        assert again == []  # nothing downloaded, nothing built
        # A changed requirement is another wheelhouse and another image.
        (folder / "requirements.txt").write_text("greeting==1.0\n# changed\n")
        with pytest.raises(BuildError):
            ensure_image(engine, recipe, log=again.append)
    finally:
        docker_client.images.remove(tag, force=True)


def test_a_package_no_index_has_names_the_folder_file_and_package(engine, base_image_tag, tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    folder = tmp_path / "my-agent"
    folder.mkdir()
    (folder / "Dockerfile").write_text(DOCKERFILE)
    (folder / "requirements.txt").write_text("agentbench-no-such-package==1.0\n")
    with pytest.raises(BuildError) as error:
        ensure_image(engine, ImageRecipe("agent-missing", folder, {"BASE_IMAGE": base_image_tag}))
    message = str(error.value)
    assert f"{folder}: requirements.txt: no wheel of 'agentbench-no-such-package==1.0' for Python 3." in message



def test_a_source_package_is_never_built_on_the_host(engine, base_image_tag, tmp_path, monkeypatch):
    # An agent folder asks for a package whose setup.py would run code on the host (which holds the
    # provider key): only wheels are fetched, so it is an error and the code never runs.
    marker = tmp_path / "setup-py-ran-on-the-host"
    source = tmp_path / "src" / "hostile-1.0"
    source.mkdir(parents=True)
    (source / "setup.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n"
                                     "from setuptools import setup\nsetup(name='hostile', version='1.0')\n")
    index = tmp_path / "index"
    index.mkdir()
    subprocess.run(["tar", "-czf", str(index / "hostile-1.0.tar.gz"), "-C", str(source.parent), "hostile-1.0"],
                   check=True)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    folder = tmp_path / "agent"
    folder.mkdir()
    (folder / "Dockerfile").write_text(DOCKERFILE)
    (folder / "requirements.txt").write_text("hostile==1.0\n")
    with pytest.raises(BuildError, match=r"no wheel of 'hostile==1.0'"):
        ensure_image(engine, ImageRecipe("agent-hostile", folder, {"BASE_IMAGE": base_image_tag}))
    assert not marker.exists()
