"""Per-token rates and the arithmetic of one call's cost, for any price source.

A price source (genai-prices' table, or the user's own prices) is reduced once per model to
:class:`Rates`: USD per token for each kind of token, plus a fixed fee per call. Pricing a call
is then a handful of float multiplications, cheap enough for the end of every LLM call.

Token semantics are agentwrap's :class:`~agentwrap.records.Usage` (the GenAI conventions'):
``input_tokens`` is the whole input *including* cache reads and cache writes, and
``output_tokens`` includes reasoning tokens. The providers' patches already convert to that
(Anthropic's own ``input_tokens`` excludes the cache; its patch adds the cache counts in), so
the uncached input is ``input - cache_read - cache_write`` whatever the provider.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentwrap.records import Usage

__all__ = ["RATE_KEYS", "Rates", "TieredRates", "load_price_file", "parse_price_table"]

PER_MILLION = 1_000_000

# The user's rates, in USD per million tokens: input and output are required; a cache rate
# left out is the input rate and the reasoning rate the output rate (how providers bill
# when they have no separate price).
RATE_KEYS = ("input", "output", "cache_read", "cache_write", "reasoning")
_REQUIRED_KEYS = ("input", "output")


@dataclass(frozen=True, slots=True)
class Rates:
    """USD per token of each kind, and a fixed USD fee per call (a few providers charge one)."""

    input: float
    output: float
    cache_read: float
    cache_write: float
    reasoning: float
    per_call: float = 0.0

    def cost(self, usage: Usage) -> float | None:
        """The call's cost in USD, or None when the counts contradict each other.

        The cache counts are parts of the input and the reasoning count a part of the output;
        a usage where the parts exceed the whole (or a count is negative) is not priced.
        """
        total_in = usage.input_tokens or 0
        total_out = usage.output_tokens or 0
        read = usage.cache_read_input_tokens or 0
        write = usage.cache_creation_input_tokens or 0
        reasoning = usage.reasoning_output_tokens or 0
        plain_in = total_in - read - write
        plain_out = total_out - reasoning
        if plain_in < 0 or plain_out < 0 or min(read, write, reasoning) < 0:
            return None
        return (
            self.per_call
            + plain_in * self.input
            + read * self.cache_read
            + write * self.cache_write
            + plain_out * self.output
            + reasoning * self.reasoning
        )

    def upper_bound(self, input_tokens: int, output_tokens: int) -> float:
        """The most ``input_tokens`` in and ``output_tokens`` out can cost, whatever the cache.

        A cache write costs more than plain input at some providers (Anthropic: 1.25x), so the
        input is taken at the dearer of the two rates, the output likewise.
        """
        dearest_in = max(self.input, self.cache_write, self.cache_read)
        dearest_out = max(self.output, self.reasoning)
        return self.per_call + max(input_tokens, 0) * dearest_in + max(output_tokens, 0) * dearest_out


@dataclass(frozen=True, slots=True)
class TieredRates:
    """Rates that depend on the call's total input tokens (long-context pricing).

    ``brackets[i]`` applies when exactly ``i`` of the ``starts`` are below the input total:
    a call of more than ``starts[0]`` input tokens is priced at ``brackets[1]`` throughout
    (the way genai-prices and the providers apply their tiers).
    """

    starts: tuple[int, ...]
    brackets: tuple[Rates, ...]

    def for_input(self, input_tokens: int) -> Rates:
        """The rates for a call with this input total."""
        return self.brackets[bisect_left(self.starts, input_tokens)]

    def cost(self, usage: Usage) -> float | None:
        """The call's cost in USD at the rates of its input total (see :meth:`Rates.cost`)."""
        return self.for_input(usage.input_tokens or 0).cost(usage)

    def upper_bound(self, input_tokens: int, output_tokens: int) -> float:
        """See :meth:`Rates.upper_bound`, at the rates of this input total."""
        return self.for_input(input_tokens).upper_bound(input_tokens, output_tokens)


def _rate(value: Any, where: str) -> float:
    """A price per million tokens as USD per token; ValueError naming ``where`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"agentwrap: {where} must be a number of USD per million tokens, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"agentwrap: {where} must be a finite number >= 0, not {value!r}")
    return float(value) / PER_MILLION


def _rates(model: str, entry: Any, setting: str) -> Rates:
    where = f"{setting}[{model!r}]"
    if not isinstance(entry, Mapping):
        raise ValueError(f"agentwrap: {where} must map {', '.join(RATE_KEYS)} to prices, not {entry!r}")
    unknown = sorted(str(key) for key in entry if key not in RATE_KEYS)
    if unknown:
        raise ValueError(f"agentwrap: {where} has unknown keys {unknown}; known: {', '.join(RATE_KEYS)}")
    missing = [key for key in _REQUIRED_KEYS if key not in entry]
    if missing:
        raise ValueError(f"agentwrap: {where} needs {' and '.join(missing)} (USD per million tokens)")
    rates = {key: _rate(value, f"{where}[{key!r}]") for key, value in entry.items()}
    return Rates(
        input=rates["input"],
        output=rates["output"],
        cache_read=rates.get("cache_read", rates["input"]),
        cache_write=rates.get("cache_write", rates["input"]),
        reasoning=rates.get("reasoning", rates["output"]),
    )


def parse_price_table(table: Any, setting: str = "prices") -> dict[str, Rates]:
    """The user's ``{model: {"input": ..., "output": ..., ...}}`` as Rates by lower-cased model.

    Prices are USD per million tokens. Raises TypeError (not a mapping) or ValueError (a bad
    entry), naming ``setting`` and the entry.
    """
    if not isinstance(table, Mapping):
        raise TypeError(f"agentwrap: {setting} must be a dict of model -> rates, not {type(table).__name__}")
    parsed: dict[str, Rates] = {}
    for model, entry in table.items():
        if not isinstance(model, str) or not model.strip():
            raise ValueError(f"agentwrap: {setting} keys must be model names, not {model!r}")
        parsed[model.strip().lower()] = _rates(model, entry, setting)
    return parsed


def load_price_file(path: str) -> dict[str, Rates]:
    """The price table in a JSON file (the dict form of :func:`parse_price_table`).

    Raises OSError when the file cannot be read and ValueError when it is not such a table.
    """
    text = Path(path).expanduser().read_text(encoding="utf-8")
    try:
        table = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"agentwrap: {path} is not JSON ({exc})") from exc
    try:
        return parse_price_table(table, setting=path)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc
