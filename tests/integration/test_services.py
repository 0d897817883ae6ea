"""Services from a task's compose.yaml on a real engine: each item gets its own stack (two copies of one
task at once see only their own state), a service that never becomes healthy fails its item with its
log, and nothing of a stack outlives its run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import docker
import pytest

from pytest_agentbench.sandbox.docker import DockerEngine
from support import AGENTS, TASK_SPECS, add_agent, labelled

pytestmark = pytest.mark.docker
SERVICES = TASK_SPECS / "company" / "_services"  # its compose.yaml: git, files, a database and a chat

# Each copy leaves its own mark (its container's hostname) in every service, then looks at what
# each service holds: only its own mark may be there, although the other copy runs at the same time.
MARKER_AGENT = r"""set -eu
me=$(hostname)
date +%s.%N > /home/submission/started
cd /tmp && git clone -q "$GIT_URL" notes && cd notes
echo "$me" > "$me.txt" && git add -A && git -c user.name="$me" -c user.email=a@b commit -qm "$me" && git push -q origin main
echo "$me" | curl -fsS -u agent:pw -T - "http://files/$me.txt" >/dev/null
psql "$DATABASE_URL" -qc "INSERT INTO notes VALUES ('$me')"
curl -fsS -u agent:pw -H 'Content-Type: application/json' -d "{\"kind\":\"message\",\"type\":\"chat\",\"to\":\"boss@the-agent-company.com\",\"body\":\"$me\"}" http://chat:5280/rest
sleep 4  # the other copy writes meanwhile
{ git pull -q && ls; curl -fsS -u agent:pw http://files/ | grep -o 'href="[^"?/]*"'; psql "$DATABASE_URL" -Atc "SELECT author FROM notes"; } > /home/submission/seen
echo "$me" > /home/submission/me
date +%s.%N > /home/submission/ended
"""


@pytest.fixture
def project(pytester, base_image_tag, monkeypatch):
    """A project with one generic task (its grader checks only that the agent finished) whose
    compose.yaml is the whole company stack of _services/."""
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    shutil.copytree(AGENTS, pytester.path / "agents")
    task = pytester.path / "task_specs" / "marks"
    shutil.copytree(SERVICES, task)
    (task / "task.yaml").write_text("id: marks\ndescription: leave a mark\ngrader: grade.py:grade\n"
                                    "allow_internet: false\n")
    (task / "grade.py").write_text("from pytest_agentbench.grading.result import Checkpoint\n\n"
                                   "def grade(outputs):\n"
                                   "    return [Checkpoint('marked', int((outputs / 'submission' / 'me').is_file()), 1)]\n")
    add_agent_with_tools(pytester.path, "marker", MARKER_AGENT)
    return pytester.path


def add_agent_with_tools(project: Path, name: str, start_sh: str) -> None:
    """An agent with the service tasks' tools (git, psql), as their Dockerfile installs them after its
    FROM line."""
    tools = (TASK_SPECS / "company" / "sde-push-discount-fix" / "Dockerfile").read_text().split("\nFROM ", 1)[1]
    add_agent(project, name, start_sh)
    agent_dockerfile = project / "agents" / name / "Dockerfile"
    head, copy = agent_dockerfile.read_text().split("COPY", 1)  # the tools first: their layer is the tasks'
    agent_dockerfile.write_text(head + tools.split("\n", 1)[1] + "COPY" + copy)


def item_dirs(project: Path) -> list[Path]:
    return sorted(p.parent for p in project.glob("runs/*/*/result.json"))


def test_the_same_task_twice_at_once_each_copy_sees_only_its_own_state(pytester, project):
    run = pytester.runpytest_subprocess("task_specs", "--agent=marker", "--seeds", "2", "-n", "2",
                                        "-p", "no:cacheprovider")
    assert run.ret == 0, run.stdout.str()[-3000:]
    copies = item_dirs(project)
    assert len(copies) == 2
    marks = {d: (d / "submission" / "me").read_text().strip() for d in copies}
    assert len(set(marks.values())) == 2
    spans = [tuple(float((d / "submission" / f).read_text()) for f in ("started", "ended")) for d in copies]
    assert max(s for s, _ in spans) < min(e for _, e in spans), "the two copies did not run at the same time"
    for d, mine in marks.items():
        other = next(m for e, m in marks.items() if e != d)
        seen = (d / "submission" / "seen").read_text()
        assert mine in seen and other not in seen, seen
        # What the harness read from each service after the agent stopped: this copy's state only.
        services = d / "services"
        commits = json.loads((services / "git" / "repo.json").read_text())["commits"]
        assert [c["subject"] for c in commits] == [mine]
        assert (services / "files" / "listing.txt").read_text().split() == [f"{mine}.txt"]
        assert json.loads((services / "db" / "rows.json").read_text()) == [{"author": mine}]
        assert [m["body"] for m in json.loads((services / "chat" / "messages.json").read_text())] == [mine]
        result = json.loads((d / "result.json").read_text())
        assert set(result["services"]["ready_seconds"]) == {"git", "files", "db", "chat", "ready"}
        assert result["services"]["read"]["db"]["rows.json"]["exit_code"] == 0
    run_id = json.loads((copies[0] / "result.json").read_text())["run_id"]
    assert labelled(docker.from_env(), run_id) == []  # containers and volumes of both stacks are gone


def test_a_service_never_healthy_fails_its_item_with_its_log(pytester, project):
    task = project / "task_specs" / "marks"
    (task / "broken").mkdir()
    (task / "broken" / "Dockerfile").write_text(
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCMD [\"sh\", \"-c\", \"echo broken-db: cannot open its data; sleep 600\"]\n")
    (task / "compose.yaml").write_text(textwrap.dedent("""
        services:
          db:
            build: ./broken
            healthcheck: {test: [CMD, "false"], interval: 200ms, retries: 3}
        """))
    run = pytester.runpytest_subprocess("task_specs", "--agent=nop", "-p", "no:cacheprovider")
    run.assert_outcomes(errors=1)
    [item] = item_dirs(project)
    result = json.loads((item / "result.json").read_text())
    error = json.dumps(result)
    assert "service 'db' never became healthy" in error and "broken-db: cannot open its data" in error
    assert not (item / "agent.log").exists()  # the agent never started
    assert labelled(docker.from_env(), result["run_id"]) == []



def test_a_service_that_stops_while_the_agent_works_errors_its_item_with_its_log(pytester, project):
    task = project / "task_specs" / "marks"
    (task / "brittle").mkdir()
    (task / "brittle" / "Dockerfile").write_text(
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
        "CMD [\"sh\", \"-c\", \"echo brittle: up; sleep 2; echo brittle: out of memory; exit 3\"]\n")
    (task / "compose.yaml").write_text("services:\n  db:\n    build: ./brittle\n")
    add_agent(project, "sleeper", "sleep 8\n")
    run = pytester.runpytest_subprocess("task_specs", "--agent=sleeper", "-p", "no:cacheprovider")
    run.assert_outcomes(errors=1)
    [item] = item_dirs(project)
    result = json.loads((item / "result.json").read_text())
    assert result["services"]["crashed"]["db"]["exit_status"] == 3
    assert "service 'db' stopped while the agent worked (exit status 3)" in json.dumps(result)
    assert "brittle: out of memory" in result["services"]["crashed"]["db"]["log_tail"]
    assert (item / "agent.log").exists()  # the agent ran: the crash came after


KILLED_RUN = """
import sys, time
from pathlib import Path
from pytest_agentbench.sandbox.base import ContainerConfig
from pytest_agentbench.sandbox.docker import DockerEngine
from pytest_agentbench.services.compose import load_stack
from pytest_agentbench.services.stack import start_stack

engine = DockerEngine(sys.argv[1])
network = engine.create_network("agentbench-net-killed-" + sys.argv[1], internal=True)
start_stack(load_stack(Path(sys.argv[2])), engine, network=network, prefix="agentbench-svc-killed-" + sys.argv[1],
            base_image=sys.argv[3], limits=ContainerConfig())
print("up", flush=True)
time.sleep(600)
"""


def test_a_stack_left_by_a_killed_run_is_reaped_volumes_too(tmp_path, base_image_tag):
    """kill -9 runs no teardown: the labels on the stack's containers and volumes let the next run's
    reaper remove them."""
    (tmp_path / "idle").mkdir()
    (tmp_path / "idle" / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCMD [\"sleep\", \"infinity\"]\n")
    (tmp_path / "compose.yaml").write_text("services:\n  store:\n    build: ./idle\n    volumes: [data:/data]\n"
                                           "volumes:\n  data:\n")
    run_id = f"killed{os.getpid()}"
    run = subprocess.Popen([sys.executable, "-c", KILLED_RUN, run_id, str(tmp_path / "compose.yaml"), base_image_tag],
                           stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline().strip() == "up"
        client = docker.from_env()
        left = labelled(client, run_id)
        assert any(o.startswith("volume ") for o in left) and any(o.startswith("container ") for o in left)
    finally:
        run.kill()
        run.wait()
    DockerEngine("reaper").reap()
    assert labelled(client, run_id) == []


WORKER_COMPOSE = """
services:
  git:
    build: ./httpd
    command: serve git
    environment: {SERVICE_USERS: "agent:pw"}
    healthcheck: {test: [CMD, curl, -so, /dev/null, "http://localhost/"], interval: 1s, retries: 3,
                  start_period: 30s, start_interval: 100ms}
    x-agentbench:
      init: ["git-repo notes", "date +%s.%N > /srv/git/initialised-at"]
      collect: {repo.json: git-export notes, initialised-at: cat /srv/git/initialised-at}
  db:
    build: ./postgres
    environment: {POSTGRES_USER: agent, POSTGRES_PASSWORD: pw, POSTGRES_DB: notes}
    volumes: [data:/var/lib/postgresql/data]
    healthcheck: {test: [CMD, pg_isready, -q, -h, /tmp], interval: 1s, retries: 3, start_period: 30s,
                  start_interval: 100ms}
    x-agentbench:
      init: ["psql -X -q -h /tmp -U postgres -d notes -c 'CREATE TABLE notes (author text)'"]
      collect: {rows.json: "pg-export notes 'SELECT author FROM notes'"}
volumes:
  data:
x-agentbench:
  lifetime: worker
  agent_env: {GIT_URL: "http://agent:pw@git/notes.git", DATABASE_URL: "postgresql://agent:pw@db/notes"}
"""
# Pushes a commit and adds a row, each named after its container; then says what it saw first.
WORKER_AGENT = r"""set -eu
me=$(hostname)
cd /tmp && git clone -q "$GIT_URL" notes && cd notes
ls > /home/submission/seen-files
psql "$DATABASE_URL" -Atc "SELECT author FROM notes" > /home/submission/seen-rows
echo "$me" > "$me.txt" && git add -A && git -c user.name="$me" -c user.email=a@b commit -qm "$me" && git push -q origin main
psql "$DATABASE_URL" -qc "INSERT INTO notes VALUES ('$me')"
echo "$me" > /home/submission/me
"""


def test_a_worker_stack_is_initialised_once_and_each_item_starts_from_that_state(pytester, project):
    """lifetime: worker: three items on one worker, one after the other. The init ran once (every
    item reads the same time it wrote), and each item starts from the state right after it: none sees
    what an earlier item pushed or inserted."""
    task = project / "task_specs" / "marks"
    (task / "compose.yaml").write_text(WORKER_COMPOSE)
    add_agent_with_tools(project, "writer", WORKER_AGENT)
    run = pytester.runpytest_subprocess("task_specs", "--agent=writer", "--seeds", "3", "-n", "1",
                                        "-p", "no:cacheprovider")
    assert run.ret == 0, run.stdout.str()[-3000:]
    copies = item_dirs(project)
    assert len(copies) == 3
    initialised = {(d / "services" / "git" / "initialised-at").read_text() for d in copies}
    assert len(initialised) == 1  # one init for the three items
    for d in copies:
        me = (d / "submission" / "me").read_text().strip()
        assert (d / "submission" / "seen-files").read_text() == "" and (d / "submission" / "seen-rows").read_text() == ""
        assert [c["subject"] for c in json.loads((d / "services" / "git" / "repo.json").read_text())["commits"]] == [me]
        assert json.loads((d / "services" / "db" / "rows.json").read_text()) == [{"author": me}]
        result = json.loads((d / "result.json").read_text())
        assert result["services"]["lifetime"] == "worker"
    run_id = json.loads((copies[0] / "result.json").read_text())["run_id"]
    assert labelled(docker.from_env(), run_id) == []  # the snapshot images too
