"""The gateway's command-line options, checked once at start-up (a bad value is a usage error naming
the option, before any item runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..reporting import results
from .meter import Budget


def add_options(group) -> None:
    group.addoption("--llm-budget-usd", dest="agentbench_llm_budget_usd", metavar="USD",
                    help="per item: model calls stop once their cost (litellm's prices) reaches USD; the "
                         "item's result says budget exhausted")
    group.addoption("--llm-budget-tokens", dest="agentbench_llm_budget_tokens", metavar="N",
                    help="per item: model calls stop once prompt + completion tokens reach N")
    group.addoption("--llm-budget-calls", dest="agentbench_llm_budget_calls", metavar="N",
                    help="per item: at most N model calls")
    group.addoption("--llm-replay", dest="agentbench_llm_replay", metavar="GROUP",
                    help="answer every model call from the calls recorded in run group GROUP (matched by "
                         "content, in order); a call with no recorded answer fails its item; no provider is asked")
    group.addoption("--llm-model", dest="agentbench_llm_models", action="append", default=[], metavar="MODEL",
                    help="a litellm model name the agents may ask for (repeatable; listed by GET /v1/models); "
                         "default: any")
    group.addoption("--no-llm-gateway", dest="agentbench_llm_gateway", action="store_false",
                    help="give agents no model gateway (no OPENAI_BASE_URL / OPENAI_API_KEY from the harness)")


def from_options(opt: Callable[[str], Any]) -> dict[str, Any]:
    """The gateway's settings as plain data (they go into the run's options); ValueError names the option."""
    budget = Budget.parse(opt("agentbench_llm_budget_usd"), opt("agentbench_llm_budget_tokens"),
                          opt("agentbench_llm_budget_calls"))
    replay = opt("agentbench_llm_replay")
    if replay:
        replay = Path(replay).resolve()
        if not results.is_run_group(replay):
            raise ValueError(f"--llm-replay {replay}: not a run group (no metadata.json, collected.json or item "
                             f"results)")
    models = list(opt("agentbench_llm_models") or [])
    for model in models:
        check_model(model, needs_provider=not replay)
    return {"enabled": bool(opt("agentbench_llm_gateway")), "budget": budget.to_dict(),
            "replay": str(replay) if replay else None, "models": models}


def check_model(model: str, *, needs_provider: bool) -> None:
    """A --llm-model litellm cannot route, or whose provider has no key on the host, stops the run at
    start (ValueError naming it), not at each item's first call."""
    from .provider import provider_settings_missing  # first: it keeps litellm from fetching prices at import

    import litellm

    try:
        litellm.get_llm_provider(model)
    except Exception:  # noqa: BLE001 - litellm's error is a wall of text; the point is the name
        raise ValueError(f"--llm-model {model}: litellm does not know which provider this model name means "
                         f"(give it as <provider>/<model>, e.g. openai/{model}; docs/gateway.md has the table)") \
            from None
    missing = provider_settings_missing(model) if needs_provider else []
    if missing:
        raise ValueError(f"--llm-model {model}: no provider is configured: set {', '.join(missing)} in the "
                         f"environment of pytest (the key stays on the host)")
