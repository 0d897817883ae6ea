"""The run viewer in headless Chromium, over real runs: the dummy and the oracle on a competition and a
workplace task (each group's page: transcript, checkpoints, files, scores; their comparison), and an agent
that prints markup and a secret, which the viewer shows as text, masked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from support import AGENTS, TASK_SPECS

from pytest_agentbench.reporting import run_group as report_files
from pytest_agentbench.reporting.viewer import items_folder

pytestmark = [pytest.mark.browser, pytest.mark.docker]

TASKS = ["task_specs/mle/iris-species", "task_specs/company/hr-leave-balances"]
SECRET = "viewer-secret-5b1d7c0e9a"
# What the attacker prints and leaves: each would run script if the page took it for HTML.
MARKUP = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>"
ATTACKER = f"""#!/usr/bin/env bash
/bin/echo '{MARKUP}'
/bin/echo "key: $CRED"
printf '%s' '<script>window.pwned=3</script>' > '/workspace/<img src=x onerror=window.pwned=4>.html'
/bin/echo "key: $CRED" > /workspace/notes.txt
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory, base_image_tag):
    """Run groups of the dummy, the oracle (two seeds) and the attacker; the comparison of the first two."""
    path = tmp_path_factory.mktemp("viewer")
    for task in TASKS:
        shutil.copytree(TASK_SPECS.parent / task, path / task)
    shutil.copytree(AGENTS, path / "agents")
    attacker = path / "agents" / "attacker"
    attacker.mkdir()
    (attacker / "config.yaml").write_text(json.dumps(
        {"attacker": {"start": "start.sh", "env_vars": {"CRED": "${{ secrets.VIEWER_TEST_API_KEY }}"}}}))
    shutil.copy(AGENTS / "nop" / "Dockerfile", attacker / "Dockerfile")
    (attacker / "start.sh").write_text(ATTACKER)
    env = {**os.environ, "AGENTBENCH_BASE_IMAGE": "", "VIEWER_TEST_API_KEY": SECRET}
    groups = {}
    for agent, args in (("dummy", TASKS), ("oracle", [*TASKS, "--seeds=2"]), ("attacker", TASKS[1:])):
        done = subprocess.run([sys.executable, "-m", "pytest", *args, f"--agent={agent}", "-p", "no:cacheprovider"],
                              cwd=path, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode in (0, 1), done.stdout + done.stderr  # passed, or the agent failed the task
        [groups[agent]] = (path / "runs").glob(f"*_run-group_{agent}")
    compare = subprocess.run([sys.executable, "-m", "pytest_agentbench.cli", "compare", str(groups["dummy"]),
                              str(groups["oracle"]), "-o", "reports/compare"],
                             cwd=path, env=env, capture_output=True, text=True, timeout=120)
    assert compare.returncode == 0, compare.stdout + compare.stderr
    return {**groups, "compare": path / "reports" / "compare" / "index.html"}


def open_row(page, text: str):
    """Open the item row holding `text`; its details, once loaded."""
    page.locator("#items .item", has_text=text).first.click()
    detail = page.locator("#items .detail .ab-detail")
    expect(detail).to_be_visible()
    return detail


def test_a_group_page_shows_transcripts_checkpoints_files_scores_and_means(page, runs):
    page.goto((runs["oracle"] / report_files.REPORT_FILE).as_uri())
    expect(page.locator("#items .item")).to_have_count(4)
    detail = open_row(page, "hr-leave-balances[seed0]")
    # The transcript: the commands the agent ran, with their output and exit code.
    command = detail.locator(".ab-step", has=page.locator(".ab-cmd", has_text="cat /workspace/leave_balances.csv"))
    expect(command.locator(".ab-exit")).to_have_text("exit 0")
    expect(command.locator(".ab-out")).to_contain_text("E102,Bruno Costa")
    expect(detail.locator(".ab-head").first).to_contain_text("+0.00 s")
    expect(detail.locator(".ab-files")).to_contain_text("workspace/over_allowance.txt")
    expect(detail.locator(".ab-score")).to_have_text("score 1 (3/3 points): partial credit, higher is better")
    page.locator("#items .item.open").click()  # closes it
    detail = open_row(page, "iris-species[seed1]")
    expect(detail.locator(".ab-score")).to_contain_text("multi-class-log-loss, lower is better")
    # The per-task table: each task's mean across its two seeds.
    page.locator("details.tasks summary").click()
    iris = page.locator("details.tasks tr", has_text="iris-species")
    expect(iris).to_contain_text("2/2")
    expect(iris).to_contain_text("multi-class-log-loss ↓")
    assert page.outside_requests == []

    page.goto((runs["dummy"] / report_files.REPORT_FILE).as_uri())
    detail = open_row(page, "hr-leave-balances")
    # Checkpoints with the evaluator's reasons.
    expect(detail.locator("table").first).to_contain_text("/workspace/leave_balances.csv does not exist")
    expect(detail.locator(".ab-cmd").first).to_contain_text("bash /home/agent/start.sh")
    # What the agent printed (the dummy says who it runs as: root, on a workplace task, as in TheAgentCompany).
    expect(detail.locator(".ab-transcript .ab-out").first).to_contain_text("running as root: True")


def test_rows_sort_by_a_column_and_filter_by_outcome(page, runs):
    page.goto((runs["oracle"] / report_files.REPORT_FILE).as_uri())
    rows = page.locator("#items .item")
    seeds = page.locator("#items .head span", has_text="Seed")
    seeds.click()
    tests = [rows.nth(i).locator("span").nth(1).text_content() for i in range(4)]
    assert [t.endswith("[seed0]") for t in tests] == [True, True, False, False]
    seeds.click()  # again: descending
    assert rows.first.locator("span").nth(1).text_content().endswith("[seed1]")
    page.goto((runs["dummy"] / report_files.REPORT_FILE).as_uri())
    page.select_option("#outcome", "passed")
    expect(page.locator("#items .item:visible")).to_have_count(0)
    expect(page.locator("#shown")).to_have_text("0 shown")
    page.select_option("#outcome", "failed")
    expect(page.locator("#items .item:visible")).to_have_count(2)
    page.fill("#filter", "iris")
    expect(page.locator("#items .item:visible")).to_have_count(1)


def test_the_comparison_shows_both_agents_side_by_side_per_task(page, runs):
    page.goto(runs["compare"].as_uri())
    head = page.locator("#tasks .head")
    expect(head).to_contain_text("1: dummy")
    expect(head).to_contain_text("2: oracle")
    row = page.locator("#tasks .item", has_text="hr-leave-balances")
    cells = row.locator(":scope > span")
    expect(cells.nth(2)).to_contain_text("0/1 passed")
    expect(cells.nth(3)).to_contain_text("2/2 passed")
    expect(cells.nth(3).locator(".best")).to_contain_text("1 ± 0 partial credit ↑ (best)")
    iris = page.locator("#tasks .item", has_text="iris-species").locator(":scope > span")
    expect(iris.nth(2)).to_contain_text("multi-class-log-loss ↓")
    expect(iris.nth(3).locator(".best")).to_contain_text("(best)")  # the lower log-loss
    row.click()
    dummy, oracle = page.locator("#tasks .detail .side").all()
    expect(dummy.locator(".ab-detail")).to_contain_text("/workspace/leave_balances.csv does not exist")
    expect(oracle.locator(".ab-detail")).to_have_count(2)  # its two seeds
    expect(oracle.locator(".ab-cmd", has_text="cat /workspace/leave_balances.csv")).to_have_count(2)
    # Side by side: the two columns start at the same height, one left of the other.
    left, right = dummy.bounding_box(), oracle.bounding_box()
    assert left["y"] == right["y"] and left["x"] + left["width"] <= right["x"]
    assert page.outside_requests == []


def test_what_the_agent_printed_or_wrote_is_shown_as_text_and_masked(page, runs):
    group = runs["attacker"]
    page.goto((group / report_files.REPORT_FILE).as_uri())
    detail = open_row(page, "hr-leave-balances")
    expect(detail.locator(".ab-transcript .ab-out").first).to_contain_text(MARKUP)  # shown, as text
    expect(detail.locator(".ab-files")).to_contain_text("workspace/<img src=x onerror=window.pwned=4>.html")
    for summary in detail.locator(".ab-files summary").all():
        summary.click()  # the files' text shown too
    expect(detail.locator(".ab-files")).to_contain_text("<script>window.pwned=3</script>")
    expect(detail).to_contain_text("key: [masked VIEWER_TEST_API_KEY]")
    assert page.evaluate("window.pwned") is None  # nothing the agent wrote ran
    assert page.locator("#items .detail img, #items .detail script").count() == 0
    assert SECRET not in page.content()
    written = [group / report_files.REPORT_FILE, *items_folder(group / report_files.REPORT_FILE).iterdir()]
    assert [str(p) for p in written if SECRET in p.read_text()] == []
    assert SECRET in (group / "hr-leave-balances" / "workspace" / "notes.txt").read_text()  # it was there to leak
