"""The host's own failures are one message naming the path, with an exit code of their own."""

import subprocess

from support import AGENTS


def test_a_run_dir_under_a_file_is_one_message_and_exit_code_6(pytester):
    task = pytester.path / "task_specs" / "alpha"
    task.mkdir(parents=True)
    (task / "task.yaml").write_text("id: alpha\ngrader: grade.py:grade\n")
    (pytester.path / "afile").write_text("")
    result = pytester.runpytest_subprocess("task_specs", f"--agents-dir={AGENTS}", "--agent=nop",
                                           "--run-dir=afile/runs", "-n", "2")
    assert result.ret == 6
    output = result.stdout.str() + result.stderr.str()
    assert f"agentbench: cannot write {pytester.path / 'afile' / 'runs'}: Not a directory" in output
    assert "INTERNALERROR" not in output and "Traceback" not in output


def test_a_read_only_run_dir_is_the_same_one_message(pytester, tmp_path_factory):
    task = pytester.path / "task_specs" / "alpha"
    task.mkdir(parents=True)
    (task / "task.yaml").write_text("id: alpha\ngrader: grade.py:grade\n")
    readonly = tmp_path_factory.mktemp("readonly")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(readonly)], check=True)
    try:
        result = pytester.runpytest_subprocess("task_specs", f"--agents-dir={AGENTS}", "--agent=nop",
                                               f"--run-dir={readonly}/runs")
    finally:
        subprocess.run(["umount", "-l", str(readonly)], check=True)
    assert result.ret == 6
    assert f"agentbench: cannot write {readonly}/runs: Read-only file system" in result.stderr.str()
