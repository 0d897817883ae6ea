"""Records every program an agent runs inside its container: the command, its output, its time.

This file runs *inside* the agent's container, as root, with only Python's standard library:

    python3 command_recorder.py --user nonroot --steps /run/agentbench/steps.jsonl -- bash start.sh ...

A tracer process (this file, forked) starts the agent's command as `--user` and follows it with
ptrace, asking the kernel to stop a process only at the events that make a program: a fork (or
clone, vfork), an exec, and the signals it receives (which ptrace always stops for); exits come
with waitpid and stop nothing (though the parent's wait for it waits for the tracer's). No system
call is traced, so every call, writes included, runs at full speed, and a program started costs
four short stops (its parent's fork, its own first stop, its exec, its parent's SIGCHLD), where
`strace -f --seccomp-bpf -e trace=execve,clone...` made eight (the fork, exec and clone calls
stopped again on entry and on exit). Each stop waits for the tracer, so the tracer is compiled
(base_image/command_tracer.c, built into the base image at COMPILED_TRACER: the forked process
execs it); where the image lacks it, `_trace` does the same in Python, about 0.1 ms more per
program. The tracer reports each event as one line on a pipe as soon as the stopped process runs
again; this process reads that pipe when output waits for it (to know who wrote it), else every
REPORT_EVERY seconds, so program starts do not wake it.

The agent's stdout and stderr are one pipe that this process owns: it passes what comes through on
to its own stdout (the harness's log of the agent, as before) and notes when each chunk arrived.
One JSON line is appended to `--steps` as each program the agent started ends:

    {"id": 3, "parent": 1, "pid": 57, "start": 1732380000.12, "end": 1732380000.31,
     "argv": ["ls", "-la"], "exit_code": 0, "output": "..."}

`id` numbers programs in the order they started; `parent` is the id of the recorded program that
started this one (null for programs the agent's own process started). The agent's own process (its
start script, and what that script `exec`s) is not a step: the harness records it as the run itself.
So that the harness can show a program while it runs, a line also says each program's start, as this
process learns of it (within REPORT_EVERY seconds), with the parent known by then:

    {"started": 3, "parent": 1, "pid": 57, "start": 1732380000.12, "argv": ["ls", "-la"]}

and the file's last line, once the recording is over, is {"done": true}. The harness follows the file
while the agent runs (`--follow`, run as root beside the recorder: it passes the file's lines on to its
own stdout as they are written, and ends after the last) and copies it out when the agent has ended.

Exact: argv (read from /proc/<pid>/cmdline while the program is stopped at its exec), parent, pid,
start and end times, exit code (from the kernel); and which bytes count as output: only what
reached the agent's own stdout/stderr, never what `cmd > file` writes into the file, nor what a
program writes into a pipe the agent made (`subprocess` with `capture_output`: the agent's program
sees it, and it is output when the agent prints it). Approximate: which program wrote a chunk. A
chunk is written between the moment this process last found the pipe empty and the moment it read
the chunk (or, later, the moment the tracer found the pipe empty after a program's exit); it goes
to the innermost process alive in that window whose stdout or stderr is the pipe (/proc/<pid>/fd,
read at its exec) and that has written something since (its main thread's count in
/proc/<pid>/task/<pid>/io; a foreground `sleep` has not, a background server logging beside it
has). When several unrelated processes still qualify (two programs printing at once, or
this process falling behind on a busy machine), the chunk goes to their nearest common ancestor. A
step's `output` is what it and the programs it started wrote, clipped to its first and last 100,000
bytes. While output keeps coming and no program starts or ends, this process reads it every
COALESCE seconds rather than at every write: a program printing many short lines then wakes it
(and pays for a wake-up) a few hundred times a second at most.

Why ptrace: it works for any agent, in any language, with no help from the agent and no extra
privilege (the tracer is the agent's parent, so the default Docker seccomp profile allows it, and
no capability is needed); the report goes through a pipe only root's processes hold. Where the
kernel refuses tracing, or the image has no compiled tracer and python3 no ctypes, the command runs
untraced and the steps file says so in one line: {"unrecorded": reason}.

When the agent's own process ends, tracing stops within DETACH_AFTER seconds even if it left
programs running in the background (the tracer exits, and the kernel lets them go on untraced), so
a daemon cannot keep the run alive; those programs are written with "end": null.
"""

