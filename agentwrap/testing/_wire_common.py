"""Helpers shared by the wire-format renderers of the fake LLM server."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from ._script import ErrorReply, RecordedRequest, Reply, Usage

DEFAULT_MODEL = "fake-model"

# OpenAI and Anthropic spell the same stop conditions differently; a script may use either.
_TO_ANTHROPIC = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}
_TO_OPENAI = {v: k for k, v in _TO_ANTHROPIC.items()}


class IdSource:
    """Thread-safe per-prefix counters, so generated ids are deterministic per server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, itertools.count[int]] = {}

    def next(self, prefix: str, sep: str = "_") -> str:
        """Return the next id for ``prefix``, e.g. ``call_1``, ``call_2``."""
        with self._lock:
            counter = self._counters.setdefault(prefix, itertools.count(1))
            return f"{prefix}{sep}{next(counter)}"


@dataclass(frozen=True)
class SSEEvent:
    """One server-sent event; ``content`` marks events that carry generated content."""

    data: dict[str, Any] | str
    event: str | None = None
    content: bool = False

    def encode(self) -> bytes:
        """Serialise as ``event:``/``data:`` lines terminated by a blank line."""
        data = self.data if isinstance(self.data, str) else dumps(self.data)
        head = f"event: {self.event}\n" if self.event else ""
        return f"{head}data: {data}\n\n".encode()


class ResolvedCall(NamedTuple):
    """A tool call with its final id and its arguments already serialised."""

    id: str
    name: str
    arguments: dict[str, Any]
    arguments_json: str


def stream_flag(request: RecordedRequest) -> bool:
    """Whether a request asks for a stream in its body (``"stream": true``), as OpenAI's and
    Anthropic's do; other APIs tell it by their path."""
    return body_of(request).get("stream") is True


class StreamEvent(Protocol):
    """One event of a streamed answer, as it goes on the wire."""

    @property
    def content(self) -> bool:
        """Whether the event carries generated content (``fail_after_chunks`` counts these)."""

    def encode(self) -> bytes:
        """The event's bytes on the wire."""


JsonRenderer = Callable[[Reply, RecordedRequest, IdSource], dict[str, Any]]
StreamRenderer = Callable[[Reply, RecordedRequest, IdSource], Iterator[StreamEvent]]
ErrorRenderer = Callable[[ErrorReply], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """How one API endpoint renders replies; ``stream`` is None for non-streaming endpoints.

    ``streams`` tells whether a request wants the stream; ``stream_type`` is the content type
    the stream is sent with (server-sent events unless the API frames its streams otherwise).
    """

    render: JsonRenderer
    stream: StreamRenderer | None
    error: ErrorRenderer
    streams: Callable[[RecordedRequest], bool] = stream_flag
    stream_type: str = "text/event-stream; charset=utf-8"


def dumps(value: Any) -> str:
    """Compact JSON, as the real APIs send it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def body_of(request: RecordedRequest) -> dict[str, Any]:
    """The request body, or an empty dict so renderers need no None checks."""
    return request.body or {}


def model_of(reply: Reply, request: RecordedRequest) -> str:
    """The scripted model, else the requested one."""
    requested = body_of(request).get("model")
    return reply.model or (requested if isinstance(requested, str) else DEFAULT_MODEL)


def resolve_calls(reply: Reply, ids: IdSource, prefix: str) -> list[ResolvedCall]:
    """Give every tool call an id (generated when not scripted) and its JSON arguments."""
    return [
        ResolvedCall(call.id or ids.next(prefix), call.name, call.arguments, dumps(call.arguments))
        for call in reply.tool_calls
    ]


def usage_of(reply: Reply, prompt: Any) -> Usage:
    """Scripted usage, else a deterministic estimate (~4 characters per token)."""
    if reply.usage is not None:
        return reply.usage
    prompt_chars = len(json.dumps(prompt, sort_keys=True))
    output_chars = len(reply.text) + sum(len(dumps(call.arguments)) for call in reply.tool_calls)
    return Usage(input_tokens=max(1, prompt_chars // 4), output_tokens=max(1, output_chars // 4))


def with_raw_usage(usage: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """The usage object a wire sends, with the reply's ``raw_usage`` fields written over it."""
    return {**usage, **reply.raw_usage} if reply.raw_usage else usage


def openai_finish_reason(reply: Reply) -> str:
    """The finish reason in OpenAI's vocabulary."""
    if reply.finish_reason is None:
        return "tool_calls" if reply.tool_calls else "stop"
    return _TO_OPENAI.get(reply.finish_reason, reply.finish_reason)


def anthropic_stop_reason(reply: Reply) -> str:
    """The finish reason in Anthropic's vocabulary."""
    reason = openai_finish_reason(reply)
    return _TO_ANTHROPIC.get(reason, reason)


def split_text(text: str, chunks: int | None) -> list[str]:
    """Split text into stream deltas: ``chunks`` near-equal pieces, or one piece per word."""
    if not text:
        return []
    if chunks is None:
        # Zero-width split after whitespace keeps the spaces, so deltas re-join exactly.
        return [piece for piece in re.split(r"(?<=\s)(?=\S)", text) if piece]
    count = min(chunks, len(text))
    size, extra = divmod(len(text), count)
    pieces, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def split_arguments(arguments_json: str) -> list[str]:
    """Split tool-call JSON into two pieces, so clients must really accumulate partial JSON."""
    middle = max(1, len(arguments_json) // 2)
    return [arguments_json[:middle], arguments_json[middle:]]
