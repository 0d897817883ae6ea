"""One item's side of the gateway: its token, its budget and meter, its recording, and who answers
(litellm, or a recorded run under --llm-replay). Every request of the item's agent ends here."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import secrets
import time
from pathlib import Path
from typing import Any, AsyncIterator, Protocol, Sequence
from urllib.parse import urlsplit

from .channel import Reply
from .errors import GatewayError
from .meter import Call, Meter, cost_usd, usage_of
from .provider import check_request
from .recorder import CallRecorder

ENDPOINTS = {"/v1/chat/completions": "chat", "/chat/completions": "chat",
             "/v1/responses": "responses", "/responses": "responses",
             "/v1/messages": "messages", "/messages": "messages"}  # the last: Anthropic's API
MODELS_PATHS = ("/v1/models", "/models")
NO_RETRY = {"x-should-retry": "false"}  # OpenAI's client libraries would retry a 429 otherwise
# Events of the Responses API that carry the finished response, with its usage.
FINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")


class Answerer(Protocol):
    source: str  # what calls.jsonl says answered: "provider" or "replay"

    async def complete(self, endpoint: str, body: dict, seq: int) -> dict: ...

    def stream(self, endpoint: str, body: dict, seq: int) -> AsyncIterator[dict]: ...


def new_token() -> str:
    """The key the item's agent gets: random, and worthless outside this item's gateway."""
    return "agentbench-" + secrets.token_urlsafe(32)


class ItemGateway:
    def __init__(self, name: str, answerer: Answerer, meter: Meter, recorder: CallRecorder,
                 models: Sequence[str] = ()):
        self.name = name
        self.answerer, self.meter, self.recorder = answerer, meter, recorder
        self.models = list(models)
        self.token = new_token()
        self.networks: list[ipaddress._BaseNetwork] = []  # empty: from anywhere (the tests' own relay)

    def accepts(self, peer: str | None) -> bool:
        """Whether a request from `peer` may use this item's token: only from the item's own network."""
        if not self.networks:
            return True
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in net for net in self.networks)

    @classmethod
    def for_item(cls, name: str, item_dir: Path, answerer: Answerer, meter: Meter,
                 models: Sequence[str] = ()) -> "ItemGateway":
        return cls(name, answerer, meter, CallRecorder(item_dir), models)

    async def handle(self, request: dict, reply: Reply) -> None:
        method, path = request.get("method"), urlsplit(request.get("path") or "").path.rstrip("/")
        if method == "GET" and path in MODELS_PATHS:
            return reply.json(200, json.dumps({"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "agentbench"} for m in self.models]}))
        endpoint = ENDPOINTS.get(path)
        if endpoint is None or method != "POST":
            return reply.error(GatewayError(404, f"{method} {path}: this gateway answers POST /v1/chat/completions, "
                                                 f"POST /v1/responses, POST /v1/messages and GET /v1/models",
                                            "not_found"))
        seq, started = self.meter.next_seq(), time.time()
        body: Any = None
        try:
            try:
                body = json.loads(request.get("body") or "")
            except ValueError:
                raise GatewayError(400, "the request body is not JSON", "invalid_request_error") from None
            check_request(endpoint, body)
            if self.models and body["model"] not in self.models:
                raise GatewayError(400, f"model {body['model']!r} is not offered here; the run's models: "
                                        f"{', '.join(self.models)}", "model_not_found")
            refusal = self.meter.refusal()
            if refusal:
                raise GatewayError(429, f"budget exhausted for this item: {refusal}; no further model calls "
                                        f"will be answered", "budget_exhausted")
        except GatewayError as e:  # the gateway's own refusal: counted and recorded, never forwarded
            self._count(seq, endpoint, body, started, error=e)
            self._record(seq, endpoint, body, started, "gateway", error=e)
            return reply.error(e, NO_RETRY if e.status == 429 else None)
        self.meter.started += 1
        source = self.answerer.source
        try:
            if body.get("stream"):
                events, usage = await self._stream(endpoint, body, seq, reply)
                response = None
            else:
                response = await self.answerer.complete(endpoint, body, seq)
                events, usage = None, response.get("usage")
        except GatewayError as e:
            self._count(seq, endpoint, body, started, error=e)
            self._record(seq, endpoint, body, started, "gateway" if e.by_gateway else source, error=e)
            if reply.started:  # mid-stream: the client reads it as the stream's last event
                reply.data(f"data: {e.body()}\n\n")
            else:
                reply.error(e)
            return
        except asyncio.CancelledError:
            e = GatewayError(499, "the client closed the connection before the answer ended", "client_closed")
            self._count(seq, endpoint, body, started, error=e)
            self._record(seq, endpoint, body, started, source, error=e)
            raise
        # Counted and written before the agent sees the answer end: an item that ends right after
        # its last call finds that call in its figures.
        call = self._count(seq, endpoint, body, started, usage=usage)
        self._record(seq, endpoint, body, started, source, response=response, events=events, call=call)
        if response is not None:
            reply.json(200, json.dumps(response))
        elif endpoint == "chat":
            reply.data("data: [DONE]\n\n")

    async def ask(self, endpoint: str, body: dict) -> tuple[dict, Call]:
        """A call of the harness's own (a judge's: no HTTP, no token), checked, metered, recorded and
        replayed as the agent's calls are: the answer and its figures; a GatewayError says what went wrong."""
        seq, started = self.meter.next_seq(), time.time()
        source = self.answerer.source
        try:
            check_request(endpoint, body)
            self.meter.started += 1
            response = await self.answerer.complete(endpoint, body, seq)
        except GatewayError as e:
            self._count(seq, endpoint, body, started, error=e)
            self._record(seq, endpoint, body, started, "gateway" if e.by_gateway else source, error=e)
            raise
        call = self._count(seq, endpoint, body, started, usage=response.get("usage"))
        self._record(seq, endpoint, body, started, source, response=response, call=call)
        return response, call

    async def _stream(self, endpoint: str, body: dict, seq: int, reply: Reply) -> tuple[list[dict], dict | None]:
        """Pass the provider's events on as they come (server-sent events); the usage they carried."""
        events = self.answerer.stream(endpoint, body, seq).__aiter__()
        try:
            event = await events.__anext__()  # a failure before the first event is a plain error answer
        except StopAsyncIteration:
            event = None
        reply.start_stream()
        seen: list[dict] = []
        usage = None
        wants_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        while event is not None:
            seen.append(event)
            if endpoint == "chat":
                usage = event.get("usage") or usage
                # The gateway always asks for the usage chunk; an agent that did not gets none.
                if event.get("choices") or wants_usage:
                    reply.data(f"data: {json.dumps(event)}\n\n")
            else:
                if event.get("type") in FINAL_EVENTS:
                    usage = (event.get("response") or {}).get("usage") or usage
                elif event.get("type") in ("message_start", "message_delta"):  # Anthropic's: input, then output
                    usage = {**(usage or {}), **((event.get("message") or event).get("usage") or {})}
                reply.data(f"event: {event.get('type', 'message')}\ndata: {json.dumps(event)}\n\n")
            try:
                event = await events.__anext__()
            except StopAsyncIteration:
                event = None
        return seen, usage

    def _count(self, seq: int, endpoint: str, body: Any, started: float, usage: dict | None = None,
               error: GatewayError | None = None) -> Call:
        model = body.get("model") if isinstance(body, dict) else None
        prompt, completion, cached = usage_of(endpoint, usage)
        call = Call(seq=seq, endpoint=endpoint, model=model, prompt_tokens=prompt, completion_tokens=completion,
                    cached_tokens=cached, latency_s=time.time() - started,
                    cost_usd=None if error else cost_usd(model, prompt, completion, cached),
                    error=f"{error.code}: {error.message}" if error else None)
        self.meter.add(call)
        return call

    def _record(self, seq: int, endpoint: str, body: Any, started: float, source: str, *,
                response: dict | None = None, events: list[dict] | None = None, call: Call | None = None,
                error: GatewayError | None = None) -> None:
        entry: dict[str, Any] = {"seq": seq, "time": started, "endpoint": endpoint, "source": source,
                                 "request": body, "status": error.status if error else 200}
        if events is not None:
            entry["events"] = events
        elif response is not None:
            entry["response"] = response
        if call is not None:
            entry.update(usage={"prompt_tokens": call.prompt_tokens, "completion_tokens": call.completion_tokens,
                                "cached_tokens": call.cached_tokens}, cost_usd=call.cost_usd)
        if error is not None:
            entry.update(error=error.message, code=error.code)
        entry["latency_s"] = round(time.time() - started, 6)
        self.recorder.write(entry)
