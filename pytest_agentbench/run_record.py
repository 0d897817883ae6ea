"""What metadata.json records of a run, so it can be read and repeated later: the command line and the
run's options, the selection (paths, -k, -m, --split and its ids), the versions of the packages that
ran it, the git commit of the tasks, and the images its items ran on with their ids."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import platform
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .run import RunState

PACKAGES = ("pytest-agentbench", "pytest", "pytest-xdist", "pytest-html", "docker", "litellm", "pydantic",
            "pandas", "scikit-learn")


def run_record(config: pytest.Config, state: RunState) -> dict[str, Any]:
    split = config.getoption("agentbench_split")
    from .collect import SPLIT_KEY

    return {
        "command": {"args": list(config.invocation_params.args), "cwd": str(config.invocation_params.dir)},
        "options": {**{k: _plain(v) for k, v in state.options.items() if k != "started"},
                    "container_config": _plain(state.container_config)},
        "selection": {"paths": list(config.args), "k": config.option.keyword or None,
                      "m": config.option.markexpr or None,
                      "split": {"file": split, "ids": sorted(config.stash.get(SPLIT_KEY, set()))} if split else None},
        "versions": {"python": platform.python_version(), **{name: _version(name) for name in PACKAGES}},
        "tasks_commit": tasks_commit([Path(config.invocation_params.dir) / a.split("::", 1)[0] for a in config.args]),
    }


def images_of(results: dict[str, dict], engine) -> dict[str, str | None]:
    """Each image the items ran on (result.json's `image`) and its id on the engine (a content digest)."""
    tags = sorted({r["image"] for r in results.values() if r.get("image")})
    return {tag: engine.image_id(tag) if engine is not None else None for tag in tags}


def tasks_commit(paths: list[Path]) -> dict[str, Any] | None:
    """The git commit holding the tasks (of the first path inside a work tree), and whether they differ
    from it; None outside git."""
    for path in paths:
        folder = path if path.is_dir() else path.parent
        try:
            head = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True,
                                  text=True, timeout=10)
            if head.returncode != 0:
                continue
            status = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--", "."],
                                    capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return {"commit": head.stdout.strip(), "changed": bool(status.stdout.strip()), "path": str(folder)}
    return None


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return str(value)
    return value
