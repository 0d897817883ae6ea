"""Every program an in-container agent runs is a step of its trajectory, whatever the agent is written in."""

from __future__ import annotations

import json
import re
import shlex
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import AGENTS, GATEWAY_CLIENT, TASK_SPECS, add_agent

pytestmark = pytest.mark.docker

BUSY = """\
echo "agent starting"
python3 - <<'PY'
import subprocess
subprocess.run(["sh", "-c", "echo from-child; echo oops >&2; exit 3"])
subprocess.run(["cat", "/run/agentbench/steps.jsonl"])
PY
id -un
(sleep 600 >/dev/null 2>&1 &)
# Wait until it runs: a program that has not started when the agent ends is not the agent's. Running
# means sleeping in its own code (state S), past the tracer's stop at its exec, which a loaded machine
# can hold for a while after its name is already `sleep`.
for _ in $(seq 200); do
  for c in $(grep -lsx sleep /proc/[0-9]*/comm); do grep -qs '^State:.S' "${c%comm}status" && break 2; done
  sleep 0.05
done
ls /definitely-missing
mkdir -p /home/submission && echo id,answer > /home/submission/submission.csv
"""


def make_agent(root: Path, name: str, start: str, dockerfile_extra: str = "") -> None:
    folder = root / "agents" / name
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(f"{name}:\n  start: start.sh\n")
    (folder / "Dockerfile").write_text((AGENTS / "nop" / "Dockerfile").read_text() + dockerfile_extra)
    (folder / "start.sh").write_text(start)


@pytest.fixture
def workdir(pytester, base_image_tag, monkeypatch):
    shutil.copytree(TASK_SPECS / "smoke", pytester.path / "task_specs" / "smoke")
    shutil.copytree(AGENTS / "nop", pytester.path / "agents" / "nop")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    return pytester.path


