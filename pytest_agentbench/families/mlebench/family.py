"""MLE-bench's own competitions as items (`--mlebench-data DIR`, kind `mlebench`), run unchanged.

With MLE-bench's package installed, every competition of its registry is an item (its config.yaml is
the item's spec, collected where the package is); one whose data `mlebench prepare` has not written
under DIR is skipped with the command that prepares it. The agent sees what MLE-bench's harness shows:
the prepared public files read-only at /home/data, its instructions and validate_submission.sh (the
server's address is ours), COMPETITION_ID, and its grading server's POST /validate, which a container
serves with no data of its own (grading_server.py). The private files stay on the host. Grading is
MLE-bench's own grade_csv through its registry, in a grader child; the report is its
CompetitionReport, and the run group's submission.jsonl and grading report are the competition
family's, so MLE-bench's tools read them.
"""

from __future__ import annotations

import base64
import binascii
import json
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from ...grading.isolated import run_isolated
from ...grading.result import Grade, GraderError
from ...files import StrictModel
from ...sandbox.base import SandboxSpec
from ...spec import SpecError
from ..base import CopyIn, TaskContext, base_image_of, container_limits_of, grader_limits, unique_name
from ..competition.family import INSTRUCTIONS, VALIDATION_HOST, VALIDATION_URL, CompetitionFamily, to_grade
from . import grading_server, package

THEIR_VALIDATION_URL = "http://localhost:5000/validate"  # in their instructions and validate_submission.sh
SERVER_PATH = "/opt/agentbench/grading_server.py"
SERVER_READY_TIMEOUT = 60


class MLEBenchCompetition(StrictModel):
    """What an item needs of a competition's config.yaml in MLE-bench's registry."""

    id: str
    name: str
    competition_type: str = "simple"
    answers: str  # dataset.answers, relative to the data folder: <id>/prepared/private/...
    sample_submission: str  # dataset.sample_submission: <id>/prepared/public/...


