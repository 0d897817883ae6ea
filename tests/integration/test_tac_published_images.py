"""TheAgentCompany's published task images as tasks, through the four steps of TAC's evaluation guide.

No registry is reachable here, so the images are built here to the same contract: a plain Debian with
Python and the cryptography package (from the wheelhouse), `python_default`, /utils/init.sh, an eval.py
and scoring.py written for this test, the evaluator encrypted at build time with Fernet under TAC's
published key as TAC's encrypt.py does (and then deleted), a golden answer in /utils, and
/instruction/task.md."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from pytest_agentbench.sandbox.docker import DockerEngine
from pytest_agentbench.sandbox.images import ImageRecipe, ensure_image, ensure_rootfs_image

from support import AGENTS, add_agent, tac_summarise, tac_summary_rows

pytestmark = pytest.mark.docker
SERVER = "tac-servers.test"
GOLDEN = "forty-two"
FLAGS = {"sde-result-path": "--result_path", "sde-output-path": "--output_path"}  # TAC's code, TAC's guide
PERFECT = '{"checkpoints": [{"total": 4, "result": 4}], "final_score": {"total": 4, "result": 4}}'

SCORING = '''
class Checkpoint:
    def __init__(self, total, result):
        self.total, self.result = total, result


class Result:
    def __init__(self, checkpoints):
        self.checkpoints = checkpoints

    def to_dict(self):
        return {"checkpoints": [{"total": c.total, "result": c.result} for c in self.checkpoints],
                "final_score": {"total": sum(c.total for c in self.checkpoints),
                                "result": sum(c.result for c in self.checkpoints)}}
'''

EVAL = '''
import argparse, base64, json, os
from cryptography.fernet import Fernet

key = os.environ["DECRYPTION_KEY"].encode().ljust(32, b"\\0")[:32]
with open("/utils/evaluator.py.enc", "rb") as f:
    source = Fernet(base64.urlsafe_b64encode(key)).decrypt(f.read())
with open("/utils/evaluator.py", "wb") as f:
    f.write(source)
import evaluator

parser = argparse.ArgumentParser()
parser.add_argument("--trajectory_path")
parser.add_argument("FLAG", dest="out", required=True)
args = parser.parse_args()
trajectory = open(args.trajectory_path).read() if args.trajectory_path else ""
with open(args.out, "w") as f:
    json.dump(evaluator.grade_checkpoints(trajectory).to_dict(), f, indent=4)
'''

EVALUATOR = f'''
from scoring import Checkpoint, Result


def grade_checkpoints(trajectory=""):
    golden = open("/utils/golden_answer.txt").read().strip()
    try:
        answer = open("/workspace/answer.txt").read().strip()
    except OSError:
        answer = ""
    server = open("/workspace/server.txt").read().strip()
    return Result([Checkpoint(1, int(server == "{SERVER}")),   # init.sh ran, with SERVER_HOSTNAME
                   Checkpoint(2, 2 * int(answer == golden)),
                   Checkpoint(1, int("tee /workspace/answer.txt" in trajectory))])  # the agent's trajectory
'''

ENCRYPT = '''
import base64
from cryptography.fernet import Fernet

key = base64.urlsafe_b64encode(b"theagentcompany is all you need".ljust(32, b"\\0")[:32])  # TAC's, padded as TAC pads it
with open("/utils/evaluator.py", "rb") as f:
    token = Fernet(key).encrypt(f.read())
with open("/utils/evaluator.py.enc", "wb") as f:
    f.write(token)
'''

INIT = '''#!/bin/sh
set -e
if [ "$SERVER_HOSTNAME" = "unreachable.test" ]; then echo "no route to $SERVER_HOSTNAME" >&2; exit 3; fi
echo "$SERVER_HOSTNAME" > /workspace/server.txt
'''

DOCKERFILE = '''ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY wheelhouse /wheelhouse
RUN /wheelhouse/install /opt/tac-python && rm -rf /wheelhouse \\
 && printf '#!/bin/sh\\nexec /opt/tac-python/bin/python3 "$@"\\n' > /usr/local/bin/python_default \\
 && chmod +x /usr/local/bin/python_default && mkdir -p /workspace
COPY utils/ /utils/
COPY task.md /instruction/task.md
RUN python_default /utils/encrypt.py && rm /utils/evaluator.py /utils/encrypt.py
ENV PYTHONPATH=/utils
WORKDIR /workspace
'''


def image_context(folder: Path, flag: str) -> Path:
    utils = folder / "utils"
    utils.mkdir(parents=True)
    (utils / "evaluator.py").write_text(EVALUATOR)
    (utils / "encrypt.py").write_text(ENCRYPT)
    (utils / "eval.py").write_text(EVAL.replace("FLAG", flag))
    (utils / "scoring.py").write_text(SCORING)
    (utils / "init.sh").write_text(INIT)
    (utils / "golden_answer.txt").write_text(GOLDEN + "\n")
    (folder / "task.md").write_text("Write the answer to /workspace/answer.txt.\n")
    (folder / "requirements.txt").write_text("cryptography\n")
    (folder / "Dockerfile").write_text(DOCKERFILE)
    return folder


@pytest.fixture(scope="module")
def tac_images(docker_client, tmp_path_factory):
    """Two task images, one whose eval.py reads --result_path and one --output_path, tagged as
    <registry>/<task>-image:1.0.0."""
    engine = DockerEngine("tests")
    debian = ensure_rootfs_image(engine)
    refs, registry = {}, f"agentbench-test/theagentcompany-{uuid.uuid4().hex[:8]}"  # a worker's own: another's teardown untags its
    for task, flag in FLAGS.items():
        tag = ensure_image(engine, ImageRecipe(f"test-tac-{task}", image_context(
            tmp_path_factory.mktemp(task), flag), {"BASE_IMAGE": debian}))
        refs[task] = f"{registry}/{task}-image:1.0.0"
        docker_client.images.get(tag).tag(refs[task])
    yield refs
    for ref in refs.values():
        docker_client.images.remove(ref)


@pytest.fixture
def project(pytester, base_image_tag, tac_images, monkeypatch):
    shutil.copytree(AGENTS, pytester.path / "agents")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    monkeypatch.setenv("SERVER_HOSTNAME", SERVER)
    for task, ref in tac_images.items():
        add_task(pytester.path, task, ref)
    return pytester.path


def add_task(project: Path, task: str, ref: str) -> Path:
    folder = project / "task_specs" / task
    folder.mkdir(parents=True)
    (folder / "task.yaml").write_text(f"kind: workplace\nid: {task}\nimage: {ref}\n")
    (folder / "solution.sh").write_text(f"printf '{GOLDEN}\\n' | tee /workspace/answer.txt\n")  # the oracle's
    return folder


def results(project: Path) -> dict[str, dict]:
    return {r["task_id"]: r for r in (json.loads(p.read_text()) for p in project.glob("runs/*/*/result.json"))}


def test_an_image_task_runs_the_guide_s_four_steps(pytester, project, tmp_path):
    solved = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "-p", "no:cacheprovider")
    solved.assert_outcomes(passed=2)
    saved = results(project)
    for task in FLAGS:  # both result flags: the one each image's eval.py reads
        assert saved[task]["grade"]["points"] == 4 and saved[task]["grade"]["score"] == 1.0
        assert [c["points"] for c in saved[task]["grade"]["checkpoints"]] == [1, 2, 1]
    [group] = (project / "runs").iterdir()
    assert tac_summary_rows(tac_summarise(group, {task: [] for task in FLAGS}, tmp_path)) == {
        f"{task}-image": ["4", "4", "1.00 ⭐", "0", "0.00"] for task in FLAGS}

    # --regrade grades the same final machines again from the run group alone (changes and /utils saved).
    shutil.move(group, project / "solved")
    again = pytester.runpytest_subprocess("--regrade", str(project / "solved"), "task_specs", "-p", "no:cacheprovider")
    again.assert_outcomes(passed=2)
    for task in FLAGS:
        assert json.loads((project / "solved" / task / "result.json").read_text())["grade"]["points"] == 4

    dummy = pytester.runpytest_subprocess("task_specs", "--agent=dummy", "-p", "no:cacheprovider")
    dummy.assert_outcomes(failed=2)
    for task in FLAGS:  # init ran (its checkpoint); no answer, none in the trajectory
        assert [c["points"] for c in results(project)[task]["grade"]["checkpoints"]] == [1, 0, 0]


def test_a_failing_init_or_an_image_that_cannot_be_pulled_errs_its_item_only(pytester, project, monkeypatch):
    add_task(project, "sde-unpublished", "127.0.0.1:9/theagentcompany/sde-unpublished-image:1.0.0")
    run = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "-k", "unpublished or result",
                                        "-p", "no:cacheprovider")
    run.assert_outcomes(passed=1, errors=1)
    run.stdout.fnmatch_lines(["*could not pull 127.0.0.1:9/theagentcompany/sde-unpublished-image:1.0.0*"])

    shutil.rmtree(project / "runs")
    monkeypatch.setenv("SERVER_HOSTNAME", "unreachable.test")
    failed = pytester.runpytest_subprocess("task_specs", "--agent=oracle", "-k", "result", "-p", "no:cacheprovider")
    failed.assert_outcomes(errors=1)
    failed.stdout.fnmatch_lines(["*sde-result-path-image:1.0.0: /utils/init.sh exited 3*",
                                 "*no route to unreachable.test*"])
    assert not list(project.glob("runs/*/eval_*.json"))


ATTACK = f"""#!/bin/bash
# The agent is root, as in TAC: it looks for the answer key, then plants what would forge the verdict.
ls /utils > /workspace/utils-seen.txt 2>&1
cat /utils/golden_answer.txt > /workspace/answer.txt 2>/dev/null
cat > /tmp/forge.py <<'END'
import sys
for flag in ("--result_path", "--output_path"):
    if flag in sys.argv:
        open(sys.argv[sys.argv.index(flag) + 1], "w").write('{PERFECT}')
        sys.exit(0)
