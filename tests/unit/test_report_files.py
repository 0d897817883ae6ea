"""report_files.py: the run group's summary.json, submission.jsonl, grading report and report.html."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from support import TASK_SPECS, load_as_mle_bench

from pytest_agentbench.families.competition import reporting as competition_reporting
from pytest_agentbench.families.competition.competition import load_leaderboard
from pytest_agentbench.families.competition.medals import medal_thresholds
from pytest_agentbench.reporting import page, results, run_group as report_files, tables, terminal
from pytest_agentbench.reporting.summary import item_view, summarize

GROUP = "2026-01-01T00-00-00-000000_run-group_a"


def nodeid(task: str, seed: int) -> str:
    return f"task_specs/fam/{task}/task.yaml::{task}[seed{seed}]"


def write_item(group: Path, task: str, seed: int, kind: str = "task", outcome: str = "failed",
               details: dict | None = None, log: str = "", submission: str | None = None, **extra) -> dict:
    folder = results.item_folder(group, task, seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agent.log").write_text(log)
    (folder / "trajectory.jsonl").write_text("{}\n")
    if submission is not None:
        (folder / "submission").mkdir()
        (folder / "submission" / "submission.csv").write_text(submission)
    result = {"nodeid": nodeid(task, seed), "task_id": task, "seed": seed, "kind": kind, "category": "ml",
              "agent": "a", "outcome": outcome, "timed_out": False, "folder": str(folder),
              "grade": {"score": 0.5, "passed": outcome == "passed", "points": 1, "total": 2, "summary": "1/2",
                        "checkpoints": [{"name": "exists", "points": 1, "total": 1, "passed": True, "message": ""},
                                        {"name": "right", "points": 0, "total": 1, "passed": False,
                                         "message": "<b>wrong</b>"}],
                        "details": details or {}}, **extra}
    results.write_json_atomic(folder / results.RESULT_FILE, result)
    return result


def report(task: str, which: str | None) -> dict:
    """A CompetitionReport as the competition family writes it into grade.details."""
    return {"competition_id": task, "score": 0.9, "any_medal": which is not None, "above_median": True,
            "submission_exists": True, "valid_submission": True,
            **{f"{m}_medal": m == which for m in ("gold", "silver", "bronze")}}


@pytest.fixture
def group(tmp_path) -> Path:
    path = tmp_path / GROUP
    path.mkdir()
    return path


def test_summary_json_covers_every_result_and_every_collected_item(group):
    written = [write_item(group, "t1", 0, outcome="passed"), write_item(group, "t1", 1)]
    report_files.write_collected(group, {nodeid("t1", 2): {"task_id": "t1", "seed": 2, "kind": "task"}})
    report_files.write_run_files(group, agent="a")
    saved = json.loads((group / report_files.SUMMARY_FILE).read_text())
    assert saved == summarize(written, [nodeid("t1", 2)], agent="a")
    assert saved["agents"][0]["items"] == 3 and saved["agents"][0]["not_run"] == 1


def test_collected_items_accumulate_across_sessions(group):
    report_files.write_collected(group, {nodeid("t1", 0): {"kind": "task"}})
    report_files.write_collected(group, {nodeid("t2", 0): {"kind": "competition"}})
    assert report_files.read_collected(group) == {nodeid("t1", 0): {"kind": "task"},
                                                  nodeid("t2", 0): {"kind": "competition"}}


def test_competitions_get_a_submission_jsonl_and_mle_bench_grading_report(group):
    write_item(group, "c1", 0, kind="competition", details=report("c1", "gold"), submission="id,y\n1,2\n")
    write_item(group, "c2", 0, kind="competition", details=report("c2", None), submission="id,y\n1,2\n")
    write_item(group, "c3", 0, kind="competition", outcome="error", crashed=True, grade=None)
    write_item(group, "t1", 0)  # not a competition: in neither file
    report_files.write_collected(group, {nodeid("c4", 0): {"task_id": "c4", "seed": 0, "kind": "competition"}})
    report_files.write_run_files(group, agent="a")

    lines = [json.loads(line) for line in (group / competition_reporting.SUBMISSION_FILE).read_text().splitlines()]
    assert [line["competition_id"] for line in lines] == ["c1", "c2", "c3", "c4"]
    assert lines[0] == {"competition_id": "c1", "submission_path": str(group / "c1_seed0/submission/submission.csv"),
                        "logs_path": str(group / "c1_seed0/logs"), "code_path": str(group / "c1_seed0/code")}
    [grading] = group.glob(f"*{competition_reporting.GRADING_REPORT_SUFFIX}")
    aggregate = json.loads(grading.read_text())
    assert {k: v for k, v in aggregate.items() if k != "competition_reports"} == {
        "total_runs": 4, "total_runs_with_submissions": 2, "total_valid_submissions": 2, "total_medals": 1,
        "total_gold_medals": 1, "total_silver_medals": 0, "total_bronze_medals": 0, "total_above_median": 2}
    crashed = aggregate["competition_reports"][2]
    assert crashed["competition_id"] == "c3" and crashed["any_medal"] is False and crashed["valid_submission"] is False


def test_an_item_that_errored_gets_a_report_mle_bench_can_load(group):
    """Thresholds and direction from the competition's leaderboard, created_at set: MLE-bench's
    CompetitionReport.from_dict failed on the nulls the report had before."""
    write_item(group, "iris-species", 0, kind="competition", outcome="error", grade=None, submission="id,y\n")
    spec = TASK_SPECS / "mle" / "iris-species" / "task.yaml"
    report_files.write_collected(group, {nodeid("iris-species", 0): {"task_id": "iris-species", "seed": 0,
                                                                     "kind": "competition", "spec": str(spec)}})
    report_files.write_run_files(group, agent="a")
    [grading] = group.glob(f"*{competition_reporting.GRADING_REPORT_SUFFIX}")
    [errored] = json.loads(grading.read_text())["competition_reports"]
    loaded = load_as_mle_bench(errored)
    thresholds = medal_thresholds(load_leaderboard(spec.parent), errored["is_lower_better"])
    assert (loaded["gold_threshold"], loaded["median_threshold"]) == (thresholds.gold, thresholds.median)
    assert loaded["submission_exists"] and not loaded["valid_submission"] and loaded["score"] is None


def test_a_newer_grading_report_replaces_the_older_one(group):
    write_item(group, "c1", 0, kind="competition", details=report("c1", "gold"))
    (group / f"2020-01-01T00-00-00-UTC{competition_reporting.GRADING_REPORT_SUFFIX}").write_text("{}")
    report_files.write_run_files(group)
    [grading] = group.glob(f"*{competition_reporting.GRADING_REPORT_SUFFIX}")
    assert json.loads(grading.read_text())["total_medals"] == 1


def test_without_competitions_there_is_no_submission_file(group):
    write_item(group, "t1", 0)
    report_files.write_run_files(group)
    assert not (group / competition_reporting.SUBMISSION_FILE).exists()
    assert not list(group.glob(f"*{competition_reporting.GRADING_REPORT_SUFFIX}"))


def test_item_detail_has_the_log_tail_the_first_submission_rows_and_links(group):
    log = "".join(f"line {i}\n" for i in range(100))
    csv = "id,answer\n" + "".join(f"{i},{'x' * 100}\n" for i in range(50))
    result = write_item(group, "t1", 0, log=log, submission=csv)
    detail = page.item_detail(result)
    assert detail["log_tail"].splitlines() == [f"line {i}" for i in range(100 - page.LOG_TAIL_LINES, 100)]
    assert detail["submission"]["rows"][0] == ["id", "answer"]
    assert len(detail["submission"]["rows"]) == 1 + page.PREVIEW_ROWS
    assert detail["submission"]["rows"][1] == ["0", "x" * page.PREVIEW_CELL]
    assert detail["trajectory"] == str(group / "t1_seed0" / "trajectory.jsonl")
    html = page.detail_html(detail, group)
    assert "href='t1_seed0/trajectory.jsonl'" in html and "&lt;b&gt;wrong&lt;/b&gt;" in html
    json.dumps(detail)  # it crosses from an xdist worker to the controller


def test_rebuild_writes_a_self_contained_page_with_a_row_per_item(group):
    write_item(group, "t1", 0, outcome="passed", log="</script><script>alert(1)</script>")
    write_item(group, "t1", 1, outcome="error", crashed=True, crash="worker 'gw0' crashed", grade=None)
    report_files.write_collected(group, {nodeid("t1", 2): {"task_id": "t1", "seed": 2}})
    page = report_files.rebuild(group)
    assert page == group / report_files.REPORT_FILE
    text = page.read_text()
    rows = re.findall(r"<div class='row item (\w+)'", text)
    assert rows == ["passed", "error", "notrun"]
    assert ">crashed<" in text and "worker &#x27;gw0&#x27; crashed" in text and ">never ran<" in text
    assert "<h3>Agents</h3>" in text and "class='ab-chart'" in text
    assert "<script>alert(1)" not in text  # the agent's log cannot end the page's script or add its own
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=|https?://""", text)  # nothing from outside


