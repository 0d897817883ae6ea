"""The evaluator's process: load evaluator.py, call its grade_checkpoints, report the result.

Started by runner.py (never by hand), as a user that is neither root nor the agent, with an
environment that holds no key; it reports to the runner over the channel (channel.py), the only
way its result reaches the harness. Code the agent wrote runs through ``common.run_as_agent``, as
the agent's user, in a process that holds no end of that channel.

This file's folder goes first on ``sys.path`` so that the evaluator's ``from scoring import ...``
and ``from common import ...`` find our modules.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import logging
import os
import site
import sys
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path[:1]:
    sys.path.insert(0, str(HERE))

import channel  # noqa: E402
import common  # noqa: E402  (needs the path above; the evaluator's `from common import` shares it)
from judge import JudgeUnavailable  # noqa: E402
from scoring import headline_score  # noqa: E402

EXIT_GRADED, EXIT_EVALUATOR_ERROR, EXIT_JUDGE_NOT_CONFIGURED = 0, 2, 3


class EvaluatorError(Exception):
    """The evaluator did not produce a usable Result."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a workplace task's evaluator (started by runner.py).")
    parser.add_argument("--evaluator", required=True)
    parser.add_argument("--trajectory-path")
    parser.add_argument("--site", action="append", default=[])
    args = parser.parse_args(argv)
    for folder in args.site:  # the grader's packages (pandas, litellm), after our own modules
        site.addsitedir(folder)
    # In the agent's final machine, the harness's Python runs only through its own loader: the runner
    # made a program that does, for what evaluators start with sys.executable (runner.py).
    sys.executable = os.environ.get("AGENTBENCH_PYTHON") or sys.executable
    _undumpable()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    runner = channel.client()
    if runner is None:
        print(f"evaluate.py is started by runner.py, which gives it {channel.ENV_VAR}", file=sys.stderr)
        return 2
    output, status = evaluate(Path(args.evaluator), args.trajectory_path)
    runner.send({"result": output, "exit": status})
    return 0


def _undumpable() -> None:
    """Programs the evaluator starts itself (subprocess.run(["go", "version"]), as TAC's evaluators do)
    run as its user: not dumpable, it is out of their reach (no ptrace, no /proc/<pid>/fd: its channel
    to the runner)."""
    import ctypes

    PR_SET_DUMPABLE = 4
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux (the tests on a host): nothing to protect from
        pass


def evaluate(evaluator: Path, trajectory_path: str | None) -> tuple[dict[str, Any], int]:
    """(the result JSON, the exit status) as runner.py documents them."""
    try:
        grade = _load_grade_checkpoints(evaluator)
        result = _call(grade, _read_trajectory(trajectory_path))
        output, status = _graded(result), EXIT_GRADED
        output["notes"] = {name: notes for name, notes in common.checkpoint_notes.items() if notes}
        if common.judge_unavailable:
            output["judge_not_configured"] = common.judge_unavailable[0][1]
            output["judge_missing_in"] = [name for name, _ in common.judge_unavailable]
            status = EXIT_JUDGE_NOT_CONFIGURED
    except JudgeUnavailable as exc:
        output = {"checkpoints": [], "final_score": None, "score": None, "judge_not_configured": str(exc)}
        status = EXIT_JUDGE_NOT_CONFIGURED
    except EvaluatorError as exc:
        output, status = {"error": str(exc)}, EXIT_EVALUATOR_ERROR
    except Exception:
        output, status = {"error": traceback.format_exc()}, EXIT_EVALUATOR_ERROR
    return output, status


def _read_trajectory(path: str | None) -> str:
    if not path:
        return ""
    p = Path(path)
    if not p.is_file():
        logging.warning("no trajectory at %s; grading with an empty one", p)
        return ""
    return p.read_text(encoding="utf-8", errors="replace")


def _load_grade_checkpoints(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("evaluator", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise EvaluatorError(f"cannot load an evaluator from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["evaluator"] = module
    spec.loader.exec_module(module)
    grade = getattr(module, "grade_checkpoints", None)
    if not callable(grade):
        raise EvaluatorError(f"{path} defines no grade_checkpoints function")
    return grade


def _call(grade: Any, trajectory: str) -> Any:
    """``grade_checkpoints(trajectory=...)``, positionally, or with no argument: whichever it takes."""
    params = inspect.signature(grade).parameters.values()
    if any(p.name == "trajectory" or p.kind is p.VAR_KEYWORD for p in params):
        return grade(trajectory=trajectory)
    if any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params):
        return grade(trajectory)
    return grade()


def _graded(result: Any) -> dict[str, Any]:
    checkpoints = getattr(result, "checkpoints", None)
    if not checkpoints or not hasattr(result, "final_score"):
        raise EvaluatorError(f"grade_checkpoints must return a Result with at least one checkpoint, got {result!r}")
    final = result.final_score
    if not (isinstance(final, dict) and isinstance(final.get("total"), int) and isinstance(final.get("result"), int)):
        raise EvaluatorError(f"the scoring strategy must return {{'total': int, 'result': int}}, got {final!r}")
    return {
        "checkpoints": [{"total": c.total, "result": c.result} for c in checkpoints],
        "final_score": {"total": final["total"], "result": final["result"]},
        "score": headline_score(final["total"], final["result"]),
        "judge_not_configured": None,
    }


if __name__ == "__main__":
    sys.exit(main())