def trajectory_of(path: Path) -> list[dict]:
    [group] = (path / "runs").iterdir()
    text = (group / "reverse-words" / "trajectory.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def printed_within(steps: list[dict], step: dict, text: str) -> bool:
    """Whether `text` is on `step`'s output or on that of a step above it. Which program printed a
    chunk is inferred (docs/agents.md): a chunk the recorder reads late, spanning programs, goes to
    the nearest step above them all. Exact attribution is tested in tests/unit/test_command_recorder.py."""
    by_id = {s["step"]: s for s in steps}
    while step is not None:
        if text in step["output"]:
            return True
        step = by_id.get(step.get("parent"))
    return False


def test_every_program_the_agent_runs_is_a_step(pytester, workdir):
    make_agent(workdir, "busy", BUSY)
    start = time.monotonic()
    pytester.runpytest_subprocess("task_specs", "--agent=busy", "-p", "no:cacheprovider")
    assert time.monotonic() - start < 120  # the background `sleep 600` did not hold the run
    steps = trajectory_of(workdir)
    assert [s["step"] for s in steps] == list(range(1, len(steps) + 1))
    run = steps[0]
    assert run["command"] == "bash /home/agent/start.sh" and run["exit_code"] == 0 and "parent" not in run
    assert "agent starting" in run["output"]
    by_command = {s["command"]: s for s in steps[1:]}
    python = by_command["python3 -"]
    child = by_command["sh -c 'echo from-child; echo oops >&2; exit 3'"]
    assert python["parent"] == run["step"] and child["parent"] == python["step"]
    assert child["exit_code"] == 3
    assert printed_within(steps, child, "from-child") and printed_within(steps, child, "oops")
    assert printed_within(steps, python, "from-child")  # a step's output includes what its programs printed
    assert printed_within(steps, by_command["id -un"], "nonroot\n") and by_command["id -un"]["user"] == "nonroot"
    # The report is out of the agent's reach.
    cat = by_command["cat /run/agentbench/steps.jsonl"]
    assert cat["exit_code"] == 1 and printed_within(steps, cat, "Permission denied")
    missing = by_command["ls /definitely-missing"]
    assert missing["exit_code"] == 2 and printed_within(steps, missing, "No such file or directory")
    assert by_command["sleep 600"]["end"] is None  # still running when the agent finished
    assert all(s["start"] <= s["end"] for s in steps[1:] if s["end"] is not None)
    starts = [s["start"] for s in steps[1:]]
    assert starts == sorted(starts) and run["start"] <= starts[0]


WRITER = """\
echo "agent starting"
python3 -c "
import time
open('/tmp/notes.txt', 'w').write(('FILE-' + 'CONTENT ') * 1000)
print('wrote notes', flush=True)
time.sleep(0.5)
"
seq 100000 199998 > /tmp/numbers.txt
python3 -c 'import time; time.sleep(1); print(\"background says hi\", flush=True)' &
sh -c 'python3 -c \"print(42)\"; sleep 3'
python3 - <<'PY'
import glob, os
# The attacker: reopen the pipe behind its own stdout (or the recorder's end of it) to read it.
mine, tried, opened = os.readlink("/proc/self/fd/1"), 0, []
for path in glob.glob("/proc/[0-9]*/fd/*"):
    try:
        if os.readlink(path) == mine:
            tried += 1
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
            opened.append(path)
    except OSError:
        pass
print(f"tried {tried > 2}, reopened for reading: {opened}")
# The recorder's and its tracer's descriptors (the report among them) are root's: none opens.
root_fds = [p for p in glob.glob("/proc/[0-9]*") if os.stat(p).st_uid == 0]
opened = []
for folder in root_fds:
    try:
        for fd in os.listdir(folder + "/fd"):
            os.close(os.open(f"{folder}/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK))
            opened.append(f"{folder}/fd/{fd}")
    except OSError:
        pass
print(f"root processes {len(root_fds) >= 2}, their descriptors opened: {opened}")
PY
# Job control still works under the tracer: a stopped program stays stopped until continued.
sleep 5 & pid=$!
kill -STOP $pid; sleep 0.3
case $(cut -d' ' -f3 /proc/$pid/stat) in T|t) echo "the stopped program: stopped";; *) echo "the stopped program: running";; esac
kill -CONT $pid
mkdir -p /home/submission && echo id,answer > /home/submission/submission.csv
"""


def test_output_is_what_programs_print_never_what_they_write_into_files(pytester, workdir):
    make_agent(workdir, "writer", WRITER)
    pytester.runpytest_subprocess("task_specs", "--agent=writer", "-p", "no:cacheprovider")
    steps = trajectory_of(workdir)
    text = json.dumps(steps)
    assert "FILE-CONTENT" not in text and "199997" not in text  # neither file's content, anywhere
    writer = next(s for s in steps if "notes.txt" in s["command"])
    assert printed_within(steps, writer, "wrote notes\n")  # the program that printed it, or one above
    seq = next(s for s in steps if s["command"].startswith("seq "))
    assert seq["output"] == "" and seq["exit_code"] == 0  # `seq ... > file`
    background = next(s for s in steps if "background says hi" in s["command"])
    assert printed_within(steps, background, "background says hi\n")  # printed while a silent `sleep` ran
    sleep = next(s for s in steps if s["command"] == "sleep 3")
    assert sleep["output"] == ""
    inner = next(s for s in steps if s["command"] == "python3 -c 'print(42)'")
    outer = next(s for s in steps if s["command"].startswith("sh -c"))
    assert inner["parent"] == outer["step"] and printed_within(steps, inner, "42\n") and outer["output"] == "42\n"
    assert "tried True, reopened for reading: []" in text  # the agent holds only the write end of its output
    assert "root processes True, their descriptors opened: []" in text  # nor can it reach the tracer's report
    assert "the stopped program: stopped" in text  # tracing leaves SIGSTOP's meaning alone ("t" when traced)
    [group] = (workdir / "runs").iterdir()
    log = (group / "reverse-words" / "agent.log").read_text()
    for line in ("agent starting", "wrote notes", "42", "background says hi"):
        assert line in log  # what the agent printed still reaches its log
    assert "FILE-CONTENT" not in log and "199997" not in log


# Arguments the tracer must pass on as they are: a newline, quotes, a backslash, a byte that is not
# UTF-8, a control character, and one longer than a step keeps (4096 characters, then "...").
ODD_ARGS = r"""echo "tracer: $(cat /proc/$PPID/comm)"
/bin/echo "two
lines" "q\"uo'te\\" "$(printf 'caf\303\251 \377 \001')" "$(head -c 20000 /dev/zero | tr '\0' y)" > /dev/null
mkdir -p /home/submission && echo id,answer > /home/submission/submission.csv
"""
ODD_ARGV = ["/bin/echo", "two\nlines", "q\"uo'te\\", "café \ufffd \x01", "y" * 4096 + "..."]


@pytest.mark.parametrize("tracer", ["command_tracer", "python3"])
def test_the_compiled_tracer_records_what_the_python_one_does(pytester, workdir, tracer):
    # The base image compiles the tracer; an image without it (a --base-image that could not build
    # it) is traced in Python, with the same steps.
    extra = "" if tracer == "command_tracer" else "\nUSER root\nRUN rm /opt/agentbench/command_tracer\n"
    make_agent(workdir, "odd", ODD_ARGS, dockerfile_extra=extra)
    pytester.runpytest_subprocess("task_specs", "--agent=odd", "-p", "no:cacheprovider")
    steps = trajectory_of(workdir)
    assert f"tracer: {tracer}\n" in steps[0]["output"]
    [echo] = [s for s in steps if s["command"].startswith("/bin/echo")]
    assert echo["command"] == shlex.join(ODD_ARGV) and echo["exit_code"] == 0 and echo["parent"] == steps[0]["step"]
    commands = sorted(re.sub(r"^cat /proc/\d+/comm$", "cat /proc/PID/comm", s["command"]) for s in steps[1:])
    assert commands == sorted([echo["command"], "cat /proc/PID/comm", "head -c 20000 /dev/zero",
                               "tr '\\0' y", "mkdir -p /home/submission"])


def test_an_image_whose_python_cannot_trace_runs_the_agent_and_says_commands_were_not_recorded(pytester, workdir):
    make_agent(workdir, "noctypes", "ls /home\nmkdir -p /home/submission\n",
               dockerfile_extra="\nUSER root\nRUN rm -rf /usr/lib/python3*/ctypes /opt/agentbench/command_tracer\n")
    pytester.runpytest_subprocess("task_specs", "--agent=noctypes", "-p", "no:cacheprovider")
    steps = trajectory_of(workdir)
    assert steps[0]["command"] == "bash /home/agent/start.sh" and steps[0]["exit_code"] == 0
    assert "submission" in steps[0]["output"]  # the agent ran
    [event] = [s for s in steps if s["kind"] == "event"]
    assert event["name"] == "commands_not_recorded" and "ptrace" in event["reason"]


def test_no_record_commands_keeps_the_run_as_one_step(pytester, workdir):
    make_agent(workdir, "busy", BUSY)
    pytester.runpytest_subprocess("task_specs", "--agent=busy", "--no-record-commands", "-p", "no:cacheprovider")
    [run] = trajectory_of(workdir)
    assert run["command"] == "bash /home/agent/start.sh" and "from-child" in run["output"]


LIVE = """\
echo "agent says hello"
id -un
python3 /home/agent/ask.py
sleep 30
mkdir -p /home/submission && echo id,answer > /home/submission/submission.csv
"""
ASK = GATEWAY_CLIENT + """
status, body = post("/chat/completions", {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hello model"}]})
print("ANSWER", status)
"""


def live_view(item: Path) -> dict | None:
    """What the item's folder shows now: its trajectory's whole lines (each must be JSON) and its log."""
    try:
        text, log = (item / "trajectory.jsonl").read_text(), (item / "agent.log").read_text()
    except FileNotFoundError:
        return None
    whole = text[:text.rfind("\n") + 1]  # a line being appended is whole once its newline is there
    return {"steps": [json.loads(line) for line in whole.splitlines()], "log": log,
            "result": (item / "result.json").exists()}


def test_the_trajectory_and_the_log_grow_while_the_agent_runs(workdir, fake_llm):
    # `tail -f trajectory.jsonl` and `tail -f agent.log` follow the agent: while it sleeps, what it has
    # printed, the command it ran, its model turn and the `sleep` it is in are there.
    fake_llm.set_rules([(r"hello model", "hello agent")])
    add_agent(workdir, "live", LIVE, {"ask.py": ASK})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PYTEST_"))}
    env.update(OPENAI_API_KEY="sk-live-test-provider-key", OPENAI_BASE_URL=fake_llm.url)
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "task_specs", "--agent=live"],
                           cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = None
    try:
        while run.poll() is None:
            items = list(workdir.glob("runs/*/reverse-words"))
            view = live_view(items[0]) if items else None
            if view and any(s.get("command") == "sleep 30" for s in view["steps"]) and "ANSWER" in view["log"]:
                seen = view
                break
            time.sleep(0.5)
        running = run.poll() is None
        out, _ = run.communicate(timeout=600)
    finally:
        run.kill()
    assert seen is not None, f"never seen while the agent ran; the run said:\n{out[-3000:]}"
    assert running and not seen["result"]  # the run and the item were still going
    assert "agent says hello" in seen["log"] and "nonroot" in seen["log"]
    steps = {s["step"]: s for s in seen["steps"]}
    run_step = seen["steps"][0]
    assert run_step["command"] == "bash /home/agent/start.sh" and run_step["end"] is None  # still running
    [id_step] = [s for s in seen["steps"] if s.get("command") == "id -un"]
    [id_end] = [s for s in seen["steps"] if s.get("name") == "end" and s.get("of") == id_step["step"]]
    # the shell's own echo just before may be read in the same chunk as id's line, and go with it
    # (which program printed a chunk is inferred: printed_within above)
    assert id_step["parent"] == run_step["step"] and id_end["exit_code"] == 0 and id_end["output"].endswith("nonroot\n")
    [model] = [s for s in seen["steps"] if s["kind"] == "model"]
    assert model["output"] == "hello agent" and steps[model["parent"]] is run_step
    [sleep] = [s for s in seen["steps"] if s.get("command") == "sleep 30"]
    assert sleep["end"] is None and not any(s.get("of") == sleep["step"] for s in seen["steps"])  # in it now

    # After the end: the final form, each step whole, as before.
    steps = trajectory_of(workdir)
    assert [s["step"] for s in steps] == list(range(1, len(steps) + 1))
    assert not any(s["kind"] == "event" for s in steps)  # no `end` lines left
    run_step = steps[0]
    assert run_step["exit_code"] == 0 and run_step["end"] >= run_step["start"] and "agent says hello" in run_step["output"]
    by_command = {s.get("command"): s for s in steps[1:]}
    assert by_command["id -un"]["exit_code"] == 0 and by_command["sleep 30"]["exit_code"] == 0
    assert by_command["sleep 30"]["end"] is not None
    [model] = [s for s in steps if s["kind"] == "model"]
    assert model["output"] == "hello agent" and model["parent"] == run_step["step"]
    assert by_command["id -un"]["start"] < model["start"] < by_command["sleep 30"]["start"]  # in start order
