"""The environment-LLM judge through real litellm, against the local fake endpoint; and the fake itself."""

import json
import urllib.error
import urllib.request

import pytest

from pytest_agentbench.families.workplace.tac import judge
from pytest_agentbench.families.workplace.tac.common import evaluate_with_llm

SETTINGS = ("LITELLM_API_KEY", "LITELLM_BASE_URL", "LITELLM_MODEL")


def log_records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- not configured ----------------------------------------------------------------------------

@pytest.mark.parametrize("present", [(), ("LITELLM_API_KEY",), ("LITELLM_API_KEY", "LITELLM_BASE_URL")])
def test_unconfigured_judge_names_all_three_settings(no_judge_env, monkeypatch, present):
    for name in present:
        monkeypatch.setenv(name, "set")
    with pytest.raises(judge.JudgeNotConfigured) as raised:
        judge.llm_complete([{"role": "user", "content": "hi"}])
    message = str(raised.value)
    assert all(name in message for name in SETTINGS)
    assert raised.value.missing == [name for name in SETTINGS if name not in present]
    assert not judge.is_configured()


def test_an_empty_setting_counts_as_unset(no_judge_env, monkeypatch):
    for name in SETTINGS:
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("LITELLM_API_KEY", "")
    with pytest.raises(judge.JudgeNotConfigured, match="LITELLM_API_KEY is not set"):
        judge.judge_config()


# --- calls through litellm ---------------------------------------------------------------------

def test_judge_call_sends_temperature_0_and_logs_prompt_answer_tokens_and_cost(fake_llm, judge_env):
    fake_llm.set_rules([(r"capital of France", "Paris")])
    messages = [{"role": "user", "content": "What is the capital of France?"}]

    response = judge.llm_complete(messages)

    assert judge.answer_text(response) == "Paris"
    assert response["choices"][0]["message"]["content"] == "Paris"        # TAC evaluators read it so
    (sent,) = fake_llm.requests
    assert sent["temperature"] == 0 and sent["messages"] == messages and sent["model"] == "gpt-4o"
    (record,) = log_records(judge_env)
    assert record["messages"] == messages and record["answer"] == "Paris" and record["model"] == "gpt-4o"
    assert (record["prompt_tokens"], record["completion_tokens"]) == (6, 1)   # the fake counts words
    assert record["cost_usd"] > 0                                             # litellm knows gpt-4o's price


def test_cost_is_null_for_a_model_litellm_cannot_price(fake_llm, judge_env, monkeypatch):
    monkeypatch.setenv("LITELLM_MODEL", "openai/our-private-judge")
    judge.llm_complete([{"role": "user", "content": "hi"}])
    (record,) = log_records(judge_env)
    assert record["cost_usd"] is None and record["model"] == "openai/our-private-judge"
    assert fake_llm.requests[0]["model"] == "our-private-judge"


def test_every_call_is_appended(fake_llm, judge_env):
    fake_llm.set_rules([(r"<content>.*signed", "yes")])
    assert evaluate_with_llm("The contract is signed.", "a signed contract") is True
    assert evaluate_with_llm("Still negotiating.", "a signed contract") is False
    assert [r["answer"] for r in log_records(judge_env)] == ["yes", "no"]


def test_a_failed_call_is_logged_and_raised(fake_llm, judge_env, monkeypatch):
    monkeypatch.setenv("LITELLM_BASE_URL", fake_llm.url + "/no-such-route")
    with pytest.raises(Exception):
        judge.llm_complete([{"role": "user", "content": "hi"}])
    (record,) = log_records(judge_env)
    assert record["answer"] is None and record["error"]


def test_no_log_is_written_without_agentbench_judge_log(fake_llm, judge_env, monkeypatch):
    monkeypatch.delenv("AGENTBENCH_JUDGE_LOG")
    judge.llm_complete([{"role": "user", "content": "hi"}])
    assert len(fake_llm.requests) == 1 and not judge_env.exists()


# --- the fake endpoint -------------------------------------------------------------------------

def post(url, body):
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_fake_llm_answers_by_first_matching_rule_on_the_last_user_message(fake_llm):
    fake_llm.set_rules([(r"memo", "first"), (r"memo|email", "second")], default="fallback")
    base = f"http://127.0.0.1:{fake_llm.port}"

    def ask(path, *contents):
        messages = [{"role": "user", "content": c} for c in contents]
        return post(base + path, {"model": "m", "messages": messages})

    assert ask("/v1/chat/completions", "memo", "an email")["choices"][0]["message"]["content"] == "second"
    assert ask("/chat/completions", "a memo")["choices"][0]["message"]["content"] == "first"
    reply = ask("/v1/chat/completions", "other words here")
    assert reply["choices"][0]["message"] == {"role": "assistant", "content": "fallback"}
    assert reply["usage"] == {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    assert len(fake_llm.requests) == 3


def test_fake_llm_refuses_unknown_routes_and_listens_on_all_interfaces(fake_llm):
    with pytest.raises(urllib.error.HTTPError) as raised:
        post(f"http://127.0.0.1:{fake_llm.port}/v1/embeddings", {})
    assert raised.value.code == 404 and fake_llm.requests == []
    assert fake_llm._server.server_address[0] == "0.0.0.0"
    assert fake_llm.url == f"http://127.0.0.1:{fake_llm.port}/v1"
