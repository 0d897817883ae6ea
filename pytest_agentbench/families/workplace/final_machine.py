"""The agent's final machine, where a workplace task is graded (TheAgentCompany runs eval.py in the
agent's own container: a program the agent installed, any file it left anywhere, counts).

When the agent stops, its container is saved as an image (`docker commit`, labelled with the run, removed
with its item) and its changes since the agent's image (added and modified paths, deleted paths) are
written to the item's folder, `final-machine/`, so that --regrade rebuilds the same machine from the run
group. The evaluator then runs in a container started from that image, where nothing the agent left is
trusted:

* the evaluator's interpreter is the grader image's Python (interpreter, dynamic loader, shared
  libraries, standard library, packages), kept in a read-only volume filled once per engine and mounted
  at a path the agent could not know; it runs through its own loader (`--library-path`,
  `--inhibit-cache`) with `-I`, so the agent's python3, libraries, sitecustomize, .pth files and
  PYTHON* variables are never read;
* /etc/ld.so.preload and /etc/nsswitch.conf are masked, the image's environment emptied, its entrypoint
  ignored, and no process gains privileges by executing a file (sandbox/base.py's `untrusted_image`);
* the evaluator and our modules go to a fresh folder of that random path; the runner reports on its own
  stdio (the harness's dialog), the evaluator runs as a numeric user that is neither root nor the
  agent's, and the agent's code as the agent's user (tac/runner.py); no network, no key.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from ...grading.result import GraderError
from ...sandbox.base import Sandbox, SandboxSpec
from ...sandbox.images import build_lock, ensure_image
from ...sandbox.untrusted_archive import OutputCapExceeded
from ..base import TaskContext, agent_base_image, agent_recipe, container_limits_of, unique_name

FOLDER = "final-machine"  # in an item's folder
CHANGES = "changes.tar"
MANIFEST = "manifest.json"  # the agent's image, the deleted paths, the archive's size
PYTHON_MOUNT = "python"  # below the container's random folder

# Run by a trusted image's own Python (the grader image's, or a published task image's), as root, in a
# container of that image: fills the volume mounted at argv[1] with that Python (once: .complete marks
# a finished fill), then prints where its parts are. Absolute links are copied as what they point to:
# inside the agent's machine they would point into the agent's files.
FILL = r"""
import json, os, shutil, subprocess, sys, sysconfig
root = sys.argv[1]
python = os.path.realpath(sys.executable)
ldd = subprocess.run(["ldd", python], capture_output=True, text=True, check=True).stdout
loader = next(os.path.realpath(line.split()[0]) for line in ldd.splitlines() if "ld-linux" in line)
# Debian's libraries, and the folder of a libpython it links outside them (python:3.12's /usr/local/lib).
libs = ["/usr/lib/" + sysconfig.get_config_var("MULTIARCH")]
libs += sorted({os.path.dirname(os.path.realpath(line.split()[2])) for line in ldd.splitlines()
                if "libpython" in line and "=>" in line} - set(libs))
stdlib = {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
# The grader's packages: a virtual environment's site-packages (tac-api's grader image), or PYTHONPATH.
site = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
               *[p for p in os.environ.get("PYTHONPATH", "").split(":") if p]} - {""})
site = [p for p in [*site, "/usr/lib/python3/dist-packages"] if os.path.isdir(p)]
if not os.path.exists(root + "/.complete"):
    for name in os.listdir(root):
        path = os.path.join(root, name)
        shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
    sources = []
    for source in ["/usr/lib", *libs[1:], *sorted(stdlib), *site]:
        if not any(source == s or source.startswith(s + "/") for s in sources):
            sources.append(source)
    for source in sources:
        shutil.copytree(source, root + source, symlinks=True, dirs_exist_ok=True)
    os.makedirs(root + os.path.dirname(python), exist_ok=True)
    shutil.copy2(python, root + python)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if os.path.islink(path) and os.readlink(path).startswith("/"):
                target = os.path.realpath(path[len(root):]) if not os.path.realpath(path).startswith(root) else None
                os.unlink(path)
                if target and os.path.isfile(target):
                    shutil.copy2(target, path)
    # A .pth line naming an absolute folder would name the agent's folder once mounted: the folders
    # such lines name are in `site` already (Debian's dist-packages), at their mounted place.
    for folder in site:
        for name in os.listdir(root + folder):
            if name.endswith(".pth"):
                path = os.path.join(root + folder, name)
                with open(path) as f:
                    kept = [line for line in f if not line.startswith("/")]
                with open(path, "w") as f:
                    f.writelines(kept)
    open(root + "/.complete", "w").close()
print(json.dumps({"python": python, "loader": loader, "libs": libs, "site": site}))
"""


@dataclass(frozen=True)
class HarnessPython:
    """The grader image's Python in a volume: where its parts are, relative to where it is mounted."""

    volume: str
    python: str
    loader: str
    libs: list[str]
    site: list[str]

    def command(self, mount: str) -> list[str]:
        return [mount + self.loader, "--library-path", ":".join(mount + lib for lib in self.libs), "--inhibit-cache",
                mount + self.python, "-I"]


_pythons: dict[tuple[str, str], HarnessPython] = {}
_pythons_lock = threading.Lock()


