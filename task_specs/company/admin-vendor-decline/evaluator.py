from common import evaluate_with_llm, grader, mentions, read_text
from scoring import Checkpoint, Result

REPLY = "/workspace/reply_to_vendor.txt"
# The judge's question: the rubric of checkpoints.md, item for item.
RUBRIC = [
    "it is polite and courteous to the supplier, for example thanking them for their offer",
    "it declines the proposed two-year exclusive supply contract",
    "it does not commit the company to sign any contract and does not agree to a signing meeting",
]


@grader
def grade_checkpoint1():
    reply = read_text(REPLY)
    # "Dear Dana", "Hi Dana Whitfield", "Dear Ms Whitfield": any way of addressing her by name.
    addresses_dana = mentions(reply, "Dana", "Whitfield", what="the reply does not address Dana by name")
    # The limit, however written: 12 months, twelve months, a 12-month limit, one year.
    gives_limit = mentions(reply, "12 months", "12 month", "twelve months", "twelve month", "one year", "1 year",
                           "12 mo", what="the reply does not give our 12-month limit on exclusive contracts")
    return addresses_dana and gives_limit


@grader
def grade_checkpoint2():
    return mentions(read_text(REPLY), "July", "Q3", "third quarter", "3rd quarter",
                    what="the reply does not say the next procurement review is in July (Q3)")


@grader
def grade_checkpoint3():
    return evaluate_with_llm(
        read_text(REPLY),
        "a reply to a supplier that meets all of these points: " + "; ".join(RUBRIC),
    )


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(1, int(grade_checkpoint1())),
        Checkpoint(1, int(grade_checkpoint2())),
        Checkpoint(1, int(grade_checkpoint3())),
    ]
    return Result(checkpoints)
