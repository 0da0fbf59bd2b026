"""The calls every variant makes: the same requests, the same canned answers, two transports.

Canned answers are rendered once by the fake server's own wire renderers, so the in-process
transport (``httpx2.MockTransport`` for openai 3.x / anthropic 2.x, ``httpx.MockTransport`` for
older SDKs) and the loopback :class:`~agentwrap.testing.FakeLLMServer` send the same bytes.

The conversation of every request carries an answered tool call and every answer asks for a
tool, so agentwrap's tool spans open and close on every call of a run.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentwrap.testing import RecordedRequest, Reply, ToolCall, Usage
from agentwrap.testing._routes import _ROUTES
from agentwrap.testing._wire_common import IdSource

__all__ = [
    "ALL_SCENARIOS",
    "SCENARIOS",
    "TURNS",
    "Scenario",
    "Workload",
    "fake_reply",
    "http_module",
    "scenario_for",
    "turn_of",
]

STREAM_CHUNKS = 50
TURNS = 10  # distinct requests, cycled: one run scope of agentwrap covers one cycle
_CHUNKS = re.compile(r'"bench_chunks": ?"(\d+)"')
_TURN = re.compile(r'"(?:tool_call_id|call_id|tool_use_id)": ?"(?:call|toolu)_(\d+)"')
MODEL_OPENAI = "gpt-4o-mini"
MODEL_ANTHROPIC = "claude-sonnet-4-5"
SYSTEM = "You are a helpful airline agent. Use the tools to look up bookings."

OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_booking",
            "description": "Find a booking by its reference.",
            "parameters": {"type": "object", "properties": {"booking": {"type": "string"}}},
        },
    }
]
ANTHROPIC_TOOLS = [
    {
        "name": "lookup_booking",
        "description": "Find a booking by its reference.",
        "input_schema": {"type": "object", "properties": {"booking": {"type": "string"}}},
    }
]


@dataclass(frozen=True)
class Scenario:
    """One kind of call: which SDK surface, streamed or not, sync or async."""

    name: str
    provider: str  # "openai" | "anthropic"
    path: str  # the API path the fake server routes on
    stream: bool = False
    is_async: bool = False
    chunks: int = 0  # streams: content chunks per answer (0: STREAM_CHUNKS)

    @property
    def stream_chunks(self) -> int:
        """Content chunks per streamed answer."""
        return self.chunks or STREAM_CHUNKS


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("openai-chat-sync", "openai", "/chat/completions"),
        Scenario("openai-chat-async", "openai", "/chat/completions", is_async=True),
        Scenario("openai-chat-stream", "openai", "/chat/completions", stream=True),
        Scenario("openai-responses-sync", "openai", "/responses"),
        Scenario("anthropic-sync", "anthropic", "/messages"),
        Scenario("anthropic-stream", "anthropic", "/messages", stream=True),
    )
}
# Opt-in (--scenarios): next to openai-chat-stream, its slope gives the cost per chunk in situ,
# the fixed per-call cost cancelling out (see benchmarks/overhead.py, per_chunk).
LONG_STREAM = Scenario("openai-chat-stream-250", "openai", "/chat/completions", stream=True, chunks=250)
EXTRA_SCENARIOS = {LONG_STREAM.name: LONG_STREAM}
ALL_SCENARIOS = {**SCENARIOS, **EXTRA_SCENARIOS}


def fake_reply(scenario: Scenario, turn: int = 0) -> Reply:
    """What the fake model answers at ``turn``: the next tool call, or 50 text chunks (streams).

    Turn ``j`` asks for tool call ``j + 1`` (its own id and arguments), which request ``j + 1``
    answers: every call of a run closes the tool span its predecessor opened, and no call
    repeats another's request or tool arguments (so detectors see a healthy run).
    """
    usage = Usage(input_tokens=120, output_tokens=60)
    if scenario.stream:
        text = " ".join(f"w{i}" for i in range(scenario.stream_chunks))
        return Reply(text=text, chunks=scenario.stream_chunks, usage=usage, include_usage=True)
    prefix = "toolu" if scenario.provider == "anthropic" else "call"
    call = ToolCall("lookup_booking", {"booking": f"B{turn + 1}"}, id=f"{prefix}_{turn + 1}")
    return Reply(text="", tool_calls=[call], usage=usage)


def request_kwargs(scenario: Scenario, turn: int = 0) -> dict[str, Any]:
    """The keyword arguments of the SDK call at ``turn`` (built once, reused every cycle)."""
    question = f"Where is my booking B{turn}?"
    args = json.dumps({"booking": f"B{turn}"})
    result = f"Paris, seat {turn}A"
    if scenario.provider == "anthropic":
        use_id = f"toolu_{turn}"
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": question},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": use_id, "name": "lookup_booking", "input": json.loads(args)}
                ],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use_id, "content": result}]},
        ]
        kw: dict[str, Any] = {
            "model": MODEL_ANTHROPIC,
            "max_tokens": 256,
            "system": SYSTEM,
            "messages": messages,
            "tools": ANTHROPIC_TOOLS,
        }
    elif scenario.path == "/responses":
        kw = {
            "model": MODEL_OPENAI,
            "instructions": SYSTEM,
            "input": [
                {"role": "user", "content": question},
                {
                    "type": "function_call",
                    "call_id": f"call_{turn}",
                    "name": "lookup_booking",
                    "arguments": args,
                },
                {"type": "function_call_output", "call_id": f"call_{turn}", "output": result},
            ],
            "tools": [{"type": "function", **OPENAI_TOOLS[0]["function"]}],
        }
    else:
        kw = {
            "model": MODEL_OPENAI,
            "messages": chat_messages(1, turn),
            "tools": OPENAI_TOOLS,
            "temperature": 0.2,
        }
    if scenario.stream:
        kw["stream"] = True
        if scenario.provider == "openai":
            kw["stream_options"] = {"include_usage": True}
        if scenario.chunks:  # tells the canned answers apart (the fake routes on it too)
            kw["metadata"] = {"bench_chunks": str(scenario.chunks)}
    return kw


def chat_messages(turns: int, first: int = 0) -> list[dict[str, Any]]:
    """A chat conversation of ``turns`` tool round trips (system + user + 2 per turn)."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Where is my booking B{first}?"},
    ]
    for i in range(first, first + turns):
        call = {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": "lookup_booking", "arguments": json.dumps({"booking": f"B{i}"})},
        }
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": f"call_{i}", "content": f"Paris, seat {i}A"})
    return messages


