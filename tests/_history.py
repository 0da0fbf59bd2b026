"""A generated history of runs (summary and event records, as agentwrap writes them), and the
report's figures computed directly from those records, independently of the store's SQL."""

from __future__ import annotations

import math
import random
import uuid
from collections import defaultdict
from typing import Any

RELEASES = ["v1.4.1", "v1.4.2", "v1.5.0", None]
MODELS = ["gpt-4o-mini", "qwen-3.5-72b-instruct"]
PROMPTS = ["sha256-" + c * 64 for c in "abc"]
WARNINGS = ["tool.repeated_calls", "stream.abandoned", "budget.tokens_exceeded"]
REASONS = [None, None, None, "max_steps", "user_stop"]
T0 = 1_790_000_000 * 10**9  # 2026-09-21, in ns
DAY = 86_400 * 10**9


def generate(n: int, seed: int = 6, days: int = 14, t0: int = T0) -> list[dict[str, Any]]:
    """``n`` run summaries with their warning events, in time order, from ``t0`` on."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for i in range(n):
        start = t0 + (i * days * DAY) // n + rng.randrange(10**9)
        latency = round(rng.lognormvariate(0.5, 0.8), 2)
        turns = rng.randint(1, 12)
        tools = [rng.choice(["search_flights", "book", "lookup"]) for _ in range(rng.randint(0, turns - 1))]
        run_id, trace_id = uuid.UUID(int=rng.getrandbits(128)).hex, format(rng.getrandbits(128), "032x")
        span_ids = [format(rng.getrandbits(64), "016x") for _ in tools]
        warned = {w: rng.randint(1, 3) for w in WARNINGS if rng.random() < 0.08 * (1 + WARNINGS.index(w))}
        tokens_in, tokens_out = rng.randint(50, 5000) * turns, rng.randint(5, 400) * turns
        summary = {
            "trace_id": trace_id,
            "sequence_of_tool_calls": [
                {"span_id": s, "tool": t, "args": None, "result": None}
                for s, t in zip(span_ids, tools, strict=True)
            ],
            "selected_tool_calls": list(dict.fromkeys(tools)),
            "timing_of_each_tool_calls": {s: "0.10s" for s in span_ids},
            "token_usage_of_each_tool_call": {
                s: {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2} for s in span_ids
            },
            "number_of_same_tool_retries": max(0, len(tools) - len(set(tools))),
            "total_number_of_turns": turns,
            "overall_latency": f"{latency:.2f}s",
            "hash_of_prompt": rng.choice(PROMPTS),
            "release_version": rng.choice(RELEASES),
            "llm_model": rng.choice(MODELS),
        }
        end = start + int(latency * 1e9)
        for name, count in warned.items():
            for k in range(count):
                records.append(
                    {
                        "type": "event",
                        "name": name,
                        "severity": "warning",
                        "time_unix_nano": start + k + 1,
                        "trace_id": trace_id,
                        "span_id": None,
                        "run_id": run_id,
                        "run_name": "airline-agent",
                        "release": summary["release_version"],
                        "fields": {"repeat_count": k + 2},
                    }
                )
        record: dict[str, Any] = {
            "type": "run.summary",
            "run_id": run_id,
            "run_name": "airline-agent",
            "parent_run_id": None,
            "start_time_unix_nano": start,
            "end_time_unix_nano": end,
            "summarized_metadata": summary,
            "warnings": warned,
            "usage": {
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        }
        reason = rng.choice(REASONS)
        if reason:
            record["termination_reason"] = reason
        records.append(record)
    return records


def _nearest_rank(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(p * len(ordered) / 100) - 1]


def direct_report(
    records: list[dict[str, Any]], since_ns: int | None = None, until_ns: int | None = None
) -> dict[Any, dict[str, Any]]:
    """The report's groups computed straight from the records (no store, no SQL)."""
    runs: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    first: dict[str, int] = {}
    for r in records:
        if r["type"] == "event":
            first[r["name"]] = min(first.get(r["name"], r["time_unix_nano"]), r["time_unix_nano"])
            continue
        start = r["start_time_unix_nano"]
        if (since_ns is not None and start < since_ns) or (until_ns is not None and start >= until_ns):
            continue
        s = r["summarized_metadata"]
        runs[(s["release_version"], s["llm_model"], s["hash_of_prompt"])].append(r)
    out: dict[Any, dict[str, Any]] = {}
    for key, group in runs.items():
        n = len(group)
        meta = [r["summarized_metadata"] for r in group]
        reasons: dict[str, int] = defaultdict(int)
        warnings: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "runs": 0})
        for r in group:
            if r.get("termination_reason"):
                reasons[r["termination_reason"]] += 1
            for name, count in r["warnings"].items():
                warnings[name]["count"] += count
                warnings[name]["runs"] += 1
        latencies = [float(m["overall_latency"].rstrip("s")) for m in meta]
        out[key] = {
            "runs": n,
            "latency_p50_s": _nearest_rank(latencies, 50),
            "latency_p95_s": _nearest_rank(latencies, 95),
            "tokens_per_run": sum(r["usage"]["total_tokens"] for r in group) / n,
            "turns_per_run": sum(m["total_number_of_turns"] for m in meta) / n,
            "tool_calls_per_run": sum(len(m["sequence_of_tool_calls"]) for m in meta) / n,
            "same_tool_retries_per_run": sum(m["number_of_same_tool_retries"] for m in meta) / n,
            "termination_reasons": dict(reasons),
            "warnings": {k: dict(v) for k, v in warnings.items()},
            "first_seen_ns": {k: first[k] for k in warnings},
        }
    return out
