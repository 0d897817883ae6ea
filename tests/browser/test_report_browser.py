"""The reports of a real run, opened in headless Chromium: every row, the summary, an opened row."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from support import AGENTS, TASK_SPECS

from pytest_agentbench.reporting import run_group as report_files

pytestmark = [pytest.mark.browser, pytest.mark.docker]



@pytest.fixture(scope="module")
def run(tmp_path_factory, base_image_tag):
    """The oracle on the smoke task, two seeds; then `agentbench report` on its run group."""
    path = tmp_path_factory.mktemp("browser")
    shutil.copytree(TASK_SPECS / "smoke", path / "task_specs" / "smoke")
    shutil.copytree(AGENTS, path / "agents")
    done = subprocess.run([sys.executable, "-m", "pytest", "task_specs", "--agent=oracle", "--seeds=2",
                           "-p", "no:cacheprovider", "--html=reports/report.html"],
                          cwd=path, env={**os.environ, "AGENTBENCH_BASE_IMAGE": ""},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    [group] = (path / "runs").iterdir()
    assert report_files.report_command(group) == 0
    return {"html": path / "reports" / "report.html", "page": group / report_files.REPORT_FILE}


def test_both_reports_show_every_row_the_summary_and_an_opened_row(page, run):
    # One test, so that xdist gives it (and its run) to one worker.
    page.goto(run["html"].as_uri())  # pytest-html's report
    rows = page.locator("#results-table tbody.results-table-row")
    assert rows.count() == 2
    assert "Medal / points" in page.locator("#results-table-head").inner_text()
    for seed in (0, 1):
        row = rows.filter(has_text=f"reverse-words[seed{seed}]")
        assert row.locator(".col-score").inner_text() == "1" and row.locator(".col-checkpoints").inner_text() == "3/3"
    summary = page.locator(".ab-summary")
    assert summary.is_visible() and "oracle" in summary.locator("table").first.inner_text()
    assert page.locator(".ab-bar span.score").first.bounding_box()["width"] > 0
    details = rows.first.locator(".extras-row .ab-detail")
    assert not details.is_visible()  # passed rows start closed
    rows.first.locator(".col-result").click()
    assert details.is_visible() and "every word reversed" in details.inner_text()

    page.goto(run["page"].as_uri())  # `agentbench report`'s page
    rows = page.locator("#items .item")
    assert rows.count() == 2 and all(rows.nth(i).is_visible() for i in range(2))
    assert page.locator(".ab-summary").is_visible()
    rows.first.click()
    detail = page.locator("#items .detail")  # its details load from report_items/: wait for them
    expect(detail).to_contain_text("every word reversed")
    expect(detail).to_contain_text("submission.csv (first rows)")
    page.fill("#filter", "seed1")
    assert [rows.nth(i).is_visible() for i in range(2)] == [False, True]
    assert page.outside_requests == []  # both work offline
