"""MLE-bench's own competitions (`--mlebench-data`) on a real engine, through a test fixture package laid
out to MLE-bench's contract (tests/fixtures/mlebench_contract; the real package cannot be installed in CI).

An oracle-like agent solves toy-regression from the public data alone and medals; its grade is the
package's own grade_csv, and the reports load with the package's CompetitionReport.from_dict; a grader
that raises gives no score, as MLE-bench's grade_csv; a competition without prepared data is skipped with
the command that prepares it; the agent sees the public files, the instructions, COMPETITION_ID and the
grading server's POST /validate answered by the package's validate_submission, and never the private files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from support import AGENTS, REPO, add_agent, load_as_mle_bench

pytestmark = pytest.mark.docker
FIXTURE = REPO / "tests" / "fixtures" / "mlebench_contract"
MARKER = "PRIVATE-MARKER-5f0c2"  # only in the private folder: the agent must never see it

ORACLE_LIKE = f"""#!/bin/bash
python3 - <<'PY'
import csv
rows = list(csv.DictReader(open('/home/data/test.csv')))
with open('/home/submission/submission.csv', 'w') as f:
    f.write('id,y\\n')
    for r in rows:
        f.write(f"{{r['id']}},{{2 * float(r['x']) + 1}}\\n")
PY
echo "VALIDATE $(/home/validate_submission.sh /home/submission/submission.csv)"
printf 'id,y\\nnot-an-id,1\\n' > /tmp/bad.csv
echo "VALIDATE-BAD $(curl -s -X POST -F file=@/tmp/bad.csv "$VALIDATION_URL")"
echo "HEALTH $(curl -s http://grading-server:5000/health)"
echo "ENV COMPETITION_ID=$COMPETITION_ID"
echo "DATA $(ls /home/data | tr '\\n' ' ')"
head -1 /home/instructions.txt
touch /home/data/x 2>/dev/null && echo "DATA IS WRITABLE"
# the attacker's part: the private answers anywhere it can read?
find / -xdev \\( -path '*prepared/private*' -o -name 'answers.csv' \\) 2>/dev/null | sed 's/^/FOUND /'
part={MARKER[:14]}  # the marker in two parts: this script must not hold it whole
grep -rs --exclude-dir=proc --exclude-dir=sys -l "$part{MARKER[14:]}" / 2>/dev/null | sed 's/^/FOUND /'
ls /private 2>/dev/null && echo "FOUND /private"
exit 0
"""


def prepare_by_hand(data: Path, competition_id: str) -> None:
    """What `mlebench prepare` would write: public train/test/sample, private answers (y = 2x + 1)."""
    public, private = data / competition_id / "prepared" / "public", data / competition_id / "prepared" / "private"
    public.mkdir(parents=True)
    private.mkdir(parents=True)
    (public / "train.csv").write_text("id,x,y\n" + "".join(f"tr{i},{i},{2 * i + 1}\n" for i in range(20)))
    (public / "test.csv").write_text("id,x\n" + "".join(f"te{i},{i / 2}\n" for i in range(10)))
    (public / "sample_submission.csv").write_text("id,y\n" + "".join(f"te{i},0\n" for i in range(10)))
    (public / "description.md").write_text("predict y\n")
    (private / "answers.csv").write_text("id,y\n" + "".join(f"te{i},{2 * (i / 2) + 1}\n" for i in range(10)))
    (private / "notes.txt").write_text(MARKER + "\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory, base_image_tag):
    path = tmp_path_factory.mktemp("mlebench")
    # a checkout of its own, as a user's is: under tests/ it would come with this suite's conftest.py
    shutil.copytree(FIXTURE, path / "mle-bench")
    shutil.copytree(AGENTS, path / "agents")
    add_agent(path, "oracle-like", ORACLE_LIKE)
    add_agent(path, "unbuildable", "exit 0\n")
    with open(path / "agents" / "unbuildable" / "Dockerfile", "a") as dockerfile:
        dockerfile.write("RUN false\n")  # every item errors before its agent runs
    for competition_id in ("toy-regression", "toy-raises"):
        prepare_by_hand(path / "data", competition_id)
    return path


def run(project: Path, *args: str, with_package: bool = True, agent: str = "oracle-like") -> tuple[subprocess.CompletedProcess, Path | None]:
    runs = Path(tempfile.mkdtemp(prefix="runs-", dir=project))
    env = {**os.environ, "PYTHONPATH": str(project / "mle-bench")} if with_package else dict(os.environ)
    done = subprocess.run([sys.executable, "-m", "pytest", f"--agent={agent}", "-p", "no:cacheprovider",
                           "-n", "0", "-rs", f"--run-dir={runs}", "--mlebench-data", str(project / "data"), *args],
                          cwd=project, capture_output=True, text=True, timeout=900, env=env)
    groups = list(runs.iterdir())
    return done, groups[0] if groups else None


def from_dict(report: dict):
    """The package's own CompetitionReport.from_dict (the fixture's, standing in for MLE-bench's)."""
    sys.path.insert(0, str(FIXTURE))
    try:
        from mlebench.grade_helpers import CompetitionReport
    finally:
        sys.path.remove(str(FIXTURE))
    return CompetitionReport.from_dict(report)


