"""TheAgentCompany's published task images as tasks: a workplace task.yaml naming one,

    kind: workplace
    id: sde-install-go
    image: ghcr.io/theagentcompany/sde-install-go-image:1.0.0

runs through the four steps of TAC's evaluation guide (its docs/EVALUATION.md):
1. the agent's container starts from the image (pulled if the engine lacks it; our agent-facing layout
   and the agent's image built on it); what the image holds under /utils and /npc is saved to the item's
   folder (`hidden/`, task_image.save_hidden) for grading and --regrade;
2. `bash /utils/init.sh` as root with SERVER_HOSTNAME (--tac-server) and the LITELLM_* settings, before
   the agent, within --tac-init-timeout; then /utils and /npc leave the agent's container;
3. the agent on /instruction/task.md, which the image holds; its trajectory is recorded as for every task;
4. `/utils/eval.py` with DECRYPTION_KEY on the agent's final machine (final_machine.py: a snapshot of its
   stopped container, or the saved changes under --regrade), with the image's /utils as saved in step 1
   in place of whatever the agent left there. The result path goes by the flag the image's eval.py
   reads: `--result_path` (TAC's code) or `--output_path` (TAC's guide).

Why grading trusts what it trusts: the agent was root in that machine, so anything in the snapshot may be
its work. eval.py runs under the image's own Python (`python_default`, copied out of the image as
published into a cached read-only volume: final_machine.harness_python) through its own loader, with
/utils first on its path and the result in a folder of a random name, which the harness reads back as
data. There is no network: eval.py's LLM checkpoints cannot reach a provider from there (no key goes in).
What the evaluator itself runs of the agent's (its `go version`) runs as root, as in TAC.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path

from ...grading.result import Checkpoint, Grade, GraderError
from ...sandbox.base import Sandbox
from ...sandbox.images import ensure_base_image
from ...sandbox.untrusted_archive import OutputTally
from ...trajectory import read_steps
from ..base import TaskContext, unique_name
from . import final_machine, tac_files
from .tac import judge, scoring
from .task_image import HIDDEN_DIR, HIDDEN_PATHS, save_hidden

TAC_DECRYPTION_KEY = "theagentcompany is all you need"  # published in TAC's docs/EVALUATION.md
INIT_TIME_LIMIT = 900  # seconds, TAC's run_eval.py's for init.sh (unless --tac-init-timeout)
EVAL_TIME_LIMIT = 600  # seconds, TAC's run_eval.py's for eval.py
INIT_LOG = "init.log"  # in the item's folder: what init.sh printed
RESULT_FLAGS = ("--result_path", "--output_path")  # TAC's eval.py reads the first; its guide names the second
PYTHON = "python_default"  # TAC's base image's link to its own Python, which an agent's `python` cannot shadow
# eval.py run as a script with /utils (TAC's image sets PYTHONPATH=/utils) and the image's packages on its path.
RUN_SCRIPT = "import runpy, sys; sys.path[:0] = sys.argv[1].split(':'); sys.argv = sys.argv[2:]; " \
             "runpy.run_path(sys.argv[0], run_name='__main__')"


class TaskInitError(RuntimeError):
    """The image's /utils/init.sh failed or hung: the item errs with its output, the run goes on."""


def image_of(ctx: TaskContext) -> str | None:
    return ctx.spec.details.image


def task_image(ctx: TaskContext) -> str:
    """The published image (pulled when the engine lacks it) with our agent-facing layout on it, for the
    agent's image to build on; its /utils and /npc saved to the item's folder."""
    ref = image_of(ctx)
    if not ctx.engine.image_exists(ref):
        ctx.engine.pull_image(ref)  # a BuildError naming the image and the registry's answer
    save_hidden(ctx.engine, ref, ctx.item_dir / HIDDEN_DIR, unique_name("hidden", ctx))
    return ensure_base_image(ctx.engine, ref)