def canned_body(scenario: Scenario, turn: int) -> tuple[bytes, str]:
    """The answer's bytes and content type, rendered once by the fake server's renderers."""
    route = _ROUTES[scenario.path]
    body = {**request_kwargs(scenario, turn), "stream": scenario.stream}
    request = RecordedRequest("POST", "/v1" + scenario.path, {}, body, time.time())
    reply = fake_reply(scenario, turn)
    if scenario.stream:
        assert route.stream is not None
        data = b"".join(event.encode() for event in route.stream(reply, request, IdSource()))
        return data, "text/event-stream; charset=utf-8"
    return json.dumps(route.render(reply, request, IdSource())).encode(), "application/json"


def scenario_for(path: str, stream: bool, body: bytes | str) -> Scenario | None:
    """The scenario a request belongs to (by API path, streaming, and chunk-count marker)."""
    text = body.decode() if isinstance(body, bytes) else body
    marked = _CHUNKS.search(text)
    chunks = int(marked.group(1)) if marked else 0
    for scenario in ALL_SCENARIOS.values():
        if path.endswith(scenario.path) and stream == scenario.stream and chunks == scenario.chunks:
            return scenario
    return None


def turn_of(body: bytes | str) -> int:
    """Which turn a request is (the number of the last tool call it answers)."""
    text = body.decode() if isinstance(body, bytes) else body
    found = _TURN.findall(text)
    return int(found[-1]) if found else 0


