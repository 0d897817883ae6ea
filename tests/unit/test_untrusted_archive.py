"""untrusted_archive.py on tar streams Docker would not make but an engine might pass on: absolute
names, `..`, links before and after their targets; and the caps, checked before anything is written."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from pytest_agentbench.sandbox.untrusted_archive import OutputCapExceeded, OutputCaps, OutputTally, unpack


def archive(*members: tuple[str, str, bytes | str]) -> list[bytes]:
    """(name, kind, data-or-linkname) members, as chunks of 7 bytes (the reader must join them)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE,
                         "fifo": tarfile.FIFOTYPE}[kind]
            info.linkname = data if isinstance(data, str) else ""
            tar.addfile(info)
    raw = buf.getvalue()
    return [raw[i:i + 7] for i in range(0, len(raw), 7)]


def test_only_files_and_folders_are_written_and_what_was_dropped_is_listed(tmp_path):
    dest = tmp_path / "item"
    tally = OutputTally()
    unpack(archive(("out", "dir", ""), ("out/a", "sym", "/etc/shadow"), ("out/sub.csv", "hard", "out/a"),
                   ("/etc/evil", "file", b"x"), ("out/../../evil", "file", b"x"), ("out/f", "fifo", ""),
                   ("out/ok.txt", "file", b"hello"), ("out/copy.txt", "hard", "out/ok.txt")), dest, tally)
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*")) == ["out", "out/copy.txt", "out/ok.txt"]
    assert (dest / "out" / "copy.txt").read_text() == "hello" and not (dest / "out" / "copy.txt").is_symlink()
    assert not (tmp_path / "evil").exists()
    assert tally.dropped == ["out/a (a symbolic link)", "out/sub.csv (a hard link)",
                             "/etc/evil (a path out of the outputs)", "out/../../evil (a path out of the outputs)",
                             "out/f (a FIFO)"]
    assert tally.bytes == 12  # what the archive holds, the copy and the dropped files included


def test_a_file_past_the_bytes_cap_is_not_written_and_what_came_before_stays(tmp_path):
    tally = OutputTally(OutputCaps(max_bytes=10))
    with pytest.raises(OutputCapExceeded, match=r"more than 10 bytes \(the bytes cap.*big in /home/x is 11 bytes"):
        unpack(archive(("small", "file", b"12345"), ("big", "file", b"x" * 11)), tmp_path, tally, "/home/x")
    assert (tmp_path / "small").read_bytes() == b"12345" and not (tmp_path / "big").exists()


def test_the_files_cap_counts_every_entry(tmp_path):
    tally = OutputTally(OutputCaps(max_files=2))
    with pytest.raises(OutputCapExceeded, match="more than 2 files and folders"):
        unpack(archive(("d", "dir", ""), ("d/1", "file", b""), ("d/2", "file", b"")), tmp_path, tally)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["1", "d"]
