import csv
import io
import logging

from scoring import Checkpoint, Result, bonus_for_completing_final
from services import shared_file

from common import grader

EXPECTED = [("catering", "320.45"), ("office", "50.00"), ("software", "349.00"), ("travel", "1510.75")]


def summary_rows():
    text = shared_file("q3-summary.csv")
    if text is None:
        logging.info("reports/q3-summary.csv is not on the share")
        return None
    return [row for row in csv.reader(io.StringIO(text.strip())) if row]


@grader
def grade_checkpoint1():
    """The summary was uploaded with the header category,total."""
    rows = summary_rows()
    header = bool(rows) and [c.strip().lower() for c in rows[0]] == ["category", "total"]
    if rows and not header:
        logging.info("the summary's first line is %s, not category,total", rows[0])
    return header


@grader
def grade_checkpoint2():
    """Every category's total, in alphabetical order, two decimals."""
    rows = summary_rows() or [[]]
    got = [tuple(c.strip() for c in row) for row in rows[1:]]
    if got != EXPECTED:
        logging.info("the summary's rows are %s", got)
    return got == EXPECTED


def grade_checkpoints(trajectory=""):
    checkpoints = [Checkpoint(1, int(grade_checkpoint1())), Checkpoint(2, 2 * int(grade_checkpoint2()))]
    return Result(checkpoints, bonus_for_completing_final)
