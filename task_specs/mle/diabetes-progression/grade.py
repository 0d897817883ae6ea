"""Root mean squared error of the predicted disease progression (lower is better)."""

import numpy as np
import pandas as pd

from pytest_agentbench.grading import validate_frame


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    validate_frame(submission, answers, id_column="id")
    predicted = submission.set_index("id").loc[answers["id"], "progression"].to_numpy(dtype=float)
    return float(np.sqrt(np.mean((predicted - answers["progression"].to_numpy(dtype=float)) ** 2)))
