"""The short way to providers that speak OpenAI's API already: OpenAI itself and any OpenAI-compatible
server (`openai/<name>` with OPENAI_BASE_URL: vLLM, Ollama's /v1, the tests' endpoint).

The agent's request is already in that API, so litellm's translation has nothing to do, and its
per-call work (request building, logging objects, response models: 6 to 12 ms a call on a 2-core
machine) would be most of the gateway's latency. Here the body goes to the provider as the agent wrote
it, over one kept-alive HTTP client per worker; litellm still decides which provider a model name
means, and where its address and key come from (the same settings as for litellm), and still prices
every call (meter.py). Every other provider goes through litellm (provider.py).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any, AsyncIterator, Mapping

import httpx

from .errors import GatewayError

PATHS = {"chat": "/chat/completions", "responses": "/responses"}  # the endpoints this path serves
DEFAULT_BASE = "https://api.openai.com/v1"

# A connection refused, reset or closed before any answer is tried again, as OpenAI's own client
# does (twice, backing off): a busy server drops connections past its listen queue.
RETRIES = 2
RETRY_PAUSE = 0.2  # seconds, doubled each time

_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}  # one per worker loop: kept-alive connections


def route(endpoint: str, model: str, litellm_args: Mapping[str, Any]) -> tuple[str, str | None, str] | None:
    """(base URL, key, the provider's own model name) when `model` means an OpenAI-API provider and the
    endpoint is one it serves as such; None when litellm must translate (or name the mistake)."""
    if endpoint not in PATHS:
        return None
    import litellm

    try:
        upstream_model, provider, _, _ = litellm.get_llm_provider(model, api_base=litellm_args.get("api_base"))
    except Exception:  # noqa: BLE001 - a model litellm cannot route: litellm's own call says why
        return None
    if provider != "openai":
        return None
    # Where litellm's OpenAI handler looks, in its order (litellm/main.py).
    base = (litellm_args.get("api_base") or litellm.api_base or os.environ.get("OPENAI_BASE_URL")
            or os.environ.get("OPENAI_API_BASE") or DEFAULT_BASE)
    key = litellm_args.get("api_key") or litellm.api_key or litellm.openai_key or os.environ.get("OPENAI_API_KEY")
    return base.rstrip("/"), key, upstream_model


def _client() -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    if loop not in _clients:
        _clients[loop] = httpx.AsyncClient(limits=httpx.Limits(max_connections=None, max_keepalive_connections=64))
    return _clients[loop]


def _request(endpoint: str, target: tuple[str, str | None, str], body: dict, timeout: float) -> dict[str, Any]:
    base, key, model = target
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return {"url": base + PATHS[endpoint], "json": {**body, "model": model}, "headers": headers,
            "timeout": httpx.Timeout(timeout, connect=min(timeout, 30))}


async def complete(endpoint: str, target: tuple[str, str | None, str], body: dict, timeout: float) -> dict:
    for attempt in range(RETRIES + 1):
        try:
            response = await _client().post(**_request(endpoint, target, {**body, "stream": False}, timeout))
            break
        except httpx.HTTPError as e:
            if not _retry(e, attempt):
                raise transport_error(e, target[0]) from None
            await asyncio.sleep(RETRY_PAUSE * 2 ** attempt)
    if response.status_code >= 400:
        raise status_error(response.status_code, response.text)
    try:
        return response.json()
    except ValueError:
        raise GatewayError(502, f"the provider's answer is not JSON: {response.text[:200]!r}",
                           "provider_error") from None


async def stream(endpoint: str, target: tuple[str, str | None, str], body: dict,
                 timeout: float) -> AsyncIterator[dict]:
    """The provider's server-sent events as JSON data, as they come."""
    for attempt in range(RETRIES + 1):
        sent = False
        try:
            async with _client().stream("POST", **_request(endpoint, target, body, timeout)) as response:
                if response.status_code >= 400:
                    raise status_error(response.status_code, (await response.aread()).decode("utf-8", "replace"))
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue  # `event:` names, comments, keep-alives: the data repeats the type
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        event = json.loads(data)
                    except ValueError:
                        raise GatewayError(502, f"the provider streamed an event that is not JSON: {data[:200]!r}",
                                           "provider_error") from None
                    sent = True
                    yield event
            return
        except httpx.HTTPError as e:
            if sent or not _retry(e, attempt):  # part of an answer went out: it cannot be asked again
                raise transport_error(e, target[0]) from None
            await asyncio.sleep(RETRY_PAUSE * 2 ** attempt)


def _retry(e: httpx.HTTPError, attempt: int) -> bool:
    return attempt < RETRIES and isinstance(e, httpx.TransportError) and not isinstance(e, httpx.TimeoutException)


def status_error(status: int, text: str) -> GatewayError:
    """The provider's refusal, with its own message, classed as provider.upstream_error classes litellm's."""
    try:
        error = json.loads(text).get("error")
        message = error.get("message") if isinstance(error, dict) else str(error or text)
    except (ValueError, AttributeError):
        message = text[:500]
    from .provider import provider_error

    return provider_error(status, message or f"HTTP {status}")


def transport_error(e: httpx.HTTPError, base: str) -> GatewayError:
    if isinstance(e, httpx.TimeoutException):
        return GatewayError(504, f"the provider did not answer in time: {type(e).__name__} ({base})",
                            "provider_timeout")
    return GatewayError(502, f"the provider cannot be reached: {type(e).__name__}: {e} ({base})",
                        "provider_unreachable")
