"""Images: the base image (built locally when no registry can be had) and images built from it.

Every image is tagged by a hash of what goes into it (build context, build arguments, the image it
starts from), so an unchanged rerun builds nothing; a file lock makes concurrent xdist workers build
each image once while the others wait for it. In a run over several engines (engines.py) images are
built on the home engine only and shipped to each other engine that lacks the tag (docker save into
docker load, no registry), under a lock per image and engine: each engine gets each image once, and
a rerun ships nothing.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator, Mapping

from ..files import file_lock
from . import wheelhouse
from .base import BuildError, SandboxEngine

BASE_CONTEXT = Path(__file__).parent / "base_image"
# What the locally built root file system holds: enough for agents' shell scripts and Python graders.
ROOTFS_PACKAGES = ("python3", "curl", "ca-certificates", "procps")
PREFIX = "agentbench/"
PACKAGES_FOR = "BASE_IMAGE"  # the build argument naming the image whose Python the wheels are for


@dataclass(frozen=True)
class ImageRecipe:
    """An image built from a Docker build context, FROM another image passed as a build argument."""

    name: str  # e.g. "agent-dummy"
    context: Path
    buildargs: Mapping[str, str] = field(default_factory=dict)
    dockerfile: str = "Dockerfile"
    packages: wheelhouse.Wheelhouse | None = None  # the context's declared Python packages, resolved
    # Host folders added to the context under these names (an agent's source checkout; .git left out).
    sources: Mapping[str, Path] = field(default_factory=dict)
    # False: a requirements.txt in the context is the task's data (a TAC folder COPYs one to /utils),
    # not packages to resolve; `packages` says what is served.
    resolve_requirements: bool = True

    def tag(self) -> str:
        h = hashlib.sha256()
        h.update(context_hash(self.context).encode())
        h.update(self.dockerfile.encode())
        if self.packages:
            h.update(f"\0wheels={self.packages.digest}".encode())
        for name in sorted(self.sources):
            h.update(f"\0source={name}:{context_hash(self.sources[name])}".encode())
        for k in sorted(self.buildargs):
            h.update(f"\0{k}={self.buildargs[k]}".encode())
        return f"{PREFIX}{self.name}:{h.hexdigest()[:16]}"


NOT_CONTEXT = ("__pycache__", ".git")  # never part of a build context: caches, a checkout's history


def context_hash(context: Path) -> str:
    """A hash of every file's path, mode and bytes under `context` (sorted: order-independent)."""
    h = hashlib.sha256()
    context = Path(context)
    for path in sorted(p for p in context.rglob("*")
                       if p.is_file() and not set(NOT_CONTEXT) & set(p.relative_to(context).parts)):
        rel = path.relative_to(context).as_posix()
        h.update(f"{rel}\0{path.stat().st_mode & 0o777}\0".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def build_lock(tag: str):
    """One builder per image on this host; the others block here, then find the image built."""
    return file_lock(Path(tempfile.gettempdir()) / "agentbench-locks"
                     / (hashlib.sha256(tag.encode()).hexdigest()[:24] + ".lock"))


def ensure_image(engine: SandboxEngine, recipe: ImageRecipe, log: Callable[[str], None] | None = None) -> str:
    """The recipe's tag, built first if the engine lacks it. A context that declares Python packages
    (sandbox/wheelhouse.py) gets them resolved on the host first, for the Python of the image named
    by its build argument BASE_IMAGE."""
    recipe = with_packages(engine, recipe, log)
    tag = recipe.tag()
    if engine.image_exists(tag):
        return tag
    if engine.home is not None:
        return ship(engine.home, engine, ensure_image(engine.home, recipe, log), log)
    with build_lock(tag):
        failed = _failure_note(tag, getattr(engine, "run_id", None))
        if failed.is_file():  # shown in full once, where it failed: not again per item and worker
            headline = failed.read_text(encoding="utf-8").splitlines()[0]
            raise BuildError(f"{tag} did not build earlier in this run (its build output is shown once, "
                             f"with the first item that needed it): {headline}")
        if not engine.image_exists(tag):
            if log:
                log(f"building {tag} from {recipe.context}\n")
            context = staged_context(recipe)
            try:
                engine.build_image(context, tag, buildargs=recipe.buildargs, dockerfile=recipe.dockerfile,
                                   labels={"agentbench.image": recipe.name}, log=log)
            except BuildError as e:
                failed.write_text(str(e), encoding="utf-8")
                raise
            finally:
                if context != recipe.context:
                    shutil.rmtree(context, ignore_errors=True)
    return tag


def staged_context(recipe: ImageRecipe) -> Path:
    """The folder the engine builds from: the recipe's own, or, when it declares packages or adds
    sources, a copy with the wheels and the sources beside its files (the caller removes it)."""
    if not recipe.packages and not recipe.sources:
        return recipe.context
    if recipe.packages:
        stage = wheelhouse.staged_context(recipe.context, recipe.packages)
    else:
        wheelhouse.cache_root().mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix="context.", dir=wheelhouse.cache_root()))
        shutil.copytree(recipe.context, stage, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*NOT_CONTEXT))
    for name, source in sorted(recipe.sources.items()):
        if (stage / name).exists():
            shutil.rmtree(stage, ignore_errors=True)
            raise BuildError(f"{recipe.context}: the source {name!r} ({source}) would replace {name!r} of the "
                             f"build context: name it otherwise")
        shutil.copytree(source, stage / name, symlinks=True, ignore=shutil.ignore_patterns(*NOT_CONTEXT))
    return stage


