"""Precision and recall of each silent-failure detector.

Two sets of labelled trajectories are replayed through the fake LLM server with the real
openai SDK and an ordinary agent loop (:func:`agentwrap.testing.corpus.play`):

- the hand-written corpus (``agentwrap.testing.corpus.CORPUS``), which the test-suite
  requires to be flagged exactly as labelled;
- seeded random variants: healthy agents with random tool plans, token counts and latencies,
  and pathological ones (loops, retry storms, ping-pong, error streaks, truncation, empty
  answers, runaway prompts, slow calls, blown budgets) placed at random in otherwise healthy
  runs. These were not used to tune the thresholds, so they measure them.

For each event name: TP = runs labelled with it that raised it, FP = runs that raised it
without the label, FN = runs labelled with it that did not. Run with::

    .venv/bin/python -m benchmarks.detectors [--random 120] [--seed 7] [--out benchmarks/results/detectors.md]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

import agentwrap
from agentwrap.detect import EVENT_NAMES
from agentwrap.testing import ErrorReply, FakeLLMServer, Reply, ToolCall, Usage, capture
from agentwrap.testing.corpus import CORPUS, Trajectory, play

NOTES = (
    "Seed 7 was the first random set run; before a fix it found 4 false `prompt.growth` "
    "flags on healthy near-misses (one large tool result right after linear growth read as "
    "acceleration). `prompt.growth` now needs two consecutive steps of at least "
    "`prompt_growth_step` (1.5x) growth. Seed 2026 was generated after that fix and used to tune "
    "nothing. The generator and the thresholds are both ours: perfect scores mean the heuristics "
    "do what they say on these shapes, not that they are right about production agents; the "
    "near-misses (healthy runs one step short of a threshold) are the informative part. (Seed 2026 "
    "also caught a generator bug: a near-miss whose failing tool also failed the healthy prefix's "
    "calls, i.e. a real streak of three labelled healthy; the generator was fixed, not the detector.)"
)
WARNINGS = [name for name in EVENT_NAMES if name != "run.terminated"]
POOL = ["search_flights", "get_weather", "book_seat", "get_user", "get_reservation"]


# -- random trajectories ---------------------------------------------------------------------------


class _Builder:
    """A healthy-looking plan that a pathology is spliced into."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.tokens = rng.randint(80, 400)
        self.replies: list[Reply | ErrorReply] = []
        self.counter = 0

    def _usage(self, grow: float | None = None) -> Usage:
        usage = Usage(self.tokens, self.rng.randint(8, 60))
        self.tokens = int(self.tokens * grow) if grow else self.tokens + self.rng.randint(15, 120)
        return usage

    def _delay(self) -> float:
        return self.rng.uniform(0.0, 0.015)

    def fresh_call(self) -> ToolCall:
        self.counter += 1
        return ToolCall(self.rng.choice(POOL), {"q": f"{self.counter}-{self.rng.random():.6f}"})

    def step(self, *calls: ToolCall, grow: float | None = None, delay: float | None = None) -> None:
        calls = calls or tuple(self.fresh_call() for _ in range(self.rng.choice((1, 1, 1, 2))))
        self.replies.append(
            Reply(tool_calls=list(calls), usage=self._usage(grow), delay=delay or self._delay())
        )

    def healthy_steps(self, lo: int, hi: int) -> None:
        for _ in range(self.rng.randint(lo, hi)):
            self.step()

    def answer(self, text: str | None = None, finish: str | None = None) -> tuple[Reply | ErrorReply, ...]:
        reply_text = "Here is what I found." if text is None else text
        self.replies.append(
            Reply(text=reply_text, usage=self._usage(), finish_reason=finish, delay=self._delay())
        )
        return tuple(self.replies)


def _flaky_tools(rng: random.Random) -> dict[str, Any]:
    """Tools that fail on a given set of argument values (error streak trajectories)."""

    def failing(q: str = "", **_: Any) -> str:
        return rng.choice(["Error: upstream timeout", '{"error": "service unavailable"}', "Exception: 502"])

    return {name: failing for name in POOL}


