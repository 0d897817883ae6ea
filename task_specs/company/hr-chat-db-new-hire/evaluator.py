import logging
import re

from scoring import Checkpoint, Result, bonus_for_completing_final
from services import chat_messages, rows

from common import grader


def new_hire():
    found = [r for r in rows("employees.json") if "priya" in r["name"].lower() and "raman" in r["name"].lower()]
    if len(found) != 1:
        logging.info("%d rows for Priya Raman in employees", len(found))
    return found[0] if len(found) == 1 else None


@grader
def grade_checkpoint1():
    """One row for Priya Raman, with her title, team and start date."""
    row = new_hire()
    if row is None:
        return False
    right = (row["title"].strip().lower() == "data analyst" and row["team"].strip().lower() == "insights"
             and row["start_date"] == "2025-03-03")
    if not right:
        logging.info("her row is %s", row)
    return right


@grader
def grade_checkpoint2():
    """Maria was told the employee id the database gave her."""
    row = new_hire()
    said = " ".join(m["body"] for m in chat_messages(sender="agent", to="maria"))
    told = row is not None and str(row["id"]) in re.findall(r"\d+", said)
    if not told:
        logging.info("the answer to Maria was %r", said[:200])
    return told


def grade_checkpoints(trajectory=""):
    checkpoints = [Checkpoint(2, 2 * int(grade_checkpoint1())), Checkpoint(1, int(grade_checkpoint2()))]
    return Result(checkpoints, bonus_for_completing_final)
