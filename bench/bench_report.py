"""Report speed: a run group of 2,000 items (generated result files) rendered by `agentbench report`'s
code, then opened in headless Chromium (target: under 3 s from navigation to the load event, browser
start-up excluded, until the page is laid out and painted). Needs /usr/bin/chromium (`make setup` installs it).

    .venv/bin/python bench/bench_report.py [--items 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from pytest_agentbench.reporting import results, run_group as report_files

CHROMIUM = "/usr/bin/chromium"
# This machine's closed network refuses Chromium's background connections; do not let it try.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Opened means laid out and painted: the last row has its place, and a frame has been drawn.
LAID_OUT = """() => new Promise(done => requestAnimationFrame(() =>
    done(document.querySelector('#items .item:last-child').getBoundingClientRect().bottom)))"""
LOG_LINE = "step {i}: ran `python train.py --fold {i}`; validation loss {loss:.4f}\n"


def make_group(root: Path, items: int) -> Path:
    """A run group as a real run leaves it: result.json, agent.log, trajectory.jsonl and a submission
    per item; every 50th item crashed, every 100th never ran (collected only); a third are competitions."""
    group = root / results.group_name("bench")
    rng = random.Random(0)
    collected = {}
    for i in range(items):
        task, seed = f"task-{i // 3:04d}", i % 3
        nodeid = f"task_specs/bench/{task}/task.yaml::{task}[seed{seed}]"
        kind = "competition" if i % 3 == 0 else "task"
        category = ("tabular", "vision", "sde", "hr", "finance")[i // 3 % 5]
        collected[nodeid] = {"task_id": task, "seed": seed, "kind": kind, "category": category}
        if i % 100 == 99:
            continue
        folder = results.item_folder(group, task, seed)
        (folder / "submission").mkdir(parents=True)
        (folder / "agent.log").write_text("".join(LOG_LINE.format(i=j, loss=rng.random()) for j in range(200)))
        (folder / "trajectory.jsonl").write_text(json.dumps({"command": "bash /home/agent/start.sh"}) + "\n")
        (folder / "submission" / "submission.csv").write_text(
            "id,answer\n" + "".join(f"{j},{rng.random():.5f}\n" for j in range(100)))
        results.write_json_atomic(folder / results.RESULT_FILE, _result(nodeid, task, seed, kind, category,
                                                                        folder, i, rng))
    report_files.write_collected(group, collected)
    return group


def _result(nodeid, task, seed, kind, category, folder, i, rng) -> dict:
    points = [rng.randint(0, 2) for _ in range(4)]
    medal = rng.choice(["gold", "silver", "bronze", None, None, None])
    details = {"competition_id": task, "score": rng.random(), "any_medal": medal is not None,
               **{f"{m}_medal": medal == m for m in ("gold", "silver", "bronze")},
               "above_median": rng.random() < .5, "submission_exists": True, "valid_submission": True} \
        if kind == "competition" else {}
    crashed = i % 50 == 49
    return {
        "nodeid": nodeid, "task_id": task, "seed": seed, "kind": kind, "category": category, "agent": "bench",
        "outcome": "error" if crashed else "passed" if sum(points) == 8 else "failed", "crashed": crashed,
        "timed_out": False, "folder": str(folder),
        "agent_run": {"exit_code": 0, "timed_out": False, "duration": rng.uniform(5, 3000)},
        "usage": {"input_tokens": rng.randint(1000, 90000), "output_tokens": rng.randint(100, 9000),
                  "cost_usd": rng.random()},
        "grade": None if crashed else {
            "score": sum(points) / 8, "passed": sum(points) == 8, "summary": f"{sum(points)}/8 points",
            "points": sum(points), "total": 8, "details": details,
            "checkpoints": [{"name": f"checkpoint {k}", "points": p, "total": 2, "passed": p == 2,
                             "message": f"<b>{p}</b> of 2"} for k, p in enumerate(points)]},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        group = make_group(Path(tmp), args.items)
        start = time.perf_counter()
        page = report_files.rebuild(group)
        render = time.perf_counter() - start
        opens = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(args.repeats):
                tab = browser.new_page()
                start = time.perf_counter()
                tab.goto(page.as_uri(), wait_until="load")
                tab.evaluate(LAID_OUT)
                opens.append(time.perf_counter() - start)
                rows = tab.locator("#items .item").count()
                tab.locator("#items .item").nth(args.items // 2).click()  # its details render on click
                tab.wait_for_selector("#items .detail .ab-detail")
                tab.close()
            browser.close()
        size = page.stat().st_size
    if rows != args.items:
        raise SystemExit(f"the page shows {rows} rows, not {args.items}")
    best = min(opens)
    print(json.dumps({"items": args.items, "page_bytes": size, "render_s": round(render, 3),
                      "open_s": [round(t, 3) for t in opens], "best_open_s": round(best, 3)}))
    ok = best < 3.0
    print(f"{'OK' if ok else 'TOO SLOW'}: a report of {args.items} items opens in {best:.3f} s (target < 3 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