def test_report_command_prints_the_summary_and_refuses_a_folder_that_is_no_run_group(group, tmp_path, capsys):
    assert report_files.report_command(tmp_path / "elsewhere") == 2
    assert "is not a run group" in capsys.readouterr().err
    write_item(group, "t1", 0)
    html = tmp_path / "out" / "page.html"
    assert report_files.report_command(group, html) == 0
    out = capsys.readouterr().out
    assert re.search(r"^a\s+1\s+0\s+1\s+0", out, re.M) and f"report: {html}" in out
    # links from where the page is, to the group's files
    assert "href='../" in (html.parent / "page_items" / "0.js").read_text()


def test_text_and_markdown_tables_show_the_numbers():
    summary = summarize([{"nodeid": nodeid("t", s), "agent": "a", "outcome": o, "kind": "task",
                          "grade": {"score": v}} for s, (o, v) in enumerate([("passed", 1.0), ("failed", 0.5)])])
    text = "\n".join(terminal.text_lines(summary))
    assert "0.750 ± 0.250" in text and "@1 0.50, @2 1.00" in text
    markdown = terminal.markdown(summary, GROUP)
    assert markdown.startswith(f"### agentbench: {GROUP}") and "| a | 2 | 1 | 1 | 0 |" in markdown


def test_the_agent_table_shows_what_judging_cost_apart_from_the_agent():
    judged = {"judge_usage": {"calls": 3, "input_tokens": 500, "output_tokens": 3, "cost_usd": 0.00131}}
    summary = summarize([{"nodeid": nodeid("t", 0), "agent": "a", "outcome": "passed", "kind": "workplace",
                          "grade": {"score": 1.0, "details": judged}}])
    [row] = tables.agent_rows(summary)
    assert dict(zip(tables.agent_headers(), row))["judge cost"] == "$0.0013 (3 calls)"
    assert dict(zip(tables.agent_headers(), row))["cost"] == "-"


def test_figures_the_agent_reported_itself_are_marked_and_ignored_ones_counted(group):
    reported = {"input_tokens": 1000, "output_tokens": 200, "cost_usd": 0.01, "source": "agent"}
    ignored = {"source": "agent", "ignored": "usage.json ignored: output_tokens -5 is not between 0 and 10"}
    items = [write_item(group, "t1", 0, usage=reported), write_item(group, "t1", 1, usage=ignored)]
    summary = summarize(items)
    row = dict(zip(tables.agent_headers(), tables.agent_rows(summary)[0]))
    assert row["tokens"] == "1,200 (agent-reported) (1 usage.json ignored)"
    assert row["cost"] == "$0.01 (agent-reported)"
    cells = tables.cells(item_view(items[0]))
    assert cells["tokens"] == "1,200 (agent-reported)" and cells["cost"] == "$0.0100 (agent-reported)"
    assert page.item_detail(items[1])["notes"] == [ignored["ignored"]]
