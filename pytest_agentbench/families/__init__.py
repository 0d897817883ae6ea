"""The task families, by the `kind:` their specs use: registered as entry points
(`pytest_agentbench.families`, see registry.py), the built-ins too."""

from __future__ import annotations

from functools import cache

from ..registry import FAMILIES_GROUP, RegistryError, load_entry_points
from .base import Family


@cache
def registered() -> dict[str, Family]:
    """One instance of every installed family, by kind."""
    found = {}
    for kind, cls in load_entry_points(FAMILIES_GROUP).items():
        if not (isinstance(cls, type) and issubclass(cls, Family)):
            raise RegistryError(f"{FAMILIES_GROUP}: {kind!r} is {cls!r}, not a subclass of "
                                "pytest_agentbench.families.base.Family")
        if getattr(cls, "name", kind) != kind:
            raise RegistryError(f"{FAMILIES_GROUP}: {kind!r} names {cls.__module__}.{cls.__qualname__}, whose "
                                f"name is {cls.name!r}; the entry point's name is the kind and must match it")
        cls.name = kind
        found[kind] = cls()
    return found


def get(kind: str) -> Family:
    return registered()[kind]
