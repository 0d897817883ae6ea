"""A package that has no wheel, fetched as data for an image build to build (never the host).

`pip download` of a source distribution runs its build backend on the host to read its metadata
(setup.py included), so the wheelhouse asks pip for wheels only. A few packages publish sources only
(TheAgentCompany's Dockerfiles `pip install odfpy==1.4.1`); for builds that allow it
(wheelhouse.resolve(..., sources=True)) the archive is fetched here instead: found in the index's
JSON listing (PEP 691), downloaded and checked against the index's sha256, and read as data (its
PKG-INFO, `*.egg-info/requires.txt` and `pyproject.toml`, members of the archive, never extracted or
run) for what it needs: its dependencies and its build requirements, which the wheelhouse then
downloads as wheels. pip in the image build, which finds the archive beside them, builds it there.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import tomllib
import urllib.request
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .base import BuildError

DEFAULT_INDEX = "https://pypi.org/simple"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
DEFAULT_BUILD_REQUIRES = ["setuptools>=40.8.0", "wheel"]  # pip's own default for a project without pyproject.toml
MAX_BYTES = 200_000_000


def index_url() -> str:
    return (os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX).rstrip("/")


def fetch_source(requirement: str, dest: Path, python: str, machine: str) -> list[str]:
    """Download the newest source archive that satisfies `requirement` into `dest`; returns what it needs
    as requirement strings (its dependencies for this Python, its build requirements)."""
    try:
        wanted = Requirement(requirement)
    except InvalidRequirement as e:
        raise BuildError(f"{requirement!r} is not a requirement: {e}") from None
    name = canonicalize_name(wanted.name)
    listing = _get(f"{index_url()}/{name}/", SIMPLE_JSON)
    candidates = []
    for file in json.loads(listing).get("files", []):
        version = _sdist_version(file.get("filename", ""), name)
        if version is None or file.get("yanked") or version not in wanted.specifier:
            continue
        requires_python = file.get("requires-python")
        if requires_python and Version(python) not in SpecifierSet(requires_python):
            continue
        candidates.append((version, file))
    if not candidates:
        raise BuildError(f"no wheel and no source archive of {requirement!r} on {index_url()}")
    version, file = max(candidates, key=lambda c: c[0])
    data = _get(file["url"], None)
    expected = (file.get("hashes") or {}).get("sha256")
    if not expected or hashlib.sha256(data).hexdigest() != expected:
        raise BuildError(f"{file['filename']}: its sha256 is not the one {index_url()} lists")
    (dest / file["filename"]).write_bytes(data)
    environment = {"python_version": python, "python_full_version": f"{python}.0", "sys_platform": "linux",
                   "platform_system": "Linux", "platform_machine": machine, "implementation_name": "cpython",
                   "platform_python_implementation": "CPython", "os_name": "posix", "extra": ""}
    needs = [r for r in _dependencies(_members(data, file["filename"]))
             if not Requirement(r).marker or Requirement(r).marker.evaluate(environment)]
    return needs + _build_requires(_members(data, file["filename"]))


def _get(url: str, accept: str | None) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            data = answer.read(MAX_BYTES + 1)
    except OSError as e:
        raise BuildError(f"cannot fetch {url}: {e}") from None
    if len(data) > MAX_BYTES:
        raise BuildError(f"{url} is larger than {MAX_BYTES} bytes")
    return data


def _sdist_version(filename: str, name: str) -> Version | None:
    match = re.fullmatch(r"(.+)-([^-]+)\.(tar\.gz|zip)", filename)
    if not match or canonicalize_name(match.group(1)) != name:
        return None
    try:
        return Version(match.group(2))
    except InvalidVersion:
        return None


def _members(data: bytes, filename: str) -> dict[str, str]:
    """The archive's metadata files as text, by their path below its top folder (read, not extracted)."""
    wanted = re.compile(r"[^/]+/(PKG-INFO|pyproject\.toml|[^/]+\.egg-info/requires\.txt)")
    found = {}
    if filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if wanted.fullmatch(info.filename) and info.file_size < 1_000_000:
                    found[info.filename.split("/", 1)[1]] = archive.read(info).decode("utf-8", "replace")
    else:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive:
                if member.isfile() and wanted.fullmatch(member.name) and member.size < 1_000_000:
                    found[member.name.split("/", 1)[1]] = archive.extractfile(member).read().decode("utf-8", "replace")
    return found


def _dependencies(members: dict[str, str]) -> list[str]:
    """Its Requires-Dist (PKG-INFO), else the unconditional lines of setuptools' requires.txt."""
    declared = Parser().parsestr(members.get("PKG-INFO", "")).get_all("Requires-Dist") or []
    if declared:
        return declared
    lines = []
    for path, text in members.items():
        if path.endswith("requires.txt"):
            for line in text.splitlines():
                if line.startswith("["):  # extras and conditional sections follow
                    break
                if line.strip():
                    lines.append(line.strip())
    return lines


def _build_requires(members: dict[str, str]) -> list[str]:
    try:
        project = tomllib.loads(members.get("pyproject.toml", ""))
    except tomllib.TOMLDecodeError:
        project = {}
    return list((project.get("build-system") or {}).get("requires") or DEFAULT_BUILD_REQUIRES)
