"""The limits every container of a run gets (agent, grader and service containers alike), so that one
agent cannot exhaust the machine its neighbours run on: a process count, memory, CPUs and, where the
storage driver can cap it, the size of the root file system. Each comes from --container-config when
given there, else from a default that fits the engine's machine and the number of workers
(docs/security.md, "Limits by default").
"""

from __future__ import annotations

from dataclasses import replace

from .base import ContainerConfig, SandboxEngine, size_in_bytes

DEFAULT_PIDS = 4096  # far above what builds and training need; far below a fork bomb's reach
MEMORY_SHARE = 0.75  # of the engine's memory, split between the workers; the rest is the host's own
MIN_MEMORY = 2**30
DEFAULT_DISK = "20g"


def in_force(given: ContainerConfig, engine: SandboxEngine, workers: int, image: str) -> tuple[ContainerConfig, dict]:
    """The run's container config with every limit filled in, and its record for results and metadata
    (which limit is in force, and why a disk limit is not, where it is not)."""
    cpus, memory = engine.capacity()
    workers = max(1, workers)
    limits = replace(
        given,
        pids_limit=given.pids_limit or DEFAULT_PIDS,
        mem_limit=given.mem_limit or max(MIN_MEMORY, int(memory * MEMORY_SHARE / workers)),
        nano_cpus=given.nano_cpus or int(min(cpus, max(1.0, cpus / workers)) * 1e9),
    )
    disk_note = engine.disk_limit_unsupported(image)
    if disk_note:
        limits = replace(limits, disk_limit=None)
        disk_note = (f"{'the disk limit ' + str(given.disk_limit) if given.disk_limit else 'no disk limit'}"
                     f" is not applied: {disk_note}")
    else:
        limits = replace(limits, disk_limit=given.disk_limit or DEFAULT_DISK)
    return limits, record(limits, disk_note)


def check_against(given: ContainerConfig, engine: SandboxEngine) -> None:
    """ValueError if a value given cannot work on this engine's machine (Docker would refuse every container)."""
    cpus, _ = engine.capacity() if given.nano_cpus else (0, 0)
    if given.nano_cpus and given.nano_cpus > cpus * 1e9:
        raise ValueError(f"key 'nano_cpus': got {given.nano_cpus:g}; expected at most {cpus * 10**9} "
                         f"(the Docker engine's machine has {cpus} CPUs)")
    known = engine.runtimes() if given.runtime else None
    if known is not None and given.runtime not in known:
        # MLE-bench's default container config asks for sysbox-runc, which few engines have installed.
        raise ValueError(f"key 'runtime': got {given.runtime!r}, which the Docker engine does not have "
                         f"(it has {', '.join(known) or 'none'}); install that runtime and register it "
                         f"with the engine (dockerd --add-runtime), or leave 'runtime' out")


def record(limits: ContainerConfig, disk_note: str | None = None) -> dict:
    """The limits in force, as result.json and metadata.json show them."""
    return {"pids": limits.pids_limit, "memory_bytes": size_in_bytes(limits.mem_limit),
            "cpus": round(limits.nano_cpus / 1e9, 2) if limits.nano_cpus else None,
            "disk_bytes": size_in_bytes(limits.disk_limit) if limits.disk_limit else None,
            **({"disk_note": disk_note} if disk_note else {})}
