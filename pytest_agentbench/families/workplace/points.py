"""checkpoints.md's points against the evaluator's, checked at collection: a rubric that says "(2pts)"
beside a 3-point checkpoint misleads every reviewer who reads it.

The evaluator is the task author's code and runs only in the grader, so it is read here, not run: the
totals of its `Checkpoint(total, result)` calls, in source order, when each is a number written out.
Where they are not (a name, a loop, a helper making checkpoints) or their count is not the rubric's,
nothing can be said and nothing is checked.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

RUBRIC_POINTS = re.compile(r"^#+\s*Checkpoint\s*(\d+)\s*\((\d+)\s*(?:pts?|points?)\)", re.M | re.I)


def rubric_points(text: str) -> list[tuple[int, int]]:
    """(line, points) of each checkpoint heading of checkpoints.md, in order."""
    return [(text.count("\n", 0, m.start()) + 1, int(m.group(2))) for m in RUBRIC_POINTS.finditer(text)]


def evaluator_totals(source: str) -> list[tuple[int, int]] | None:
    """(line, total) of each `Checkpoint(...)` call of the evaluator, in source order; None when a total
    is not a number written out, or the source does not parse (the grader reports that)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    totals = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name != "Checkpoint":
            continue
        total = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "total"), None)
        if not (isinstance(total, ast.Constant) and isinstance(total.value, int)):
            return None
        totals.append((node.lineno, node.col_offset, total.value))
    return [(line, value) for line, _, value in sorted(totals)]


def points_mismatch(rubric: Path, evaluator: Path) -> str | None:
    """Where checkpoints.md and the evaluator disagree on a checkpoint's points, said with both places."""
    try:
        stated = rubric_points(rubric.read_text(encoding="utf-8"))
        totals = evaluator_totals(evaluator.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    if not stated or totals is None or len(totals) != len(stated):
        return None
    for n, ((rubric_line, says), (evaluator_line, total)) in enumerate(zip(stated, totals), 1):
        if says != total:
            return (f"{rubric}:{rubric_line}: checkpoint {n} is worth {says} point(s) here, but "
                    f"{evaluator}:{evaluator_line} gives it {total}")
    return None
