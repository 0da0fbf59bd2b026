"""A labelled corpus of scripted agent trajectories, healthy and pathological.

Each :class:`Trajectory` is what the model answers (a script for :class:`FakeLLMServer`), what
the tools return, and the events agentwrap should raise on it (``labels``; empty means
healthy: nothing may be flagged). :func:`play` runs it through an ordinary agent loop over
the real openai SDK, so the whole path (SDK, patch, run, monitor) is exercised. Used by
``tests/test_detect_corpus.py`` and ``benchmarks/detectors.py``.
"""

from __future__ import annotations

import json
from typing import Any

from ._script import ErrorReply, Reply
from ._trajectory import TOOLS, Trajectory, answer, book_down, call, linear, tool_reply

__all__ = ["CORPUS", "Trajectory", "play"]


def _healthy() -> list[Trajectory]:
    search = call("search_flights", origin="JFK", dest="SFO")
    t = linear(8)
    return [
        Trajectory("healthy.direct_answer", (answer("Paris is the capital of France."),)),
        Trajectory(
            "healthy.one_lookup",
            (tool_reply(call("get_weather", city="Paris"), tokens=t[0]), answer(tokens=t[1])),
        ),
        Trajectory(
            "healthy.search_then_book",
            (
                tool_reply(search, tokens=t[0]),
                tool_reply(call("book_seat", seat="12A"), tokens=t[1]),
                answer("Booked 12A.", tokens=t[2]),
            ),
        ),
        Trajectory(
            "healthy.paging",
            tuple(
                tool_reply(call("search_flights", origin="JFK", dest="SFO", page=p), tokens=t[p])
                for p in (1, 2, 3)
            )
            + (answer(tokens=t[4]),),
            description="the same tool three times with different arguments is iteration, not a loop",
        ),
        Trajectory(
            "healthy.recovers_from_one_tool_error",
            (
                tool_reply(call("book_seat", seat="1A"), tokens=t[0]),
                tool_reply(call("book_seat", seat="1B"), tokens=t[1]),
                answer("Booked 1B.", tokens=t[2]),
            ),
            tools={
                "book_seat": lambda seat="", **_: (
                    "Error: seat taken" if seat == "1A" else f"booked seat {seat}"
                )
            },
        ),
        Trajectory(
            "healthy.parallel_tools",
            (
                tool_reply(call("get_weather", city="Paris"), call("get_weather", city="Rome"), tokens=t[0]),
                answer(tokens=t[1]),
            ),
        ),
        Trajectory(
            "healthy.streamed",
            (tool_reply(call("get_weather", city="Oslo"), tokens=t[0]), answer("Cold.", tokens=t[1])),
            stream=True,
        ),
        Trajectory(
            "healthy.one_retry_after_server_error",
            (ErrorReply(500), answer()),
            retries=2,
            description="one identical re-send after a 500 is a normal retry",
        ),
        Trajectory(
            "healthy.alternating_tools_new_arguments",
            (
                tool_reply(call("get_user", user_id="u1"), tokens=t[0]),
                tool_reply(call("get_reservation", code="R1"), tokens=t[1]),
                tool_reply(call("get_user", user_id="u2"), tokens=t[2]),
                tool_reply(call("get_reservation", code="R2"), tokens=t[3]),
                answer(tokens=t[4]),
            ),
            description="A-B-A-B by name, but each call asks something new",
        ),
        Trajectory(
            "healthy.long_conversation",
            tuple(
                tool_reply(call("search_flights", origin="JFK", dest=d), tokens=t[i])
                for i, d in enumerate("ABCDEF")
            )
            + (answer(tokens=t[6]),),
        ),
        Trajectory(
            "healthy.one_big_document",
            (
                tool_reply(call("fetch_page", url="https://example.com"), tokens=100),
                tool_reply(call("get_weather", city="Paris"), tokens=3000),
                answer(tokens=3100),
            ),
            description="one large tool result makes the prompt jump once; it does not keep accelerating",
        ),
        Trajectory(
            "healthy.within_bounds",
            (tool_reply(search, tokens=t[0]), answer(tokens=t[1])),
            run_options={"max_turns": 5, "max_total_tokens": 10_000, "max_tool_calls": 3, "max_errors": 1},
        ),
        Trajectory(
            "healthy.near_miss.one_identical_retry",
            (tool_reply(search, tokens=t[0]), tool_reply(search, tokens=t[1]), answer(tokens=t[2])),
            description="a tool re-run once with the same arguments: below repeated_calls",
        ),
        Trajectory(
            "healthy.near_miss.two_tool_errors",
            (
                tool_reply(call("book_seat", seat="1A"), tokens=t[0]),
                tool_reply(call("book_seat", seat="1B"), tokens=t[1]),
                tool_reply(call("book_seat", seat="1C"), tokens=t[2]),
                answer("Booked 1C.", tokens=t[3]),
            ),
            tools={
                "book_seat": lambda seat="", **_: (
                    f"booked seat {seat}" if seat == "1C" else "Error: seat taken"
                )
            },
            description="two failures, then success: below error_streak",
        ),
        Trajectory(
            "healthy.near_miss.a_b_a",
            (
                tool_reply(call("get_user", user_id="u1"), tokens=t[0]),
                tool_reply(call("get_reservation", code="R1"), tokens=t[1]),
                tool_reply(call("get_user", user_id="u1"), tokens=t[2]),
                answer(tokens=t[3]),
            ),
            description="going back once to an earlier call is not a cycle",
        ),
        Trajectory(
            "healthy.steady_latency",
            tuple(
                tool_reply(call("get_weather", city=c), tokens=t[i], delay=0.02)
                for i, c in enumerate("ABCDE")
            )
            + (answer(tokens=t[5], delay=0.02),),
        ),
    ]