def ship(home: SandboxEngine, engine: SandboxEngine, tag: str, log: Callable[[str], None] | None = None) -> str:
    """The image `tag`, on `engine` from `home` unless it is there already; concurrent workers that
    need it on the same engine wait for the one shipping it."""
    with build_lock(f"{tag}\0{engine.name}"):
        if not engine.image_exists(tag):
            if log:
                log(f"shipping {tag} from {home.name} to {engine.name}\n")
            home.ship_image(tag, engine)
    return tag


def _failure_note(tag: str, run_id: str | None) -> Path:
    """Where a run notes that an image failed to build, beside the image's lock (this run's only: the
    next run tries again)."""
    key = hashlib.sha256(f"{tag}\0{run_id}".encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / "agentbench-locks" / f"{key}.failed"


def with_packages(engine: SandboxEngine, recipe: ImageRecipe, log: Callable[[str], None] | None) -> ImageRecipe:
    if recipe.packages or not recipe.resolve_requirements or not wheelhouse.declares_packages(recipe.context):
        return recipe
    parent = recipe.buildargs.get(PACKAGES_FOR)
    if not parent:
        raise BuildError(f"{recipe.context} declares Python packages ({wheelhouse.REQUIREMENTS}), which are "
                         f"resolved for the image named by the build argument {PACKAGES_FOR}; it has none")
    target = wheelhouse.image_target(engine, parent)
    return replace(recipe, packages=wheelhouse.resolve(recipe.context, target, log))


def ensure_base_image(engine: SandboxEngine, from_image: str | None = None,
                      log: Callable[[str], None] | None = None, suite: str | None = None) -> str:
    """The base image: FROM `from_image` (a registry image such as python:3.11-slim-bookworm) when
    given, else FROM a Debian root file system built here with debootstrap: of the host's release,
    or of `suite` (an agent that needs a newer Python builds on trixie's)."""
    if engine.home is not None:  # the home engine builds it; the root file system it holds is not shipped apart
        return ship(engine.home, engine, ensure_base_image(engine.home, from_image, log, suite), log)
    source = from_image or ensure_rootfs_image(engine, log, suite)
    return ensure_image(engine, ImageRecipe("base", BASE_CONTEXT, {"FROM_IMAGE": source}), log)


def on_base_image(dockerfile: Path, arg: str) -> str:
    """The Dockerfile with its first FROM taken from the build argument `arg`, so a Dockerfile written
    for another base (TheAgentCompany's task images) builds FROM ours."""
    lines = dockerfile.read_text().splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"\s*FROM\s+(?:--platform=\S+\s+)?\S+(.*)$", line, re.IGNORECASE)
        if match:
            lines[i] = f"FROM ${{{arg}}}{match.group(1)}"
            return "\n".join([f"ARG {arg}", *lines]) + "\n"
    raise BuildError(f"{dockerfile}: no FROM line")


