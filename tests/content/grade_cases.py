"""Grade several prepared cases of a task with the runner, one forked child per case.

    unshare --mount --propagation private python grade_cases.py < cases.json > exit_codes.json

``cases.json`` is a list of ``{"workspace", "trajectory", "result", "env"}``. Each child bind-mounts
its workspace over /workspace, sets its environment and runs ``runner.main`` as
``python3 runner.py --evaluator ...`` would: a fresh process for every case, as in the grader
container, but forked from one that imported litellm once (seconds of CPU a judged case would
otherwise pay each time). Prints the runner's exit code per case, as a JSON list.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

RUNNER_DIR = Path(__file__).resolve().parents[2] / "pytest_agentbench" / "families" / "workplace" / "tac"


def main() -> int:
    cases = json.load(sys.stdin)
    sys.path.insert(0, str(RUNNER_DIR))
    if any(case.get("judged") for case in cases):
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # as judge.py sets it
        import litellm  # noqa: F401  (imported once, before the forks)
    Path("/workspace").mkdir(exist_ok=True)
    codes = []
    for case in cases:
        subprocess.run(["mount", "--bind", case["workspace"], "/workspace"], check=True)
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                os.environ.clear()
                os.environ.update(case["env"])
                import runner  # first import in this child: fresh checkpoint notes

                code = runner.main(["--evaluator", case["evaluator"], "--trajectory-path", case["trajectory"],
                                    "--result-path", case["result"]])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        subprocess.run(["umount", "/workspace"], check=True)
        codes.append(os.waitstatus_to_exitcode(status))
    print(json.dumps(codes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
