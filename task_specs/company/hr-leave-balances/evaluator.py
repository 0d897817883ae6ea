import logging

from common import check, grader, names_listed, read_table, read_text, same_items, same_name, same_order, to_number
from scoring import Checkpoint, Result

# employee_id -> (entitlement, taken, remaining) in days
BALANCES = {
    "E101": (28.0, 15.0, 13.0),
    "E102": (30.0, 32.0, -2.0),
    "E103": (15.0, 12.5, 2.5),
    "E104": (30.0, 10.5, 19.5),
    "E105": (22.5, 23.0, -0.5),
    "E106": (25.0, 2.0, 23.0),
}
NAMES = {"E101": "Amara Diallo", "E102": "Bruno Costa", "E103": "Clara Jensen", "E104": "Dmitri Volkov",
         "E105": "Elif Demir", "E106": "Finn O'Connor"}
OVER_ALLOWANCE = {"Bruno Costa", "Elif Demir"}
COLUMNS = ["employee_id", "name", "entitlement", "taken", "remaining"]


def row_right(row):
    employee = row["employee_id"].upper()
    want = BALANCES.get(employee)
    got = tuple(to_number(row[c]) for c in COLUMNS[2:])
    # Days as numbers: 13, 13.0 and 13.00 alike; the name as in employees.csv (case, accents aside).
    return (want is not None and same_name(row["name"], NAMES[employee], what=f"name of {employee}")
            and check(all(g is not None and abs(g - w) < 0.01 for g, w in zip(got, want)),
                      f"entitlement, taken, remaining of {employee}", want, tuple(row[c] for c in COLUMNS[2:])))


@grader
def grade_checkpoint1():
    rows = read_table("/workspace/leave_balances.csv", COLUMNS)
    ids = [row["employee_id"].upper() for row in rows]
    if not same_items(ids, BALANCES, what="employees in leave_balances.csv"):
        return 0
    right = sum(row_right(row) for row in rows)
    # 2 points: all six rows right and sorted by employee_id, as task.md asks; 1 point: at least half right.
    if right == len(BALANCES) and same_order(ids, sorted(ids), what="rows sorted by employee_id"):
        return 2
    logging.info("%d of %d rows right", right, len(BALANCES))
    return 1 if right * 2 >= len(BALANCES) else 0


@grader
def grade_checkpoint2():
    # One name a line; bullets, numbering, an honorific, a title line or a note after the name are fine.
    listed = names_listed(read_text("/workspace/over_allowance.txt"), NAMES.values())
    return same_items(listed, OVER_ALLOWANCE, what="employees over their allowance")


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(2, int(grade_checkpoint1())),
        Checkpoint(1, int(grade_checkpoint2())),
    ]
    return Result(checkpoints)
