"""A task's compose.yaml: the Compose subset the harness runs, and errors naming file, line, service and key."""

from __future__ import annotations

import json
import textwrap

import pytest

from pytest_agentbench.services.compose import load_stack
from pytest_agentbench.spec import SpecError, load_spec

IMAGE = "FROM scratch\n"


def compose(tmp_path, text: str):
    (tmp_path / "img").mkdir(exist_ok=True)
    (tmp_path / "img" / "Dockerfile").write_text(IMAGE)
    path = tmp_path / "compose.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def error_of(tmp_path, text: str) -> str:
    with pytest.raises(SpecError) as e:
        load_stack(compose(tmp_path, text))
    return str(e.value)


def test_the_subset_reads_as_compose_writes_it(tmp_path):
    (tmp_path / "seed").mkdir()
    stack = load_stack(compose(tmp_path, """
        services:
          db:
            build: {context: ./img, args: {VERSION: "15"}}
            environment: [POSTGRES_PASSWORD=pw, "ESCAPED=$$HOME"]
            volumes: ["data:/var/lib/data", {type: tmpfs, target: /run/db, tmpfs: {size: 1m}}]
            tmpfs: /tmp:size=8m
            healthcheck: {test: "pg_isready", interval: 1m30s, timeout: 500ms, retries: 5, start_period: 2s}
          web:
            image: agentbench/web:1
            command: serve --port 80 "two words"
            depends_on: {db: {condition: service_healthy}}
            networks: {default: {aliases: [the-agent-company.com]}}
            x-agentbench:
              files: {./seed: /seed}
              init: [seed /seed]
              collect: {dump.json: "export all"}
        volumes: {data: }
        x-agentbench: {agent_env: {URL: "http://the-agent-company.com"}}
        x-shared: {anything: goes}
        """))
    db, web = stack.services["db"], stack.services["web"]
    assert db.build.context == tmp_path / "img" and db.build.args == {"VERSION": "15"}
    assert db.environment == {"POSTGRES_PASSWORD": "pw", "ESCAPED": "$HOME"}
    assert db.volumes == {"data": ("/var/lib/data", False)}
    assert db.tmpfs == {"/run/db": "size=1m", "/tmp": "size=8m"}
    assert db.healthcheck.test == ["sh", "-c", "pg_isready"]
    assert (db.healthcheck.interval, db.healthcheck.timeout, db.healthcheck.retries) == (90, 0.5, 5)
    assert web.command == ["serve", "--port", "80", "two words"]
    assert web.depends_on == {"db": "service_healthy"} and web.aliases == ["the-agent-company.com"]
    assert web.files == [(tmp_path / "seed", "/seed")] and web.init == ["seed /seed"]
    assert web.collect == {"dump.json": "export all"}
    assert stack.start_order() == [["db"], ["web"]] and stack.agent_env == {"URL": "http://the-agent-company.com"}


@pytest.mark.parametrize("service, expected", [
    ("ports: ['8080:80']", "the key 'ports' is outside the Compose subset"),
    ("privileged: true", "the key 'privileged' is outside the Compose subset"),
    ("volumes: ['./data:/data']", "a bind mount is outside the subset"),
    ("volumes: ['/srv:/data']", "a bind mount is outside the subset"),
    ("environment: {KEY: $HOME}", "interpolated from the host's environment"),
    ("depends_on: [nowhere]", "depends on 'nowhere', which is not a service"),
    ("healthcheck: {test: [CMD, \"true\"], interval: soon}", "expected a duration"),
])
def test_a_key_outside_the_subset_names_file_line_service_and_key(tmp_path, service, expected):
    message = error_of(tmp_path, f"""
        services:
          web:
            image: agentbench/web:1
            {service}
        """)
    assert str(tmp_path / "compose.yaml") in message and "web" in message and expected in message
    assert message.startswith(f"{tmp_path / 'compose.yaml'}:5:")  # the offending key's line


def test_a_wait_for_health_needs_a_healthcheck_and_no_cycle(tmp_path):
    assert "'db' has no healthcheck" in error_of(tmp_path, """
        services:
          db: {image: db}
          web: {image: web, depends_on: {db: {condition: service_healthy}}}
        """)
    assert "cycle" in error_of(tmp_path, """
        services:
          a: {image: a, depends_on: [b]}
          b: {image: b, depends_on: [a]}
        """)


