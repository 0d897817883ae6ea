"""Token use and cost an agent reports itself in $LOGS_DIR/usage.json: checked, and marked as its own.

The agent writes the file, so it may write anything (1e15 input tokens, -5 output tokens, a cost of
-999.99). Figures that are not plausible make the whole file ignored, with a note saying why; figures
kept carry `"source": "agent"`, so reports can say which numbers the agent gave itself.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

TOKEN_KEYS = ("input_tokens", "output_tokens")
MAX_TOKENS = 10**10  # ten billion tokens for one item is beyond any real run
MAX_COST_USD = 100_000.0
MAX_FILE_BYTES = 64_000  # three numbers need far less


def agent_usage(path: Path) -> dict[str, Any] | None:
    """What the usage.json at `path` (copied out of the agent's container; the family says where:
    Family.usage_file) reports: {"input_tokens", "output_tokens", "cost_usd", "source": "agent"}, or
    {"source": "agent", "ignored": why} when the file is not plausible; None when the agent wrote none."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return _ignored(f"it is larger than {MAX_FILE_BYTES:,} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        return _ignored(f"not readable JSON ({e})")
    if not isinstance(data, dict):
        return _ignored(f"expected a JSON object, got {type(data).__name__}")
    problems = [p for p in (_check_tokens(k, data.get(k)) for k in TOKEN_KEYS) if p]
    problems += filter(None, [_check_cost(data.get("cost_usd"))])
    if problems:
        return _ignored("; ".join(problems))
    return {"input_tokens": data.get("input_tokens"), "output_tokens": data.get("output_tokens"),
            "cost_usd": data.get("cost_usd"), "source": "agent"}


def _check_tokens(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{key} {value!r} is not a whole number"
    if not 0 <= value <= MAX_TOKENS:
        return f"{key} {value:,} is not between 0 and {MAX_TOKENS:,}"
    return None


def _check_cost(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"cost_usd {value!r} is not a finite number"
    if not 0 <= value <= MAX_COST_USD:
        return f"cost_usd {value:,} is not between 0 and {MAX_COST_USD:,.0f}"
    return None


def _ignored(why: str) -> dict[str, Any]:
    return {"source": "agent", "ignored": f"usage.json ignored: {why}"}
