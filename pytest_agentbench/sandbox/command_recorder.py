"""Records every program an agent runs inside its container: the command, its output, its time.

This file runs *inside* the agent's container, as root, with only Python's standard library:

    python3 command_recorder.py --user nonroot --steps /run/agentbench/steps.jsonl -- bash start.sh ...

It starts the agent's command as `--user` under `strace -f`, tracing only program starts and forks
(execve and the clone family; exits come with them), filtered in the kernel with seccomp-bpf so
that every other system call, writes included, runs at full speed. The agent's stdout and stderr
are one pipe that this process owns: it passes what comes through on to its own stdout (the
harness's log of the agent, as before) and notes when each chunk arrived. strace's report comes
through a FIFO in a root-only folder; one JSON line is appended to `--steps` as each program the
agent started ends:

    {"id": 3, "parent": 1, "pid": 57, "start": 1732380000.12, "end": 1732380000.31,
     "argv": ["ls", "-la"], "exit_code": 0, "output": "..."}

`id` numbers programs in the order strace reported their start; `parent` is the id of the recorded
program that started this one (null for programs the agent's own process started). The agent's own
process (its start script, and what that script `exec`s) is not a step: the harness records it as
the run itself.

Exact: argv, parent, pid, start and end times, exit code (from the kernel, through strace); and
which bytes count as output: only what reached the agent's own stdout/stderr, never what `cmd > file`
writes into the file, nor what a program writes into a pipe the agent made (`subprocess` with
`capture_output`: the agent's program sees it, and it is output when the agent prints it).
Approximate: which program wrote a chunk. A chunk is written between the moment this process last
found the pipe empty and the moment it read the chunk; it goes to the innermost process alive in
that window whose stdout or stderr is the pipe (/proc/<pid>/fd) and that has written something
since (its main thread's count in /proc/<pid>/task/<pid>/io; a foreground `sleep` has not, a
background server logging beside it has). When several unrelated processes still qualify (two
programs printing at once, or this process falling behind on a busy machine), the chunk goes to
their nearest common ancestor. A step's `output` is what it and the programs it started wrote,
clipped to its first and last 100,000 bytes.

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
import select
import signal
import sys
import threading
import time
from collections import deque

OUTPUT_HEAD = OUTPUT_TAIL = 100_000  # bytes of output kept per program, from its start and its end
DETACH_AFTER = 1.0  # seconds between the agent's own exit and stopping the trace
# Seconds a chunk of output waits for strace's report to reach its time: on a busy machine strace's
# report can trail the output by a few hundred milliseconds, and a chunk settled before the report
# names its writer goes to the agent's own step. Waiting costs the agent nothing (the output is
# passed on at once); WAITING_BYTES bounds what waits in memory.
SETTLE_AFTER = 1.0
WAITING_BYTES = 16 << 20
TRACED = "execve,clone,clone3,fork,vfork"  # no write: output comes through our pipe, files never
READ_SIZE = 1 << 20  # more than a pipe holds (an unprivileged process can grow it to 1 MiB)

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

    def __init__(self, pid: int, born: float):
        self.pid = pid
        self.born = born  # when the call that made it was made: it may write from then on
        self.parent: Process | None = None
        self.children: list[Process] = []
        self.argv: list[str] | None = None  # set on its first successful execve: it is then a step
        self.id: int | None = None
        self.start = self.end = None
        self.exit_code: int | None = None
        self.output = Output()
        self.holds: bool | None = None  # whether its stdout or stderr is the agent's output (None: unknown)
        self.written: tuple[bool, int, float] | None = None  # (all threads?, bytes written, since when)
        self.thread = False  # a thread writes for its process: only processes are told apart
        self.folded = False  # its output (and its children's) has been merged into one Output

    def step_parent(self) -> "Process | None":
        p = self.parent
        while p is not None and p.id is None:
            p = p.parent
        return p

    def ancestors(self):
        p = self.parent
        while p is not None:
            yield p
            p = p.parent


class Recorder:
    """Turns strace's report, line by line, and the agent's output, chunk by chunk, into steps.

    A chunk is attributed once the report has reached its time (or has been quiet for
    SETTLE_AFTER), so that the processes alive when it was written are known; a process's step is
    written once no chunk it may have written is still waiting."""

    def __init__(self, steps_file, on_agent_exit=lambda: None, view: "Unseen | None" = None, clock=time.time):
        self.steps_file = steps_file
        self.on_agent_exit = on_agent_exit
        self.view = view or Unseen()
        self.clock = clock  # strace's clock: the wall clock
        self.procs: dict[int, Process] = {}
        self.root: Process | None = None
        self.pending: dict[int, tuple[str, str, float]] = {}  # pid -> (syscall, arguments, time) unfinished
        self.next_id = 1
        self.agent_exit: int | None = None
        self.report_time = 0.0  # the latest time strace's report has reached
        self.chunks: deque[tuple[float, float, bytes]] = deque()  # (written after, read at, bytes) waiting
        self.waiting = 0  # bytes in self.chunks
        self.alive: set[Process] = set()
        self.dead: deque[Process] = deque()  # ended, and may still have written a waiting chunk
        self.ending: list[Process] = []  # ended, step not written yet

    def proc(self, pid: int, when: float) -> Process:
        p = self.procs.get(pid)
        if p is None or p.end is not None:  # new, or a finished process's pid reused
            p = self.procs[pid] = Process(pid, when)
            self.alive.add(p)
            if self.root is None:
                self.root = p
        return p

    # --- strace's report ------------------------------------------------------------------------

    def feed(self, line: str) -> None:
        m = _LINE.match(line)
        if not m:
            return
        pid, when, rest = int(m.group(1)), float(m.group(2)), m.group(3)
        self.report_time = max(self.report_time, when)
        p = self.proc(pid, when)
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
                child = self.procs[value] = Process(value, when)
                self.alive.add(child)
            child.born = min(child.born, when)  # it may have run before its parent's call returned
            child.thread = "CLONE_THREAD" in text
            if child.parent is None:
                child.parent = p
                p.children.append(child)
        elif name == "execve" and p is not self.root and p.argv is None:
            strings = _STRING.findall(text)  # the path, then argv (the environment shows as a pointer)
            p.argv = [_unescape(s) + ("..." if cut else "") for s, cut in strings[1:]] or None
            if p.argv is not None:
                p.id, p.start = self.next_id, when
                self.next_id += 1
                p.holds = self.view.holds(p.pid)  # its descriptors as it starts: `cmd >/dev/null 2>&1`
                self.wrote_nothing_since(p, float("inf"))  # a first count, to tell later whether it wrote

    def exited(self, p: Process, when: float, code: int) -> None:
        p.end, p.exit_code = when, code
        self.alive.discard(p)
        self.dead.append(p)
        self.ending.append(p)
        if p is self.root:
            self.agent_exit = code
            self.on_agent_exit()

    # --- the agent's output ---------------------------------------------------------------------

    def output(self, data: bytes, after: float, at: float) -> None:
        """A chunk of the agent's output, written after `after` and read at `at`."""
        self.chunks.append((after, at, data))
        self.waiting += len(data)

    def settle(self, now: float, report_quiet: bool, empty_since: float) -> None:
        """Attribute the chunks whose writers are known by now, then write the steps no waiting
        chunk can change. `empty_since`: when the output pipe was last found empty (no chunk read
        later can have been written before it)."""
        while self.chunks and (self.chunks[0][1] <= self.report_time
                               or report_quiet and now - self.chunks[0][1] >= SETTLE_AFTER
                               or self.waiting > WAITING_BYTES):
            chunk = self.chunks.popleft()
            self.waiting -= len(chunk[2])
            self.attribute(*chunk)
        floor = min([empty_since, *(c[0] for c in self.chunks)])
        self.ending.sort(key=lambda q: q.end)
        done = 0
        for p in self.ending:
            if p.end >= floor:
                break
            self.fold(p)
            if p.id is not None:
                self.write_step(p)
            done += 1
        del self.ending[:done]
        while self.dead and self.dead[0].end < floor and self.dead[0].folded:
            self.dead.popleft()

    def attribute(self, after: float, at: float, data: bytes) -> None:
        writers = []
        for p in (*self.alive, *self.dead):
            if p.thread or p.born > at or p.end is not None and p.end < after:
                continue
            if p.holds is None and p.end is None:
                p.holds = self.view.holds(p.pid)
            if p.holds is not False:
                writers.append(p)
        while True:  # one that has written nothing since (a `sleep` beside a background server) did not
            innermost = _innermost(writers)
            silent = {p for p in innermost if p.end is None and self.wrote_nothing_since(p, after)}
            if not silent:
                break
            writers = [p for p in writers if p not in silent]
        if not innermost:
            return
        target = innermost[0]
        if len(innermost) > 1:  # several could have written it: the one that started them all did
            shared = set(target.ancestors()) | {target}
            for other in innermost[1:]:
                shared &= set(other.ancestors()) | {other}
            target = next((a for a in target.ancestors() if a in shared), None)
        if target is not None and target is not self.root:
            target.output.add(at, data)

    def wrote_nothing_since(self, p: Process, after: float) -> bool:
        """Whether running process `p` has written nothing (to any file) from `after` until now."""
        # The count of its main thread alone leaves out the programs it started (the kernel adds
        # theirs when it reaps them); that of all its threads, needed when it has others, does not.
        threads = any(c.thread and (c.end is None or c.end >= after) for c in p.children)
        count = self.view.written(p.pid, threads)
        if count is None:
            return False
        if p.written is None and count == 0:  # the count is since it started: it has never written
            p.written = (threads, count, float("-inf"))
        elif p.written is None or p.written[:2] != (threads, count):
            p.written = (threads, count, self.clock())
            return False
        return p.written[2] <= after

    # --- steps ----------------------------------------------------------------------------------

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
        """The report is complete: attribute what is left, then write the programs that ended and
        those still running when tracing stopped."""
        self.settle(float("inf"), True, float("inf"))
        for p in sorted(self.procs.values(), key=lambda q: q.id or 0):
            if p.id is not None and p.end is None:
                self.write_step(p, running=True)


def _innermost(processes: list[Process]) -> list[Process]:
    """Those of `processes` that did not start another of them."""
    above = {a for p in processes for a in p.ancestors()}
    return [p for p in processes if p not in above]


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
        report = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        write_end = os.open(fifo, os.O_WRONLY)
        # The agent's stdout and stderr: one pipe, so what it prints keeps its order. We own it
        # (root, mode 0600): the agent holds only its write end and cannot reopen it to read.
        output, agent_output = os.pipe()
        os.set_blocking(output, False)
        # -I2 lets SIGTERM stop strace (it then detaches from what still runs; with -o it would be
        # ignored); "|cat" makes strace flush each line, which it does not for a file.
        tracer = os.posix_spawn(strace, [
            strace, "-f", "-I2", "-q", "-z", "-ttt", "-s", "4096", "--seccomp-bpf",
            "-e", f"trace={TRACED}", "-e", "signal=none", "-o", f"|exec cat > {fifo}",
            "--", setpriv, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", *command], env,
            file_actions=[(os.POSIX_SPAWN_DUP2, agent_output, 1), (os.POSIX_SPAWN_DUP2, agent_output, 2)])
        os.close(agent_output)
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
        view = ProcView(output, entry.pw_uid, entry.pw_gid)
        recorder = Recorder(steps, on_agent_exit=stop_later, view=view)
        try:
            failure = _follow(recorder, report, output)
        finally:
            view.close()
        waiter.join()
        os.close(report)
        os.unlink(fifo)
        if recorder.root is None:  # strace could not start the agent: run it untraced
            os.close(output)
            return _run_unrecorded(command, user, env, steps, f"strace could not trace (exit "
                                   f"{_exit_code(traced['status'])}); its message is in the agent's log")
        if failure is None:
            recorder.finish()
        else:
            steps.write(json.dumps({"unrecorded": f"the command recorder failed: {failure!r}"}) + "\n")
        os.close(output)  # programs left running now get EPIPE, as when the harness's stream ends
        return recorder.agent_exit if recorder.agent_exit is not None else _exit_code(traced["status"])


def _follow(recorder: Recorder, report: int, output: int) -> Exception | None:
    """Feed strace's report and the agent's output to `recorder` until the report ends, passing
    the output on to our stdout (the harness's log of the agent). Returns what broke the
    recording, if anything did: the output still flows, so a fault of ours cannot stop the agent."""
    partial = b""
    empty_since = time.time()
    sources = [report, output]
    failure = None
    while True:
        wait = SETTLE_AFTER if recorder.chunks or recorder.ending else None
        ready, _, _ = select.select(sources, [], [], wait)
        report_quiet, lines = report not in ready, []
        if not report_quiet:
            try:
                data = os.read(report, 65536)
            except BlockingIOError:
                data, report_quiet = None, True
            if data == b"":
                break
            if data:
                *lines, partial = (partial + data).split(b"\n")
        if failure is None:
            try:  # first the report: what it makes us read of /proc is then older than the output
                for line in lines:
                    recorder.feed(line.decode("utf-8", "replace"))
            except Exception as e:  # noqa: BLE001 - reported in the steps file
                failure = e
        # Always look at the output, even when only the report woke us: a program's last words are
        # in the pipe before strace reports its exit, and an empty pipe dates the next chunk.
        chunks = []
        if output in sources:
            chunks, empty_since, open_ = _drain(output, empty_since)
            if not open_:  # every writer is gone, strace too: the report ends next
                sources.remove(output)
        if failure is None:
            try:
                for chunk in chunks:
                    recorder.output(*chunk)
                recorder.settle(time.time(), report_quiet, empty_since)
            except Exception as e:  # noqa: BLE001 - reported in the steps file
                failure = e
    chunks, empty_since, _ = _drain(output, empty_since)
    if failure is None:
        for chunk in chunks:
            recorder.output(*chunk)
    return failure


def _drain(output: int, empty_since: float) -> tuple[list[tuple[bytes, float, float]], float, bool]:
    """Read all the output there is now and pass it on: (the chunks, each with the times it was
    written between; when the pipe was found empty; whether it can still bring more)."""
    chunks = []
    while True:
        before = time.time()
        try:
            data = os.read(output, READ_SIZE)
        except BlockingIOError:
            return chunks, before, True
        if not data:
            return chunks, before, False
        chunks.append((data, empty_since, time.time()))
        _pass_on(data)
        empty_since = before


def _pass_on(data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(1, view):]
        except BrokenPipeError:  # the harness stopped listening: keep recording
            return


class Unseen:
    """What the recorder can tell of a process beyond strace's report: nothing."""

    def holds(self, pid: int) -> bool | None:
        """Whether its stdout or stderr is the agent's output pipe (None: cannot tell)."""
        return None

    def written(self, pid: int, threads: bool) -> int | None:
        """How many bytes its main thread (or: all its threads, and the children it reaped) has
        written so far, to anything (None: cannot tell)."""
        return None


class ProcView(Unseen):
    """Both, read from /proc/<pid>. The kernel lets a process read another's fd links and io counts
    only as the same user (or with CAP_SYS_PTRACE, which the container lacks): at its first look
    this thread takes the agent's file system uid and gid, which changes nothing else (signals,
    ptrace of us, our files: all still root's); `close` gives root's back."""

    def __init__(self, pipe: int, uid: int = 0, gid: int = 0):
        self.target = f"pipe:[{os.fstat(pipe).st_ino}]"
        self.uid, self.gid = uid, gid
        self.libc = None
        self.usable = None if uid else True  # None: not tried yet (ctypes is loaded only when needed)

    def holds(self, pid: int) -> bool | None:
        if not self.as_agent():
            return None
        seen = None
        for fd in (1, 2):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == self.target:
                    return True
                seen = False
            except OSError:
                continue
        return seen

    def written(self, pid: int, threads: bool) -> int | None:
        if not self.as_agent():
            return None
        try:
            with open(f"/proc/{pid}/io" if threads else f"/proc/{pid}/task/{pid}/io", "rb") as f:
                text = f.read()
        except OSError:
            return None
        at = text.find(b"wchar:")
        return int(text[at + 6:text.index(b"\n", at)]) if at >= 0 else None

    def as_agent(self) -> bool:
        if self.usable is None:
            try:
                import ctypes  # not every Python has it, and recording works without it
                self.libc = ctypes.CDLL(None, use_errno=True)
                self.libc.setfsgid(self.gid)
                self.libc.setfsuid(self.uid)
                self.usable = True
            except (ImportError, OSError, AttributeError):
                self.usable = False
        return self.usable

    def close(self) -> None:
        if self.libc is not None:
            self.libc.setfsuid(0)
            self.libc.setfsgid(0)


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
