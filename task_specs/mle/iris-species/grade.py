"""Multi-class log-loss (lower is better), as Kaggle computes it: rows rescaled to sum to 1, then clipped."""

import numpy as np
import pandas as pd

from pytest_agentbench.grading import InvalidSubmissionError, validate_frame

CLASSES = ["setosa", "versicolor", "virginica"]
EPS = 1e-15


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    validate_frame(submission, answers, id_column="id")
    probs = submission.set_index("id").loc[answers["id"], CLASSES].to_numpy(dtype=float)
    if (probs < 0).any() or (probs > 1).any():
        raise InvalidSubmissionError(f"probabilities in {CLASSES} must be between 0 and 1")
    totals = probs.sum(axis=1, keepdims=True)
    if (totals == 0).any():
        raise InvalidSubmissionError("a row's probabilities are all 0")
    probs = np.clip(probs / totals, EPS, 1 - EPS)
    truth = answers[CLASSES].to_numpy(dtype=float)
    return float(-(truth * np.log(probs)).sum(axis=1).mean())
