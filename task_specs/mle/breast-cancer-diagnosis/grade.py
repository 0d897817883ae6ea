"""Area under the ROC curve of the predicted probability of malignancy (higher is better)."""

import pandas as pd
from sklearn.metrics import roc_auc_score

from pytest_agentbench.grading import InvalidSubmissionError, validate_frame


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    validate_frame(submission, answers, id_column="id")
    predicted = submission.set_index("id").loc[answers["id"], "malignant"].to_numpy(dtype=float)
    if (predicted < 0).any() or (predicted > 1).any():
        raise InvalidSubmissionError("column 'malignant' holds probabilities: they must be between 0 and 1")
    return float(roc_auc_score(answers["malignant"], predicted))
