"""Records every program an agent runs inside its container: the command, its output, its time.

This file runs *inside* the agent's container, as root, with only Python's standard library:

    python3 command_recorder.py --user nonroot --steps /run/agentbench/steps.jsonl -- bash start.sh ...

It starts the agent's command as `--user` under `strace -f` (tracing only execve, the clone family,
write and exit, filtered in the kernel with seccomp-bpf), reads strace's report from a FIFO in a
root-only folder, and appends one JSON line to `--steps` as each program the agent started ends:

    {"id": 3, "parent": 1, "pid": 57, "start": 1732380000.12, "end": 1732380000.31,
     "argv": ["ls", "-la"], "exit_code": 0, "output": "..."}

`id` numbers programs in the order strace reported their start; `parent` is the id of the recorded program that
started this one (null for programs the agent's own process started). `output` is what the program
and everything it started wrote to stdout and stderr, clipped to its first and last 100,000 bytes;
where they point is not known (strace cannot name the file behind a descriptor of a process of
another user without CAP_SYS_PTRACE), so what `cmd > file` writes into the file counts too.
The agent's own process (its start script, and what that script `exec`s) is not a step: the harness
records it as the run itself.

Why strace: it works for any agent, in any language, with no help from the agent and no extra
privilege (the tracer is the agent's parent, so the default Docker seccomp profile allows it); the
report goes to a place the agent cannot read or write. Without strace (or where the kernel refuses
tracing) the command runs untraced and the steps file says so in one line: {"unrecorded": reason}.

When the agent's own process ends, tracing stops within a second even if it left programs running
in the background, so a daemon cannot keep the run alive; those programs are written with
"end": null.
"""

from __future__ import annotations

# Only light modules: the recorder's start-up is part of every item's overhead.
import codecs
import json
import os
import pwd
import re
import signal
import sys
import threading
from collections import deque

OUTPUT_HEAD = OUTPUT_TAIL = 100_000  # bytes of output kept per program, from its start and its end
DETACH_AFTER = 1.0  # seconds between the agent's own exit and stopping the trace
TRACED = "execve,clone,clone3,fork,vfork,write,writev"

_LINE = re.compile(r"^(\d+)\s+(\d+\.\d+) (.*)$")
_CALL = re.compile(r"^(\w+)\((.*)$")
_RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
_EXIT = re.compile(r"^\+\+\+ (exited with (\d+)|killed by (SIG\w+))")
_RESULT = re.compile(r"\)\s+= (-?\d+)")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(\.\.\.)?')


class Output:
    """Chunks of output in time order, keeping the first OUTPUT_HEAD and last OUTPUT_TAIL bytes."""

    def __init__(self):
        self.head: list[tuple[float, bytes]] = []
        self.head_size = 0
        self.tail: deque[tuple[float, bytes]] = deque()
        self.tail_size = 0
        self.dropped = 0

    def add(self, when: float, data: bytes) -> None:
        if self.head_size < OUTPUT_HEAD and not self.tail:
            take = data[:OUTPUT_HEAD - self.head_size]
            self.head.append((when, take))
            self.head_size += len(take)
            data = data[len(take):]
        if data:
            self.tail.append((when, data))
            self.tail_size += len(data)
            while self.tail_size - len(self.tail[0][1]) >= OUTPUT_TAIL:
                self.dropped += len(self.tail[0][1])
                self.tail_size -= len(self.tail.popleft()[1])
            if self.tail_size > OUTPUT_TAIL:  # one write bigger than the tail: keep its end
                when, first = self.tail[0]
                excess = self.tail_size - OUTPUT_TAIL
                self.tail[0] = (when, first[excess:])
                self.tail_size -= excess
                self.dropped += excess

    def chunks(self) -> list[tuple[float, bytes]]:
        return [*self.head, *self.tail]

    def merged_with(self, others: list["Output"]) -> "Output":
        merged = Output()
        merged.dropped = self.dropped + sum(o.dropped for o in others)
        for when, data in sorted((c for o in (self, *others) for c in o.chunks()), key=lambda c: c[0]):
            merged.add(when, data)
        return merged

    def text(self) -> str:
        head = b"".join(d for _, d in self.head)
        tail = b"".join(d for _, d in self.tail)
        cut = f"\n[... {self.dropped} bytes cut ...]\n".encode() if self.dropped else b""
        return (head + cut + tail).decode("utf-8", "replace")


