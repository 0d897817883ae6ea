import logging
import re

from common import evaluate_with_llm, grader, mentions, mentions_date, mentions_time, read_text
from scoring import Checkpoint, Result

EMAIL = "/workspace/welcome_email.md"
# The judge's question: the rubric of checkpoints.md, item for item.
RUBRIC = [
    "it is warm and welcoming",
    "it is professional in tone",
    "it tells the new employee when and where to arrive on her first day",
]


@grader
def grade_checkpoint1():
    email = read_text(EMAIL)
    # "Subject:", "**Subject:**", "# Subject:" on a line of its own.
    has_subject = re.search(r"^[\s#>*_]*subject[*_]*\s*:", email, re.IGNORECASE | re.MULTILINE) is not None
    if not has_subject:
        logging.info("welcome_email.md has no Subject: line")
    # Any usual format; a year, when written, must be 2025.
    return has_subject and mentions_date(email, "2025-03-03", what="start date")


@grader
def grade_checkpoint2():
    email = read_text(EMAIL)
    manager = mentions(email, "Tomás Ortega", "Ortega", "Tomás", what="the manager is not named")
    arrival = mentions_time(email, "09:30", what="arrival time")
    photo_id = mentions(email, "ID", "IDs", "identification", "identity card", "identity document",
                        "identity documents", "passport",
                        "driving licence", "driving license", "driver's license", "driver's licence",
                        what="she is not asked to bring an ID")
    return manager and arrival and photo_id


@grader
def grade_checkpoint3():
    return evaluate_with_llm(
        read_text(EMAIL),
        "a welcome email to a new employee that meets all of these points: " + "; ".join(RUBRIC),
    )


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(1, int(grade_checkpoint1())),
        Checkpoint(1, int(grade_checkpoint2())),
        Checkpoint(1, int(grade_checkpoint3())),
    ]
    return Result(checkpoints)
