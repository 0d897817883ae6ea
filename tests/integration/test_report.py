"""Reports of real runs: pytest-html columns and rows, JUnit properties under -n 2, $GITHUB_STEP_SUMMARY,
the terminal table, the run group's files, and an item whose xdist worker crashed."""

from __future__ import annotations

import fcntl
import html
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from support import AGENTS, TASK_SPECS

from pytest_agentbench.reporting import run_group as report_files, tables

pytestmark = pytest.mark.docker

ITEM = "task_specs/smoke/reverse-words/task.yaml::reverse-words[seed{}]"
CONFTEST = '''
import os
import pytest
from pytest_agentbench.collect import RESULT_KEY


@pytest.fixture(autouse=True)
def crash_the_worker_of_seed2(request):
    if request.node.name.endswith("[seed2]"):
        os._exit(1)


@pytest.fixture
def task_grade(task_grade, request):
    """seed1 is graded as a competition is: with a medal in its details."""
    if request.node.name.endswith("[seed1]"):
        task_grade.details.update(competition_id="reverse-words", gold_medal=False, silver_medal=True,
                                  bronze_medal=False, any_medal=True)
        request.node.stash[RESULT_KEY]["grade"] = task_grade.to_dict()
    return task_grade
'''


def project(path: Path, conftest: str) -> Path:
    shutil.copytree(TASK_SPECS / "smoke", path / "task_specs" / "smoke")
    shutil.copytree(AGENTS, path / "agents")
    (path / "conftest.py").write_text(conftest)
    return path


def once_per_session(tmp_path_factory, worker_id: str, name: str, make) -> dict:
    """`make(folder)` once for the whole session: under xdist, the first worker to get here makes it,
    the others wait for it and read what it returned (a run takes long; twice would be a waste)."""
    root = tmp_path_factory.getbasetemp()
    root = root if worker_id == "master" else root.parent  # the workers' shared folder
    done = root / name / "made.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            (root / name).mkdir(exist_ok=True)
            done.write_text(json.dumps(make(root / name)))
    return json.loads(done.read_text())


