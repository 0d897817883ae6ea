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
