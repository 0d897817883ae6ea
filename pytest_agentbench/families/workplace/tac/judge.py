"""The environment LLM that judges checkpoints, reached through litellm.

Configured as in TheAgentCompany, by three environment variables: ``LITELLM_MODEL`` (a litellm
model name, e.g. ``gpt-4o``, or ``openai/<name>`` for any OpenAI-compatible server),
``LITELLM_BASE_URL`` and ``LITELLM_API_KEY``. Unlike TAC, calls use temperature 0, and every call is
appended as one JSON line to the file named by ``AGENTBENCH_JUDGE_LOG`` (when set): the messages,
the answer, the token counts and the cost in USD (null when litellm does not know the model's price).

In the grader container the key is not there: the evaluator's questions go to runner.py over the
channel (channel.py), which relays them to the harness, where ``answer`` asks the judge and logs the
call; whether the judge is configured comes with the evaluator's environment
(``AGENTBENCH_JUDGE_MISSING``: the settings missing where the key is).

When the environment LLM is not configured, ``llm_complete`` raises ``JudgeNotConfigured``, and
when litellm is missing, ``JudgeUnavailable`` (its base class); the ``grader`` decorator lets both
through so that the task fails with that message instead of scoring 0.

Imports only the standard library here; litellm is imported on the first call, so evaluators
that never ask the judge do not need it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

try:  # imported as pytest_agentbench.families.workplace.tac.judge on the host ...
    from . import channel
except ImportError:  # ... and as the top-level module `judge` in the grader container
    import channel

ENV_VARS = ("LITELLM_API_KEY", "LITELLM_BASE_URL", "LITELLM_MODEL")
LOG_ENV_VAR = "AGENTBENCH_JUDGE_LOG"
MISSING_ENV_VAR = "AGENTBENCH_JUDGE_MISSING"


class JudgeUnavailable(RuntimeError):
    """The environment LLM cannot be asked at all: a problem of the grading run, not of the agent."""


class JudgeNotConfigured(JudgeUnavailable):
    """A checkpoint needs the environment LLM, and LITELLM_* do not say which one."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(
            "This checkpoint is graded by the environment LLM, which is not configured: "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set. "
            "Set LITELLM_API_KEY, LITELLM_BASE_URL and LITELLM_MODEL (a litellm model name, "
            "e.g. gpt-4o, or openai/<model> for an OpenAI-compatible server)."
        )


def missing_settings() -> list[str]:
    """The LITELLM_* settings this process lacks (an evaluator started by the runner: those the side
    holding the key lacks)."""
    if channel.client() is not None:
        return [name for name in os.environ.get(MISSING_ENV_VAR, "").split(",") if name]
    return [name for name in ENV_VARS if not os.environ.get(name)]


def judge_config() -> dict[str, str]:
    """``{"api_key", "api_base", "model"}`` from the environment, or ``JudgeNotConfigured``
    (in an evaluator started by the runner, which holds no key: ``{}`` when the judge is configured)."""
    if channel.client() is None:
        return _local_config()
    missing = missing_settings()
    if missing:
        raise JudgeNotConfigured(missing)
    return {}


def _local_config() -> dict[str, str]:
    missing = [name for name in ENV_VARS if not os.environ.get(name)]
    if missing:
        raise JudgeNotConfigured(missing)
    return {"api_key": os.environ["LITELLM_API_KEY"], "api_base": os.environ["LITELLM_BASE_URL"],
            "model": os.environ["LITELLM_MODEL"]}


def is_configured() -> bool:
    return not missing_settings()


def llm_complete(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Send chat ``messages`` to the environment LLM; return the OpenAI-shaped response as a dict.

    TAC evaluators read the answer as ``response["choices"][0]["message"]["content"]``;
    ``answer_text(response)`` does the same. In an evaluator started by the runner, the question
    goes to the runner, and from there to where the key is.
    """
    runner = channel.client()
    if runner is None:
        return complete(messages)
    judge_config()
    reply = runner.request({"judge": messages})
    if "response" in reply:
        return reply["response"]
    if reply.get("error") == "not_configured":
        raise JudgeNotConfigured(list(reply.get("missing") or ENV_VARS))
    if reply.get("error") == "unavailable":
        raise JudgeUnavailable(reply.get("message") or "the judge cannot be asked")
    raise RuntimeError(f"the judge call failed: {reply.get('message')}")


def answer(messages: Any, log_path: str | Path | None = None, ask: Any = None) -> dict[str, Any]:
    """Ask the judge for an evaluator, where the key is (the harness, or runner.py on its own):
    ``{"response": <OpenAI-shaped dict>}`` or ``{"error": "not_configured" | "unavailable" | "failed",
    "message": ..., "missing": [...]}``. Never raises: the evaluator's checkpoint decides what a
    failure costs."""
    if not (isinstance(messages, list) and all(isinstance(m, dict) for m in messages)):
        return {"error": "failed", "message": f"expected a list of messages, got {type(messages).__name__}"}
    try:
        return {"response": complete(messages, log_path, ask)}
    except JudgeNotConfigured as exc:
        return {"error": "not_configured", "missing": exc.missing, "message": str(exc)}
    except JudgeUnavailable as exc:
        return {"error": "unavailable", "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - reported to the evaluator, and logged by complete()
        return {"error": "failed", "message": f"{type(exc).__name__}: {exc}"}


def complete(messages: list[dict[str, Any]], log_path: str | Path | None = None, ask: Any = None) -> dict[str, Any]:
    """Ask the judge from this process (LITELLM_* in its environment); log the call to ``log_path``
    (default: ``AGENTBENCH_JUDGE_LOG``). The harness passes ``ask`` (body -> (answer, cost)): its model
    gateway, which meters, records and replays the call (gateway/harness_calls.py)."""
    if ask is not None:
        return _ask_gateway(messages, log_path, ask)
    config = _local_config()
    # litellm fetches its price map from the internet at import unless told to use its bundled
    # copy; a machine without internet would only wait for a time-out.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm  # late: slow to import, and only judged checkpoints need it
    except ImportError as exc:
        raise JudgeUnavailable(f"litellm is not installed for {sys.executable}; the grader needs it "
                               f"for LLM-judged checkpoints ({exc})") from exc

    started = time.time()
    try:
        response = litellm.completion(messages=messages, temperature=0, **config)
    except Exception as exc:
        _log(log_path, {"time": started, "model": config["model"], "messages": messages, "answer": None,
                        "prompt_tokens": None, "completion_tokens": None, "cost_usd": None,
                        "error": f"{type(exc).__name__}: {exc}"})
        raise
    data = response.model_dump()
    usage = data.get("usage") or {}
    _log(log_path, {"time": started, "model": config["model"], "messages": messages,
                    "answer": answer_text(data), "prompt_tokens": usage.get("prompt_tokens"),
                    "completion_tokens": usage.get("completion_tokens"), "cost_usd": _cost(litellm, response),
                    "seconds": round(time.time() - started, 3)})
    return data


def _ask_gateway(messages: list[dict[str, Any]], log_path: str | Path | None, ask: Any) -> dict[str, Any]:
    model = os.environ.get("LITELLM_MODEL")
    if not model:
        raise JudgeNotConfigured(["LITELLM_MODEL"])
    started = time.time()
    try:
        data, cost = ask({"model": model, "messages": messages, "temperature": 0})
    except Exception as exc:
        _log(log_path, {"time": started, "model": model, "messages": messages, "answer": None,
                        "prompt_tokens": None, "completion_tokens": None, "cost_usd": None,
                        "error": f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"})
        raise
    usage = data.get("usage") or {}
    _log(log_path, {"time": started, "model": model, "messages": messages, "answer": answer_text(data),
                    "prompt_tokens": usage.get("prompt_tokens"), "completion_tokens": usage.get("completion_tokens"),
                    "cost_usd": cost, "seconds": round(time.time() - started, 3)})
    return data


def answer_text(response: dict[str, Any]) -> str:
    """The first choice's message text ("" when the model sent none)."""
    return response["choices"][0]["message"].get("content") or ""


def _cost(litellm: Any, response: Any) -> float | None:
    # litellm raises for models missing from its price map; an unknown price is null, not 0.
    try:
        cost = litellm.completion_cost(completion_response=response)
    except Exception:
        return None
    return float(cost) if cost is not None else None


def _log(path: str | Path | None, record: dict[str, Any]) -> None:
    path = path or os.environ.get(LOG_ENV_VAR)
    if not path:
        return
    # One write per record keeps lines whole when several graders append to the same file.
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    with open(path, "a", encoding="utf-8") as f:
        f.write(line)
