"""The unit group's promise, kept: a unit test that starts a child process fails, naming where it
belongs (tests/functional), so the group stays fast and runnable anywhere."""

from __future__ import annotations

import os
import subprocess

import pytest


def _refuse(*args, **kwargs):
    raise AssertionError("a unit test may not start a child process: this test belongs in tests/functional")


@pytest.fixture(autouse=True)
def no_child_processes(monkeypatch):
    monkeypatch.setattr(subprocess.Popen, "_execute_child", _refuse)
    for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, _refuse)
