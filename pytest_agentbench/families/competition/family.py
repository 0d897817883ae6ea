"""ML competitions (`kind: competition`), as MLE-bench runs them.

The agent's container gets the prepared public data at /home/data (read-only) and instructions at
/home/instructions.txt; a validation server (a separate container on the item's network, holding
only the sample submission) answers valid or invalid at http://grading-server:5000/validate. The
answers, the leaderboard and the grader stay on the host: grading reads the submission copied out
of the stopped container. Its checkpoints are MLE-bench's report fields.
"""

from __future__ import annotations

import os
from pathlib import Path

from .competition import LEADERBOARD_FILE, CompetitionConfig, CompetitionError, load_config, load_leaderboard
from .medals import LeaderboardOrderError, infer_is_lower_better, medal_thresholds
from .competition import grade_submission, prepare_competition, score_submission
from . import reporting, submission_format
from ...grading.result import Checkpoint, Grade, GraderError
from ...sandbox.base import SandboxSpec
from ...spec import SpecError
from ..base import (
    AGENT_UID, CopyIn, Family, TaskContext, base_image_of, container_limits_of, grader_limits, unique_name,
)

VALIDATION_HOST = "grading-server"
VALIDATION_URL = f"http://{VALIDATION_HOST}:5000/validate"
INSTRUCTIONS = Path(__file__).resolve().parent / "instructions.txt"
# --pass-on: the report field(s) an item must reach to pass, and the checkpoints that bar requires.
PASS_BARS = {"valid": "valid_submission", "above-median": "above_median", "any-medal": "any_medal",
             "bronze": "any_medal", "silver": ("gold_medal", "silver_medal"), "gold": "gold_medal"}
REQUIRED = {"valid": {"submission exists", "valid submission"},
            "above-median": {"submission exists", "valid submission", "above median"}}
MEDAL_REQUIRED = {"submission exists", "valid submission", "any medal"}
SERVER_READY_TIMEOUT = 60


