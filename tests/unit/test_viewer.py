"""The run viewer's data: transcripts, files produced, per-task means, the comparison's folder."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_agentbench.reporting import run_group as report_files, transcript as viewer_data
from pytest_agentbench.reporting.summary import item_view, per_task
from pytest_agentbench.reporting.tables import metric_cell
from pytest_agentbench.reporting.viewer import items_folder

from test_report_files import GROUP, group, write_item  # noqa: F401  (the fixture)


def write_steps(path: Path, *steps: dict, tail: str = "") -> None:
    path.write_text("".join(json.dumps(s) + "\n" for s in steps) + tail)


def test_a_transcript_has_times_from_the_start_durations_and_the_model_turns(tmp_path):
    path = tmp_path / "trajectory.jsonl"
    write_steps(path,
                {"step": 1, "kind": "exec", "start": 100.0, "end": 103.5, "command": "bash start.sh", "exit_code": 0,
                 "output": "x" * 50_000},
                {"step": 2, "kind": "exec", "start": 100.5, "end": None, "command": "sleep 9", "exit_code": None,
                 "output": "", "parent": 1},
                {"step": 3, "kind": "model", "start": 101.0, "end": 102.0, "model": "gpt-4o", "parent": 1,
                 "input": [{"role": "user", "content": "hi"}], "output": "ls",
                 "tool_calls": [{"name": "bash", "arguments": {"cmd": "ls"}}],
                 "usage": {"prompt_tokens": 10, "completion_tokens": 2}},
                tail='{"step": 4, "kind": "ex')  # a line cut short by a kill
    found = viewer_data.transcript(path)
    first, running, model = found["steps"]
    assert (first["t"], first["duration"], running["t"], running["duration"]) == (0.0, 3.5, 0.5, None)
    assert len(first["output"]) < 7_000 and "characters not shown" in first["output"]
    assert model["tokens"] == 12 and model["input"] == [{"role": "user", "content": "hi"}]
    assert model["tool_calls"] == [{"name": "bash", "arguments": '{"cmd": "ls"}'}]
    assert found["unreadable"] == 1


def test_a_long_transcript_shows_its_first_steps_and_counts_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(viewer_data, "MAX_STEPS", 3)
    path = tmp_path / "trajectory.jsonl"
    write_steps(path, *({"step": i, "kind": "exec", "start": i, "end": i, "command": "true"} for i in range(10)))
    found = viewer_data.transcript(path)
    assert [s["step"] for s in found["steps"]] == [0, 1, 2] and found["more"] == 7


def test_files_produced_leave_out_the_harness_files_and_are_masked(tmp_path, monkeypatch):
    monkeypatch.setenv("VIEWER_UNIT_API_KEY", "sekrit-value-1234")
    (tmp_path / "llm").mkdir()
    (tmp_path / "llm" / "calls.jsonl").write_text("{}")
    (tmp_path / "result.json").write_text("{}")
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "notes.txt").write_text("key sekrit-value-1234")
    (tmp_path / "submission" / "model.bin").write_bytes(b"\0\1\2")
    found = viewer_data.produced_files(tmp_path)
    assert [(f["path"], f["text"]) for f in found["files"]] == [
        ("submission/model.bin", None), ("submission/notes.txt", "key [masked VIEWER_UNIT_API_KEY]")]


def test_per_task_means_are_across_seeds_with_the_metric_and_its_direction():
    items = [item_view({"nodeid": f"t/task.yaml::c[seed{s}]", "agent": "a", "outcome": "passed" if s else "failed",
                        "grade": {"score": v, "metric": "rmse", "lower_is_better": True}})
             for s, v in enumerate([2.0, 4.0])]
    [task] = per_task(items)
    assert (task["task_id"], task["seeds"], task["passed"], task["score"]) == ("c", 2, 1, {"mean": 3.0, "sem": 1.0})
    assert metric_cell({**task, "score": 3.0}) == "rmse ↓"
    assert metric_cell(item_view({"grade": {"score": 0.5}}), words=True) == "partial credit, higher is better"


def test_the_comparison_is_one_folder_and_marks_the_best_in_the_metrics_direction(tmp_path, capsys):
    groups = []
    for name, score in (("g1", 2.0), ("g2", 1.0)):
        group = tmp_path / name
        write_item(group, "c", 0, kind="task", grade={"score": score, "metric": "rmse", "lower_is_better": True,
                                                     "checkpoints": []})
        groups.append(group)
    assert report_files.compare_command([groups[0], tmp_path / "nothing"], tmp_path / "out") == 2
    assert "nothing is not a run group" in capsys.readouterr().err
    assert report_files.compare_command(groups, tmp_path / "out") == 0
    page = (tmp_path / "out" / "index.html").read_text()
    cells = page.split("<div class=\"row item\"")[1]
    first, second = cells.split(" passed")[1:3]
    assert "(best)" not in first and "(best)" in second  # the second group's: 1 < 2, lower is better
    assert sorted(p.name for p in items_folder(tmp_path / "out" / "index.html").iterdir()) == ["0-0.js", "1-0.js"]


def test_a_rebuilt_page_drops_the_item_scripts_of_the_page_before(group):  # noqa: F811
    for seed in range(3):
        write_item(group, "t", seed)
    report_files.rebuild(group)
    for seed in (1, 2):
        (group / f"t_seed{seed}" / "result.json").unlink()
    page = report_files.rebuild(group)
    assert [p.name for p in items_folder(page).iterdir()] == ["0.js"]


def test_a_long_message_is_cut_between_words():
    words = " ".join(f"word{i}" for i in range(100))
    message = item_view({"outcome": "failed", "phases": {"call": {"outcome": "failed", "message": words}}})["message"]
    assert len(message) <= 302 and message.endswith(" …") and message[:-2] in words
    assert words.startswith(message[:-2] + " ")  # a whole word before the cut


def test_the_transcript_html_escapes_commands_outputs_and_model_turns():
    markup = "<img src=x onerror=alert(1)>"
    found = {"steps": [viewer_data._shown(s, 0.0) for s in (
        {"step": 1, "kind": "exec", "start": 0.0, "end": 1.0, "command": f"echo '{markup}'", "exit_code": 2,
         "output": markup},
        {"step": 2, "kind": "model", "start": 0.5, "end": 0.7, "model": markup, "parent": 1,
         "input": [{"role": "user", "content": markup}], "output": markup,
         "tool_calls": [{"name": markup, "arguments": markup}]},
        {"step": 3, "kind": "event", "start": 0.9, "name": "timed_out", "reason": markup})], "more": 2,
        "unreadable": 0}
    from pytest_agentbench.reporting.page import transcript_html

    html = transcript_html(found)
    assert "<img" not in html and html.count("&lt;img src=x onerror=alert(1)&gt;") == 8
    assert "exit 2" in html and "margin-left:1.2em" in html and "2 more steps in trajectory.jsonl" in html


def test_a_transcript_left_in_the_live_form_shows_each_step_with_its_end(tmp_path):
    # A worker killed while its agent ran leaves the trajectory as it grew (trajectory.LiveRun).
    path = tmp_path / "trajectory.jsonl"
    write_steps(path,
                {"step": 1, "kind": "exec", "start": 100.0, "end": None, "command": "bash start.sh", "exit_code": None,
                 "output": ""},
                {"step": 2, "kind": "exec", "start": 101.0, "end": None, "command": "ls", "exit_code": None,
                 "output": "", "parent": 1},
                {"step": 3, "kind": "exec", "start": 102.0, "end": None, "command": "sleep 60", "exit_code": None,
                 "output": "", "parent": 1},
                {"step": 4, "kind": "event", "name": "end", "of": 2, "start": 101.5, "end": 101.5, "exit_code": 2,
                 "output": "ls: x: No such file\n"},
                {"step": 5, "kind": "event", "name": "end", "of": [2], "start": 103.0})  # not a step's: left out
    run, ls, sleep, odd = viewer_data.transcript(path)["steps"]
    assert (ls["command"], ls["exit_code"], ls["duration"], ls["output"]) == ("ls", 2, 0.5, "ls: x: No such file\n")
    assert (sleep["command"], sleep["exit_code"], sleep["duration"]) == ("sleep 60", None, None)  # still running
    assert run["exit_code"] is None and odd["name"] == "end"
