"""TheAgentCompany's service helpers (tac/servers.py, through `from common import *` as TAC's evaluators
import them), run by the grading runner against a look-alike of TAC's servers that the test starts
(tests/tac_lookalike.py, a test fixture), and without servers: the clear error, not a silent zero."""

from __future__ import annotations

import pytest

from tac_lookalike import LookalikeServers
from test_tac_runner import run_runner

pytest.importorskip("rocketchat_API")  # the grader image has it; `make setup` installs it for the tests

# An evaluator written as TAC's are: the client made when the module is imported, one checkpoint per
# helper, each comparing what the helper returned with what the look-alike holds.
EVALUATOR = '''
import logging
from common import *
from scoring import Checkpoint, Result

rocket = create_rocketchat_client()
CHECKS = []

def check(function):
    CHECKS.append(grader(function))
    return function

@check
def grade_checkpoint1():
    return get_rocketchat_personal_chat_history(rocket, "Li Ming") == ["Where is the report?", "The report is in Documents"]

@check
def grade_checkpoint2():
    full = get_rocketchat_personal_chat_history(rocket, "li_ming", content_only=False)
    return full[0]["u"]["username"] == "li_ming" and get_rocketchat_personal_chat_history(rocket, "nobody") == []

@check
def grade_checkpoint3():
    return num_rocketchat_users_contacted(rocket, ["li_ming", "sarah"]) == 1

@check
def grade_checkpoint4():
    return (get_rocketchat_channel_room_id(rocket, "general") == "room-general"
            and get_rocketchat_channel_room_id(rocket, "random") is None
            and [m["msg"] for m in get_rocketchat_channel_history(rocket, "general")][0].startswith("Release 2.0")
            and get_rocketchat_channel_history(rocket, "random") == [])

@check
def grade_checkpoint5():
    return (check_rocketchat_message_posted(rocket, "general", ["release 2.0", "notes"])
            and not check_rocketchat_message_posted(rocket, "general", ["release 3.0"]))

@check
def grade_checkpoint6():
    return rocket.users_list().json()["users"][1]["username"] == "sarah"  # the client's own methods

@check
def grade_checkpoint7():
    project_id = get_gitlab_project_id("sotopia")
    mr = get_gitlab_merge_request_by_title(project_id, "add MEDICAL characters")
    return (project_id == "3" and get_gitlab_project_id("nope") is None and mr["sha"] == "abc123"
            and get_gitlab_file_in_mr(mr, "src/app.py") == "print('medical')\\n")

@check
def grade_checkpoint8():
    issues = make_gitlab_request(f"{GITLAB_USER}/sotopia", "issues").json()
    return issues[0]["iid"] == 7 and make_gitlab_request("root/none", "issues").status_code == 404

@check
def grade_checkpoint9():
    return (check_file_in_owncloud_directory("report.xlsx", "Documents") is True
            and check_file_in_owncloud_directory("missing.xlsx", "Documents") is False
            and check_file_in_owncloud_directory("x", "NoSuchFolder") is None
            and get_binary_file_content_owncloud("report.xlsx", "Documents") == b"PK-report-bytes")

@check
def grade_checkpoint10():
    ok = check_and_download_file("report.xlsx", "/Documents/", "report.xlsx")
    return ok and open("report.xlsx", "rb").read() == b"PK-report-bytes" and not check_and_download_file(
        "missing.xlsx", "Documents", "missing.xlsx")

@check
def grade_checkpoint11():
    with open("link.txt", "w") as f:
        f.write(f"{OWNCLOUD_URL}/s/abc\\n")
    link = get_owncloud_url_in_file("link.txt")
    return (download_owncloud_content(link, "shared.bin") and open("shared.bin", "rb").read() == b"shared file bytes"
            and download_owncloud_content(f"{OWNCLOUD_URL}/s/abc/download", "direct.bin"))

@check
def grade_checkpoint12():
    project_id = get_plane_project_id("Web")
    state_map, id_map = get_plane_state_id_dict(project_id)
    issue = get_plane_issue_details(project_id, "Fix login")
    return (project_id == "p-web" and get_plane_project_id("Nope") is None
            and [p["name"] for p in get_all_plane_projects()] == ["Web"]
            and [i["name"] for i in get_plane_project_all_issues(project_id)] == ["Fix login"]
            and state_map == {"Todo": "s-todo", "Done": "s-done"} and id_map["s-done"] == "Done"
            and get_plane_state_details(project_id, issue["state"])["group"] == "completed")

@check
def grade_checkpoint13():
    project_id = get_plane_project_id("Web")
    cycle = get_plane_cycle_details(project_id, "Sprint 1")
    created = create_plane_issue(project_id, "New issue")
    added = add_plane_issue_to_cycle(project_id, cycle["id"], created["id"])
    return ([i["id"] for i in get_plane_issues_by_project_cycle(project_id, cycle["id"])] == ["i-login"]
            and created["name"] == "New issue" and added == {"issues": [created["id"]]}
            and get_plane_cycle_details(project_id, "Sprint 9") is None)

def grade_checkpoints(trajectory=""):
    return Result([Checkpoint(1, int(bool(check()))) for check in CHECKS])
'''

