"""The registry of task families; `kind:` in a spec picks one."""

from __future__ import annotations

from .base import Family
from .competition.family import CompetitionFamily
from .task.family import TaskFamily
from .workplace.family import WorkplaceFamily

FAMILIES: dict[str, Family] = {}


def register(family: Family) -> None:
    FAMILIES[family.name] = family


def get(kind: str) -> Family:
    return FAMILIES[kind]


register(TaskFamily())
register(WorkplaceFamily())
register(CompetitionFamily())
