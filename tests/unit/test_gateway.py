"""The model gateway's host side through its real relay (in this process, on loopback: tests/local_gateway.py),
with litellm as the provider and tests/fake_llm.py behind it; an OpenAI client plays the agent."""

from __future__ import annotations

import json
import threading
import time

import httpx
import litellm
import openai
import pytest

from local_gateway import LocalGateway
from pytest_agentbench.gateway import settings as llm_settings
from pytest_agentbench.gateway.item import ItemGateway
from pytest_agentbench.gateway.meter import Budget, Meter
from pytest_agentbench.gateway.provider import LiteLLMProvider
from pytest_agentbench.gateway.recorder import CALLS_FILE, read_calls
from pytest_agentbench.gateway.replay import Replay
from pytest_agentbench.gateway.steps import model_steps

PROVIDER_KEY = "sk-provider-key-that-stays-on-the-host-123456"
TOOL = {"type": "function", "function": {"name": "run", "description": "run a shell command",
                                         "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}}}


@pytest.fixture
def gateway():
    with LocalGateway() as gw:
        yield gw


def make_item(gateway, fake_llm, tmp_path, budget=Budget(), models=(), name="task-a") -> ItemGateway:
    provider = LiteLLMProvider({"api_base": fake_llm.url, "api_key": PROVIDER_KEY})
    return gateway.add_item(ItemGateway.for_item(name, tmp_path / name, provider, Meter(budget), models))


def client(gateway, item) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url, api_key=item.token, max_retries=0)


def ask(c: openai.OpenAI, text: str, model="openai/fake-model", **kw):
    return c.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], **kw)


def test_a_chat_call_is_answered_metered_and_recorded(gateway, fake_llm, tmp_path):
    fake_llm.set_rules([(r"capital", "Paris is the capital")])
    fake_llm.cached_tokens = 2
    item = make_item(gateway, fake_llm, tmp_path)
    answer = ask(client(gateway, item), "what is the capital of France")
    assert answer.choices[0].message.content == "Paris is the capital"
    reported = fake_llm.usages[-1]
    totals = item.meter.totals()
    assert (totals["prompt_tokens"], totals["completion_tokens"], totals["cached_tokens"]) == (
        reported["prompt_tokens"], reported["completion_tokens"], 2)
    assert totals["calls"] == 1 and totals["cost_usd"] is None  # litellm has no price for openai/fake-model
    assert item.meter.summary()["cost"] == "unknown"
    [call] = read_calls(tmp_path / "task-a" / CALLS_FILE)
    assert call["request"]["messages"][0]["content"] == "what is the capital of France"
    assert call["response"]["choices"][0]["message"]["content"] == "Paris is the capital"
    assert call["usage"]["prompt_tokens"] == reported["prompt_tokens"] and call["source"] == "provider"
    assert PROVIDER_KEY not in (tmp_path / "task-a" / CALLS_FILE).read_text()


def test_cost_comes_from_litellms_price_table(gateway, fake_llm, tmp_path):
    item = make_item(gateway, fake_llm, tmp_path)
    ask(client(gateway, item), "one two three four", model="openai/gpt-4o")
    reported = fake_llm.usages[-1]
    prompt, completion = litellm.cost_per_token(model="openai/gpt-4o", prompt_tokens=reported["prompt_tokens"],
                                                completion_tokens=reported["completion_tokens"])
    assert item.meter.totals()["cost_usd"] == pytest.approx(prompt + completion)
    assert item.meter.totals()["cost_usd"] > 0


