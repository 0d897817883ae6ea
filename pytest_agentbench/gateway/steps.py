"""The model's turns as trajectory steps: what each call brought the model that it had not seen, and
what it said (text and tool calls), whatever the API the agent spoke (Chat Completions, the Responses
API, Anthropic's messages; whole or streamed), from the item's calls.jsonl, so a reviewer reads them
in time order beside the commands the agent ran (trajectory.py, kind "model").

A call's request repeats the whole conversation so far; a step shows only its new part (the messages
after the model's last turn), and `call` names the line of calls.jsonl holding the rest.
"""

from __future__ import annotations

import json
from typing import Any

MAX_SHOWN = 20_000  # characters of one message's content in a step (calls.jsonl keeps them whole)


def model_steps(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One step per recorded call, with `start`, `end`, `model`, `endpoint`, `call` (its seq), `status`,
    `input` (the new messages), `output` (what the model said, or the error the agent got),
    `tool_calls` ({name, arguments} each), tokens, cost and error code."""
    steps = []
    for call in calls:
        request = call.get("request") if isinstance(call.get("request"), dict) else {}
        endpoint = call.get("endpoint")
        text, tool_calls = _said(endpoint, call.get("response"), call.get("events") or [])
        if call.get("error"):
            text, tool_calls = f"[{call.get('code')}] {call.get('error')}", []
        start = call.get("time") or 0.0
        steps.append({"start": start, "end": start + (call.get("latency_s") or 0.0), "model": request.get("model"),
                      "endpoint": endpoint, "call": call.get("seq"), "status": call.get("status"),
                      "source": call.get("source"), "input": _new_input(endpoint, request), "output": text,
                      "tool_calls": tool_calls, "usage": call.get("usage"), "cost_usd": call.get("cost_usd"),
                      "error": call.get("code")})
    return steps


def _new_input(endpoint: str | None, request: dict) -> list[dict[str, Any]]:
    """The messages after the model's last turn (all of them on the first call)."""
    if endpoint == "responses":
        given = request.get("input")
        items = [{"role": "user", "content": given}] if isinstance(given, str) else list(given or [])
        if request.get("instructions") and not any(_is_model_turn(i) for i in items):
            items.insert(0, {"role": "system", "content": request["instructions"]})
    else:
        items = list(request.get("messages") or [])
        if endpoint == "messages" and request.get("system") and not any(_is_model_turn(i) for i in items):
            items.insert(0, {"role": "system", "content": request["system"]})
    last = max((i for i, item in enumerate(items) if _is_model_turn(item)), default=-1)
    return [_shown(item) for item in items[last + 1:] if isinstance(item, dict)]


def _is_model_turn(item: Any) -> bool:
    return isinstance(item, dict) and (item.get("role") == "assistant"
                                       or item.get("type") in ("function_call", "reasoning"))


def _shown(item: dict) -> dict:
    content = item.get("content", item.get("output"))
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    shown = {"role": item.get("role") or item.get("type"), "content": _clip(text)}
    if item.get("tool_call_id") or item.get("call_id"):
        shown["tool_call_id"] = item.get("tool_call_id") or item.get("call_id")
    return shown


def _clip(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else f"{text[:MAX_SHOWN]} [... {len(text) - MAX_SHOWN} characters cut]"


def _said(endpoint: str | None, response: Any, events: list[dict]) -> tuple[str, list[dict[str, str]]]:
    """The model's answer: its words, and its tool calls as {name, arguments (JSON text)}."""
    text, tools = [], []
    if endpoint == "chat":
        if isinstance(response, dict):
            message = ((response.get("choices") or [{}])[0] or {}).get("message") or {}
            text.append(message.get("content") or "")
            tools = [_call((c.get("function") or {}).get("name"), (c.get("function") or {}).get("arguments"))
                     for c in message.get("tool_calls") or []]
        else:  # streamed: deltas, tool calls assembled by their index
            calls: dict[int, list[str]] = {}
            for event in events:
                for choice in event.get("choices") or []:
                    delta = choice.get("delta") or {}
                    text.append(delta.get("content") or "")
                    for c in delta.get("tool_calls") or []:
                        name_args = calls.setdefault(c.get("index", 0), ["", ""])
                        name_args[0] += (c.get("function") or {}).get("name") or ""
                        name_args[1] += (c.get("function") or {}).get("arguments") or ""
            tools = [_call(name, args) for _, (name, args) in sorted(calls.items())]
    elif endpoint == "responses":
        final = response if isinstance(response, dict) else next(
            (e.get("response") for e in reversed(events) if isinstance(e.get("response"), dict)), {})
        for out in final.get("output") or []:
            if out.get("type") == "message":
                text += [c.get("text") or "" for c in out.get("content") or []]
            elif out.get("type") == "function_call":
                tools.append(_call(out.get("name"), out.get("arguments")))
    elif endpoint == "messages":
        blocks = response.get("content") if isinstance(response, dict) else _streamed_blocks(events)
        for block in blocks or []:
            if block.get("type") == "text":
                text.append(block.get("text") or "")
            elif block.get("type") == "tool_use":
                tools.append(_call(block.get("name"), json.dumps(block.get("input"), ensure_ascii=False)))
    return "".join(t if isinstance(t, str) else "" for t in text), tools


def _call(name: Any, arguments: Any) -> dict[str, str]:
    return {"name": name or "", "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)}


def _streamed_blocks(events: list[dict]) -> list[dict]:
    """Anthropic's streamed content blocks, put back together."""
    blocks: dict[int, dict] = {}
    for event in events:
        if event.get("type") == "content_block_start":
            blocks[event.get("index", 0)] = dict(event.get("content_block") or {}, partial="")
        elif event.get("type") == "content_block_delta":
            block, delta = blocks.setdefault(event.get("index", 0), {"type": "text"}), event.get("delta") or {}
            block["text"] = (block.get("text") or "") + (delta.get("text") or "")
            block["partial"] = (block.get("partial") or "") + (delta.get("partial_json") or "")
    for block in blocks.values():
        if block.get("type") == "tool_use" and block.get("partial"):
            try:
                block["input"] = json.loads(block["partial"])
            except ValueError:
                block["input"] = block["partial"]
    return list(blocks.values())
