"""The provider side of the gateway: litellm's SDK, on the host, where the key is.

Any provider litellm supports works: the model name the agent sends is litellm's (`gpt-4o`,
`anthropic/claude-...`, `openai/<name>` for any OpenAI-compatible server), and litellm reads the
provider's key and address from the host's environment (docs/gateway.md has the table).

Only the API's own fields pass from the agent's request to litellm: litellm also takes its own
arguments (`api_base`, `api_key`, `base_url`, `mock_response`...) in the same call, and an agent that
could set `api_base` would have litellm send the host's key to an address of its choosing.
"""

from __future__ import annotations

import json
import os
from typing import Any, AsyncIterator, Mapping

from . import openai_compatible
from .errors import GatewayError

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download of the price table at import

CHAT_FIELDS = frozenset({
    "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call",
    "temperature", "top_p", "n", "stream", "stream_options", "stop", "max_tokens", "max_completion_tokens",
    "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "user", "seed",
    "response_format", "reasoning_effort", "modalities", "audio", "prediction", "service_tier", "store",
    "metadata", "web_search_options", "verbosity", "safety_identifier", "prompt_cache_key",
})
RESPONSES_FIELDS = frozenset({
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "temperature", "top_p",
    "max_output_tokens", "max_tool_calls", "previous_response_id", "reasoning", "text", "stream", "store",
    "metadata", "truncation", "user", "include", "service_tier", "top_logprobs", "prompt", "safety_identifier",
    "prompt_cache_key",
})
MESSAGES_FIELDS = frozenset({  # Anthropic's messages API
    "model", "messages", "max_tokens", "system", "metadata", "stop_sequences", "stream", "temperature", "top_k",
    "top_p", "tools", "tool_choice", "thinking", "container", "service_tier",
})
FIELDS = {"chat": CHAT_FIELDS, "responses": RESPONSES_FIELDS, "messages": MESSAGES_FIELDS}


def check_request(endpoint: str, body: Any) -> dict:
    """The request body, checked: a JSON object with a model and only the API's own fields."""
    if not isinstance(body, dict):
        raise GatewayError(400, "the request body must be a JSON object", "invalid_request_error")
    unknown = sorted(set(body) - FIELDS[endpoint])
    if unknown:
        raise GatewayError(400, f"field(s) {', '.join(unknown)} are not accepted by this gateway's "
                                f"{endpoint} endpoint (only the OpenAI API's own fields pass to the provider)",
                           "invalid_request_error")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise GatewayError(400, "the request names no model", "invalid_request_error")
    return body


def as_dict(obj: Any) -> dict:
    """A litellm response or event as plain JSON data."""
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json", exclude_none=True)
    return dict(obj)


class LiteLLMProvider:
    """Answers with litellm; `litellm_args` are added to every call (the tests' `api_base` and
    `api_key`; a user's come from the environment)."""

    source = "provider"

    def __init__(self, litellm_args: Mapping[str, Any] | None = None, timeout: float = 600):
        self.litellm_args = dict(litellm_args or {})
        self.timeout = timeout

    def _check_configured(self, model: str) -> None:
        """A provider with no key on the host is the harness's setting, named as such (not "refused")."""
        if "api_key" in self.litellm_args:
            return
        missing = provider_settings_missing(model)
        if missing:
            raise GatewayError(502, f"no provider is configured for model {model!r}: set {', '.join(missing)} in "
                                    f"the environment of pytest (the host); the agent's container never holds it",
                               "provider_not_configured")

    async def complete(self, endpoint: str, body: dict, seq: int) -> dict:
        self._check_configured(body["model"])
        direct = openai_compatible.route(endpoint, body["model"], self.litellm_args)
        if direct:
            return await openai_compatible.complete(endpoint, direct, body, self.timeout)
        args = {**body, **self.litellm_args, "timeout": self.timeout, "stream": False}
        try:
            response = await self._call(endpoint, args)
        except Exception as e:  # noqa: BLE001 - every failure becomes the agent's readable error
            raise upstream_error(e) from None
        return as_dict(response)

    @staticmethod
    async def _call(endpoint: str, args: dict) -> Any:
        import litellm

        if endpoint == "chat":
            return await litellm.acompletion(**args)
        if endpoint == "responses":
            return await litellm.aresponses(**args)
        from litellm.anthropic_interface import messages

        return await messages.acreate(**args)

    async def stream(self, endpoint: str, body: dict, seq: int) -> AsyncIterator[dict]:
        body = {**body, "stream": True}
        if endpoint == "chat":  # the usage comes in a last chunk only when asked for: the meter needs it
            body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
        self._check_configured(body["model"])
        direct = openai_compatible.route(endpoint, body["model"], self.litellm_args)
        if direct:
            async for data in openai_compatible.stream(endpoint, direct, body, self.timeout):
                yield data
            return
        args = {**body, **self.litellm_args, "timeout": self.timeout}
        ended = False
        try:
            async for event in await self._call(endpoint, args):
                for data in server_sent(event) if isinstance(event, bytes) else [as_dict(event)]:
                    ended = ended or data.get("type") == "message_stop"
                    yield data
        except Exception as e:  # noqa: BLE001
            if not ended:
                raise upstream_error(e) from None
            # litellm 1.110's messages stream imports its proxy's modules (FastAPI) after the last
            # event; the answer is whole by then.


def provider_settings_missing(model: str) -> list[str]:
    """The host settings litellm needs for `model` and does not find (OPENAI_API_KEY...). A local
    OpenAI-compatible server needs no key: an `openai/` model with OPENAI_BASE_URL set lacks nothing."""
    import litellm

    missing = litellm.validate_environment(model=model).get("missing_keys") or []
    if missing == ["OPENAI_API_KEY"] and (os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE")):
        return []
    return list(missing)


def server_sent(frame: bytes) -> list[dict]:
    """The JSON events of server-sent event text (litellm streams Anthropic's messages as such frames)."""
    events = []
    for line in frame.decode("utf-8", "replace").splitlines():
        if line.startswith("data:"):
            try:
                events.append(json.loads(line[5:]))
            except ValueError:
                pass
    return events


def upstream_error(e: Exception) -> GatewayError:
    """What went wrong with the provider, for the agent (and the item's result) to read. The agent's
    own token is fine here: a key the provider refuses is the harness's setting."""
    return provider_error(getattr(e, "status_code", None), getattr(e, "message", None) or str(e) or type(e).__name__,
                          type(e).__name__)


def provider_error(status: int | None, message: str, name: str = "") -> GatewayError:
    if name == "AuthenticationError" or status in (401, 403):
        return GatewayError(502, f"the provider refused the key the harness holds: {message}", "provider_auth_error")
    if "Timeout" in name or status == 408:
        return GatewayError(504, f"the provider did not answer in time: {message}", "provider_timeout")
    if name == "APIConnectionError" or "connection error" in message.lower():
        return GatewayError(502, f"the provider cannot be reached: {message}", "provider_unreachable")
    if isinstance(status, int) and 400 <= status < 500:  # the request itself (an unknown model...): the agent's
        return GatewayError(status, message, "invalid_request_error" if status == 400 else "provider_error")
    return GatewayError(502, f"the provider failed ({status or name}): {message}", "provider_error")
