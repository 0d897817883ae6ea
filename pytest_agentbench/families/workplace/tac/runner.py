"""Grade one workplace task: run its evaluator and report the result (TAC's eval.py, without the decryption).

    python3 /grader/tac/runner.py --evaluator /grader/evaluator.py \\
        --trajectory-path /grader/trajectory.jsonl --result-path /grader/result.json

The runner holds the result. It starts the evaluator (evaluate.py) in a child process with an
environment that holds no key, and reads the evaluator's result, and its requests, from a pair of
pipes only the two of them hold (channel.py). The evaluator asks the runner to

* ask the judge: the runner asks it (``--stdio``: relays the question to the harness, which holds the
  key) and answers;
* run the agent's code (``common.run_as_agent``): the runner runs it as ``--agent-user``, with a
  scrubbed environment, and kills every process of that user afterwards.

In the agent's final machine the harness runs it as root, under its own Python (``--python``, the
same interpreter for the evaluator, ``--site`` its packages), with ``--stdio --evaluator-user
65532:65532 --agent-user 1000:1000`` (numbers: the machine's /etc/passwd is the agent's): the
evaluator then runs as a user that is neither root nor the agent, and code the agent wrote runs as the
agent, unable to signal the runner or the evaluator, read their environment or pipes, or read the
grader's folder. With ``--stdio`` the result is the runner's last
line on its stdout (``{"result": ..., "exit": n}``), and judge questions are lines on stdout
(``{"judge": [messages]}``) answered by lines on stdin; the evaluator's output and ours go to stderr.
Without it the result goes to ``--result-path`` and the runner asks the judge itself (LITELLM_* in
its environment): how TAC's eval.py is called, and how the tests run it on the host.

Exit status and result JSON:

* 0, graded: ``{"checkpoints": [{"total", "result"}, ...], "final_score": {"total", "result"},
  "score": <0.5*result/total + 0.5*(result//total)>, "judge_not_configured": null,
  "notes": {"grade_checkpoint1": ["/workspace/report.md does not exist"], ...}}``: ``notes`` holds
  what each ``@grader`` function logged (INFO and up) while it ran, the reasons people read
* 2, the evaluator failed (raised, returned something that is not a Result, or its process died
  without reporting one): ``{"error": "<traceback or reason>"}``; an error, never a zero score
* 3, a checkpoint needs the environment LLM and LITELLM_* are not set (or litellm is missing): the
  checkpoints are graded as above, those that needed the judge as not passed, with
  ``"judge_not_configured": "<what to set>"`` and ``"judge_missing_in": [<checkpoint functions>]``.
  When the judge was asked outside a ``@grader`` function, nothing could be graded:
  ``{"checkpoints": [], "final_score": null, "score": null, "judge_not_configured": "<what to set>"}``
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import signal
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path[:1]:
    sys.path.insert(0, str(HERE))

import channel  # noqa: E402
import judge  # noqa: E402
import servers  # noqa: E402

EXIT_EVALUATOR_ERROR = 2
MISSING_ENV = judge.MISSING_ENV_VAR
OUTPUT_KEPT = 2 * 1024 * 1024  # bytes of a command's output handed back to the evaluator (its tail)
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


class User:
    """A user the runner (root) starts processes as: a name, or ``uid:gid`` (in an agent's final
    machine, whose /etc/passwd the agent may have rewritten, the harness gives numbers)."""

    def __init__(self, name: str):
        if re.fullmatch(r"\d+:\d+", name):
            self.name = name
            self.uid, self.gid = (int(n) for n in name.split(":"))
        else:
            entry = pwd.getpwnam(name)
            self.name, self.uid, self.gid = name, entry.pw_uid, entry.pw_gid
        if self.uid == 0:
            raise SystemExit(f"runner.py: {name} is root; the evaluator and the agent's code never run as root")

    def popen_args(self) -> dict[str, Any]:
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def private_dir(self, prefix: str) -> str:
        path = tempfile.mkdtemp(prefix=prefix)
        os.chown(path, self.uid, self.gid)
        return path

    def kill_all(self) -> None:
        """Kill every process of this user (kill(-1) as the user: all it may signal), so none outlives its turn."""
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(self.gid)
                os.setuid(self.uid)
                for _ in range(100):  # again: a process that was forking may have left a child
                    os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    # What we print by mistake, and what the evaluator prints, must never pass for a result: stdout is
    # kept for the protocol and fd 1 points at stderr from here on. Stdin is only for judge answers.
    results = os.fdopen(os.dup(1), "wb")
    answers = os.fdopen(os.dup(0), "rb", buffering=0)
    os.dup2(2, 1)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    evaluator_user = User(args.evaluator_user) if args.evaluator_user else None
    agent_user = User(args.agent_user) if args.agent_user else None
    if evaluator_user:
        _lock(Path(args.evaluator).parent, evaluator_user)

    def ask_judge(messages: Any) -> dict[str, Any]:
        if not args.stdio:
            return judge.answer(messages)
        channel.write_message(results, {"judge": messages})
        reply = channel.read_message(answers)
        return reply if reply is not None else {"error": "failed", "message": "the harness did not answer"}

    output, status = _supervise(args, evaluator_user, agent_user, ask_judge)
    if args.stdio:
        channel.write_message(results, {"result": output, "exit": status})
    else:
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
    parser.add_argument("--result-path", "--result_path", dest="result_path",
                        help="where to write the result JSON (without --stdio)")
    parser.add_argument("--stdio", action="store_true",
                        help="report on stdout and relay judge questions over stdout/stdin (the harness's channel)")
    parser.add_argument("--evaluator-user", help="run the evaluator as this user (the runner must be root)")
    parser.add_argument("--agent-user", help="run the agent's code as this user (the runner must be root)")
    parser.add_argument("--python", type=json.loads, default=None,
                        help="the evaluator's interpreter as a JSON list (default: this one's executable)")
    parser.add_argument("--site", action="append", default=[],
                        help="a folder of Python packages for the evaluator (repeatable)")
    args = parser.parse_args(argv)
    if not args.stdio and not args.result_path:
        parser.error("--result-path is required without --stdio")
    return args


PYTHON_ENV = "AGENTBENCH_PYTHON"


def _python_program(python: list[str]) -> str:
    """A program that runs the harness's Python as `python` does (through its own loader and
    libraries: they need a newer C library than the agent's machine may have), without `-I`: evaluators
    run the agent's tests with `sys.executable -m unittest`, which must find the agent's modules in
    the working folder. Beside the grader's folder, where the evaluator's and the agent's users reach it."""
    folder = HERE.parent.parent / "bin"
    folder.mkdir(mode=0o755, exist_ok=True)
    program = folder / "python3"
    argv = python[:-1] if python[-1] == "-I" else python
    program.write_text("#!/bin/sh\nexec " + " ".join(shlex.quote(a) for a in argv) + ' "$@"\n')
    program.chmod(0o755)
    return str(program)


