"""TheAgentCompany's folders that need its servers, run with --tac-server against look-alike servers
(tests/fixtures/tac_lookalike: test fixtures built from TAC's API contracts, in a container this test
starts): TAC's reset and init before each item, one item per server at a time under -n 4, the
evaluator reading the servers, an init that fails or hangs failing its item alone."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from support import AGENTS, add_agent

pytestmark = pytest.mark.docker
LOOKALIKE = Path(__file__).resolve().parent.parent / "fixtures" / "tac_lookalike" / "server.py"

# Each task shares a server with another: rocketchat with three, gitlab and owncloud with two.
TASKS = {"tac-chat-only": ["rocketchat"], "tac-chat-git": ["rocketchat", "gitlab"],
         "tac-chat-files": ["rocketchat", "owncloud"], "tac-git-files": ["gitlab", "owncloud"]}

# What both the init and the oracle use to write, and the evaluator to read (standard library only).
CLIENT = '''
import base64, json, urllib.request
BASE = "http://the-agent-company.com"
DAV = {"Authorization": "Basic " + base64.b64encode(b"theagentcompany:theagentcompany").decode()}
GITLAB = {"PRIVATE-TOKEN": "root-token", "Content-Type": "application/json"}

def call(url, data=None, headers=None, method=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

def chat_headers():
    _, body = call(BASE + ":3000/api/v1/login", json.dumps({"user": "theagentcompany", "password": "theagentcompany"}).encode(),
                   {"Content-Type": "application/json"})
    data = json.loads(body)["data"]
    return {"X-Auth-Token": data["authToken"], "X-User-Id": data["userId"], "Content-Type": "application/json"}

def post_chat(text):
    status, _ = call(BASE + ":3000/api/v1/chat.postMessage", json.dumps({"channel": "#general", "text": text}).encode(), chat_headers())
    assert status == 200, status

def chat_texts():
    _, body = call(BASE + ":3000/api/v1/channels.history?roomName=general", headers=chat_headers())
    return [m["msg"] for m in reversed(json.loads(body)["messages"])]

def put_gitlab(name, content):
    status, _ = call(BASE + ":8929/api/v4/projects/root%2Fapi-server/repository/files/" + name,
                     json.dumps({"branch": "main", "content": content, "commit_message": "add " + name}).encode(), GITLAB, "POST")
    assert status == 201, status

def gitlab_file(name):
    status, body = call(BASE + ":8929/api/v4/projects/root%2Fapi-server/repository/files/" + name + "/raw?ref=main", headers=GITLAB)
    return body.decode() if status == 200 else None

def put_share(name, content):
    status, _ = call(BASE + ":8092/remote.php/webdav/Documents/" + name, content.encode(), DAV, "PUT")
    assert status == 201, status

def share_file(name):
    status, body = call(BASE + ":8092/remote.php/webdav/Documents/" + name, headers=DAV)
    return body.decode() if status == 200 else None
'''

WRITE = '''
if "rocketchat" in SERVERS:
    post_chat(WORD + " " + TASK)
if "gitlab" in SERVERS:
    put_gitlab(WORD + ".txt", WORD + " " + TASK)
if "owncloud" in SERVERS:
    put_share(WORD + ".txt", WORD + " " + TASK)
'''

EVALUATOR = '''
from scoring import Checkpoint, Result

def grade_checkpoints(trajectory=""):
    passed = []
    # Each checkpoint holds only if the init's write and the agent's are there, and nothing of another item's.
    if "rocketchat" in SERVERS:
        passed.append(chat_texts() == ["Welcome to the company chat", "init " + TASK, "done " + TASK])
    if "gitlab" in SERVERS:
        passed.append(gitlab_file("init.txt") == "init " + TASK and gitlab_file("done.txt") == "done " + TASK)
    if "owncloud" in SERVERS:
        passed.append(share_file("init.txt") == "init " + TASK and share_file("done.txt") == "done " + TASK)
    return Result([Checkpoint(1, int(p)) for p in passed])
'''


def write_task(root: Path, task: str, servers: list[str], pre_init: str | None = None) -> None:
    folder = root / task
    folder.mkdir(parents=True)
    head = f"TASK = {task!r}\nSERVERS = {servers!r}\n"
    (folder / "task.md").write_text(f"Post 'done {task}' on #general and file done.txt where the task's servers keep files.\n")
    (folder / "dependencies.yml").write_text("".join(f"- {s}\n" for s in servers))
    (folder / "checkpoints.md").write_text("# Checkpoints\n\n" + "".join(
        f"## Checkpoint {i} (1pt)\n{s} holds the init's and the agent's writes, and no other item's\n\n"
        for i, s in enumerate(servers, 1)))
    (folder / "evaluator.py").write_text(CLIENT + head + EVALUATOR)
    (folder / "populate_data.py").write_text(CLIENT + head + 'WORD = "init"\n' + WRITE)
    (folder / "solution.sh").write_text("python3 - <<'EOF'\n" + CLIENT + head + 'WORD = "done"\n' + WRITE + "EOF\n")
    if pre_init is not None:
        (folder / "pre_init.sh").write_text(pre_init)


@pytest.fixture
def lookalike(docker_client, base_image_tag):
    """The look-alike servers in a container of the test's own; its address is the server host."""
    container = docker_client.containers.create(base_image_tag, ["python3", "-I", "/srv/lookalike/server.py"],
                                                user="nobody", labels={"agentbench.test": "tac-lookalike"})
    try:
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            tar.add(LOOKALIKE, "srv/lookalike/server.py")
        container.put_archive("/", archive.getvalue())
        container.start()
        for _ in range(300):
            if b"look-alike servers ready" in container.logs():
                break
            time.sleep(0.1)
        container.reload()
        yield container, container.attrs["NetworkSettings"]["IPAddress"]
    finally:
        container.remove(force=True)


