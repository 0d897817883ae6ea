# The script MLAgentBench's research agent starts from (its tasks each give one): it reads the task's
# data from data/ and writes its predictions to submission/submission.csv, the folders beside it.
from pathlib import Path

DATA = Path("data")
SUBMISSION = Path("submission") / "submission.csv"

if __name__ == "__main__":
    print("data files:", sorted(p.name for p in DATA.iterdir()))
    # Train a model on the training data, predict the test data, and write SUBMISSION in the format
    # the task's instructions give.
