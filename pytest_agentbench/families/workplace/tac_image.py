"""TheAgentCompany's published task images as tasks: a workplace task.yaml naming one,

    kind: workplace
    id: sde-install-go
    image: ghcr.io/theagentcompany/sde-install-go-image:1.0.0

runs through the four steps of TAC's evaluation guide (its docs/EVALUATION.md):
1. the agent's container starts from the image (pulled if the engine lacks it; our agent-facing layout
   and the agent's image built on it);
2. `bash /utils/init.sh` as root with SERVER_HOSTNAME and the LITELLM_* settings, before the agent; then
   /utils (the evaluator, golden answers, init scripts) leaves the agent's container;
3. the agent on /instruction/task.md, which the image holds; its trajectory is recorded as for every task;
4. `/utils/eval.py` with DECRYPTION_KEY on the agent's final machine: a snapshot of its stopped
   container, with the image's own /utils and interpreter mounted over what the agent left (below).
   The result path goes by the flag the image's eval.py reads: `--result_path` (TAC's code) or
   `--output_path` (TAC's guide).

Why grading trusts what it trusts: the agent was root in that machine, so anything in the snapshot may be
its work. Grading runs `/utils/eval.py` of the image as published (a volume filled from the image, over
the snapshot's /utils), with the image's own Python (binary, standard library and packages, copied from
the image into a read-only volume and used through PYTHONHOME), an empty /etc/ld.so.preload, no network
and the result in a folder of a random name; the harness reads the result back as data. What the
evaluator itself runs of the agent's (its `go version`) runs as root there, as in TAC.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path

from ...grading.result import Checkpoint, Grade, GraderError
from ...sandbox.base import Sandbox, SandboxSpec
from ...sandbox.images import ensure_base_image
from ...sandbox.untrusted_archive import OutputTally
from ...trajectory import read_steps
from ..base import TaskContext, container_limits_of, unique_name
from . import tac_files
from .tac import judge, scoring

TAC_DECRYPTION_KEY = "theagentcompany is all you need"  # published in TAC's docs/EVALUATION.md
INIT_TIME_LIMIT = 900  # seconds, TAC's run_eval.py's for init.sh
EVAL_TIME_LIMIT = 600  # seconds, TAC's run_eval.py's for eval.py
PYTHON_DIR = "/agentbench-python"  # the image's own interpreter, copied, in the grader
INIT_LOG = "init.log"  # in the item's folder: what init.sh printed
FINAL_MACHINE = "tac_final_machine"  # ctx.state key: the snapshot of the agent's stopped container
RESULT_FLAGS = ("--result_path", "--output_path")  # TAC's eval.py reads the first; its guide names the second

# Run by the image's own Python in a container of the image as published: copies that interpreter
# into PYTHON_DIR (a volume) and says which result flag /utils/eval.py reads.
_COPY_PYTHON = r'''
import json, os, shutil, site, sys, sysconfig
dest, stdlib = sys.argv[1], os.path.dirname(os.__file__)
lib = os.path.join(dest, "lib")
os.makedirs(os.path.join(dest, "bin"))
shutil.copy2(os.path.realpath(sys.executable), os.path.join(dest, "bin", "python3"))
# Symlinks followed: Debian's sitecustomize.py in the standard library points into /etc.
shutil.copytree(stdlib, os.path.join(lib, "python%d.%d" % sys.version_info[:2]), ignore_dangling_symlinks=True)
# A shared libpython the interpreter may link (Debian reports one its static binary does not use).
shared = sysconfig.get_config_var("Py_ENABLE_SHARED") and sysconfig.get_config_var("INSTSONAME")
shared = shared and os.path.join(sysconfig.get_config_var("LIBDIR"), shared)
if shared and os.path.isfile(shared):
    shutil.copy2(shared, lib)
else:
    shared = None
sites = []
for path in site.getsitepackages():
    if os.path.isdir(path) and not path.startswith(stdlib + os.sep):
        sites.append(os.path.join(dest, "site", str(len(sites))))
        shutil.copytree(path, sites[-1], ignore_dangling_symlinks=True)
text = open("/utils/eval.py", encoding="utf-8", errors="replace").read()
flag = next((f for f in sys.argv[2:] if f in text), None)
print(json.dumps({"sites": sites, "shared": bool(shared), "flag": flag}))
'''


class TaskInitError(RuntimeError):
    """The image's /utils/init.sh failed or hung: the item errs with its output, the run goes on."""


def image_of(ctx: TaskContext) -> str | None:
    return ctx.spec.details.image


def task_image(ctx: TaskContext) -> str:
    """The published image (pulled when the engine lacks it) with our agent-facing layout on it, for the
    agent's image to build on."""
    ref = image_of(ctx)
    if not ctx.engine.image_exists(ref):
        ctx.engine.pull_image(ref)  # a BuildError naming the image and the registry's answer
    return ensure_base_image(ctx.engine, ref)