def random_trajectories(n: int, seed: int) -> list[Trajectory]:
    """``n`` labelled trajectories: about half healthy, the rest one pathology each."""
    rng = random.Random(seed)
    kinds = (
        ["healthy"] * 7
        + ["near_miss"] * 3
        + [
            "loop",
            "loop_interleaved",
            "cycle3",
            "retry_storm",
            "pingpong",
            "error_streak",
            "truncated",
            "empty",
            "prompt_growth",
            "latency",
            "budget",
        ]
    )
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        out.append(_random(kind, rng, f"random.{i:03d}.{kind}"))
    return out


def _random(kind: str, rng: random.Random, name: str) -> Trajectory:
    b = _Builder(rng)
    labels: frozenset[str] = frozenset()
    options: dict[str, Any] = {}
    tools: dict[str, Any] = {}
    retries = 0
    text: str | None = None
    finish: str | None = None
    if kind == "healthy":
        b.healthy_steps(0, 6)
        if rng.random() < 0.3:  # one transient server error, retried once
            b.replies.insert(rng.randint(0, len(b.replies)), ErrorReply(500))
            retries = 2
    elif kind == "near_miss":  # healthy, one step short of a threshold
        b.healthy_steps(0, 2)
        variant = rng.choice(("retry_once", "two_errors", "a_b_a", "jump"))
        if variant == "retry_once":
            same = b.fresh_call()
            b.step(same)
            b.step(same)
        elif variant == "two_errors":
            for row in range(2):
                b.step(ToolCall("book_seat", {"seat": f"{row}A"}))
            b.step(ToolCall("book_seat", {"seat": "9Z"}))
            tools = {
                "book_seat": lambda seat="", **_: "Error: seat taken" if seat in ("0A", "1A") else "booked"
            }
        elif variant == "a_b_a":
            a = b.fresh_call()
            b.step(a)
            b.step(b.fresh_call())
            b.step(a)
        else:  # one big tool result: the prompt jumps once
            b.step(b.fresh_call(), grow=rng.uniform(5, 20))
            b.healthy_steps(1, 2)
    elif kind == "loop_interleaved":
        same = b.fresh_call()
        for _ in range(3):
            b.step(same)
            b.step()
        labels = frozenset({"tool.repeated_calls"})
    elif kind == "cycle3":
        cycle = [b.fresh_call() for _ in range(3)]
        while len({(c.name, str(c.arguments)) for c in cycle}) < 3:
            cycle = [b.fresh_call() for _ in range(3)]
        for _ in range(2):
            for call in cycle:
                b.step(call)
        labels = frozenset({"tool.oscillation"})
    elif kind == "loop":
        b.healthy_steps(0, 2)
        same = b.fresh_call()
        for _ in range(rng.randint(3, 6)):
            b.step(same)
        b.healthy_steps(0, 2)
        labels = frozenset({"tool.repeated_calls"})
    elif kind == "retry_storm":
        b.healthy_steps(0, 3)
        b.replies.extend(ErrorReply(rng.choice((500, 502, 503))) for _ in range(rng.randint(2, 5)))
        retries = 6
        labels = frozenset({"llm.repeated_request"})
    elif kind == "pingpong":
        b.healthy_steps(0, 2)
        a, c = b.fresh_call(), ToolCall("get_reservation", {"code": f"R{rng.randint(1, 99)}"})
        for _ in range(2):
            b.step(a)
            b.step(c)
        labels = frozenset({"tool.oscillation"})
    elif kind == "error_streak":
        b.healthy_steps(0, 2)
        fail = [
            ToolCall("book_seat", {"seat": f"{row}{rng.choice('ABCDEF')}"})
            for row in range(rng.randint(3, 5))
        ]
        for call in fail:
            b.step(call)
        tools = {"book_seat": _flaky_tools(rng)["book_seat"]}
        labels = frozenset({"tool.error_streak"})
    elif kind == "truncated":
        b.healthy_steps(0, 3)
        text, finish = "The plan is: first we", rng.choice(("length", "max_tokens"))
        labels = frozenset({"output.truncated"})
    elif kind == "empty":
        b.healthy_steps(0, 3)
        text = ""
        labels = frozenset({"response.empty"})
    elif kind == "prompt_growth":
        b.tokens = rng.randint(300, 600)
        for _ in range(rng.randint(3, 5)):
            b.step(b.fresh_call(), grow=rng.uniform(2.6, 4.0))
        labels = frozenset({"prompt.growth"})
    elif kind == "latency":
        for _ in range(rng.randint(4, 6)):
            b.step(b.fresh_call(), delay=rng.uniform(0.005, 0.02))
        b.step(b.fresh_call(), delay=rng.uniform(0.6, 0.9))
        labels = frozenset({"latency.outlier"})
    elif kind == "budget":
        b.healthy_steps(3, 6)
        options = {"max_turns": rng.randint(1, 2)}
        labels = frozenset({"run.limit_reached"})
    script = b.answer(text, finish)
    return Trajectory(name, script, labels=labels, tools=tools, run_options=options, retries=retries)


