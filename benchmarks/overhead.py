"""Per-call overhead of agentwrap and its peers over the bare SDK, interleaved in one run.

Usage::

    python -m benchmarks.overhead            # full run (a few minutes on 2 cores)
    python -m benchmarks.overhead --quick    # a short run
    python -m benchmarks.overhead --scenarios openai-chat-sync --variants bare,agentwrap

Each variant (bare SDK, agentwrap, each peer) runs in its own worker process, instrumented
once, with the same TracerProvider + SimpleSpanProcessor + InMemorySpanExporter. The parent
drives the workers round-robin, one batch at a time, rotating the order every repetition,
so that machine drift hits every variant alike. A batch's mean time per call is one sample;
"added" is the per-repetition difference to the bare SDK's sample of the same repetition,
reported as median [p25-p75] over repetitions. A variant whose warm-up produced no spans is
reported as such and not timed. Results go to ``benchmarks/results/overhead.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from benchmarks._machine import machine_info
from benchmarks._stats import spread
from benchmarks._variants import FLOOR, VARIANTS
from benchmarks._workload import (
    ALL_SCENARIOS,
    SCENARIOS,
    STREAM_CHUNKS,
    TURNS,
    fake_reply,
    scenario_for,
    turn_of,
)

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
TRANSPORTS = ("inproc", "loopback")


class Worker:
    """A variant's worker process on one transport."""

    def __init__(self, variant: str, transport: str, base_url: str | None, python: str) -> None:
        self.variant, self.transport = variant, transport
        args = [python, "-m", "benchmarks._worker", variant, transport] + ([base_url] if base_url else [])
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.setdefault("OTEL_SDK_DISABLED", "false")
        self.stderr: IO[bytes] = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        hello = self._read()
        self.status: dict[str, str] = hello.get("status", {})

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.stderr.seek(0)
            tail = self.stderr.read()[-2000:].decode(errors="replace")
            return {"error": f"worker {self.variant}/{self.transport} died: {tail}"}
        return dict(json.loads(line))

    def batch(self, scenario: str, calls: int) -> dict[str, Any]:
        """Run one batch and return its measurements."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps({"scenario": scenario, "calls": calls}) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            return {"error": f"worker gone: {exc}"}
        return self._read()

    def close(self) -> None:
        """Stop the worker (it exits when its stdin closes)."""
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.stderr.close()


def _responder(request: Any) -> Any:
    body = json.dumps(request.body or {})
    stream = bool(request.body and request.body.get("stream"))
    scenario = scenario_for(request.path, stream, body) or SCENARIOS["openai-chat-sync"]
    return fake_reply(scenario, turn_of(body) % TURNS)


def _unusable(worker: Worker, scenario: str, warm: dict[str, Any]) -> str | None:
    """Why a variant cannot be timed in a scenario (None if it can)."""
    status = worker.status.get(ALL_SCENARIOS[scenario].provider, "unknown")
    if status != "ok":
        return status
    if "error" in warm:
        return str(warm["error"])
    if worker.variant == "bare":
        return None
    if warm["llm_spans"] == 0:
        if worker.variant == "agentwrap":
            return "not instrumented by agentwrap yet"
        return "produced no spans"
    return None


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark and return the raw results."""
    scenarios = args.scenarios.split(",")
    variants = args.variants.split(",")
    transports = args.transports.split(",")
    for name in scenarios:
        if name not in ALL_SCENARIOS:
            raise SystemExit(f"unknown scenario {name!r}; known: {', '.join(ALL_SCENARIOS)}")
    for name in variants:
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}; known: {', '.join(VARIANTS)}")
    if "bare" not in variants:
        variants.insert(0, "bare")
    server = None
    base_url = None
    if "loopback" in transports:
        from agentwrap.testing import FakeLLMServer

        server = FakeLLMServer()
        server.start()
        server.responder = _responder
        base_url = server.anthropic_base_url
    workers: dict[tuple[str, str], Worker] = {}
    samples: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    notes: dict[tuple[str, str, str], str] = {}
    try:
        for transport in transports:
            for variant in variants:
                workers[(variant, transport)] = Worker(
                    variant, transport, base_url if transport == "loopback" else None, args.python
                )
        # Warm-up, and the check that each variant produced its spans.
        for (variant, transport), worker in workers.items():
            for scenario in scenarios:
                warm = worker.batch(scenario, args.warmup)
                why = _unusable(worker, scenario, warm)
                if why is not None:
                    notes[(transport, scenario, variant)] = why
                else:
                    samples[(transport, scenario, variant)] = []
        started = time.monotonic()
        for rep in range(args.reps):
            for transport in transports:
                calls = args.calls if transport == "inproc" else max(args.calls // 2, 10)
                for scenario in scenarios:
                    order = [v for v in variants if (transport, scenario, v) in samples]
                    shift = rep % len(order) if order else 0
                    for variant in order[shift:] + order[:shift]:
                        result = workers[(variant, transport)].batch(scenario, calls)
                        if "error" in result:
                            notes[(transport, scenario, variant)] = str(result["error"])
                            samples.pop((transport, scenario, variant), None)
                        else:
                            samples[(transport, scenario, variant)].append(result)
                if server is not None:
                    server.reset()  # the fake keeps every request it saw: keep memory flat
                    server.responder = _responder
            if not args.silent:
                print(f"  rep {rep + 1}/{args.reps} ({time.monotonic() - started:.0f}s)", file=sys.stderr)
    finally:
        for worker in workers.values():
            worker.close()
        if server is not None:
            server.stop()
    return _aggregate(args, scenarios, variants, transports, samples, notes)


def _aggregate(
    args: argparse.Namespace,
    scenarios: list[str],
    variants: list[str],
    transports: list[str],
    samples: dict[tuple[str, str, str], list[dict[str, Any]]],
    notes: dict[tuple[str, str, str], str],
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for transport in transports:
        for scenario in scenarios:
            bare = samples.get((transport, scenario, "bare"), [])
            bare_us = [s[args.clock_key] / s["calls"] / 1e3 for s in bare]
            bare_ttfc = [s["ttfc"] * 1e6 for s in bare if s["ttfc"] is not None]
            for variant in variants:
                key = (transport, scenario, variant)
                row: dict[str, Any] = {"transport": transport, "scenario": scenario, "variant": variant}
                if key in notes or key not in samples or not samples[key]:
                    row["note"] = notes.get(key, "no samples")
                    rows.append(row)
                    continue
                mine = samples[key]
                us = [s[args.clock_key] / s["calls"] / 1e3 for s in mine]
                pairs = min(len(us), len(bare_us))
                added = [us[i] - bare_us[i] for i in range(pairs)]
                ttfc = [s["ttfc"] * 1e6 for s in mine if s["ttfc"] is not None]
                per_call, base = spread(us), spread(bare_us)
                row["per_call_us"] = per_call.as_dict() if per_call else None
                row["added_us"] = spread(added).as_dict() if added and variant != "bare" else None
                floor = samples.get((transport, scenario, FLOOR), [])
                if variant == "agentwrap" and floor:
                    # Paired by repetition, like "added": agentwrap's time over its spans alone.
                    floor_us = [s[args.clock_key] / s["calls"] / 1e3 for s in floor]
                    own = [us[i] - floor_us[i] for i in range(min(len(us), len(floor_us)))]
                    own_spread = spread(own)
                    row["own_work_us"] = own_spread.as_dict() if own_spread else None
                row["ratio"] = per_call.median / base.median if per_call and base else None
                calls = sum(s["calls"] for s in mine)
                row["spans_per_call"] = sum(s["spans"] for s in mine) / calls
                row["tool_spans_per_call"] = sum(s["tool_spans"] for s in mine) / calls
                if ttfc and bare_ttfc and variant != "bare":
                    n = min(len(ttfc), len(bare_ttfc))
                    row["ttfc_us"] = spread(ttfc).as_dict()  # type: ignore[union-attr]
                    row["ttfc_added_us"] = spread([ttfc[i] - bare_ttfc[i] for i in range(n)]).as_dict()  # type: ignore[union-attr]
                elif ttfc:
                    row["ttfc_us"] = spread(ttfc).as_dict()  # type: ignore[union-attr]
                rows.append(row)
    return {
        "command": " ".join(["python -m benchmarks.overhead", *args.argv]),
        "machine": machine_info(),
        "settings": {
            "reps": args.reps,
            "calls_per_batch": args.calls,
            "warmup": args.warmup,
            "stream_chunks": STREAM_CHUNKS,
            "clock": args.clock,
        },
        "rows": rows,
    }


def _fmt_spread(d: dict[str, float] | None, digits: int = 0) -> str:
    if not d:
        return ""
    return f"{d['median']:+.{digits}f} [{d['p25']:+.{digits}f} – {d['p75']:+.{digits}f}]"


def _targets(result: dict[str, Any]) -> list[str]:
    lines = []
    by_key: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for row in result["rows"]:
        by_key.setdefault((row["transport"], row["scenario"]), {})[row["variant"]] = row
    for (transport, scenario), rows in by_key.items():
        ours = rows.get("agentwrap")
        if not ours or not ours.get("added_us"):
            continue
        added = ours["added_us"]["median"]
        peers = [
            r["added_us"]["median"]
            for v, r in rows.items()
            if v not in ("bare", "agentwrap", FLOOR) and r.get("added_us")
        ]
        best = min(peers) if peers else None
        stream = ALL_SCENARIOS[scenario].stream
        parts = [f"{transport} {scenario}: agentwrap +{added:.0f} µs"]
        if stream:
            parts.append(_per_chunk(by_key, transport, scenario))
        else:
            parts.append("(target ≤ 100 µs)")
        if best is not None:
            share = added / best if best > 0 else float("inf")
            parts.append(f"; best peer +{best:.0f} µs; agentwrap/best = {share:.2f} (target ≤ 0.25)")
        floor = rows.get(FLOOR, {}).get("added_us")
        own = ours.get("own_work_us")
        if floor and own:
            parts.append(
                f"; the same spans alone ({FLOOR}) +{floor['median']:.0f} µs; agentwrap's own work "
                f"(per repetition, over {FLOOR}) {_fmt_spread(own)} µs"
            )
        lines.append(" ".join(parts))
    return lines


Rows = dict[tuple[str, str], dict[str, dict[str, Any]]]  # (transport, scenario) -> variant -> row


def _per_chunk(by_key: Rows, transport: str, scenario: str) -> str:
    """agentwrap's cost per chunk in situ: the slope between two stream lengths, when both ran
    (the call's fixed cost cancels out); else the added time spread over the chunks, an upper
    bound that still holds the call's fixed cost."""
    this = ALL_SCENARIOS[scenario]
    for other in ALL_SCENARIOS.values():
        if other.path != this.path or not other.stream or other.stream_chunks == this.stream_chunks:
            continue
        if other.provider != this.provider or other.is_async != this.is_async:
            continue
        short, long = sorted((this.stream_chunks, other.stream_chunks))
        here = by_key.get((transport, scenario), {}).get("agentwrap", {})
        there = by_key.get((transport, other.name), {}).get("agentwrap", {})
        # Over the spans alone when measured: spans-only does nothing per chunk, so whatever the
        # bare-SDK baseline drifts by between the two lengths cancels out.
        for key, what in (("own_work_us", f"over {FLOOR}"), ("added_us", "over the bare SDK")):
            if here.get(key) and there.get(key):
                slope = (there[key]["median"] - here[key]["median"]) / (
                    other.stream_chunks - this.stream_chunks
                )
                return (
                    f"({slope:.2f} µs per chunk: the slope {what} from {short} to {long} chunks; target ≤ 3)"
                )
    added = by_key[(transport, scenario)]["agentwrap"]["added_us"]["median"]
    return (
        f"(≤ {added / this.stream_chunks:.2f} µs per chunk: the added time over {this.stream_chunks} "
        "chunks, the call's fixed cost included; target ≤ 3)"
    )


_HEADER = "| scenario | variant | µs per call | added µs per call | × bare | spans/call | TTFC added µs |"


def _row(row: dict[str, Any]) -> str:
    if "note" in row:
        return f"| {row['scenario']} | {row['variant']} | {row['note']} | | | | |"
    cells = [
        row["scenario"],
        row["variant"],
        f"{row['per_call_us']['median']:.0f}",
        _fmt_spread(row.get("added_us")),
        f"{row['ratio']:.2f}" if row.get("ratio") else "",
        f"{row['spans_per_call']:.1f}",
        _fmt_spread(row.get("ttfc_added_us")),
    ]
    return "| " + " | ".join(cells) + " |"


def to_markdown(result: dict[str, Any]) -> str:
    """The Markdown report."""
    m, settings = result["machine"], result["settings"]
    clock = "CPU time of the worker process" if settings["clock"] == "cpu" else "wall-clock time"
    out = [
        "# agentwrap overhead benchmark",
        "",
        f"Command: `{result['command']}`  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['platform']}; Python {m['python']}; "
        f"load average at start {m['loadavg']}  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + "  ",
        f"Settings: {settings['reps']} interleaved repetitions × {settings['calls_per_batch']} calls per "
        f"batch (loopback: half), warm-up {settings['warmup']} calls; streams have "
        f"{settings['stream_chunks']} content chunks; times are {clock}.",
        "",
        "Every variant is the SDK with TracerProvider + SimpleSpanProcessor + InMemorySpanExporter.",
        "agentwrap has every feature on: a run scope per 10 calls with its summary (to a sink), tool",
        "spans, and its detectors. Added = per-repetition difference to the bare SDK, median",
        "[p25 – p75], in microseconds per call.",
        f"`{FLOOR}` is not a peer: it emits the spans agentwrap emits (the call's, and a tool's when",
        "the answer asks for one) with the same attributes and nothing else, i.e. what those spans",
        "cost in this OTel pipeline whoever creates them (benchmarks/_floor.py).",
        "",
    ]
    titles = {"inproc": "in-process transport (MockTransport)", "loopback": "loopback (FakeLLMServer)"}
    for transport in dict.fromkeys(r["transport"] for r in result["rows"]):
        out += [f"## {titles[transport]}", "", _HEADER, "|---|---|---:|---:|---:|---:|---:|"]
        out += [_row(row) for row in result["rows"] if row["transport"] == transport]
        out.append("")
    targets = _targets(result)
    if targets:
        out += ["## Targets", ""] + [f"- {line}" for line in targets] + [""]
    return "\n".join(out)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (few repetitions, small batches)")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated; also opt-in: {', '.join(n for n in ALL_SCENARIOS if n not in SCENARIOS)}",
    )
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--transports", default=",".join(TRANSPORTS))
    parser.add_argument(
        "--reps", type=int, default=None, help="interleaved repetitions (default 25; quick 3)"
    )
    parser.add_argument("--calls", type=int, default=None, help="calls per batch (default 40; quick 10)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up calls per scenario (default 30)")
    parser.add_argument("--out", default=str(RESULTS), help="directory for overhead.md and overhead.json")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the worker processes")
    parser.add_argument("--silent", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="cpu: the worker's CPU time (robust on a shared machine; default); wall: elapsed time",
    )
    args = parser.parse_args(argv)
    args.reps = args.reps or (3 if args.quick else 25)
    args.calls = args.calls or (10 if args.quick else 40)
    args.warmup = args.warmup or (10 if args.quick else 30)
    args.argv = argv
    args.clock_key = "cpu_ns" if args.clock == "cpu" else "ns"
    return args


def main(argv: list[str] | None = None) -> int:
    """Run, print the table, write the results."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    result = run(args)
    markdown = to_markdown(result)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "overhead.md").write_text(markdown + "\n", encoding="utf-8")
    (out / "overhead.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