def initialize(ctx: TaskContext, sandbox: Sandbox) -> None:
    """Step 2 of TAC's guide, then the answer keys out of the agent's reach (grading brings the image's
    own /utils back)."""
    env = {"SERVER_HOSTNAME": os.environ.get("SERVER_HOSTNAME") or "localhost",
           **{name: os.environ[name] for name in judge.ENV_VARS if os.environ.get(name)}}
    run = sandbox.exec(["bash", "/utils/init.sh"], user="root", env=env, timeout=INIT_TIME_LIMIT, record=False)
    (ctx.item_dir / INIT_LOG).write_text(run.output)
    if run.timed_out or run.exit_code != 0:
        what = f"ran past {INIT_TIME_LIMIT} s" if run.timed_out else f"exited {run.exit_code}"
        raise TaskInitError(f"{image_of(ctx)}: /utils/init.sh {what} (SERVER_HOSTNAME={env['SERVER_HOSTNAME']}); "
                            f"its output:\n{run.output[-3000:]}")
    gone = sandbox.exec(["rm", "-rf", "/utils"], user="root", timeout=120, record=False)
    if gone.exit_code != 0:
        raise TaskInitError(f"{image_of(ctx)}: could not take /utils out of the agent's container:\n{gone.output}")


def keep_final_machine(ctx: TaskContext, sandbox: Sandbox) -> None:
    ctx.state[FINAL_MACHINE] = sandbox.snapshot(f"agentbench/final-machine:{uuid.uuid4().hex[:16]}")


def grade(ctx: TaskContext) -> Grade:
    """Step 4 of TAC's guide in the agent's final machine; the result read back by the harness."""
    ref, engine = image_of(ctx), ctx.engine
    snapshot = ctx.state.get(FINAL_MACHINE)
    if snapshot is None:
        raise GraderError(f"{ref}: its evaluator runs in the agent's final machine, which only the run of the "
                          f"agent has: --regrade cannot grade it")
    out = ctx.item_dir / "grader"
    out.mkdir(parents=True, exist_ok=True)
    limits = container_limits_of(ctx)
    utils = engine.create_volume(unique_name("tac-utils", ctx))
    python = engine.create_volume(unique_name("tac-python", ctx))
    try:
        # The image as published fills both volumes: Docker copies its /utils into the empty one mounted
        # there; the script copies its interpreter into the other.
        pristine = engine.start(SandboxSpec(image=ref, name=unique_name("tac-image", ctx), config=limits,
                                            volumes={utils: ("/utils", False), python: (PYTHON_DIR, False)}))
        try:
            probe = pristine.exec(["sh", "-c", 'exec "$(command -v python_default || command -v python3)" -I -c '
                                   '"$0" "$@"', _COPY_PYTHON, PYTHON_DIR, *RESULT_FLAGS],
                                  user="root", timeout=600, record=False)
        finally:
            engine.discard(pristine)
        try:
            found = json.loads(probe.output.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise GraderError(f"{ref}: could not copy its Python or read its /utils/eval.py for grading "
                              f"(exit {probe.exit_code}):\n"
                              f"{probe.output[-2000:]}") from None
        if not found["flag"]:
            raise GraderError(f"{ref}: its /utils/eval.py reads neither {' nor '.join(RESULT_FLAGS)}")
        run = _evaluate(ctx, snapshot, utils, python, found, out)
    finally:
        engine.discard_volume(utils)
        engine.discard_volume(python)
        engine.discard_image(snapshot)
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


def _evaluate(ctx: TaskContext, snapshot: str, utils: str, python: str, found: dict, out: Path):
    engine = ctx.engine
    result_dir = f"/agentbench-result-{uuid.uuid4().hex}"  # unknown to the agent: nothing of its waits there
    name = tac_files.tac_name(ctx.item_dir)
    with tempfile.TemporaryDirectory(prefix="agentbench-tac-") as tmp:
        trajectory, preload = Path(tmp) / f"traj_{name}.json", Path(tmp) / "ld.so.preload"
        trajectory.write_text(json.dumps(tac_files.openhands_events(read_steps(ctx.trajectory_path))))
        preload.write_text("")  # no library of the agent's loaded into every program
        grader = engine.start(
            SandboxSpec(image=snapshot, name=unique_name("tac-grader", ctx), config=container_limits_of(ctx),
                        volumes={utils: ("/utils", False), python: (PYTHON_DIR, True)}),
            files=[(trajectory, f"{result_dir}/{trajectory.name}", 0, 0o644), (preload, "/etc/ld.so.preload", 0, 0o644)])
    env = {"DECRYPTION_KEY": os.environ.get("DECRYPTION_KEY") or TAC_DECRYPTION_KEY,
           "PYTHONHOME": PYTHON_DIR, "PYTHONPATH": ":".join(["/utils", *found["sites"]]),
           **({"LD_LIBRARY_PATH": f"{PYTHON_DIR}/lib"} if found["shared"] else {}),
           **{name: os.environ[name] for name in judge.ENV_VARS if os.environ.get(name)}}
    try:
        run = grader.exec([f"{PYTHON_DIR}/bin/python3", "-s", "/utils/eval.py",
                           "--trajectory_path", f"{result_dir}/traj_{name}.json", found["flag"],
                           f"{result_dir}/eval.json"],
                          user="root", env=env, kill_sandbox_after=EVAL_TIME_LIMIT, record=False)
        grader.copy_out(f"{result_dir}/eval.json", out, OutputTally(ctx.output_caps))
    finally:
        engine.discard(grader)
    return run


def _read_result(path: Path) -> dict | None:
    """eval.py's JSON, checked: what came out of the grader is data."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        checkpoints = [{"total": int(c["total"]), "result": int(c["result"])} for c in data["checkpoints"]]
        final = {"total": int(data["final_score"]["total"]), "result": int(data["final_score"]["result"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {"checkpoints": checkpoints, "final_score": final} if checkpoints else None
