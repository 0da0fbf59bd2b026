"""Memory: RSS stays flat over many runs, and one long run keeps bounded state.

Usage::

    python -m benchmarks.memory            # 100,000 calls in 10,000 runs, then a 20,000-call run
    python -m benchmarks.memory --quick    # 20,000 calls in 2,000 runs, then a 5,000-call run

Part 1 makes 10 calls per run (openai chat through the in-process transport, agentwrap with
every feature on) and, in every run, also opens a stream and abandons it after two chunks
(it ends through the proxy's finalizer, with a ``stream.abandoned`` warning). It samples the
process's RSS every tenth of the way: after warm-up it must stay flat.

Part 2 makes one run of many calls and reports how much Python memory the open run holds per
call (tracemalloc, the run's own allocations): a per-run accumulator that grows without bound
would show here. Spans go to an exporter that counts and drops them, so only agentwrap's own
state can grow. Results go to ``benchmarks/results/memory.{md,json}``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from benchmarks._machine import machine_info
from benchmarks._variants import setup_variant
from benchmarks._workload import SCENARIOS, TURNS, Workload, request_kwargs

__all__ = ["main", "rss_bytes"]

RESULTS = Path(__file__).resolve().parent / "results"


class CountingExporter(SpanExporter):
    """Counts spans and drops them: the benchmark measures agentwrap, not an exporter."""

    def __init__(self) -> None:
        self.count = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Count and forget."""
        self.count += len(spans)
        return SpanExportResult.SUCCESS


def rss_bytes() -> int:
    """The process's resident set size (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            import os

            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _abandon_a_stream(workload: Workload, turn: int) -> None:
    scenario = SCENARIOS["openai-chat-stream"]
    client = workload.client(scenario)
    stream = client.chat.completions.create(**request_kwargs(scenario, turn))
    next(stream)
    next(stream)
    del stream  # never drained or closed: the proxy's finalizer ends the span


def flat_rss(calls: int, runs: int, samples: int = 10) -> dict[str, Any]:
    """Part 1: RSS samples over ``calls`` calls in ``runs`` runs (with abandoned streams)."""
    import agentwrap

    workload = Workload("inproc")
    call = workload.caller("openai-chat-sync")
    per_run = calls // runs
    checkpoints: list[dict[str, Any]] = []
    every = max(runs // samples, 1)
    started = time.monotonic()
    for run_index in range(runs):
        with agentwrap.run(name="memory"):
            for _ in range(per_run):
                call()
            _abandon_a_stream(workload, run_index % TURNS)
        if (run_index + 1) % every == 0:
            gc.collect()
            checkpoints.append(
                {"calls": (run_index + 1) * per_run, "runs": run_index + 1, "rss_mib": rss_bytes() / 2**20}
            )
    workload.close()
    warm = checkpoints[min(1, len(checkpoints) - 1)]
    last = checkpoints[-1]
    return {
        "calls": calls,
        "runs": runs,
        "abandoned_streams": runs,
        "seconds": round(time.monotonic() - started, 1),
        "checkpoints": checkpoints,
        "growth_after_warmup_mib": round(last["rss_mib"] - warm["rss_mib"], 2),
    }


def long_run(calls: int, samples: int = 5) -> dict[str, Any]:
    """Part 2: Python memory held per call by one open run of ``calls`` calls."""
    import agentwrap

    workload = Workload("inproc")
    call = workload.caller("openai-chat-sync")
    for _ in range(TURNS * 5):  # warm every cache and pool before measuring
        call()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    points: list[dict[str, Any]] = []
    with agentwrap.run(name="long") as run:
        for i in range(calls):
            call()
            if (i + 1) % max(calls // samples, 1) == 0:
                gc.collect()
                held = tracemalloc.get_traced_memory()[0] - base
                points.append({"calls": i + 1, "held_kib": round(held / 1024, 1)})
        turns = len(run.turns)
    tracemalloc.stop()
    workload.close()
    first, last = points[0], points[-1]
    slope = (last["held_kib"] - first["held_kib"]) * 1024 / max(last["calls"] - first["calls"], 1)
    return {"calls": calls, "turns_recorded": turns, "points": points, "bytes_per_call": round(slope, 1)}


def to_markdown(result: dict[str, Any]) -> str:
    """The Markdown report."""
    flat, long = result["flat"], result["long_run"]
    m = result["machine"]
    lines = [
        "# agentwrap memory benchmark",
        "",
        f"Command: `{result['command']}`  ",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}",
        "",
        f"## RSS over {flat['calls']:,} calls in {flat['runs']:,} runs "
        f"(+ {flat['abandoned_streams']:,} abandoned streams; {flat['seconds']} s)",
        "",
        "| calls | runs | RSS MiB |",
        "|---:|---:|---:|",
    ]
    lines += [f"| {p['calls']:,} | {p['runs']:,} | {p['rss_mib']:.1f} |" for p in flat["checkpoints"]]
    lines += [
        "",
        f"Growth after warm-up (second sample to last): {flat['growth_after_warmup_mib']:+.2f} MiB.",
        "",
        f"## One run of {long['calls']:,} calls: Python memory the open run holds",
        "",
        "| calls | held KiB |",
        "|---:|---:|",
    ]
    lines += [f"| {p['calls']:,} | {p['held_kib']:.0f} |" for p in long["points"]]
    lines += ["", f"Slope: {long['bytes_per_call']:.0f} bytes per call.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run both parts, print and write the results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    calls, runs, long_calls = (20_000, 2_000, 5_000) if args.quick else (100_000, 10_000, 20_000)
    exporter = CountingExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    setup_variant("agentwrap", provider)
    result = {
        "command": "python -m benchmarks.memory" + (" --quick" if args.quick else ""),
        "machine": machine_info(),
        "flat": flat_rss(calls, runs),
        "long_run": long_run(long_calls),
        "spans_exported": exporter.count,
    }
    markdown = to_markdown(result)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "memory.md").write_text(markdown + "\n", encoding="utf-8")
    (out / "memory.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
