import logging
import re

from common import check, contains_words, evaluate_with_llm, grader, list_items, normalize_words, read_text
from scoring import Checkpoint, Result

REPORT = "/workspace/sprint_14_report.md"
STATUS_COUNTS = {"Done": 7, "In Progress": 2, "To Do": 2, "Blocked": 3}
STATUS_NAMES = {"To Do": ("to do", "todo")}
# Each blocked issue, and words that say what blocks it (from the export's blocked_by column).
BLOCKED = {
    "PAY-204": ("DBA", "database", "migration window", "migration"),
    "PAY-207": ("sandbox", "credentials", "bank"),
    "PAY-214": ("Legal", "copy", "lawyers"),
}
# The judge's question: the rubric of checkpoints.md, item for item.
RUBRIC = [
    "it flags the blocked issues as a risk to the sprint",
    "it recommends concrete actions to unblock the blocked issues",
]


@grader
def grade_checkpoint1():
    # The line task.md gives, with emphasis or list marks around it.
    report = read_text(REPORT)
    found = re.search(r"Completed\W+21\s+of\s+61\s+story\s+points", report, re.IGNORECASE) is not None
    return check(found, "the completed line", "Completed: 21 of 61 story points",
                 re.findall(r"(?im)^.*completed.*$", report)[:2] or "no such line")


def status_counts(report):
    """status -> the counts that lines starting with that status give ("- Done: 7", "1. **Done** 7", "| Done | 7 |")."""
    counts = {status: [] for status in STATUS_COUNTS}
    for item in list_items(report):
        words = normalize_words(item)
        for status in STATUS_COUNTS:
            for name in STATUS_NAMES.get(status, (normalize_words(status),)):
                # A count, not the status's story points ("Done: 21 story points").
                match = re.match(rf"{name}(?: issues?| items?| tickets?)? (\d+)\b(?! (?:story )?points?\b| pts?\b| sp\b)",
                                 words)
                if match:
                    counts[status].append(int(match.group(1)))
    return counts


@grader
def grade_checkpoint2():
    counts = status_counts(read_text(REPORT))
    return all(check(set(counts[status]) == {want}, f"number of {status} issues", want, counts[status] or "no line")
               for status, want in STATUS_COUNTS.items())


def about(lines, key):
    """What the report says about ``key``: the rest of each line naming it, and the lines under it
    (a nested list, a paragraph) up to a blank line or another issue."""
    for i, line in enumerate(lines):
        at = line.upper().find(key)
        if at < 0:
            continue
        rest = [re.split(r"PAY-\d+", line[at + len(key):], flags=re.IGNORECASE)[0]]
        for following in lines[i + 1:i + 4]:
            if not following.strip() or re.search(r"PAY-\d+", following, re.IGNORECASE):
                break
            rest.append(following)
        yield "\n".join(rest)


@grader
def grade_checkpoint3():
    lines = read_text(REPORT).splitlines()
    for key, blockers in BLOCKED.items():
        said = list(about(lines, key))
        if not said:
            logging.info("blocked issue %s is not listed", key)
            return False
        if not any(contains_words(text, blocker) for text in said for blocker in blockers):
            logging.info("%s is listed without what blocks it (%s)", key, blockers[0])
            return False
    return True


@grader
def grade_checkpoint4():
    return evaluate_with_llm(
        read_text(REPORT),
        "a sprint status report that meets all of these points: " + "; ".join(RUBRIC),
    )


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(1, int(grade_checkpoint1())),
        Checkpoint(1, int(grade_checkpoint2())),
        Checkpoint(1, int(grade_checkpoint3())),
        Checkpoint(1, int(grade_checkpoint4())),
    ]
    return Result(checkpoints)
