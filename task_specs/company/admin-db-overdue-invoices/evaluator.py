import logging

from scoring import Checkpoint, Result, bonus_for_completing_final
from services import rows

from common import grader

OVERDUE = {1, 3, 6}
UNCHANGED = {2: "paid", 4: "open", 5: "open"}


def statuses():
    return {row["id"]: row["status"] for row in rows("invoices.json")}


@grader
def grade_checkpoint1():
    """Every unpaid invoice due before 2025-06-01 is overdue."""
    got = statuses()
    missing = sorted(i for i in OVERDUE if got.get(i) != "overdue")
    if missing:
        logging.info("not marked overdue: invoices %s", missing)
    return not missing


@grader
def grade_checkpoint2():
    """No other invoice changed (and none was deleted)."""
    got = statuses()
    changed = sorted(i for i, status in UNCHANGED.items() if got.get(i) != status)
    if changed:
        logging.info("changed or deleted: invoices %s", changed)
    if any(got.get(i) != "overdue" for i in OVERDUE):
        logging.info("not every overdue invoice is marked yet")
        return False
    return not changed


def grade_checkpoints(trajectory=""):
    checkpoints = [Checkpoint(1, int(grade_checkpoint1())), Checkpoint(1, int(grade_checkpoint2()))]
    return Result(checkpoints, bonus_for_completing_final)