def harness_python(ctx: TaskContext, grader_image: str, python: str = "python3") -> HarnessPython:
    """The volume holding the Python of a trusted image (the grader image; a published task image's own,
    `python` naming it there) on this engine: filled on first use, kept across runs, named by the
    image's id."""
    engine = ctx.engine
    image_id = (engine.image_id(grader_image) or grader_image).split(":")[-1][:12]
    key = (engine.name, image_id)
    with _pythons_lock:
        if key not in _pythons:
            fill = hashlib.sha256(FILL.encode()).hexdigest()[:8]  # a volume filled another way is another volume
            volume = engine.cached_volume(f"agentbench-harness-python-{image_id}-{fill}")
            with build_lock(f"{engine.name} {volume}"):
                filler = engine.start(SandboxSpec(image=grader_image, name=unique_name("python-fill", ctx),
                                                  user="0:0", volumes={volume: ("/fill", False)},
                                                  config=container_limits_of(ctx)))
                try:
                    done = filler.exec([python, "-c", FILL, "/fill"], record=False)
                finally:
                    ctx.engine.discard(filler)
            if done.exit_code != 0:
                raise GraderError(f"could not copy the grader image's Python into the volume {volume}:\n"
                                  f"{done.output[-2000:]}")
            where = json.loads(done.output.strip().splitlines()[-1])
            _pythons[key] = HarnessPython(volume=volume, **where)
        return _pythons[key]


def keep(ctx: TaskContext, sandbox: Sandbox) -> str:
    """Save the stopped agent's container: an image for grading now (its reference returned: the caller
    removes it with the item) and its changes in the item's folder for --regrade."""
    folder = ctx.item_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    image = sandbox.snapshot(f"agentbench/final-machine-{uuid.uuid4().hex[:12]}:snapshot")
    try:  # within the item's output cap: the agent decides how much it changed
        deleted = sandbox.save_changes(folder / CHANGES, ctx.output_caps.max_bytes)
        manifest = {"agent_image": sandbox.image, "deleted": deleted,
                    "changes_bytes": (folder / CHANGES).stat().st_size}
    except OutputCapExceeded as e:
        (folder / CHANGES).unlink(missing_ok=True)
        manifest = {"agent_image": sandbox.image, "not_saved": f"{e} (the item's output cap)"}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    ctx.state["final_machine"] = image
    return image


def start(ctx: TaskContext, python: HarnessPython, files: list[tuple], private: str,
          network: str | None = None, replaced: tuple[str, ...] = ()) -> Sandbox:
    """A container of the agent's final machine, idle, with the harness's Python mounted at
    `private`/python and `files` (host path, dest, owner, mode) copied in: from the snapshot image this
    process took, else (--regrade) rebuilt from the agent's image and the saved changes. The paths
    `replaced` are removed before the files go in: nothing the agent left there stays beside them."""
    mount = f"{private}/{PYTHON_MOUNT}"
    snapshot = ctx.state.get("final_machine")
    manifest = None if snapshot else _saved(ctx)
    image = snapshot or _agent_image(ctx, manifest)
    spec = SandboxSpec(image=image, name=unique_name("grader", ctx), user="0:0", untrusted_image=True, env=ENV,
                       command=[*python.command(mount), "-c", "import signal; signal.pause()"],
                       volumes={python.volume: (mount, True)}, config=container_limits_of(ctx), network=network)
    if manifest is None and not replaced:
        return ctx.engine.start(spec, files=files)
    machine = ctx.engine.start(spec)
    try:
        if manifest is not None:  # the agent's deletions, by the harness's Python, then its additions and changes
            _remove(machine, python.command(mount), manifest["deleted"])
            machine.apply_changes(ctx.item_dir / FOLDER / CHANGES)
        _remove(machine, python.command(mount), list(replaced))  # then ours, with nothing of the agent's beside
        for src, dest, owner, mode in files:
            machine.copy_in(Path(src), dest, owner=owner, mode=mode)
    except BaseException:
        ctx.engine.discard(machine)
        raise
    return machine


# The machine's environment (the image's is emptied): where Debian's programs are, and the agent's.
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
REMOVE = r"""
import os, shutil, sys
for path in sys.argv[1:]:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)
"""


def _remove(machine: Sandbox, python: list[str], paths: list[str]) -> None:
    if paths:
        removed = machine.exec([*python, "-c", REMOVE, *paths], record=False)
        if removed.exit_code != 0:
            raise GraderError(f"could not rebuild the agent's final machine:\n{removed.output[-2000:]}")


def _saved(ctx: TaskContext) -> dict:
    try:
        manifest = json.loads((ctx.item_dir / FOLDER / MANIFEST).read_text())
    except (OSError, ValueError):
        raise GraderError(f"{ctx.item_dir / FOLDER} holds no saved final machine ({MANIFEST} and {CHANGES}, "
                          f"written when the agent stopped): this item cannot be graded again") from None
    if manifest.get("not_saved"):
        raise GraderError(f"the agent's final machine was not saved ({manifest['not_saved']}): "
                          f"this item cannot be graded again")
    return manifest


def _agent_image(ctx: TaskContext, manifest: dict) -> str:
    """The image the agent's container started from: as saved if the engine still has it, else built
    again (the same recipe gives the same tag)."""
    saved = manifest.get("agent_image")
    if saved and ctx.engine.image_exists(saved):
        return saved
    from .. import get as family_of  # noqa: PLC0415 - the registry imports the families

    task_image = family_of(ctx.spec.kind).task_image(ctx)
    base = task_image or agent_base_image(ctx.engine, ctx.agent, ctx.options)
    return ensure_image(ctx.engine, agent_recipe(ctx.agent, base))
