"""Binary log-loss of the predicted probability that a penguin is male (lower is better)."""

import numpy as np
import pandas as pd

from pytest_agentbench.grading import InvalidSubmissionError, validate_frame

EPS = 1e-15


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    validate_frame(submission, answers, id_column="id")
    p = submission.set_index("id").loc[answers["id"], "male"].to_numpy(dtype=float)
    if (p < 0).any() or (p > 1).any():
        raise InvalidSubmissionError("column 'male' holds probabilities: they must be between 0 and 1")
    p = np.clip(p, EPS, 1 - EPS)
    y = answers["male"].to_numpy(dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
