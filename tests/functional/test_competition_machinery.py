"""The competition family's machinery on a private copy of one bundled competition: its data cache,
concurrent preparers, the isolated grader's failures and limits, config errors. Graders run in child
processes; the bundled competitions themselves are checked in tests/content/test_competitions.py."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO
from pytest_agentbench.families.competition import competition
from pytest_agentbench.families.competition.competition import (
    CompetitionError, grade_submission, load_config, prepare_competition,
)
from pytest_agentbench.grading.isolated import GraderLimits
from pytest_agentbench.grading.result import GraderError
from pytest_agentbench.spec import SpecError, load_spec

COMPETITIONS = REPO / "task_specs" / "mle"


@pytest.fixture
def iris_copy(tmp_path):
    """A private copy of one small competition, to edit freely."""
    return Path(shutil.copytree(COMPETITIONS / "iris-species", tmp_path / "comps" / "iris-species"))


def test_cache_is_redone_when_data_or_sources_change(iris_copy, tmp_path):
    data = tmp_path / "data"
    public, _ = prepare_competition(iris_copy, data)
    original = (public / "test.csv").read_text()

    (public / "test.csv").write_text("tampered\n")
    prepare_competition(iris_copy, data)
    assert (public / "test.csv").read_text() == original

    checksums = (data / "iris-species" / "checksums.yaml").read_text()
    with open(iris_copy / "prepare.py", "a") as f:
        f.write("\n# an edit\n")
    prepare_competition(iris_copy, data)
    assert (data / "iris-species" / "checksums.yaml").read_text() != checksums  # sources hash moved on
    assert (public / "test.csv").read_text() == original  # same data: the split is deterministic
    assert not list((data / "iris-species").glob(".preparing-*"))


def test_concurrent_preparers_do_not_collide(iris_copy, tmp_path):
    data = tmp_path / "data"
    code = ("import sys; from pytest_agentbench.families.competition.competition import prepare_competition as p; "
            "print(p(sys.argv[1], sys.argv[2], force=True).public)")
    processes = [subprocess.Popen([sys.executable, "-c", code, str(iris_copy), str(data)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
                 for _ in range(2)]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    assert competition._cache_is_current(data / "iris-species", competition._sources_md5(
        iris_copy, load_config(iris_copy)))
    assert not list((data / "iris-species").glob(".preparing-*"))


def test_a_crashing_grader_is_a_grader_error(iris_copy, tmp_path):
    (iris_copy / "grade.py").write_text("def grade(submission, answers):\n    return 1 / 0\n")
    public, _ = prepare_competition(iris_copy, tmp_path / "data")
    with pytest.raises(GraderError, match=r"iris-species: grader .*grade\.py raised ZeroDivisionError"):
        grade_submission(iris_copy, tmp_path / "data", public / "sample_submission.csv")


def test_a_grader_returning_nan_is_a_grader_error(iris_copy, tmp_path):
    (iris_copy / "grade.py").write_text("def grade(submission, answers):\n    return float('nan')\n")
    public, _ = prepare_competition(iris_copy, tmp_path / "data")
    with pytest.raises(GraderError, match="not a finite number"):
        grade_submission(iris_copy, tmp_path / "data", public / "sample_submission.csv")


def test_a_grader_rejecting_the_submission_makes_it_invalid(iris_copy, tmp_path):
    (iris_copy / "grade.py").write_text(
        "from pytest_agentbench.families.competition.submission_format import InvalidSubmissionError\n"
        "def grade(submission, answers):\n    raise InvalidSubmissionError('no')\n")
    public, _ = prepare_competition(iris_copy, tmp_path / "data")
    report = grade_submission(iris_copy, tmp_path / "data", public / "sample_submission.csv")
    assert report["submission_exists"] and not report["valid_submission"] and report["score"] is None


@pytest.mark.parametrize("body, message", [
    ("import sys\n    sys.exit(3)", r"called sys.exit\(3\) instead of returning"),
    ("import os\n    os._exit(4)", r"ended its process before returning \(exit code 4\)"),
    ("import os, signal\n    os.kill(os.getpid(), signal.SIGSEGV)",
     r"ended its process before returning \(killed by SIGSEGV\)"),
    ("return 'high'", r"returned 'high', not a finite number"),
    ("return None", r"returned None, not a finite number"),
])
def test_a_grader_that_exits_or_crashes_is_a_grader_error_naming_it(iris_copy, tmp_path, body, message):
    (iris_copy / "grade.py").write_text(f"def grade(submission, answers):\n    {body}\n")
    public, _ = prepare_competition(iris_copy, tmp_path / "data")
    with pytest.raises(GraderError, match=r"iris-species: grader \S*iris-species/grade\.py " + message):
        grade_submission(iris_copy, tmp_path / "data", public / "sample_submission.csv")
    # and this process goes on grading
    (iris_copy / "grade.py").write_text("def grade(submission, answers):\n    return 0.5\n")
    assert grade_submission(iris_copy, tmp_path / "data", public / "sample_submission.csv")["score"] == 0.5


def test_a_grader_past_its_time_limit_is_killed_with_what_it_started(iris_copy, tmp_path):
    marker = tmp_path / "child-still-running"
    (iris_copy / "grade.py").write_text(
        "import subprocess, time\n"
        "def grade(submission, answers):\n"
        f"    subprocess.Popen(['sh', '-c', 'sleep 3; touch {marker}'])\n"
        "    while True:\n        time.sleep(1)\n")
    public, _ = prepare_competition(iris_copy, tmp_path / "data")
    with pytest.raises(GraderError, match=r"grade\.py ran past its time limit of 1 s and was killed"):
        grade_submission(iris_copy, tmp_path / "data", public / "sample_submission.csv", GraderLimits(time_limit=1))
    import time
    time.sleep(4)
    assert not marker.exists()  # the grader's own children went with it


def test_a_grader_over_its_memory_limit_is_a_grader_error(iris_copy, tmp_path):
    (iris_copy / "grade.py").write_text("def grade(submission, answers):\n    hog = bytearray(2**31)\n    return 1\n")
    public, _ = prepare_competition(iris_copy, tmp_path / "data")
    with pytest.raises(GraderError, match=r"grade\.py ran out of memory: it may use 1024 MB"):
        grade_submission(iris_copy, tmp_path / "data", public / "sample_submission.csv",
                         GraderLimits(memory=2**30))


def test_score_is_rounded_to_five_places(iris_copy, tmp_path):
    (iris_copy / "grade.py").write_text("def grade(submission, answers):\n    return 0.123456789\n")
    public, _ = prepare_competition(iris_copy, tmp_path / "data")
    assert grade_submission(iris_copy, tmp_path / "data", public / "sample_submission.csv")["score"] == 0.12346


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.replace("id: iris-species", "id: other"), "field 'id': 'other' must equal the folder name"),
    (lambda s: s.replace("answers: private/", "answers: public/"), "field 'dataset.answers': value error, must be "
                                                                  "under private/"),
    (lambda s: s + "colour: blue\n", "field 'colour': unknown key; expected one of"),
    (lambda s: s.replace("grade.py:grade", "grade.py"), "field 'grader.grade_fn'"),
    (lambda s: s.replace("solution: solution.py", "solution: ../x.py"), "field 'solution'"),
    (lambda s: s.replace("solution: solution.py", "solution: gone.py"), "field 'solution': file .*gone.py does not"),
])
def test_config_errors_name_the_file_and_field(iris_copy, edit, message):
    spec = iris_copy / "task.yaml"
    spec.write_text(edit(spec.read_text()))
    with pytest.raises(CompetitionError, match=re.escape(str(spec)) + ".*" + message.replace("(", r"\(")):
        load_config(iris_copy)


@pytest.mark.parametrize("extra, accepted", [("tags: [demo]\n", False), ("markers: [demo]\n", True)])
def test_a_competition_spec_gets_one_verdict_from_collection_and_from_the_cli(iris_copy, extra, accepted):
    """One loader: `agentbench prepare/grade-sample` (load_config) and collection (load_spec) accept and
    reject the same task.yaml, with the same message."""
    spec = iris_copy / "task.yaml"
    spec.write_text(spec.read_text() + extra)
    if accepted:
        assert load_config(iris_copy) == load_spec(spec).details
        return
    with pytest.raises(SpecError) as collected:
        load_spec(spec)
    with pytest.raises(CompetitionError) as configured:
        load_config(iris_copy)
    assert str(configured.value) == str(collected.value)
    assert "field 'tags': unknown key" in str(collected.value)
