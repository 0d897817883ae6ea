"""An agent plays the attacker from inside its container: links out of its outputs, outputs past the
caps (bytes, files, a sparse file), endless stdout, a forged usage.json, and printing its own key.
What it leaves must come back as bounded data, and no secret may reach anything the harness writes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from support import AGENTS, TASK_SPECS

pytestmark = pytest.mark.docker

FAKE_KEY = "sk-fake-openai-5f1c0e9b7d2a4c6e8f0a1b3d"  # a provider key in pytest's environment
FAKE_CREDENTIAL = "cred-7e3a91f0c2b84d5e"  # a declared secret whose name says nothing of secrets


@pytest.fixture
def project(pytester, base_image_tag, monkeypatch):
    shutil.copytree(TASK_SPECS / "smoke", pytester.path / "task_specs" / "smoke")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")  # the locally built base, shared with every test
    return pytester.path


def attacker(project: Path, script: str, env_vars: dict[str, str] | None = None) -> str:
    """An agent `attacker` whose start.sh is `script` (it runs as the non-root user, bash)."""
    folder = project / "agents" / "attacker"
    folder.mkdir(parents=True)
    config = {"attacker": {"start": "start.sh", **({"env_vars": env_vars} if env_vars else {})}}
    (folder / "config.yaml").write_text(json.dumps(config))  # JSON is YAML
    shutil.copy(AGENTS / "nop" / "Dockerfile", folder / "Dockerfile")
    (folder / "start.sh").write_text(script)
    return "--agent=attacker"


def run(pytester, *args: str):
    return pytester.runpytest_subprocess("task_specs", *args, "-p", "no:cacheprovider")


def item_folder(project: Path) -> Path:
    [group] = (project / "runs").iterdir()
    return group / "reverse-words"


def result_of(project: Path) -> dict:
    return json.loads((item_folder(project) / "result.json").read_text())


def links_under(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_symlink()]


SUBMIT = "cp /home/data/sample_submission.csv /home/submission/submission.csv\n"


def test_no_link_leaves_the_outputs_however_it_was_made(pytester, project):
    # The attack: a hard link to a symlink passes tarfile's data filter in Python 3.11, and the
    # run dir held submission.csv -> /proc/self/environ (the worker's environment, keys included).
    agent = attacker(project, """
