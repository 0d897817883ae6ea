import logging

from scoring import Checkpoint, Result, bonus_for_completing_final
from services import chat_messages, rows

from common import grader

EXPECTED = [
    {"id": 1, "name": "Mei Tanaka", "title": "Product Designer", "team": "Design", "start_date": "2022-05-02"},
    {"id": 2, "name": "Daniel Brooks", "title": "QA Engineer", "team": "Platform", "start_date": "2023-01-09"},
    {"id": 3, "name": "Lucía Fernández", "title": "Backend Engineer", "team": "Payments", "start_date": "2025-04-14"},
    {"id": 4, "name": "Omar Haddad", "title": "Data Engineer", "team": "Insights", "start_date": "2024-10-21"},
]


@grader
def grade_checkpoint1():
    """The agent wrote to Sarah Johnson."""
    asked = bool(chat_messages(sender="agent", to="sarah_johnson"))
    if not asked:
        logging.info("no chat message from agent to sarah_johnson")
    return asked


@grader
def grade_checkpoint2():
    """The start date Sarah knows is recorded, and nothing else changed."""
    found = rows("employees.json")
    if found != EXPECTED:
        logging.info("employees is now %s", found)
    return found == EXPECTED


def grade_checkpoints(trajectory=""):
    checkpoints = [Checkpoint(1, int(grade_checkpoint1())), Checkpoint(2, 2 * int(grade_checkpoint2()))]
    return Result(checkpoints, bonus_for_completing_final)
