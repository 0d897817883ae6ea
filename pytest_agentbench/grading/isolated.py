"""Host-side graders are task code, and task code is not trusted to behave: each grader call runs in a
child process with a time and a memory limit. A grader that calls sys.exit or os._exit, crashes,
hangs or eats memory then fails its own item with a message naming it, and neither the worker's
pytest session nor any later item notices.

Children fork from a forkserver (one per worker process, started at the first grading) that has the
grading libraries imported already: a fork costs milliseconds, where a fresh interpreter importing
pandas would cost most of a second per item; and the forkserver holds no threads or Docker
connections of the worker that a bare fork() would copy in a broken state.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import resource
import signal
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .result import GraderError

DEFAULT_TIME_LIMIT = 600  # seconds; a spec's grader_time_limit or --grader-time-limit overrides it
MAX_RESULT_BYTES = 16 * 2**20  # what a grader may hand back: checkpoints or a score, not data
# Imported once in the forkserver, so that a child starts with them: besides every registered family's
# module (where grader entries live, see _mp), pandas for graders of data, and pytest, which
# multiprocessing imports again in each child when the main module is the `pytest` script (it re-runs
# the main module's imports, under __name__ "__mp_main__").
PRELOAD = ["pandas", "pytest", "ctypes"]

_context = None
_HARNESS = str(Path(__file__).resolve().parent.parent)


@dataclass(frozen=True)
class GraderLimits:
    time_limit: float = DEFAULT_TIME_LIMIT  # seconds
    memory: int | None = None  # bytes of data (heap and anonymous mappings); None: no limit

    def to_record(self) -> dict:
        return {"time_limit": self.time_limit, "memory": self.memory}


def run_isolated(name: str, entry: Callable[..., Any], *args: Any, limits: GraderLimits = GraderLimits(),
                 log_path: Path | None = None) -> Any:
    """`entry(*args)` in a child process; what it returns (plain, picklable data). `name` says which
    grader it is ("grader grade.py:grade of task_specs/x/task.yaml") in every GraderError raised here:
    the entry raised, exited, was killed, ran past the time limit, or ran out of memory."""
    reader, writer = _mp().Pipe(duplex=False)
    child = _mp().Process(target=_child, args=(writer, entry, args, limits.memory,
                                               str(log_path) if log_path else None),
                          name=f"agentbench-grader-{os.getpid()}", daemon=True)
    child.start()
    writer.close()  # the child holds the only write end: EOF on reader means it is gone
    try:
        if not reader.poll(limits.time_limit):
            raise GraderError(f"{name} ran past its time limit of {limits.time_limit:g} s and was killed "
                              f"(raise it with the spec's grader_time_limit or --grader-time-limit)")
        try:
            payload = reader.recv_bytes(MAX_RESULT_BYTES)
        except EOFError:
            child.join(5)
            raise GraderError(f"{name} ended its process before returning ({_how_it_ended(child.exitcode)})") \
                from None
        except OSError:  # longer than MAX_RESULT_BYTES
            raise GraderError(f"{name} returned more than {MAX_RESULT_BYTES // 2**20} MB; expected checkpoints "
                              f"or a score") from None
    finally:
        _kill(child)
        reader.close()
    status, value = pickle.loads(payload)
    if status == "ok":
        return value
    if status == "exit":
        raise GraderError(f"{name} called sys.exit({value!r}) instead of returning")
    kind, message, trace = value
    if kind == "GraderError":  # the entry's own message, already naming what was wrong
        raise GraderError(f"{name}: {message}")
    if kind == "MemoryError" and limits.memory:
        raise GraderError(f"{name} ran out of memory: it may use {limits.memory / 2**20:.0f} MB "
                          f"(the run's memory limit)")
    raise GraderError(f"{name} raised {kind}: {message}\n{trace}")


def _mp():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        from ..families import registered  # here: the families import this module

        _context.set_forkserver_preload([*(type(f).__module__ for f in registered().values()), *PRELOAD])
    return _context


def _child(conn, entry, args, memory: int | None, log_path: str | None) -> None:
    os.setpgid(0, 0)  # its own process group: a time-out kills whatever it started too
    _die_with_parent()
    if memory:
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    if log_path:  # what the grader prints goes to the item's folder, not into another item's capture
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    try:
        outcome = ("ok", entry(*args))
    except SystemExit as e:
        outcome = ("exit", e.code)
    except BaseException as e:  # noqa: BLE001 - whatever it was, the harness reports it
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_HARNESS):  # the grader's frames only
            tb = tb.tb_next
        frames = traceback.format_exception(type(e), e, tb)
        outcome = ("raised", (type(e).__name__, str(e)[:4000], "".join(frames)[-3000:]))
    try:
        data = pickle.dumps(outcome)
    except Exception as e:  # noqa: BLE001 - e.g. an object of the grader's own module
        data = pickle.dumps(("raised", ("GraderError", f"returned something that cannot be passed back "
                                                       f"({type(e).__name__}: {e})", "")))
    conn.send_bytes(data)
    conn.close()
    # os._exit: no atexit handlers or finalizers of the grader's making run after its answer is sent.
    os._exit(0)


def _die_with_parent() -> None:
    """The time limit is kept by the worker: should the worker die (kill -9), its forkserver ends, and
    with PR_SET_PDEATHSIG the grader ends with it instead of looping on as an orphan."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):  # not Linux: the grader may outlive a killed worker
        pass


def _kill(child) -> None:
    if child.exitcode is None:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        child.kill()
    child.join(10)
    child.close()


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is None:
        return "it did not end"
    if exitcode < 0:
        try:
            signame = signal.Signals(-exitcode).name
        except ValueError:
            signame = f"signal {-exitcode}"
        return f"killed by {signame}"
    return f"exit code {exitcode}"
