import re

from common import (check, contains_words, grader, mentions, program_read_file, read_table, read_text, same_items,
                    same_number, same_order, to_number)
from scoring import Checkpoint, Result, bonus_for_completing_any

# Expected figures, computed from the original export (the agent's copy may have been changed).
REVENUE = {"South": 14079.00, "North": 10519.75, "East": 9739.50, "West": 8876.25, "Central": 5754.25}
TOP_REGION, TOP_SHARE = "South", 28.8
OUTPUT = "/workspace/region_revenue.csv"


@grader
def grade_checkpoint1(trajectory=""):
    # A program that read the export (head, cat, a script given the file), not text the agent printed.
    return program_read_file(trajectory, "sales_2024.csv", what="the sales data was not looked at")


@grader
def grade_checkpoint2():
    rows = read_table(OUTPUT, ["region", "revenue"])
    regions = [row["region"].strip().title() for row in rows]
    # 1 point: the right figure for each region, written any usual way (14079.00, 14,079.00, $14,079).
    if not same_items(regions, REVENUE, what="regions in region_revenue.csv") or not all(
            same_number(row["revenue"], REVENUE[region], 0.01, what=f"revenue of {region}")
            for row, region in zip(rows, regions)):
        return 0
    # 2 points: task.md asks for exactly the header region,revenue, highest revenue first.
    first = read_text(OUTPUT).lstrip("\ufeff").splitlines()[0]
    header = [cell.strip().strip('"') for cell in first.split(",")]
    return 1 + int(check(header == ["region", "revenue"], "header of region_revenue.csv", "region,revenue", first)
                   and same_order(regions, sorted(REVENUE, key=REVENUE.get, reverse=True),
                                  what="regions sorted by revenue, highest first"))


@grader
def grade_checkpoint3():
    answer = read_text("/workspace/answer.txt")
    others = [region for region in REVENUE if region != TOP_REGION and contains_words(answer, region)]
    names_top = mentions(answer, TOP_REGION, what=f"answer.txt does not name {TOP_REGION}") and check(
        not others, "answer.txt names only the top region", TOP_REGION, others)
    shares = [to_number(m) for m in re.findall(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)", answer)]
    share_ok = check(TOP_SHARE in shares, "share of the total revenue", f"{TOP_SHARE}%",
                     [f"{s}%" for s in shares] or answer.strip()[:80])
    return names_top and share_ok


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(1, int(grade_checkpoint1(trajectory))),
        Checkpoint(2, int(grade_checkpoint2())),
        Checkpoint(1, int(grade_checkpoint3())),
    ]
    return Result(checkpoints, bonus_for_completing_any)
