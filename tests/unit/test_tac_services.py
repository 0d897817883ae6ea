"""Evaluators' helpers over what the services held (tac/services.py): the coworkers' conversations."""

from __future__ import annotations

import json

from pytest_agentbench.families.workplace.tac import services


def test_a_coworkers_conversation_is_found_by_full_name_or_login(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "ROOT", tmp_path)
    agent, li = "agent@the-agent-company.com", "li_ming@the-agent-company.com"
    (tmp_path / "coworkers.json").write_text(json.dumps({"conversations": [
        {"coworker": "li_ming", "name": "Li Ming", "with": agent, "messages": [
            {"from": agent, "to": li, "body": "Which port?", "when": 1.0},
            {"from": li, "to": agent, "body": "8443.", "when": 2.0}]},
        {"coworker": "sarah", "name": "Sarah Johnson", "with": agent, "messages": [
            {"from": agent, "to": "sarah@the-agent-company.com", "body": "Hello", "when": 3.0}]}]}))
    assert [m["body"] for m in services.coworker_messages("Li Ming")] == ["Which port?", "8443."]
    assert services.coworker_messages("li_ming") == services.coworker_messages("Li Ming")
    assert [m["body"] for m in services.messages_to_coworker("li_ming")] == ["Which port?"]
    assert services.coworker_messages("Mike Chen") == []


def test_no_conversations_saved_reads_as_none(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "ROOT", tmp_path)
    assert services.coworker_messages("Li Ming") == [] and services.messages_to_coworker("Li Ming") == []