def _lock(folder: Path, user: User) -> None:
    """The grader's folder (evaluator, our modules, trajectory): readable by the evaluator, not the agent."""
    os.chown(folder, 0, user.gid)
    os.chmod(folder, 0o750)


def _supervise(args: argparse.Namespace, evaluator_user: User | None, agent_user: User | None,
               ask_judge) -> tuple[dict[str, Any], int]:
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    home = evaluator_user.private_dir("agentbench-evaluator-") if evaluator_user else tempfile.mkdtemp()
    env = _scrubbed_env(home)
    env[channel.ENV_VAR] = f"{to_child_r},{from_child_w}"
    # Where the key is decides who knows whether the judge is configured: the harness said so (--stdio),
    # or our own environment does.
    env[MISSING_ENV] = os.environ.get(MISSING_ENV, "") if args.stdio else ",".join(judge.missing_settings())
    # Where TAC's servers are (no secret: TAC's accounts are fixed): the evaluator's helpers ask them.
    env.update(servers.server_environment(os.environ))
    if args.python:  # what the evaluator's sys.executable names, for the children it starts
        env[PYTHON_ENV] = _python_program(args.python)
    command = [*(args.python or [sys.executable]), str(HERE / "evaluate.py"), "--evaluator", args.evaluator]
    for folder in args.site:
        command += ["--site", folder]
    if args.trajectory_path:
        command += ["--trajectory-path", args.trajectory_path]
    child = subprocess.Popen(command, env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=2, stderr=2,
                             pass_fds=(to_child_r, from_child_w),
                             **(evaluator_user.popen_args() if evaluator_user else {}))
    os.close(to_child_r)
    os.close(from_child_w)
    requests = os.fdopen(from_child_r, "rb", buffering=0)
    replies = os.fdopen(to_child_w, "wb")
    reported: dict[str, Any] | None = None
    try:
        while reported is None:
            try:
                message = channel.read_message(requests)
            except ValueError as e:
                return {"error": f"the evaluator sent what is not a message: {e}"}, EXIT_EVALUATOR_ERROR
            if message is None:
                break
            if "result" in message:
                reported = message
            elif "judge" in message:
                channel.write_message(replies, ask_judge(message["judge"]))
            elif "run" in message:
                channel.write_message(replies, _run_as(agent_user, message["run"]))
            else:
                channel.write_message(replies, {"error": f"unknown request {sorted(message)}"})
        requests.close()
        code = child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for user in (agent_user, evaluator_user):
            if user:
                user.kill_all()
    if reported is None:
        return ({"error": f"the evaluator's process ended (exit code {code}) without reporting a result"},
                EXIT_EVALUATOR_ERROR)
    if code != 0:
        return ({"error": f"the evaluator's process exited with code {code} after reporting"},
                EXIT_EVALUATOR_ERROR)
    if not isinstance(reported["result"], dict) or not isinstance(reported.get("exit"), int):
        return {"error": f"the evaluator reported {reported!r}, not a result"}, EXIT_EVALUATOR_ERROR
    return reported["result"], reported["exit"]


