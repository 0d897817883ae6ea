"""Python packages for image builds that cannot reach PyPI: a wheelhouse resolved on the host.

An image's build context (an agent folder, later a grader's or a service's) declares its packages
beside its Dockerfile:

    requirements.txt           installed with their dependencies
    requirements-no-deps.txt   installed without the dependencies they declare (the folder lists
                               what they really need in requirements.txt: AIDE declares 3.4 GB), and
                               whatever Python versions they declare (the folder vouches for the part
                               it uses: sotopia 0.1.2 says <3.13, its database models run on 3.13)

The host, which reaches PyPI (or whatever index its pip is configured with), downloads wheels for
the Python of the image the Dockerfile builds FROM (found by asking that image once), with
`--only-binary=:all:`, into a cache keyed by the requirements and that target: a second build
downloads nothing. The build context the engine receives is the folder plus `wheelhouse/` (the
wheels, pip's own wheel, the two files, and `install`), so the Dockerfile installs with no index:

    COPY wheelhouse /wheelhouse
    RUN /wheelhouse/install /opt/venv && rm -rf /wheelhouse

Nothing is bind-mounted and no host port is opened: a remote engine gets the wheels in the context.
A build that allows it (`resolve(..., sources=True)`: TheAgentCompany's Dockerfiles) gets a named
requirement that has no wheel as its source archive, fetched as data (source_packages.py), for pip
to build inside the image build.
The image tag covers the wheels' digest, so a different resolution is a different image.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..files import file_lock
from . import source_packages
from .base import BuildError, SandboxEngine, SandboxSpec

REQUIREMENTS = "requirements.txt"
NO_DEPS = "requirements-no-deps.txt"
FOLDER = "wheelhouse"  # its name in the build context
FORMAT = "1"  # bump when what a wheelhouse holds changes: old cache entries are then not used
MANIFEST = "manifest.json"
PACKAGE_FILES = ("*.whl", "*.tar.gz", "*.zip")  # wheels, and source archives fetched as data (sources=True)
MAX_SOURCES = 3  # requirements of one file fetched as sources, at most

INSTALL = """#!/bin/sh
# Written by pytest-agentbench (sandbox/wheelhouse.py): installs this folder's requirements into a
# virtual environment at $1 (default /opt/venv) from the wheels beside this script; no index is asked.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:-/opt/venv}
python3 -m venv --without-pip "$venv"
pip() { "$venv/bin/python" "$(ls "$here"/pip-*.whl | head -n 1)/pip" "$@"; }
pip install --no-index --no-cache-dir --disable-pip-version-check --find-links "$here" -r "$here/requirements.txt"
if [ -s "$here/requirements-no-deps.txt" ]; then
  pip install --no-index --no-cache-dir --disable-pip-version-check --no-deps --ignore-requires-python \\
    --find-links "$here" -r "$here/requirements-no-deps.txt"
fi
"""

# Asked of the image the wheels are for: its Python and the platforms its wheels may be built for.
PROBE = ("import json, os, platform, sys; print(json.dumps({'python': '%d.%d' % sys.version_info[:2], "
         "'implementation': sys.implementation.name, 'machine': platform.machine(), "
         "'libc': os.confstr('CS_GNU_LIBC_VERSION') or ''}))")


def cache_root() -> Path:
    return Path(os.environ.get("AGENTBENCH_CACHE_DIR") or Path.home() / ".cache" / "agentbench") / "wheelhouses"


def declares_packages(context: Path) -> bool:
    return (Path(context) / REQUIREMENTS).is_file() or (Path(context) / NO_DEPS).is_file()


@dataclass(frozen=True)
class Target:
    """The Python an image runs: what `pip download` is told to fetch wheels for."""

    python: str  # "3.11"
    implementation: str  # "cpython"
    machine: str  # "x86_64"
    libc: str  # "glibc 2.36"; "" for musl and others (pure-Python and abi3 wheels still fit)

    def pip_args(self) -> list[str]:
        abi = "cp" + self.python.replace(".", "")
        args = ["--only-binary=:all:", "--python-version", self.python, "--implementation", "cp", "--abi", abi]
        for platform in self.platforms():
            args += ["--platform", platform]
        return args

    def platforms(self) -> list[str]:
        """manylinux tags the image's glibc runs, newest first (pip does not expand manylinux_2_X itself)."""
        match = re.fullmatch(r"glibc (\d+)\.(\d+)", self.libc)
        if not match or int(match.group(1)) != 2:
            return [f"linux_{self.machine}"]
        newest = int(match.group(2))
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(newest, 16, -1)]
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        return tags + [f"{name}_{self.machine}" for minor, name in legacy.items() if minor <= newest]


