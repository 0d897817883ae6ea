"""The gateway's host half against the tests' OpenAI-compatible endpoint: answers, metering, budgets,
the recorded calls and their replay. The relay and a real container are in tests/integration/test_gateway.py."""

from __future__ import annotations

import json

import litellm
import pytest

from pytest_agentbench.gateway.forwarder import Forwarder
from pytest_agentbench.gateway.meter import Budget, Meter
from pytest_agentbench.gateway.recorder import CallRecorder, read_calls
from pytest_agentbench.gateway.replay import Replayer


def forwarder(fake_llm, tmp_path, budget=Budget(), replay=None):
    return Forwarder("task-a", Meter(budget), CallRecorder(tmp_path), models=["openai/gpt-4o"], replay=replay,
                     litellm_args={"api_base": fake_llm.url, "api_key": "sk-host-secret-123"})


def chat(text, model="openai/gpt-4o", **extra):
    return {"method": "POST", "path": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": text}], **extra}}


def test_a_call_is_answered_metered_at_the_endpoints_token_counts_and_priced_by_litellm(fake_llm, tmp_path):
    fake_llm.set_rules([(r"capital", "Paris it is")])
    fwd = forwarder(fake_llm, tmp_path)
    reply = fwd.handle(chat("the capital of France"))
    assert reply["status"] == 200
    assert reply["body"]["choices"][0]["message"]["content"] == "Paris it is"
    summary = fwd.meter.summary()
    assert (summary["calls"], summary["prompt_tokens"], summary["completion_tokens"]) == (1, 4, 3)
    expected = sum(litellm.cost_per_token(model="gpt-4o", prompt_tokens=4, completion_tokens=3))
    assert summary["cost_usd"] == pytest.approx(expected)


def test_an_unknown_model_has_tokens_and_cost_unknown(fake_llm, tmp_path):
    fwd = forwarder(fake_llm, tmp_path)
    assert fwd.handle(chat("hello there", model="openai/our-private-model"))["status"] == 200
    summary = fwd.meter.summary()
    assert summary["prompt_tokens"] == 2 and summary["cost_usd"] == "unknown"


def test_a_streamed_request_gets_chunks_carrying_the_whole_answer(fake_llm, tmp_path):
    fake_llm.set_rules([(r".", "one two three")])
    reply = forwarder(fake_llm, tmp_path).handle(chat("go", stream=True))
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in reply["chunks"] if c["choices"])
    assert text == "one two three"
    assert reply["chunks"][-1]["usage"]["completion_tokens"] == 3


def test_the_model_list_names_the_configured_models(fake_llm, tmp_path):
    reply = forwarder(fake_llm, tmp_path).handle({"method": "GET", "path": "/v1/models", "body": None})
    assert [m["id"] for m in reply["body"]["data"]] == ["openai/gpt-4o"]


@pytest.mark.parametrize("budget, reason", [(Budget(calls=2), "--llm-budget-calls"),
                                            (Budget(tokens=5), "--llm-budget-tokens"),
                                            (Budget(usd=0.00001), "--llm-budget-usd")])
def test_past_the_budget_the_agent_reads_an_openai_error_and_the_meter_says_why(fake_llm, tmp_path, budget, reason):
    fwd = forwarder(fake_llm, tmp_path, budget)
    replies = [fwd.handle(chat(f"question number {i}")) for i in range(4)]
    stopped = [r for r in replies if r["status"] == 429]
    assert stopped, replies
    assert stopped[0]["body"]["error"]["code"] == "budget_exhausted"
    assert reason in stopped[0]["body"]["error"]["message"]
    assert reason in fwd.meter.summary()["exhausted"]
    assert len(fake_llm.requests) < 4  # the provider was not asked past the budget


def test_a_budget_that_is_not_a_number_names_the_option():
    with pytest.raises(ValueError, match=r"--llm-budget-usd takes a number, not 'lots'"):
        Budget.parse(usd="lots")


def test_provider_failure_is_an_error_the_agent_reads_and_the_meter_counts(tmp_path):
    fwd = Forwarder("task-a", Meter(), CallRecorder(tmp_path),
                    litellm_args={"api_base": "http://127.0.0.1:9/v1", "api_key": "x", "timeout": 5,
                                  "max_retries": 0})
    reply = fwd.handle(chat("hi"))
    assert reply["status"] >= 400 and "provider" in reply["body"]["error"]["message"]
    assert fwd.meter.summary()["errors"] == 1


def test_calls_are_recorded_without_keys(fake_llm, tmp_path):
    fwd = forwarder(fake_llm, tmp_path)
    fwd.handle(chat("hello", api_key="sk-agent-sent-this-key"))
    text = (tmp_path / "llm" / "calls.jsonl").read_text()
    assert "sk-agent-sent-this-key" not in text and "sk-host-secret-123" not in text
    (call,) = read_calls(tmp_path)
    assert call["seq"] == 1 and call["request"]["messages"][0]["content"] == "hello"
    assert call["usage"]["prompt_tokens"] == 1


def test_replay_answers_in_order_without_the_endpoint_and_names_a_missing_call(fake_llm, tmp_path):
    answers = iter(["first", "second", "third"])
    fake_llm.set_rules([lambda text: next(answers)])
    recorded = tmp_path / "recorded"
    fwd = forwarder(fake_llm, recorded)
    live = [fwd.handle(chat(text))["body"]["choices"][0]["message"]["content"] for text in ("same", "other", "same")]
    fake_llm.stop()

    again = Forwarder("task-a", Meter(), CallRecorder(tmp_path / "again"), replay=Replayer(recorded, "task-a"))
    replayed = [again.handle(chat(text))["body"]["choices"][0]["message"]["content"]
                for text in ("same", "other", "same")]
    assert replayed == live == ["first", "second", "third"]
    assert again.meter.summary()["prompt_tokens"] == fwd.meter.summary()["prompt_tokens"]
    missing = again.handle(chat("never asked"))
    assert missing["status"] == 409
    assert "task-a: call 4" in missing["body"]["error"]["message"]
    assert again.replay_miss and "task-a: call 4" in again.replay_miss
    assert json.loads((tmp_path / "again" / "llm" / "calls.jsonl").read_text().splitlines()[0])["replayed"]
