"""The project's file primitives, one of each: an atomic writer (text and JSON), a file lock, and the
strict pydantic base every user-written config is read with.

- Atomic: readers (another xdist worker, `agentbench report`, a person's editor) never see half a file:
  the text goes to a temporary file beside the target, then is renamed over it. Known secrets are
  masked (masking.py), so no writer can forget to.
- The lock is an flock on a file: it holds across processes (xdist workers, two runs on one host) and
  goes with the process that held it, however it died.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from .masking import mask


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` (known secrets masked) to `path` at once: beside it first, then renamed over it."""
    _replace(Path(path), mask(text))


def write_json_atomic(path: Path, data: Any) -> None:
    """`data` as indented JSON (known secrets masked: in the values, before JSON escapes them)."""
    _replace(Path(path), json.dumps(mask(data), indent=2, default=str))


def _replace(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own per writer (not mkstemp's, whose 0600 mode would hide reports from other users).
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing, never truncated) until the block ends."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class StrictModel(BaseModel):
    """What people write (task.yaml, config.yaml, an agent's config): an unknown key is a typo to report,
    not something to ignore, and a loaded config does not change afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON Lines file, in order; a line that is not one (a write cut by a kill) is
    skipped. A missing file raises OSError."""
    objects = []
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            objects.append(value)
    return objects
