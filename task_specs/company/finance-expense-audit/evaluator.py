from common import check, grader, normalize_words, read_table, read_text, same_items, same_number, same_order
from scoring import Checkpoint, Result

REJECTED = {
    "EXP-304": "meal_limit", "EXP-305": "alcohol", "EXP-307": "missing_receipt",
    "EXP-309": "late_submission", "EXP-311": "meal_limit", "EXP-312": "alcohol",
    "EXP-315": "missing_receipt", "EXP-316": "late_submission", "EXP-319": "meal_limit",
    "EXP-323": "missing_receipt",
}
REIMBURSABLE_TOTAL = 2028.08


def rejected_rows():
    return read_table("/workspace/audit/rejected_claims.csv", ["claim_id", "reason"])


@grader
def grade_checkpoint1():
    ids = [row["claim_id"].upper() for row in rejected_rows()]
    return (same_items(ids, REJECTED, what="rejected claims")
            and same_order(ids, sorted(ids), what="rejected_claims.csv sorted by claim_id"))


@grader
def grade_checkpoint2():
    rows = rejected_rows()
    # The policy's codes; "Meal limit" or "MEAL_LIMIT" is the same code.
    got = {row["claim_id"].upper(): normalize_words(row["reason"]).replace(" ", "_") for row in rows}
    if not check(len(rows) == len(REJECTED), "rows in rejected_claims.csv", len(REJECTED), len(rows)):
        return False
    wrong = {claim: got.get(claim) for claim, reason in REJECTED.items() if got.get(claim) != reason}
    return check(not wrong, "reason codes", {claim: REJECTED[claim] for claim in wrong}, wrong)


@grader
def grade_checkpoint3():
    # "only the total amount": one number, written any usual way (2028.08, $2,028.08, 2,028.08 USD).
    return same_number(read_text("/workspace/audit/reimbursable_total.txt").strip(), REIMBURSABLE_TOTAL,
                       what="reimbursable_total.txt")


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(1, int(grade_checkpoint1())),
        Checkpoint(1, int(grade_checkpoint2())),
        Checkpoint(2, 2 * int(grade_checkpoint3())),
    ]
    # No bonus for the total: a right total does not make a wrong reason code right.
    return Result(checkpoints)
