"""Profile agentwrap's hot path with cProfile, and time the stream proxy per chunk.

Usage::

    python -m benchmarks.hotpath [--scenario openai-chat-sync] [--calls 2000] [--top 30]

Runs the scenario in-process (MockTransport) under agentwrap with every feature on, and
prints the functions of agentwrap (and the OTel SDK) by their own time. Then times agentwrap's
per-chunk cost on its own: the stream proxy and accumulator over pre-parsed chunks, with no
SDK or transport in between.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from benchmarks._variants import setup_variant
from benchmarks._workload import SCENARIOS, STREAM_CHUNKS, Workload

__all__ = ["main", "per_chunk_us"]


def _provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def per_chunk_us(chunks: int = 20000) -> float:
    """agentwrap's own cost per streamed chat chunk, in microseconds (proxy + accumulator)."""
    import openai
    from agentwrap.patches._openai_chat import ChatCompletionsEndpoint

    from agentwrap.provider import SyncStreamProxy, start_call

    chunk = openai.types.chat.ChatCompletionChunk.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": "word "}, "finish_reason": None}],
        }
    )
    items = [chunk] * chunks
    endpoint = ChatCompletionsEndpoint()
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True}

    def drain(wrap: bool) -> float:
        source = iter(items)
        if wrap:
            request = endpoint.request(body, True)
            stream = SyncStreamProxy(source, start_call(request), endpoint.accumulator(request, body))
        else:
            stream = source
        started = time.perf_counter()
        for _ in stream:
            pass
        return time.perf_counter() - started

    best = min(drain(True) - drain(False) for _ in range(5))
    return best / chunks * 1e6


def direct_cost_us(
    calls: int = 2000, turns: int = 1, run_calls: int = 10, exporter: InMemorySpanExporter | None = None
) -> float:
    """agentwrap's own CPU cost per non-streaming chat call, without the SDK around it.

    Drives agentwrap's request-layer wrapper with a stub in place of the SDK's ``request``
    that returns a parsed ``ChatCompletion`` (so only agentwrap's work is timed), inside run
    scopes of ``run_calls`` calls, and subtracts the cost of calling the stub directly. Each
    call gets a freshly built body, as the SDK builds one per request.
    """
    import json
    from types import SimpleNamespace

    import openai
    from agentwrap.patches import openai as patch
    from agentwrap.patches._stainless import StainlessCalls

    import agentwrap
    from agentwrap.provider import traced_sync
    from benchmarks._workload import TURNS, canned_body, chat_messages, http_module, request_kwargs

    scenario = SCENARIOS["openai-chat-sync"]
    answers = [
        openai.types.chat.ChatCompletion.model_validate(json.loads(canned_body(scenario, j)[0]))
        for j in range(TURNS)
    ]
    texts = []
    for j in range(TURNS):  # distinct requests and answers, as in the overhead benchmark
        kwargs = request_kwargs(scenario, j)
        kwargs["messages"] = chat_messages(turns, j)
        texts.append(json.dumps(kwargs))
    client = SimpleNamespace(base_url=http_module("openai").URL("http://bench.invalid/v1"))
    wrapper = traced_sync(StainlessCalls(patch.route))

    def stub(cast_to: object, options: Any, **kw: object) -> object:
        return answers[options.turn]

    def once(wrapped: bool) -> float:
        if exporter is not None:
            exporter.clear()  # a growing span list would make every GC pass slower
        options = [
            SimpleNamespace(
                method="post", url="/chat/completions", json_data=json.loads(texts[i % TURNS]), turn=i % TURNS
            )
            for i in range(calls)
        ]
        started = time.process_time()
        for start in range(0, calls, run_calls):
            with agentwrap.run(name="direct"):
                for i in range(start, min(start + run_calls, calls)):
                    if wrapped:
                        wrapper(stub, client, (None, options[i]), {})
                    else:
                        stub(None, options[i])
        return time.process_time() - started

    once(True)
    samples = [once(True) - once(False) for _ in range(5)]
    return sorted(samples)[len(samples) // 2] / calls * 1e6


def main(argv: list[str] | None = None) -> int:
    """Profile, print the top functions and the per-chunk cost."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hotpath")
    parser.add_argument("--scenario", default="openai-chat-sync", choices=list(SCENARIOS))
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    provider, exporter = _provider()
    setup_variant("agentwrap", provider)
    import agentwrap

    workload = Workload("inproc")
    call = workload.caller(args.scenario)
    for _ in range(50):
        call()
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(0, args.calls, 10):
        with agentwrap.run(name="profile"):
            for _ in range(10):
                call()
        if i % 500 == 0:
            exporter.clear()
    profiler.disable()
    workload.close()
    stats = pstats.Stats(profiler)
    stats.sort_stats(args.sort).print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(r"agentwrap|_stainless|_openai|_anthropic", args.top)
    if SCENARIOS[args.scenario].provider == "openai":
        chunk = per_chunk_us()
        print(f"agentwrap per stream chunk (proxy + accumulator): {chunk:.2f} µs ({STREAM_CHUNKS}/stream)")
        direct = direct_cost_us(exporter=exporter)
        print(f"agentwrap per non-streaming chat call, without the SDK (CPU): {direct:.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