from __future__ import annotations

# Only light modules: the recorder's start-up is part of every item's overhead.
import fcntl
import json
import os
import pwd
import select
import signal
import sys
import termios
import time
from collections import deque

OUTPUT_HEAD = OUTPUT_TAIL = 100_000  # bytes of output kept per program, from its start and its end
DETACH_AFTER = 1.0  # seconds between the agent's own exit and stopping the trace
# Seconds a chunk of output waits for the tracer's report to reach its time: on a busy machine the
# report can trail the output by a few hundred milliseconds, and a chunk settled before the report
# names its writer goes to the agent's own step. Waiting costs the agent nothing (the output is
# passed on at once); WAITING_BYTES bounds what waits in memory.
SETTLE_AFTER = 1.0
WAITING_BYTES = 16 << 20
READ_SIZE = 1 << 20  # as much as a pipe holds once grown (PIPE_SIZE)
PIPE_SIZE = 1 << 20  # the most an unprivileged process may give a pipe (/proc/sys/fs/pipe-max-size)
# Seconds between two reads of the report while no output waits for it: the report only names the
# writers of output (and ends the run), so reading it at every program start would only compete
# with the agent for the CPU.
REPORT_EVERY = 0.1
# Seconds to let output gather after a short read, unless the report brings a program's start or
# end first (which splits the output there, so chunks stay one program's where they were).
COALESCE = 0.005
ARG_MAX_CHARS = 4096  # of each argument in a step's argv; a longer one ends with "..."
# `--follow`: seconds between two looks at the steps file when it has nothing new (the harness's live
# view trails the recorder by at most this), and the longest line passed on (a step is at most its
# output's 200,000 bytes, JSON-escaped, and its argv).
FOLLOW_EVERY = 0.2
FOLLOW_LINE_MAX = 16 << 20
# `_trace` compiled (base_image/command_tracer.c), which the base image builds: each stop of the
# agent's processes waits for the tracer, and Python's time there is most of what a program start
# costs the agent. Where the image lacks it, `_trace` traces in Python.
COMPILED_TRACER = "/opt/agentbench/command_tracer"


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

    def absorb(self, other: "Output") -> None:
        """Take in `other`'s chunks (a finished program's), keeping the time order."""
        ours, theirs = self.chunks(), other.chunks()
        self.dropped += other.dropped
        if ours and theirs and theirs[0][0] < ours[-1][0]:  # interleaved: again, in time order (each is)
            self.head, self.head_size, self.tail, self.tail_size = [], 0, deque(), 0
            theirs = sorted([*ours, *theirs], key=lambda c: c[0])
        for when, data in theirs:
            self.add(when, data)

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
    """Turns the tracer's report, line by line, and the agent's output, chunk by chunk, into steps.

    A chunk is attributed once the report has reached its time (or has been quiet for
    SETTLE_AFTER), so that the processes alive when it was written are known; a process's step is
    written once no chunk it may have written is still waiting."""

    def __init__(self, steps_file, view: "Unseen | None" = None, clock=time.time, starts: bool = False):
        self.steps_file = steps_file
        self.starts = starts  # also write a line as each program starts (flushed by the caller)
        self.view = view or Unseen()
        self.clock = clock  # the tracer's clock: the wall clock
        self.procs: dict[int, Process] = {}
        self.root: Process | None = None
        self.next_id = 1
        self.agent_exit: int | None = None
        self.unrecorded: str | None = None  # why the tracer could not trace, if it could not
        self.report_time = 0.0  # the latest time the report has reached
        self.chunks: deque[tuple[float, float, bytes, float]] = deque()  # (after, at, bytes, began): see output()
        # (e, t) from the tracer: the output pipe was found empty at some moment before e and after
        # t (a program's exit), so what a read begun after e brings was written after t.
        self.emptied: deque[tuple[float, float]] = deque()
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

    # --- the tracer's report --------------------------------------------------------------------

    def feed(self, line: str) -> None:
        """One line of the report (see `_report`): "<event> <time> <pid> <details>"."""
        event, when, pid, details = (line.split(" ", 3) + [""])[:4]
        if event == "unrecorded":
            self.unrecorded = line.split(" ", 1)[1]
            return
        when, pid = float(when), int(pid)
        self.report_time = max(self.report_time, when)
        if event == "fork":
            child, thread = details.split()
            self.forked(self.proc(pid, when), int(child), when, thread == "1")
        elif event == "exec":
            holds, argv = details.split(" ", 1)
            argv = [_clipped(arg) for arg in json.loads(argv)]  # the compiled tracer leaves that to us
            self.execed(self.proc(pid, when), when, argv, {"1": True, "0": False}.get(holds))
        elif event == "exit":
            code, emptied = (details.split() + ["-"])[:2]
            self.exited(self.proc(pid, when), when, int(code))
            if emptied != "-":
                self.emptied.append((float(emptied), when))

    def forked(self, p: Process, pid: int, when: float, thread: bool) -> None:
        child = self.procs.get(pid)
        if child is None or child.end is not None and child.end < when:  # new, or a dead one's pid reused
            child = self.procs[pid] = Process(pid, when)
            self.alive.add(child)
        child.born = min(child.born, when)  # it may have run before its parent's fork was reported
        child.thread = thread
        if child.parent is None:
            child.parent = p
            p.children.append(child)
            if child.folded:  # it ended, and its step was written, before its fork was reported
                self.fold(child)

    def execed(self, p: Process, when: float, argv: list[str], holds: bool | None) -> None:
        if p is self.root or p.argv is not None:  # the agent's own process; or `exec` in a program
            return
        p.argv = argv
        p.id, p.start = self.next_id, when
        self.next_id += 1
        p.holds = holds  # its descriptors as it started: `cmd >/dev/null 2>&1` does not hold the output
        if self.starts:
            parent = p.step_parent()
            self.steps_file.write(json.dumps({"started": p.id, "parent": parent.id if parent else None, "pid": p.pid,
                                              "start": when, "argv": argv}, ensure_ascii=False) + "\n")

    def exited(self, p: Process, when: float, code: int) -> None:
        p.end, p.exit_code = when, code
        self.alive.discard(p)
        self.dead.append(p)
        self.ending.append(p)
        if p is self.root:
            self.agent_exit = code

    # --- the agent's output ---------------------------------------------------------------------

    def output(self, data: bytes, after: float, at: float, began: float | None = None) -> None:
        """A chunk of the agent's output, written after `after` and read at `at`, by a read that
        began at `began`."""
        self.chunks.append((after, at, data, after if began is None else began))
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
        floor = min(empty_since, self.chunks[0][0]) if self.chunks else empty_since  # in time order
        while not self.chunks and len(self.emptied) > 1:  # a chunk to come needs only the latest
            self.emptied.popleft()
        self.ending.sort(key=lambda q: q.end)
        done = 0
        for p in self.ending:
            if p.end >= floor:
                break
            if p.id is not None:
                self.write_step(p)
            self.fold(p)
            done += 1
        del self.ending[:done]
        while self.dead and self.dead[0].end < floor and self.dead[0].folded:
            p = self.dead.popleft()
            # No report line or chunk to come can concern it: forget it, unless its fork is still
            # to be reported (which gives it a parent) or its pid is already another process's.
            if p.parent is not None and self.procs.get(p.pid) is p:
                del self.procs[p.pid]

    def attribute(self, after: float, at: float, data: bytes, began: float) -> None:
        while len(self.emptied) > 1 and self.emptied[1][0] < began:  # in time order, as chunks are
            self.emptied.popleft()
        if self.emptied and self.emptied[0][0] < began:
            after = max(after, self.emptied[0][1])
        writers = []
        for p in (*self.alive, *self.dead):
            if p.thread or p.born > at or p.end is not None and p.end <= after:
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
        """A finished process, its step written: its output (with that of the programs it started,
        folded into it as each ended) goes into its parent's, so a step's output is what its whole
        process tree printed; then only its running children still hold it."""
        p.folded = True
        parent = p.parent
        if parent is None:  # its fork is still to be reported: kept until then
            return
        if not parent.folded:  # else the parent's step is written already
            parent.children.remove(p)
            if parent is not self.root:  # the agent's own process is the run, not a step
                parent.output.absorb(p.output)
        p.output = Output()

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


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # killed by a signal: as a shell reports it


