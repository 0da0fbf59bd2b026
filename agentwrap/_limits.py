"""A run's own bounds as keyword arguments of ``agentwrap.run()``: which keywords they are.

``agentwrap.run(max_turns=20, budget_mode="enforce", team="x")`` mixes the run's own bounds
with attributes for its root span; the scope takes the bounds out (and checks the budget mode,
so a typo fails where it was made) before the run opens. What the bounds do is
:mod:`agentwrap.detect.bounds`; the run only carries them (``Run.limits``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["BOUND_NAMES", "MODES", "split_limits"]

BOUND_NAMES = (
    "max_turns",
    "max_tool_calls",
    "max_tool_retries",
    "max_total_tokens",
    "max_errors",
    "max_wall_time",
)
MODES = ("observe", "enforce")


def split_limits(attributes: dict[str, Any]) -> dict[str, Any]:
    """Take the bound keywords out of ``agentwrap.run(**attributes)`` and check them."""
    limits = {key: attributes.pop(key) for key in (*BOUND_NAMES, "budget_mode") if key in attributes}
    mode = limits.get("budget_mode")
    if mode is not None and mode not in MODES:
        raise ValueError(f"agentwrap: budget_mode must be one of {MODES}, not {mode!r}")
    return limits
