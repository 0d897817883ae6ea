"""The harness's own model calls (a workplace task's judge) through the gateway's provider path: priced
by the same meter, recorded in the same calls.jsonl form and answered from it under --llm-replay, so a
replayed run grades as the recorded one did with no provider. They are accounted apart from the
agent's: their own folder, their own figures, no agent budget.

The graders that ask run in the item's thread: their calls go to the process's loop for model calls
(event_loop.py), the one the worker's gateway answers on.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Mapping

from .event_loop import model_loop
from .item import ItemGateway
from .meter import Meter
from .provider import LiteLLMProvider
from .recorder import CALLS_FILE
from .replay import Replay

# TheAgentCompany's settings of its environment LLM, which plays its judge and its coworkers.
ENVIRONMENT_LLM = ("LITELLM_API_KEY", "LITELLM_BASE_URL", "LITELLM_MODEL")


class HarnessModel:
    """One item's calls in one harness role (`role`: "judge"), recorded in `<item dir>/<role>/llm/calls.jsonl`."""

    def __init__(self, item_dir: Path, role: str, run_options: Mapping[str, Any],
                 litellm_args: Mapping[str, Any] | None = None):
        replay = (run_options.get("llm") or {}).get("replay")
        self.replaying = bool(replay)
        name = f"{item_dir.name} ({role})"
        # Under --llm-replay: the same role's calls of the same item in the recorded run group.
        answerer = (Replay(Path(replay) / item_dir.name / role / CALLS_FILE, name) if replay
                    else LiteLLMProvider(litellm_args))
        self.item = ItemGateway.for_item(name, Path(item_dir) / role, answerer, Meter())

    def complete(self, body: dict, timeout: float | None = None) -> tuple[dict, float | None]:
        """A chat completion from any thread: the answer and its cost (None: unknown); raises
        GatewayError with the reason."""
        response, call = asyncio.run_coroutine_threadsafe(self.item.ask("chat", body), model_loop()).result(timeout)
        return response, call.cost_usd


def environment_model(item_dir: Path, role: str, run_options: Mapping[str, Any]) -> tuple[HarnessModel | None, list[str]]:
    """The environment LLM (LITELLM_*) for one item's harness role, and the settings missing when it
    cannot be asked (under --llm-replay only the model's name is needed: answers come from the recording)."""
    replaying = bool((run_options.get("llm") or {}).get("replay"))
    missing = [n for n in (("LITELLM_MODEL",) if replaying else ENVIRONMENT_LLM) if not os.environ.get(n)]
    if missing:
        return None, missing
    return HarnessModel(item_dir, role, run_options, None if replaying else {
        "api_base": os.environ["LITELLM_BASE_URL"], "api_key": os.environ["LITELLM_API_KEY"]}), []
