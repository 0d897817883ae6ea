"""Helpers for evaluators: TheAgentCompany's ``common`` module, whole, and our own.

* ``grader``: wraps one checkpoint function; an exception or ``None`` becomes ``False`` (logged), so
  an evaluator bug costs one checkpoint, not the whole grading run. A missing judge
  (``JudgeUnavailable``, with its ``JudgeNotConfigured``) also fails just that checkpoint, but is
  noted in ``judge_unavailable``, so the runner reports it (exit 3) and the item never passes.
  What the function logged while it ran goes to ``checkpoint_notes``: the reason shown on its checkpoint.
* ``llm_complete``, ``evaluate_with_llm`` (text and/or an image), ``evaluate_chat_history_with_llm``
  (TAC's: a RocketChat client and a user), ``evaluate_conversation_with_llm`` (a conversation the
  caller has): the environment LLM, asked through the runner's channel (no key here).
* from ``servers``: TAC's RocketChat, GitLab, ownCloud and Plane helpers, and from ``config`` its
  settings (``GITLAB_BASEURL``, ``OWNCLOUD_URL``...): ``from common import *`` gives them, as TAC's does.
* ``trajectory_*``: search the trajectory text that ``grade_checkpoints(trajectory)`` receives;
  ``ran_program``, ``program_read_file``: what the agent's programs did (their arguments and exit
  status, as the command recorder saw them), which printing text cannot fake.
* ``read_text`` (also as ``get_text_in_file``), ``read_csv_dicts``, ``read_docx_text``,
  ``read_xlsx_rows``, ``parse_number``: read what the agent left in ``/workspace``;
  ``run_as_agent`` (also as ``run_command``), ``call_in_child``: run its code, as the agent, with no
  power over the result.
* from ``answers``: read an answer in every form a reviewer accepts (numbers, names, lists, dates,
  times, tables), each check logging what it expected and found.

Importing it needs the standard library only (requests, rocketchat_API, openpyxl are imported by
the helpers that use them): this module also runs in the grader container.
"""

from __future__ import annotations

import base64
import csv
import functools
import json
import logging
import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterable
from xml.etree import ElementTree

try:  # imported as pytest_agentbench.families.workplace.tac.common on the host ...
    from . import answers
    from . import channel
    from . import judge
    from .answers import *  # noqa: F403  (evaluators import every helper from `common`, as in TAC)
    from .config import *  # noqa: F403  (TAC's common re-exports its config)
    from .servers import *  # noqa: F403
except ImportError:  # ... and as the top-level module `common` in the grader container
    import answers
    import channel
    import judge
    from answers import *  # noqa: F403
    from config import *  # noqa: F403
    from servers import *  # noqa: F403

JudgeNotConfigured = judge.JudgeNotConfigured
JudgeUnavailable = judge.JudgeUnavailable
llm_complete = judge.llm_complete

logger = logging.getLogger("tac")


# --- checkpoints -------------------------------------------------------------------------------

# Checkpoint functions that could not ask the judge, in the order they ran: (function name, why).
judge_unavailable: list[tuple[str, str]] = []
# What each checkpoint function logged (INFO and up, ours and the evaluator's own), by function name:
# TAC's checkpoint functions return a bare bool, and their log lines are the only "why".
checkpoint_notes: dict[str, list[str]] = {}
# A note is a reason to read, not a log to keep (evaluator.log has it all): a few short lines.
NOTE_CHARS, NOTE_LINES = 300, 5
NOTE_LOGGERS = {"root", "tac", "evaluator"}  # the evaluator's logging.info(...), its module's logger, ours


class _Notes(logging.Handler):
    def __init__(self, notes: list[str]):
        super().__init__(logging.INFO)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] not in NOTE_LOGGERS:  # litellm's, httpx's...: not a reason
            return
        text = record.getMessage()  # without the traceback: the note is one line
        if len(self.notes) < NOTE_LINES:
            self.notes.append(_clip(text))
        elif len(self.notes) == NOTE_LINES:
            self.notes.append("more in grader/evaluator.log")

    def keep(self, text: str) -> None:
        """A line that must be seen whatever came before it: why the function counted as failed."""
        if not self.notes or self.notes[-1] != _clip(text):
            self.notes.append(_clip(text))


def _clip(text: str) -> str:
    return text if len(text) <= NOTE_CHARS else text[:NOTE_CHARS] + "..."


