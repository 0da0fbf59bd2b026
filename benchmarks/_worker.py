"""One benchmark variant in its own process, driven line by line over stdin/stdout.

``python -m benchmarks._worker VARIANT TRANSPORT [BASE_URL]`` instruments the process as the
variant, prints ``{"status": {...}}`` and then answers each command line
``{"scenario": NAME, "calls": N}`` with the batch's total time, time to first chunk and the
spans the exporter received. The parent interleaves the workers (one batch at a time).
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from benchmarks._variants import setup_variant
from benchmarks._workload import ALL_SCENARIOS, TURNS, Workload

__all__ = ["main"]

RUN_CALLS = TURNS  # agentwrap: one run scope per cycle of distinct requests
_SCAFFOLD = ("invoke_agent", "execute_tool")  # agentwrap's run and tool spans: not LLM spans


def _batch(
    workload: Workload, variant: str, name: str, calls: int, exporter: InMemorySpanExporter
) -> dict[str, Any]:
    call = workload.caller(name)
    ttfc: list[float] = []
    scope: Any = None
    run_scope = None
    if variant == "agentwrap":
        import agentwrap

        run_scope = agentwrap.run
    exporter.clear()
    cpu_started = time.process_time_ns()
    started = time.perf_counter_ns()
    for i in range(calls):
        if run_scope is not None and i % RUN_CALLS == 0:
            if scope is not None:
                scope.__exit__(None, None, None)
            scope = run_scope(name="bench")
            scope.__enter__()
        first = call()
        if first is not None:
            ttfc.append(first)
    if scope is not None:
        scope.__exit__(None, None, None)
    elapsed = time.perf_counter_ns() - started
    cpu = time.process_time_ns() - cpu_started
    spans = exporter.get_finished_spans()
    exporter.clear()
    llm = [s for s in spans if not s.name.startswith(_SCAFFOLD)]
    return {
        "ns": elapsed,
        "cpu_ns": cpu,
        "calls": calls,
        "ttfc": statistics.median(ttfc) if ttfc else None,
        "spans": len(spans),
        "llm_spans": len(llm),
        "tool_spans": sum(1 for s in spans if s.name.startswith("execute_tool")),
    }


def main(argv: list[str]) -> int:
    """Serve batches until stdin closes."""
    variant, transport = argv[0], argv[1]
    base_url = argv[2] if len(argv) > 2 else None
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    status, _ = setup_variant(variant, provider)
    workload = Workload(transport, base_url)
    out = sys.stdout
    out.write(json.dumps({"status": status}) + "\n")
    out.flush()
    for line in sys.stdin:
        command = json.loads(line)
        name = command["scenario"]
        try:
            if ALL_SCENARIOS[name].provider not in status or status[ALL_SCENARIOS[name].provider] != "ok":
                raise RuntimeError(status.get(ALL_SCENARIOS[name].provider, "unknown provider"))
            if command.get("collect"):
                gc.collect()
            result = _batch(workload, variant, name, int(command["calls"]), exporter)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which carries on
            result = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        out.write(json.dumps(result) + "\n")
        out.flush()
    workload.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
