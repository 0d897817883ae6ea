"""Constants, HTTP and Docker queries, and package installs, that the tests of every group share."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
AGENTS = REPO / "agents"
TASK_SPECS = REPO / "task_specs"
# The environment variables that configure the LLM judge: tests clear them, whatever the shell exports.
JUDGE_ENV_VARS = ("LITELLM_API_KEY", "LITELLM_BASE_URL", "LITELLM_MODEL", "AGENTBENCH_JUDGE_LOG")


def http_request(url, data=None, headers=None) -> tuple[int, str]:
    """(status, body) of a GET, or of a POST when `data` is given; an HTTP error status is an answer too."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {}), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def labelled(client, run_id: str) -> list[str]:
    """Every container, network, volume and image carrying the run's label."""
    flt = {"label": f"agentbench.run={run_id}"}
    api = client.api
    found = [f"container {c['Names']}" for c in api.containers(all=True, filters=flt)]
    found += [f"network {n['Name']}" for n in api.networks(filters=flt)]
    found += [f"volume {v['Name']}" for v in (api.volumes(filters=flt) or {}).get("Volumes") or []]
    found += [f"image {i['Id']}" for i in api.images(filters=flt)]
    return found


def all_labelled(client) -> list[str]:
    api = client.api
    flt = {"label": "agentbench.run"}
    return ([f"container {c['Names']}" for c in api.containers(all=True, filters=flt)]
            + [f"network {n['Name']}" for n in api.networks(filters=flt)])


def _sigint_as_in_a_terminal() -> None:
    # A shell starts background jobs with SIGINT ignored, and nohup starts its command with SIGHUP
    # ignored; an ignored signal stays ignored across exec: a suite run from `make test &` or under
    # nohup would then test a pytest that Ctrl-C or a hang-up cannot reach.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


# Popen arguments for a run that Ctrl-C tests interrupt: its own process group, as a terminal's
# Ctrl-C sees it (os.killpg), with SIGINT acting as it does in a terminal.
LIKE_A_TERMINAL = {"start_new_session": True, "preexec_fn": _sigint_as_in_a_terminal}


def wait_for(predicate, timeout: float, what: str):
    """The predicate's first truthy value, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def add_agent(project: Path, name: str, start_sh: str, files: dict[str, str] | None = None) -> None:
    """An agent of the test's own in `project`/agents: the nop agent's image with this start.sh, plus
    `files` (name -> text) beside it in /home/agent."""
    folder = project / "agents" / name
    folder.mkdir()
    (folder / "config.yaml").write_text(f"{name}:\n  start: start.sh\n")
    dockerfile = (AGENTS / "nop" / "Dockerfile").read_text()
    for file, text in (files or {}).items():
        (folder / file).write_text(text)
        dockerfile += f"COPY --chown=nonroot:nonroot {file} /home/agent/\n"
    (folder / "Dockerfile").write_text(dockerfile)
    (folder / "start.sh").write_text(start_sh)


def install_entry_point_package(tmp_path: Path, dist: str, group: str, entry: str, module: str, code: str) -> Path:
    """A package with one module and one entry point (`entry` = "name = module:attr" under `group`),
    built and installed by pip into a folder of its own, for PYTHONPATH: the test venv, shared with the
    tests running at the same time, is left as it was. Returns that folder."""
    source = tmp_path / dist
    source.mkdir()
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{dist}"\nversion = "0.1"\n\n[project.entry-points."{group}"]\n{entry}\n')
    (source / f"{module}.py").write_text(code)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(source)],
                   check=True, capture_output=True)
    assert (site / f"{module}.py").is_file()
    return site


# An agent's model client in a container, standard library only (the base image's python3):
# post(path, body, key) -> (HTTP status, body text), status 0 when the gateway cannot be reached.
GATEWAY_CLIENT = r'''
import json, os, urllib.request, urllib.error
base, token = os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"]
def post(path, body, key=token):
    request = urllib.request.Request(base + path, json.dumps(body).encode(),
                                     {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)
'''


def load_as_mle_bench(report: dict) -> dict:
    """What MLE-bench's CompetitionReport.from_dict does with a report, field by field (float() of every
    threshold, bool() of the flags, datetime.fromisoformat of created_at): raises where it would. Also
    what its files hold: naive created_at, submission_path a string."""
    from datetime import datetime

    typed = {key: float(report[key]) for key in
             ("gold_threshold", "silver_threshold", "bronze_threshold", "median_threshold")}
    typed["score"] = None if report["score"] is None else float(report["score"])
    typed.update({key: bool(report[key]) for key in (
        "any_medal", "gold_medal", "silver_medal", "bronze_medal", "above_median", "submission_exists",
        "valid_submission")})
    assert isinstance(report["is_lower_better"], bool), report["is_lower_better"]
    typed["created_at"] = datetime.fromisoformat(report["created_at"])
    assert typed["created_at"].tzinfo is None, f"created_at {report['created_at']} is not naive as MLE-bench's"
    assert isinstance(report["submission_path"], str), report["submission_path"]
    return {**report, **typed}


# TheAgentCompany's repository, read-only: a checkout (TAC_CHECKOUT), else this machine's mirror of it.
TAC_MIRROR = Path("/work/.mirror/li-boxuan+TheAgentCompany/repo")


def tac_summarise(group: Path, dependencies: dict[str, list[str]], tmp: Path) -> str:
    """What TheAgentCompany's own `evaluation/summarise_results.py <group>` prints: the real script, run
    as its README says, beside a `workspaces/tasks/<task>/dependencies.yml` per task (it reads them);
    the test is skipped, saying why, where TAC's repository is not on this machine."""
    checkout = os.environ.get("TAC_CHECKOUT")
    script = tmp / "tac" / "evaluation" / "summarise_results.py"
    script.parent.mkdir(parents=True)
    if checkout:
        script.write_bytes((Path(checkout) / "evaluation" / "summarise_results.py").read_bytes())
    elif TAC_MIRROR.is_dir():
        script.write_bytes(subprocess.run(["git", "--git-dir", str(TAC_MIRROR), "show",
                                           "HEAD:evaluation/summarise_results.py"],
                                          capture_output=True, check=True).stdout)
    else:
        pytest.skip(f"TheAgentCompany's summarise_results.py is not here: set TAC_CHECKOUT to a checkout of "
                    f"https://github.com/TheAgentCompany/TheAgentCompany ({TAC_MIRROR} is absent)")
    for task, services in dependencies.items():
        folder = tmp / "tac" / "workspaces" / "tasks" / task
        folder.mkdir(parents=True)
        (folder / "dependencies.yml").write_text(yaml.safe_dump(services))
    done = subprocess.run([sys.executable, str(script), str(group)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def tac_summary_rows(report: str) -> dict[str, list[str]]:
    """summarise_results.py's per-task table: task image name -> [total, result, score, steps, cost]."""
    rows = {}
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].endswith("-image"):
            rows[cells[0]] = cells[1:]
    return rows