@dataclass(frozen=True)
class Wheelhouse:
    path: Path  # the cached folder: wheels, the requirement files, install, manifest.json
    digest: str  # over every wheel's name and bytes: part of the image tag


def image_target(engine: SandboxEngine, image: str) -> Target:
    """The Python of `image`, asked once per image tag (an image's tag here is its content hash) and cached."""
    record = cache_root() / "targets" / (hashlib.sha256(image.encode()).hexdigest()[:24] + ".json")
    if record.is_file():
        return Target(**json.loads(record.read_text()))
    name = "agentbench-python-probe-" + hashlib.sha256(f"{image}{os.getpid()}".encode()).hexdigest()[:10]
    sandbox = engine.start(SandboxSpec(image=image, name=name))
    try:
        done = sandbox.exec(["python3", "-c", PROBE], timeout=60, record=False)
    finally:
        engine.discard(sandbox)
    try:
        target = Target(**json.loads(done.output.strip().splitlines()[-1]))
    except (ValueError, IndexError, TypeError):
        raise BuildError(f"cannot tell which Python the image {image} runs (python3 -c ...: exit "
                         f"{done.exit_code}): {done.output[-500:]}") from None
    if target.implementation != "cpython":
        raise BuildError(f"image {image} runs {target.implementation}; the wheelhouse serves CPython only")
    record.parent.mkdir(parents=True, exist_ok=True)
    partial = record.with_name(f"{record.name}.{os.getpid()}")  # another worker may read it meanwhile
    partial.write_text(json.dumps(target.__dict__))
    partial.replace(record)
    return target


def resolve(context: Path, target: Target, log: Callable[[str], None] | None = None,
            sources: bool = False) -> Wheelhouse:
    """The wheelhouse of `context`'s requirement files for `target`: from the cache, else downloaded
    on the host (pip's progress goes to `log`). A requirement with no wheel for the target is a
    BuildError naming the folder, the file and the package; with `sources`, a requirement of
    requirements.txt with no wheel has its source archive fetched as data instead (source_packages.py),
    for pip to build inside the image build."""
    context = Path(context)
    texts = {name: _read(context / name) for name in (REQUIREMENTS, NO_DEPS)}
    what = [FORMAT, texts, target.__dict__] + (["sources"] if sources else [])
    key = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:24]
    folder = cache_root() / key
    with file_lock(cache_root() / "locks" / f"{key}.lock"):
        if not (folder / MANIFEST).is_file():
            _download(context, texts, target, folder, log, sources)
    return Wheelhouse(folder, json.loads((folder / MANIFEST).read_text())["digest"])


def merged(houses: list[Wheelhouse]) -> Wheelhouse:
    """One wheelhouse holding the wheels of several (each resolved apart, so each is cached apart), in
    the cache, keyed by their digests."""
    if len(houses) == 1:
        return houses[0]
    digest = hashlib.sha256("\0".join(sorted(h.digest for h in houses)).encode()).hexdigest()
    folder = cache_root() / "merged" / digest[:24]
    with file_lock(cache_root() / "locks" / f"merged-{digest[:24]}.lock"):
        if not (folder / MANIFEST).is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            for house in houses:
                for wheel in (p for pattern in PACKAGE_FILES for p in house.path.glob(pattern)):
                    if not (folder / wheel.name).exists():
                        try:
                            os.link(wheel, folder / wheel.name)
                        except OSError:
                            shutil.copy2(wheel, folder / wheel.name)
            (folder / MANIFEST).write_text(json.dumps({"digest": digest, "merged": [str(h.path) for h in houses]}))
    return Wheelhouse(folder, digest)


def _read(path: Path) -> str:
    return path.read_text() if path.is_file() else ""


