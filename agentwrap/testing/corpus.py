"""A labelled corpus of scripted agent trajectories, healthy and pathological.

Each :class:`Trajectory` is what the model answers (a script for :class:`FakeLLMServer`), what
the tools return, and the events agentwrap should raise on it (``labels``; empty means
healthy: nothing may be flagged). :func:`play` runs it through an ordinary agent loop over
the real openai SDK, so the whole path (SDK, patch, run, monitor) is exercised. Used by
``tests/test_detect_corpus.py`` and ``benchmarks/detectors.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._script import ErrorReply, Reply, ToolCall, Usage

__all__ = ["CORPUS", "Trajectory", "play"]

Tool = Callable[..., str]


def _flights(origin: str = "", dest: str = "", page: int = 1, **_: Any) -> str:
    return "no_flights_found" if page == 1 and dest == "LAX" else f"flights page {page}: UA{100 + page}"


def _weather(city: str = "", **_: Any) -> str:
    return json.dumps({"city": city, "forecast": "sunny", "high_c": 24})


def _book(seat: str = "", **_: Any) -> str:
    return f"booked seat {seat}"


def _book_down(seat: str = "", **_: Any) -> str:
    return "Error: booking service timed out"


def _get_user(user_id: str = "", **_: Any) -> str:
    return json.dumps({"user_id": user_id, "name": "Ada", "tier": "gold"})


def _get_reservation(code: str = "", **_: Any) -> str:
    return json.dumps({"code": code, "flight": "UA101", "status": "confirmed"})


def _fetch(url: str = "", **_: Any) -> str:
    return "<html>" + "lorem ipsum " * 200 + "</html>"


TOOLS: dict[str, Tool] = {
    "search_flights": _flights,
    "get_weather": _weather,
    "book_seat": _book,
    "get_user": _get_user,
    "get_reservation": _get_reservation,
    "fetch_page": _fetch,
}


@dataclass(frozen=True)
class Trajectory:
    """One scripted run and what should be flagged on it.

    Attributes:
        name: Unique name.
        script: The model's replies in order (errors included).
        labels: Event names agentwrap must raise on it; empty for a healthy run.
        tools: Tool implementations overriding :data:`TOOLS` by name.
        run_options: Keywords for ``agentwrap.run`` (bounds such as ``max_turns``).
        retries: How many times the agent loop re-sends a request that failed with an API error.
        stream: Whether the loop streams its calls.
        description: What the trajectory stands for.
    """

    name: str
    script: tuple[Reply | ErrorReply, ...]
    labels: frozenset[str] = frozenset()
    tools: Mapping[str, Tool] = field(default_factory=dict)
    run_options: Mapping[str, Any] = field(default_factory=dict)
    retries: int = 0
    stream: bool = False
    description: str = ""

    @property
    def healthy(self) -> bool:
        """Whether nothing should be flagged."""
        return not self.labels


def _call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(name, arguments)


def _tool_reply(*calls: ToolCall, tokens: int = 120, out: int = 15, **kw: Any) -> Reply:
    return Reply(tool_calls=list(calls), usage=Usage(tokens, out), **kw)


def _answer(text: str = "Done.", tokens: int = 200, out: int = 20, **kw: Any) -> Reply:
    return Reply(text=text, usage=Usage(tokens, out), **kw)


def _linear(n: int, start: int = 120, step: int = 30) -> list[int]:
    return [start + step * i for i in range(n)]


def _healthy() -> list[Trajectory]:
    search = _call("search_flights", origin="JFK", dest="SFO")
    t = _linear(8)
    return [
        Trajectory("healthy.direct_answer", (_answer("Paris is the capital of France."),)),
        Trajectory(
            "healthy.one_lookup",
            (_tool_reply(_call("get_weather", city="Paris"), tokens=t[0]), _answer(tokens=t[1])),
        ),
        Trajectory(
            "healthy.search_then_book",
            (
                _tool_reply(search, tokens=t[0]),
                _tool_reply(_call("book_seat", seat="12A"), tokens=t[1]),
                _answer("Booked 12A.", tokens=t[2]),
            ),
        ),
        Trajectory(
            "healthy.paging",
            tuple(
                _tool_reply(_call("search_flights", origin="JFK", dest="SFO", page=p), tokens=t[p])
                for p in (1, 2, 3)
            )
            + (_answer(tokens=t[4]),),
            description="the same tool three times with different arguments is iteration, not a loop",
        ),
        Trajectory(
            "healthy.recovers_from_one_tool_error",
            (
                _tool_reply(_call("book_seat", seat="1A"), tokens=t[0]),
                _tool_reply(_call("book_seat", seat="1B"), tokens=t[1]),
                _answer("Booked 1B.", tokens=t[2]),
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
                _tool_reply(
                    _call("get_weather", city="Paris"), _call("get_weather", city="Rome"), tokens=t[0]
                ),
                _answer(tokens=t[1]),
            ),
        ),
        Trajectory(
            "healthy.streamed",
            (_tool_reply(_call("get_weather", city="Oslo"), tokens=t[0]), _answer("Cold.", tokens=t[1])),
            stream=True,
        ),
        Trajectory(
            "healthy.one_retry_after_server_error",
            (ErrorReply(500), _answer()),
            retries=2,
            description="one identical re-send after a 500 is a normal retry",
        ),
        Trajectory(
            "healthy.alternating_tools_new_arguments",
            (
                _tool_reply(_call("get_user", user_id="u1"), tokens=t[0]),
                _tool_reply(_call("get_reservation", code="R1"), tokens=t[1]),
                _tool_reply(_call("get_user", user_id="u2"), tokens=t[2]),
                _tool_reply(_call("get_reservation", code="R2"), tokens=t[3]),
                _answer(tokens=t[4]),
            ),
            description="A-B-A-B by name, but each call asks something new",
        ),
        Trajectory(
            "healthy.long_conversation",
            tuple(
                _tool_reply(_call("search_flights", origin="JFK", dest=d), tokens=t[i])
                for i, d in enumerate("ABCDEF")
            )
            + (_answer(tokens=t[6]),),
        ),
        Trajectory(
            "healthy.one_big_document",
            (
                _tool_reply(_call("fetch_page", url="https://example.com"), tokens=100),
                _tool_reply(_call("get_weather", city="Paris"), tokens=3000),
                _answer(tokens=3100),
            ),
            description="one large tool result makes the prompt jump once; it does not keep accelerating",
        ),
        Trajectory(
            "healthy.within_bounds",
            (_tool_reply(search, tokens=t[0]), _answer(tokens=t[1])),
            run_options={"max_turns": 5, "max_total_tokens": 10_000, "max_tool_calls": 3, "max_errors": 1},
        ),
        Trajectory(
            "healthy.near_miss.one_identical_retry",
            (_tool_reply(search, tokens=t[0]), _tool_reply(search, tokens=t[1]), _answer(tokens=t[2])),
            description="a tool re-run once with the same arguments: below repeated_calls",
        ),
        Trajectory(
            "healthy.near_miss.two_tool_errors",
            (
                _tool_reply(_call("book_seat", seat="1A"), tokens=t[0]),
                _tool_reply(_call("book_seat", seat="1B"), tokens=t[1]),
                _tool_reply(_call("book_seat", seat="1C"), tokens=t[2]),
                _answer("Booked 1C.", tokens=t[3]),
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
                _tool_reply(_call("get_user", user_id="u1"), tokens=t[0]),
                _tool_reply(_call("get_reservation", code="R1"), tokens=t[1]),
                _tool_reply(_call("get_user", user_id="u1"), tokens=t[2]),
                _answer(tokens=t[3]),
            ),
            description="going back once to an earlier call is not a cycle",
        ),
        Trajectory(
            "healthy.steady_latency",
            tuple(
                _tool_reply(_call("get_weather", city=c), tokens=t[i], delay=0.02)
                for i, c in enumerate("ABCDE")
            )
            + (_answer(tokens=t[5], delay=0.02),),
        ),
    ]


def _pathological() -> list[Trajectory]:
    loop = _call("search_flights", origin="JFK", dest="LAX")
    t = _linear(10)
    return [
        Trajectory(
            "loop.same_search",
            tuple(_tool_reply(loop, tokens=t[i]) for i in range(4)) + (_answer(tokens=t[4]),),
            labels=frozenset({"tool.repeated_calls"}),
            description="the seed's example: the same search with the same arguments, again and again",
        ),
        Trajectory(
            "budget.runaway_turns",
            tuple(
                _tool_reply(_call("search_flights", origin="JFK", dest=f"X{i}"), tokens=t[i])
                for i in range(7)
            )
            + (_answer(tokens=t[7]),),
            labels=frozenset({"run.limit_reached"}),
            run_options={"max_turns": 5},
            description="an agent that keeps going past its turn budget (observe mode)",
        ),
        Trajectory(
            "budget.tokens",
            (
                _tool_reply(_call("get_weather", city="Paris"), tokens=4000, out=500),
                _tool_reply(_call("get_weather", city="Rome"), tokens=4600, out=500),
                _answer(tokens=5200, out=400),
            ),
            labels=frozenset({"run.limit_reached"}),
            run_options={"max_total_tokens": 8000},
        ),
        Trajectory(
            "budget.tool_calls",
            (
                _tool_reply(*(_call("get_weather", city=c) for c in "ABCD"), tokens=t[0]),
                _tool_reply(*(_call("get_weather", city=c) for c in "EFGH"), tokens=t[1]),
                _answer(tokens=t[2]),
            ),
            labels=frozenset({"run.limit_reached"}),
            run_options={"max_tool_calls": 6},
        ),
        Trajectory(
            "retry_storm.server_errors",
            (ErrorReply(500), ErrorReply(500), ErrorReply(503), _answer()),
            labels=frozenset({"llm.repeated_request"}),
            retries=5,
            description="the same request re-sent after every failure",
        ),
        Trajectory(
            "pingpong.two_tools",
            (
                _tool_reply(_call("get_user", user_id="u1"), tokens=t[0]),
                _tool_reply(_call("get_reservation", code="R1"), tokens=t[1]),
                _tool_reply(_call("get_user", user_id="u1"), tokens=t[2]),
                _tool_reply(_call("get_reservation", code="R1"), tokens=t[3]),
                _answer(tokens=t[4]),
            ),
            labels=frozenset({"tool.oscillation"}),
            description="A-B-A-B with the same arguments: the agent is going round in circles",
        ),
        Trajectory(
            "pingpong.three_tools",
            (
                _tool_reply(_call("get_user", user_id="u1"), tokens=t[0]),
                _tool_reply(_call("get_reservation", code="R1"), tokens=t[1]),
                _tool_reply(_call("search_flights", origin="JFK", dest="SFO"), tokens=t[2]),
                _tool_reply(_call("get_user", user_id="u1"), tokens=t[3]),
                _tool_reply(_call("get_reservation", code="R1"), tokens=t[4]),
                _tool_reply(_call("search_flights", origin="JFK", dest="SFO"), tokens=t[5]),
                _answer(tokens=t[6]),
            ),
            labels=frozenset({"tool.oscillation"}),
            description="A-B-C-A-B-C: the same three calls, round again",
        ),
        Trajectory(
            "truncation.length",
            (_answer("The itinerary is: day 1, fly to", tokens=300, out=64, finish_reason="length"),),
            labels=frozenset({"output.truncated"}),
        ),
        Trajectory(
            "tool_errors.streak",
            (
                _tool_reply(_call("book_seat", seat="1A"), tokens=t[0]),
                _tool_reply(_call("book_seat", seat="1B"), tokens=t[1]),
                _tool_reply(_call("book_seat", seat="1C"), tokens=t[2]),
                _answer("I could not book a seat.", tokens=t[3]),
            ),
            labels=frozenset({"tool.error_streak"}),
            tools={"book_seat": _book_down},
        ),
        Trajectory(
            "empty.response",
            (_tool_reply(_call("get_weather", city="Paris"), tokens=t[0]), _answer("", tokens=t[1], out=0)),
            labels=frozenset({"response.empty"}),
        ),
        Trajectory(
            "prompt.history_duplicated",
            (
                _tool_reply(_call("get_weather", city="A"), tokens=200),
                _tool_reply(_call("get_weather", city="B"), tokens=600),
                _tool_reply(_call("get_weather", city="C"), tokens=1800),
                _answer(tokens=5400),
            ),
            labels=frozenset({"prompt.growth"}),
            description="prompt tokens triple each turn while the conversation grows by two messages",
        ),
        Trajectory(
            "latency.one_slow_call",
            tuple(
                _tool_reply(_call("get_weather", city=c), tokens=t[i], delay=0.01)
                for i, c in enumerate("ABCD")
            )
            + (
                _tool_reply(_call("get_weather", city="E"), tokens=t[4], delay=0.8),
                _answer(tokens=t[5], delay=0.01),
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
        for call in message.tool_calls:
            result = impl[call.function.name](**json.loads(call.function.arguments or "{}"))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return "gave up"
