import csv
import io
import logging

from scoring import Checkpoint, Result, bonus_for_completing_final
from services import shared_file

from common import grader

# April 2025 only (March's rows are a distractor): Design 5200.00; Insights 6100.00 + 2750.00;
# Platform 4800.50 + 6150.75.
EXPECTED = [("Design", "5200.00"), ("Insights", "8850.00"), ("Platform", "10951.25")]


def report_rows():
    text = shared_file("payroll-2025-04.csv")
    if text is None:
        logging.info("reports/payroll-2025-04.csv is not on the share")
        return None
    return [row for row in csv.reader(io.StringIO(text.strip())) if row]


@grader
def grade_checkpoint1():
    """The report was uploaded with the header team,gross."""
    found = report_rows()
    header = bool(found) and [c.strip().lower() for c in found[0]] == ["team", "gross"]
    if found and not header:
        logging.info("the report's first line is %s, not team,gross", found[0])
    return header


@grader
def grade_checkpoint2():
    """April's total per team, teams in order, two decimals."""
    found = report_rows() or [[]]
    got = [tuple(c.strip() for c in row) for row in found[1:]]
    if got != EXPECTED:
        logging.info("the report's lines are %s", got)
    return got == EXPECTED


def grade_checkpoints(trajectory=""):
    checkpoints = [Checkpoint(1, int(grade_checkpoint1())), Checkpoint(2, 2 * int(grade_checkpoint2()))]
    return Result(checkpoints, bonus_for_completing_final)