def test_their_competitions_run_graded_by_their_code(project):
    done, group = run(project)
    out = done.stdout
    assert done.returncode == 1 and "1 passed, 1 skipped" in out, out[-3000:]
    assert "'valid submission' failed" in out and "toy-raises" in out, out[-3000:]
    assert out.count("any medal ± SEM") == 1, out[-3000:]  # one column for both families' competitions
    assert "toy-unprepared is not prepared" in out and "mlebench prepare -c toy-unprepared" in out, out[-3000:]

    [grading] = group.glob("*_grading_report.json")
    reports = {r["competition_id"]: r for r in json.loads(grading.read_text())["competition_reports"]}
    assert set(reports) == {"toy-regression", "toy-raises"}  # a skipped competition did not run
    solved, raised = reports["toy-regression"], reports["toy-raises"]
    assert solved["score"] == 0.0 and solved["gold_medal"] and solved["is_lower_better"] is True
    assert raised["submission_exists"] and raised["score"] is None and not raised["valid_submission"]
    for report in reports.values():
        from_dict(report)
        load_as_mle_bench(report)

    log = (group / "toy-regression" / "agent.log").read_text()
    assert 'VALIDATE {"result": "Submission is valid."}' in log, log
    assert 'VALIDATE-BAD {"result": "Submission invalid!' in log, log
    assert 'HEALTH {"status": "running"}' in log and "ENV COMPETITION_ID=toy-regression" in log, log
    assert "DATA description.md sample_submission.csv test.csv train.csv" in log, log
    assert "TEST FIXTURE instructions" in log and "DATA IS WRITABLE" not in log, log
    assert "FOUND" not in log and MARKER not in log, log

    # MLE-bench's make_submission.py reads metadata.json's runs as <competition id>_<...> folders
    metadata = json.loads((group / "metadata.json").read_text())
    assert sorted(metadata["runs"]) == ["toy-raises", "toy-regression"]
    for run_id in metadata["runs"]:
        assert run_id.split("_")[0] in reports and (group / run_id / "submission" / "submission.csv").is_file()


def test_their_split_file_selects_competitions(project):
    done, group = run(project, "--split", str(project / "mle-bench" / "experiments" / "splits" / "one.txt"))
    assert done.returncode == 0 and "1 passed, 2 deselected in" in done.stdout, done.stdout[-3000:]
    [grading] = group.glob("*_grading_report.json")
    assert [r["competition_id"] for r in json.loads(grading.read_text())["competition_reports"]] == ["toy-regression"]


def test_without_the_package_a_clear_message_says_how_to_install_it(project):
    done, group = run(project, with_package=False)
    assert done.returncode == 4 and group is None
    assert "needs MLE-bench's package `mlebench`" in done.stderr and "pip install -e" in done.stderr, done.stderr


def test_an_item_that_errored_has_a_report_their_from_dict_loads(project):
    # -m easy: their experiments/splits/low.txt as the items' difficulty (toy-regression, toy-raises)
    done, group = run(project, "-m", "easy", agent="unbuildable")
    assert "1 deselected, 2 errors" in done.stdout, done.stdout[-3000:]
    [grading] = group.glob("*_grading_report.json")
    reports = {r["competition_id"]: r for r in json.loads(grading.read_text())["competition_reports"]}
    assert sorted(reports) == ["toy-raises", "toy-regression"]
    report = reports["toy-regression"]
    loaded = from_dict(report)  # thresholds from the leaderboard beside their config.yaml, created_at set
    assert (loaded.gold_threshold, loaded.median_threshold, loaded.is_lower_better) == (0.0, 0.3, True)
    assert loaded.score is None and not loaded.submission_exists
    load_as_mle_bench(report)
