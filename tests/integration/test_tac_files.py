"""TheAgentCompany's files per item in a real run group: TAC's own summarise_results.py reads it as it
is, and an item whose evaluator failed has no eval file, as in TAC."""

from __future__ import annotations

import json
import shutil

import pytest

from support import AGENTS, TASK_SPECS, tac_summarise, tac_summary_rows

pytestmark = pytest.mark.docker
SOLVED, BROKEN = "ds-sales-by-region", "hr-leave-balances"


def test_a_run_group_holds_tac_s_files_and_tac_s_summary_reads_it(pytester, base_image_tag, monkeypatch, tmp_path):
    for task in (SOLVED, BROKEN):
        shutil.copytree(TASK_SPECS / "company" / task, pytester.path / "task_specs" / task)
    shutil.copytree(AGENTS, pytester.path / "agents")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    (pytester.path / "task_specs" / BROKEN / "evaluator.py").write_text(
        "def grade_checkpoints(trajectory=''):\n    raise RuntimeError('evaluator bug 42')\n")

    run = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "-p", "no:cacheprovider")
    run.assert_outcomes(passed=1, errors=1)

    [group] = (pytester.path / "runs").iterdir()
    tac = sorted(p.name for p in group.glob("*_*-image.json"))
    assert tac == [f"eval_{SOLVED}-image.json", f"traj_{SOLVED}-image.json"]  # none for the failed evaluator
    result = json.loads((group / SOLVED / "result.json").read_text())
    checkpoints = result["grade"]["checkpoints"]
    assert json.loads((group / f"eval_{SOLVED}-image.json").read_text()) == {
        "checkpoints": [{"total": c["total"], "result": c["points"]} for c in checkpoints],
        "final_score": {"total": 4, "result": 4}}
    events = json.loads((group / f"traj_{SOLVED}-image.json").read_text())
    # the agent's start and every program it ran, as OpenHands' run actions, each with its observation
    runs = [e for e in events if e.get("action") == "run"]
    assert "start.sh" in runs[0]["args"]["command"] and runs[0]["source"] == "environment"
    assert len(runs) > 1 and all(e["source"] == "agent" for e in runs[1:])
    assert sorted(e["cause"] for e in events if e.get("observation") == "run") == [e["id"] for e in runs]

    report = tac_summarise(group, {SOLVED: [], BROKEN: []}, tmp_path)
    assert tac_summary_rows(report) == {f"{SOLVED}-image": ["4", "4", "1.00 ⭐", "0", "0.00"]}
    assert "**Tasks Evaluated:** 1" in report
