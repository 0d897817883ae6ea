import re

from common import AnswerError, check, grader, name_key, read_json, same_items, same_order
from scoring import Checkpoint, Result

ITEMS = "/workspace/action_items.json"
OWNERS_AND_DUES = sorted([
    ("Patrick Doyle", "2025-03-10"), ("Ingrid Holm", "2025-03-14"), ("Rosa Mendes", "2025-03-15"),
    ("Wei Zhang", "2025-03-21"), ("Omar Farouk", "2025-03-25"), ("Omar Farouk", "2025-03-29"),
])
OWNERS = {owner for owner, _ in OWNERS_AND_DUES}


def load_items():
    items = read_json(ITEMS)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise AnswerError(f"action_items.json is not a JSON array of objects: it starts {str(items)[:60]!r}")
    return items


@grader
def grade_checkpoint1():
    items = load_items()
    # The keys and the date format are the tracker's, as task.md states them: exactly so.
    dues = [str(item.get("due", "")).strip() for item in items]
    return (check(len(items) == len(OWNERS_AND_DUES), "action items", len(OWNERS_AND_DUES), len(items))
            and check(all({"owner", "task", "due"} <= item.keys() and str(item["task"]).strip() for item in items),
                      "every item has owner, task (not empty) and due", "owner, task, due",
                      next((sorted(item) for item in items if not {"owner", "task", "due"} <= item.keys()
                            or not str(item["task"]).strip()), None))
            and check(all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", due) for due in dues), "due dates as YYYY-MM-DD",
                      "YYYY-MM-DD", dues)
            and same_order(dues, sorted(dues), what="items sorted by due"))


@grader
def grade_checkpoint2():
    items = load_items()
    # An owner written "omar farouk" or "Mr. Omar Farouk" is Omar Farouk.
    owners = [next((o for o in OWNERS if name_key(item.get("owner")) == name_key(o)), str(item.get("owner")))
              for item in items]
    pairs = [(owner, str(item.get("due", "")).strip()) for owner, item in zip(owners, items)]
    return same_items(pairs, OWNERS_AND_DUES, what="owners and due dates")


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(1, int(grade_checkpoint1())),
        Checkpoint(2, 2 * int(grade_checkpoint2())),
    ]
    return Result(checkpoints)
