"""An image built from an agent's folder plus a source checkout (config.yaml `build_sources`): the
checkout is part of its build context and of its tag, its git history is neither."""

import shutil

import pytest

from pytest_agentbench.sandbox.base import BuildError
from pytest_agentbench.sandbox.images import ImageRecipe, staged_context


@pytest.fixture
def recipe(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "agent").mkdir()
    (tmp_path / "agent" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "checkout" / ".git").mkdir(parents=True)
    (tmp_path / "checkout" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "checkout" / "runner.py").write_text("print('v1')\n")
    return ImageRecipe("agent-a", tmp_path / "agent", {"BASE_IMAGE": "base"}, sources={"Project": tmp_path / "checkout"})


def test_the_checkout_is_in_the_context_under_its_name_without_its_history(recipe):
    stage = staged_context(recipe)
    try:
        assert (stage / "Dockerfile").is_file() and (stage / "Project" / "runner.py").read_text() == "print('v1')\n"
        assert not (stage / "Project" / ".git").exists()
    finally:
        shutil.rmtree(stage)
    assert (recipe.sources["Project"] / "runner.py").is_file()  # the user's checkout is left as it was


def test_the_tag_follows_the_checkout_s_files_not_its_history(recipe):
    tag = recipe.tag()
    (recipe.sources["Project"] / ".git" / "HEAD").write_text("ref: refs/heads/other\n")
    assert recipe.tag() == tag
    (recipe.sources["Project"] / "runner.py").write_text("print('v2')\n")
    assert recipe.tag() != tag


def test_a_source_named_as_a_file_of_the_agent_s_folder_is_refused(recipe):
    (recipe.context / "Project").mkdir()
    with pytest.raises(BuildError, match="the source 'Project' .* would replace 'Project' of the build context"):
        staged_context(recipe)
