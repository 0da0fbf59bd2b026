"""What a corpus trajectory is made of: the tools it calls and the model's scripted replies."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._script import ErrorReply, Reply, ToolCall, Usage

__all__ = ["TOOLS", "Tool", "Trajectory", "answer", "book_down", "call", "linear", "tool_reply"]

Tool = Callable[..., str]


def _flights(origin: str = "", dest: str = "", page: int = 1, **_: Any) -> str:
    return "no_flights_found" if page == 1 and dest == "LAX" else f"flights page {page}: UA{100 + page}"


def _weather(city: str = "", **_: Any) -> str:
    return json.dumps({"city": city, "forecast": "sunny", "high_c": 24})


def _book(seat: str = "", **_: Any) -> str:
    return f"booked seat {seat}"


def book_down(seat: str = "", **_: Any) -> str:
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


def call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(name, arguments)


def tool_reply(*calls: ToolCall, tokens: int = 120, out: int = 15, **kw: Any) -> Reply:
    return Reply(tool_calls=list(calls), usage=Usage(tokens, out), **kw)


def answer(text: str = "Done.", tokens: int = 200, out: int = 20, **kw: Any) -> Reply:
    return Reply(text=text, usage=Usage(tokens, out), **kw)


def linear(n: int, start: int = 120, step: int = 30) -> list[int]:
    return [start + step * i for i in range(n)]
