"""The bundled competitions end to end, without Docker: prepare, grade, medals, reports.

Every competition under task_specs/mle is checked: its data prepare and are cached, the answers grade best,
the sample submission (what the dummy agent sends) is valid but earns nothing, malformed submissions are
invalid rather than errors, and the oracle's solution.py, run on the public data, earns a medal.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pytest_agentbench.families.competition import competition
from pytest_agentbench.families.competition.competition import (
    CompetitionError, aggregate_reports, grade_jsonl, grade_sample, grade_submission, load_config,
    load_leaderboard, prepare_competition,
)
from pytest_agentbench.grading.isolated import GraderLimits
from pytest_agentbench.grading.result import GraderError
from pytest_agentbench.spec import SpecError, load_spec
from pytest_agentbench.families.competition.medals import infer_is_lower_better, medal_thresholds

ROOT = Path(__file__).resolve().parents[2]
COMPETITIONS = ROOT / "task_specs" / "mle"
IDS = sorted(p.name for p in COMPETITIONS.iterdir() if (p / "task.yaml").is_file())
REPORT_FIELDS = {
    "competition_id", "score", "gold_threshold", "silver_threshold", "bronze_threshold", "median_threshold",
    "any_medal", "gold_medal", "silver_medal", "bronze_medal", "above_median", "submission_exists",
    "valid_submission", "is_lower_better", "created_at", "submission_path",
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def oracle_runs(data_dir, tmp_path_factory):
    """Every competition's solution.py started at once on its public data (they take a few seconds each)."""
    runs = {}
    for competition_id in IDS:
        public, _ = prepare_competition(COMPETITIONS / competition_id, data_dir)
        out = tmp_path_factory.mktemp(f"oracle-{competition_id}")
        env = {**os.environ, "DATA_DIR": str(public), "SUBMISSION_DIR": str(out), "PYTHONWARNINGS": "ignore"}
        script = COMPETITIONS / competition_id / load_config(COMPETITIONS / competition_id).solution
        process = subprocess.Popen([sys.executable, str(script)], env=env, cwd=out,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        runs[competition_id] = (process, out / "submission.csv")
    yield runs
    for process, _ in runs.values():
        if process.poll() is None:
            process.kill()
            process.wait()


def write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


# --- per competition --------------------------------------------------------------------------------

@pytest.mark.parametrize("competition_id", IDS)
def test_spec_and_leaderboard(competition_id):
    comp_dir = COMPETITIONS / competition_id
    config = load_config(comp_dir)
    assert config.id == competition_id and config.awards_medals
    assert config.dataset.answers.startswith("private/")
    spec = yaml.safe_load((comp_dir / "task.yaml").read_text())
    assert spec["kind"] == "competition" and spec["difficulty"] in {"low", "medium", "high"}
    assert spec["category"] and spec["time_limit"] > 0

    board = pd.read_csv(comp_dir / "leaderboard.csv")
    assert list(board.columns[:2]) == ["teamName", "score"]
    assert 40 <= len(board) <= 120
    scores = load_leaderboard(comp_dir)
    medal_thresholds(scores, infer_is_lower_better(scores))  # raises unless sorted best first


@pytest.mark.parametrize("competition_id", IDS)
def test_prepare_splits_without_leaking_and_is_cached(competition_id, data_dir, monkeypatch):
    comp_dir = COMPETITIONS / competition_id
    config = load_config(comp_dir)
    public, private = prepare_competition(comp_dir, data_dir)
    assert sorted(p.name for p in public.iterdir()) == [
        "description.md", "sample_submission.csv", "test.csv", "train.csv"]
    assert sorted(p.name for p in private.iterdir()) == ["answers.csv"]
    train, test = pd.read_csv(public / "train.csv"), pd.read_csv(public / "test.csv")
    sample, answers = pd.read_csv(public / "sample_submission.csv"), pd.read_csv(private / "answers.csv")
    assert set(test.columns) < set(train.columns)  # the test set lacks the target
    assert set(train[config.id_column]).isdisjoint(test[config.id_column])
    assert list(test[config.id_column]) == list(sample[config.id_column]) == list(answers[config.id_column])
    assert list(sample.columns) == list(answers.columns)

    loaded = []
    real = competition.load_function
    monkeypatch.setattr(competition, "load_function", lambda *a: loaded.append(a) or real(*a))
    before = (public / "train.csv").stat().st_ino
    assert prepare_competition(comp_dir, data_dir) == (public, private)
    assert loaded == [] and (public / "train.csv").stat().st_ino == before  # reused, not prepared again


@pytest.mark.parametrize("competition_id", IDS)
def test_answers_grade_valid_and_best(competition_id, data_dir):
    comp_dir = COMPETITIONS / competition_id
    _, private = prepare_competition(comp_dir, data_dir)
    report = grade_submission(comp_dir, data_dir, private / "answers.csv")
    assert set(report) == REPORT_FIELDS
    assert report["valid_submission"] and report["gold_medal"]
    best = load_leaderboard(comp_dir)[0]
    assert report["score"] <= best if report["is_lower_better"] else report["score"] >= best


@pytest.mark.parametrize("competition_id", IDS)
def test_sample_submission_is_valid_but_earns_nothing(competition_id, data_dir):
    comp_dir = COMPETITIONS / competition_id
    public, _ = prepare_competition(comp_dir, data_dir)
    report = grade_submission(comp_dir, data_dir, public / "sample_submission.csv")
    assert report["submission_exists"] and report["valid_submission"]
    assert report["score"] is not None
    assert not report["any_medal"] and not report["above_median"]


def malformed(kind: str, sample: pd.DataFrame, id_column: str) -> pd.DataFrame | str | None:
    first = sample.columns.drop(id_column)[0]
    if kind == "missing-column":
        return sample.drop(columns=first)
    if kind == "wrong-ids":
        return sample.assign(**{id_column: sample[id_column] + 100_000})
    if kind == "text-for-a-value":  # text where a number, or one of the known labels, belongs
        return sample.assign(**{first: "not-a-value"})
    if kind == "empty-file":
        return ""
    return None  # missing file


@pytest.mark.parametrize("kind", ["missing-column", "wrong-ids", "text-for-a-value", "empty-file", "missing-file"])
@pytest.mark.parametrize("competition_id", IDS)
def test_malformed_submission_is_invalid_not_an_error(competition_id, kind, data_dir, tmp_path):
    comp_dir = COMPETITIONS / competition_id
    config = load_config(comp_dir)
    public, _ = prepare_competition(comp_dir, data_dir)
    content = malformed(kind, pd.read_csv(public / "sample_submission.csv"), config.id_column)
    path = tmp_path / "submission.csv"
    if isinstance(content, pd.DataFrame):
        write(path, content)
    elif content is not None:
        path.write_text(content)
    report = grade_submission(comp_dir, data_dir, path)
    assert report["submission_exists"] == (kind != "missing-file")
    assert report["valid_submission"] is False and report["score"] is None
    assert not report["any_medal"] and not report["above_median"]


@pytest.mark.parametrize("competition_id", IDS)
def test_oracle_solution_earns_a_medal(competition_id, oracle_runs, data_dir):
    process, submission = oracle_runs[competition_id]
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    report = grade_submission(COMPETITIONS / competition_id, data_dir, submission)
    assert report["valid_submission"], report
    assert report["any_medal"], report


def probability_competitions() -> list[str]:
    """The competitions whose submissions hold probabilities, as scripts/make_leaderboards.py declares them."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_leaderboards
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return sorted(i for i, spec in make_leaderboards.SPECS.items() if spec.output == "proba")


@pytest.mark.parametrize("competition_id", probability_competitions())
def test_probabilities_outside_0_and_1_are_invalid(competition_id, data_dir, tmp_path):
    # docs/competitions.md: graders reject non-probabilities. The answers stretched past [0, 1] keep their
    # order, so a ranking metric (AUC) would still award them gold.
    comp_dir = COMPETITIONS / competition_id
    config = load_config(comp_dir)
    _, private = prepare_competition(comp_dir, data_dir)
    answers = pd.read_csv(private / "answers.csv")
    columns = answers.columns.drop(config.id_column)
    stretched = answers.assign(**{c: answers[c] * 3 - 1 for c in columns})
    report = grade_submission(comp_dir, data_dir, write(tmp_path / "submission.csv", stretched))
    assert report["valid_submission"] is False and not report["any_medal"]


# --- caching, concurrency, grader failures ----------------------------------------------------------

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
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
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


# --- reports ----------------------------------------------------------------------------------------

def test_aggregate_and_jsonl_report(data_dir, tmp_path, monkeypatch):
    iris, wine = COMPETITIONS / "iris-species", COMPETITIONS / "wine-alcohol"
    iris_public, iris_private = prepare_competition(iris, data_dir)
    wine_public, _ = prepare_competition(wine, data_dir)
    lines = [
        {"competition_id": "iris-species", "submission_path": str(iris_private / "answers.csv")},  # gold
        {"competition_id": "wine-alcohol", "submission_path": str(wine_public / "sample_submission.csv")},  # valid
        {"competition_id": "iris-species", "submission_path": str(tmp_path / "absent.csv")},  # missing
        {"competition_id": "wine-alcohol", "submission_path": str(wine_public / "test.csv")},  # malformed
    ]
    jsonl = tmp_path / "submission.jsonl"
    jsonl.write_text("".join(json.dumps({**line, "logs_path": None, "code_path": None}) + "\n" for line in lines))

    out = grade_jsonl(jsonl, tmp_path / "out", competitions_root=COMPETITIONS, data_dir=data_dir)
    assert out.parent == tmp_path / "out" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\w*_grading_report\.json",
                                                            out.name)
    result = json.loads(out.read_text())
    totals = {k: v for k, v in result.items() if k != "competition_reports"}
    assert totals == {
        "total_runs": 4, "total_runs_with_submissions": 3, "total_valid_submissions": 2, "total_medals": 1,
        "total_gold_medals": 1, "total_silver_medals": 0, "total_bronze_medals": 0, "total_above_median": 1,
    }
    assert [r["competition_id"] for r in result["competition_reports"]] == [line["competition_id"] for line in lines]
    assert aggregate_reports(result["competition_reports"]) == result

    jsonl.write_text(json.dumps({"competition_id": "no-such-thing", "submission_path": None}) + "\n")
    with pytest.raises(CompetitionError, match=r"submission\.jsonl:1: unknown competition 'no-such-thing'"):
        grade_jsonl(jsonl, tmp_path / "out", competitions_root=COMPETITIONS, data_dir=data_dir)


def test_grade_sample_and_no_submission(data_dir):
    public, _ = prepare_competition(COMPETITIONS / "cars-mpg", data_dir)
    report = grade_sample(public / "sample_submission.csv", "cars-mpg", COMPETITIONS, data_dir)
    assert report["competition_id"] == "cars-mpg" and report["valid_submission"]
    assert report["is_lower_better"] is True
    nothing = grade_submission(COMPETITIONS / "cars-mpg", data_dir, None)
    assert nothing["submission_exists"] is False and nothing["submission_path"] is None and nothing["score"] is None
