"""The pytest-html report at 2,000 items: made by a real pytest run (`--regrade` of a generated run group
of the bundled smoke task, so no container is needed), then opened in headless Chromium (target: under
3 s from navigation until the rows are laid out; browser start-up excluded).

    .venv/bin/python bench/bench_html_report.py [--items 2000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from pytest_agentbench.reporting import results

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROWS = "() => document.querySelectorAll('#results-table tbody.results-table-row').length"


def make_group(root: Path, items: int) -> Path:
    """What a dummy run of the smoke task with --seeds N leaves: each seed's submission, log and result."""
    group = root / "runs" / results.group_name("dummy")
    sample = (REPO / "task_specs/smoke/reverse-words/public/sample_submission.csv").read_text()
    for seed in range(items):
        folder = results.item_folder(group, "reverse-words", seed)
        (folder / "submission").mkdir(parents=True)
        (folder / "submission" / "submission.csv").write_text(sample)
        (folder / "agent.log").write_text("running as root: False\nsubmitted the sample submission\n" * 20)
        (folder / "trajectory.jsonl").write_text(json.dumps({"step": 1, "kind": "exec"}) + "\n")
        results.write_json_atomic(folder / results.RESULT_FILE, {
            "nodeid": f"task_specs/smoke/reverse-words/task.yaml::reverse-words[seed{seed}]",
            "task_id": "reverse-words", "seed": seed, "agent": "dummy", "outcome": "failed", "folder": str(folder),
            "agent_run": {"exit_code": 0, "timed_out": False, "duration": 0.3, "time_limit": 120,
                          "log_path": str(folder / "agent.log"), "trajectory_path": str(folder / "trajectory.jsonl")}})
    results.write_json_atomic(group / results.METADATA_FILE, {"agent": "dummy", "seeds": items})
    return group


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("pytest_args", nargs="*", help="more pytest options, e.g. -p no:agentbench-report")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "task_specs" / "smoke", root / "task_specs" / "smoke")
        group = make_group(root, args.items)
        page = root / "report.html"
        done = subprocess.run([sys.executable, "-m", "pytest", "task_specs", "--regrade", str(group), "-n", "2",
                               "-p", "no:cacheprovider", "-q", f"--html={page}", "--self-contained-html",
                               *args.pytest_args],
                              cwd=root, capture_output=True, text=True)
        if not page.exists():
            raise SystemExit(f"no report was written:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
        opens, rows = [], 0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(args.repeats):
                tab = browser.new_page()
                start = time.perf_counter()
                tab.goto(page.as_uri(), wait_until="load")
                rows = tab.evaluate(ROWS)  # pytest-html builds its rows in script: count them once built
                tab.evaluate("() => new Promise(done => requestAnimationFrame(done))")
                opens.append(time.perf_counter() - start)
                tab.close()
            browser.close()
        size = page.stat().st_size
    best = min(opens)
    print(json.dumps({"items": args.items, "rows": rows, "page_bytes": size,
                      "open_s": [round(t, 3) for t in opens], "best_open_s": round(best, 3)}))
    ok = best < 3.0 and rows == args.items
    print(f"{'OK' if ok else 'NOT OK'}: the pytest-html report of {rows}/{args.items} items opens in {best:.3f} s "
          f"(target < 3 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
