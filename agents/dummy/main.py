"""The dummy agent's checks (from the seed benchmark), printed to its log; exit 1 if one fails."""

import os
import shutil
import sys
from pathlib import Path

problems = []

print(f"running as root: {os.geteuid() == 0}")
print(f"python: {sys.executable} {sys.version.split()[0]}")
if os.geteuid() == 0:
    problems.append("the agent runs as root")

# 1. Submit the sample submission, where the task offers one.
data = Path("/home/data")
submission_dir = Path(os.environ.get("SUBMISSION_DIR", "/home/submission"))
samples = sorted(data.glob("sample_submission*.csv")) if data.is_dir() else []
if samples:
    shutil.copy(samples[0], submission_dir / "submission.csv")
    print(f"submitted {samples[0]} as {submission_dir / 'submission.csv'}")
else:
    print(f"no sample submission in {data}: nothing submitted")

# 2. Private data (answers, graders) must be out of reach.
for private in ("/private", "/home/data/private", "/grader", "/utils"):
    try:
        entries = os.listdir(private)
    except (FileNotFoundError, PermissionError):
        print(f"cannot read {private} (good)")
    else:
        problems.append(f"can list private folder {private}: {entries[:5]}")

# 3. The data folder is read-only; the agent's own folders are writable.
try:
    (data / ".dummy-write-test").write_text("x")
    problems.append(f"can write to {data}, which should be read-only")
except OSError:
    print(f"cannot write to {data} (good)")
for var in ("CODE_DIR", "LOGS_DIR", "AGENT_DIR", "SUBMISSION_DIR"):
    folder = Path(os.environ.get(var, ""))
    try:
        (folder / ".dummy-write-test").write_text("ok")
        (folder / ".dummy-write-test").unlink()
        print(f"can write to {var}={folder} (good)")
    except OSError as e:
        problems.append(f"cannot write to {var}={folder}: {e}")

# 4. Validate the submission where the task offers a validation endpoint.
url = os.environ.get("VALIDATION_URL")
if url and (submission_dir / "submission.csv").exists():
    import urllib.error
    import urllib.request

    # The form field `file`, as `curl -F file=@submission.csv` sends it: what MLE-bench's grading server
    # reads, and what ours accepts too.
    boundary = "agentbench-dummy-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"submission.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + (submission_dir / "submission.csv").read_bytes() \
        + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            print(f"validation: {response.read().decode()}")
    except urllib.error.HTTPError as e:
        print(f"validation: {e.read().decode()}")
    except OSError as e:
        problems.append(f"validation endpoint {url} unreachable: {e}")

for p in problems:
    print(f"PROBLEM: {p}")
sys.exit(1 if problems else 0)
