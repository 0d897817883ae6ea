"""metadata.json's record of the tasks' git commit."""

import subprocess

from pytest_agentbench.run_record import tasks_commit


def test_the_tasks_commit_and_whether_they_changed_since(tmp_path):
    tasks = tmp_path / "task_specs"
    tasks.mkdir()
    (tasks / "task.yaml").write_text("id: a\n")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "tasks"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert tasks_commit([tasks]) == {"commit": head, "changed": False, "path": str(tasks)}
    (tasks / "task.yaml").write_text("id: b\n")
    assert tasks_commit([tasks / "task.yaml"])["changed"] is True
    assert tasks_commit([tmp_path.parent / "nowhere"]) is None
