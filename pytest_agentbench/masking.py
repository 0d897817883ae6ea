"""Secrets never written: every secret value the harness knows is replaced by a mask in all it writes.

The secrets are the agent's declared ones (`env_vars: {X: ${{ secrets.X }}}`, remembered when the run
is configured) and every provider key or token in the harness's own environment (names ending in
_API_KEY, _TOKEN, _SECRET, _SECRET_KEY, _ACCESS_KEY, _PASSWORD). An agent holding its key can always
send it out transformed (reversed, base64); the mask keeps the records from carrying it by accident,
for example when the agent runs `env` or prints `/proc/self/environ`.

`mask()` is applied where the harness writes: every file written through files.py, the
trajectory (TrajectoryRecorder.record), what containers print (DockerSandbox.exec, so agent.log and
evaluator logs), report pages, and pytest's reports (terminal, JUnit, pytest-html).
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping

SECRET_NAME = re.compile(r"(^|_)(API_KEY|TOKEN|SECRET|SECRET_KEY|ACCESS_KEY|PASSWORD)$", re.IGNORECASE)
MIN_LENGTH = 6  # shorter values ("1", "true") would mask ordinary text and protect nothing real

_declared: dict[str, str] = {}  # value -> name, for secrets the run was told about
_cache: tuple[tuple, re.Pattern[str] | None, re.Pattern[bytes] | None, dict[str, str]] | None = None


def remember(secrets: Mapping[str, str]) -> None:
    """Add secrets by name -> value (the agent's declared secrets, once they are filled in)."""
    global _cache
    for name, value in secrets.items():
        if value and len(value) >= MIN_LENGTH:
            _declared[value] = name
    _cache = None


def secret_values(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """value -> name of every secret known now: declared ones and the environment's keys and tokens."""
    environ = os.environ if environ is None else environ
    found = {v: k for k, v in environ.items() if SECRET_NAME.search(k) and v and len(v) >= MIN_LENGTH}
    return {**found, **_declared}


def _patterns() -> tuple[re.Pattern[str] | None, re.Pattern[bytes] | None, dict[str, str]]:
    global _cache
    values = secret_values()
    key = tuple(sorted(values.items()))
    if _cache is None or _cache[0] != key:
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(values, key=len, reverse=True)
        text = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        raw = re.compile(b"|".join(re.escape(v.encode()) for v in ordered)) if ordered else None
        _cache = (key, text, raw, values)
    return _cache[1], _cache[2], _cache[3]


def mask_for(name: str) -> str:
    return f"[masked {name}]"


def mask(value: Any) -> Any:
    """`value` with every known secret replaced by `[masked NAME]`: strings, bytes, and the strings
    inside dicts, lists and tuples (keys included); anything else as it is."""
    text, raw, names = _patterns()
    if text is None:
        return value
    return _mask(value, text, raw, names)


def _mask(value: Any, text: re.Pattern[str], raw: re.Pattern[bytes], names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return text.sub(lambda m: mask_for(names[m.group()]), value)
    if isinstance(value, (bytes, bytearray)):
        return raw.sub(lambda m: mask_for(names[m.group().decode()]).encode(), bytes(value))
    if isinstance(value, Mapping):
        return {_mask(k, text, raw, names): _mask(v, text, raw, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, text, raw, names) for v in value]
    if isinstance(value, tuple):
        return tuple(_mask(v, text, raw, names) for v in value)
    return value


class StreamMask:
    """Masks a byte stream that arrives in chunks, where a secret may be split between two chunks:
    the end of a chunk that could be the start of a secret waits for the next chunk, or for close().
    Only that: the rest goes on at once, so what follows the stream (`tail -f agent.log`) sees an
    agent's last line while it sleeps."""

    def __init__(self, write):
        self._write = write
        self._carry = b""
        self._names: dict[str, str] | None = None
        self._starts: frozenset[bytes] = frozenset()  # every proper prefix of a secret (bytes)

    def write(self, data: bytes) -> None:
        _, raw, names = _patterns()
        if raw is None:
            self._write(data)
            return
        if names is not self._names:
            self._names = names
            self._starts = frozenset(v.encode()[:n] for v in names for n in range(1, len(v.encode())))
        buf = self._carry + data
        longest = max(len(v.encode()) for v in names)
        # A match starting at keep_from or later might be incomplete: the earliest end of the buffer
        # that a secret (or a longer one) could still grow from.
        keep_from = next((i for i in range(max(0, len(buf) - (longest - 1)), len(buf)) if buf[i:] in self._starts),
                         len(buf))
        out, pos = [], 0
        for m in raw.finditer(buf):
            if m.start() >= keep_from:
                break
            out += [buf[pos:m.start()], mask_for(names[m.group().decode()]).encode()]
            pos = m.end()
        cut = max(pos, keep_from)
        out.append(buf[pos:cut])
        self._carry = buf[cut:]
        if any(out):
            self._write(b"".join(out))

    def close(self) -> None:
        if self._carry:
            self._write(mask(self._carry))
            self._carry = b""