def _drop_to(user: str) -> None:
    entry = pwd.getpwnam(user)
    os.setgroups(os.getgrouplist(user, entry.pw_gid))
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)


def _start(command: list[str], user: str, env: dict[str, str], stop: bool, output: int | None = None) -> int:
    """Fork the agent's process, as `user`, with the signal dispositions a shell would give it and
    `output` as its stdout and stderr; with `stop`, it stops itself before dropping root, for the
    tracer to attach to it."""
    pid = os.fork()
    if pid == 0:
        try:
            if output is not None:
                os.dup2(output, 1)
                os.dup2(output, 2)
            for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):  # Python changed these
                signal.signal(sig, signal.SIG_DFL)
            if stop:
                os.kill(os.getpid(), signal.SIGSTOP)
            _drop_to(user)
            os.execvpe(command[0], command, env)
        except OSError as e:
            print(f"{command[0]}: {e}", file=sys.stderr)
        os._exit(127)
    return pid


# --- the tracer ---------------------------------------------------------------------------------
# ptrace's requests, options and events are the same numbers on every Linux architecture.
PTRACE_CONT, PTRACE_GETEVENTMSG, PTRACE_SEIZE, PTRACE_LISTEN = 7, 0x4201, 0x4206, 0x4208
PTRACE_O_TRACEFORK, PTRACE_O_TRACEVFORK, PTRACE_O_TRACECLONE, PTRACE_O_TRACEEXEC = 0x2, 0x4, 0x8, 0x10
EVENT_FORK, EVENT_VFORK, EVENT_CLONE, EVENT_EXEC, EVENT_STOP = 1, 2, 3, 4, 128
WALL = 0x40000000  # __WALL: threads too (os has no name for it)
GROUP_STOPS = {signal.SIGSTOP, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU}


class _Detach(Exception):
    """DETACH_AFTER has passed since the agent's own process ended."""


def _trace(command: list[str], user: str, env: dict[str, str], report: int, output: int, output_read: int) -> int:
    """The tracer process: start the agent's command and report its programs' events on `report`,
    one line each (Recorder.feed reads them):

        fork <time> <pid> <child pid> <1 if the child is a thread of pid, else 0>
        exec <time> <pid> <1 if its stdout or stderr is the agent's output, 0 if not, - if unknown> <argv as JSON>
        exit <time> <pid> <exit code, 128 + signal if killed> <a time by which the agent's output
             was found empty after the exit, or - if it was not empty>
        unrecorded <why the command runs untraced>

    Returns the agent's exit code, once every traced process has ended or DETACH_AFTER after the
    agent's own process ended (the kernel detaches what still runs when the tracer exits)."""
    try:
        import ctypes  # only here: the harness imports this file too, and not every Python has ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        ptrace = libc.ptrace
    except (ImportError, OSError, AttributeError) as e:
        return _untraced(command, user, env, report, output, f"the agent image's python3 cannot call ptrace ({e})")
    ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    ptrace.restype = ctypes.c_long
    output_inode = f"pipe:[{os.fstat(output).st_ino}]"
    root = _start(command, user, env, stop=True, output=output)
    os.close(output)  # the agent's processes alone hold it: it ends when the last of them does
    os.waitpid(root, os.WUNTRACED)  # stopped itself: still root's, so attaching needs no capability
    options = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC
    if ptrace(PTRACE_SEIZE, root, None, options) != 0:
        _write_all(report, f"unrecorded the kernel refused tracing: {os.strerror(ctypes.get_errno())}\n".encode())
        os.kill(root, signal.SIGCONT)
        return _exit_code(os.waitpid(root, 0)[1])
    os.kill(root, signal.SIGCONT)
    # The agent's processes are its user's: reading their /proc/<pid>/fd needs its file system ids.
    entry = pwd.getpwnam(user)
    libc.setfsgid(entry.pw_gid)
    libc.setfsuid(entry.pw_uid)

    waiting, detaching = [False], [False]

    def detach(*_):  # only from the blocking wait: elsewhere it would cut a report line or a ptrace call
        detaching[0] = True
        if waiting[0]:
            raise _Detach

    signal.signal(signal.SIGALRM, detach)
    message = ctypes.c_ulong()
    message_at = ctypes.addressof(message)
    wait, now, stopped, stop_signal = os.waitpid, time.time, os.WIFSTOPPED, os.WSTOPSIG  # the loop's hot names
    agent_exit = None
    # Each stop holds up the process (and, for a fork, its parent): what it needs is read while
    # it is stopped, and said (one write, which wakes nobody unless output waits) once it runs.
    try:
        while True:
            waiting[0] = True
            if detaching[0]:
                break
            try:
                pid, status = wait(-1, WALL)
            except ChildProcessError:  # every traced process has ended
                break
            waiting[0] = False
            if not stopped(status):
                code, ended = _exit_code(status), now()
                # The output it wrote has been read if the pipe is empty now: what is read later is
                # then not taken for the ended program's, however late the recorder reads.
                emptied = "-" if _unread(output_read) else f"{now() + 1e-6:.6f}"
                _write_all(report, f"exit {ended:.6f} {pid} {code} {emptied}\n".encode())
                if pid == root:
                    agent_exit = code
                    signal.setitimer(signal.ITIMER_REAL, DETACH_AFTER)
                continue
            event = status >> 16
            if event == 0:  # a signal on its way to the process: deliver it
                ptrace(PTRACE_CONT, pid, None, stop_signal(status))
            elif event == EVENT_EXEC:
                when = now()
                ptrace(PTRACE_GETEVENTMSG, pid, None, message_at)
                former, holds, argv = message.value, _holds(pid, output_inode), _cmdline(pid)
                ptrace(PTRACE_CONT, pid, None, 0)
                gone = f"exit {when:.6f} {former} 0\n" if former != pid else ""  # a thread ran exec: now pid
                argv = json.dumps(_argv(argv), ensure_ascii=False)
                _write_all(report, f"{gone}exec {when:.6f} {pid} {holds} {argv}\n".encode())
            elif event in (EVENT_FORK, EVENT_VFORK, EVENT_CLONE):
                when = now()
                ptrace(PTRACE_GETEVENTMSG, pid, None, message_at)
                ptrace(PTRACE_CONT, pid, None, 0)
                child = message.value
                thread = event == EVENT_CLONE and os.path.exists(f"/proc/{pid}/task/{child}")
                _write_all(report, f"fork {when:.6f} {pid} {child} {int(thread)}\n".encode())
            elif event == EVENT_STOP and stop_signal(status) in GROUP_STOPS:  # stopped by SIGSTOP & co: stay so
                ptrace(PTRACE_LISTEN, pid, None, None)
            else:  # a new process's first stop, and the like
                ptrace(PTRACE_CONT, pid, None, 0)
    except _Detach:
        pass
    waiting[0] = False
    signal.setitimer(signal.ITIMER_REAL, 0)
    return agent_exit if agent_exit is not None else 0


def _exec_compiled_tracer(command: list[str], user: str, env: dict[str, str], report: int, output: int,
                          output_read: int) -> None:
    """Become the compiled tracer (COMPILED_TRACER: `_trace` in C, same report) if the image has it;
    return if it has not, for `_trace` to trace in Python."""
    if not os.access(COMPILED_TRACER, os.X_OK):
        return
    entry = pwd.getpwnam(user)
    groups = ",".join(map(str, os.getgrouplist(user, entry.pw_gid)))
    fds = (report, output, output_read)
    for fd in fds:  # it makes them its own again (close-on-exec) before the agent's process starts
        os.set_inheritable(fd, True)
    try:
        os.execve(COMPILED_TRACER, [COMPILED_TRACER, *map(str, fds), str(entry.pw_uid), str(entry.pw_gid), groups,
                                    "--", *command], env)
    except OSError:
        for fd in fds:
            os.set_inheritable(fd, False)


def _untraced(command: list[str], user: str, env: dict[str, str], report: int, output: int, reason: str) -> int:
    _write_all(report, f"unrecorded {reason}\n".encode())
    root = _start(command, user, env, stop=False, output=output)
    os.close(output)
    return _exit_code(os.waitpid(root, 0)[1])


def _unread(pipe: int) -> int:
    """Bytes waiting in a pipe."""
    return int.from_bytes(fcntl.ioctl(pipe, termios.FIONREAD, b"\0\0\0\0"), sys.byteorder)


def _cmdline(pid: int) -> bytes:
    try:
        fd = os.open(f"/proc/{pid}/cmdline", os.O_RDONLY)
    except OSError:
        return b""
    try:
        parts = []
        while part := os.read(fd, 1 << 16):
            parts.append(part)
        return b"".join(parts)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _argv(cmdline: bytes) -> list[str]:
    return [_clipped(arg) for arg in cmdline.decode("utf-8", "replace").split("\0")[:-1]]


def _clipped(arg: str) -> str:
    return arg if len(arg) <= ARG_MAX_CHARS else arg[:ARG_MAX_CHARS] + "..."


def _holds(pid: int, output_inode: str) -> str:
    """Whether the process's stdout or stderr is the agent's output: "1", "0", or "-" (unknown)."""
    seen = "-"
    for fd in (1, 2):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == output_inode:
                return "1"
            seen = "0"
        except OSError:
            continue
    return seen


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BrokenPipeError:  # the reader stopped listening: keep going
            return


def run(command: list[str], user: str, steps_path: str) -> int:
    entry = pwd.getpwnam(user)
    env = {**os.environ, "HOME": entry.pw_dir, "USER": user, "LOGNAME": user}
    os.makedirs(os.path.dirname(steps_path), mode=0o700, exist_ok=True)
    with open(steps_path, "a", encoding="utf-8") as steps:
        # The agent's stdout and stderr: one pipe, so what it prints keeps its order. We own it
        # (root, mode 0600): the agent holds only its write end and cannot reopen it to read.
        # The tracer's report: a pipe that only our two processes hold.
        output, agent_output = os.pipe()
        report, report_end = os.pipe()
        for fd in (output, report):
            _grow(fd)
            os.set_blocking(fd, False)
        tracer = os.fork()
        if tracer == 0:
            code = 111
            try:
                os.close(report)
                _exec_compiled_tracer(command, user, env, report_end, agent_output, output)
                code = _trace(command, user, env, report_end, agent_output, output)
            except BaseException as e:  # noqa: BLE001 - said on the agent's log; the run goes on
                print(f"command recorder: the tracer failed: {e!r}", file=sys.stderr)
            os._exit(code)
        os.close(agent_output)
        os.close(report_end)
        view = ProcView(output, entry.pw_uid, entry.pw_gid)
        recorder = Recorder(steps, view=view, starts=True)
        try:
            failure = _follow(recorder, report, output)
        finally:
            view.close()
        status = os.waitpid(tracer, 0)[1]
        os.close(report)
        if recorder.root is None and recorder.unrecorded is None:
            # The tracer failed before the agent's command ran, or while it ran: never run it twice.
            recorder.unrecorded = (f"the command recorder's tracer failed (exit {_exit_code(status)}); its message "
                                   "is in the agent's log")
        if recorder.unrecorded is not None:
            steps.write(json.dumps({"unrecorded": recorder.unrecorded}) + "\n")
        elif failure is None:
            recorder.finish()
        else:
            steps.write(json.dumps({"unrecorded": f"the command recorder failed: {failure!r}"}) + "\n")
        steps.write(json.dumps({"done": True}) + "\n")
        os.close(output)  # programs left running now get EPIPE, as when the harness's stream ends
        return recorder.agent_exit if recorder.agent_exit is not None else _exit_code(status)