class CompetitionFamily(Family):
    name = "competition"
    fields = CompetitionConfig
    scored = False  # its score is the competition's own metric: summed up by medals instead
    agent_columns = reporting.AGENT_COLUMNS
    category_columns = reporting.CATEGORY_COLUMNS
    category_bars = reporting.CATEGORY_BARS
    item_fields = staticmethod(reporting.item_fields)
    summary_fields = staticmethod(reporting.summary_fields)
    category_fields = staticmethod(reporting.category_fields)
    junit_properties = staticmethod(reporting.junit_properties)
    write_group_files = staticmethod(reporting.write_group_files)

    def check_folder(self, spec_path: Path) -> None:
        # The leaderboard is the author's file: a board out of order is found at collection, before any agent
        # runs, not by the grader after the agent spent its time.
        board = spec_path.parent / LEADERBOARD_FILE
        if not board.is_file():
            raise SpecError(spec_path, f"a competition needs its leaderboard: {board} (teamName,score, best first)")
        try:
            scores = load_leaderboard(spec_path.parent)
            medal_thresholds(scores, infer_is_lower_better(scores))
        except CompetitionError as e:
            raise SpecError(board, str(e).removeprefix(f"{board}: ")) from None
        except LeaderboardOrderError as e:
            raise SpecError(board, str(e), line=e.position + 1) from None  # line 1 is the header
        except ValueError as e:
            raise SpecError(board, str(e)) from None

    def prepare(self, ctx: TaskContext) -> None:
        try:
            ctx.state["prepared"] = prepare_competition(ctx.spec.folder, ctx.options.get("data_dir"))
        except CompetitionError as e:
            raise GraderError(f"cannot prepare competition {ctx.spec.id}: {e}") from None

    def agent_files(self, ctx: TaskContext) -> list[CopyIn]:
        instructions = ctx.item_dir / "instructions.txt"
        instructions.write_text(INSTRUCTIONS.read_text().format(
            validation_url=VALIDATION_URL, time_limit=ctx.time_limit))
        return [CopyIn(ctx.state["prepared"].public, "/home/data", mode=0o444),
                CopyIn(instructions, "/home/instructions.txt", mode=0o444)]

    def addoption(self, group) -> None:
        group.addoption("--data-dir", dest="agentbench_data_dir", metavar="DIR",
                        default=os.environ.get("AGENTBENCH_DATA_DIR"),
                        help="where competitions' prepared data are cached (default: ~/.cache/agentbench/data; "
                             "env AGENTBENCH_DATA_DIR)")
        group.addoption("--pass-on", dest="agentbench_pass_on", default="any-medal", choices=list(PASS_BARS),
                        help="what a competition item must reach to pass (default: any-medal)")

    def run_options(self, config) -> dict:
        return {"data_dir": config.getoption("agentbench_data_dir"),
                "pass_on": config.getoption("agentbench_pass_on")}

    def agent_env(self, ctx: TaskContext) -> dict[str, str]:
        return {"COMPETITION_ID": ctx.spec.id, "VALIDATION_URL": VALIDATION_URL}

    def solution_files(self, ctx: TaskContext) -> list[CopyIn]:
        return [CopyIn(ctx.spec.folder / ctx.spec.details.solution, "/home/agent/solution/solution.py",
                       uid=AGENT_UID)]

    def start_services(self, ctx: TaskContext):
        """The validation server: the format check alone, against the (public) sample submission."""
        d: CompetitionConfig = ctx.spec.details
        sample = ctx.state["prepared"].public.parent / d.dataset.sample_submission
        spec = SandboxSpec(image=base_image_of(ctx), name=unique_name("validator", ctx),
                           network=ctx.network, aliases=[VALIDATION_HOST], config=container_limits_of(ctx),
                           command=["python3", "/opt/validator/submission_format.py", "--sample",
                                    "/opt/validator/sample_submission.csv", "--id-column", d.id_column,
                                    "--port", "5000"])
        server = ctx.engine.start(spec, files=[
            (Path(submission_format.__file__), "/opt/validator/submission_format.py", 0, 0o444),
            (sample, "/opt/validator/sample_submission.csv", 0, 0o444)])
        # The server says so once it listens: wait for that line, not a fixed sleep.
        if not server.wait_for_output("validating against", SERVER_READY_TIMEOUT):
            ctx.engine.discard(server)
            raise GraderError(f"the validation server of {ctx.spec.id} did not start within "
                              f"{SERVER_READY_TIMEOUT} s")
        return [server]

    def grade(self, ctx: TaskContext) -> Grade:
        submission = ctx.item_dir / "submission" / "submission.csv"
        data_dir, limits = ctx.options.get("data_dir"), grader_limits(ctx)
        try:
            report = grade_submission(ctx.spec.folder, data_dir, submission, limits)
            problems = [] if report["valid_submission"] or not report["submission_exists"] else \
                score_submission(ctx.spec.folder, data_dir, submission, limits).problems
        except CompetitionError as e:
            raise GraderError(str(e)) from e
        report["submission_path"] = str(submission)
        grade = to_grade(report, problems, ctx.options.get("pass_on", "any-medal"))
        grade.metric = load_config(ctx.spec.folder).grader.name
        return grade


def to_grade(report: dict, problems: list[str], pass_on: str) -> Grade:
    """MLE-bench's report as checkpoints; the item passes when the --pass-on bar is reached."""
    score, medal = report["score"], reporting.medal_of(report)
    thresholds = (f"gold {report['gold_threshold']}, silver {report['silver_threshold']}, "
                  f"bronze {report['bronze_threshold']}, median {report['median_threshold']} "
                  f"({'lower' if report['is_lower_better'] else 'higher'} is better)")
    checkpoints = [
        Checkpoint("submission exists", int(report["submission_exists"]), 1,
                   "" if report["submission_exists"] else "no /home/submission/submission.csv"),
        Checkpoint("valid submission", int(report["valid_submission"]), 1, "; ".join(problems[:3])),
        Checkpoint("above median", int(report["above_median"]), 1, f"score {score}; {thresholds}"),
        Checkpoint("any medal", int(report["any_medal"]), 1, f"{medal or 'no medal'}: score {score}; {thresholds}"),
    ]
    required = REQUIRED.get(pass_on, MEDAL_REQUIRED)
    for checkpoint in checkpoints:
        checkpoint.required = checkpoint.name in required
    bar = PASS_BARS[pass_on]
    passed = any(report[f] for f in bar) if isinstance(bar, tuple) else bool(report[bar])
    return Grade(checkpoints, score=score, passed=passed,
                 summary=f"score {score}, {medal or 'no medal'} (pass on {pass_on})", details=report,
                 lower_is_better=report["is_lower_better"])

