"""Grader of reverse-words: runs on the host, reads the outputs copied out of the agent's container."""

import csv
from pathlib import Path

from pytest_agentbench.grading import Checkpoint


def grade(outputs: Path, task_dir: Path) -> list[Checkpoint]:
    submission = outputs / "submission" / "submission.csv"
    words = {r["id"]: r["word"] for r in csv.DictReader((task_dir / "public" / "words.csv").open())}
    if not submission.is_file():
        return [Checkpoint("submission exists", 0, message=f"no {submission.name} in /home/submission"),
                Checkpoint("valid submission", 0, message="nothing to check"),
                Checkpoint("every word reversed", 0, message="nothing to check")]
    try:
        rows = list(csv.DictReader(submission.open(newline="")))
        answers = {r["id"]: r["answer"] for r in rows}
    except (csv.Error, KeyError, UnicodeDecodeError) as e:
        answers, problem = None, f"not a CSV with columns id,answer: {e}"
    else:
        problem = None if set(answers) == set(words) and len(rows) == len(words) else (
            f"ids {sorted(answers)} do not match the task's {sorted(words)}")
    exists = Checkpoint("submission exists", 1, message=str(submission.name))
    if problem:
        return [exists, Checkpoint("valid submission", 0, message=problem),
                Checkpoint("every word reversed", 0, message="invalid submission")]
    right = sum(answers[i] == w[::-1] for i, w in words.items())
    return [exists, Checkpoint("valid submission", 1),
            Checkpoint("every word reversed", right, total=len(words), message=f"{right}/{len(words)} right")]
