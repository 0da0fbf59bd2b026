"""Time the pricing of one LLM call (it runs once per call, at its end).

Usage::

    python -m benchmarks.cost [--calls 20000]

Prints the median of 7 repetitions, in microseconds per call, of ``Pricer.price`` for a model
with fixed prices, one with long-context tiers, one whose prices changed at a date, a model
priced by the user's table, an unknown model (its look-up is remembered), and a cost the
response reported; then genai-prices' own ``calc_price`` for the same fixed-price call, and
the one-time cost of loading genai-prices' table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from agentwrap._cost import Pricer
from agentwrap.records import Usage

__all__ = ["main", "per_call_us"]

USAGE = Usage(
    input_tokens=12_000,
    output_tokens=800,
    cache_read_input_tokens=9_000,
    cache_creation_input_tokens=1_000,
    reasoning_output_tokens=300,
)

LOAD_PROBE = """
import time
from agentwrap._cost import Pricer
from agentwrap.records import Usage
started = time.perf_counter()
Pricer().price("openai", "gpt-4o-mini", Usage(10, 10))
print(time.perf_counter() - started)
"""


def per_call_us(fn: Callable[[], Any], calls: int) -> float:
    """Median over 7 repetitions of ``fn``'s time per call, in microseconds."""
    fn()  # the first call loads and caches
    times = []
    for _ in range(7):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(times)


def _scenarios(pricer: Pricer) -> dict[str, Callable[[], Any]]:
    return {
        "fixed prices (openai gpt-4o-mini)": lambda: pricer.price("openai", "gpt-4o-mini", USAGE),
        "tiered (anthropic claude-sonnet-4-5)": lambda: pricer.price("anthropic", "claude-sonnet-4-5", USAGE),
        "dated prices (openai o3)": lambda: pricer.price("openai", "o3", USAGE),
        "user table": lambda: pricer.price("openai", "my-model", USAGE),
        "unknown model": lambda: pricer.price("openai", "no-such-model", USAGE),
        "reported by the response": lambda: pricer.price("openrouter", "x", USAGE, reported_cost=0.0012),
    }


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("agentwrap").setLevel(logging.ERROR)  # the unknown model's one warning
    pricer = Pricer({"my-model": {"input": 1.0, "output": 2.0, "cache_read": 0.1}})
    print("| scenario | µs per call |\n|---|---:|")
    for name, fn in _scenarios(pricer).items():
        print(f"| {name} | {per_call_us(fn, args.calls):.2f} |")
    import genai_prices

    usage = genai_prices.Usage(
        input_tokens=12_000, output_tokens=800, cache_read_tokens=9_000, cache_write_tokens=1_000
    )
    direct = per_call_us(lambda: genai_prices.calc_price(usage, "gpt-4o-mini", provider_id="openai"), 500)
    print(f"| genai-prices calc_price, same call | {direct:.2f} |")
    loaded = subprocess.run([sys.executable, "-c", LOAD_PROBE], capture_output=True, text=True, check=True)
    print(
        f"\nfirst priced call in a fresh process (loads genai-prices {genai_prices.__version__}): "
        f"{float(loaded.stdout) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