def _grow(pipe: int) -> None:
    """Give a pipe PIPE_SIZE bytes: a fast writer then waits less on us (and we wake less)."""
    try:
        fcntl.fcntl(pipe, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except OSError:  # a lower pipe-max-size: the default size works, only slower
        pass


def _follow(recorder: Recorder, report: int, output: int) -> Exception | None:
    """Feed the tracer's report and the agent's output to `recorder` until the report ends, passing
    the output on to our stdout (the harness's log of the agent). Returns what broke the
    recording, if anything did: the output still flows, so a fault of ours cannot stop the agent."""
    partial = b""
    empty_since = time.time()
    output_open = True
    report_due = 0.0
    failure = None
    while True:
        # Wake for the report only when output waits for it, or at the end (no output can come, or
        # the agent's own process has ended): else read it every REPORT_EVERY seconds.
        watch_report = bool(recorder.chunks) or not output_open or recorder.agent_exit is not None
        sources = [output] * output_open + [report] * watch_report
        now = time.time()
        wait = SETTLE_AFTER if watch_report else max(0.0, report_due - now)
        select.select(sources, [], [], wait)
        now = time.time()
        lines = []
        if watch_report or now >= report_due:
            report_due = now + REPORT_EVERY
            data = _read_all(report)
            if data is None:  # the tracer has exited, and its last lines are read
                break
            if data:
                *lines, partial = (partial + data).split(b"\n")
        if failure is None:
            try:  # first the report: what it makes us read of /proc is then older than the output
                for line in lines:
                    recorder.feed(line.decode("utf-8", "replace"))
                if lines:
                    recorder.steps_file.flush()  # the programs that started, for the harness's live view
            except Exception as e:  # noqa: BLE001 - reported in the steps file
                failure = e
        # Always look at the output, even when only the report woke us: a program's last words are
        # in the pipe before its exit is reported, and an empty pipe dates the next chunk.
        chunks = []
        if output_open:
            chunks, empty_since, output_open = _drain(output, empty_since)
        if failure is None:
            try:
                for chunk in chunks:
                    recorder.output(*chunk)
                recorder.settle(time.time(), not lines, empty_since)
            except Exception as e:  # noqa: BLE001 - reported in the steps file
                failure = e
        if chunks and len(chunks[-1][0]) < PIPE_SIZE // 16 and output_open:
            # Short output: let more gather, unless a program starts or ends (the report says so).
            select.select([report], [], [], COALESCE)
    if output_open:
        chunks, empty_since, _ = _drain(output, empty_since)
        if failure is None:
            for chunk in chunks:
                recorder.output(*chunk)
    return failure


def _read_all(fd: int) -> bytes | None:
    """What a non-blocking pipe holds now (b"" if nothing); None once it has ended."""
    parts = []
    while True:
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return b"".join(parts)
        if not data:
            return b"".join(parts) if parts else None
        parts.append(data)


def _drain(output: int, empty_since: float) -> tuple[list[tuple[bytes, float, float, float]], float, bool]:
    """Read all the output there is now and pass it on: (the chunks, each with the times it was
    written between and when its read began; when the pipe was found empty; whether it can still
    bring more)."""
    chunks = []
    while True:
        before = time.time()
        try:
            data = os.read(output, READ_SIZE)
        except BlockingIOError:
            return chunks, before, True
        if not data:
            return chunks, before, False
        chunks.append((data, empty_since, time.time(), before))
        _write_all(1, data)
        empty_since = before


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


def follow(steps_path: str) -> int:
    """Pass the steps file's lines on to stdout as the recorder writes them, from its first line to its
    last ({"done": true}); the file may not exist yet. A line over FOLLOW_LINE_MAX bytes is left out
    (a root agent may write the file: the harness reads what comes as data, within bounds)."""
    while True:
        try:
            fd = os.open(steps_path, os.O_RDONLY)
            break
        except FileNotFoundError:
            time.sleep(FOLLOW_EVERY)
    line, skipping = b"", False
    while True:
        data = os.read(fd, READ_SIZE)
        if not data:
            time.sleep(FOLLOW_EVERY)
            continue
        *whole, line = (line + data).split(b"\n")
        out = []
        for text in whole:
            if not skipping:
                out.append(text + b"\n")
            skipping = False
            if text.startswith(b'{"done"'):
                _write_all(1, b"".join(out))
                return 0
        if len(line) > FOLLOW_LINE_MAX:
            line, skipping = b"", True
        _write_all(1, b"".join(out))


USAGE = ("usage: command_recorder.py --user USER --steps FILE -- COMMAND [ARG...]\n"
         "       command_recorder.py --follow FILE")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "--follow":
        return follow(args[1])
    if "--" not in args:
        sys.exit(USAGE)
    at = args.index("--")
    options, command = dict(zip(args[:at:2], args[1:at:2])), args[at + 1:]
    if not command or set(options) != {"--user", "--steps"}:
        sys.exit(USAGE)
    return run(command, options["--user"], options["--steps"])


if __name__ == "__main__":
    sys.exit(main())