@pytest.fixture(scope="module")
def run(tmp_path_factory, worker_id, base_image_tag):
    """One run of the dummy agent, 3 seeds on 2 workers: seed0 as it is, seed1 with a silver medal,
    seed2's worker crashes. Every test below reads what it left."""
    def make(folder: Path) -> dict:
        path = project(folder, CONFTEST)
        env = {**os.environ, "AGENTBENCH_BASE_IMAGE": "", "GITHUB_STEP_SUMMARY": str(path / "step_summary.md")}
        done = subprocess.run([sys.executable, "-m", "pytest", "task_specs", "--agent=dummy", "--seeds=3",
                               "-n", "2", "-p", "no:cacheprovider", "--html=reports/report.html",
                               "--junitxml=reports/junit.xml"],
                              cwd=path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, done.stdout + done.stderr  # the dummy agent fails: that is its result
        [group] = (path / "runs").iterdir()
        return {"path": str(path), "stdout": done.stdout, "group": str(group)}

    made = once_per_session(tmp_path_factory, worker_id, "report-run", make)
    return {**made, "path": Path(made["path"]), "group": Path(made["group"])}


def html_rows(report: Path) -> dict[str, list[dict]]:
    """pytest-html's rows, by node id, from the JSON its page renders."""
    blob = re.search(r'data-jsonblob="([^"]*)"', report.read_text()).group(1)
    return json.loads(html.unescape(blob))["tests"]


def cell(row: dict, column: str) -> str:
    found = [c for c in row["resultsTableRow"] if f'class="col-{column}"' in c]
    return re.sub(r"<[^>]+>", "", found[0]) if found else None


def test_the_html_report_has_the_columns_and_one_row_per_item_the_crashed_one_too(run):
    text = (run["path"] / "reports" / "report.html").read_text()
    for title in tables.COLUMNS.values():
        assert f">{title}</th>" in text
    rows = html_rows(run["path"] / "reports" / "report.html")
    assert sorted(rows) == [ITEM.format(s) for s in range(3)]
    assert all(len(r) == 1 for r in rows.values())  # the checkpoints' subtests are no rows of their own
    [plain], [medal], [crashed] = (rows[ITEM.format(s)] for s in range(3))
    assert [cell(plain, c) for c in ("task", "agent", "seed", "score", "medal", "checkpoints")] == \
        ["reverse-words", "dummy", "0", "0.2857", "2/7", "2/3"]
    assert cell(medal, "medal") == "silver"
    assert crashed["result"] == "Error" and "(worker crashed)" in cell(crashed, "testId")
    assert "crashed while running" in crashed["log"]


def test_html_rows_open_to_checkpoints_log_submission_and_a_trajectory_link(run):
    [row] = html_rows(run["path"] / "reports" / "report.html")[ITEM.format(0)]
    [details] = [e["content"] for e in row["extras"] if e["format_type"] == "html"]
    assert "every word reversed" in details and "0/5 right" in details
    assert "submission.csv (first rows)" in details and "running as root: False" in details  # dummy's log
    links = {e["name"]: e["content"] for e in row["extras"] if e["format_type"] == "url"}
    target = run["path"] / "reports" / links["trajectory.jsonl"]
    assert target.resolve() == run["group"] / "reverse-words_seed0" / "trajectory.jsonl"


def test_junit_keeps_score_checkpoints_and_medal_per_testcase_under_xdist(run):
    cases = {c.get("name"): c for c in ET.parse(run["path"] / "reports" / "junit.xml").iter("testcase")}
    properties = {name: {p.get("name"): p.get("value") for p in case.iter("property")}
                  for name, case in cases.items()}
    assert properties["reverse-words[seed0]"] == {
        "score": "0.2857142857142857", "checkpoints": "2/3", "points": "2/7",
        "checkpoint: submission exists": "passed, 1/1 points: submission.csv",
        "checkpoint: valid submission": properties["reverse-words[seed0]"]["checkpoint: valid submission"],
        "checkpoint: every word reversed": "failed, 0/5 points: 0/5 right"}
    assert properties["reverse-words[seed0]"]["checkpoint: valid submission"].startswith("passed, 1/1 points")
    assert properties["reverse-words[seed1]"]["medal"] == "silver"
    assert cases["reverse-words[seed2]"].find("error") is not None


def test_junit_counts_items_as_the_terminal_and_the_summary_do(run):
    suite = ET.parse(run["path"] / "reports" / "junit.xml").find("testsuite")
    cases = list(suite.iter("testcase"))
    # 3 items: 2 failed, 1 errored (its worker crashed); the checkpoints are not tests of their own
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == \
        ("3", "2", "1", "0")
    assert len(cases) == 3
    assert all(len([e for e in case if e.tag in ("failure", "error", "skipped")]) == 1 for case in cases)
    assert "2 failed, 1 error" in run["stdout"].strip().splitlines()[-1]


def test_metadata_records_how_to_repeat_the_run_and_every_file_is_readable(run):
    meta = json.loads((run["group"] / "metadata.json").read_text())
    assert meta["command"]["args"][:3] == ["task_specs", "--agent=dummy", "--seeds=3"]
    assert meta["options"]["sandbox"] == "docker" and meta["options"]["workers"] == 2
    assert meta["selection"] == {"paths": ["task_specs"], "k": None, "m": None, "split": None}
    assert meta["versions"]["pytest"] == pytest.__version__ and meta["versions"]["pytest-agentbench"]
    assert "tasks_commit" in meta  # None here: the test's project is no git work tree
    [(tag, image_id)] = meta["images"].items()
    assert tag.startswith("agentbench/agent-dummy:") and image_id.startswith("sha256:")
    unreadable = [str(p) for p in run["group"].rglob("*") if not p.stat().st_mode & 0o004]
    assert unreadable == []  # as readable as the reports (the umask here is 022)


def test_the_crashed_item_has_a_result_saying_so(run):
    saved = json.loads((run["group"] / "reverse-words_seed2" / "result.json").read_text())
    assert (saved["outcome"], saved["crashed"], saved["seed"], saved["agent"]) == ("error", True, 2, "dummy")
    assert "crashed while running" in saved["crash"] and saved["kind"] == "task"


def test_the_terminal_and_github_step_summary_count_every_item(run):
    # items, passed, failed, errors, timeouts, crashed, not run
    assert re.search(r"^dummy\s+3\s+0\s+2\s+1\s+0\s+1\s+0\s", run["stdout"], re.M), run["stdout"]
    markdown = (run["path"] / "step_summary.md").read_text()
    assert f"### agentbench: {run['group'].name}" in markdown
    assert "| dummy | 3 | 0 | 2 | 1 | 0 | 1 | 0 |" in markdown


def test_the_run_group_has_its_summary_and_agentbench_report_rebuilds_the_page(run):
    summary = json.loads((run["group"] / report_files.SUMMARY_FILE).read_text())
    assert summary["agents"][0]["items"] == 3 and summary["agents"][0]["crashed"] == 1
    assert len(report_files.read_collected(run["group"])) == 3
    assert report_files.report_command(run["group"]) == 0
    page = (run["group"] / report_files.REPORT_FILE).read_text()
    assert re.findall(r"<div class='row item (\w+)'", page) == ["failed", "failed", "error"]


def test_without_an_agent_there_is_no_summary_and_no_run_group(pytester):
    project(pytester.path, "")
    result = pytester.runpytest_subprocess("task_specs", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED  # nothing was evaluated: not a pass
    assert "agentbench summary" not in result.stdout.str()
    assert not (pytester.path / "runs").exists()