def _scrubbed_env(home: str) -> dict[str, str]:
    """An environment with nothing secret in it: what Python and the shell need, no more."""
    env = {"PATH": os.environ.get("PATH") or DEFAULT_PATH, "LANG": os.environ.get("LANG") or "C.UTF-8",
           "HOME": home, "TMPDIR": home}
    if os.environ.get("PYTHONPATH"):  # the grader image's libraries (pandas, openpyxl)
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def _run_as(user: User | None, request: dict[str, Any]) -> dict[str, Any]:
    """Run the agent's code for the evaluator: ``{"exit", "output"}`` (exit -1: timed out) or ``{"oserror"}``."""
    args, timeout = request.get("args"), float(request.get("timeout") or 120)
    if not isinstance(args, list) or not args:
        return {"oserror": f"expected a non-empty list of arguments, got {args!r}"}
    home = user.private_dir("agentbench-agent-") if user else tempfile.mkdtemp()
    data = request.get("input")
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        try:
            process = subprocess.Popen([str(a) for a in args], cwd=request.get("cwd"), env=_scrubbed_env(home),
                                       stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
                                       stdout=stdout, stderr=stderr, start_new_session=True,
                                       **(user.popen_args() if user else {}))
        except OSError as e:
            return {"oserror": f"{type(e).__name__}: {e}"}
        timed_out = False
        try:
            process.communicate(data.encode() if data is not None else None, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:  # whatever it started goes with it
            if user:
                user.kill_all()
            else:
                _kill_group(process.pid)
            process.wait()
        output = _tail(stdout) + _tail(stderr)
    if timed_out:
        return {"exit": -1, "output": f"timed out after {timeout:g} s\n{output}", "timed_out": True}
    return {"exit": process.returncode, "output": output}


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _tail(f: BinaryIO) -> str:
    size = f.seek(0, os.SEEK_END)
    f.seek(max(0, size - OUTPUT_KEPT))
    text = f.read().decode("utf-8", errors="replace")
    return text if size <= OUTPUT_KEPT else f"[first {size - OUTPUT_KEPT} bytes cut]\n{text}"


if __name__ == "__main__":
    sys.exit(main())
