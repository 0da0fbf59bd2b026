"""Layer 1: structural bounds of a run (turns, tool calls, retries, tokens, errors, wall time).

An agent is a while loop; these are the engineer's limits on it, which need no understanding
of the agent's intent. Crossing one emits ``run.limit_reached`` at once. In ``observe`` mode
(the default) that is all; in ``enforce`` mode the next LLM call of the run (for
``max_turns``: the call that would be one too many) raises :class:`BudgetExceeded` in the
calling code *before the SDK sends anything*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from agentwrap import _semconv as sc
from agentwrap._errors import DeliberateError
from agentwrap._limits import BOUND_NAMES, MODES, split_limits

if TYPE_CHECKING:
    from agentwrap._config import Config

__all__ = [
    "BOUND_NAMES",
    "LIMIT_REACHED",
    "LIMIT_REACHED_FIELDS",
    "TERMINATED",
    "TERMINATED_FIELDS",
    "Bounds",
    "BudgetExceeded",
    "split_limits",
]

# Layer 1's events and their fields (the README's event table holds them to these).
LIMIT_REACHED = "run.limit_reached"
LIMIT_REACHED_FIELDS = ("bound", "limit", "value", "step", "mode", "action")
TERMINATED = sc.EVENT_RUN_TERMINATED  # published by the run, with the fields its observers return
TERMINATED_FIELDS = (
    "termination_reason",
    "steps_taken",
    "max_steps",
    "num_errors",
    "max_errors",
    "steps_pct_of_limit",
    "limits_reached",
    "budget_mode",
)


class BudgetExceeded(DeliberateError):
    """A run crossed a structural bound in ``enforce`` mode; the LLM call was not sent.

    Attributes:
        bound: Which bound (``"max_turns"``, ``"max_total_tokens"``, ...).
        limit: The bound's value.
        value: What the run reached (for ``max_turns``: the turn that was refused).
        run_id: The run's id.
    """

    def __init__(self, bound: str, limit: float, value: float, run_id: str | None = None) -> None:
        self.bound, self.limit, self.value, self.run_id = bound, limit, value, run_id
        super().__init__(
            f"agentwrap: run budget exceeded: {bound}={limit} (reached {value}); the call was not sent"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.bound, self.limit, self.value, self.run_id))


@dataclass(frozen=True)
class Bounds:
    """The bounds of one run; ``None`` means unbounded."""

    max_turns: int | None = None
    max_tool_calls: int | None = None
    max_tool_retries: int | None = None
    max_total_tokens: int | None = None
    max_errors: int | None = None
    max_wall_time: float | None = None
    mode: str = "observe"

    @classmethod
    def resolve(cls, config: Config, overrides: Mapping[str, Any] | None = None) -> Bounds:
        """The run's own bounds (``agentwrap.run(max_turns=...)``) over the global ones."""
        values: dict[str, Any] = {name: getattr(config, name) for name in BOUND_NAMES}
        values["mode"] = config.budget_mode
        for key, value in (overrides or {}).items():
            name = "mode" if key == "budget_mode" else key
            if value is not None:
                values[name] = value
        if values["mode"] not in MODES:
            raise ValueError(f"agentwrap: budget_mode must be one of {MODES}, not {values['mode']!r}")
        return cls(**values)

    @property
    def enforce(self) -> bool:
        """Whether crossing a bound stops the run's next call."""
        return self.mode == "enforce"

    def any(self) -> bool:
        """Whether any bound is set."""
        return any(getattr(self, f.name) is not None for f in fields(self) if f.name != "mode")