def http_module(sdk: str) -> Any:
    """The HTTP library the installed SDK is built on (httpx2 for openai 3.x, else httpx)."""
    base = importlib.import_module(f"{sdk}._base_client")
    return getattr(base, "httpx2", None) or base.httpx


class Workload:
    """Clients and one-call functions for every scenario, on one transport."""

    def __init__(self, transport: str, base_url: str | None = None) -> None:
        self.transport = transport
        self.base_url = base_url
        self._bodies: dict[tuple[str, int], tuple[bytes, str]] = {}
        self._kwargs = {
            (name, j): request_kwargs(s, j) for name, s in ALL_SCENARIOS.items() for j in range(TURNS)
        }
        self._clients: dict[tuple[str, bool], Any] = {}
        self.loop = asyncio.new_event_loop()

    # -- transports -----------------------------------------------------------------------------

    def _handler(self, http: Any) -> Callable[[Any], Any]:
        def handle(request: Any) -> Any:
            path = request.url.path
            content = request.content
            stream = b'"stream":true' in content or b'"stream": true' in content
            scenario = scenario_for(path, stream, content)
            if scenario is None:
                return http.Response(404, json={"error": {"message": path}})
            data, ctype = self._bodies[(scenario.name, turn_of(content) % TURNS)]
            return http.Response(200, content=data, headers={"content-type": ctype})

        return handle

    def client(self, scenario: Scenario) -> Any:
        """The SDK client for a scenario (one per provider and sync/async)."""
        key = (scenario.provider, scenario.is_async)
        if key in self._clients:
            return self._clients[key]
        sdk = importlib.import_module(scenario.provider)
        for name, s in ALL_SCENARIOS.items():
            for j in range(TURNS):
                if (name, j) not in self._bodies and s.provider == scenario.provider:
                    self._bodies[(name, j)] = canned_body(s, j)
        kwargs: dict[str, Any] = {"api_key": "sk-bench", "max_retries": 0}
        if self.transport == "inproc":
            http = http_module(scenario.provider)
            transport = http.MockTransport(self._handler(http))
            cls = http.AsyncClient if scenario.is_async else http.Client
            kwargs["http_client"] = cls(transport=transport)
            kwargs["base_url"] = "http://bench.invalid" + ("/v1" if scenario.provider == "openai" else "")
        else:
            assert self.base_url is not None
            kwargs["base_url"] = self.base_url + ("/v1" if scenario.provider == "openai" else "")
        if scenario.provider == "openai":
            cls_ = sdk.AsyncOpenAI if scenario.is_async else sdk.OpenAI
        else:
            cls_ = sdk.AsyncAnthropic if scenario.is_async else sdk.Anthropic
        client = cls_(**kwargs)
        self._clients[key] = client
        return client

    def close(self) -> None:
        """Close every client and the event loop."""
        for client in self._clients.values():
            closing = client.close()
            if asyncio.iscoroutine(closing):
                self.loop.run_until_complete(closing)
        self.loop.close()

    # -- one call -------------------------------------------------------------------------------

    def caller(self, name: str) -> Callable[[], float | None]:
        """A function making the next call of ``name`` (turns cycle through ``TURNS``).

        It returns the seconds to the first chunk for streams, else None.
        """
        scenario = ALL_SCENARIOS[name]
        client = self.client(scenario)
        cycle = itertools.cycle([self._kwargs[(name, j)] for j in range(TURNS)])
        if scenario.provider == "anthropic":
            method = client.messages.create
        elif scenario.path == "/responses":
            method = client.responses.create
        else:
            method = client.chat.completions.create
        if scenario.is_async:
            loop = self.loop

            def call_async() -> float | None:
                loop.run_until_complete(method(**next(cycle)))
                return None

            return call_async
        if scenario.stream:

            def call_stream() -> float | None:
                started = time.perf_counter()
                stream = method(**next(cycle))
                first = None
                for _ in stream:
                    if first is None:
                        first = time.perf_counter() - started
                return first

            return call_stream

        def call() -> float | None:
            method(**next(cycle))
            return None

        return call
