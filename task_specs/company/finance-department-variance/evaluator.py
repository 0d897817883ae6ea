from common import (grader, names_listed, program_read_file, read_table, read_text, same_items, same_number,
                    same_order)
from scoring import Checkpoint, Result, bonus_for_completing_any_of_given_checkpoints

# department -> (budget, actual, variance, variance_pct)
EXPECTED = {
    "Engineering": (1200000.00, 1240800.00, 40800.00, 3.4),
    "Facilities": (240000.00, 259440.00, 19440.00, 8.1),
    "Finance": (180000.00, 173160.00, -6840.00, -3.8),
    "Marketing": (420000.00, 473340.00, 53340.00, 12.7),
    "People": (150000.00, 150000.00, 0.00, 0.0),
    "Sales": (600000.00, 629400.00, 29400.00, 4.9),
}
OVER_BUDGET = {"Facilities", "Marketing"}


COLUMNS = ["department", "budget", "actual", "variance", "variance_pct"]


@grader
def grade_checkpoint1(trajectory=""):
    # Programs that read both files (head, cat, a script given them), not text the agent printed.
    return (program_read_file(trajectory, "budget_2024.csv", what="the budgets were not looked at")
            and program_read_file(trajectory, "actuals_2024.csv", what="the actuals were not looked at"))


@grader
def grade_checkpoint2():
    rows = read_table("/workspace/variance_report.csv", COLUMNS)
    departments = [row["department"].strip().title() for row in rows]
    if not same_items(departments, EXPECTED, what="departments in variance_report.csv"):
        return 0
    # Figures in any usual format: 1240800.00, 1,240,800.00, $1,240,800, -6,840.00, (6,840.00), 3.4%.
    by_name = dict(zip(departments, rows))
    if not all(same_number(by_name[d]["actual"], actual, 0.01, what=f"actual of {d}")
               for d, (_, actual, _, _) in EXPECTED.items()):
        return 0
    rest_right = all(
        same_number(by_name[d]["budget"], budget, 0.01, what=f"budget of {d}")
        and same_number(by_name[d]["variance"], variance, 0.01, what=f"variance of {d}")
        and same_number(by_name[d]["variance_pct"], pct, 0.05, what=f"variance_pct of {d}")
        for d, (budget, _, variance, pct) in EXPECTED.items())
    in_order = same_order(departments, sorted(EXPECTED), what="rows sorted by department name")
    return 1 + int(rest_right and in_order)


@grader
def grade_checkpoint3():
    # One department a line; bullets, numbering, a title line or a note after the name are fine.
    listed = names_listed(read_text("/workspace/over_budget.txt"), EXPECTED)
    return same_items(listed, OVER_BUDGET, what="departments over budget by more than 5%")


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(1, int(grade_checkpoint1(trajectory))),
        Checkpoint(2, int(grade_checkpoint2())),
        Checkpoint(1, int(grade_checkpoint3())),
    ]
    return Result(checkpoints, bonus_for_completing_any_of_given_checkpoints([2, 3]))
