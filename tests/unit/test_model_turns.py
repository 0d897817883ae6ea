"""The model's turns in the trajectory come from the gateway's recorded calls, whatever API the agent
spoke: its text and tool calls, whole or streamed, with the call's times, model and status."""

import json

from pytest_agentbench.gateway.turns import model_turns

BASH = {"name": "bash", "arguments": json.dumps({"command": "ls"})}


def call(seq, endpoint, **fields):
    return {"seq": seq, "time": 100.0 + seq, "latency_s": 0.5, "endpoint": endpoint, "status": 200,
            "request": {"model": "gpt-4o"}, **fields}


def test_turns_of_every_api_whole_and_streamed():
    calls = [
        call(1, "chat", response={"choices": [{"message": {"content": "I look.", "tool_calls": [
            {"id": "c1", "type": "function", "function": BASH}]}}]}),
        call(2, "chat", events=[
            {"choices": [{"delta": {"role": "assistant", "content": "Now "}}]},
            {"choices": [{"delta": {"content": "run."}}]},
            {"choices": [{"delta": {"tool_calls": [
                {"index": 0, "function": {"name": "bash", "arguments": "{\"comm"}}]}}]},
            {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "and\": \"ls\"}"}}]}}]},
            {"choices": [], "usage": {"prompt_tokens": 3}}]),
        call(3, "responses", response={"output": [
            {"type": "message", "content": [{"type": "output_text", "text": "Reviewed."}]},
            {"type": "function_call", "name": "submit_review", "arguments": "{\"is_bug\": false}"}]}),
        call(4, "messages", events=[
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
            {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "name": "bash"}},
            {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{}"}}]),
        dict(call(5, "chat"), status=429, error="budget exhausted"),
    ]
    turns = model_turns(list(reversed(calls)))  # recorded in the order they ended: sorted by start
    assert [t["call"] for t in turns] == [1, 2, 3, 4, 5]
    assert turns[0] == {"role": "assistant", "content": "I look.", "model": "gpt-4o", "call": 1, "status": 200,
                        "start": 101.0, "end": 101.5, "tool_calls": [BASH]}
    assert turns[1]["content"] == "Now run." and turns[1]["tool_calls"] == [BASH]
    assert turns[2]["content"] == "Reviewed." and turns[2]["tool_calls"][0]["name"] == "submit_review"
    assert turns[3]["content"] == "Hi" and turns[3]["tool_calls"] == [{"name": "bash", "arguments": "{}"}]
    assert turns[4]["content"] == "budget exhausted" and turns[4]["status"] == 429
