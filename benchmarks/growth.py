"""Prompt growth: a 200-turn run costs agentwrap no more per call than a 5-turn run.

Usage::

    python -m benchmarks.growth [--quick]

An agent loop resends the whole, growing conversation on every call. This drives agentwrap's
request-layer wrapper (every feature on, inside a run scope) with a stub in place of the SDK's
``request`` that answers each call with a tool call, and sends call ``i`` the conversation of
``i`` tool round trips, freshly built per call as the SDK builds it. It reports agentwrap's own
CPU time per call for a 5-turn run and for a 200-turn run (overall, and for its last 20 calls,
when the conversation has ~400 messages), next to what hashing the whole conversation from
scratch on every call would cost at those sizes (the quadratic way). The SDK itself is left
out: its own per-message work (~100 µs per message for openai 3.x) would drown the signal.
Results go to ``benchmarks/results/growth.{md,json}``.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from benchmarks._machine import machine_info
from benchmarks._variants import setup_variant
from benchmarks._workload import SCENARIOS, canned_body, chat_messages, http_module, request_kwargs
from benchmarks.memory import CountingExporter

__all__ = ["main", "per_call_us"]

RESULTS = Path(__file__).resolve().parent / "results"


def _run_once(
    turns: int, answers: list[Any], bodies: list[dict[str, Any]], ballast: Any = None
) -> list[float]:
    """One run of ``turns`` calls; agentwrap's CPU microseconds for each call.

    ``ballast``, if given, is deep-copied (untimed) before every call: the same cache pressure
    in both runs, so that what differs between them is only the work agentwrap does.
    """
    from agentwrap.patches import openai as patch
    from agentwrap.patches._stainless import StainlessCalls

    import agentwrap
    from agentwrap.provider import traced_sync

    wrapper = traced_sync(StainlessCalls(patch.route))
    client = SimpleNamespace(base_url=http_module("openai").URL("http://bench.invalid/v1"))

    def stub(cast_to: object, opts: Any, **kw: object) -> object:
        return answers[opts.turn]

    out = []
    with agentwrap.run(name=f"growth-{turns}"):
        for i in range(turns):
            # Built untimed, one at a time, as the SDK builds each body: new dicts and lists
            # around the app's own strings (copy.deepcopy shares them too). Freeing a body is
            # the SDK's cost; agentwrap keeps the last one to compare the next against, so the
            # free is timed in both arms and the uninstrumented arm's is subtracted.
            body, twin = copy.deepcopy(bodies[i]), copy.deepcopy(bodies[i])
            if ballast is not None:
                copy.deepcopy(ballast)
            options = SimpleNamespace(method="post", url="/chat/completions", json_data=body, turn=i)
            started = time.process_time_ns()
            wrapper(stub, client, (None, options), {})
            del options, body
            ours = time.process_time_ns() - started
            started = time.process_time_ns()
            del twin
            out.append((ours - (time.process_time_ns() - started)) / 1e3)
    return out


def _prepare(turns: int) -> tuple[list[Any], list[dict[str, Any]]]:
    import openai

    scenario = SCENARIOS["openai-chat-sync"]
    answers = [
        openai.types.chat.ChatCompletion.model_validate(json.loads(canned_body(scenario, i)[0]))
        for i in range(turns)
    ]
    conversation = chat_messages(turns)  # the app's own, growing message list
    kwargs = request_kwargs(scenario, 0)
    # Call i sends the conversation of i + 1 tool round trips.
    bodies = [{**kwargs, "messages": conversation[: 2 + 2 * (i + 1)]} for i in range(turns)]
    return answers, bodies


def per_call_us(
    reps: int, long_turns: int = 200, short_turns: int = 5, equal_pressure: bool = False
) -> list[dict[str, Any]]:
    """agentwrap's mean CPU µs per call in short and long runs, interleaved rep by rep.

    Each repetition makes one long run and as many short runs as make the same number of
    calls, so that machine drift hits both alike; medians over the repetitions are reported.
    With ``equal_pressure`` every call of both runs is preceded by building the long run's
    last body (untimed), as if the SDK had built a 400-message body before each call of both:
    the long run's own, larger bodies then no longer leave a colder cache than the short
    run's, and what remains is the work agentwrap does per message.
    """
    from agentwrap._hashing import sha256_hex

    short, long = _prepare(short_turns), _prepare(long_turns)
    ballast = long[1][-1] if equal_pressure else None
    _run_once(short_turns, *short, ballast)  # warm up
    _run_once(long_turns, *long, ballast)
    samples: dict[int, tuple[list[float], list[float]]] = {short_turns: ([], []), long_turns: ([], [])}
    for _ in range(reps):
        gc.collect()
        calls = _run_once(long_turns, *long, ballast)
        samples[long_turns][0].append(statistics.fmean(calls))
        samples[long_turns][1].append(statistics.fmean(calls[-20:]))
        calls = []
        for _ in range(long_turns // short_turns):
            calls += _run_once(short_turns, *short, ballast)
        samples[short_turns][0].append(statistics.fmean(calls))
        samples[short_turns][1].append(statistics.fmean(calls))
    out = []
    for turns, (_answers, bodies) in ((short_turns, short), (long_turns, long)):
        last = bodies[-1]["messages"]
        started = time.process_time_ns()
        for _ in range(20):
            sha256_hex(last)
        scratch = (time.process_time_ns() - started) / 20 / 1e3
        means, tails = samples[turns]
        out.append(
            {
                "turns": turns,
                "messages_at_last_call": len(last),
                "per_call_us": round(statistics.median(means), 1),
                "last_20_calls_us": round(statistics.median(tails), 1),
                "hash_from_scratch_at_last_call_us": round(scratch, 1),
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure the 5-turn and 200-turn runs, print and write the results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.growth")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    exporter = CountingExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    setup_variant("agentwrap", provider)
    reps = 2 if args.quick else 9
    short, long = per_call_us(reps)
    short_eq, long_eq = per_call_us(reps, equal_pressure=True)
    result = {
        "command": "python -m benchmarks.growth" + (" --quick" if args.quick else ""),
        "machine": machine_info(),
        "runs": [short, long],
        "ratio_200_to_5": round(long["per_call_us"] / short["per_call_us"], 2),
        "runs_equal_cache_pressure": [short_eq, long_eq],
        "ratio_200_to_5_equal_cache_pressure": round(long_eq["per_call_us"] / short_eq["per_call_us"], 2),
    }
    lines = [
        "# agentwrap cost per call as the conversation grows",
        "",
        f"Command: `{result['command']}` (agentwrap's own CPU time, every feature on, no SDK)",
        "",
        "| run | messages (last call) | µs per call | µs per call, last 20 | full re-hash, last call |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in result["runs"]:
        lines.append(
            f"| {r['turns']} turns | {r['messages_at_last_call']} | {r['per_call_us']:.0f} | "
            f"{r['last_20_calls_us']:.0f} | {r['hash_from_scratch_at_last_call_us']:.0f} µs |"
        )
    lines += ["", f"200-turn / 5-turn cost per call: {result['ratio_200_to_5']:.2f}", ""]
    lines += [
        "With the same cache pressure before every call of both runs (the long run's last body",
        "built untimed before each call, as if the SDK had built it), so that only agentwrap's",
        "own work per message differs:",
        "",
        "| run | µs per call | µs per call, last 20 |",
        "|---|---:|---:|",
    ]
    for r in result["runs_equal_cache_pressure"]:
        lines.append(f"| {r['turns']} turns | {r['per_call_us']:.0f} | {r['last_20_calls_us']:.0f} |")
    lines += ["", f"200-turn / 5-turn: {result['ratio_200_to_5_equal_cache_pressure']:.2f}", ""]
    markdown = "\n".join(lines)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "growth.md").write_text(markdown + "\n", encoding="utf-8")
    (out / "growth.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
