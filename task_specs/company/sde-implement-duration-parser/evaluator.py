import json
import logging
import sys
from pathlib import Path

from common import grader, run_as_agent
from scoring import Checkpoint, Result

PACKAGE = Path("/workspace/timeparse")

VALID = {"45s": 45, "2h": 7200, "1h30m": 5400, "1H30M": 5400, " 2h 5m 10s ": 7510, "90": 90,
         "1d": 86400, "1d2h3m4s": 93784, "0s": 0, "90m": 5400}
INVALID = ["", "   ", "5x", "h", "1.5h", "-5m", "5m1h", "1h1h", "1h30", "abc"]

# Runs in a child process so a hanging or crashing module cannot stop the grader; prints, per
# input, the value returned or the name of the exception raised.
PROBE = r"""
import json, sys
from durations import parse_duration
outcome = {}
for text in json.loads(sys.stdin.read()):
    try:
        outcome[text] = parse_duration(text)
    except Exception as exc:
        outcome[text] = type(exc).__name__
print(json.dumps(outcome))
"""


def probe(inputs):
    code, output = run_as_agent([sys.executable, "-c", PROBE], cwd=PACKAGE, timeout=60, input=json.dumps(inputs))
    if code != 0:
        raise RuntimeError(f"probing parse_duration failed:\n{output}")
    return json.loads(output.strip().splitlines()[-1])


@grader
def grade_checkpoint1():
    outcome = probe(list(VALID))
    wrong = {text: outcome.get(text) for text, seconds in VALID.items() if outcome.get(text) != seconds}
    right = len(VALID) - len(wrong)
    if wrong:
        logging.info("parse_duration is right on %d of %d hidden valid inputs; wrong: %s", right, len(VALID),
                     ", ".join(f"{text!r} -> {got!r}" for text, got in list(wrong.items())[:3]))
    if right == len(VALID):
        return 2
    return 1 if right * 2 >= len(VALID) else 0


@grader
def grade_checkpoint2():
    outcome = probe(INVALID)
    accepted = [text for text in INVALID if outcome.get(text) != "ValueError"]
    if accepted:
        logging.info("parse_duration does not raise ValueError for %d of %d hidden invalid inputs, e.g. %r -> %r",
                     len(accepted), len(INVALID), accepted[0], outcome.get(accepted[0]))
    return not accepted


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(2, int(grade_checkpoint1())),
        Checkpoint(1, int(grade_checkpoint2())),
    ]
    return Result(checkpoints)