def test_streaming_passes_chunks_and_meters_the_usage_the_agent_did_not_ask_for(gateway, fake_llm, tmp_path):
    fake_llm.set_rules([(r".", "one two three four five")])
    item = make_item(gateway, fake_llm, tmp_path)
    chunks = list(ask(client(gateway, item), "count please", stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "one two three four five"
    assert all(c.choices for c in chunks)  # no usage-only chunk for an agent that did not ask for one
    assert len(chunks) >= 5  # word by word, as the provider sent them
    assert item.meter.totals()["completion_tokens"] == fake_llm.usages[-1]["completion_tokens"] == 5
    [call] = read_calls(tmp_path / "task-a" / CALLS_FILE)
    assert call["request"]["stream"] is True and len(call["events"]) >= 5


def test_a_stream_that_asks_for_usage_gets_it(gateway, fake_llm, tmp_path):
    item = make_item(gateway, fake_llm, tmp_path)
    chunks = list(ask(client(gateway, item), "a b c", stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].usage.prompt_tokens == fake_llm.usages[-1]["prompt_tokens"] == 3


def test_tools_go_to_the_provider_and_tool_calls_come_back(gateway, fake_llm, tmp_path):
    call = {"id": "call_1", "type": "function", "function": {"name": "run", "arguments": "{\"cmd\": \"ls\"}"}}
    fake_llm.set_rules([lambda text: {"role": "assistant", "content": None, "tool_calls": [call]}])
    item = make_item(gateway, fake_llm, tmp_path)
    c = client(gateway, item)
    answer = ask(c, "list files", tools=[TOOL])
    assert fake_llm.requests[-1]["tools"][0]["function"]["name"] == "run"
    assert answer.choices[0].message.tool_calls[0].function.arguments == "{\"cmd\": \"ls\"}"
    streamed = [tc for chunk in ask(c, "list files", tools=[TOOL], stream=True)
                for tc in (chunk.choices[0].delta.tool_calls or [])]
    assert streamed[0].function.name == "run"


def test_the_responses_api_streamed_and_not(gateway, fake_llm, tmp_path):
    fake_llm.set_rules([(r".", "hello from responses")])
    item = make_item(gateway, fake_llm, tmp_path)
    c = client(gateway, item)
    answer = c.responses.create(model="openai/fake-model", input="say hello")
    assert answer.output_text == "hello from responses"
    events = list(c.responses.create(model="openai/fake-model", input="say hello", stream=True))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "hello from responses"
    assert item.meter.totals()["prompt_tokens"] == sum(u["prompt_tokens"] for u in fake_llm.usages) == 4
    assert item.meter.totals()["completion_tokens"] == 6


def test_anthropics_messages_api_streamed_and_not(gateway, fake_llm, tmp_path):
    """As Anthropic's clients call it (x-api-key, /v1/messages); litellm turns it into the provider's API."""
    fake_llm.set_rules([(r".", "hello from messages")])
    item = make_item(gateway, fake_llm, tmp_path)
    url, headers = gateway.url + "/messages", {"x-api-key": item.token, "anthropic-version": "2023-06-01"}
    body = {"model": "openai/fake-model", "max_tokens": 50, "messages": [{"role": "user", "content": "say hi"}]}
    answer = httpx.post(url, headers=headers, json=body).json()
    assert answer["type"] == "message" and answer["content"][0]["text"] == "hello from messages"
    with httpx.stream("POST", url, headers=headers, json=dict(body, stream=True)) as streamed:
        events = [json.loads(line[5:]) for line in streamed.iter_lines() if line.startswith("data:")]
    assert "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta") == \
        "hello from messages"
    assert events[-1]["type"] == "message_stop"
    totals = item.meter.totals()
    assert totals["calls"] == 2 and totals["completion_tokens"] == sum(u["completion_tokens"] for u in fake_llm.usages)


def test_each_call_becomes_a_model_step_with_what_was_new_to_the_model_and_what_it_said(gateway, fake_llm,
                                                                                          tmp_path):
    call = {"id": "call_1", "type": "function", "function": {"name": "run", "arguments": "{\"cmd\": \"ls\"}"}}
    fake_llm.set_rules([(r"a\.txt", "plain words"), (r"list", {"role": "assistant", "content": None, "tool_calls": [call]}),
                        (r".", "plain words")])
    item = make_item(gateway, fake_llm, tmp_path)
    c = client(gateway, item)
    ask(c, "list files", tools=[TOOL])
    list(ask(c, "list files", tools=[TOOL], stream=True))
    history = [{"role": "user", "content": "show the files"}, {"role": "assistant", "tool_calls": [call]},
               {"role": "tool", "tool_call_id": "call_1", "content": "a.txt"}]
    c.chat.completions.create(model="openai/fake-model", messages=history, tools=[TOOL])
    c.responses.create(model="openai/fake-model", input="say hello", instructions="be brief")
    list(c.responses.create(model="openai/fake-model", input="say hello", stream=True))
    url, headers = gateway.url + "/messages", {"x-api-key": item.token, "anthropic-version": "2023-06-01"}
    body = {"model": "openai/fake-model", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}
    httpx.post(url, headers=headers, json=body)
    with httpx.stream("POST", url, headers=headers, json=dict(body, stream=True)) as streamed:
        streamed.read()

    steps = model_steps(read_calls(tmp_path / "task-a" / CALLS_FILE))
    said = [(s["output"], s["tool_calls"]) for s in steps]
    assert said == [("", [{"name": "run", "arguments": '{"cmd": "ls"}'}])] * 2 + [("plain words", [])] * 5
    assert [s["input"] for s in steps[:3]] == [[{"role": "user", "content": "list files"}]] * 2 + [
        [{"role": "tool", "content": "a.txt", "tool_call_id": "call_1"}]]  # only what the model had not seen
    assert steps[3]["input"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "say hello"}]
    assert [s["call"] for s in steps] == list(range(1, 8)) and all(s["end"] >= s["start"] > 0 for s in steps)
    assert steps[0]["usage"]["prompt_tokens"] == fake_llm.usages[0]["prompt_tokens"]


def test_the_model_list_is_the_runs_models(gateway, fake_llm, tmp_path):
    item = make_item(gateway, fake_llm, tmp_path, models=["openai/fake-model"])
    c = client(gateway, item)
    assert [m.id for m in c.models.list()] == ["openai/fake-model"]
    with pytest.raises(openai.BadRequestError, match="not offered here"):
        ask(c, "hi", model="openai/other")
    assert fake_llm.requests == []


def test_another_key_gets_401_and_nothing_is_forwarded(gateway, fake_llm, tmp_path):
    make_item(gateway, fake_llm, tmp_path)
    for headers in ({"Authorization": "Bearer sk-guess"}, {"Authorization": f"Bearer {PROVIDER_KEY}"},
                    {"x-api-key": "sk-guess"}, {}):
        answer = httpx.post(f"{gateway.url}/chat/completions", headers=headers,
                            json={"model": "openai/fake-model", "messages": [{"role": "user", "content": "hi"}]})
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_api_key"
    assert fake_llm.requests == []


def test_litellm_arguments_in_a_request_are_refused(gateway, fake_llm, tmp_path):
    """An agent that could set api_base would have litellm send the host's key to its own address."""
    thief = LocalGateway().start()  # any listener: it must receive nothing
    try:
        item = make_item(gateway, fake_llm, tmp_path)
        for field in ("api_base", "base_url", "api_key", "mock_response", "extra_headers"):
            with pytest.raises(openai.BadRequestError, match=field):
                ask(client(gateway, item), "hi", extra_body={field: thief.url})
        assert fake_llm.requests == []
        assert item.meter.totals()["failed_calls"] == 5
    finally:
        thief.stop()


def test_a_calls_budget_stops_the_item_with_an_error_it_can_read(gateway, fake_llm, tmp_path):
    item = make_item(gateway, fake_llm, tmp_path, Budget(calls=2))
    c = client(gateway, item)
    ask(c, "one")
    ask(c, "two")
    with pytest.raises(openai.RateLimitError) as refused:
        ask(c, "three")
    assert refused.value.code == "budget_exhausted" and "--llm-budget-calls" in refused.value.message
    assert refused.value.response.headers["x-should-retry"] == "false"
    assert len(fake_llm.requests) == 2
    assert "--llm-budget-calls" in item.meter.summary()["budget_exhausted"]


def test_a_usd_budget_counts_litellms_cost(gateway, fake_llm, tmp_path):
    item = make_item(gateway, fake_llm, tmp_path, Budget(usd=0.000001))
    c = client(gateway, item)
    ask(c, "a long enough question to cost something", model="openai/gpt-4o")
    with pytest.raises(openai.RateLimitError, match="budget exhausted"):
        ask(c, "again", model="openai/gpt-4o")
    assert len(fake_llm.requests) == 1


def test_a_usd_budget_refuses_spending_it_cannot_price(gateway, fake_llm, tmp_path):
    item = make_item(gateway, fake_llm, tmp_path, Budget(usd=5))
    c = client(gateway, item)
    ask(c, "hi")  # the first call's price is known only after it
    with pytest.raises(openai.RateLimitError, match="cost so far is unknown"):
        ask(c, "hi")


def test_a_tokens_budget(gateway, fake_llm, tmp_path):
    item = make_item(gateway, fake_llm, tmp_path, Budget(tokens=3))
    c = client(gateway, item)
    ask(c, "one two three four")
    with pytest.raises(openai.RateLimitError, match="--llm-budget-tokens"):
        ask(c, "one")


@pytest.mark.parametrize("option, value", [("usd", "half"), ("usd", "-1"), ("tokens", "1.5"), ("calls", "nan"),
                                           ("usd", "inf")])
def test_a_budget_that_is_not_a_number_names_its_option(option, value):
    with pytest.raises(ValueError, match=f"--llm-budget-{option}: got {value!r}"):
        Budget.parse(**{option: value})


def test_provider_failures_reach_the_agent_as_readable_errors(gateway, fake_llm, tmp_path):
    item = make_item(gateway, fake_llm, tmp_path)
    c = client(gateway, item)
    fake_llm.fail_status = 500
    with pytest.raises(openai.APIStatusError, match="provider failed") as failed:
        ask(c, "hi")
    assert failed.value.status_code == 502
    fake_llm.stop()
    with pytest.raises(openai.APIStatusError, match="cannot be reached"):
        ask(c, "hi")
    summary = item.meter.summary()
    assert summary["failed_calls"] == 2 and len(summary["errors"]) == 2


def test_a_key_the_provider_refuses_and_a_provider_too_slow_are_named(gateway, fake_llm, tmp_path):
    item = make_item(gateway, fake_llm, tmp_path)
    c = client(gateway, item)
    fake_llm.fail_status = 401
    with pytest.raises(openai.APIStatusError, match="provider refused the key the harness holds") as refused:
        ask(c, "hi")
    assert refused.value.status_code == 502  # the harness's setting, not the agent's token
    fake_llm.fail_status = None
    fake_llm.set_rules([lambda text: time.sleep(3) or "too late"])
    slow = gateway.add_item(ItemGateway.for_item("slow", tmp_path / "slow", LiteLLMProvider(
        {"api_base": fake_llm.url, "api_key": PROVIDER_KEY, "num_retries": 0}, timeout=0.5), Meter()))
    with pytest.raises(openai.APIStatusError, match="did not answer in time") as late:
        ask(client(gateway, slow), "hi")
    assert late.value.status_code == 504


def test_no_provider_key_on_the_host_is_named_in_the_answer(gateway, fake_llm, tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    item = gateway.add_item(ItemGateway.for_item("bare", tmp_path / "bare", LiteLLMProvider(), Meter()))
    c = client(gateway, item)
    for model in ("gpt-4o", "anthropic/claude-3-5-sonnet-20240620"):
        with pytest.raises(openai.APIStatusError, match="no provider is configured") as refused:
            ask(c, "hi", model=model)
        assert refused.value.status_code == 502 and refused.value.body["code"] == "provider_not_configured"
    assert "OPENAI_API_KEY" in str(item.meter.summary()["errors"][0])
    assert "ANTHROPIC_API_KEY" in str(item.meter.summary()["errors"][1])
    assert not fake_llm.requests


def test_llm_models_a_run_cannot_reach_stop_it_at_start(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    options = {"agentbench_llm_gateway": True, "agentbench_llm_replay": None}
    opt = lambda models: lambda name: {**options, "agentbench_llm_models": models}.get(name)  # noqa: E731
    with pytest.raises(ValueError, match="--llm-model bogus-model: litellm does not know which provider"):
        llm_settings.from_options(opt(["bogus-model"]))
    with pytest.raises(ValueError, match="--llm-model gpt-4o: no provider is configured: set OPENAI_API_KEY"):
        llm_settings.from_options(opt(["gpt-4o"]))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert llm_settings.from_options(opt(["gpt-4o"]))["models"] == ["gpt-4o"]


def test_an_unknown_model_is_the_agents_error(gateway, fake_llm, tmp_path):
    item = make_item(gateway, fake_llm, tmp_path)
    with pytest.raises(openai.BadRequestError, match="(?i)provider"):
        ask(client(gateway, item), "hi", model="no-such-provider-model-xyz")
    assert fake_llm.requests == []


def test_replay_answers_from_the_recording_in_order_and_names_a_miss(gateway, fake_llm, tmp_path):
    answers = iter(["first answer", "second answer", "third answer"])
    fake_llm.set_rules([lambda text: next(answers)])
    recorded = make_item(gateway, fake_llm, tmp_path, name="task-r")
    c = client(gateway, recorded)
    live = [ask(c, "same question").choices[0].message.content, ask(c, "same question").choices[0].message.content,
            "".join(ch.choices[0].delta.content or "" for ch in ask(c, "streamed", stream=True))]
    fake_llm.stop()  # the replay must not need the provider

    replay = Replay(tmp_path / "task-r" / CALLS_FILE, "task_specs/x.yaml::task-r")
    again = gateway.add_item(ItemGateway.for_item("task-r", tmp_path / "again", replay, Meter()))
    c = client(gateway, again)
    assert [ask(c, "same question").choices[0].message.content, ask(c, "same question").choices[0].message.content,
            "".join(ch.choices[0].delta.content or "" for ch in ask(c, "streamed", stream=True))] == live
    assert again.meter.totals()["completion_tokens"] == recorded.meter.totals()["completion_tokens"]
    with pytest.raises(openai.APIStatusError, match=r"item task_specs/x.yaml::task-r: call 4 .*no recorded answer"):
        ask(c, "a question never asked")
    assert "call 4" in replay.miss
    assert [e["source"] for e in read_calls(tmp_path / "again" / CALLS_FILE)] == ["replay"] * 3 + ["gateway"]


def test_concurrent_streams_all_complete(gateway, fake_llm, tmp_path):
    fake_llm.set_rules([lambda text: f"answer to {text}"])
    item = make_item(gateway, fake_llm, tmp_path)
    c = client(gateway, item)
    got: dict[int, str] = {}

    def one(i: int) -> None:
        got[i] = "".join(ch.choices[0].delta.content or "" for ch in ask(c, f"q{i}", stream=True))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert got == {i: f"answer to q{i}" for i in range(30)}
    assert item.meter.totals()["calls"] == 30


def test_a_recorded_line_redacts_credential_fields(tmp_path):
    from pytest_agentbench.gateway.recorder import CallRecorder

    CallRecorder(tmp_path).write({"request": {"messages": [], "metadata": {"api_key": "abc", "OPENAI_API_KEY": "x"}}})
    line = json.loads((tmp_path / CALLS_FILE).read_text())
    assert line["request"]["metadata"] == {"api_key": "[redacted]", "OPENAI_API_KEY": "[redacted]"}