# -- replay and scoring ----------------------------------------------------------------------------


def replay(trajectories: Iterable[Trajectory]) -> list[tuple[Trajectory, set[str]]]:
    """Each trajectory with the warning names its run raised."""
    import openai

    results = []
    with FakeLLMServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="bench", max_retries=0)
        try:
            with capture(store=os.path.join(tempfile.mkdtemp(prefix="agentwrap-bench-"), "fs.db")) as cap:
                for trajectory in trajectories:
                    server.reset()
                    server.enqueue(*trajectory.script)
                    cap.clear()
                    with agentwrap.run(name=trajectory.name, **trajectory.run_options):
                        play(client, trajectory)
                    flagged = {e["name"] for e in cap.events if e["severity"] == "warning"}
                    results.append((trajectory, flagged))
        finally:
            client.close()
    return results


def score(results: list[tuple[Trajectory, set[str]]]) -> dict[str, dict[str, float]]:
    """TP/FP/FN, precision and recall per event name."""
    table: dict[str, dict[str, float]] = {}
    for name in WARNINGS:
        tp = sum(1 for t, f in results if name in t.labels and name in f)
        fp = sum(1 for t, f in results if name not in t.labels and name in f)
        fn = sum(1 for t, f in results if name in t.labels and name not in f)
        table[name] = {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / (tp + fn) if tp + fn else float("nan"),
        }
    return table


def _fmt(x: float) -> str:
    return "n/a" if x != x else f"{x:.2f}"


