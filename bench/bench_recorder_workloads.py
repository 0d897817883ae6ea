"""What recording every program costs an agent's own work: the issue-21 workloads, recording on vs off.

One agent container of the base image (built if missing) is started as the harness starts it; each
workload runs in it as the agent runs, through the harness's two paths: `run_recorded` (the default)
and a plain `Sandbox.exec` (`--no-record-commands`), alternating, in one sitting. A workload times
itself inside the container (bash's $EPOCHREALTIME around it), so the figure is what the agent's
own work took; the recorder's start-up is the separate first row (`true`, timed from the host).
Each sandbox has a trajectory, as in a run, so a recorded run is also followed live (a second exec
follows the recorder's steps file and the host appends to trajectory.jsonl as programs start and end).

Targets (issue 21): every workload within 1.05x of recording off, starting programs within 1.25x,
and the recorder's start-up at most 0.15 s.

    .venv/bin/python bench/bench_recorder_workloads.py [--repeats 3] [--recorder PATH] [--only NAME] [--data-science]
                                                       [--python-tracer]

`--data-science` runs them all in an image built FROM the base with Debian's python3-numpy and
python3-pandas (from the Debian mirror the base image uses: containers do not reach PyPI), so that
the numpy+pandas workload runs too; without it that workload is skipped where the image lacks them.

`--recorder` puts another command_recorder.py into the container; given twice, both are measured,
alternating with the unrecorded run, in one sitting (say main's and this one, to compare before and
after: `git show main:pytest_agentbench/sandbox/command_recorder.py > /tmp/old.py`, then
`--recorder /tmp/old.py --recorder pytest_agentbench/sandbox/command_recorder.py`); the verdict is the
last one's. `--python-tracer` adds a column: the last recorder where the image lacks the compiled
tracer (base_image/command_tracer.c), so that it traces in Python, as with a --base-image where the
tracer could not be built.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pytest_agentbench.sandbox.base import SandboxSpec  # noqa: E402
from pytest_agentbench.sandbox.docker import DockerEngine  # noqa: E402
from pytest_agentbench.sandbox.images import ImageRecipe, ensure_base_image, ensure_image  # noqa: E402
from pytest_agentbench.sandbox.command_recorder import COMPILED_TRACER  # noqa: E402
from pytest_agentbench.sandbox.recording import RECORDER, RECORDER_PATH, recorder_command, run_recorded  # noqa: E402
from pytest_agentbench.trajectory import TrajectoryRecorder  # noqa: E402

USER = "nonroot"
WORK = "/tmp/bench"  # the agent's scratch files, removed after each run
LINE = "'x' * 65535 + '\\n'"  # 3000 of them: 196 MB
WORKLOADS = {
    "head -c 200000000 /dev/zero > file": f"head -c 200000000 /dev/zero > {WORK}/zero",
    "python: 196 MB to stdout > file":
        f"python3 -c \"import sys; w = sys.stdout.write; line = {LINE}; [w(line) for _ in range(3000)]\""
        f" > {WORK}/out",
    "python: 196 MB to a file it opened":
        f"python3 -c \"f = open('{WORK}/out', 'w'); line = {LINE}; [f.write(line) for _ in range(3000)]\"",
    "csv: write and read 200,000 rows": f"""python3 - <<'PY'
import csv
with open('{WORK}/rows.csv', 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['id', 'name', 'value', 'ratio'])
    for i in range(200000):
        w.writerow([i, f'name{{i}}', i * 7 % 1000, i / 3])
with open('{WORK}/rows.csv', newline='') as f:
    total = sum(float(row[3]) for row in list(csv.reader(f))[1:])
print(total)
PY""",
    "20,000 flushed progress lines":
        "python3 -c \"[print(f'step {i} loss {1 / (i + 1):.5f}', flush=True) for i in range(20000)]\"",
    "start 500 programs (/bin/true)": "for i in $(seq 500); do /bin/true; done",
    "pure-Python loop": "python3 -c \"s = 0\nfor i in range(10_000_000): s += i\"",
    "numpy+pandas: 100 MB CSV write and read": f"""python3 - <<'PY'
