from common import (check, grader, mentions_date, program_read_file, read_table, same_items, same_name,
                    same_order)
from scoring import Checkpoint, Result, bonus_for_completing_final

CONFLICTS = {
    ("B-002", "B-003"): ("Orion", "2025-03-10"),
    ("B-004", "B-005"): ("Vega", "2025-03-10"),
    ("B-008", "B-009"): ("Lyra", "2025-03-11"),
    ("B-008", "B-010"): ("Lyra", "2025-03-11"),
    ("B-009", "B-010"): ("Lyra", "2025-03-11"),
    ("B-011", "B-015"): ("Vega", "2025-03-11"),
}
COLUMNS = ["booking_a", "booking_b", "room", "date"]


@grader
def grade_checkpoint1(trajectory=""):
    # A program that read the bookings (head, cat, a script given the file), not text the agent printed.
    return program_read_file(trajectory, "room_bookings.csv", what="the bookings were not looked at")


@grader
def grade_checkpoint2():
    rows = read_table("/workspace/conflicts.csv", COLUMNS)
    pairs = [(row["booking_a"].upper(), row["booking_b"].upper()) for row in rows]
    # 1 point: the six pairs, once each (in either order within the row), each with its room and date.
    if not same_items([tuple(sorted(p)) for p in pairs], CONFLICTS, what="conflicting pairs"):
        return 0
    for row, pair in zip(rows, pairs):
        room, date = CONFLICTS[tuple(sorted(pair))]
        if not (same_name(row["room"], room, what=f"room of {'/'.join(pair)}")
                and mentions_date(row["date"], date, what=f"date of {'/'.join(pair)}")):
            return 0
    # 2 points: as task.md asks, booking_a the smaller id of its pair, rows sorted by booking_a then booking_b.
    smaller_first = check(all(a < b for a, b in pairs), "booking_a is the smaller id of each pair",
                          "booking_a < booking_b", next((p for p in pairs if p[0] > p[1]), None))
    return 1 + int(smaller_first and same_order(pairs, sorted(pairs), what="rows sorted by booking_a, booking_b"))


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(1, int(grade_checkpoint1(trajectory))),
        Checkpoint(2, int(grade_checkpoint2())),
    ]
    return Result(checkpoints, bonus_for_completing_final)
