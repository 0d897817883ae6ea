"""What an item's model calls used: tokens as the provider reported them, cost from litellm's price
table, latency and errors, per call and per item; and the item's budget.

A cost litellm cannot price (a model missing from its table) is None, shown as "unknown": never a
guess. An item's cost is unknown as soon as one answered call's is.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

BUDGET_OPTIONS = {"usd": "--llm-budget-usd", "tokens": "--llm-budget-tokens", "calls": "--llm-budget-calls"}
ERRORS_KEPT = 20  # an item's first errors, in its result; calls.jsonl has them all


@dataclass(frozen=True)
class Budget:
    """Per item limits; None: no limit. Checked before each call: a call that starts under the limit
    completes, the next is refused (calls in flight when it is reached complete too)."""

    usd: float | None = None
    tokens: int | None = None
    calls: int | None = None

    @classmethod
    def parse(cls, usd: Any = None, tokens: Any = None, calls: Any = None) -> "Budget":
        """From option values (strings or numbers); a bad value raises ValueError naming its option."""
        return cls(usd=_limit(usd, "usd", float), tokens=_limit(tokens, "tokens", int),
                   calls=_limit(calls, "calls", int))

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _limit(value: Any, kind: str, to: type) -> float | int | None:
    if value is None or value == "":
        return None
    try:
        number = to(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or not math.isfinite(number) or number < 0:
        what = "a number of US dollars, such as 0.50" if to is float else "a whole number, such as 1000"
        raise ValueError(f"{BUDGET_OPTIONS[kind]}: got {value!r}; expected {what} (0 or more)")
    return number


@dataclass
class Call:
    """One model call as the meter counts it."""

    seq: int
    endpoint: str
    model: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    error: str | None = None  # None: answered


def usage_of(endpoint: str, usage: Mapping[str, Any] | None) -> tuple[int, int, int]:
    """(prompt, completion, cached) tokens from a provider's usage, in chat completions' names, the
    Responses API's or Anthropic's (litellm gives either, whichever the endpoint)."""
    usage = usage or {}
    prompt = usage.get("input_tokens", usage.get("prompt_tokens"))
    completion = usage.get("output_tokens", usage.get("completion_tokens"))
    details = usage.get("input_tokens_details") or usage.get("prompt_tokens_details") or {}
    cached = details.get("cached_tokens", usage.get("cache_read_input_tokens"))  # the latter: Anthropic's
    return _count(prompt), _count(completion), _count(cached)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def cost_usd(model: str | None, prompt: int, completion: int, cached: int) -> float | None:
    """What litellm's price table says these tokens cost; None when it has no price for the model."""
    if not model:
        return None
    import litellm  # late: slow to import

    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=prompt, completion_tokens=completion, cache_read_input_tokens=cached)
    except Exception:  # noqa: BLE001 - litellm raises several kinds for a model it cannot price
        return None
    return prompt_cost + completion_cost


@dataclass
class Meter:
    """An item's calls and its budget. Used from the gateway's one event loop: no locking."""

    budget: Budget = field(default_factory=Budget)
    calls: list[Call] = field(default_factory=list)
    requests: int = 0  # every request, refused ones too: a call's position (seq)
    started: int = 0  # calls passed to the provider, counted as they begin: a calls budget holds under concurrency
    exhausted: str | None = None  # why the budget refused a call, once it has

    def next_seq(self) -> int:
        self.requests += 1
        return self.requests

    def refusal(self) -> str | None:
        """Why the next call may not start, or None."""
        budget, spent = self.budget, self.totals()
        reason = None
        if budget.calls is not None and self.started >= budget.calls:
            reason = f"{self.started} calls made, the limit is {budget.calls} ({BUDGET_OPTIONS['calls']})"
        elif budget.tokens is not None and spent["total_tokens"] >= budget.tokens:
            reason = f"{spent['total_tokens']} tokens used, the limit is {budget.tokens} ({BUDGET_OPTIONS['tokens']})"
        elif budget.usd is not None and spent["cost_usd"] is None and spent["calls"]:
            reason = (f"the cost so far is unknown (litellm has no price for a model used), so the limit of "
                      f"${budget.usd} ({BUDGET_OPTIONS['usd']}) cannot be kept")
        elif budget.usd is not None and (spent["cost_usd"] or 0) >= budget.usd:
            reason = f"${spent['cost_usd']:.6f} spent, the limit is ${budget.usd} ({BUDGET_OPTIONS['usd']})"
        if reason and self.exhausted is None:
            self.exhausted = reason
        return reason

    def add(self, call: Call) -> None:
        self.calls.append(call)

    def totals(self) -> dict[str, Any]:
        answered = [c for c in self.calls if c.error is None]
        costs = [c.cost_usd for c in answered]
        prompt = sum(c.prompt_tokens for c in self.calls)
        completion = sum(c.completion_tokens for c in self.calls)
        return {
            "calls": len(answered), "failed_calls": len(self.calls) - len(answered),
            "prompt_tokens": prompt, "completion_tokens": completion,
            "cached_tokens": sum(c.cached_tokens for c in self.calls), "total_tokens": prompt + completion,
            "cost_usd": None if any(c is None for c in costs) else round(sum(costs), 10),
        }

    def summary(self) -> dict[str, Any]:
        """The item's figures as its result shows them."""
        totals = self.totals()
        latencies = [c.latency_s for c in self.calls]
        unpriced = sorted({c.model or "?" for c in self.calls if c.error is None and c.cost_usd is None})
        return {
            **totals, "source": "gateway",
            "cost": "unknown" if totals["cost_usd"] is None else f"${totals['cost_usd']:.6f}",
            "unpriced_models": unpriced,
            "latency_s": {"total": round(sum(latencies), 6),
                          "median": round(statistics.median(latencies), 6) if latencies else None},
            "errors": [f"call {c.seq}: {c.error}" for c in self.calls if c.error][:ERRORS_KEPT],
            "budget": self.budget.to_dict(),
            "budget_exhausted": self.exhausted,
        }
