"""A run's token and cost totals, added up call by call.

A run adds each of its own calls once (``add(usage, cost)`` at the call's end, under the run's
lock); a child run keeps its own totals, so a parent never counts its children's calls twice.
``cost_usd`` stays None until a call is priced: a run whose model has no known price shows no
cost rather than a cost of zero, and ``unpriced_calls`` tells how many calls with usage had no
price (the cost is then a lower bound).
"""

from __future__ import annotations

from typing import Any

from agentwrap._cost import Cost
from agentwrap.records import Usage

__all__ = ["CostTotals"]

_TOKEN_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "reasoning_output_tokens",
)


class CostTotals:
    """Token counts (agentwrap's semantics: cache and reasoning are parts of input and output)
    and USD, summed over calls."""

    __slots__ = (*_TOKEN_FIELDS, "cost_usd", "estimated_cost_usd", "unpriced_calls")

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_read_input_tokens = 0
        self.cache_creation_input_tokens = 0
        self.reasoning_output_tokens = 0
        self.cost_usd: float | None = None
        self.estimated_cost_usd = 0.0
        self.unpriced_calls = 0

    def add(self, usage: Usage | None, cost: Cost | None) -> None:
        """Add one call: its usage (None: the call reported none) and its cost (None: no price)."""
        if usage is not None:
            self.input_tokens += usage.input_tokens or 0
            self.output_tokens += usage.output_tokens or 0
            self.cache_read_input_tokens += usage.cache_read_input_tokens or 0
            self.cache_creation_input_tokens += usage.cache_creation_input_tokens or 0
            self.reasoning_output_tokens += usage.reasoning_output_tokens or 0
        if cost is not None:
            self.cost_usd = (self.cost_usd or 0.0) + cost.amount
            if cost.estimated:
                self.estimated_cost_usd += cost.amount
        elif usage is not None:
            self.unpriced_calls += 1

    def as_dict(self) -> dict[str, Any]:
        """The totals as JSON-ready fields (USD rounded to 1e-12, below any price's precision)."""
        fields: dict[str, Any] = {name: getattr(self, name) for name in _TOKEN_FIELDS}
        fields["total_tokens"] = self.input_tokens + self.output_tokens
        fields["cost_usd"] = None if self.cost_usd is None else round(self.cost_usd, 12)
        fields["cost_usd_estimated"] = round(self.estimated_cost_usd, 12)
        fields["unpriced_calls"] = self.unpriced_calls
        return fields
