import logging
import subprocess
import sys

from scoring import Checkpoint, Result, bonus_for_completing_final
from services import git_commits, git_file

from common import grader

# Run in a child process: the pushed code is the agent's.
CASES = r"""
import sys
namespace = {}
exec(sys.stdin.read(), namespace)
f = namespace["apply_discount"]
cases = [((100, 10), 90.0), ((19.99, 15), 16.99), ((0.05, 50), 0.03), ((80, 0), 80.0), ((10, 100), 0.0)]
bad = [(args, f(*args), want) for args, want in cases if f(*args) != want]
assert not bad, bad
"""


@grader
def grade_checkpoint1():
    """A commit beyond the initial one was pushed, by the agent's user, with a message."""
    pushed = [c for c in git_commits() if c["parents"]]
    if not pushed:
        logging.info("no commit was pushed to the shop repository")
    with_message = any(c["subject"].strip() for c in pushed)
    if pushed and not with_message:
        logging.info("the pushed commits have no message")
    return with_message


@grader
def grade_checkpoint2():
    """main's pricing.py computes the discount right."""
    code = git_file("pricing.py")
    if code is None:
        logging.info("main has no pricing.py")
        return False
    run = subprocess.run([sys.executable, "-c", CASES], input=code, capture_output=True, text=True, timeout=30)
    if run.returncode != 0:
        logging.info("pricing.py on main: %s", run.stderr.strip()[-300:])
    return run.returncode == 0


def grade_checkpoints(trajectory=""):
    checkpoints = [Checkpoint(1, int(grade_checkpoint1())), Checkpoint(1, int(grade_checkpoint2()))]
    return Result(checkpoints, bonus_for_completing_final)
