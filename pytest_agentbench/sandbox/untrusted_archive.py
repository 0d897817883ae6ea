"""Unpacking a tar stream a container hands back (an agent's outputs) as plain data, within caps.

Everything in it was made by the agent, so it is data and nothing else: only regular files and folders
are written. Links of every kind (symlinks, hard links, hard links to symlinks, which pass Python
3.11's `tarfile` `data` filter), devices and FIFOs are dropped and listed; names that are absolute or
climb out with `..` are dropped too. The stream is read once, front to back, and never spooled: a file
is counted at the size its header gives (a 4 GB sparse file is 4 GB) before a byte of it is written,
and the first member over a cap stops the copy, keeping what came before it.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable

DEFAULT_MAX_BYTES = 1_000_000_000  # 1 GB
DEFAULT_MAX_FILES = 100_000
DROPPED_LISTED = 100  # dropped members named in the result; the rest are counted


class OutputCapExceeded(Exception):
    """The outputs hold more bytes or entries than the item's cap: the message says which cap."""


@dataclass(frozen=True)
class OutputCaps:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_files: int = DEFAULT_MAX_FILES


@dataclass
class OutputTally:
    """What one item's copies brought back so far, against its caps (shared by all its outputs)."""

    caps: OutputCaps = field(default_factory=OutputCaps)
    bytes: int = 0
    files: int = 0  # every entry of the archives: files, folders, and what was dropped
    dropped: list[str] = field(default_factory=list)  # "name (why)", the first DROPPED_LISTED
    dropped_count: int = 0

    def drop(self, name: str, why: str) -> None:
        self.dropped_count += 1
        if len(self.dropped) < DROPPED_LISTED:
            self.dropped.append(f"{name} ({why})")

    def admit(self, member: tarfile.TarInfo, src: str, size: int | None = None) -> None:
        """Count `member` (a file at `size`, else at its header's size), or raise OutputCapExceeded
        naming the cap it would pass."""
        if self.files + 1 > self.caps.max_files:
            raise OutputCapExceeded(
                f"the outputs hold more than {self.caps.max_files:,} files and folders (the files cap: "
                f"--max-output-files or the spec's max_output_files); the copy of {src} stopped at "
                f"{member.name}, and what was copied before it is kept")
        size = size if size is not None else member.size if member.isreg() else 0
        if self.bytes + size > self.caps.max_bytes:
            raise OutputCapExceeded(
                f"the outputs hold more than {self.caps.max_bytes:,} bytes (the bytes cap: --max-output-bytes "
                f"or the spec's max_output_bytes); {member.name} in {src} is {size:,} bytes with "
                f"{self.bytes:,} already copied; the copy stopped there, and what was copied before it is kept")
        self.files += 1
        self.bytes += size

    def to_dict(self) -> dict:
        return {"bytes": self.bytes, "files": self.files, "max_bytes": self.caps.max_bytes,
                "max_files": self.caps.max_files, "dropped": self.dropped, "dropped_count": self.dropped_count}


def unpack(chunks: Iterable[bytes], dest: Path, tally: OutputTally, src: str = "") -> None:
    """Write the regular files and folders of the tar stream `chunks` under `dest`."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = os.path.realpath(dest)
    written: dict[str, str] = {}  # member name -> the regular file written for it
    with tarfile.open(fileobj=_ChunkReader(chunks), mode="r|") as tar:
        for member in tar:
            # A hard link to a file written here becomes a copy of it (and counts its size again);
            # to anything else (a symlink, a device, a path never written) it is dropped.
            linked = written.get(member.linkname) if member.islnk() else None
            tally.admit(member, src, os.path.getsize(linked) if linked else None)
            target = _inside(root, member.name)
            if target is None:
                tally.drop(member.name, "a path out of the outputs")
            elif member.isdir():
                _write_folder(target, member, tally)
            elif member.isreg() or linked:
                with (open(linked, "rb") if linked else tar.extractfile(member)) as data:
                    if _write_file(data, member, target, tally):
                        written[member.name] = target
            else:
                tally.drop(member.name, _kind(member))


def _inside(root: str, name: str) -> str | None:
    """The path for `name` under `root`, or None if it is absolute or climbs out."""
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or ".." in parts:
        return None
    target = os.path.join(root, *parts)
    # Only files and folders are ever written here, so no parent can be a link; checked all the same.
    parent = os.path.realpath(os.path.dirname(target))
    return target if parent == root or parent.startswith(root + os.sep) else None


def _write_folder(target: str, member: tarfile.TarInfo, tally: OutputTally) -> None:
    try:
        os.makedirs(target, mode=0o755, exist_ok=True)
    except OSError as e:
        tally.drop(member.name, f"not written: {e.strerror}")


def _write_file(data, member: tarfile.TarInfo, target: str, tally: OutputTally) -> bool:
    try:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        # O_NOFOLLOW: never write through a link, whatever may sit at the target.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    except OSError as e:
        tally.drop(member.name, f"not written: {e.strerror}")
        return False
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(data, out, 1 << 20)
        out.flush()
        # The agent's permission bits without set-id or write for others; the harness can always read.
        os.fchmod(fd, (member.mode & 0o755) | 0o600)
        os.utime(fd, (member.mtime, member.mtime))
    return True


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link"
    if member.isfifo():
        return "a FIFO"
    if member.ischr() or member.isblk():
        return "a device"
    return "not a regular file or folder"


def chunk_reader(chunks: Iterable[bytes]) -> io.BufferedReader:
    """A readable file over Docker's archive stream, for tarfile."""
    return io.BufferedReader(_ChunkReader(chunks), 1 << 20)


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks (Docker's archive stream), holding one chunk."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = iter(chunks)
        self._chunk = memoryview(b"")
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._pos >= len(self._chunk):
            try:
                self._chunk, self._pos = memoryview(next(self._chunks)), 0
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._chunk) - self._pos)
        buffer[:n] = self._chunk[self._pos:self._pos + n]
        self._pos += n
        return n
