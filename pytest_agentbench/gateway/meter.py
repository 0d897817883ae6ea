"""Per-item metering and budgets: tokens, cost (litellm's price table, None when unknown), calls.

The figures come from the provider's reported usage on the host, never from the agent: they replace
an agent-written usage.json for agents that go through the gateway."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Budget:
    """Per-item limits; None is no limit."""

    usd: float | None = None
    tokens: int | None = None
    calls: int | None = None

    @classmethod
    def parse(cls, usd: Any = None, tokens: Any = None, calls: Any = None) -> "Budget":
        """From option values (strings or numbers); a bad value raises ValueError naming the option."""
        def number(value, option, kind):
            if value is None:
                return None
            try:
                parsed = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"{option} takes a number, not {value!r}") from None
            if parsed < 0 or parsed != parsed:
                raise ValueError(f"{option} takes a number >= 0, not {value!r}")
            return parsed
        return cls(number(usd, "--llm-budget-usd", float), number(tokens, "--llm-budget-tokens", int),
                   number(calls, "--llm-budget-calls", int))


@dataclass
class CallUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float | None = None  # None: litellm has no price for this model


@dataclass
class Meter:
    """One item's running totals. `cost_usd` stays None once any call's cost is unknown."""

    budget: Budget = field(default_factory=Budget)
    calls: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float | None = 0.0
    latency_s: float = 0.0
    exhausted: str | None = None  # why the budget stopped the item
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def over_budget(self) -> str | None:
        """The reason no further call may be made, or None."""
        with self._lock:
            b = self.budget
            reason = None
            if b.calls is not None and self.calls >= b.calls:
                reason = f"{self.calls} calls made, budget {b.calls} (--llm-budget-calls)"
            elif b.tokens is not None and self.prompt_tokens + self.completion_tokens >= b.tokens:
                reason = (f"{self.prompt_tokens + self.completion_tokens} tokens used, budget {b.tokens}"
                          " (--llm-budget-tokens)")
            elif b.usd is not None and self.cost_usd is not None and self.cost_usd >= b.usd:
                reason = f"${self.cost_usd:.6f} spent, budget ${b.usd} (--llm-budget-usd)"
            if reason:
                self.exhausted = reason
            return reason

    def add(self, usage: CallUsage | None, latency_s: float, failed: bool) -> None:
        with self._lock:
            self.calls += 1
            self.errors += int(failed)
            self.latency_s += latency_s
            if usage is None:
                return
            self.prompt_tokens += usage.prompt_tokens
            self.completion_tokens += usage.completion_tokens
            self.cached_tokens += usage.cached_tokens
            if usage.cost_usd is None or self.cost_usd is None:
                self.cost_usd = None
            else:
                self.cost_usd += usage.cost_usd

    def summary(self) -> dict[str, Any]:
        """What result.json keeps under "llm"."""
        with self._lock:
            out = {k: getattr(self, k) for k in ("calls", "errors", "prompt_tokens", "completion_tokens",
                                                 "cached_tokens", "cost_usd", "latency_s", "exhausted")}
        out["cost_usd"] = "unknown" if out["cost_usd"] is None else round(out["cost_usd"], 8)
        out["latency_s"] = round(out["latency_s"], 4)
        out["budget"] = {k: v for k, v in asdict(self.budget).items() if v is not None}
        return out


def usage_of(response: Any) -> CallUsage:
    """Tokens and cost of a litellm response (chat completion or Responses API)."""
    import litellm

    usage = _get(response, "usage") or {}
    prompt = _get(usage, "prompt_tokens", _get(usage, "input_tokens", 0)) or 0
    completion = _get(usage, "completion_tokens", _get(usage, "output_tokens", 0)) or 0
    details = _get(usage, "prompt_tokens_details") or _get(usage, "input_tokens_details") or {}
    cached = _get(details, "cached_tokens", 0) or 0
    try:
        cost = float(litellm.completion_cost(completion_response=response))
    except Exception:  # noqa: BLE001 - litellm raises for models without a price: cost unknown, never invented
        cost = None
    return CallUsage(int(prompt), int(completion), int(cached), cost)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)