class Process:
    """One process (or thread) seen in the trace."""

    def __init__(self, pid: int):
        self.pid = pid
        self.parent: Process | None = None
        self.children: list[Process] = []
        self.argv: list[str] | None = None  # set on its first successful execve: it is then a step
        self.id: int | None = None
        self.start = self.end = None
        self.exit_code: int | None = None
        self.output = Output()
        self.folded = False  # its output (and its children's) has been merged into one Output

    def step_parent(self) -> "Process | None":
        p = self.parent
        while p is not None and p.id is None:
            p = p.parent
        return p


class Recorder:
    """Turns strace's report, line by line, into steps."""

    def __init__(self, steps_file, on_agent_exit=lambda: None):
        self.steps_file = steps_file
        self.on_agent_exit = on_agent_exit
        self.procs: dict[int, Process] = {}
        self.root: Process | None = None
        self.pending: dict[int, tuple[str, str, float]] = {}  # pid -> (syscall, arguments, time) unfinished
        self.last_write: tuple[Process, float] | None = None  # where a dump line's bytes belong
        self.next_id = 1
        self.agent_exit: int | None = None

    def proc(self, pid: int) -> Process:
        p = self.procs.get(pid)
        if p is None or p.end is not None:  # new, or a finished process's pid reused
            p = self.procs[pid] = Process(pid)
            if self.root is None:
                self.root = p
        return p

    def feed(self, line: str) -> None:
        if line.startswith(" | "):  # a line of a write's hex dump: the hottest path, kept cheap
            if self.last_write is not None:
                proc, when = self.last_write
                if proc is not self.root:
                    at = line.index("  ", 3) + 2  # after the offset, which widens past 0xfffff
                    proc.output.add(when, bytes.fromhex(line[at:at + 49]))
            return
        m = _LINE.match(line)
        if not m:
            return
        pid, when, rest = int(m.group(1)), float(m.group(2)), m.group(3)
        self.last_write = None
        p = self.proc(pid)
        exited = _EXIT.match(rest)
        if exited:
            self.exited(p, when, int(exited.group(2)) if exited.group(2) else 128 + _signal_number(exited.group(3)))
            return
        resumed = _RESUMED.match(rest)
        if resumed:
            name, args, called = self.pending.pop(pid, (resumed.group(1), "", when))
            self.call(p, called, name, args + resumed.group(2))
            return
        call = _CALL.match(rest)
        if call is None:
            return
        if rest.endswith("<unfinished ...>"):
            self.pending[pid] = (call.group(1), call.group(2)[:-len("<unfinished ...>")], when)
            return
        self.call(p, when, call.group(1), call.group(2))

    def call(self, p: Process, when: float, name: str, text: str) -> None:
        """A completed call of `p`, made at `when`."""
        value = _result(text)
        if value is None or value < 0:
            return
        if name in ("clone", "clone3", "fork", "vfork"):
            child = self.procs.get(value)
            if child is None or child.end is not None and child.end < when:  # new, or a dead one's pid reused
                child = self.procs[value] = Process(value)
            if child.parent is None:
                child.parent = p
                p.children.append(child)
        elif name in ("write", "writev") and re.match(r"[12][,<]", text):
            self.last_write = (p, when)  # the bytes follow as dump lines
        elif name == "execve" and p is not self.root and p.argv is None:
            strings = _STRING.findall(text)  # the path, then argv (the environment shows as a pointer)
            p.argv = [_unescape(s) + ("..." if cut else "") for s, cut in strings[1:]] or None
            if p.argv is not None:
                p.id, p.start = self.next_id, when
                self.next_id += 1

    def exited(self, p: Process, when: float, code: int) -> None:
        p.end, p.exit_code = when, code
        self.fold(p)
        if p.id is not None:
            self.write_step(p)
        if p is self.root:
            self.agent_exit = code
            self.on_agent_exit()

    def fold(self, p: Process) -> None:
        """Merge a finished process's output with that of its finished children, so a step's output
        is what its whole process tree printed."""
        done = [c for c in p.children if c.folded]
        p.output = p.output.merged_with([c.output for c in done])
        for c in done:
            c.output = Output()  # already written with its own step, and now part of the parent's
        p.children = [c for c in p.children if not c.folded]
        p.folded = True

    def write_step(self, p: Process, running: bool = False) -> None:
        parent = p.step_parent()
        step = {"id": p.id, "parent": parent.id if parent else None, "pid": p.pid, "start": p.start,
                "end": None if running else p.end, "argv": p.argv,
                "exit_code": None if running else p.exit_code, "output": p.output.text()}
        self.steps_file.write(json.dumps(step, ensure_ascii=False) + "\n")
        self.steps_file.flush()

    def finish(self) -> None:
        """Programs still running when tracing stopped."""
        for p in sorted(self.procs.values(), key=lambda q: q.id or 0):
            if p.id is not None and p.end is None:
                self.write_step(p, running=True)


