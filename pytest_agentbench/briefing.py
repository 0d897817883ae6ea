"""What every agent is told beside its task, as the seed benchmark's agents are: its time limit in
words and its hardware, from the container config it runs under (environment variables TIME_LIMIT
and HARDWARE; an agent's start script puts them in its prompt)."""

from __future__ import annotations

from .sandbox.base import ContainerConfig, size_in_bytes


def time_limit_words(seconds: int | float) -> str:
    """`5400` -> "1 hour 30 minutes"; the parts that are zero are left out (0 -> "0 seconds")."""
    seconds = int(seconds)
    parts = [(seconds // 3600, "hour"), (seconds % 3600 // 60, "minute"), (seconds % 60, "second")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words) or "0 seconds"


def hardware_words(config: ContainerConfig) -> str:
    """"a CPU with 2 cores and 4.0 GB of memory" (what is not limited is left out); GPUs by count: the
    host does not know their names, the agent's start script may ask nvidia-smi."""
    gpus = {None: "", -1: "all of the machine's GPUs and "}.get(config.gpus, f"{config.gpus} GPU(s) and ")
    details = []
    if config.nano_cpus:
        cores = config.nano_cpus / 1e9
        details.append(f"{cores:g} core{'' if cores == 1 else 's'}")
    memory = size_in_bytes(config.mem_limit) if config.mem_limit is not None else None
    if memory:
        details.append(f"{memory / 2**30:.1f} GB of memory")
    return gpus + "a CPU" + (" with " + " and ".join(details) if details else "")


def agent_briefing(time_limit: int | float, config: ContainerConfig) -> dict[str, str]:
    return {"TIME_LIMIT": time_limit_words(time_limit), "HARDWARE": hardware_words(config)}
