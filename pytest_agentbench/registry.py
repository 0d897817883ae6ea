"""Entry-point registries: what other packages plug in without editing this one.

A package adds a task family under the entry-point group `pytest_agentbench.families` (the name is the
`kind:` its specs use, the value a `Family` subclass), or a sandbox engine under
`pytest_agentbench.engines`. The built-ins are registered the same way, in this project's pyproject.toml.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

FAMILIES_GROUP = "pytest_agentbench.families"
ENGINES_GROUP = "pytest_agentbench.engines"


class RegistryError(Exception):
    """An entry point that cannot be loaded: names it, its package, and why."""


@cache
def load_entry_points(group: str) -> dict[str, Any]:
    """Every entry point of `group`, loaded, by name. Once per process: installing a package while it
    runs does not change what it has loaded. Two packages registering one name is an error, not a
    silent pick by install order."""
    loaded: dict[str, Any] = {}
    where: dict[str, EntryPoint] = {}
    for point in sorted(entry_points(group=group), key=lambda p: p.name):
        if point.name in where:
            raise RegistryError(f"{group}: {point.name!r} is registered twice: by {_owner(where[point.name])} "
                                f"and by {_owner(point)}")
        try:
            loaded[point.name] = point.load()
        except Exception as e:  # a broken plugin names itself, not a traceback in ours
            raise RegistryError(f"{group}: entry point {point.name} = {point.value} of {_owner(point)} "
                                f"cannot be loaded: {type(e).__name__}: {e}") from e
        where[point.name] = point
    return loaded


def _owner(point: EntryPoint) -> str:
    dist = point.dist
    return f"package {dist.name} {dist.version}" if dist is not None else "an unknown package"
