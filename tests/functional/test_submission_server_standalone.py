"""The submission validation server as the sidecar runs it: the one file, alone, in a python without site-packages."""

import shutil
import socket
import subprocess
import sys
import time
import urllib.error

from support import http_request
from pytest_agentbench.families.competition import submission_format

SAMPLE = "id,label\n1,cat\n2,dog\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_module_runs_alone_with_only_the_standard_library(tmp_path):
    sample = tmp_path / "sample_submission.csv"
    sample.write_text(SAMPLE)
    # As in the sidecar: the single file copied elsewhere, run by a python without site-packages (-I -S).
    script = shutil.copy(submission_format.__file__, tmp_path / "validate_server.py")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-I", "-S", str(script), "--sample", str(sample), "--id-column", "id",
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                assert http_request(f"http://127.0.0.1:{port}/health") == (200, "ok\n")
                break
            except urllib.error.URLError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.1)
        assert http_request(f"http://127.0.0.1:{port}/validate", SAMPLE.encode())[0] == 200
        assert http_request(f"http://127.0.0.1:{port}/validate", b"id\n1\n")[0] == 400
    finally:
        process.terminate()
        process.wait(timeout=10)
