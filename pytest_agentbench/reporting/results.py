"""The run directory: one folder per run group, one folder per item, results written as items end.

    <run-dir>/<timestamp>_run-group_<agent>/
        metadata.json                 # the run: created_at, agent, and each item's outcome
        eval_<task>-image.json        # workplace items: TheAgentCompany's files (families/workplace/tac_files.py)
        traj_<task>-image.json
        <task>[_seed<k>]/
            result.json               # written atomically when the item ends, by whichever process ran it
            agent.log                 # the agent's stdout and stderr: its first and last MiB
            trajectory.jsonl          # every step (see trajectory.py)
            submission/ logs/ code/   # the task's outputs, copied out of the container
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..files import write_json_atomic

from ..result import RESULT_FILE  # noqa: F401  (the run directory names it)
METADATA_FILE = "metadata.json"
COLLECTED_FILE = "collected.json"  # written by report_files as soon as the items are collected


# What the harness writes in an item's folder; the rest came out of the agent's container (its outputs).
HARNESS_FILES = frozenset({RESULT_FILE, "agent.log", "trajectory.jsonl", "llm", "grader", "grader.log",
                           "instructions.txt", "init.log"})  # init.log: a TAC image's init.sh (families/workplace/tac_image.py)

GROUP_MARK = "_run-group_"  # in every run group's folder name, as MLE-bench names them


def group_name(agent_id: str, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y-%m-%dT%H-%M-%S-%f')}{GROUP_MARK}{_safe(agent_id)}"


def item_folder(group: Path, task_id: str, seed: int | None) -> Path:
    return Path(group) / (_safe(task_id) if seed is None else f"{_safe(task_id)}_seed{seed}")


def fresh_item_folder(group: Path, task_id: str, seed: int | None) -> Path:
    """The item's folder, emptied first: what is in it is the leftover of an attempt that did not
    finish (cut by an interrupt, a crash or kill -9); the new attempt must not grade its stale outputs."""
    folder = item_folder(group, task_id, seed)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def is_run_group(group: Path) -> bool:
    """A run group however early it was cut: its metadata, its collected items or an item's result."""
    group = Path(group)
    return ((group / METADATA_FILE).is_file() or (group / COLLECTED_FILE).is_file()
            or any(group.glob(f"*/{RESULT_FILE}")))


def read_result(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_final(result: dict) -> bool:
    """A result --resume keeps: the agent ran and was graded. Errors and crashes are tried again."""
    return result.get("outcome") in ("passed", "failed") and not result.get("crashed")


def group_info(group: Path) -> dict[str, Any]:
    """The agent and seed count of a run group, from its metadata or, failing that, its item results."""
    meta = read_result(Path(group) / METADATA_FILE) or {}
    saved = [r for p in sorted(Path(group).glob(f"*/{RESULT_FILE}")) if (r := read_result(p))]
    seeds = [r["seed"] for r in saved if isinstance(r.get("seed"), int)]
    return {"agent": meta.get("agent") or next((r["agent"] for r in saved if r.get("agent")), None),
            "seeds": meta.get("seeds") or (max(seeds) + 1 if seeds else 1)}


def read_results(group: Path) -> dict[str, dict]:
    """Every item result in a run group, keyed by node id."""
    results = {}
    for path in sorted(Path(group).glob(f"*/{RESULT_FILE}")):
        data = json.loads(path.read_text(encoding="utf-8"))
        results[data.get("nodeid", path.parent.name)] = data
    return results


def write_metadata(group: Path, info: dict[str, Any]) -> None:
    results = read_results(group)
    # Keyed by the item's folder in the group, as MLE-bench's runs are (`<competition id>_<...>`): its
    # make_submission.py reads a run's files at <group>/<key>/ and its competition from the key. A
    # skipped item (a competition whose data are not prepared) did not run: listed apart, as its tools
    # would fail to grade it.
    ran = {nodeid: r for nodeid, r in results.items() if r.get("outcome") != "skipped"}
    runs = {Path(r["folder"]).name if r.get("folder") else nodeid:
            {"nodeid": nodeid, "task_id": r.get("task_id"), "seed": r.get("seed"), "outcome": r.get("outcome"),
             "success": r.get("outcome") == "passed", "folder": r.get("folder")}
            for nodeid, r in ran.items()}
    skipped = sorted(set(results) - set(ran))
    # Every item of a run records the same container limits; the latest run's are the group's.
    in_force = [r["limits"] for r in sorted(results.values(), key=lambda r: r.get("finished_at") or 0)
                if r.get("limits")]
    write_json_atomic(Path(group) / METADATA_FILE, {"run_group": Path(group).name, **info,
                                                    "limits": in_force[-1] if in_force else None, "runs": runs,
                                                    "skipped": skipped})


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)
