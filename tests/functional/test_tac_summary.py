"""TheAgentCompany's files per item (families/workplace/tac_files.py) as TAC's own summarise_results.py
reads them: the real script, run over a run group of ours."""

from __future__ import annotations

import json
import time

from pytest_agentbench.families.workplace import tac_files
from support import tac_summarise, tac_summary_rows


def steps_file(path, steps):
    path.write_text("".join(json.dumps({"step": i, **s}) + "\n" for i, s in enumerate(steps, 1)))
    return path


def model_step(call, prompt, completion, model="gpt-4o"):
    return {"kind": "model", "parent": 1, "start": time.time(), "model": model, "call": call, "output": "ok",
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}


def test_summarise_results_reads_a_run_group_of_ours(tmp_path):
    group = tmp_path / "2026-12-04T21-00-00-000000_run-group_dummy"
    solved, half = group / "sde-solved", group / "ds-half"
    for folder in (solved, half):
        folder.mkdir(parents=True)
    run = {"kind": "exec", "start": time.time(), "command": "bash /home/agent/start.sh", "exit_code": 0, "output": ""}
    program = {"kind": "exec", "parent": 1, "start": time.time(), "command": "ls /workspace", "exit_code": 0,
               "output": "a.csv\n"}
    tac_files.write(solved, {"checkpoints": [{"total": 1, "result": 1}, {"total": 2, "result": 2}],
                             "final_score": {"total": 3, "result": 3}},
                    steps_file(tmp_path / "solved.jsonl", [run, program, model_step(1, 1000, 100),
                                                           model_step(2, 2000, 200)]))
    tac_files.write(half, {"checkpoints": [{"total": 2, "result": 1}], "final_score": {"total": 2, "result": 1}},
                    steps_file(tmp_path / "half.jsonl", [run]))

    report = tac_summarise(group, {"sde-solved": ["gitlab"], "ds-half": []}, tmp_path)

    rows = tac_summary_rows(report)
    # score = result/total/2 + (result//total)/2; steps: the model's turns; cost from TAC's gpt-4o price
    assert rows["sde-solved-image"] == ["3", "3", "1.00 ⭐", "2", f"{0.0000025 * 3000 + 0.00001 * 300:.2f}"]
    assert rows["ds-half-image"] == ["2", "1", "0.25", "0", "0.00"]
    assert "**Tasks Evaluated:** 2" in report and "**Perfect Completions:** 1/2 (50.00%)" in report
    assert "| Perfect Completions for gitlab | 1 (100.00%) |" in report


def test_the_files_have_tac_s_shape(tmp_path):
    item = tmp_path / "group" / "hr-x_seed1"
    item.mkdir(parents=True)
    tac_files.write(item, {"checkpoints": [{"total": 1, "result": 0, "name": "ours"}], "score": 0.0,
                           "final_score": {"total": 1, "result": 0}},
                    steps_file(tmp_path / "t.jsonl", [model_step(7, 5, 6, model="openai/qwen")]))
    assert sorted(p.name for p in item.parent.iterdir()) == [
        "eval_hr-x_seed1-image.json", "hr-x_seed1", "traj_hr-x_seed1-image.json"]
    # eval.py's Result.to_dict(), and nothing of ours
    assert json.loads((item.parent / "eval_hr-x_seed1-image.json").read_text()) == {
        "checkpoints": [{"total": 1, "result": 0}], "final_score": {"total": 1, "result": 0}}
    [event] = json.loads((item.parent / "traj_hr-x_seed1-image.json").read_text())
    assert event["tool_call_metadata"]["model_response"] == {
        "id": "agentbench-call-7", "model": "openai/qwen", "usage": {"prompt_tokens": 5, "completion_tokens": 6}}
    assert event["source"] == "agent" and event["action"] == "message"

    tac_files.clear(item)  # a later grading that fails leaves neither
    assert [p.name for p in item.parent.iterdir()] == ["hr-x_seed1"]