def test_a_task_with_a_broken_compose_file_is_a_collection_error_of_its_own(tmp_path):
    (tmp_path / "task.yaml").write_text("id: t\ndescription: x\ngrader: grade.py:grade\n")
    (tmp_path / "grade.py").write_text("def grade():\n    return []\n")
    compose(tmp_path, "services:\n  web:\n    image: w\n    ports: ['80:80']\n")
    with pytest.raises(SpecError, match=r"compose.yaml:4: field 'services.web.ports'"):
        load_spec(tmp_path / "task.yaml")


def test_coworkers_are_defined_as_theagentcompanys_scenarios_json_defines_them(tmp_path):
    # TheAgentCompany's own entries (extra_info, strategy_hint), one with the profile fields added here.
    (tmp_path / "scenarios.json").write_text(json.dumps({
        "Li Ming": {"extra_info": "The port is 8443.", "strategy_hint": "Only when asked."},
        "Sarah Johnson": {"occupation": "CTO", "public_info": "Leads R&D.", "username": "sarah",
                          "extra_info": "Budget: 10k.", "clarification_hint": "Ask which quarter."}}))
    stack = load_stack(compose(tmp_path, """
        services:
          chat: {image: chat}
        x-agentbench: {coworkers: {chat: chat}}
        """))
    li, sarah = stack.coworkers.people
    assert stack.coworkers.chat == "chat" and (li.name, li.username) == ("Li Ming", "li_ming")  # TAC's logins
    assert (sarah.username, sarah.occupation) == ("sarah", "CTO")
    prompt = sarah.instructions("the-agent-company.com")
    assert all(text in prompt for text in ("Sarah Johnson, CTO", "Leads R&D.", "Budget: 10k.", "Ask which quarter.",
                                           "sarah@the-agent-company.com"))


@pytest.mark.parametrize("coworkers, scenarios, expected", [
    ("{chat: nowhere}", {"Li Ming": {}}, "the coworkers' chat service 'nowhere' is not a service"),
    ("{chat: chat, room: x}", {"Li Ming": {}}, "the key 'room' is outside"),
    ("{chat: chat}", {"Li Ming": {"secret": "x"}}, "scenarios.json: field 'Li Ming.secret': unknown key"),
    ("{chat: chat}", {"Li Ming": {"extra_info": 3}}, "field 'Li Ming.extra_info': expected a string"),
    ("{chat: chat}", {"Li Ming": {}, "Li  Ming": {}}, "the login 'li_ming' is another coworker's too"),
    ("{chat: chat}", ["Li Ming"], "expected an object of coworkers by full name"),
    ("{chat: chat, scenarios: npc.json}", {"Li Ming": {}}, "npc.json: cannot read the coworkers' scenarios"),
])
def test_a_bad_coworker_declaration_names_its_file_and_key(tmp_path, coworkers, scenarios, expected):
    (tmp_path / "scenarios.json").write_text(json.dumps(scenarios))
    message = error_of(tmp_path, f"""
        services:
          chat: {{image: chat}}
        x-agentbench: {{coworkers: {coworkers}}}
        """)
    assert expected in message, message


def test_a_worker_lifetime_is_read_and_checked(tmp_path):
    stack = load_stack(compose(tmp_path, """
        services:
          db: {image: db, volumes: ["data:/data"]}
        volumes: {data: }
        x-agentbench: {lifetime: worker}
        """))
    assert stack.lifetime == "worker"
    assert load_stack(compose(tmp_path, "services:\n  db: {image: db}\n")).lifetime == "item"
    assert "expected one of item, worker, got 'session'" in error_of(tmp_path, """
        services:
          db: {image: db}
        x-agentbench: {lifetime: session}
        """)
    # The worker's stack is kept as each container's file system: a volume cannot be shared.
    assert "volume 'data' is shared by a, b" in error_of(tmp_path, """
        services:
          a: {image: a, volumes: ["data:/data"]}
          b: {image: b, volumes: ["data:/data"]}
        volumes: {data: }
        x-agentbench: {lifetime: worker}
        """)
