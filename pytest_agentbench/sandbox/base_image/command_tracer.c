/* The command recorder's tracer, compiled: command_recorder.py's `_trace`, without Python's time
 * at each stop.
 *
 * Every program an agent starts stops its processes four times (its parent's fork, its own first
 * stop, its exec, its parent's SIGCHLD), and each stop waits for the tracer: what the tracer does
 * there is on the agent's clock. This file does what `_trace` does, in the same order, and writes
 * the same report (one line per event; Recorder.feed reads it), so the recorder cannot tell them
 * apart. command_recorder.py execs it when the image has it (the base image compiles it), and
 * traces in Python when it does not.
 *
 *     command_tracer REPORT_FD OUTPUT_FD OUTPUT_READ_FD UID GID GROUPS -- COMMAND [ARG...]
 *
 * REPORT_FD: the report's write end; OUTPUT_FD: the agent's stdout and stderr (a pipe's write
 * end), OUTPUT_READ_FD: that pipe's read end (only to see whether it is empty); UID, GID and GROUPS
 * (comma-separated, maybe empty): the agent's user. The command runs with this process's
 * environment. Exits with the agent's exit code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#define DETACH_AFTER_US 1000000 /* command_recorder.DETACH_AFTER */
/* Bytes kept of each argument: the recorder keeps ARG_MAX_CHARS (4096) characters of it, and any
 * 16385 bytes decode to more than 4096 characters, so what is cut here it cuts anyway. */
#define ARG_BYTES 16388

static int report = -1;
static volatile sig_atomic_t waiting, detaching;
static volatile sig_atomic_t agent_exit = -1;

/* Only from the blocking wait: elsewhere it would cut a report line or a ptrace call. Exiting
 * detaches what still runs (the kernel lets it go on untraced). */
