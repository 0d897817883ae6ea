"""Mean absolute error of the predicted fuel economy, in miles per gallon (lower is better)."""

import numpy as np
import pandas as pd

from pytest_agentbench.grading import validate_frame


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    validate_frame(submission, answers, id_column="id")
    predicted = submission.set_index("id").loc[answers["id"], "mpg"].to_numpy(dtype=float)
    return float(np.mean(np.abs(predicted - answers["mpg"].to_numpy(dtype=float))))
