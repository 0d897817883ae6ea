"""`agentbench new competition|workplace ID`: a task folder that collects and whose oracle passes as
written, for an author to change part by part (each file says what it is for). The formats are the
ones docs/competitions.md and docs/workplace-tasks.md describe; nothing here is special-cased elsewhere.
"""

from __future__ import annotations

import re
from pathlib import Path

KINDS = {"competition": "task_specs/mle", "workplace": "task_specs/company"}
ID = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


class ScaffoldError(Exception):
    pass


COMPETITION = {
    "task.yaml": """\
# A competition as MLE-bench defines one (docs/competitions.md). Change the name, description and data;
# keep the id equal to the folder's name.
kind: competition
id: {id}
name: {title}
competition_type: simple
awards_medals: true
prizes: null
description: description.md
dataset:
  answers: private/answers.csv
  sample_submission: public/sample_submission.csv
grader:
  name: accuracy
  grade_fn: grade.py:grade
preparer: prepare.py:prepare
raw: raw.py:make_raw
solution: solution.py
id_column: id
category: tabular-classification
difficulty: low
time_limit: 600
""",
    "description.md": """\
# {title}

## Overview
Each row has two measurements, `x1` and `x2`, and a class, `label` (0 or 1). Predict the class of the
rows of `test.csv`. (Replace this with your competition's story: it is all the agent reads.)

## Data
- `train.csv`: `id`, `x1`, `x2`, `label`.
- `test.csv`: the same columns without `label`.
- `sample_submission.csv`: a submission in the right format.

## Evaluation
Accuracy, the share of rows whose class is right; **higher is better**.

## Submission format
A CSV with a header and one row per `id` of `test.csv`:

    id,label
    3,1
    ...
""",
    "raw.py": '''\
"""Raw data, made here (nothing is downloaded): replace it with your data's source, an installed
package's dataset for instance."""

from pathlib import Path

import numpy as np
import pandas as pd


def make_raw(raw: Path) -> None:
    rng = np.random.RandomState(0)
    x = rng.normal(size=(400, 2))
    frame = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": (x[:, 0] + 2 * x[:, 1] > 0).astype(int)})
    frame.to_csv(raw / "data.csv", index=False)
''',
    "prepare.py": '''\
"""The split, with a fixed seed: what the agent gets (public/) and what grading keeps (private/)."""

from pathlib import Path

import numpy as np
import pandas as pd


def prepare(raw: Path, public: Path, private: Path) -> None:
    data = pd.read_csv(raw / "data.csv")
    data.insert(0, "id", np.random.RandomState(0).permutation(len(data)))  # ids that give nothing away
    test = data.sample(frac=0.25, random_state=0).sort_values("id")
    train = data.drop(test.index).sort_values("id")
    train.to_csv(public / "train.csv", index=False)
    test.drop(columns="label").to_csv(public / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], "label": 0}).to_csv(public / "sample_submission.csv", index=False)
    test[["id", "label"]].to_csv(private / "answers.csv", index=False)
''',
    "grade.py": '''\
"""The metric: a score from a submission and the answers; a malformed submission raises
InvalidSubmissionError with what is wrong (the agent's validation tool shows it)."""

import pandas as pd

from pytest_agentbench.grading import InvalidSubmissionError, validate_frame


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    validate_frame(submission, answers, id_column="id")
    predicted = submission.set_index("id").loc[answers["id"], "label"]
    if not predicted.isin([0, 1]).all():
        raise InvalidSubmissionError("label must be 0 or 1")
    return float((predicted.to_numpy() == answers["label"].to_numpy()).mean())
''',
    "solution.py": '''\
"""The oracle's reference solution: reads $DATA_DIR, writes $SUBMISSION_DIR/submission.csv. It runs
in the agent's image (Debian's python3-sklearn and pandas)."""

import os

import pandas as pd
from sklearn.linear_model import LogisticRegression

DATA_DIR = os.environ.get("DATA_DIR", "/home/data")
SUBMISSION_DIR = os.environ.get("SUBMISSION_DIR", "/home/submission")

train = pd.read_csv(os.path.join(DATA_DIR, "train.csv"))
test = pd.read_csv(os.path.join(DATA_DIR, "test.csv"))
model = LogisticRegression(C=100).fit(train[["x1", "x2"]], train["label"])
os.makedirs(SUBMISSION_DIR, exist_ok=True)
pd.DataFrame({"id": test["id"], "label": model.predict(test[["x1", "x2"]])}).to_csv(
    os.path.join(SUBMISSION_DIR, "submission.csv"), index=False)
''',
    # Best first. A placeholder field: score real models and write it again before anyone is ranked on it.
    "leaderboard.csv": "teamName,score\n" + "".join(f"team-{i},{s}\n" for i, s in enumerate(
        [0.9, 0.88, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5], 1)),
}

WORKPLACE = {
    "task.yaml": """\
# Ours: metadata (docs/workplace-tasks.md). The task itself is TheAgentCompany's format: task.md,
# checkpoints.md, evaluator.py and the files in workspace/.
kind: workplace
id: {id}
name: {title}
category: other
difficulty: easy
time_limit: 600
""",
    "task.md": """\
The file /workspace/numbers.txt holds one number a line. Write their sum, and nothing else, to
/workspace/total.txt.
""",
    "checkpoints.md": """\
# Checkpoints

This task has 1 point in total.

## Checkpoint 1 (1pt)
/workspace/total.txt holds the sum of the numbers in numbers.txt (60).
""",
    "evaluator.py": '''\
"""Grades what the agent left behind, one function a checkpoint (TheAgentCompany's evaluator API)."""

import logging

from common import grader
from scoring import Checkpoint, Result

EXPECTED = 60


@grader
def grade_checkpoint1():
    try:
        with open("/workspace/total.txt") as f:
            text = f.read().strip()
    except OSError:
        logging.info("/workspace/total.txt does not exist")  # the reason a reviewer reads
        return False
    if text != str(EXPECTED):
        logging.info("total.txt holds %r, not %d", text[:40], EXPECTED)
        return False
    return True


def grade_checkpoints(trajectory=""):
    return Result([Checkpoint(1, int(grade_checkpoint1()))])
''',
    "dependencies.yml": "[]\n",
    "solution.sh": """\
#!/usr/bin/env bash
# The oracle's reference solution.
set -euo pipefail
awk '{{ total += $1 }} END {{ print total }}' /workspace/numbers.txt > /workspace/total.txt
""",
    "workspace/numbers.txt": "10\n20\n30\n",
}


def new_task(kind: str, task_id: str, folder: Path | None = None) -> Path:
    """Writes the folder of a new `kind` task `task_id` under `folder` (default: the kind's folder of
    task_specs/ in the current directory); returns it. Never overwrites."""
    if kind not in KINDS:
        raise ScaffoldError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    if not ID.match(task_id):
        raise ScaffoldError(f"{task_id!r} is not a task id: lower-case letters, digits and dashes")
    target = Path(folder or KINDS[kind]) / task_id
    if target.exists():
        raise ScaffoldError(f"{target} exists already: choose another id, or remove it")
    title = task_id.replace("-", " ").capitalize()
    for name, text in (COMPETITION if kind == "competition" else WORKPLACE).items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(id=task_id, title=title) if name.endswith((".yaml", ".md", ".sh")) else text)
        if name.endswith(".sh"):
            path.chmod(0o755)
    return target
