"""A run's own bounds as keyword arguments of ``agentwrap.run()``: which keywords they are.

``agentwrap.run(max_turns=20, budget_mode="enforce", attributes={"team": "x"})``: the scope
checks the bounds (with the same checks as ``instrument()``'s, so a typo or a bad value fails
where it was made) before the run opens. What the bounds do is :mod:`agentwrap.detect.bounds`;
the run only carries them (``Run.limits``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from agentwrap._settings import MODES, check

__all__ = ["BOUND_NAMES", "MODES", "run_limits", "split_limits"]

BOUND_NAMES = (
    "max_turns",
    "max_tool_calls",
    "max_tool_retries",
    "max_total_tokens",
    "max_errors",
    "max_wall_time",
)
_LIMIT_NAMES = (*BOUND_NAMES, "budget_mode")


def split_limits(attributes: dict[str, Any]) -> dict[str, Any]:
    """Take the bound keywords out of ``attributes`` and check them (TypeError, ValueError)."""
    limits = {key: attributes.pop(key) for key in _LIMIT_NAMES if key in attributes}
    return {key: check(key, value) for key, value in limits.items() if value is not None}


def run_limits(keywords: Mapping[str, Any]) -> dict[str, Any]:
    """The checked bounds of ``agentwrap.run(**keywords)``; any other keyword raises TypeError."""
    unknown = [key for key in keywords if key not in _LIMIT_NAMES]
    if unknown:
        hints = [difflib.get_close_matches(key, _LIMIT_NAMES, n=1) for key in unknown]
        meant = "".join(f" (did you mean {hint[0]!r}?)" for hint in hints if hint)
        raise TypeError(
            f"agentwrap.run() got unknown keyword(s) {', '.join(map(repr, unknown))}{meant}; it takes "
            f"name, release, attributes and the run's bounds {', '.join(_LIMIT_NAMES)}. "
            "Attributes for the run's root span go in attributes={...}"
        )
    return split_limits(dict(keywords))