static void detach(int sig) {
    (void)sig;
    detaching = 1;
    if (waiting)
        _exit(agent_exit >= 0 ? agent_exit : 0);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* The report: one buffer, written whole at each event (the reader splits lines). */
static char *line;
static size_t line_len, line_cap;

static void put(const char *data, size_t n) {
    if (line_len + n > line_cap) {
        size_t cap = line_cap ? line_cap : 4096;
        while (cap < line_len + n)
            cap *= 2;
        char *grown = realloc(line, cap);
        if (!grown)
            return; /* out of memory: this line is cut, the run goes on */
        line = grown;
        line_cap = cap;
    }
    memcpy(line + line_len, data, n);
    line_len += n;
}

static void putf(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void putf(const char *format, ...) {
    char buf[128];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    if (n > 0)
        put(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void flush(void) {
    size_t done = 0;
    while (done < line_len) {
        ssize_t n = write(report, line + done, line_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* the reader stopped listening: keep going */
        done += (size_t)n;
    }
    line_len = 0;
}

/* The arguments, NUL-separated as /proc/<pid>/cmdline has them, as a JSON list of strings as
 * Python's json.dumps(..., ensure_ascii=False) writes it; bytes that are not UTF-8 go as they are
 * (the recorder decodes the report with errors="replace", as it would decode the argv). */
static void put_argv(const char *cmdline, size_t n) {
    static const char hex[] = "0123456789abcdef";
    put("[", 1);
    size_t i = 0, arg = 0;
    int first = 1;
    while (i < n) {
        if (!first)
            put(", ", 2);
        first = 0;
        put("\"", 1);
        for (arg = 0; i < n && cmdline[i]; i++, arg++) {
            unsigned char c = (unsigned char)cmdline[i];
            if (arg >= ARG_BYTES)
                continue;
            switch (c) {
            case '"': put("\\\"", 2); break;
            case '\\': put("\\\\", 2); break;
            case '\n': put("\\n", 2); break;
            case '\r': put("\\r", 2); break;
            case '\t': put("\\t", 2); break;
            case '\b': put("\\b", 2); break;
            case '\f': put("\\f", 2); break;
            default:
                if (c < 0x20) {
                    char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                    put(esc, 6);
                } else {
                    put((const char *)&c, 1);
                }
            }
        }
        put("\"", 1);
        i++; /* the NUL after the argument */
    }
    put("]", 1);
}

/* /proc/<pid>/cmdline, read while the process is stopped at its exec. */
static char *cmdline;
static size_t cmdline_cap;

static size_t read_cmdline(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t n = 0;
    for (;;) {
        if (n == cmdline_cap) {
            size_t cap = cmdline_cap ? cmdline_cap * 2 : 1 << 16;
            char *grown = realloc(cmdline, cap);
            if (!grown)
                break;
            cmdline = grown;
            cmdline_cap = cap;
        }
        ssize_t got = read(fd, cmdline + n, cmdline_cap - n);
        if (got < 0) {
            n = 0;
            break;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    return n;
}

/* Whether the process's stdout or stderr is the agent's output: '1', '0', or '-' (unknown). */
static char holds(pid_t pid, const char *output_inode) {
    char seen = '-';
    for (int fd = 1; fd <= 2; fd++) {
        char path[64], target[64];
        snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0)
            continue;
        target[n] = 0;
        if (strcmp(target, output_inode) == 0)
            return '1';
        seen = '0';
    }
    return seen;
}

static int exit_code(int status) {
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status); /* killed by a signal: as a shell reports it */
    return WEXITSTATUS(status);
}

static int is_group_stop(int sig) {
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* The agent's process: `output` as its stdout and stderr, the signal dispositions a shell would
 * give it (Python, which started us, ignores SIGPIPE and SIGXFSZ), stopped until the tracer has
 * seized it, then the agent's user. */
static pid_t start(char **command, int output, int stop, uid_t uid, gid_t gid, gid_t *groups, int ngroups) {
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    dup2(output, 1);
    dup2(output, 2);
    if (output > 2)
        close(output);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGXFSZ, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    if (stop)
        kill(getpid(), SIGSTOP);
    if (setgroups((size_t)ngroups, groups) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        fprintf(stderr, "command recorder: cannot become uid %d: %s\n", (int)uid, strerror(errno));
        _exit(127);
    }
    execvp(command[0], command);
    fprintf(stderr, "%s: %s\n", command[0], strerror(errno));
    _exit(127);
    return -1; /* not reached (for compilers that do not know _exit) */
}

static int wait_exit(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 111;
    return exit_code(status);
}

int main(int argc, char **argv) {
    if (argc < 9 || strcmp(argv[7], "--") != 0) {
        fprintf(stderr, "usage: command_tracer REPORT_FD OUTPUT_FD OUTPUT_READ_FD UID GID GROUPS -- COMMAND...\n");
        return 111;
    }
    report = atoi(argv[1]);
    int output = atoi(argv[2]), output_read = atoi(argv[3]);
    uid_t uid = (uid_t)strtoul(argv[4], NULL, 10);
    gid_t gid = (gid_t)strtoul(argv[5], NULL, 10);
    gid_t groups[256];
    int ngroups = 0;
    for (char *g = argv[6]; *g && ngroups < 256;) {
        groups[ngroups++] = (gid_t)strtoul(g, &g, 10);
        if (*g == ',')
            g++;
    }
    char **command = argv + 8;
    /* Ours alone: the agent's processes must not hold the report, nor the output's read end. */
    fcntl(report, F_SETFD, FD_CLOEXEC);
    fcntl(output_read, F_SETFD, FD_CLOEXEC);
    struct stat st;
    char output_inode[64];
    if (fstat(output, &st) != 0) {
        perror("command recorder: the agent's output");
        return 111;
    }
    snprintf(output_inode, sizeof output_inode, "pipe:[%lu]", (unsigned long)st.st_ino);

    pid_t root = start(command, output, 1, uid, gid, groups, ngroups);
    if (root < 0) {
        perror("command recorder: fork");
        return 111;
    }
    close(output); /* the agent's processes alone hold it: it ends when the last of them does */
    int status;
    waitpid(root, &status, WUNTRACED); /* stopped itself: still root's, so attaching needs no capability */
    long options = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;
    if (ptrace(PTRACE_SEIZE, root, NULL, (void *)options) != 0) {
        putf("unrecorded the kernel refused tracing: %s\n", strerror(errno));
        flush();
        kill(root, SIGCONT);
        return wait_exit(root);
    }
    kill(root, SIGCONT);
    /* The agent's processes are its user's: reading their /proc/<pid>/fd needs its file system ids. */
    setfsgid(gid);
    setfsuid(uid);

    struct sigaction alarm_action = {0};
    alarm_action.sa_handler = detach; /* no SA_RESTART: the wait ends */
    sigaction(SIGALRM, &alarm_action, NULL);

    /* Each stop holds up the process (and, for a fork, its parent): what it needs is read while
     * it is stopped, and said (one write, which wakes nobody unless output waits) once it runs. */
    for (;;) {
        waiting = 1;
        if (detaching)
            break;
        pid_t pid = waitpid(-1, &status, __WALL);
        waiting = 0;
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break; /* ECHILD: every traced process has ended */
        }
        if (!WIFSTOPPED(status)) {
            int code = exit_code(status);
            double ended = now();
            /* The output it wrote has been read if the pipe is empty now: what is read later is
             * then not taken for the ended program's, however late the recorder reads. */
            int unread = 0;
            if (ioctl(output_read, FIONREAD, &unread) != 0)
                unread = 1;
            if (unread)
                putf("exit %.6f %d %d -\n", ended, pid, code);
            else
                putf("exit %.6f %d %d %.6f\n", ended, pid, code, now() + 1e-6);
            flush();
            if (pid == root) {
                agent_exit = code;
                struct itimerval after = {{0, 0}, {DETACH_AFTER_US / 1000000, DETACH_AFTER_US % 1000000}};
                setitimer(ITIMER_REAL, &after, NULL);
            }
            continue;
        }
        int event = status >> 16, sig = WSTOPSIG(status);
        unsigned long message = 0;
        if (event == 0) { /* a signal on its way to the process: deliver it */
            ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
        } else if (event == PTRACE_EVENT_EXEC) {
            double when = now();
            ptrace(PTRACE_GETEVENTMSG, pid, NULL, &message);
            char held = holds(pid, output_inode);
            size_t n = read_cmdline(pid);
            ptrace(PTRACE_CONT, pid, NULL, NULL);
            if ((pid_t)message != pid) /* a thread ran exec: it is now pid */
                putf("exit %.6f %lu 0\n", when, message);
            putf("exec %.6f %d %c ", when, pid, held);
            put_argv(cmdline, n);
            put("\n", 1);
            flush();
        } else if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
            double when = now();
            ptrace(PTRACE_GETEVENTMSG, pid, NULL, &message);
            ptrace(PTRACE_CONT, pid, NULL, NULL);
            int thread = 0;
            if (event == PTRACE_EVENT_CLONE) {
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/task/%lu", pid, message);
                thread = access(path, F_OK) == 0;
            }
            putf("fork %.6f %d %lu %d\n", when, pid, message, thread);
            flush();
        } else if (event == PTRACE_EVENT_STOP && is_group_stop(sig)) { /* stopped by SIGSTOP & co: stay so */
            ptrace(PTRACE_LISTEN, pid, NULL, NULL);
        } else { /* a new process's first stop, and the like */
            ptrace(PTRACE_CONT, pid, NULL, NULL);
        }
    }
    return agent_exit >= 0 ? agent_exit : 0;
}