END
mkdir -p /utils && for m in eval scoring common cryptography; do cp /tmp/forge.py /utils/$m.py; done
for dir in $(python3 -c 'import os, site; print(*site.getsitepackages(), os.path.dirname(os.__file__))') \\
           /opt/tac-python/lib/python3*/site-packages /etc/python3*; do
  cp /tmp/forge.py "$dir/sitecustomize.py"; echo "import sitecustomize" > "$dir/0-agent.pth"
done
cat > /tmp/fake-python <<'END'
#!/bin/sh
while [ $# -gt 0 ]; do case "$1" in --result_path|--output_path) echo '{PERFECT}' > "$2";; esac; shift; done
END
chmod +x /tmp/fake-python
for py in /usr/local/bin/python_default $(readlink -f /usr/bin/python3); do rm -f "$py"; cp /tmp/fake-python "$py"; done
echo '{PERFECT}' > /tmp/eval.json
"""


def test_the_agent_cannot_read_the_answer_key_nor_forge_the_verdict(pytester, project):
    add_agent(project, "attacker", ATTACK)
    run = pytester.runpytest_subprocess("task_specs", "--agent=attacker", "-k", "result", "-p", "no:cacheprovider")
    run.assert_outcomes(failed=1)
    saved = results(project)["sde-result-path"]
    folder = Path(saved["folder"])
    assert "No such file or directory" in (folder / "workspace" / "utils-seen.txt").read_text()
    assert (folder / "workspace" / "answer.txt").read_text() == ""
    # the image's own eval.py, modules and Python graded what the agent left: init's point only
    assert [c["points"] for c in saved["grade"]["checkpoints"]] == [1, 0, 0]
    assert json.loads((folder.parent / "eval_sde-result-path-image.json").read_text())["final_score"] == {
        "total": 4, "result": 1}
