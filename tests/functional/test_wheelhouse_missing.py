"""What the wheelhouse says when pip finds no wheel: the requirement as pip names it."""

import sys

import pytest

from pytest_agentbench.sandbox import wheelhouse


def test_a_dependency_with_a_marker_and_no_wheel_is_a_build_error_naming_it(tmp_path):
    """torch 2.5.1 needs `triton==3.1.0; platform_system == "Linux" ...`, which has no wheel for 3.13:
    pip names it with its marker, spaces and all. The build fails naming it; the wheelhouse does not
    crash reading it (it did: InvalidRequirement on 'triton==3.1.0;')."""
    said = 'ERROR: No matching distribution found for triton==3.1.0; platform_system == "Linux"'
    pip = [sys.executable, "-c", f"print({said!r}); raise SystemExit(1)"]
    with pytest.raises(wheelhouse.MissingWheel) as missing:
        wheelhouse._pip(pip, tmp_path / "requirements.txt", "Python 3.13", None)
    assert missing.value.requirement == 'triton==3.1.0; platform_system == "Linux"'
    # A dependency of a requirement, not a requirement itself: no source fetched, the same error.
    (tmp_path / "requirements.txt").write_text("torch==2.5.1\n")
    target = wheelhouse.Target("3.13", "cpython", "x86_64", "glibc 2.41")
    with pytest.raises(wheelhouse.MissingWheel, match="triton==3.1.0"):
        wheelhouse._without_wheel(tmp_path / "requirements.txt", missing.value, tmp_path, target, 0)
