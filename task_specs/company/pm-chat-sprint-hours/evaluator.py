import logging
import re

from scoring import Checkpoint, Result, bonus_for_completing_final
from services import chat_messages

from common import grader


@grader
def grade_checkpoint1():
    """The agent wrote to the manager, Rachel."""
    wrote = bool(chat_messages(sender="agent", to="rachel"))
    if not wrote:
        logging.info("no chat message from agent to rachel")
    return wrote


@grader
def grade_checkpoint2():
    """With the sprint's total: 97.5 hours (35 + 22.5 + 40)."""
    said = " ".join(m["body"] for m in chat_messages(sender="agent", to="rachel"))
    numbers = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", said)}
    if 97.5 not in numbers:
        logging.info("the answer to Rachel was %r", said[:200])
    return 97.5 in numbers


def grade_checkpoints(trajectory=""):
    checkpoints = [Checkpoint(1, int(grade_checkpoint1())), Checkpoint(1, int(grade_checkpoint2()))]
    return Result(checkpoints, bonus_for_completing_final)
