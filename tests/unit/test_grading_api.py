"""The grader API an author needs comes from one public module, and the bundled tasks use only that module."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from support import TASK_SPECS


def test_a_competition_grader_needs_only_pytest_agentbench_grading():
    from pytest_agentbench.grading import Checkpoint, InvalidSubmissionError, validate_frame

    answers = pd.DataFrame({"id": [1, 2], "y": [0.5, 1.5]})
    with pytest.raises(InvalidSubmissionError, match="y"):
        validate_frame(pd.DataFrame({"id": [1, 2]}), answers, id_column="id")
    assert Checkpoint("ok", 1).passed


def test_the_bundled_graders_import_the_public_module_not_its_submodules():
    private = [f"{path.relative_to(TASK_SPECS)}:{n}" for path in sorted(TASK_SPECS.rglob("*.py"))
               for n, line in enumerate(path.read_text().splitlines(), 1)
               if re.match(r"\s*from pytest_agentbench\.(?!grading import)", line)]
    assert private == []  # the docs' examples are what authors copy; they must show the public import
