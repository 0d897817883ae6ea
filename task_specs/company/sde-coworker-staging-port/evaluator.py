import logging

from scoring import Checkpoint, Result, bonus_for_completing_final
from services import chat_messages, git_file

from common import grader

EXPECTED = ["# Staging environment of the payments API", "API_HOST=staging.the-agent-company.com", "API_PORT=8443",
            "LOG_LEVEL=info"]


@grader
def grade_checkpoint1():
    """The agent wrote to Zhang Wei."""
    asked = bool(chat_messages(sender="agent", to="zhang_wei"))
    if not asked:
        logging.info("no chat message from agent to zhang_wei")
    return asked


@grader
def grade_checkpoint2():
    """main's config/staging.env has the port Zhang Wei knows, and nothing else changed."""
    text = git_file("config/staging.env")
    if text is None:
        logging.info("main has no config/staging.env")
        return False
    lines = [line.strip() for line in text.strip().splitlines()]
    if lines != EXPECTED:
        logging.info("config/staging.env on main is %r", text[:300])
    return lines == EXPECTED


def grade_checkpoints(trajectory=""):
    checkpoints = [Checkpoint(1, int(grade_checkpoint1())), Checkpoint(2, 2 * int(grade_checkpoint2()))]
    return Result(checkpoints, bonus_for_completing_final)