def server_log(container) -> list[dict]:
    out = container.exec_run(["python3", "-c", "import urllib.request; print(urllib.request.urlopen("
                                               "'http://127.0.0.1:2999/lookalike/log').read().decode())"])
    return json.loads(out.output)


def results(path: Path) -> dict[str, dict]:
    return {r["task_id"]: r for r in (json.loads(p.read_text()) for p in path.glob("runs/*/*/result.json"))}


@pytest.fixture
def project(pytester, base_image_tag, monkeypatch):
    shutil.copytree(AGENTS, pytester.path / "agents")
    monkeypatch.setenv("AGENTBENCH_BASE_IMAGE", "")
    monkeypatch.delenv("SERVER_HOSTNAME", raising=False)
    for task, servers in TASKS.items():
        write_task(pytester.path / "tac", task, servers)
    return pytester.path


def test_service_tasks_run_against_the_servers_one_item_per_server_at_a_time(pytester, project, lookalike):
    container, host = lookalike
    run = pytester.runpytest_subprocess("tac", "--agent=oracle", "-n", "4", "--tac-server", host,
                                        "--junitxml=junit.xml", "-p", "no:cacheprovider")
    run.assert_outcomes(passed=4)
    saved = results(project)
    assert {t: r["grade"]["score"] for t, r in saved.items()} == {t: 1.0 for t in TASKS}
    # Each server's history: reset, then the writes of one item only (its init's, its agent's), then the
    # next item's reset: no two items sharing a server overlapped, whatever worker ran them.
    log = server_log(container)
    for server in ("rocketchat", "gitlab", "owncloud"):
        events = [e for e in log if e["service"] == server]
        users = [t for t, s in TASKS.items() if server in s]
        assert [e["event"] for e in events] == ["reset", "write", "write"] * len(users)
        writers = [events[i + 1]["text"].split()[-1] for i in range(0, len(events), 3)]
        assert sorted(writers) == sorted(users)
        assert all(events[i + 2]["text"] == f"done {events[i + 1]['text'].split()[-1]}" for i in range(0, len(events), 3))
    # the checkpoints are the item's, named from checkpoints.md, as for any workplace task
    cases = {c.get("name"): c for c in ET.parse(project / "junit.xml").getroot().iter("testcase")}
    [chat_git] = [c for name, c in cases.items() if "tac-chat-git" in name]
    properties = {p.get("name"): p.get("value") for p in chat_git.iter("property")}
    assert properties["checkpoints"] == "2/2"
    assert [v for k, v in properties.items() if k.startswith("checkpoint: Checkpoint")] == ["passed, 1/1 points"] * 2
    # the init's record is kept with the item
    init_log = (Path(saved["tac-chat-git"]["folder"]) / "init.log").read_text()
    assert "POST" in init_log and "reset-gitlab: 202" in init_log and "populate_data.py: exit 0" in init_log


def test_the_dummy_scores_zero_on_the_service_tasks(pytester, project, lookalike):
    _, host = lookalike
    run = pytester.runpytest_subprocess("tac", "--agent=dummy", "-n", "4", "--tac-server", host, "-p", "no:cacheprovider")
    run.assert_outcomes(failed=4)
    assert {t: r["grade"]["score"] for t, r in results(project).items()} == {t: 0.0 for t in TASKS}


def test_without_a_server_the_service_tasks_are_skipped_saying_how_to_run_them(pytester, project):
    run = pytester.runpytest_subprocess("tac", "--agent=oracle", "-rs", "-p", "no:cacheprovider")
    run.assert_outcomes(skipped=4)
    run.stdout.fnmatch_lines(["*needs TheAgentCompany's servers rocketchat, gitlab: give --tac-server HOST*"])