def grader(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a checkpoint function's exception or ``None`` into ``False``, and log why."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        notes = _Notes(checkpoint_notes.setdefault(func.__name__, []))
        root = logging.getLogger()
        root.addHandler(notes)
        try:
            result = func(*args, **kwargs)
        except answers.AnswerError as exc:
            # The answer could not be read as the task asks: its message is the whole reason.
            logger.info("%s", exc)
            notes.keep(str(exc))
            return False
        except JudgeUnavailable as exc:
            # Not the agent's failure: the checkpoint is not passed, and the runner says what to set.
            judge_unavailable.append((func.__name__, str(exc)))
            logger.error("checkpoint %s needs the environment LLM: %s", func.__name__, exc)
            return False
        except ServiceNotConfigured as exc:  # noqa: F405 (servers)
            # A setting of the run, named in the message: that is the whole reason.
            logger.error("checkpoint %s: %s", func.__name__, exc)
            notes.keep(str(exc))
            return False
        except Exception as exc:
            why = f"checkpoint {func.__name__} raised {type(exc).__name__}: {exc}; counted as not passed"
            logger.exception(why)
            notes.keep(why)
            return False
        finally:
            root.removeHandler(notes)
        if result is None:
            why = f"checkpoint {func.__name__} returned None; counted as not passed"
            logger.warning(why)
            notes.keep(why)
            return False
        return result

    return wrapper


# --- the environment LLM -----------------------------------------------------------------------

IMAGE_JPEG = "image/jpeg"
IMAGE_PNG = "image/png"


def evaluate_with_llm(content: str | None, predicate: str, additional_prompt: str = "",
                      image_path: str | None = None, image_type: str = IMAGE_JPEG) -> bool:
    """Ask the environment LLM whether ``content`` (and/or the image at ``image_path``, a JPEG or PNG
    as ``image_type`` says) shows ``predicate``; True when it answers yes.

    The content is fenced in ``<content>`` tags, apart from the question, so a rule (or a
    reader) can tell what was judged from what was asked. Nothing to judge (no content, no
    image), an unreadable image or another image type is False without asking; the judge must
    still be configured, so that a run without one fails the same way whatever the agent did.
    """
    judge.judge_config()
    has_text = bool(content and str(content).strip())
    if image_path is not None and image_type not in (IMAGE_JPEG, IMAGE_PNG):
        logger.warning("cannot judge %s: image type %r is neither %s nor %s", image_path, image_type,
                       IMAGE_JPEG, IMAGE_PNG)
        return False
    if not has_text and not image_path:
        logger.info("nothing to judge for %r: empty content", predicate)
        return False
    parts: list[dict[str, Any]] = []
    if image_path:
        try:
            data = base64.b64encode(Path(image_path).read_bytes()).decode("ascii")
        except OSError as exc:
            logger.info("cannot judge the image %s: %s", image_path, exc)
            return False
        parts.append({"type": "image_url", "image_url": {"url": f"data:{image_type};base64,{data}"}})
    shown = "the content below" + (" and the picture" if image_path else "") if has_text else "the picture"
    question = (f"Does {shown} indicate {predicate}? {additional_prompt}".rstrip()
                + (f"\n\n<content>\n{content}\n</content>" if has_text else "")
                + "\n\nAnswer with one word: 'yes' if it does, 'no' if it does not.")
    message = question if not parts else [{"type": "text", "text": question}, *parts]
    answer = judge.answer_text(judge.llm_complete([{"role": "user", "content": message}]))
    verdict = says_yes(answer)
    # The answer first: a long predicate must not push it out of the reason's few hundred characters.
    logger.info("the judge %s: %r, asked whether %s shows %s", "agreed" if verdict else "did not agree",
                answer[:200], "the picture" if not has_text else "the content", predicate)
    return verdict


def evaluate_chat_history_with_llm(rocket_client: Any, username: str, predicate: str) -> bool:
    """TAC's: whether the RocketChat direct messages between ``username`` and the client's account
    show ``predicate``, as the environment LLM judges; False when they never talked."""
    messages = get_rocketchat_personal_chat_history(rocket_client, username)  # noqa: F405 (servers)
    if not messages:
        logger.warning("No chat history found for user: %s", username)
        return False
    return evaluate_with_llm(str(messages), predicate)


def evaluate_conversation_with_llm(chat_history: str | Iterable[Any], predicate: str,
                                   additional_prompt: str = "") -> bool:
    """``evaluate_with_llm`` on a conversation the caller has (our services' chats, coworkers'
    messages): a string, or a list of messages, each a string or a dict (RocketChat's
    ``msg``/``u.username``, or ``content``/``role``, or ``text``/``author``). An empty conversation is
    False without asking.
    """
    text = chat_history if isinstance(chat_history, str) else "\n".join(
        _chat_line(m) for m in chat_history)
    return evaluate_with_llm(text, predicate, additional_prompt)


def _chat_line(message: Any) -> str:
    if not isinstance(message, dict):
        return str(message)
    text = message.get("msg") or message.get("content") or message.get("text") or ""
    user = message.get("u")
    author = (user.get("username") if isinstance(user, dict) else None) or \
        message.get("role") or message.get("author") or message.get("username")
    return f"{author}: {text}" if author else str(text)


def says_yes(answer: str) -> bool:
    """A judge's yes: the first word when it is yes or no, else 'yes' without 'no' anywhere.

    Stricter than TAC's "'yes' in answer" which passes "No, and yes-men would disagree".
    """
    words = re.findall(r"[a-z]+", answer.lower())
    if words and words[0] in ("yes", "no"):
        return words[0] == "yes"
    return "yes" in words and "no" not in words


# --- the trajectory ----------------------------------------------------------------------------
# Our trajectories are JSON Lines (one step per line: command/output, or a message's content);
# TAC's are any text. Lines that are JSON objects are searched by their decoded fields, so a
# quote or newline in a command matches as the agent typed it; other lines are searched as they are.

_STEP_TEXT_FIELDS = ("command", "output", "content", "name")


def trajectory_steps(trajectory: str) -> list[dict[str, Any]]:
    """The steps of a JSON Lines trajectory (lines that are not JSON objects are left out)."""
    steps = []
    for line in (trajectory or "").splitlines():
        step = _json_object(line)
        if step is not None:
            steps.append(step)
    return steps


def trajectory_text(trajectory: str) -> str:
    """The searchable text: each step's command, output and message, or the line itself."""
    parts = []
    for line in (trajectory or "").splitlines():
        step = _json_object(line)
        if step is None:
            parts.append(line)
        else:
            parts.extend(str(step[k]) for k in _STEP_TEXT_FIELDS if step.get(k))
    return "\n".join(parts)


# The searches log what they did not find: on a checkpoint, that is the reason people read.

def trajectory_contains(trajectory: str, needle: str, ignore_case: bool = False) -> bool:
    text = trajectory_text(trajectory)
    found = needle.lower() in text.lower() if ignore_case else needle in text
    if not found:
        logger.info("the trajectory does not contain %r", needle)
    return found


def trajectory_matches(trajectory: str, pattern: str, flags: int = re.MULTILINE) -> bool:
    """Whether the regex ``pattern`` matches anywhere in the trajectory's text."""
    found = re.search(pattern, trajectory_text(trajectory), flags) is not None
    if not found:
        logger.info("nothing in the trajectory matches %r", pattern)
    return found


def trajectory_commands(trajectory: str) -> list[str]:
    """The commands the agent ran (exec steps), in order."""
    return [str(s["command"]) for s in trajectory_steps(trajectory)
            if s.get("kind") == "exec" and s.get("command")]


def ran_command(trajectory: str, pattern: str) -> bool:
    """Whether any command the agent ran matches the regex ``pattern``."""
    found = any(re.search(pattern, c) for c in trajectory_commands(trajectory))
    if not found:
        logger.info("no command the agent ran matches %r", pattern)
    return found


# What the agent's programs did. The command recorder writes one exec step per program the agent
# started (with a `parent`), with its argv (as `command`, shlex-joined) and exit status; text the
# agent printed is only output. A checkpoint that wants "the tests passed" or "it read the file"
# asks for a program that did it, so printing "Ran 3 tests ... OK" or a header earns nothing.

# Programs that only print or test their arguments: naming a file or a test runner proves nothing.
NOT_READING = {"echo", "printf", "true", "false", "test", "[", ":", "ls", "stat", "touch", "file", "realpath",
               "readlink", "basename", "dirname", "which", "type", "mkdir", "rm", "yes"}
# Programs that run the rest of their arguments as another program (in the same process).
WRAPPERS = {"env", "nice", "nohup", "timeout", "stdbuf", "sudo", "time", "command", "exec"}
SHELLS = {"sh", "bash", "dash", "zsh", "ksh"}


def trajectory_programs(trajectory: str) -> list[dict[str, Any]]:
    """The programs the agent started (exec steps with a ``parent``), each with its ``argv``."""
    programs = []
    for step in trajectory_steps(trajectory):
        if step.get("kind") == "exec" and "parent" in step:
            argv = step.get("argv") or _split(str(step.get("command") or ""))
            programs.append({**step, "argv": [str(a) for a in argv]})
    return programs


def effective_argv(argv: list[str]) -> list[str] | None:
    """The program that really ran: wrappers (``env X=1``, ``timeout 5``, ``nice``) skipped, and a
    shell's ``-c`` script when it is one simple command (the shell then becomes that program).
    None for a shell running a compound script: its programs are recorded as steps of their own."""
    argv = list(argv)
    while argv and Path(argv[0]).name in WRAPPERS:
        argv = argv[1:]
        while argv and (argv[0].startswith("-") or "=" in argv[0] or re.fullmatch(r"[\d.]+[smhd]?", argv[0])):
            argv = argv[1:]
    if argv and Path(argv[0]).name in SHELLS and "-c" in argv[1:]:
        script = argv[argv.index("-c") + 1] if argv.index("-c") + 1 < len(argv) else ""
        if re.search(r"[;&|\n`$()<>]", script):
            return None
        return effective_argv(_split(script))
    return argv or None


def ran_program(trajectory: str, pattern: str, exit_code: int | None = 0, what: str | None = None) -> bool:
    r"""Whether the agent ran a program whose command line matches ``pattern`` from its start
    (``re.match`` on the shlex-joined argv, wrappers and ``bash -c`` unwrapped) and, unless
    ``exit_code`` is None, exited with ``exit_code``. Programs that only print (echo, printf) never count.

    ``ran_program(t, r"\S*python[\d.]* -m (unittest|pytest)\b")``: a test run that passed.
    """
    near = []
    for program in trajectory_programs(trajectory):
        argv = effective_argv(program["argv"])
        if not argv or Path(argv[0]).name in NOT_READING:
            continue
        line = shlex.join(argv)
        if re.match(pattern, line):
            if exit_code is None or program.get("exit_code") == exit_code:
                return True
            near.append(f"{line[:80]} (exit {program.get('exit_code')})")
    logger.info("%s: no program the agent ran matches %r%s%s", what or "not run", pattern,
                "" if exit_code is None else f" with exit status {exit_code}",
                f"; ran {'; '.join(near[:3])}" if near else "")
    return False


def program_read_file(trajectory: str, name: str, what: str | None = None) -> bool:
    """Whether a program the agent ran named the file ``name`` in its arguments and exited 0
    (``head -3 /workspace/sales.csv``, ``python3 analyse.py sales.csv``, ``python3 -c "...open('sales.csv')"``).
    Programs that do not read files (echo, ls, stat...) do not count."""
    for program in trajectory_programs(trajectory):
        argv = effective_argv(program["argv"])
        if (argv and Path(argv[0]).name not in NOT_READING and program.get("exit_code") == 0
                and any(name in arg for arg in argv[1:])):
            return True
    logger.info("%s: no program the agent ran read %s (named it and exited 0)", what or "not read", name)
    return False


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:  # unbalanced quotes in a recorded command line
        return command.split()


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# --- the workspace -----------------------------------------------------------------------------

def read_text(path: str | Path, default: str = "") -> str:
    """A text file's content, or ``default`` when it does not exist (undecodable bytes replaced)."""
    p = Path(path)
    if not p.is_file():
        logger.info("%s does not exist", p)
        return default
    return p.read_text(encoding="utf-8", errors="replace")


# The name TAC-format evaluators (OpenAgentSafety's, for one) read a workspace file by.
get_text_in_file = read_text


def read_csv_dicts(path: str | Path) -> list[dict[str, str]]:
    """A CSV's rows as dicts, header names and cells stripped of surrounding spaces."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        return [{(k or "").strip(): (v or "").strip() if isinstance(v, str) else v
                 for k, v in row.items()} for row in reader]


def read_docx_text(path: str | Path) -> str:
    """A .docx document's text, one paragraph a line (a docx is zipped XML: no library needed)."""
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(path) as z:
        root = ElementTree.fromstring(z.read("word/document.xml"))
    return "\n".join("".join(t.text or "" for t in p.iter(f"{ns}t")) for p in root.iter(f"{ns}p"))


def read_xlsx_rows(path: str | Path, sheet: str | None = None) -> list[list[Any]]:
    """A worksheet's rows as lists of cell values (needs openpyxl, which the grader container has)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = book[sheet] if sheet else book.active
        return [list(row) for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()


def parse_number(text: str) -> float | None:
    """The first number in ``text``, ignoring currency signs and thousands commas ("$1,234.5" -> 1234.5)."""
    match = re.search(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+", text or "")
    return float(match.group().replace(",", "")) if match else None


def run_as_agent(args: list[str], cwd: str | Path | None = None, timeout: float = 120,
                 input: str | None = None) -> tuple[int, str]:
    """Run the agent's code (its tests, its script, a probe importing its module) in a child process;
    ``(exit code, stdout and stderr)``; a time-out is exit code -1.

    In the grader container the runner runs it as the agent's user, with no key in its environment,
    unable to reach the evaluator, the runner or the result, and kills whatever it left running.
    Evaluators must run the agent's code this way, never by importing it: code imported into the
    evaluator's process can report any result it likes (docs/security.md).
    """
    runner = channel.client()
    if runner is None:  # on the host (the tests, TAC's own eval.py): a plain child process
        return _run_here(args, cwd, timeout, input)
    reply = runner.request({"run": {"args": [str(a) for a in args], "cwd": str(cwd) if cwd else None,
                                    "timeout": timeout, "input": input}})
    if "oserror" in reply:
        raise OSError(reply["oserror"])
    if reply.get("timed_out"):
        logger.info("%s timed out after %s s", _command_line(args), timeout)
    elif reply["exit"] != 0:
        _log_failure(args, reply["exit"], reply["output"])
    return reply["exit"], reply["output"]


# TAC's name, and this module's before run_as_agent: the same helper.
run_command = run_as_agent


def _run_here(args: list[str], cwd: str | Path | None, timeout: float, input: str | None) -> tuple[int, str]:
    try:
        done = subprocess.run(args, cwd=cwd, input=input, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        # On a time-out Python hands back the partial output as bytes, whatever text= said.
        partial = "".join(_text(x) for x in (exc.stdout, exc.stderr))
        logger.info("%s timed out after %s s", _command_line(args), timeout)
        return -1, f"timed out after {timeout} s\n{partial}"
    output = done.stdout + done.stderr
    if done.returncode != 0:
        _log_failure(args, done.returncode, output)
    return done.returncode, output


def _log_failure(args: list[str], code: int, output: str) -> None:
    last = output.strip().splitlines()[-1:] or ["no output"]
    logger.info("%s exited %d: %s", _command_line(args), code, last[0])


def _command_line(args: list[str]) -> str:
    # A script passed inline (python3 -c "...") would drown the reason: name it instead.
    return " ".join("<script>" if "\n" in str(a) else str(a) for a in args)


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", errors="replace")
    return output or ""


# The agent's code, called in a child Python: prints, as its last line, what each call returned
# or raised; exceptions by their classes (the whole MRO), so a subclass of ValueError is one.
_CALLS = r"""
import importlib, json, sys
function = getattr(importlib.import_module(sys.argv[1]), sys.argv[2])
outcomes = []
for args in json.loads(sys.stdin.read()):
    try:
        value = function(*args)
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            value = repr(value)
        outcomes.append({"returned": value})
    except Exception as exc:
        outcomes.append({"raised": [c.__module__ + "." + c.__qualname__ for c in type(exc).__mro__],
                         "message": str(exc)[:200]})
print("\n" + json.dumps(outcomes))
"""


def call_in_child(directory: str | Path, module: str, function: str, calls: list[list[Any]],
                  timeout: float = 60) -> list[dict[str, Any]]:
    """Call ``module.function(*args)`` for each ``args`` in ``calls`` in a child Python started in
    ``directory`` (a hang or crash of the agent's code costs the checkpoint, not the grader).

    Each outcome is ``{"returned": value}`` or ``{"raised": ["builtins.ValueError", ...], "message"}``
    (the exception's classes, most derived first): test it with ``raised(outcome, ValueError)``,
    which is ``isinstance``, so a subclass counts. A child that fails is an ``AnswerError``.
    """
    code, output = run_as_agent([sys.executable, "-c", _CALLS, module, function], cwd=directory,
                                timeout=timeout, input=json.dumps([list(a) for a in calls]))
    last = (output.strip().splitlines() or [""])[-1]
    try:
        outcomes = json.loads(last) if code == 0 else None
    except ValueError:
        outcomes = None
    if not isinstance(outcomes, list) or len(outcomes) != len(calls):
        raise AnswerError(f"calling {module}.{function} failed (exit {code}): {last[:200]}")
    return outcomes


def raised(outcome: dict[str, Any], exception: type[BaseException]) -> bool:
    """Whether the call raised an instance of ``exception`` (a subclass counts, as with ``isinstance``)."""
    return f"{exception.__module__}.{exception.__qualname__}" in outcome.get("raised", ())


def outcome_text(outcome: dict[str, Any]) -> str:
    """``returned 90`` or ``raised MyError (a ValueError)``: for reasons."""
    if "raised" in outcome:
        names = [n.rsplit(".", 1)[-1] for n in outcome["raised"]]
        extra = f" (a {names[1]})" if len(names) > 2 and names[1] not in ("Exception", "BaseException") else ""
        return f"raised {names[0]}{extra}"
    return f"returned {outcome.get('returned')!r}"