# --- the local root file system ------------------------------------------------------------------

@dataclass(frozen=True)
class DebianSource:
    mirror: str
    suite: str


def host_debian_source(sources: list[Path] | None = None, os_release: Path = Path("/etc/os-release"),
                       suite: str | None = None) -> DebianSource:
    """The Debian mirror and release this host's apt uses (never a hard-coded host); with `suite`, that
    release from the same mirror (a Debian mirror serves every release)."""
    override = os.environ.get("AGENTBENCH_DEBIAN_MIRROR")
    host_suite = _codename(os_release)
    if override:
        return DebianSource(override, suite or os.environ.get("AGENTBENCH_DEBIAN_SUITE", host_suite or "stable"))
    if sources is None:
        sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for uri, suites in _apt_entries(sources):
        if host_suite in suites:
            return DebianSource(uri, suite or host_suite)
    raise BuildError(
        f"no Debian mirror for release {host_suite!r} in {', '.join(map(str, sources))}: set AGENTBENCH_DEBIAN_MIRROR "
        f"(and AGENTBENCH_DEBIAN_SUITE), or pass --base-image with an image your engine can pull")


def _codename(os_release: Path) -> str:
    try:
        text = os_release.read_text()
    except OSError:
        return ""
    m = re.search(r'^VERSION_CODENAME="?([^"\n]+)"?', text, re.M)
    return m.group(1) if m else ""


def _apt_entries(paths: list[Path]) -> Iterator[tuple[str, list[str]]]:
    """(URI, suites) of each `deb` entry, from one-line `.list` files and deb822 `.sources` files."""
    for path in paths:
        try:
            text = path.read_text()
        except OSError:
            continue
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
                if "deb" in fields.get("Types", "").split() and fields.get("URIs"):
                    yield fields["URIs"].split()[0], fields.get("Suites", "").split()
        else:
            for line in text.splitlines():
                parts = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
                if len(parts) >= 3 and parts[0] == "deb":
                    yield parts[1], [parts[2]]


def rootfs_tag(source: DebianSource) -> str:
    key = f"{source.mirror}|{source.suite}|{platform.machine()}|minbase|{','.join(ROOTFS_PACKAGES)}"
    return f"{PREFIX}rootfs:{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def ensure_rootfs_image(engine: SandboxEngine, log: Callable[[str], None] | None = None,
                        suite: str | None = None) -> str:
    source = host_debian_source(suite=suite)
    tag = rootfs_tag(source)
    if engine.image_exists(tag):
        return tag
    if engine.home is not None:
        return ship(engine.home, engine, ensure_rootfs_image(engine.home, log, suite), log)
    with build_lock(tag):
        if not engine.image_exists(tag):
            _debootstrap_import(engine, source, tag, log)
    return tag


def _debootstrap_import(engine: SandboxEngine, source: DebianSource, tag: str,
                        log: Callable[[str], None] | None) -> None:
    if shutil.which("debootstrap") is None:
        raise BuildError("building the base image needs debootstrap (apt-get install debootstrap), "
                         "or pass --base-image with an image your engine can pull")
    if os.geteuid() != 0:
        raise BuildError("building the base image with debootstrap needs root; or pass --base-image")
    work = Path(tempfile.mkdtemp(prefix="agentbench-rootfs-", dir="/var/tmp"))
    try:
        rootfs, tarball = work / "rootfs", work / "rootfs.tar"
        if log:
            log(f"debootstrap {source.suite} from {source.mirror} (about a minute, once per engine)\n")
        cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(ROOTFS_PACKAGES)}",
               source.suite, str(rootfs), source.mirror]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise BuildError(f"debootstrap failed ({' '.join(cmd)}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):  # no package cache in the image
            deb.unlink()
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
        engine.import_image(tarball, tag, changes=[
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8",
            'CMD ["bash"]'])
    finally:
        shutil.rmtree(work, ignore_errors=True)
