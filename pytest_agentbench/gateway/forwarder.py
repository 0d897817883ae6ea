"""The host's half of the gateway: answers the relay's requests with litellm's SDK, or from a recording.

Only this process holds the provider's key (litellm reads it from the host's environment, or it is
given as `litellm_args`). Every call is budgeted and metered (meter.py) and recorded (recorder.py)."""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from ..masking import mask
from .meter import CallUsage, Meter, usage_of
from .recorder import CallRecorder
from .replay import Replayer, ReplayMiss

CHAT, RESPONSES, MODELS, MESSAGES = "/chat/completions", "/responses", "/models", "/messages"
DEFAULT_TIMEOUT = 600.0


def error_reply(status: int, message: str, kind: str) -> dict[str, Any]:
    """An OpenAI-shaped error, which agents' client libraries surface as the message."""
    return {"status": status, "body": {"error": {"message": message, "type": kind, "code": kind}}}


class Forwarder:
    """One item's gateway on the host.

    `models`: what /v1/models lists (the agent's configured models); `litellm_args`: extra keyword
    arguments for every litellm call (api_base, api_key, timeout...); `replay`: answer from it only."""

    def __init__(self, item: str, meter: Meter, recorder: CallRecorder | None = None, *,
                 models: list[str] | None = None, litellm_args: dict[str, Any] | None = None,
                 replay: Replayer | None = None, source: str = "agent"):
        self.item, self.meter, self.recorder, self.replay = item, meter, recorder, replay
        self.models = list(models or [])
        self.litellm_args = dict(litellm_args or {})
        self.litellm_args.setdefault("timeout", DEFAULT_TIMEOUT)
        self.source = source
        self.replay_miss: str | None = None  # the first request the recording could not answer

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """A relay request {method, path, body} -> a reply {status, body} or {status, chunks}."""
        path = request.get("path", "")
        path = path[3:] if path.startswith("/v1/") else path
        body = request.get("body")
        if path == MODELS and request.get("method") == "GET":
            return {"status": 200, "body": {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "agentbench"} for m in self.models]}}
        if path not in (CHAT, RESPONSES) or request.get("method") != "POST":
            return error_reply(404, f"the gateway serves POST /v1{CHAT}, POST /v1{RESPONSES} and GET /v1{MODELS}, "
                               f"not {request.get('method')} {request.get('path')}", "not_found")
        if not isinstance(body, dict) or not body.get("model"):
            return error_reply(400, "the request names no model", "invalid_request_error")
        reason = self.meter.over_budget()
        if reason:
            return error_reply(429, f"LLM budget exhausted for this task: {reason}", "budget_exhausted")
        stream = bool(body.get("stream"))
        started = time.perf_counter()
        if self.replay is not None:
            return self._replayed(path, body, stream, started)
        usage, failed, entry = None, False, {"path": path, "request": body, "source": self.source}
        try:
            response = self._call(path, body)
            usage = usage_of(response)
            data = response.model_dump() if hasattr(response, "model_dump") else dict(response)
            reply = {"status": 200, "body": data}
        except Exception as e:  # noqa: BLE001 - any provider failure is the agent's answer, not the run's crash
            failed = True
            status = getattr(e, "status_code", None) or 502
            reply = error_reply(int(status), f"the model provider failed: {type(e).__name__}: {mask(str(e))}",
                                "provider_error")
            entry["error"] = reply["body"]["error"]["message"]
        latency = time.perf_counter() - started
        self.meter.add(usage, latency, failed)
        entry.update(status=reply["status"], response=reply["body"], latency_s=round(latency, 6),
                     usage=None if usage is None else vars(usage), time=time.time())
        if self.recorder is not None:
            self.recorder.record(entry)
        return self._streamed(path, reply) if stream and not failed else reply

    def _call(self, path: str, body: dict[str, Any]) -> Any:
        import litellm

        args = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
        args.update(self.litellm_args)
        if path == RESPONSES:
            return litellm.responses(**args)
        return litellm.completion(**args)

    def _replayed(self, path: str, body: dict[str, Any], stream: bool, started: float) -> dict[str, Any]:
        try:
            call = self.replay.answer(path, body)
        except ReplayMiss as e:
            self.replay_miss = self.replay_miss or str(e)
            self.meter.add(None, time.perf_counter() - started, True)
            return error_reply(409, str(e), "replay_miss")
        usage = CallUsage(**call["usage"]) if call.get("usage") else None
        self.meter.add(usage, time.perf_counter() - started, call.get("status", 200) >= 400)
        if self.recorder is not None:
            self.recorder.record({k: v for k, v in call.items() if k != "seq"} | {"replayed": True})
        reply = {"status": call.get("status", 200), "body": call["response"]}
        return self._streamed(path, reply) if stream and reply["status"] < 400 else reply

    @staticmethod
    def _streamed(path: str, reply: dict[str, Any]) -> dict[str, Any]:
        """A complete answer as the events a streaming client expects."""
        data = reply["body"]
        if path == RESPONSES:
            return {"status": 200, "named_events": True, "chunks": [
                {"type": "response.created", "response": dict(data, status="in_progress", output=[])},
                *({"type": "response.output_text.delta", "item_id": item.get("id"), "output_index": i,
                   "content_index": 0, "delta": part.get("text", "")}
                  for i, item in enumerate(data.get("output") or []) for part in item.get("content") or []
                  if part.get("type") == "output_text"),
                {"type": "response.completed", "response": data}]}
        base = {"id": data.get("id"), "object": "chat.completion.chunk", "created": data.get("created"),
                "model": data.get("model")}
        chunks = []
        for choice in data.get("choices") or []:
            message = choice.get("message") or {}
            delta = {"role": "assistant", "content": message.get("content")}
            if message.get("tool_calls"):
                delta["tool_calls"] = [dict(call, index=i) for i, call in enumerate(message["tool_calls"])]
            chunks.append(dict(base, choices=[{"index": choice.get("index", 0), "delta": delta,
                                               "finish_reason": None}]))
            chunks.append(dict(base, choices=[{"index": choice.get("index", 0), "delta": {},
                                               "finish_reason": choice.get("finish_reason")}]))
        chunks.append(dict(base, choices=[], usage=data.get("usage")))
        return {"status": 200, "chunks": chunks}


def dialog_answer(forwarder: Forwarder, on_ready: Callable[[], None]) -> Callable[[bytes], bytes | None]:
    """The `answer` for Sandbox.exec_dialog: one relay line in, one reply line out."""
    def answer(line: bytes) -> bytes | None:
        try:
            request = json.loads(line)
        except ValueError:
            return None  # not the relay's (it writes JSON only): ignore
        if request.get("ready"):
            on_ready()
            return None
        try:
            reply = forwarder.handle(request)
        except Exception as e:  # noqa: BLE001 - a bug here must answer the agent, not hang it
            reply = error_reply(500, f"the gateway failed: {type(e).__name__}: {mask(str(e))}", "gateway_error")
        return (json.dumps(dict(reply, id=request.get("id")), default=str) + "\n").encode()
    return answer
