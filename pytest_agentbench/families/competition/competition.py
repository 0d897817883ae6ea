"""MLE-bench-style competitions: their config, their data, and grading a submission against them.

A competition is a folder `task_specs/mle/<id>/` (see docs/competitions.md). Its data are made, never
downloaded: `raw.py` writes the raw data from an installed package, `prepare.py` splits them into what the
agent sees and what only the grader sees, in MLE-bench's layout:

    <data_dir>/<id>/raw/                     what make_raw wrote
    <data_dir>/<id>/prepared/public/         train.csv, test.csv, sample_submission.csv, description.md
    <data_dir>/<id>/prepared/private/        answers.csv
    <data_dir>/<id>/checksums.yaml           md5 of every prepared file, and of the sources that made them

Grading loads the competition's own `grade.py` by path (never anything of the agent's), scores the
submission, and places the score on the competition's `leaderboard.csv` with Kaggle's medal rules.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Iterable, NamedTuple

import pydantic
import yaml
from pydantic import AfterValidator, field_validator

from .medals import infer_is_lower_better, medal_thresholds, rank
from .submission_format import InvalidSubmissionError, check_submission, summarize
from ...grading.isolated import GraderLimits, run_isolated
from ...grading.result import GraderError  # a grader that failed: never counted as an invalid submission
from ...spec import SPEC_FILE, SpecError, load_spec
from ...files import StrictModel, file_lock, write_text_atomic
from ...taskcode import load_function

# The bundled competitions, wherever the command runs from (a relative path failed outside the checkout).
DEFAULT_COMPETITIONS_ROOT = Path(__file__).resolve().parents[3] / "task_specs" / "mle"
LEADERBOARD_FILE = "leaderboard.csv"


class CompetitionError(Exception):
    """A competition folder or its data cannot be used; the message names the file and what is wrong."""


# --- config --------------------------------------------------------------------------------------

def _relative_path(value: str) -> str:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or not value:
        raise ValueError(f"must be a relative path inside the folder, got {value!r}")
    return value


def _file_function(value: str) -> str:
    file, sep, function = value.partition(":")
    if not sep or not file.endswith(".py") or not function.isidentifier():
        raise ValueError(f"must look like 'file.py:function', got {value!r}")
    _relative_path(file)
    return value


RelativePath = Annotated[str, AfterValidator(_relative_path)]
FileFunction = Annotated[str, AfterValidator(_file_function)]


class DatasetConfig(StrictModel):
    """Paths relative to the prepared folder (`<data_dir>/<id>/prepared`)."""

    answers: str
    sample_submission: str
    gold_submission: str | None = None

    @field_validator("answers", "sample_submission", "gold_submission")
    @classmethod
    def _inside(cls, value: str | None, info: pydantic.ValidationInfo) -> str | None:
        if value is None:
            return value
        _relative_path(value)
        # The trust boundary: answers only in private/, and what the agent needs only in public/.
        side = "public" if info.field_name == "sample_submission" else "private"
        if PurePosixPath(value).parts[0] != side:
            raise ValueError(f"must be under {side}/, got {value!r}")
        return value


class GraderConfig(StrictModel):
    name: str
    grade_fn: FileFunction  # "grade.py:grade", relative to the competition folder


class CompetitionConfig(StrictModel):
    """The competition fields of a task.yaml (MLE-bench's config.yaml, plus raw, solution and id_column);
    id and name are generic fields too, validated by both models."""

    id: str
    name: str
    competition_type: str = "simple"
    awards_medals: bool
    prizes: list[dict[str, Any]] | None = None
    description: RelativePath  # description.md, relative to the folder
    dataset: DatasetConfig
    grader: GraderConfig
    preparer: FileFunction  # "prepare.py:prepare": prepare(raw, public, private)
    raw: FileFunction  # "raw.py:make_raw": make_raw(raw) writes the raw data from an installed package
    solution: RelativePath  # the oracle's reference solution, a script
    id_column: str

    def files(self) -> dict[str, str]:
        """The folder's files this config names, by field."""
        return {
            "description": self.description,
            "grader.grade_fn": self.grader.grade_fn.partition(":")[0],
            "preparer": self.preparer.partition(":")[0],
            "raw": self.raw.partition(":")[0],
            "solution": self.solution,
        }


def load_config(comp_dir: str | Path) -> CompetitionConfig:
    """Read and check `<comp_dir>/task.yaml` (through the plugin's one spec loader, as collection does),
    then the files it names; CompetitionError names the file and field on any problem."""
    comp_dir = Path(comp_dir)
    spec_path = comp_dir / SPEC_FILE
    try:
        spec = load_spec(spec_path)
    except SpecError as e:
        raise CompetitionError(str(e)) from None
    if spec.kind != "competition":
        raise CompetitionError(f"{spec_path}: field 'kind': expected 'competition', got {spec.kind!r}")
    config: CompetitionConfig = spec.details
    if config.id != comp_dir.name:
        raise CompetitionError(f"{spec}: field 'id': {config.id!r} must equal the folder name {comp_dir.name!r}")
    for field, name in {**config.files(), "(leaderboard)": LEADERBOARD_FILE}.items():
        if not (comp_dir / name).is_file():
            raise CompetitionError(f"{spec}: field '{field}': file {comp_dir / name} does not exist")
    return config


def competition_dir(competition_id: str, competitions_root: str | Path = DEFAULT_COMPETITIONS_ROOT) -> Path:
    path = Path(competitions_root) / competition_id
    if not (path / SPEC_FILE).is_file():
        # Name the option: a user grading their own competition folder needs to know where ids are looked up.
        raise CompetitionError(f"unknown competition {competition_id!r}: no {path / SPEC_FILE}; competitions are "
                               f"looked up under {competitions_root} (--competitions DIR names another folder)")
    return path


def default_data_dir() -> Path:
    """Where prepared data live unless told otherwise: $AGENTBENCH_DATA_DIR or ~/.cache/agentbench/data."""
    return Path(os.environ.get("AGENTBENCH_DATA_DIR") or Path.home() / ".cache" / "agentbench" / "data")


# --- preparation ---------------------------------------------------------------------------------

class Prepared(NamedTuple):
    public: Path
    private: Path


def prepare_competition(comp_dir: str | Path, data_dir: str | Path | None = None, force: bool = False) -> Prepared:
    """Make the competition's data under `<data_dir>/<id>/`, or reuse them if they are intact and current.

    Safe to call from several processes at once (pytest-xdist workers): one prepares, under a file
    lock, into a temporary folder that is renamed into place; the others wait and then reuse it.
    """
    comp_dir = Path(comp_dir)
    config = load_config(comp_dir)
    root = Path(data_dir or default_data_dir()) / config.id
    root.mkdir(parents=True, exist_ok=True)
    prepared = Prepared(root / "prepared" / "public", root / "prepared" / "private")
    sources = _sources_md5(comp_dir, config)
    with file_lock(root / ".lock"):
        if not force and _cache_is_current(root, sources):
            return prepared
        for stale in root.glob(".preparing-*"):  # left by a process that died mid-way; we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=".preparing-", dir=root))
        try:
            _prepare_into(comp_dir, config, work)
            checksums = {"competition_id": config.id, "sources_md5": sources, "files": _md5_tree(work, "prepared")}
            (root / "checksums.yaml").unlink(missing_ok=True)  # until the swap is done, the cache is invalid
            for name in ("raw", "prepared"):  # move the old out of the way, then the new in; both are renames
                if (root / name).exists():
                    (root / name).rename(work / f"old-{name}")
                (work / name).rename(root / name)
            write_text_atomic(root / "checksums.yaml", yaml.safe_dump(checksums, sort_keys=True))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return prepared


def _prepare_into(comp_dir: Path, config: CompetitionConfig, work: Path) -> None:
    raw, public, private = work / "raw", work / "prepared" / "public", work / "prepared" / "private"
    for folder in (raw, public, private):
        folder.mkdir(parents=True)
    for field, ref, args in (("raw", config.raw, (raw,)), ("preparer", config.preparer, (raw, public, private))):
        try:
            load_function(comp_dir, ref)(*args)
        except Exception as e:
            raise CompetitionError(f"{comp_dir / ref.partition(':')[0]} ({field} {ref}) failed: "
                                   f"{type(e).__name__}: {e}") from e
    shutil.copyfile(comp_dir / config.description, public / "description.md")

    prepared = work / "prepared"
    answers, sample = prepared / config.dataset.answers, prepared / config.dataset.sample_submission
    for field, path in (("dataset.answers", answers), ("dataset.sample_submission", sample)):
        if not path.is_file():
            raise CompetitionError(f"{comp_dir / config.preparer.partition(':')[0]} did not write "
                                   f"{path.relative_to(prepared)} (field '{field}' of {comp_dir / SPEC_FILE})")
    # The answers must have the sample's shape, or no submission could be both valid and right.
    problems = check_submission(answers, sample, config.id_column)
    if problems:
        raise CompetitionError(f"{comp_dir}: the prepared answers do not match the sample submission: "
                               f"{summarize(problems)}")


def _sources_md5(comp_dir: Path, config: CompetitionConfig) -> str:
    """One hash of the files that decide the prepared data; any edit to them means preparing again."""
    digest = hashlib.md5()
    names = [SPEC_FILE, config.description, config.raw.partition(":")[0], config.preparer.partition(":")[0]]
    for name in sorted(set(names)):
        digest.update(name.encode() + b"\0" + (comp_dir / name).read_bytes() + b"\0")
    return digest.hexdigest()


def _md5_tree(base: Path, folder: str) -> dict[str, str]:
    return {
        path.relative_to(base).as_posix(): hashlib.md5(path.read_bytes()).hexdigest()
        for path in sorted((base / folder).rglob("*"))
        if path.is_file()
    }


def _cache_is_current(root: Path, sources: str) -> bool:
    try:
        recorded = yaml.safe_load((root / "checksums.yaml").read_text())
        return recorded["sources_md5"] == sources and recorded["files"] == _md5_tree(root, "prepared")
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return False


# --- grading -------------------------------------------------------------------------------------

def load_leaderboard(comp_dir: str | Path) -> list[float]:
    """The `score` column of `<comp_dir>/leaderboard.csv`, in file order (best first)."""
    path = Path(comp_dir) / LEADERBOARD_FILE
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise CompetitionError(f"{path}: cannot read: {e.strerror or e}") from None
    if not rows or "score" not in rows[0]:
        raise CompetitionError(f"{path}: needs a 'score' column and at least one row")
    scores = []
    for line, row in enumerate(rows, start=2):
        try:
            scores.append(float(row["score"]))
        except (TypeError, ValueError):
            raise CompetitionError(f"{path}:{line}: score {row['score']!r} is not a number") from None
    return scores


class Scored(NamedTuple):
    score: float | None  # None: no valid submission
    problems: list[str]  # why the submission is invalid (empty when it is valid)


def score_submission(comp_dir: str | Path, data_dir: str | Path | None, submission_path: str | Path,
                     limits: GraderLimits = GraderLimits()) -> Scored:
    """Score one submission file with the competition's grader, or say why it is invalid.

    The grader runs in a process of its own within `limits` (grading/isolated.py). Raises GraderError
    when the grader itself fails (anything but InvalidSubmissionError).
    """
    comp_dir, submission_path = Path(comp_dir), Path(submission_path)
    config = load_config(comp_dir)
    public, private = prepare_competition(comp_dir, data_dir)
    prepared = public.parent
    problems = check_submission(submission_path, prepared / config.dataset.sample_submission, config.id_column)
    if problems:
        return Scored(None, problems)
    grader_file = comp_dir / config.grader.grade_fn.partition(":")[0]
    verdict, value = run_isolated(f"competition {config.id}: grader {grader_file}", call_grader, comp_dir,
                                  config.grader.grade_fn, submission_path, prepared / config.dataset.answers,
                                  limits=limits)
    if verdict == "invalid":
        return Scored(None, [value])
    if verdict != "score" or not math.isfinite(value):
        raise GraderError(f"competition {config.id}: grader {grader_file} returned {value}, not a finite number")
    return Scored(round(value, 5), [])


def call_grader(comp_dir: Path, grade_fn: str, submission_path: Path, answers_path: Path) -> tuple[str, Any]:
    """In the grader's own process: ("score", a float), ("invalid", why), or ("not a number", what it was)."""
    import pandas as pd  # the graders' currency; kept out of import time of the plugin

    try:
        submission = pd.read_csv(submission_path)
    except Exception as e:  # the format checks passed, so this is rare; still the submission's fault
        return "invalid", f"pandas cannot read it: {type(e).__name__}: {e}"
    answers = pd.read_csv(answers_path)
    grade = load_function(comp_dir, grade_fn)
    try:
        score = grade(submission, answers)
    except InvalidSubmissionError as e:
        return "invalid", str(e)
    try:
        return "score", float(score)
    except (TypeError, ValueError):
        text = repr(score)
        return "not a number", text if len(text) < 100 else text[:97] + "..."


def grade_submission(comp_dir: str | Path, data_dir: str | Path | None, submission_path: str | Path | None,
                     limits: GraderLimits = GraderLimits()) -> dict:
    """A CompetitionReport (MLE-bench's fields) for one submission; a missing or bad one is no exception.

    As MLE-bench's grade_csv: only a file ending in .csv counts as a submission."""
    comp_dir = Path(comp_dir)
    load_config(comp_dir)
    exists = submission_path is not None and Path(submission_path).is_file() \
        and Path(submission_path).suffix.lower() == ".csv"
    score = score_submission(comp_dir, data_dir, submission_path, limits).score if exists else None
    return competition_report(comp_dir, score, exists, submission_path)


def competition_report(comp_dir: str | Path, score: float | None, submission_exists: bool,
                       submission_path: str | Path | None) -> dict:
    """A CompetitionReport for `score` (None: no valid submission), its thresholds from the leaderboard
    even when there is nothing to rank (MLE-bench's from_dict needs them)."""
    comp_dir = Path(comp_dir)
    scores = load_leaderboard(comp_dir)
    lower = infer_is_lower_better(scores)
    try:
        thresholds = medal_thresholds(scores, lower)
    except ValueError as e:
        raise CompetitionError(f"{comp_dir / LEADERBOARD_FILE}: {e}") from None
    return {
        "competition_id": comp_dir.name,
        "score": score,
        "gold_threshold": thresholds.gold,
        "silver_threshold": thresholds.silver,
        "bronze_threshold": thresholds.bronze,
        "median_threshold": thresholds.median,
        **rank(score, thresholds, lower),
        "submission_exists": submission_exists,
        "valid_submission": score is not None,
        "is_lower_better": lower,
        "created_at": report_time(),
        "submission_path": str(submission_path),  # MLE-bench: always a string ("None" for none)
    }


def report_time() -> str:
    """created_at as MLE-bench writes it: naive ISO time, here always UTC whatever TZ says."""
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat()


def report_file_name() -> str:
    """`<GMT time>_grading_report.json`, MLE-bench's name, the same whatever TZ says."""
    return f"{time.strftime('%Y-%m-%dT%H-%M-%S-%Z', time.gmtime())}_grading_report.json"


def aggregate_reports(reports: Iterable[dict]) -> dict:
    """MLE-bench's totals over CompetitionReports, with the reports themselves."""
    reports = list(reports)

    def total(key: str) -> int:
        return sum(bool(r.get(key)) for r in reports)

    return {
        "total_runs": len(reports),
        "total_runs_with_submissions": total("submission_exists"),
        "total_valid_submissions": total("valid_submission"),
        "total_medals": total("any_medal"),
        "total_gold_medals": total("gold_medal"),
        "total_silver_medals": total("silver_medal"),
        "total_bronze_medals": total("bronze_medal"),
        "total_above_median": total("above_median"),
        "competition_reports": reports,
    }


def grade_jsonl(
    jsonl_path: str | Path,
    output_dir: str | Path,
    competitions_root: str | Path = DEFAULT_COMPETITIONS_ROOT,
    data_dir: str | Path | None = None,
) -> Path:
    """Grade every line {competition_id, submission_path, logs_path, code_path} of a submission JSONL.

    Writes `<output_dir>/<timestamp>_grading_report.json` (the totals and each report) and returns its path.
    Relative submission paths are taken from the current folder, as MLE-bench does.
    """
    jsonl_path = Path(jsonl_path)
    reports = []
    for number, line in enumerate(jsonl_path.read_text().splitlines(), start=1):
        if not line.strip() or line.strip().startswith(("#", "//")):  # commented out, as MLE-bench reads it
            continue
        try:
            entry = json.loads(line)
            competition_id = entry["competition_id"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise CompetitionError(f"{jsonl_path}:{number}: expected a JSON object with a competition_id ({e})") from None
        try:
            comp_dir = competition_dir(competition_id, competitions_root)
        except CompetitionError as e:
            raise CompetitionError(f"{jsonl_path}:{number}: {e}") from None
        reports.append(grade_submission(comp_dir, data_dir, entry.get("submission_path")))

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    out = output_dir / report_file_name()
    out.write_text(json.dumps(aggregate_reports(reports), indent=2) + "\n")
    return out


def grade_sample(
    csv_path: str | Path,
    competition_id: str,
    competitions_root: str | Path = DEFAULT_COMPETITIONS_ROOT,
    data_dir: str | Path | None = None,
) -> dict:
    """The CompetitionReport of one submission CSV (`agentbench grade-sample CSV ID`)."""
    return grade_submission(competition_dir(competition_id, competitions_root), data_dir, csv_path)