def _download(context: Path, texts: dict[str, str], target: Target, folder: Path,
              log: Callable[[str], None] | None, sources: bool = False) -> None:
    work = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        for name, text in texts.items():
            (work / name).write_text(text)
        (work / "install").write_text(INSTALL)
        (work / "install").chmod(0o755)
        what = f"Python {target.python} on {target.machine} ({target.libc or 'no glibc'})"
        if log:
            log(f"packages for {context}: downloading wheels for {what} into {folder}\n")
        base = [sys.executable, "-m", "pip", "download", "--dest", str(work), "--progress-bar", "off",
                "--disable-pip-version-check", *target.pip_args()]
        steps = [(REQUIREMENTS, []), (NO_DEPS, ["--no-deps", "--ignore-requires-python"])]
        for name, extra in steps:
            if not texts[name].strip():
                continue
            requirements = work / name
            for attempt in range(MAX_SOURCES + 1):
                try:
                    _pip(base + extra + ["-r", str(requirements)], context / name, what, log)
                    break
                except MissingWheel as e:
                    if not sources or name != REQUIREMENTS or attempt == MAX_SOURCES:
                        raise
                    requirements = _without_wheel(requirements, e, work, target, attempt)
        _pip(base + ["--no-deps", "pip"], context / REQUIREMENTS, what, log)  # runs the install, from its wheel
        wheels = sorted(p for pattern in PACKAGE_FILES for p in work.glob(pattern))
        digest = hashlib.sha256()
        for wheel in wheels:
            digest.update(f"{wheel.name}\0".encode() + hashlib.sha256(wheel.read_bytes()).digest())
        (work / MANIFEST).write_text(json.dumps({"digest": digest.hexdigest(), "target": target.__dict__,
                                                 "wheels": [w.name for w in wheels]}, indent=1))
        size = sum(w.stat().st_size for w in wheels)
        shutil.rmtree(folder, ignore_errors=True)
        work.rename(folder)
        if log:
            log(f"packages for {context}: {len(wheels)} wheels, {size / 1e6:.0f} MB, cached\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


class MissingWheel(BuildError):
    """pip found no wheel of `requirement` for the target."""

    def __init__(self, message: str, requirement: str):
        super().__init__(message)
        self.requirement = requirement


def _without_wheel(requirements: Path, missing: MissingWheel, work: Path, target: Target, attempt: int) -> Path:
    """A requirement named in the file has no wheel: its source archive fetched into `work` as data,
    and a new requirement file with what that archive needs (as wheels) in its place."""
    lines = [line.strip() for line in requirements.read_text().splitlines() if line.strip() and
             not line.lstrip().startswith("#")]
    name = canonicalize_name(Requirement(missing.requirement).name)
    named = [line for line in lines if _name_of(line) == name]
    if not named:  # a dependency of a requirement: pip would read the archive's metadata by running it
        raise missing
    needs = source_packages.fetch_source(named[0], work, target.python, target.machine)
    rest = [line for line in lines if _name_of(line) != name] + needs
    replaced = work / f"requirements-with-sources-{attempt}.txt"
    replaced.write_text("\n".join(rest) + "\n")
    return replaced


def _name_of(line: str) -> str | None:
    try:
        return canonicalize_name(Requirement(line).name)
    except InvalidRequirement:
        return None


def _pip(cmd: list[str], source: Path, what: str, log: Callable[[str], None] | None) -> None:
    lines: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as pip:
        for line in pip.stdout:
            lines.append(line)
            if log and line.startswith(("Collecting", "Downloading", "Saved", "ERROR")):
                log("  " + line.strip() + "\n")
    if pip.returncode == 0:
        return
    output = "".join(lines)
    missing = re.findall(r"No matching distribution found for (\S+)", output)
    conflict = "ResolutionImpossible" in output or "conflict" in output.lower()
    if missing:
        raise MissingWheel(f"{source.parent}: {source.name}: no wheel of {missing[-1]!r} for {what} (wheels only: "
                           f"sources are never built on the host)\n" + "".join(lines[-15:]), missing[-1])
    if conflict:
        problem = f"the requirements conflict for {what}"
    else:
        problem = f"pip download failed (exit {pip.returncode}) for {what}"
    raise BuildError(f"{source.parent}: {source.name}: {problem}\n" + "".join(lines[-15:]))


def staged_context(context: Path, house: Wheelhouse) -> Path:
    """A build context: `context`'s files plus `wheelhouse/` (hard links to the cached wheels where
    the file system allows). The caller removes it."""
    stage = Path(tempfile.mkdtemp(prefix="context.", dir=cache_root()))
    shutil.copytree(context, stage, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", FOLDER))
    target = stage / FOLDER
    target.mkdir()
    for item in house.path.iterdir():
        if item.name == MANIFEST:
            continue
        try:
            os.link(item, target / item.name)
        except OSError:
            shutil.copy2(item, target / item.name)
    return stage