def initialize(ctx: TaskContext, sandbox: Sandbox) -> None:
    """Step 2 of TAC's guide, then the answer keys out of the agent's reach (grading brings the image's
    own /utils back)."""
    server = ctx.options.get("tac_server") or os.environ.get("SERVER_HOSTNAME") or "localhost"
    limit = ctx.options.get("tac_init_timeout") or INIT_TIME_LIMIT
    env = {"SERVER_HOSTNAME": server, **{name: os.environ[name] for name in judge.ENV_VARS if os.environ.get(name)}}
    run = sandbox.exec(["bash", "/utils/init.sh"], user="root", env=env, timeout=limit, record=False)
    (ctx.item_dir / INIT_LOG).write_text(run.output)
    if run.timed_out or run.exit_code != 0:
        what = f"ran past {limit:g} s" if run.timed_out else f"exited {run.exit_code}"
        raise TaskInitError(f"{image_of(ctx)}: /utils/init.sh {what} (SERVER_HOSTNAME={server}); "
                            f"its output:\n{run.output[-3000:]}")
    gone = sandbox.exec(["rm", "-rf", *HIDDEN_PATHS], user="root", timeout=120, record=False)
    if gone.exit_code != 0:
        raise TaskInitError(f"{image_of(ctx)}: could not take {' and '.join(HIDDEN_PATHS)} out of the agent's "
                            f"container:\n{gone.output}")


def grade(ctx: TaskContext) -> Grade:
    """Step 4 of TAC's guide in the agent's final machine; the result read back by the harness."""
    ref = image_of(ctx)
    utils = ctx.item_dir / HIDDEN_DIR / "utils"
    if not (utils / "eval.py").is_file():
        raise GraderError(f"{ref}: has no readable /utils/eval.py (saved from the image to {utils}): "
                          f"it is not a TheAgentCompany task image")
    text = (utils / "eval.py").read_text(errors="replace")
    flag = next((f for f in RESULT_FLAGS if f in text), None)
    if flag is None:
        raise GraderError(f"{ref}: its /utils/eval.py reads neither {' nor '.join(RESULT_FLAGS)}")
    out = ctx.item_dir / "grader"
    out.mkdir(parents=True, exist_ok=True)
    python = final_machine.harness_python(ctx, ref, python=PYTHON)
    private = f"/.agentbench-{uuid.uuid4().hex}"  # a path the agent could not prepare: the result goes there
    name = tac_files.tac_name(ctx.item_dir)
    with tempfile.TemporaryDirectory(prefix="agentbench-tac-") as tmp:
        trajectory = Path(tmp) / f"traj_{name}.json"
        trajectory.write_text(json.dumps(tac_files.openhands_events(read_steps(ctx.trajectory_path))))
        machine = final_machine.start(ctx, python, [(utils, "/utils", 0, None),
                                                    (trajectory, f"{private}/{trajectory.name}", 0, 0o644)],
                                      private, replaced=("/utils",))
    try:
        mount = f"{private}/{final_machine.PYTHON_MOUNT}"
        path = ":".join(["/utils", *[mount + site for site in python.site]])
        run = machine.exec([*python.command(mount), "-c", RUN_SCRIPT, path, "/utils/eval.py",
                            "--trajectory_path", f"{private}/{trajectory.name}", flag, f"{private}/eval.json"],
                           user="root", env={"DECRYPTION_KEY": os.environ.get("DECRYPTION_KEY") or TAC_DECRYPTION_KEY},
                           workdir="/workspace", kill_sandbox_after=EVAL_TIME_LIMIT, record=False)
        machine.copy_out(f"{private}/eval.json", out, OutputTally(ctx.output_caps))
    finally:
        ctx.engine.discard(machine)
        if ctx.state.get("final_machine"):
            ctx.engine.discard_image(ctx.state.pop("final_machine"))
    (out / "evaluator.log").write_text(run.output)
    if run.timed_out:
        raise GraderError(f"{ref}: /utils/eval.py ran past {EVAL_TIME_LIMIT} s")
    result = _read_result(out / "eval.json")
    if result is None:  # as in TAC, a failed evaluator leaves no eval file
        raise GraderError(f"{ref}: /utils/eval.py wrote no result (exit {run.exit_code}):\n{run.output[-3000:]}")
    tac_files.write(ctx.item_dir, result, ctx.trajectory_path)
    final = result["final_score"]
    checkpoints = [Checkpoint(f"Checkpoint {i}", c["result"], c["total"])
                   for i, c in enumerate(result["checkpoints"], 1)]
    return Grade(checkpoints, score=scoring.headline_score(final["total"], final["result"]),
                 passed=final["result"] >= final["total"] > 0,
                 summary=f"{final['result']}/{final['total']} points (TAC's /utils/eval.py in {ref})")


def _read_result(path: Path) -> dict | None:
    """eval.py's JSON, checked: what came out of the grader is data."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        checkpoints = [{"total": int(c["total"]), "result": int(c["result"])} for c in data["checkpoints"]]
        final = {"total": int(data["final_score"]["total"]), "result": int(data["final_score"]["result"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {"checkpoints": checkpoints, "final_score": final} if checkpoints else None
