"""What an author gets wrong in a task folder is found at collection, naming the file and line, before any agent
runs; the other tasks still collect."""

from __future__ import annotations

import shutil

from support import TASK_SPECS


def test_a_leaderboard_out_of_order_fails_collection_naming_the_file_and_line(pytester):
    for competition in ("iris-species", "cars-mpg"):
        shutil.copytree(TASK_SPECS / "mle" / competition, pytester.path / "task_specs" / "mle" / competition)
    board = pytester.path / "task_specs" / "mle" / "iris-species" / "leaderboard.csv"
    lines = board.read_text().splitlines()
    lines[3], lines[4] = lines[4], lines[3]  # two teams swapped in the middle: first and last still look sorted
    board.write_text("\n".join(lines) + "\n")

    result = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs")

    result.stdout.fnmatch_lines([f"*{board}:5: the leaderboard is not sorted best first*position 4*"])
    assert any("cars-mpg" in line and "::" in line for line in result.outlines)  # the other competition collects
    assert result.ret != 0


def test_checkpoint_points_that_disagree_with_the_evaluator_fail_collection_naming_both_places(pytester):
    for task in ("hr-leave-balances", "ds-sales-by-region"):
        shutil.copytree(TASK_SPECS / "company" / task, pytester.path / "task_specs" / "company" / task)
    rubric = pytester.path / "task_specs" / "company" / "hr-leave-balances" / "checkpoints.md"
    # The evaluator gives checkpoint 1 two points; the rubric now says three.
    rubric.write_text(rubric.read_text().replace("## Checkpoint 1 (2pts)", "## Checkpoint 1 (3pts)"))

    result = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs")

    result.stdout.fnmatch_lines([f"*{rubric}:5: checkpoint 1 is worth 3 point(s) here, but *evaluator.py:* gives it 2*"])
    assert any("ds-sales-by-region" in line and "::" in line for line in result.outlines)  # the other task collects
    assert result.ret != 0


def test_checkpoint_points_are_not_checked_where_the_evaluator_does_not_write_them_out(pytester):
    # Totals from names or loops cannot be read without running the author's code: no check, no error.
    task = pytester.path / "task_specs" / "company" / "hr-leave-balances"
    shutil.copytree(TASK_SPECS / "company" / "hr-leave-balances", task)
    evaluator = task / "evaluator.py"
    evaluator.write_text("POINTS = 3\n" + evaluator.read_text().replace("Checkpoint(2,", "Checkpoint(POINTS,"))

    result = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs")

    assert any("hr-leave-balances" in line and "::" in line for line in result.outlines)
    assert result.ret == 0