def _pathological() -> list[Trajectory]:
    loop = call("search_flights", origin="JFK", dest="LAX")
    t = linear(10)
    return [
        Trajectory(
            "loop.same_search",
            tuple(tool_reply(loop, tokens=t[i]) for i in range(4)) + (answer(tokens=t[4]),),
            labels=frozenset({"tool.repeated_calls"}),
            description="the seed's example: the same search with the same arguments, again and again",
        ),
        Trajectory(
            "budget.runaway_turns",
            tuple(
                tool_reply(call("search_flights", origin="JFK", dest=f"X{i}"), tokens=t[i]) for i in range(7)
            )
            + (answer(tokens=t[7]),),
            labels=frozenset({"run.limit_reached"}),
            run_options={"max_turns": 5},
            description="an agent that keeps going past its turn budget (observe mode)",
        ),
        Trajectory(
            "budget.tokens",
            (
                tool_reply(call("get_weather", city="Paris"), tokens=4000, out=500),
                tool_reply(call("get_weather", city="Rome"), tokens=4600, out=500),
                answer(tokens=5200, out=400),
            ),
            labels=frozenset({"run.limit_reached"}),
            run_options={"max_total_tokens": 8000},
        ),
        Trajectory(
            "budget.tool_calls",
            (
                tool_reply(*(call("get_weather", city=c) for c in "ABCD"), tokens=t[0]),
                tool_reply(*(call("get_weather", city=c) for c in "EFGH"), tokens=t[1]),
                answer(tokens=t[2]),
            ),
            labels=frozenset({"run.limit_reached"}),
            run_options={"max_tool_calls": 6},
        ),
        Trajectory(
            "retry_storm.server_errors",
            (ErrorReply(500), ErrorReply(500), ErrorReply(503), answer()),
            labels=frozenset({"llm.repeated_request"}),
            retries=5,
            description="the same request re-sent after every failure",
        ),
        Trajectory(
            "pingpong.two_tools",
            (
                tool_reply(call("get_user", user_id="u1"), tokens=t[0]),
                tool_reply(call("get_reservation", code="R1"), tokens=t[1]),
                tool_reply(call("get_user", user_id="u1"), tokens=t[2]),
                tool_reply(call("get_reservation", code="R1"), tokens=t[3]),
                answer(tokens=t[4]),
            ),
            labels=frozenset({"tool.oscillation"}),
            description="A-B-A-B with the same arguments: the agent is going round in circles",
        ),
        Trajectory(
            "pingpong.three_tools",
            (
                tool_reply(call("get_user", user_id="u1"), tokens=t[0]),
                tool_reply(call("get_reservation", code="R1"), tokens=t[1]),
                tool_reply(call("search_flights", origin="JFK", dest="SFO"), tokens=t[2]),
                tool_reply(call("get_user", user_id="u1"), tokens=t[3]),
                tool_reply(call("get_reservation", code="R1"), tokens=t[4]),
                tool_reply(call("search_flights", origin="JFK", dest="SFO"), tokens=t[5]),
                answer(tokens=t[6]),
            ),
            labels=frozenset({"tool.oscillation"}),
            description="A-B-C-A-B-C: the same three calls, round again",
        ),
        Trajectory(
            "truncation.length",
            (answer("The itinerary is: day 1, fly to", tokens=300, out=64, finish_reason="length"),),
            labels=frozenset({"output.truncated"}),
        ),
        Trajectory(
            "tool_errors.streak",
            (
                tool_reply(call("book_seat", seat="1A"), tokens=t[0]),
                tool_reply(call("book_seat", seat="1B"), tokens=t[1]),
                tool_reply(call("book_seat", seat="1C"), tokens=t[2]),
                answer("I could not book a seat.", tokens=t[3]),
            ),
            labels=frozenset({"tool.error_streak"}),
            tools={"book_seat": book_down},
        ),
        Trajectory(
            "empty.response",
            (tool_reply(call("get_weather", city="Paris"), tokens=t[0]), answer("", tokens=t[1], out=0)),
            labels=frozenset({"response.empty"}),
        ),
        Trajectory(
            "prompt.history_duplicated",
            (
                tool_reply(call("get_weather", city="A"), tokens=200),
                tool_reply(call("get_weather", city="B"), tokens=600),
                tool_reply(call("get_weather", city="C"), tokens=1800),
                answer(tokens=5400),
            ),
            labels=frozenset({"prompt.growth"}),
            description="prompt tokens triple each turn while the conversation grows by two messages",
        ),
        Trajectory(
            "latency.one_slow_call",
            tuple(
                tool_reply(call("get_weather", city=c), tokens=t[i], delay=0.01) for i, c in enumerate("ABCD")
            )
            + (
                tool_reply(call("get_weather", city="E"), tokens=t[4], delay=0.8),
                answer(tokens=t[5], delay=0.01),
            ),
            labels=frozenset({"latency.outlier"}),
        ),
    ]


