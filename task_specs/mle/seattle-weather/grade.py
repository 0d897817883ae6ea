"""Macro-averaged F1 over the five kinds of weather (higher is better): rare kinds count as much as common ones."""

import pandas as pd
from sklearn.metrics import f1_score

from pytest_agentbench.grading import InvalidSubmissionError, validate_frame

CLASSES = ["drizzle", "fog", "rain", "snow", "sun"]


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    validate_frame(submission, answers, id_column="id")
    predicted = submission.set_index("id").loc[answers["id"], "weather"].astype(str)
    unknown = sorted(set(predicted) - set(CLASSES))
    if unknown:
        raise InvalidSubmissionError(f"column 'weather' must be one of {CLASSES}; got {unknown[:3]}")
    return float(f1_score(answers["weather"], predicted, labels=CLASSES, average="macro", zero_division=0))
