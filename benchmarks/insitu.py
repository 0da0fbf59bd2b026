"""Where agentwrap's time goes *in situ*: inside the real SDK path, between real SDK calls.

Usage::

    python -m benchmarks.insitu [--scenario openai-chat-sync] [--calls 3000] [--top 40]

The same Python costs about three times more between two SDK calls than in a tight loop (the
SDK's millisecond of work per call leaves agentwrap's code and data out of the CPU caches), so
a profile of agentwrap alone (``benchmarks.hotpath``) ranks the work right but under-states it.
This runs a scenario through the real SDK over the in-process transport, inside run scopes of
ten calls as ``benchmarks.overhead`` does, with a wall-clock timer around each function named in
:data:`TIMED`, and prints the inclusive time per LLM call of each (the timers themselves add
~0.2 µs per timed call). The cycle collector is off while timing, so a collection does not land
on whichever function happened to allocate.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import sys
import time
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from benchmarks._variants import setup_variant
from benchmarks._workload import ALL_SCENARIOS, Workload

__all__ = ["TIMED", "main"]

# "module:Owner.attribute" or "module:function": the places timed.
TIMED = [
    "agentwrap.patches._stainless:StainlessCalls.begin",
    "agentwrap.patches._stainless:StainlessCalls.on_result",
    "agentwrap.patches._openai_chat:ChatCompletionsEndpoint.request",
    "agentwrap.patches._openai_chat:ChatCompletionsEndpoint.response",
    "agentwrap.patches._openai_chat:ChatStreamAccumulator.add",
    "agentwrap.patches._openai_responses:ResponsesEndpoint.request",
    "agentwrap.patches._openai_responses:ResponsesEndpoint.response",
    "agentwrap.patches._anthropic_messages:MessagesEndpoint.request",
    "agentwrap.patches._anthropic_messages:MessagesEndpoint.response",
    # Functions imported by name are timed where they are looked up (the importing module).
    "agentwrap.patches._openai_chat:sha256_hex_items",
    "agentwrap.patches._anthropic_messages:sha256_hex_items",
    "agentwrap.patches._openai_responses:sha256_hex_items",
    "agentwrap._tools:sha256_hex",
    "agentwrap._tools:parse_arguments",
    "agentwrap._hashing:canonical_json",
    "agentwrap._call:Call.__init__",
    "agentwrap._call:Call.activate",
    "agentwrap._call:Call.deactivate",
    "agentwrap._call:Call.finish",
    "agentwrap._call:Call._end",
    "agentwrap.provider._stream:_StreamState.on_chunk",
    "agentwrap.provider._stream:_StreamState.finish",
    "agentwrap._run:Run.__init__",
    "agentwrap._run:Run.on_request",
    "agentwrap._run:Run.call_ended",
    "agentwrap._tools:start_tool",
    "agentwrap._run:Run._end_tool",
    "agentwrap._run:Run.close",
    "agentwrap.detect._bounds_observer:BoundsObserver.before_send",
    "agentwrap.detect._bounds_observer:BoundsObserver.on_turn",
    "agentwrap.detect._bounds_observer:BoundsObserver.on_tool_end",
    "agentwrap.detect._heuristics_observer:HeuristicsObserver.on_call_end",
    "agentwrap.detect._heuristics_observer:HeuristicsObserver.on_turn",
    "agentwrap.detect._heuristics_observer:HeuristicsObserver.on_tool_end",
    "agentwrap._telemetry:Telemetry.record_call",
    "opentelemetry.sdk.trace:Tracer.start_span",
    "opentelemetry.sdk.trace:_Span.set_attributes",
    "opentelemetry.sdk.trace:_Span.end",
]


def _install_timers(places: list[str]) -> dict[str, list[int]]:
    totals: dict[str, list[int]] = {}
    for place in places:
        module_name, _, path = place.partition(":")
        owner: Any = importlib.import_module(module_name)
        *parents, attribute = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        original = getattr(owner, attribute)
        label = place.replace("agentwrap.patches.", "").replace("agentwrap.", "")
        totals[label] = [0, 0]
        setattr(owner, attribute, _timed(original, totals[label]))
    return totals


def _timed(fn: Callable[..., Any], total: list[int]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter_ns()
        try:
            return fn(*args, **kwargs)
        finally:
            total[0] += time.perf_counter_ns() - started
            total[1] += 1

    return timed


def main(argv: list[str] | None = None) -> int:
    """Time the scenario and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.insitu")
    parser.add_argument("--scenario", default="openai-chat-sync", choices=list(ALL_SCENARIOS))
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    setup_variant("agentwrap", provider)
    import agentwrap

    totals = _install_timers(TIMED)
    workload = Workload("inproc")
    call = workload.caller(args.scenario)

    def batch(calls: int) -> None:
        for start in range(0, calls, 10):
            with agentwrap.run(name="insitu"):
                for _ in range(min(10, calls - start)):
                    call()
            exporter.clear()

    batch(200)  # warm-up
    for total in totals.values():
        total[0] = total[1] = 0
    gc.disable()
    try:
        batch(args.calls)
    finally:
        gc.enable()
    workload.close()
    print(f"{args.scenario}: inclusive µs per LLM call (calls per LLM call), {args.calls} calls")
    ranked = sorted(totals.items(), key=lambda item: -item[1][0])
    for name, (ns, count) in ranked[: args.top]:
        if count:
            print(f"{ns / args.calls / 1e3:9.2f}  ({count / args.calls:5.2f})  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