CORPUS: tuple[Trajectory, ...] = tuple(_healthy() + _pathological())

SYSTEM = "You are a travel assistant. Use the tools."
MODEL = "gpt-4o-mini"


def _tool_definitions(trajectory: Trajectory) -> list[dict[str, Any]]:
    names = sorted({c.name for r in trajectory.script if isinstance(r, Reply) for c in r.tool_calls})
    return [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}} for n in names]


def _create(client: Any, trajectory: Trajectory, messages: list[dict[str, Any]], tools: list[Any]) -> Any:
    kwargs: dict[str, Any] = {"model": MODEL, "messages": messages}
    if tools:
        kwargs["tools"] = tools
    if not trajectory.stream:
        return client.chat.completions.create(**kwargs)
    with client.chat.completions.stream(**kwargs) as stream:
        for _ in stream:
            pass
        return stream.get_final_completion()


def play(client: Any, trajectory: Trajectory, max_steps: int = 12) -> str:
    """Run an ordinary tool-using agent loop over ``client`` (the server must hold the script)."""
    import openai

    tools = _tool_definitions(trajectory)
    impl = {**TOOLS, **trajectory.tools}
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": trajectory.name},
    ]
    for _ in range(max_steps):
        for attempt in range(trajectory.retries + 1):
            try:
                response = _create(client, trajectory, messages, tools)
                break
            except openai.APIStatusError:
                if attempt == trajectory.retries:
                    raise
        message = response.choices[0].message
        if not message.tool_calls:
            return str(message.content or "")
        messages.append(message.model_dump(exclude_none=True))
        for requested in message.tool_calls:
            arguments = json.loads(requested.function.arguments or "{}")
            result = impl[requested.function.name](**arguments)
            messages.append({"role": "tool", "tool_call_id": requested.id, "content": result})
    return "gave up"
