"""Inside the grader image: import each TheAgentCompany evaluator (no grading) and say what happened.

    python3 tac_evaluator_probe.py /tasks        # /tasks/<task>/evaluator.py (+ helper modules beside it)

Run by scripts/tac_evaluators_load.py, which copies the tasks and our tac/ modules (at /grader/tac) in.
One JSON line per task on stdout: {"task", "loaded", "error", "unresolved"}. ``error`` is the
import's exception (type and message); ``unresolved`` lists names the evaluator reads that nothing
defines (not its own code, not builtins, not what its imports gave it, `from common import *` included):
a helper our `common` lacks shows up there even though the import passed.

Each evaluator is imported in a child forked from a process that already imported `common`, so the
175 imports cost one interpreter start; the child's sys.path starts with the task's folder (TAC's
/utils: the evaluator's helper.py and prompts.py beside it).
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import json
import os
import sys
import traceback
from pathlib import Path

TAC = "/grader/tac"
sys.path.insert(0, TAC)
import common  # noqa: E402,F401  (loaded once, before the forks)


def bound_names(tree: ast.AST) -> set[str]:
    """Every name the file binds anywhere (assignments, definitions, arguments, imports, handlers)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, ast.MatchAs) and node.name:
            names.add(node.name)
    return names


def unevaluated_annotations(tree: ast.AST) -> set[str]:
    """Names read only in annotations of local variables (``x: List[int] = []`` in a function), which
    Python never evaluates."""
    inside: set[int] = set()
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, ast.AnnAssign):
                    inside.update(id(n) for n in ast.walk(node.annotation))
    loads = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    return {n.id for n in loads if id(n) in inside} - {n.id for n in loads if id(n) not in inside}


def probe(evaluator: Path) -> dict:
    result = {"task": evaluator.parent.name, "loaded": False, "error": None, "unresolved": []}
    sys.path.insert(0, str(evaluator.parent))
    try:
        source = evaluator.read_text(encoding="utf-8")
        spec = importlib.util.spec_from_file_location("evaluator", evaluator)
        module = importlib.util.module_from_spec(spec)
        sys.modules["evaluator"] = module
        spec.loader.exec_module(module)
    except BaseException as exc:  # SystemExit too: an evaluator that exits on import did not load
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" ({Path(last[0].filename).name}:{last[0].lineno})" if last else ""
        result["error"] = f"{type(exc).__name__}: {exc}{where}"[:500]
        return result
    result["loaded"] = callable(getattr(module, "grade_checkpoints", None))
    if not result["loaded"]:
        result["error"] = "defines no grade_checkpoints function"
    tree = ast.parse(source)
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    read -= unevaluated_annotations(tree)
    result["unresolved"] = sorted(read - bound_names(tree) - set(dir(builtins)) - set(vars(module)))
    return result


def main() -> int:
    tasks = Path(sys.argv[1])
    for evaluator in sorted(tasks.glob("*/evaluator.py")):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            sys.stdout = sys.stderr  # what an evaluator prints is not our output
            try:
                line = json.dumps(probe(evaluator))
            except BaseException as exc:  # noqa: BLE001
                line = json.dumps({"task": evaluator.parent.name, "loaded": False,
                                   "error": f"probe failed: {type(exc).__name__}: {exc}", "unresolved": []})
            os.write(write_end, line.encode())
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as f:
            data = f.read()
        _, status = os.waitpid(pid, 0)
        if not data:
            data = json.dumps({"task": evaluator.parent.name, "loaded": False,
                               "error": f"the import killed its process (wait status {status})",
                               "unresolved": []}).encode()
        print(data.decode(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
