"""Accuracy: the share of test images whose digit is predicted exactly (higher is better)."""

import pandas as pd

from pytest_agentbench.grading import InvalidSubmissionError, validate_frame


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    validate_frame(submission, answers, id_column="id")
    predicted = submission.set_index("id").loc[answers["id"], "label"].to_numpy(dtype=float)
    if (predicted != predicted.round()).any() or (predicted < 0).any() or (predicted > 9).any():
        raise InvalidSubmissionError("column 'label' must hold whole digits 0-9")
    return float((predicted == answers["label"].to_numpy()).mean())