COUNT = EVALUATOR.count("@check\n")


def test_every_service_helper_reads_the_servers_as_tac_documents_them(tmp_path):
    with LookalikeServers() as servers:
        code, result, stderr = run_runner(tmp_path, EVALUATOR, env=servers.env)
    assert code == 0, stderr
    failed = {name: notes for name, notes in result["notes"].items()}
    assert result["final_score"] == {"total": COUNT, "result": COUNT}, (failed, stderr[-3000:])


def test_without_server_hostname_the_evaluator_loads_and_each_checkpoint_names_the_missing_setting(tmp_path):
    code, result, stderr = run_runner(tmp_path, EVALUATOR, env={"SERVER_HOSTNAME": ""})
    assert code == 0, stderr  # graded: the client made at import did not need the server
    assert result["final_score"] == {"total": COUNT, "result": 0}
    notes = result["notes"]
    assert notes["grade_checkpoint1"][-1].startswith("RocketChat is not configured: SERVER_HOSTNAME is not set")
    assert notes["grade_checkpoint7"][-1].startswith("GitLab is not configured: SERVER_HOSTNAME is not set")
    assert notes["grade_checkpoint9"][-1].startswith("ownCloud is not configured: SERVER_HOSTNAME is not set")
    assert notes["grade_checkpoint12"][-1].startswith("Plane is not configured: SERVER_HOSTNAME is not set")
    assert "PLANE_PORT" in notes["grade_checkpoint12"][-1]


def test_a_wrong_password_is_a_failed_checkpoint_that_says_so(tmp_path):
    evaluator = EVALUATOR.replace("create_rocketchat_client()", "create_rocketchat_client('theagentcompany', 'wrong')")
    with LookalikeServers() as servers:
        code, result, stderr = run_runner(tmp_path, evaluator, env=servers.env)
    assert code == 0, stderr
    assert result["checkpoints"][0]["result"] == 0
    assert any("could not log in to RocketChat" in n for n in result["notes"]["grade_checkpoint1"])


def test_the_servers_settings_reach_the_evaluator_but_not_the_agents_code(tmp_path):
    """PLANE_API_KEY is the user's key to their Plane: code the agent wrote, run by the evaluator
    (run_as_agent), must not read it from its environment."""
    evaluator = '''
import os
from common import grader, run_as_agent
from scoring import Checkpoint, Result

@grader
def grade_checkpoint1():
    return os.environ.get("PLANE_API_KEY") == "users-plane-key" and os.environ.get("SERVER_HOSTNAME") == "10.9.8.7"

@grader
def grade_checkpoint2():
    code, output = run_as_agent(["env"])
    return code == 0 and "users-plane-key" not in output and "10.9.8.7" not in output

def grade_checkpoints(trajectory=""):
    return Result([Checkpoint(1, int(grade_checkpoint1())), Checkpoint(1, int(grade_checkpoint2()))])
'''
    code, result, stderr = run_runner(tmp_path, evaluator,
                                      env={"SERVER_HOSTNAME": "10.9.8.7", "PLANE_API_KEY": "users-plane-key"})
    assert code == 0, stderr
    assert result["checkpoints"] == [{"total": 1, "result": 1}, {"total": 1, "result": 1}], result["notes"]
