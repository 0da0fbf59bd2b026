"""Start-up cost of the AGENTWRAP_AUTO_INSTRUMENT hook (the agentwrap-auto.pth line).

    python -m benchmarks.startup [runs]

Prints the median wall time of ``python -c pass`` with the variable unset and set (alternated,
so machine load affects both alike), and the cost of executing the .pth line itself when unset.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import sysconfig
import time
import timeit
from pathlib import Path


def _interpreter_ms(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    return (time.perf_counter() - started) * 1000


# import + instrument() of each variant, timed inside a fresh interpreter in which the SDKs and
# the OTel SDK are already imported (their import time is the same for all and is not counted).
_PRELUDE = """
import time, openai, anthropic
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
tp = TracerProvider(); tp.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
t0 = time.perf_counter()
"""
_INSTRUMENT = {
    "agentwrap": "import agentwrap\nagentwrap.instrument(tracer_provider=tp)",
    "otel-openai-v2": "from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as O\n"
    "O().instrument(tracer_provider=tp)",
    "openllmetry": "from opentelemetry.instrumentation.openai import OpenAIInstrumentor as O\n"
    "from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor as A\n"
    "O().instrument(tracer_provider=tp); A().instrument(tracer_provider=tp)",
    "openinference": "from openinference.instrumentation.openai import OpenAIInstrumentor as O\n"
    "from openinference.instrumentation.anthropic import AnthropicInstrumentor as A\n"
    "O().instrument(tracer_provider=tp); A().instrument(tracer_provider=tp)",
}


def instrument_ms(variant: str, env: dict[str, str]) -> float | None:
    """Milliseconds for import + instrument() of ``variant`` in a fresh process (None: missing)."""
    code = _PRELUDE + _INSTRUMENT[variant] + "\nprint((time.perf_counter() - t0) * 1000)\n"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return None
    return float(done.stdout.strip().splitlines()[-1])


def instrument_table(runs: int, env: dict[str, str]) -> list[str]:
    """Median import + instrument() time per variant, the variants alternated run by run."""
    times: dict[str, list[float]] = {v: [] for v in _INSTRUMENT}
    missing: set[str] = set()
    for _ in range(runs):
        for variant in _INSTRUMENT:
            if variant in missing:
                continue
            ms = instrument_ms(variant, env)
            if ms is None:
                missing.add(variant)
            else:
                times[variant].append(ms)
    lines = ["| variant | import + instrument() ms (median) | p25 – p75 |", "|---|---:|---:|"]
    for variant, values in times.items():
        if variant in missing or not values:
            lines.append(f"| {variant} | not installed | |")
            continue
        q1, q2, q3 = (
            statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else [values[0]] * 3
        )
        lines.append(f"| {variant} | {q2:.1f} | {q1:.1f} – {q3:.1f} |")
    return lines


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTWRAP_", "OTEL_"))}
    unset, on = [], []
    for _ in range(runs):
        unset.append(_interpreter_ms(base))
        on.append(_interpreter_ms({**base, "AGENTWRAP_AUTO_INSTRUMENT": "1"}))
    line = (Path(sysconfig.get_paths()["purelib"]) / "agentwrap-auto.pth").read_text().strip()
    code = compile(line, "agentwrap-auto.pth", "exec")
    os.environ.pop("AGENTWRAP_AUTO_INSTRUMENT", None)
    loops = 100_000
    per_line_us = timeit.timeit(lambda: exec(code, {}), number=loops) / loops * 1e6
    print(
        f"python -c pass, median of {runs}: unset {statistics.median(unset):.1f} ms, "
        f"AGENTWRAP_AUTO_INSTRUMENT=1 {statistics.median(on):.1f} ms "
        f"(+{statistics.median(on) - statistics.median(unset):.1f} ms)"
    )
    print(f"the .pth line with the variable unset: {per_line_us:.2f} us")
    table = instrument_table(max(runs // 3, 5), base)
    print("\n".join(["", f"import + instrument() in fresh processes ({max(runs // 3, 5)} each):", *table]))
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "startup.md").write_text(
        "# agentwrap start-up\n\n"
        f"Command: `python -m benchmarks.startup {runs}`\n\n"
        f"- `python -c pass`, median of {runs}: unset {statistics.median(unset):.1f} ms, "
        f"AGENTWRAP_AUTO_INSTRUMENT=1 {statistics.median(on):.1f} ms\n"
        f"- the .pth line with the variable unset: {per_line_us:.2f} µs\n\n"
        "import + instrument() in fresh processes (openai, anthropic and the OTel SDK already imported;\n"
        "agentwrap, OpenLLMetry and OpenInference instrument both SDKs, openai-v2 only openai):\n\n"
        + "\n".join(table)
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
