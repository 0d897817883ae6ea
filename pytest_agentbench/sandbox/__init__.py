"""Sandbox engines by name (`--sandbox`): every `pytest_agentbench.engines` entry point, Docker's included
(pyproject.toml), so another package adds an engine without editing this one."""

from __future__ import annotations

from ..registry import ENGINES_GROUP, load_entry_points
from .base import BuildError, EngineUnavailable, ExecResult, Sandbox, SandboxEngine, SandboxSpec


def get_engine(name: str) -> type[SandboxEngine]:
    engines = load_entry_points(ENGINES_GROUP)
    try:
        return engines[name]
    except KeyError:
        raise ValueError(f"unknown sandbox engine {name!r}; known: {', '.join(sorted(engines))} "
                         f"(entry points of {ENGINES_GROUP})") from None


__all__ = ["BuildError", "EngineUnavailable", "ExecResult", "Sandbox", "SandboxEngine", "SandboxSpec", "get_engine"]