python3 - <<'EOF'
import os
os.symlink('/proc/self/environ', '/home/submission/a')
os.link('/home/submission/a', '/home/submission/submission.csv', follow_symlinks=False)
os.symlink('/etc/passwd', '/home/logs/passwd')
os.symlink('..', '/home/code/up')
os.link('/home/code/up', '/home/code/up-hard', follow_symlinks=False)
os.mkfifo('/home/logs/fifo')
open('/home/code/kept.py', 'w').write('print(1)')
os.link('/home/code/kept.py', '/home/code/kept-too.py')  # a hard link to a file comes back as a copy
EOF
""")
    result = run(pytester, agent)
    assert links_under(project / "runs") == []
    result.assert_outcomes(failed=1)  # nothing submitted
    result.stdout.fnmatch_lines(["*'submission exists' failed, 0/1 points: no submission.csv*"])
    folder = item_folder(project)
    assert not (folder / "submission" / "submission.csv").exists()
    assert (folder / "code" / "kept-too.py").read_text() == "print(1)"
    dropped = result_of(project)["outputs"]["dropped"]
    assert "submission/submission.csv (a hard link)" in dropped
    assert "logs/passwd (a symbolic link)" in dropped and "logs/fifo (a FIFO)" in dropped


def test_outputs_past_the_bytes_cap_fail_the_item_and_keep_what_came_before(pytester, project):
    agent = attacker(project, SUBMIT + "head -c 300000 /dev/urandom > /home/submission/zz-big.bin\n")
    result = run(pytester, agent, "--max-output-bytes=100kB")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*outputs within the caps*more than 100,000 bytes (the bytes cap*"])
    folder = item_folder(project)
    assert (folder / "submission" / "submission.csv").is_file()  # copied before the cap was reached
    assert not (folder / "submission" / "zz-big.bin").exists()
    saved = result_of(project)
    assert saved["outcome"] == "failed" and "bytes cap" in saved["outputs"]["over_cap"]


def test_a_sparse_file_counts_at_its_full_size(pytester, project):
    # 200 MB apparent, no disk used in the container; counted at the header's size, nothing written.
    agent = attacker(project, SUBMIT + "truncate -s 200M /home/submission/zz-sparse.bin\n")
    result = run(pytester, agent, "--max-output-bytes=1MB")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*zz-sparse.bin in /home/submission is 209,715,200 bytes*"])
    folder = item_folder(project)
    assert not (folder / "submission" / "zz-sparse.bin").exists()
    assert sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) < 1_000_000


def test_outputs_past_the_files_cap_fail_the_item(pytester, project):
    agent = attacker(project, SUBMIT + "mkdir -p /home/code/many && cd /home/code/many && touch $(seq 1 300)\n")
    result = run(pytester, agent, "--max-output-files=50")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*more than 50 files and folders (the files cap*"])
    assert sum(1 for _ in item_folder(project).rglob("*")) < 80  # the 50, and the harness's own files


def test_endless_stdout_keeps_the_head_and_tail_of_agent_log(pytester, project):
    agent = attacker(project, "echo THE START\nhead -c 20000000 /dev/zero | tr '\\0' x\necho\necho THE END\n")
    run(pytester, agent, "--no-record-commands")
    log = (item_folder(project) / "agent.log").read_bytes()
    assert len(log) < 2 * 1024 * 1024 + 1000  # 20 MB printed; 1 MiB from each end kept
    assert log.startswith(b"THE START\nxxx") and log.endswith(b"xxx\nTHE END\n")
    assert b"bytes cut here, of 20,000,019" in log


def test_a_forged_usage_json_is_ignored_with_a_note(pytester, project):
    agent = attacker(project, SUBMIT + """cat > $LOGS_DIR/usage.json <<'EOF'
{"input_tokens": 1e15, "output_tokens": -5, "cost_usd": -999.99}
EOF
""")
    result = run(pytester, agent)
    usage = result_of(project)["usage"]
    assert usage["source"] == "agent" and "input_tokens" not in usage
    assert "output_tokens -5 is not between 0" in usage["ignored"] and "cost_usd -999.99" in usage["ignored"]
    out = result.stdout.str()
    assert "1 usage.json ignored" in out and "1,999,999" not in out and "-1999" not in out


def test_secrets_are_masked_in_everything_the_harness_writes(pytester, project, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("MY_CREDENTIAL", FAKE_CREDENTIAL)
    # The agent prints its environment and submits its key, which the grader's message then quotes.
    agent = attacker(project, """env
cat /proc/self/environ
python3 -c 'import os; print("id,answer"); print(os.environ["OPENAI_API_KEY"] + "," + os.environ["CRED"])' \
  > /home/submission/submission.csv
""", env_vars={"OPENAI_API_KEY": "${{ secrets.OPENAI_API_KEY }}", "CRED": "${{ secrets.MY_CREDENTIAL }}"})
    # Without the model gateway, which would give the agent its token instead of the declared key.
    result = run(pytester, agent, "--junitxml=junit.xml", "--html=report.html", "--no-llm-gateway")
    out = result.stdout.str() + result.stderr.str()
    assert "[masked OPENAI_API_KEY]" in out  # the grader's message, quoting the submission
    written = [p for p in project.rglob("*") if p.is_file() and "submission" not in p.parts]
    leaks = [str(p) for p in written for secret in (FAKE_KEY, FAKE_CREDENTIAL) if secret.encode() in p.read_bytes()]
    assert leaks == [] and FAKE_KEY not in out and FAKE_CREDENTIAL not in out
    folder = item_folder(project)
    assert "[masked MY_CREDENTIAL]" in (folder / "agent.log").read_text()
    assert "[masked OPENAI_API_KEY]" in (folder / "trajectory.jsonl").read_text()