# The attacker: an agent that, beside doing the task, looks for the init's scripts and for a way to the
# server host other than TAC's ports through the-agent-company.com.
PROBE = textwrap.dedent('''\
    #!/usr/bin/env bash
    python3 - <<'EOF'
    import json, os, socket
    found = {"init_dir": os.path.exists("/tmp/.agentbench-tac-init"),
             "init_scripts": [os.path.join(d, f) for d, _, fs in os.walk("/") if not d.startswith(("/proc", "/sys"))
                              for f in fs if f in ("populate_data.py", "pre_init.sh")]}
    def reach(host, port):
        try:
            socket.create_connection((host, port), timeout=3).close()
            return True
        except OSError:
            return False
    found["tac_port"] = reach("the-agent-company.com", 3000)
    found["other_port_via_tac_name"] = reach("the-agent-company.com", 22)
    found["server_directly"] = reach("SERVER_IP", 3000)
    os.makedirs("/workspace", exist_ok=True)
    open("/workspace/probe.json", "w").write(json.dumps(found))
    EOF
    ''')


def test_an_init_that_fails_or_hangs_fails_its_item_alone_and_the_agent_reaches_only_tac_ports(
        pytester, project, lookalike):
    container, host = lookalike
    shutil.rmtree(project / "tac")
    write_task(project / "tac", "tac-chat-only", ["rocketchat"])
    write_task(project / "tac", "tac-init-fails", ["gitlab"],
               pre_init="echo 'seeding the wiki failed: no project root/wiki' >&2\nexit 3\n")
    write_task(project / "tac", "tac-init-hangs", ["owncloud"], pre_init="echo waiting for ever\nsleep 600\n")
    add_agent(project, "prober", PROBE.replace("SERVER_IP", host))
    run = pytester.runpytest_subprocess("tac", "--agent=prober", "-n", "2", "--tac-server", host,
                                        "--tac-init-timeout", "20", "-p", "no:cacheprovider")
    run.assert_outcomes(failed=1, errors=2)  # the prober does not do the task: its item fails, graded
    output = run.stdout.str()
    assert "init step pre_init.sh failed (exit 3)" in output and "seeding the wiki failed: no project root/wiki" in output
    assert "pre_init.sh ran past the init's time limit" in output and "waiting for ever" in output
    saved = results(project)
    assert saved["tac-chat-only"]["grade"]["score"] == 0.0
    probe = json.loads((Path(saved["tac-chat-only"]["folder"]) / "workspace" / "probe.json").read_text())
    assert probe == {"init_dir": False, "init_scripts": [], "tac_port": True, "other_port_via_tac_name": False,
                     "server_directly": False}


ASK = CLIENT + '''
import time
headers = chat_headers()
call(BASE + ":3000/api/v1/chat.postMessage", json.dumps({"channel": "@li_ming", "text": "Which port does staging listen on?"}).encode(), headers)
answer = None
for _ in range(600):
    _, body = call(BASE + ":3000/api/v1/im.list", headers=headers)
    for room in json.loads(body)["ims"]:
        _, body = call(BASE + ":3000/api/v1/im.history?roomId=" + room["_id"], headers=headers)
        answer = next((m["msg"] for m in json.loads(body)["messages"] if m["u"]["username"] == "li_ming"), None)
    if answer:
        break
    time.sleep(0.1)
post_chat("staging: " + str(answer))
'''


def test_tac_npcs_from_scenarios_json_answer_the_agent_in_rocketchat(pytester, project, lookalike, judge_env, fake_llm):
    """A folder's scenarios.json seats its NPCs in TAC's RocketChat, played by the environment LLM."""
    fake_llm.set_rules([lambda text: "It listens on 8443." if "port" in text.lower() else None],
                       default="Sorry, I can't help with that.")
    _, host = lookalike
    shutil.rmtree(project / "tac")
    write_task(project / "tac", "tac-ask-coworker", ["rocketchat"])
    folder = project / "tac" / "tac-ask-coworker"
    (folder / "scenarios.json").write_text(json.dumps({"Li Ming": {
        "extra_info": "The staging server listens on port 8443.", "strategy_hint": "Tell the port when asked."}}))
    (folder / "evaluator.py").write_text(CLIENT + textwrap.dedent('''
        from scoring import Checkpoint, Result

        def grade_checkpoints(trajectory=""):
            return Result([Checkpoint(1, int(chat_texts()[-1] == "staging: It listens on 8443."))])
        '''))
    (folder / "solution.sh").write_text("python3 - <<'EOF'\n" + ASK + "EOF\n")
    run = pytester.runpytest_subprocess("tac", "--agent=oracle", "--tac-server", host, "-p", "no:cacheprovider")
    run.assert_outcomes(passed=1)
    [saved] = results(project).values()
    said = json.loads((Path(saved["folder"]) / "services" / "coworkers.json").read_text())
    [talk] = said["conversations"]
    assert (talk["coworker"], talk["with"]) == ("li_ming", "theagentcompany@the-agent-company.com")
    assert [m["body"] for m in talk["messages"]] == ["Which port does staging listen on?", "It listens on 8443."]
    [asked] = [r for r in fake_llm.requests if "Li Ming" in json.dumps(r)]
    assert "listens on port 8443" in asked["messages"][0]["content"]  # the scenario's secret, on the host side only