def markdown(title: str, results: list[tuple[Trajectory, set[str]]]) -> list[str]:
    """One section: counts, the per-detector table, and any misfires by name."""
    table = score(results)
    healthy = [r for r in results if r[0].healthy]
    near = [r for r in healthy if "near_miss" in r[0].name]
    lines = [
        f"### {title}",
        "",
        f"{len(results)} trajectories: {len(healthy)} healthy "
        f"({len(near)} of them one step short of a threshold; {sum(1 for _, f in healthy if f)} flagged), "
        f"{len(results) - len(healthy)} pathological.",
        "",
        "| detector (event) | TP | FP | FN | precision | recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in table.items():
        lines.append(
            f"| `{name}` | {row['tp']:.0f} | {row['fp']:.0f} | {row['fn']:.0f} "
            f"| {_fmt(row['precision'])} | {_fmt(row['recall'])} |"
        )
    misses = [(t.name, sorted(t.labels), sorted(f)) for t, f in results if set(t.labels) != f]
    lines.append("")
    if misses:
        lines.append("Runs not flagged exactly as labelled:")
        lines.extend(f"- `{n}`: expected {exp}, raised {got}" for n, exp, got in misses)
    else:
        lines.append("Every run was flagged exactly as labelled.")
    lines.append("")
    return lines


def hook_cost(calls: int = 5000, repeats: int = 5) -> float:
    """Median microseconds the run observers' hooks add to one LLM call that asks for one tool.

    The observers agentwrap registers (bounds, heuristics, detectors) are built for a run and
    their hooks called the way the run calls them (no HTTP, no span export), with no bound
    crossed and nothing flagged: the steady-state cost every call pays.
    """
    from agentwrap._observers import Observers
    from agentwrap._tools import ToolExecution
    from agentwrap.detect._observers import OBSERVERS
    from agentwrap.records import LLMCallRecord, LLMRequest, LLMResponse, ToolCallRequest
    from agentwrap.records import Usage as TokenUsage

    samples = []
    with capture(store="off"):
        for _ in range(repeats):
            with agentwrap.run(name="bench") as run:
                mon, span = Observers.build(run, OBSERVERS), run.span
                reqs = [
                    LLMRequest("openai", "chat", "m", input_hash=f"h{i}", message_count=2 + 2 * i)
                    for i in range(calls)
                ]
                resps = [
                    LLMResponse(
                        model="m",
                        finish_reasons=["tool_calls"],
                        usage=TokenUsage(100 + 10 * i, 10),
                        tool_calls=[ToolCallRequest(f"c{i}", "search", "{}")],
                        output_text=None,
                    )
                    for i in range(calls)
                ]
                tools = [
                    ToolExecution(f"c{i}", "search", {"q": i}, f"a{i}", span, "0" * 16, 0, i + 1, result="ok")
                    for i in range(calls)
                ]
                records = [
                    LLMCallRecord("0" * 16, i + 1, "m", 0, 1_000_000, 100 + 10 * i, 10, ("tool_calls",))
                    for i in range(calls)
                ]
                started = time.perf_counter()
                for i in range(calls):
                    mon.before_send(reqs[i])
                    mon.on_call_end(records[i], reqs[i], resps[i], span)
                    mon.on_turn(records[i], [tools[i]])
                    mon.on_tool_end(tools[i])
                samples.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    """Replay the corpus and one random set per seed, print the tables, write them to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=150, help="random trajectories per seed (default 150)")
    parser.add_argument("--seed", type=int, nargs="+", default=[7, 2026], help="one random set per seed")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "detectors.md"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sections = markdown("Hand-written corpus (`agentwrap.testing.corpus`)", replay(CORPUS))
    for seed in args.seed:
        results = replay(random_trajectories(args.random, seed))
        kinds = dict(sorted(Counter(t.name.split(".")[-1] for t, _ in results).items()))
        sections += markdown(f"Seeded random trajectories (seed {seed}; kinds: {kinds})", results)
    elapsed = time.perf_counter() - started
    cost = hook_cost()
    seeds = " ".join(str(seed) for seed in args.seed)
    lines = [
        "# Silent-failure detectors: precision and recall",
        "",
        f"Command: `.venv/bin/python -m benchmarks.detectors --random {args.random} --seed {seeds}`"
        f" (python {sys.version.split()[0]}, {elapsed:.1f} s in all). Default thresholds "
        "(`agentwrap.detect.Thresholds`); each run replayed through the fake LLM server with the "
        "real openai SDK and the corpus' agent loop. `run.terminated` is informational, not a detector.",
        "",
        *sections,
        "Tool results reach the error heuristics as text (OpenAI tool messages have no error flag), "
        'so `tool.error_streak` relies on `looks_like_error` (`Error: ...`, `{"error": ...}`, tracebacks).',
        "",
        NOTES,
        "",
        "### Cost",
        "",
        f"The run observers' hooks (bounds and every heuristic) add {cost:.0f} µs to an LLM call that "
        "asks for one tool (median of 5 runs of 5000 calls, hooks called directly: `hook_cost()` in "
        "this file), and the same on the 5000th call of a run as on the first: every window is "
        "bounded. User detectors run once per run, at close, not per call.",
        "",
    ]
    text = "\n".join(lines)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
