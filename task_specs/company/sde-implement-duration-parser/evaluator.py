import logging
from pathlib import Path

from common import call_in_child, grader, outcome_text, raised
from scoring import Checkpoint, Result

PACKAGE = Path("/workspace/timeparse")

VALID = {"45s": 45, "2h": 7200, "1h30m": 5400, "1H30M": 5400, " 2h 5m 10s ": 7510, "90": 90,
         "1d": 86400, "1d2h3m4s": 93784, "0s": 0, "90m": 5400, "0": 0, "1d 10s": 86410}
# Each rule of the docstring's "Raises ValueError for anything else", signs of plain numbers included.
INVALID = ["", "   ", "5x", "h", "1.5h", "-5m", "5m1h", "1h1h", "1h30", "abc", "-90", "+90", "+5m", "1.5",
           "1h 30"]


def outcomes(inputs):
    # In a child process: a hanging or crashing module costs this checkpoint, not the grader.
    return dict(zip(inputs, call_in_child(PACKAGE, "durations", "parse_duration", [[text] for text in inputs])))


@grader
def grade_checkpoint1():
    got = outcomes(list(VALID))
    wrong = {text: got[text] for text, seconds in VALID.items() if got[text] != {"returned": seconds}}
    right = len(VALID) - len(wrong)
    if wrong:
        logging.info("parse_duration is right on %d of %d hidden valid inputs; wrong: %s", right, len(VALID),
                     ", ".join(f"{text!r} {outcome_text(o)}, expected {VALID[text]}"
                               for text, o in list(wrong.items())[:3]))
    if right == len(VALID):
        return 2
    return 1 if right * 2 >= len(VALID) else 0


@grader
def grade_checkpoint2():
    got = outcomes(INVALID)
    # isinstance, not the class name: a ValueError subclass of the agent's own is a ValueError.
    accepted = [text for text in INVALID if not raised(got[text], ValueError)]
    if accepted:
        logging.info("parse_duration does not raise ValueError for %d of %d hidden invalid inputs: %s",
                     len(accepted), len(INVALID), ", ".join(f"{t!r} {outcome_text(got[t])}" for t in accepted[:3]))
    return not accepted


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(2, int(grade_checkpoint1())),
        Checkpoint(1, int(grade_checkpoint2())),
    ]
    return Result(checkpoints)
