"""Workplace tasks are graded in the agent's final machine, as TheAgentCompany grades them: a program
the agent installed counts (and counts again on --regrade, from the run group alone), while nothing the
agent left there (a preloaded library, its own python3, sitecustomize and .pth files, fake `scoring` and
`common` modules, a setuid shell) can forge the verdict, and no image of the machine outlives the run."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from support import AGENTS, labelled

pytestmark = pytest.mark.docker

# Full marks if `mytool --version` (run by the evaluator itself, as TAC's evaluators run `go version`)
# says 1.2.3 and /etc/issue is gone.
EVALUATOR = """\
import os
import subprocess

from common import grader
from scoring import Checkpoint, Result


@grader
def grade_checkpoint1():
    try:
        done = subprocess.run(["mytool", "--version"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return False
    return done.stdout.strip() == "mytool 1.2.3" and not os.path.exists("/etc/issue")


def grade_checkpoints(trajectory=""):
    return Result([Checkpoint(1, int(grade_checkpoint1()))])
"""
INSTALL = ("printf '#!/bin/sh\\necho mytool 1.2.3\\n' > /usr/local/bin/mytool\nchmod 755 /usr/local/bin/mytool\n"
           "rm /etc/issue\n")
# A full-marks result, as the runner reports one to the harness and the evaluator to the runner.
FORGED = json.dumps({"result": {"checkpoints": [{"total": 1, "result": 1}], "final_score": {"total": 1, "result": 1},
                                "score": 1.0, "judge_not_configured": None}, "exit": 0})
FAKE_SCORING = """\
class Checkpoint:
    def __init__(self, total, result):
        self.total, self.result = total, total
class Result:
    def __init__(self, checkpoints, scoring_strategy=None):
        self.checkpoints = [Checkpoint(1, 1)]
        self.final_score = {"total": 1, "result": 1}
"""
FAKE_COMMON = f"import os, sys\nsys.stdout.write({FORGED!r} + chr(10)); sys.stdout.flush(); os._exit(0)\n"
# Writes a full-marks result into every file descriptor of every process it may open.
FORGE_FDS = f"""\
import glob, os
for path in glob.glob("/proc/[0-9]*/fd/*"):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, {FORGED!r}.encode() + b"\\n")
        os.close(fd)
    except OSError:
        pass
"""
# Loaded into every program; in the grading runner's process it reports full marks and exits.
PRELOAD_C = r"""
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
__attribute__((constructor)) static void forge(void) {
    char cmdline[4096] = {0};
    int fd = open("/proc/self/cmdline", O_RDONLY);
    ssize_t n = fd < 0 ? 0 : read(fd, cmdline, sizeof cmdline - 1);
    for (ssize_t i = 0; i < n; i++) if (!cmdline[i]) cmdline[i] = ' ';
    if (!strstr(cmdline, "runner.py")) return;
    const char *line = FORGED "\n";
    write(1, line, strlen(line));
    _exit(0);
}
"""
SITE_DIRS = "/usr/lib/python3/dist-packages /usr/local/lib/python3.11/dist-packages /usr/lib/python3.11"
# What each attacker does (by its task's id), as root in its own container; none installs mytool.
ATTACKS = {
    "attack-ld-preload": "cp /home/agent/forge.so /usr/lib/forge.so\necho /usr/lib/forge.so > /etc/ld.so.preload\n",
    "attack-python": "for p in /usr/bin/python3 /usr/bin/python3.11 /usr/local/bin/python3; do\n"
                     f"  cat > $p <<'EOS'\n#!/bin/sh\necho '{FORGED}'\nEOS\n  chmod 755 $p\ndone\n",
    "attack-site": f"for d in {SITE_DIRS} /tmp/evil; do\n  mkdir -p $d\n"
                   "  cp /home/agent/fake_common.py $d/sitecustomize.py\n  cp /home/agent/fake_common.py $d/usercustomize.py\n"
                   "  echo 'import sitecustomize' > $d/00-evil.pth\ndone\n"
                   "echo PYTHONPATH=/tmp/evil >> /etc/environment\necho LD_PRELOAD=/usr/lib/forge.so >> /etc/environment\n",
    "attack-modules": f"for d in {SITE_DIRS} /workspace /utils /grader /grader/tac /; do\n  mkdir -p $d\n"
                      "  cp /home/agent/fake_scoring.py $d/scoring.py\n  cp /home/agent/fake_common.py $d/common.py\ndone\n",
    # mytool, run by the evaluator as its own user, writes a full-marks result into every file descriptor
    # it can reach (the evaluator's channel, the runner's stdout), through a setuid- and setgid-root shell as well.
    "attack-channel": "cp /bin/bash /usr/local/bin/rootsh\nchmod 6755 /usr/local/bin/rootsh\n"
                      "cat > /usr/local/bin/mytool <<'EOS'\n#!/bin/bash\n"
                      "python3 /home/agent/forge_fds.py\n"
                      "/usr/local/bin/rootsh -p -c 'python3 /home/agent/forge_fds.py'\n"
                      "echo mytool 0.0.1\nEOS\nchmod 755 /usr/local/bin/mytool\n",
}


def add_task(project: Path, task_id: str) -> None:
    task = project / "task_specs" / "tac" / task_id
    task.mkdir(parents=True)
    (task / "task.md").write_text("Install mytool 1.2.3 in /usr/local/bin and remove /etc/issue.\n")
    (task / "evaluator.py").write_text(EVALUATOR)
    (task / "dependencies.yml").write_text("[]\n")


def add_agent(project: Path, name: str, start_sh: str, files: dict[str, bytes] = {}) -> None:
    folder = project / "agents" / name
    folder.mkdir()
    (folder / "config.yaml").write_text(f"{name}:\n  start: start.sh\n")
    dockerfile = (AGENTS / "nop" / "Dockerfile").read_text()
    for file, data in files.items():
        (folder / file).write_bytes(data)
        dockerfile += f"COPY {file} /home/agent/\n"
    (folder / "Dockerfile").write_text(dockerfile)
    (folder / "start.sh").write_text(start_sh)


@pytest.fixture
def project(pytester, base_image_tag, monkeypatch):
    shutil.copytree(AGENTS / "nop", pytester.path / "agents" / "nop")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    for name in ("LITELLM_API_KEY", "LITELLM_BASE_URL", "LITELLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return pytester.path


def results(path: Path) -> dict[str, dict]:
    return {r["task_id"]: r for r in (json.loads(p.read_text()) for p in path.glob("runs/*/*/result.json"))}


def test_a_program_the_agent_installed_counts_and_counts_again_on_regrade(pytester, project, docker_client):
    add_task(project, "sde-install-mytool")
    add_agent(project, "installer", INSTALL)
    run = pytester.runpytest_subprocess("task_specs/tac", "--agent=installer", "-p", "no:cacheprovider")
    run.assert_outcomes(passed=1)
    saved = results(project)["sde-install-mytool"]
    assert saved["grade"]["score"] == 1.0
    folder = Path(saved["folder"])
    manifest = json.loads((folder / "final-machine" / "manifest.json").read_text())
    assert "/etc/issue" in manifest["deleted"] and manifest["changes_bytes"] > 0
    [group] = (project / "runs").iterdir()
    run_id = json.loads((folder / "result.json").read_text()).get("run_id") or group.name
    assert not [o for o in labelled(docker_client, run_id) if o.startswith("image")]

    # The dummy, graded in its own machine, has no mytool.
    shutil.move(group, project / "installed")
    dummy = pytester.runpytest_subprocess("task_specs/tac", "--agent=nop", "-p", "no:cacheprovider")
    assert dummy.ret == pytest.ExitCode.TESTS_FAILED
    assert results(project)["sde-install-mytool"]["grade"]["score"] == 0.0

    # --regrade rebuilds the machine from what the run group saved.
    again = pytester.runpytest_subprocess("--regrade", str(project / "installed"), "task_specs/tac",
                                          "-p", "no:cacheprovider")
    again.assert_outcomes(passed=1)
    regraded = json.loads((project / "installed" / folder.name / "result.json").read_text())
    assert regraded["grade"]["score"] == 1.0


@pytest.mark.skipif(shutil.which("gcc") is None, reason="builds the attacker's preloaded library with gcc")
def test_nothing_the_agent_left_in_its_machine_forges_the_verdict(pytester, project, tmp_path):
    source = tmp_path / "forge.c"
    source.write_text(PRELOAD_C.replace("FORGED", json.dumps(FORGED)))
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(tmp_path / "forge.so"), str(source)], check=True)
    for task_id in ATTACKS:
        add_task(project, task_id)
    script = "rm /etc/issue\ncase $TASK_ID in\n" + "".join(f"{t})\n{a};;\n" for t, a in ATTACKS.items()) + "esac\n"
    add_agent(project, "attacker", script, {"forge.so": (tmp_path / "forge.so").read_bytes(),
                                            "fake_common.py": FAKE_COMMON.encode(),
                                            "fake_scoring.py": FAKE_SCORING.encode(),
                                            "forge_fds.py": FORGE_FDS.encode()})
    run = pytester.runpytest_subprocess("task_specs/tac", "--agent=attacker", "-n", "2", "-p", "no:cacheprovider")
    saved = results(project)
    assert sorted(saved) == sorted(ATTACKS)
    for task_id, result in saved.items():
        assert result["outcome"] == "failed", (task_id, result["outcome"], run.stdout.str()[-3000:])
        assert result["grade"]["score"] == 0.0, (task_id, result["grade"])