class MLEBenchFamily(CompetitionFamily):
    name = "mlebench"
    fields = MLEBenchCompetition

    # --- the run --------------------------------------------------------------------------------------

    def addoption(self, group) -> None:  # --pass-on is the competition family's, and applies here too
        group.addoption("--mlebench-data", dest="agentbench_mlebench_data", metavar="DIR",
                        help="run MLE-bench's own competitions (its package `mlebench` installed): every one "
                             "of its registry is an item, with the data `mlebench prepare` wrote under DIR")

    def run_options(self, config) -> dict:
        data = config.getoption("agentbench_mlebench_data")
        return {"mlebench_data": str(Path(data).expanduser().resolve()) if data else None,
                "pass_on": getattr(config.option, "agentbench_pass_on", None) or "any-medal"}

    def collect_paths(self, config) -> list[Path]:
        data = config.getoption("agentbench_mlebench_data")
        if not data:
            return []
        if not Path(data).expanduser().is_dir():
            raise pytest.UsageError(f"--mlebench-data {data}: no such folder (where `mlebench prepare "
                                    f"--data-dir` wrote the competitions' data)")
        try:
            return [package.competitions_dir()]
        except package.NotInstalled as e:
            raise pytest.UsageError(str(e)) from None

    # --- collection: their registry's config.yaml files ------------------------------------------------

    def claims(self, path: Path) -> bool:
        if path.name != "config.yaml" or package.module_dir() is None:
            return False
        return path.parent.parent == package.module_dir() / "competitions"

    def spec_in(self, folder: Path) -> Path | None:
        spec = folder / "config.yaml"
        return spec if self.claims(spec) and spec.is_file() else None

    def spec_mapping(self, path: Path) -> dict:
        config = package.read_config(path)
        if not isinstance(config, dict) or not isinstance(config.get("dataset"), dict):
            raise SpecError(path, "not an MLE-bench competition config (no 'dataset' mapping)")
        return {"kind": self.name, "id": config.get("id"), "name": config.get("name"),
                "difficulty": package.complexity(str(config.get("id"))),  # -m easy: their Lite set (low)
                "competition_type": config.get("competition_type", "simple"),
                "answers": config["dataset"].get("answers"),
                "sample_submission": config["dataset"].get("sample_submission")}

    # --- an item ----------------------------------------------------------------------------------------

    def prepare(self, ctx: TaskContext) -> None:
        data = ctx.options.get("mlebench_data")
        if not data:
            raise GraderError(f"{ctx.spec.id} is an MLE-bench competition: give --mlebench-data DIR, the folder "
                              f"`mlebench prepare` wrote its data to")
        why = package.not_prepared(Path(data), {"id": ctx.spec.id, "dataset": {
            "answers": ctx.spec.details.answers, "sample_submission": ctx.spec.details.sample_submission}})
        if why:
            pytest.skip(f"{ctx.spec.id} is not prepared ({why}): run "
                        f"`mlebench prepare -c {ctx.spec.id} --data-dir {data}`")
        # Checked here, not at collection: a checkout without `git lfs pull` must still run the ones it has.
        leaderboard = ctx.spec.folder / "leaderboard.csv"
        if not leaderboard.is_file() or leaderboard.read_bytes()[:40].startswith(b"version https://git-lfs"):
            raise GraderError(f"{ctx.spec.id}: its leaderboard {leaderboard} is missing or a Git LFS pointer: run "
                              f"`git lfs pull` in the mle-bench checkout")
        ctx.state["public"], _ = package.prepared_dirs(Path(data), ctx.spec.id)

    def agent_files(self, ctx: TaskContext) -> list[CopyIn]:
        files = [CopyIn(ctx.state["public"], "/home/data", mode=0o444)]
        theirs = package.checkout_file("environment/instructions.txt")
        instructions = ctx.item_dir / "instructions.txt"
        if theirs is not None:
            instructions.write_text(theirs.read_text().replace(THEIR_VALIDATION_URL, VALIDATION_URL))
        else:  # a package installed without its checkout: ours say the same things
            instructions.write_text(INSTRUCTIONS.read_text().format(validation_url=VALIDATION_URL,
                                                                    time_limit=ctx.time_limit))
        files.append(CopyIn(instructions, "/home/instructions.txt", mode=0o444))
        script = package.checkout_file("environment/validate_submission.sh")
        if script is not None:
            ours = ctx.item_dir / "validate_submission.sh"
            ours.write_text(script.read_text().replace(THEIR_VALIDATION_URL, VALIDATION_URL))
            files.append(CopyIn(ours, "/home/validate_submission.sh", mode=0o555))
        return files

    def agent_env(self, ctx: TaskContext) -> dict[str, str]:
        return {"COMPETITION_ID": ctx.spec.id, "VALIDATION_URL": VALIDATION_URL}

    def solution_files(self, ctx: TaskContext) -> list[CopyIn]:
        return []  # MLE-bench ships no reference solutions

    def start_services(self, ctx: TaskContext):
        """Their grading server's endpoint, answered on the host by their validate_submission."""
        spec = SandboxSpec(image=base_image_of(ctx), name=unique_name("grading-server", ctx), network=ctx.network,
                           aliases=[VALIDATION_HOST], user="nobody", config=container_limits_of(ctx))
        server = ctx.engine.start(spec, files=[(Path(grading_server.__file__), SERVER_PATH, 0, 0o444)])
        ready, ended = threading.Event(), []

        def answer(line: bytes) -> bytes | None:
            try:
                question = json.loads(line)
            except ValueError:
                return None
            if "ready" in question:
                ready.set()
                return None
            return (json.dumps(self._validate(ctx, question)) + "\n").encode()

        def serve() -> None:
            try:
                ended.append(server.exec_dialog(["python3", "-I", SERVER_PATH, "--port", "5000"],
                                                answer=answer, user="nobody"))
            except BaseException as e:  # noqa: BLE001 - reported by the start-up check below
                ended.append(e)
            ready.set()

        threading.Thread(target=serve, name=f"{spec.name}-dialog", daemon=True).start()
        if not ready.wait(SERVER_READY_TIMEOUT) or ended:
            ctx.engine.discard(server)
            raise GraderError(f"MLE-bench's grading server for {ctx.spec.id} did not start: "
                              f"{ended[0] if ended else f'no word within {SERVER_READY_TIMEOUT} s'}")
        return [server]

    def _validate(self, ctx: TaskContext, question: dict) -> dict:
        try:
            upload = base64.b64decode(question["csv"], validate=True)
        except (KeyError, TypeError, binascii.Error):
            return {"status": 500, "body": {"error": "An unexpected error occurred.", "details": "bad request"}}
        work = Path(tempfile.mkdtemp(prefix="agentbench-validate-"))
        try:
            submission = work / "submission_to_validate.csv"  # the name their server saves it under
            submission.write_bytes(upload)
            message = run_isolated(f"MLE-bench's validate_submission for {ctx.spec.id}", package.validate_in_child,
                                   ctx.options["mlebench_data"], ctx.spec.id, str(submission), str(work),
                                   limits=grader_limits(ctx))
            return {"status": 200, "body": {"result": message}}
        except GraderError as e:  # their server: any exception is a 500 with its text
            return {"status": 500, "body": {"error": "An unexpected error occurred.", "details": str(e)}}
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def grade(self, ctx: TaskContext) -> Grade:
        submission = ctx.item_dir / "submission" / "submission.csv"
        work = Path(tempfile.mkdtemp(prefix="agentbench-mlebench-grade-"))
        try:
            report = run_isolated(f"MLE-bench's grade_csv for {ctx.spec.id}", package.grade_in_child,
                                  ctx.options["mlebench_data"], ctx.spec.id, str(submission), str(work),
                                  limits=grader_limits(ctx), log_path=ctx.item_dir / "grader.log")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        problems = [] if report["valid_submission"] or not report["submission_exists"] else \
            ["MLE-bench's grader gave no score: the submission is invalid (its reason is in grader.log)"]
        return to_grade(report, problems, ctx.options.get("pass_on") or "any-medal")
