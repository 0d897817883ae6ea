"""Grade one workplace task: run its evaluator and write the result JSON (TAC's eval.py, without the decryption).

    python3 /grader/tac/runner.py --evaluator /grader/evaluator.py \\
        --trajectory-path /grader/trajectory.jsonl --result-path /grader/result.json

Runs in the grader container with only the standard library (and litellm for judged checkpoints);
this file's folder goes first on ``sys.path`` so that the evaluator's ``from scoring import ...``
and ``from common import ...`` find our modules. The evaluator's ``grade_checkpoints`` receives the
trajectory file's text (empty when there is none), as in TAC; one that takes no argument also works.

Exit status and result file:

* 0, graded: ``{"checkpoints": [{"total", "result"}, ...], "final_score": {"total", "result"},
  "score": <0.5*result/total + 0.5*(result//total)>, "judge_not_configured": null,
  "notes": {"grade_checkpoint1": ["/workspace/report.md does not exist"], ...}}``: ``notes`` holds
  what each ``@grader`` function logged (INFO and up) while it ran, the reasons people read
* 2, the evaluator failed (raised, or returned something that is not a Result):
  ``{"error": "<traceback or reason>"}``; an error, never a zero score
* 3, a checkpoint needs the environment LLM and LITELLM_* are not set (or litellm is missing): the
  checkpoints are graded as above, those that needed the judge as not passed, with
  ``"judge_not_configured": "<what to set>"`` and ``"judge_missing_in": [<checkpoint functions>]``.
  When the judge was asked outside a ``@grader`` function, nothing could be graded:
  ``{"checkpoints": [], "final_score": null, "score": null, "judge_not_configured": "<what to set>"}``
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path[:1]:
    sys.path.insert(0, str(HERE))

import common  # noqa: E402  (needs the path above; the evaluator's `from common import` shares it)
from judge import JudgeUnavailable  # noqa: E402
from scoring import headline_score  # noqa: E402

EXIT_GRADED, EXIT_EVALUATOR_ERROR, EXIT_JUDGE_NOT_CONFIGURED = 0, 2, 3


class EvaluatorError(Exception):
    """The evaluator did not produce a usable Result."""


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        grade = _load_grade_checkpoints(Path(args.evaluator))
        result = _call(grade, _read_trajectory(args.trajectory_path))
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
    Path(args.result_path).parent.mkdir(parents=True, exist_ok=True)
    Path(args.result_path).write_text(json.dumps(output, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in output.items() if k != "checkpoints"}), file=sys.stderr)
    return status


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Grade a workplace task's checkpoints.")
    parser.add_argument("--evaluator", required=True, help="path of the task's evaluator.py")
    # TAC's eval.py spells these with underscores; both spellings work.
    parser.add_argument("--trajectory-path", "--trajectory_path", dest="trajectory_path",
                        help="the agent's trajectory file (optional)")
    parser.add_argument("--result-path", "--result_path", dest="result_path", required=True,
                        help="where to write the result JSON")
    return parser.parse_args(argv)


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
