from common import check, grader, read_table, same_items, same_number, same_order, to_number
from scoring import Checkpoint, Result

# respondent -> (team, satisfaction) after keeping last submissions and dropping invalid ratings
EXPECTED = {
    "R001": ("Marketing", 5), "R002": ("Sales", 2), "R003": ("Sales", 1), "R004": ("Sales", 1),
    "R005": ("Marketing", 2), "R006": ("Engineering", 5), "R007": ("Engineering", 2),
    "R008": ("Engineering", 4), "R009": ("Sales", 5), "R010": ("Marketing", 1), "R011": ("Support", 4),
    "R012": ("Sales", 2), "R013": ("Support", 1), "R014": ("Engineering", 4), "R015": ("Marketing", 1),
    "R016": ("Sales", 2), "R017": ("Marketing", 4), "R018": ("Sales", 3), "R019": ("Support", 3),
    "R020": ("Engineering", 2), "R021": ("Engineering", 1), "R022": ("Sales", 5), "R023": ("Sales", 2),
    "R024": ("Engineering", 4), "R025": ("Engineering", 3), "R026": ("Engineering", 2),
    "R027": ("Engineering", 1), "R028": ("Marketing", 3), "R029": ("Support", 3), "R030": ("Engineering", 1),
}
TEAMS = {"Engineering": (11, 2.64), "Marketing": (6, 2.67), "Sales": (9, 2.56), "Support": (4, 2.75)}


COLUMNS = ["respondent_id", "team", "satisfaction", "comment"]


def clean_rows():
    return read_table("/workspace/survey_clean.csv", COLUMNS)


@grader
def grade_checkpoint1():
    ids = [row["respondent_id"].upper() for row in clean_rows()]
    return (same_items(ids, EXPECTED, what="respondents in survey_clean.csv")
            and same_order(ids, sorted(ids), what="survey_clean.csv sorted by respondent_id"))


@grader
def grade_checkpoint2():
    rows = clean_rows()
    if not check(len(rows) == len(EXPECTED), "rows in survey_clean.csv", len(EXPECTED), len(rows)):
        return False
    for row in rows:
        want = EXPECTED.get(row["respondent_id"].upper())
        # task.md asks for title case in words, so the team must be written exactly so; a rating
        # may be written 5 or 5.0.
        got = (row["team"], to_number(row["satisfaction"]))
        if not check(want is not None and got == want, f"team and rating of {row['respondent_id']}", want,
                     (row["team"], row["satisfaction"])):
            return False
    return True


@grader
def grade_checkpoint3():
    rows = read_table("/workspace/team_satisfaction.csv", ["team", "responses", "avg_satisfaction"])
    teams = [row["team"] for row in rows]
    if not same_items(teams, TEAMS, what="teams in team_satisfaction.csv"):
        return False
    for row in rows:
        n, avg = TEAMS[row["team"]]
        if not (check(to_number(row["responses"]) == n, f"responses of {row['team']}", n, row["responses"])
                and same_number(row["avg_satisfaction"], avg, 0.006, what=f"avg_satisfaction of {row['team']}")):
            return False
    return same_order(teams, sorted(TEAMS), what="team_satisfaction.csv sorted by team name")


def grade_checkpoints(trajectory=""):
    checkpoints = [
        Checkpoint(1, int(grade_checkpoint1())),
        Checkpoint(1, int(grade_checkpoint2())),
        Checkpoint(1, int(grade_checkpoint3())),
    ]
    return Result(checkpoints)