def _result(text: str) -> int | None:
    """The return value of a completed call: the last ') = N' (data strings come before it; strace
    may pad the gap with spaces)."""
    found = _RESULT.findall(text)
    return int(found[-1]) if found else None


def _unescape(s: str) -> str:
    return codecs.escape_decode(s.encode("latin-1", "backslashreplace"))[0].decode("utf-8", "replace")


def _signal_number(name: str) -> int:
    return int(getattr(signal, name, 0))


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # killed by a signal: as a shell reports it


def _which(name: str) -> str | None:
    for folder in os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(os.pathsep):
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK):
            return path
    return None


def _run_unrecorded(command: list[str], user: str, env: dict[str, str], steps, reason: str) -> int:
    steps.write(json.dumps({"unrecorded": reason}) + "\n")
    steps.flush()
    entry = pwd.getpwnam(user)
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups(os.getgrouplist(user, entry.pw_gid))
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
            os.execvpe(command[0], command, env)
        except OSError as e:
            print(f"{command[0]}: {e}", file=sys.stderr)
        os._exit(127)
    return _exit_code(os.waitpid(pid, 0)[1])


def run(command: list[str], user: str, steps_path: str) -> int:
    entry = pwd.getpwnam(user)
    env = {**os.environ, "HOME": entry.pw_dir, "USER": user, "LOGNAME": user}
    folder = os.path.dirname(steps_path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    with open(steps_path, "a", encoding="utf-8") as steps:
        strace, setpriv = _which("strace"), _which("setpriv")
        if strace is None or setpriv is None:
            return _run_unrecorded(command, user, env, steps, "strace or setpriv is not in the agent image")
        fifo = os.path.join(folder, f"report-{os.getpid()}")
        os.mkfifo(fifo, 0o600)
        # Our own write end keeps the report open until strace has exited, whether or not it ever
        # opened the FIFO (opening a FIFO to read would otherwise block until a writer comes).
        read_end = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        write_end = os.open(fifo, os.O_WRONLY)
        os.set_blocking(read_end, True)
        # -I2 lets SIGTERM stop strace (it then detaches from what still runs; with -o it would be
        # ignored); "|cat" makes strace flush each line, which it does not for a file.
        tracer = os.posix_spawn(strace, [
            strace, "-f", "-I2", "-q", "-z", "-ttt", "-s", "4096", "--seccomp-bpf",
            "-e", f"trace={TRACED}", "-e", "signal=none", "-e", "write=1,2", "-o", f"|exec cat > {fifo}",
            "--", setpriv, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", *command], env)
        traced = {}

        def wait_tracer():
            traced["status"] = os.waitpid(tracer, 0)[1]
            os.close(write_end)

        def stop_later():  # the agent is done; programs it left running must not keep the run going
            timer = threading.Timer(DETACH_AFTER, lambda: "status" in traced or os.kill(tracer, signal.SIGTERM))
            timer.daemon = True
            timer.start()

        waiter = threading.Thread(target=wait_tracer, daemon=True)
        waiter.start()
        recorder = Recorder(steps, on_agent_exit=stop_later)
        with open(read_end, encoding="utf-8", errors="replace") as report:
            for line in report:
                recorder.feed(line.rstrip("\n"))
        waiter.join()
        os.unlink(fifo)
        if recorder.root is None:  # strace could not start the agent: run it untraced
            return _run_unrecorded(command, user, env, steps, f"strace could not trace (exit "
                                   f"{_exit_code(traced['status'])}); its message is in the agent's log")
        recorder.finish()
        return recorder.agent_exit if recorder.agent_exit is not None else _exit_code(traced["status"])


USAGE = "usage: command_recorder.py --user USER --steps FILE -- COMMAND [ARG...]"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--" not in args:
        sys.exit(USAGE)
    at = args.index("--")
    options, command = dict(zip(args[:at:2], args[1:at:2])), args[at + 1:]
    if not command or set(options) != {"--user", "--steps"}:
        sys.exit(USAGE)
    return run(command, options["--user"], options["--steps"])


if __name__ == "__main__":
    sys.exit(main())