import numpy as np, pandas as pd
frame = pd.DataFrame(np.random.default_rng(0).random((1_000_000, 5)))
frame.to_csv('{WORK}/frame.csv', index=False)
print(len(pd.read_csv('{WORK}/frame.csv')))
PY""",
}
NEEDS = {"numpy+pandas: 100 MB CSV write and read": "import numpy, pandas"}
TARGETS = {"start 500 programs (/bin/true)": 1.25}
TARGET = 1.05
TARGET_STARTUP_S = 0.15
MARK = "BENCH_ELAPSED"
DATA_SCIENCE_DOCKERFILE = """\
ARG FROM_IMAGE
FROM ${FROM_IMAGE}
USER root
RUN apt-get update && apt-get install -y --no-install-recommends python3-numpy python3-pandas \\
    && rm -rf /var/lib/apt/lists/*
"""


def data_science_image(engine, base: str) -> str:
    with tempfile.TemporaryDirectory() as context:  # the tag hashes the Dockerfile: built once per base
        (Path(context) / "Dockerfile").write_text(DATA_SCIENCE_DOCKERFILE)
        return ensure_image(engine, ImageRecipe("bench-data-science", Path(context), {"FROM_IMAGE": base}),
                            log=lambda line: print(line, end="", flush=True))


def timed(sandbox, script: str, recorded: bool) -> float:
    """Seconds the workload took inside the container."""
    wrapped = (f"mkdir -p {WORK}; s=$EPOCHREALTIME; {script}\ne=$EPOCHREALTIME; rm -rf {WORK}; "
               f"echo {MARK} $s $e")
    log = bytearray()  # as agent.log: the harness streams the exec's output
    run = run_recorded if recorded else _plain
    result = run(sandbox, ["bash", "-c", wrapped], user=USER, env={}, workdir="/home", kill_sandbox_after=900,
                 on_output=log.extend)
    if result.exit_code != 0:
        raise SystemExit(f"workload failed ({result.exit_code}): {script}\n{result.output[-2000:]}")
    start, end = map(float, result.output.rsplit(MARK, 1)[1].split()[:2])
    return end - start


def startup(sandbox, recorded: bool) -> float:
    """Seconds, seen from the host, of a command that starts no program: what the recorder adds to
    every item (its steps file is then copied out: bench_overhead.py times the whole item)."""
    command = [*recorder_command(USER), "true"] if recorded else ["true"]
    begin = time.perf_counter()
    sandbox.exec(command, user="root" if recorded else USER, workdir="/home", kill_sandbox_after=60, record=False)
    return time.perf_counter() - begin


def _plain(sandbox, command, **kwargs):
    return sandbox.exec(command, record=False, **kwargs)


def available(sandbox, name: str) -> bool:
    check = NEEDS.get(name)
    return check is None or sandbox.exec(["python3", "-c", check], user=USER, record=False).exit_code == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--recorder", type=Path, action="append",
                        help="a command_recorder.py to measure (repeat it to compare recorders in one sitting)")
    parser.add_argument("--only", action="append", help="run only workloads whose name contains this")
    parser.add_argument("--data-science", action="store_true", help="add numpy and pandas to the image (built once)")
    parser.add_argument("--python-tracer", action="store_true",
                        help="measure the last recorder twice: also where the image lacks the compiled tracer")
    args = parser.parse_args()
    recorders = args.recorder or [RECORDER]
    judged = len(recorders) - 1  # the verdict is the last recorder's (the new one), with the compiled tracer
    if args.python_tracer:
        recorders = [*recorders, recorders[-1]]
    engine = DockerEngine(run_id=f"bench-recorder-{int(time.time())}")
    image = ensure_base_image(engine)
    if args.data_science:
        image = data_science_image(engine, image)
    # One container per recorder (its path in the container is fixed); "off" runs in the first.
    # Each with a trajectory, as the harness's: recorded runs are then followed live (trajectory.LiveRun).
    trajectories = tempfile.TemporaryDirectory(prefix="bench-recorder-")
    sandboxes = [engine.start(SandboxSpec(image=image, name=f"bench-recorder-{int(time.time())}-{i}"),
                              files=[(recorder, RECORDER_PATH, 0, 0o644)],
                              trajectory=TrajectoryRecorder(Path(trajectories.name) / f"{i}.jsonl"))
                 for i, recorder in enumerate(recorders)]
    if args.python_tracer:  # as in an image built FROM a --base-image where it could not be compiled
        sandboxes[-1].exec(["rm", "-f", COMPILED_TRACER], user="root", record=False)
    failed = []
    try:
        print(f"image {image}, median of {args.repeats}, seconds of the agent's own work; recorders:")
        for i, recorder in enumerate(recorders):
            python = args.python_tracer and i == len(recorders) - 1
            python = " (tracing in Python: no compiled tracer)" if python else ""
            print(f"  on{i + 1 if len(recorders) > 1 else ''}: {recorder}{python}")
        print(f"{'workload':42s} {'off':>8s}" + "".join(f" {'on' + (str(i + 1) if len(recorders) > 1 else ''):>8s}"
                                                      f" {'ratio':>7s}  {'target':22s}" for i in range(len(recorders))))
        rows = [("recorder start-up (`true`, from the host)", startup, None)]
        rows += [(name, None, script) for name, script in WORKLOADS.items()
                 if not args.only or any(o in name for o in args.only)]
        for name, measure, script in rows:
            if script is not None and not available(sandboxes[0], name):
                print(f"{name:42s} skipped: the image lacks it ({NEEDS[name]} fails)")
                continue
            off, on = [], [[] for _ in recorders]
            for _ in range(args.repeats):  # alternating, so a busy moment of the machine hits them all
                off.append(measure(sandboxes[0], False) if measure else timed(sandboxes[0], script, False))
                for sandbox, times in zip(sandboxes, on):
                    times.append(measure(sandbox, True) if measure else timed(sandbox, script, True))
            off_s = statistics.median(off)
            line = f"{name:42s} {off_s:8.3f}"
            for i, times in enumerate(on):
                on_s = statistics.median(times)
                if measure:
                    ok = on_s - off_s <= TARGET_STARTUP_S
                    verdict = f"+{on_s - off_s:.3f} s (<= {TARGET_STARTUP_S} s) {'OK' if ok else 'OVER'}"
                else:
                    target = TARGETS.get(name, TARGET)
                    ok = on_s <= target * off_s
                    verdict = f"<= {target}x {'OK' if ok else 'OVER'}"
                if not ok and i == judged:
                    failed.append(name)
                line += f" {on_s:8.3f} {on_s / off_s:6.2f}x  {verdict:22s}"
            print(line.rstrip(), flush=True)
    finally:
        for sandbox in sandboxes:
            engine.discard(sandbox)
        engine.drain()
        trajectories.cleanup()
    print("OK: all within target" if not failed else f"OVER TARGET: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
