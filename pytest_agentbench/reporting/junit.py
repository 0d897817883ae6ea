"""JUnit: the properties a family adds to an item's testcase (a competition's medal), and the agent's
model use through the gateway, the way record_property adds them, so they survive xdist."""

from __future__ import annotations

import pytest

from ..collect import RESULT_KEY
from .summary import item_view, shared


class JunitProperties:
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        result = item.stash.get(RESULT_KEY, None)
        if result is not None and call.when == "call":  # before the report copies user_properties
            view, known = item_view(result), {name for name, _ in item.user_properties}
            item.user_properties.extend((name, value) for properties, _ in shared("junit_properties")
                                        for name, value in properties(view) if name not in known)
            item.user_properties.extend(llm_properties(view))
        return (yield)


def llm_properties(view: dict) -> list[tuple[str, object]]:
    """Calls, tokens, cost ("unknown" when litellm cannot price a model: never a guess) and a spent
    budget, for items whose agent asked a model through the gateway."""
    if not view["llm_calls"] and not view["llm_failed_calls"]:
        return []
    properties = [("llm_calls", view["llm_calls"]), ("llm_failed_calls", view["llm_failed_calls"]),
                  ("llm_tokens", (view["input_tokens"] or 0) + (view["output_tokens"] or 0)),
                  ("llm_cost_usd", "unknown" if view["cost_usd"] is None else view["cost_usd"])]
    if view["llm_budget_exhausted"]:
        properties.append(("llm_budget_exhausted", view["llm_budget_exhausted"]))
    return properties
