"""The bundled competitions end to end, without Docker: prepare, grade, medals, reports.

Every competition under task_specs/mle is checked: its data prepare and are cached, the answers grade best,
the sample submission (what the dummy agent sends) is valid but earns nothing, malformed submissions are
invalid rather than errors, and the oracle's solution.py, run on the public data, earns a medal.
"""

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
import yaml

from support import load_as_mle_bench

from pytest_agentbench import cli
from pytest_agentbench.families.competition import competition
from pytest_agentbench.families.competition.competition import (
    CompetitionError, aggregate_reports, grade_jsonl, grade_sample, grade_submission, load_config,
    load_leaderboard, prepare_competition,
)
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
    assert nothing["submission_exists"] is False and nothing["submission_path"] == "None" and nothing["score"] is None


def test_reports_are_as_mle_bench_writes_them_whatever_tz(data_dir, tmp_path, monkeypatch):
    """created_at naive UTC, the file named in GMT, submission_path a string, a non-.csv file no submission,
    commented-out lines skipped: as MLE-bench's grade_jsonl does, so its tools read our reports."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        public, _ = prepare_competition(COMPETITIONS / "cars-mpg", data_dir)
        not_csv = tmp_path / "submission.txt"
        not_csv.write_bytes((public / "sample_submission.csv").read_bytes())
        jsonl = tmp_path / "submission.jsonl"
        jsonl.write_text(
            "# a comment line\n"
            + json.dumps({"competition_id": "cars-mpg", "submission_path": str(not_csv)}) + "\n"
            + "// another\n"
            + json.dumps({"competition_id": "cars-mpg", "submission_path": None}) + "\n")
        before = datetime.now(timezone.utc).replace(tzinfo=None)
        out = grade_jsonl(jsonl, tmp_path / "out", competitions_root=COMPETITIONS, data_dir=data_dir)
        after = datetime.now(timezone.utc).replace(tzinfo=None)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    stamp = datetime.strptime(out.name.split("_")[0], "%Y-%m-%dT%H-%M-%S-%Z")
    assert out.name.split("_")[0].endswith(("-GMT", "-UTC"))
    assert before.replace(microsecond=0) <= stamp <= after
    reports = [load_as_mle_bench(r) for r in json.loads(out.read_text())["competition_reports"]]
    assert [r["submission_exists"] for r in reports] == [False, False]
    assert [r["submission_path"] for r in reports] == [str(not_csv), "None"]
    assert all(before <= r["created_at"] <= after for r in reports)


def test_agentbench_grade_works_outside_the_repository(data_dir, tmp_path, monkeypatch, capsys):
    public, _ = prepare_competition(COMPETITIONS / "cars-mpg", data_dir)
    jsonl = tmp_path / "submission.jsonl"
    jsonl.write_text(json.dumps({"competition_id": "cars-mpg",
                                 "submission_path": str(public / "sample_submission.csv")}) + "\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["grade", "--submission", str(jsonl), "--output-dir", "out", "--data-dir", str(data_dir)]) == 0
    [report] = (tmp_path / "out").glob("*_grading_report.json")
    assert json.loads(report.read_text())["total_valid_submissions"] == 1
