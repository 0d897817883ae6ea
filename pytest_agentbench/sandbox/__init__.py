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


def engine_at(name: str, run_id: str, address: str | None = None, home: str | None = None) -> SandboxEngine:
    """The engine `name` (--sandbox) of run `run_id`; at `address` with images from `home` when the run
    names its engines (engines.py), else wherever the engine's own defaults point (DOCKER_HOST)."""
    cls = get_engine(name)
    if address is None:
        return cls(run_id)
    return cls(run_id, address=address, home=home)


def run_engines(options: dict, run_id: str) -> list[SandboxEngine]:
    """Every engine of the run (one when it names none): for the checks at start and the sweeps."""
    addresses = [e["address"] for e in options.get("engines") or []] or [None]
    return [engine_at(options.get("sandbox", "docker"), run_id, a) for a in addresses]


def process_engine(options: dict, run_id: str) -> SandboxEngine:
    """This process's engine: an xdist worker's, given by the controller, or the run's first."""
    engines = options.get("engines") or []
    mine = options.get("engine") or (engines[0] if engines else None)
    home = engines[0]["address"] if engines else None
    return engine_at(options.get("sandbox", "docker"), run_id, mine and mine["address"], home)


__all__ = ["BuildError", "EngineUnavailable", "ExecResult", "Sandbox", "SandboxEngine", "SandboxSpec", "get_engine"]
