"""MLE-bench's own package (`mlebench`, from the user's checkout of openai/mle-bench), found and called.

Nothing of it is copied here: its registry (`mlebench/competitions/<id>/config.yaml` beside the
competition's `leaderboard.csv`), its prepared data (`<data>/<id>/prepared/{public,private}`, as
`mlebench prepare` writes them), and its grading (`mlebench.grade.grade_csv`, `validate_submission`) are
read or called where they are. Its modules are imported only in grader children (grading/isolated.py):
`mlebench.data` opens a disk cache in the current folder at import, and a competition's grade.py is
task code.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import time
from pathlib import Path
from typing import Any

import yaml

INSTALL_HINT = ("pip install -e <your checkout of https://github.com/openai/mle-bench> (its package `mlebench`), "
                "then prepare its data with `mlebench prepare --lite` (or -c <id>)")


class NotInstalled(Exception):
    """The `mlebench` package cannot be imported."""


@functools.cache
def module_dir() -> Path | None:
    """The folder of the installed `mlebench` package, without importing it; None if there is none."""
    try:
        found = importlib.util.find_spec("mlebench")
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations))).resolve()


def competitions_dir() -> Path:
    """Its registry: one folder per competition, each with config.yaml and leaderboard.csv."""
    folder = module_dir()
    if folder is None or not (folder / "competitions").is_dir():
        raise NotInstalled(f"--mlebench-data needs MLE-bench's package `mlebench`, which is not installed in "
                           f"this Python: {INSTALL_HINT}")
    return folder / "competitions"


def checkout_file(relative: str) -> Path | None:
    """A file of the user's mle-bench checkout (environment/instructions.txt...), if the package is one."""
    folder = module_dir()
    path = folder.parent / relative if folder else None
    return path if path is not None and path.is_file() else None


COMPLEXITY_SPLITS = ("low", "medium", "high")  # their experiments/splits/<complexity>.txt


@functools.cache
def complexity(competition_id: str) -> str | None:
    """The competition's complexity in their splits (low is "MLE-bench Lite"), if the checkout has them."""
    for name in COMPLEXITY_SPLITS:
        split = checkout_file(f"experiments/splits/{name}.txt")
        if split is not None and competition_id in split.read_text().split():
            return name
    return None


def read_config(config_path: Path) -> dict[str, Any]:
    return yaml.safe_load(config_path.read_text(encoding="utf-8"))


def prepared_dirs(data_dir: Path, competition_id: str) -> tuple[Path, Path]:
    """(public, private) as `mlebench prepare` lays them out."""
    prepared = Path(data_dir) / competition_id / "prepared"
    return prepared / "public", prepared / "private"


def not_prepared(data_dir: Path, config: dict[str, Any]) -> str | None:
    """Why the competition's data are not ready for a run (as MLE-bench's is_dataset_prepared decides),
    or None when they are."""
    data_dir = Path(data_dir)
    public, private = prepared_dirs(data_dir, config["id"])
    for folder in (public, private):
        if not folder.is_dir() or not any(folder.iterdir()):
            return f"{folder} is missing or empty"
    for key in ("answers", "sample_submission"):
        if not (data_dir / config["dataset"][key]).is_file():
            return f"{data_dir / config['dataset'][key]} ({key}) does not exist"
    return None


# --- run in a grader child (grading/isolated.py), never in the pytest process ---------------------------

def _their_world(workdir: str) -> None:
    # mlebench.data opens diskcache's Cache("cache") in the current folder at import: the child's own
    # folder, not the user's. TZ=UTC: their created_at is datetime.now(), naive; UTC as in their containers.
    os.chdir(workdir)
    os.environ["TZ"] = "UTC"
    time.tzset()


def _competition(data_dir: str, competition_id: str):
    from mlebench.registry import registry

    return registry.set_data_dir(Path(data_dir)).get_competition(competition_id)


def grade_in_child(data_dir: str, competition_id: str, submission: str, workdir: str) -> dict[str, Any]:
    """Their grade_csv on the submission, through their registry: their CompetitionReport, as a dict."""
    _their_world(workdir)
    from mlebench.grade import grade_csv

    return grade_csv(Path(submission), _competition(data_dir, competition_id)).to_dict()


def validate_in_child(data_dir: str, competition_id: str, submission: str, workdir: str) -> str:
    """Their grading server's answer to POST /validate: validate_submission's message."""
    _their_world(workdir)
    from mlebench.grade import validate_submission

    return validate_submission(Path(submission), _competition(data_dir, competition_id))[1]
