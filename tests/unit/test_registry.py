"""Entry-point registries: a family another package registers is found; a broken registration stops the
run with a message naming the entry point and its package, not a traceback or a silent pick."""

from __future__ import annotations

import sys

import pytest

from pytest_agentbench import families
from pytest_agentbench.registry import FAMILIES_GROUP, RegistryError, load_entry_points


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Install a distribution's metadata (as pip leaves it) on sys.path: `installed(entry_points, module)`."""
    def install(entry_points: str, module: str = "") -> None:
        info = tmp_path / "x_fam-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: x-fam\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[{FAMILIES_GROUP}]\n{entry_points}\n")
        (tmp_path / "x_fam.py").write_text(module)
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, "x_fam", raising=False)  # another test's x_fam

    load_entry_points.cache_clear()
    families.registered.cache_clear()
    yield install
    monkeypatch.undo()
    sys.modules.pop("x_fam", None)
    load_entry_points.cache_clear()
    families.registered.cache_clear()


def test_the_built_in_families_are_entry_points():
    assert sorted(load_entry_points(FAMILIES_GROUP)) == ["competition", "mlebench", "task", "workplace"]
    assert {kind: f.name for kind, f in families.registered().items()} == {
        "competition": "competition", "mlebench": "mlebench", "task": "task", "workplace": "workplace"}


def test_a_family_of_another_package_is_registered(installed):
    installed("echo = x_fam:Echo", "from pytest_agentbench.families.base import Family\n"
                                   "class Echo(Family):\n    name = 'echo'\n")
    assert type(families.get("echo")).__name__ == "Echo"


@pytest.mark.parametrize("entry_point, module, message", [
    ("echo = x_fam_gone:Echo", "", r"entry point echo = x_fam_gone:Echo of package x-fam 0.1 cannot be loaded: "
                                   r"ModuleNotFoundError"),
    ("task = x_fam:Task", "from pytest_agentbench.families.base import Family\nclass Task(Family):\n    pass\n",
     r"'task' is registered twice: by package (pytest-agentbench|x-fam).* and by package (x-fam|pytest-agentbench)"),
    ("echo = x_fam:Echo", "Echo = 42\n", r"'echo' is 42, not a subclass of pytest_agentbench.families.base.Family"),
    ("echo = x_fam:Echo", "from pytest_agentbench.families.base import Family\n"
                          "class Echo(Family):\n    name = 'ekho'\n", r"whose name is 'ekho'"),
])
def test_a_broken_registration_names_the_entry_point(installed, entry_point, module, message):
    installed(entry_point, module)
    with pytest.raises(RegistryError, match=message):
        families.registered()
