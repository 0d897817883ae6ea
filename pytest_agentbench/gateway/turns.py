"""The model's turns, from an item's recorded calls (recorder.py), as trajectory message steps.

Whatever the API the agent spoke (Chat Completions, the Responses API, Anthropic's messages; whole
answers or streamed events), a turn is what the model said: its text and the tool calls it made,
with the call's times, model and status. The trajectory then holds the model's turns beside the
commands the agent ran (trajectory.py), whatever the agent.
"""

from __future__ import annotations

import json
from typing import Any


def model_turns(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One message step's fields per recorded call, in the order the calls started."""
    turns = []
    for call in sorted(calls, key=lambda c: (c.get("time") or 0, c.get("seq") or 0)):
        request = call.get("request") if isinstance(call.get("request"), dict) else {}
        text, tool_calls = _said(call.get("endpoint"), call.get("response"), call.get("events"))
        start = call.get("time")
        turn = {"role": "assistant", "content": text if call.get("status") == 200 else call.get("error") or "",
                "model": request.get("model"), "call": call.get("seq"), "status": call.get("status"),
                "start": start, "end": start + call["latency_s"] if start and call.get("latency_s") else start}
        if tool_calls:
            turn["tool_calls"] = tool_calls
        turns.append(turn)
    return turns


def _said(endpoint: str | None, response: Any, events: Any) -> tuple[str, list[dict[str, str]]]:
    if endpoint == "chat":
        return _chat(response, events)
    if endpoint == "responses":
        if events:  # the last event of a whole stream holds the whole response
            done = [e.get("response") for e in events if isinstance(e, dict) and e.get("type") == "response.completed"]
            response = done[-1] if done else None
            if response is None:
                return "".join(e.get("delta", "") for e in events if isinstance(e, dict)
                               and e.get("type") == "response.output_text.delta"), []
        return _responses(response)
    if endpoint == "messages":
        return _anthropic(response, events)
    return "", []


def _chat(response: Any, events: Any) -> tuple[str, list[dict[str, str]]]:
    if isinstance(response, dict):
        message = ((response.get("choices") or [{}])[0] or {}).get("message") or {}
        calls = [{"name": (c.get("function") or {}).get("name", ""),
                  "arguments": (c.get("function") or {}).get("arguments", "")} for c in message.get("tool_calls") or []]
        return _text(message.get("content")), calls
    text, calls = [], {}
    for event in events or []:
        for choice in (event.get("choices") or []) if isinstance(event, dict) else []:
            delta = choice.get("delta") or {}
            text.append(delta.get("content") or "")
            for call in delta.get("tool_calls") or []:
                slot = calls.setdefault(call.get("index", 0), {"name": "", "arguments": ""})
                function = call.get("function") or {}
                slot["name"] += function.get("name") or ""
                slot["arguments"] += function.get("arguments") or ""
    return "".join(text), [calls[i] for i in sorted(calls)]


def _responses(response: Any) -> tuple[str, list[dict[str, str]]]:
    text, calls = [], []
    for item in (response or {}).get("output") or [] if isinstance(response, dict) else []:
        if item.get("type") == "message":
            text += [part.get("text", "") for part in item.get("content") or [] if isinstance(part, dict)]
        elif item.get("type") == "function_call":
            calls.append({"name": item.get("name", ""), "arguments": item.get("arguments", "")})
    return "".join(text), calls


def _anthropic(response: Any, events: Any) -> tuple[str, list[dict[str, str]]]:
    if isinstance(response, dict):
        blocks = response.get("content") or []
        return ("".join(b.get("text", "") for b in blocks if b.get("type") == "text"),
                [{"name": b.get("name", ""), "arguments": json.dumps(b.get("input") or {})}
                 for b in blocks if b.get("type") == "tool_use"])
    text, calls = [], {}
    for event in events or []:
        if not isinstance(event, dict):
            continue
        if event.get("type") == "content_block_start" and (event.get("content_block") or {}).get("type") == "tool_use":
            calls[event.get("index", 0)] = {"name": event["content_block"].get("name", ""), "arguments": ""}
        elif event.get("type") == "content_block_delta":
            delta = event.get("delta") or {}
            text.append(delta.get("text") or "")
            if delta.get("partial_json") and event.get("index", 0) in calls:
                calls[event.get("index", 0)]["arguments"] += delta["partial_json"]
    return "".join(text), [calls[i] for i in sorted(calls)]


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""
